// aws-amplify v6 in Node: signIn (SRP by default), fetchAuthSession, signOut, and the
// NEW_PASSWORD_REQUIRED step with confirmSignIn.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, getCurrentUser, signIn, signOut } from 'aws-amplify/auth';

import { PASSWORD, endpoint, newUser, provision, user } from './helpers.mjs';

function configure(pool, client) {
  Amplify.configure({ Auth: { Cognito: { userPoolId: pool, userPoolClientId: client, userPoolEndpoint: endpoint } } });
}

test('signIn, fetchAuthSession with the groups, signOut', async () => {
  const { pool, client } = await provision();
  await user(pool, 'amplifyuser', ['editors']);
  configure(pool, client);

  const result = await signIn({ username: 'amplifyuser', password: PASSWORD });
  assert.equal(result.isSignedIn, true);
  assert.equal(result.nextStep.signInStep, 'DONE');
  assert.equal((await getCurrentUser()).username, 'amplifyuser');

  const { tokens } = await fetchAuthSession();
  assert.deepEqual(tokens.idToken.payload['cognito:groups'], ['editors']);
  assert.deepEqual(tokens.accessToken.payload['cognito:groups'], ['editors']);
  assert.equal(tokens.idToken.payload.iss, `${endpoint}/${pool}`);

  await signOut();
  const after = await fetchAuthSession();
  assert.equal(after.tokens, undefined);
});

test('a first sign-in with a temporary password continues with confirmSignIn', async () => {
  const { pool, client } = await provision();
  await newUser(pool, 'firsttimer', 'Temp-Pass-123');
  configure(pool, client);

  const first = await signIn({ username: 'firsttimer', password: 'Temp-Pass-123' });
  assert.equal(first.isSignedIn, false);
  assert.equal(first.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED');

  const done = await confirmSignIn({ challengeResponse: 'Chosen-Pass-456' });
  assert.equal(done.isSignedIn, true);
  const { tokens } = await fetchAuthSession();
  assert.equal(tokens.idToken.payload['cognito:username'], 'firsttimer');
  await signOut();

  const again = await signIn({ username: 'firsttimer', password: 'Chosen-Pass-456' });
  assert.equal(again.isSignedIn, true);
  await signOut();
});

test('a wrong password rejects with NotAuthorizedException', async () => {
  const { pool, client } = await provision();
  await user(pool, 'amplifywrong');
  configure(pool, client);
  await assert.rejects(signIn({ username: 'amplifywrong', password: 'Wrong-Pass-789' }), (err) => {
    assert.equal(err.name, 'NotAuthorizedException');
    return true;
  });
});
