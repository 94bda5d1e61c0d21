// The HTTPS listener as Node reaches it once the development CA is trusted
// (NODE_EXTRA_CA_CERTS=<data dir>/tls/ca.pem): aws-amplify v6 signs in through it, and the AWS
// SDK for JavaScript (signed) reaches the identity pools on it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';

import { PASSWORD, provision, user } from './helpers.mjs';

const https = process.env.COGNATE_HTTPS_ENDPOINT;

test('aws-amplify signs in over HTTPS with the development CA trusted', async () => {
  assert.match(https, /^https:\/\//);
  assert.equal(await (await fetch(`${https}/healthz`)).text(), 'ok');
  const { pool, client } = await provision();
  await user(pool, 'tls-user', ['admin']);
  Amplify.configure({ Auth: { Cognito: { userPoolId: pool, userPoolClientId: client, userPoolEndpoint: https } } });
  const result = await signIn({ username: 'tls-user', password: PASSWORD });
  assert.equal(result.isSignedIn, true);
  const { tokens } = await fetchAuthSession();
  assert.deepEqual(tokens.idToken.payload['cognito:groups'], ['admin']);
  await signOut();
});

test('the AWS SDK for JavaScript reaches the identity pools over HTTPS', async () => {
  const identity = new CognitoIdentityClient({ endpoint: https, region: 'us-east-1' });
  const { IdentityPoolId } = await identity.send(
    new CreateIdentityPoolCommand({ IdentityPoolName: 'tls', AllowUnauthenticatedIdentities: true }),
  );
  const { IdentityId } = await identity.send(new GetIdCommand({ IdentityPoolId }));
  assert.match(IdentityId, /^us-east-1:/);
});
