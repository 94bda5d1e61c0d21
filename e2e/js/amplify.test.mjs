// aws-amplify v6 in Node: signIn (SRP by default), fetchAuthSession, signOut, and the
// NEW_PASSWORD_REQUIRED step with confirmSignIn.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, getCurrentUser, signIn, signOut } from 'aws-amplify/auth';

import { CreateUserPoolClientCommand, GetUserCommand } from '@aws-sdk/client-cognito-identity-provider';

import { PASSWORD, admin, endpoint, newUser, provision, user } from './helpers.mjs';

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

/** The username the server gives for an access token: proof that it accepts the token. */
async function serverAccepts(accessToken) {
  return (await admin.send(new GetUserCommand({ AccessToken: accessToken.toString() }))).Username;
}

/** Runs `work` with the clock of aws-amplify's expiry checks (`Date.now`) `ms` ahead. */
async function later(ms, work) {
  const realNow = Date.now;
  Date.now = () => realNow() + ms;
  try {
    return await work();
  } finally {
    Date.now = realNow;
  }
}

test('a session lives on through a forced refresh and after its access token expires', async () => {
  const { pool, client } = await provision();
  await user(pool, 'refresher', ['admin']);
  configure(pool, client);
  await signIn({ username: 'refresher', password: PASSWORD });
  const first = (await fetchAuthSession()).tokens;

  // aws-amplify 6.22 refreshes with GetTokensFromRefreshToken, never REFRESH_TOKEN_AUTH.
  const forced = (await fetchAuthSession({ forceRefresh: true })).tokens;
  assert.notEqual(forced.accessToken.toString(), first.accessToken.toString());
  assert.deepEqual(forced.idToken.payload['cognito:groups'], ['admin']);
  assert.equal(await serverAccepts(forced.accessToken), 'refresher');

  // An hour and a minute on: the access token has expired, and fetchAuthSession renews it.
  const renewed = await later(61 * 60 * 1000, async () => (await fetchAuthSession()).tokens);
  assert.notEqual(renewed.accessToken.toString(), forced.accessToken.toString());
  assert.equal(await serverAccepts(renewed.accessToken), 'refresher');
  assert.equal((await getCurrentUser()).username, 'refresher');
  await signOut();
});

test('with refresh token rotation the session keeps the newest refresh token', async () => {
  const { pool } = await provision();
  const client = (
    await admin.send(
      new CreateUserPoolClientCommand({
        UserPoolId: pool,
        ClientName: 'rotating',
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 0 },
      }),
    )
  ).UserPoolClient.ClientId;
  await user(pool, 'rotator');
  configure(pool, client);
  await signIn({ username: 'rotator', password: PASSWORD });
  // Each refresh retires the refresh token it used (no grace period): a third refresh works
  // only if aws-amplify kept the token the second one answered.
  for (let i = 0; i < 3; i++) {
    const { tokens } = await fetchAuthSession({ forceRefresh: true });
    assert.equal(await serverAccepts(tokens.accessToken), 'rotator');
  }
  await signOut();
});
