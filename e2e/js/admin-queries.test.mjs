// aws-amplify v6's REST client against cognate's Admin Queries API, as the Amplify groups demo
// app calls it: add a user to `editors`, then list `editors` page by page with limit and token.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Amplify } from 'aws-amplify';
import { get, post } from 'aws-amplify/api';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';

import { PASSWORD, endpoint, provision, user } from './helpers.mjs';
import { createAdminQueriesApi } from './management.mjs';

async function authHeaders() {
  const { tokens } = await fetchAuthSession();
  return { 'Content-Type': 'application/json', Authorization: tokens.accessToken.toString() };
}

test('an admin adds a user to editors and lists editors with limit and token', async () => {
  const { pool, client } = await provision();
  await user(pool, 'someadminuser', ['admin']);
  await user(pool, 'awesomeeditor');
  await user(pool, 'othereditor', ['editors']);
  const api = await createAdminQueriesApi(pool, ['admin']);
  Amplify.configure({
    Auth: { Cognito: { userPoolId: pool, userPoolClientId: client, userPoolEndpoint: endpoint } },
    API: { REST: { AdminQueries: { endpoint: api.Endpoint, region: 'us-east-1' } } },
  });
  await signIn({ username: 'someadminuser', password: PASSWORD });

  const added = await post({
    apiName: 'AdminQueries',
    path: '/addUserToGroup',
    options: { body: { username: 'awesomeeditor', groupname: 'editors' }, headers: await authHeaders() },
  }).response;
  assert.equal(added.statusCode, 200);
  assert.deepEqual(await added.body.json(), { message: 'Success adding awesomeeditor to editors' });

  const names = [];
  let nextToken;
  do {
    const queryParams = { groupname: 'editors', limit: '1' };
    if (nextToken) queryParams.token = nextToken;
    const page = await get({ apiName: 'AdminQueries', path: '/listUsersInGroup', options: { queryParams, headers: await authHeaders() } })
      .response;
    const body = await page.body.json();
    names.push(...body.Users.map((u) => u.Username));
    nextToken = body.NextToken;
  } while (nextToken);
  assert.deepEqual(names, ['awesomeeditor', 'othereditor']);
  await signOut();
});

test('a user outside the admin group gets the 403 message', async () => {
  const { pool, client } = await provision();
  await user(pool, 'justaneditor', ['editors']);
  const api = await createAdminQueriesApi(pool, ['admin']);
  Amplify.configure({
    Auth: { Cognito: { userPoolId: pool, userPoolClientId: client, userPoolEndpoint: endpoint } },
    API: { REST: { AdminQueries: { endpoint: api.Endpoint, region: 'us-east-1' } } },
  });
  await signIn({ username: 'justaneditor', password: PASSWORD });
  await assert.rejects(
    post({
      apiName: 'AdminQueries',
      path: '/addUserToGroup',
      options: { body: { username: 'justaneditor', groupname: 'admin' }, headers: await authHeaders() },
    }).response,
    (err) => {
      assert.equal(err.response.statusCode, 403);
      assert.match(err.response.body, /User does not have permissions to perform administrative tasks/);
      return true;
    },
  );
  await signOut();
});
