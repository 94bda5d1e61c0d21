// amazon-cognito-identity-js signs in with SRP against cognate.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AuthenticationDetails, CognitoUser, CognitoUserPool } from 'amazon-cognito-identity-js';

import { PASSWORD, endpoint, provision, user } from './helpers.mjs';

function authenticate(cognitoUser, password) {
  return new Promise((resolve, reject) => {
    cognitoUser.authenticateUser(new AuthenticationDetails({ Username: cognitoUser.getUsername(), Password: password }), {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('unexpected NEW_PASSWORD_REQUIRED')),
    });
  });
}

test('authenticateUser signs in with SRP and getSession returns the groups', async () => {
  const { pool, client } = await provision();
  await user(pool, 'someadminuser', ['admin', 'editors']);
  const userPool = new CognitoUserPool({ UserPoolId: pool, ClientId: client, endpoint });
  const cognitoUser = new CognitoUser({ Username: 'someadminuser', Pool: userPool });

  const session = await authenticate(cognitoUser, PASSWORD);
  assert.ok(session.isValid());
  const payload = session.getIdToken().decodePayload();
  assert.deepEqual(payload['cognito:groups'], ['admin', 'editors']);
  assert.equal(payload['cognito:preferred_role'], `arn:aws:iam::000000000000:role/${pool}-adminGroupRole`);
  assert.equal(payload['cognito:username'], 'someadminuser');

  const again = await new Promise((resolve, reject) =>
    cognitoUser.getSession((err, s) => (err ? reject(err) : resolve(s))),
  );
  assert.equal(again.getAccessToken().getJwtToken(), session.getAccessToken().getJwtToken());
});

test('a wrong password is refused with NotAuthorizedException', async () => {
  const { pool, client } = await provision();
  await user(pool, 'wrongpass');
  const userPool = new CognitoUserPool({ UserPoolId: pool, ClientId: client, endpoint });
  const cognitoUser = new CognitoUser({ Username: 'wrongpass', Pool: userPool });
  await assert.rejects(authenticate(cognitoUser, 'Not-The-Password-1'), (err) => {
    assert.equal(err.code, 'NotAuthorizedException');
    assert.equal(err.message, 'Incorrect username or password.');
    return true;
  });
});
