// aws-amplify v6's REST client (`get`, `post`, `put`, `del` from aws-amplify/api) against
// cognate's gateway, configured by `cognate push` after `cognate add api` (Amplify's REST
// group flow): calls signed with identity-pool credentials, decided by the group, auth and
// guest roles' execute-api:Invoke policies. /items: admins create, read, update and delete,
// editors only read; /notices: signed-in users and guests read. The upstream is a plain Node
// server that trusts only the gateway's X-Cognate-Caller token, verified with jose as the
// README shows.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { Amplify } from 'aws-amplify';
import { del, get, post, put } from 'aws-amplify/api';
import { signIn, signOut } from 'aws-amplify/auth';
import { createRemoteJWKSet, jwtVerify } from 'jose';

import { PASSWORD, endpoint, newProject, refuseAws, user } from './helpers.mjs';

const { dir: project, run } = newProject('rest');

let upstream;
let config;
let apiId;
const items = new Map();

/// The service behind the gateway: it answers only calls whose caller token verifies against
/// the API's published key.
function startUpstream() {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const answer = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const issuer = `${endpoint}/restapis/${apiId}`;
    let caller;
    try {
      const keys = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
      ({ payload: caller } = await jwtVerify(req.headers['x-cognate-caller'] ?? '', keys, { issuer, audience: apiId }));
    } catch (e) {
      return answer(401, { message: `Unauthorized: ${e.message}` });
    }
    const [, first, id] = req.url.split('?')[0].split('/');
    const who = { username: caller.username ?? null, groups: caller.groups ?? [], type: caller.cognitoAuthenticationType };
    if (first === 'notices') return answer(200, { notices: ['welcome'], who });
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : null;
    switch (req.method) {
      case 'GET':
        return answer(200, { items: [...items.values()], who });
      case 'POST':
        items.set(body.id, body);
        return answer(201, { created: body, who });
      case 'PUT':
        items.set(id, { ...items.get(id), ...body, id });
        return answer(200, { updated: items.get(id), who });
      case 'DELETE':
        items.delete(id);
        return answer(200, { deleted: id, who });
      default:
        return answer(405, { message: 'no such method' });
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  upstream = await startUpstream();
  const url = `http://127.0.0.1:${upstream.address().port}`;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'restapp', type: 'module' }));
  run('init', '--yes', '--project-name', 'restapp', '--endpoint', endpoint, '--credentials-file', process.env.COGNATE_CREDENTIALS_FILE);
  run('add', 'auth', '--default');
  run('update', 'auth', '--groups', 'admin,editors');
  run(
    'add', 'api', '--service', 'rest', '--resource-name', 'itemsApi', '--path', '/items', '--upstream', url,
    '--restrict', 'true', '--restrict-access-by', 'groups',
    '--group-access', 'admin=create,read,update,delete', '--group-access', 'editors=read',
  );
  run(
    'update', 'api', '--path', '/notices', '--upstream', url, '--restrict', 'true',
    '--restrict-access-by', 'auth-guest', '--access', 'auth-and-guest', '--auth-access', 'read', '--guest-access', 'read',
  );
  run('push', '--yes');
  config = JSON.parse(readFileSync(join(project, 'src/amplifyconfiguration.json')));
  apiId = config.API.REST.itemsApi.endpoint.split('/restapis/')[1].split('/')[0];
  refuseAws();
  Amplify.configure(config);
});

after(() => upstream?.close());

async function json(operation) {
  const { statusCode, body } = await operation.response;
  return { statusCode, body: await body.json() };
}

async function refused(operation, name = 'AccessDeniedException') {
  await assert.rejects(operation.response, (e) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode ?? e.response?.statusCode, 403);
    return true;
  });
}

test('the pushed config names the API at its gateway stage', () => {
  assert.match(config.API.REST.itemsApi.endpoint, new RegExp(`^${endpoint}/restapis/[a-z0-9]{10}/dev$`));
  assert.equal(config.API.REST.itemsApi.region, 'us-east-1');
});

test('an admin creates, reads, updates and deletes, and the upstream learns who it is', async () => {
  const pool = config.Auth.Cognito.userPoolId;
  await user(pool, 'chief', ['admin']);
  await signIn({ username: 'chief', password: PASSWORD });
  const created = await json(post({ apiName: 'itemsApi', path: '/items', options: { body: { id: 'a1', name: 'lamp' } } }));
  assert.equal(created.statusCode, 201);
  assert.deepEqual(created.body.who, { username: 'chief', groups: ['admin'], type: 'authenticated' });
  const read = await json(get({ apiName: 'itemsApi', path: '/items', options: { queryParams: { color: 'red blue' } } }));
  assert.deepEqual(read.body.items, [{ id: 'a1', name: 'lamp' }]);
  const updated = await json(put({ apiName: 'itemsApi', path: '/items/a1', options: { body: { name: 'desk lamp' } } }));
  assert.equal(updated.body.updated.name, 'desk lamp');
  const deleted = await json(del({ apiName: 'itemsApi', path: '/items/a1' }));
  assert.equal(deleted.body.deleted, 'a1');
  await signOut();
});

test('an editor reads and is refused a create with API Gateway answer', async () => {
  const pool = config.Auth.Cognito.userPoolId;
  await user(pool, 'writer', ['editors']);
  await signIn({ username: 'writer', password: PASSWORD });
  const read = await json(get({ apiName: 'itemsApi', path: '/items' }));
  assert.equal(read.statusCode, 200);
  assert.deepEqual(read.body.who.groups, ['editors']);
  await refused(post({ apiName: 'itemsApi', path: '/items', options: { body: { id: 'b2' } } }));
  await refused(del({ apiName: 'itemsApi', path: '/items/b2' }));
  // As on AWS, a group member's credentials are the group role's: the auth role's reads are not theirs.
  await refused(get({ apiName: 'itemsApi', path: '/notices' }));
  await signOut();
});

test('a signed-in user in no group reads the notices with the auth role', async () => {
  const pool = config.Auth.Cognito.userPoolId;
  await user(pool, 'reader');
  await signIn({ username: 'reader', password: PASSWORD });
  const notices = await json(get({ apiName: 'itemsApi', path: '/notices' }));
  assert.equal(notices.body.who.username, 'reader');
  await refused(get({ apiName: 'itemsApi', path: '/items' }));
  await signOut();
});

test('a guest reads the notices and nothing else', async () => {
  const notices = await json(get({ apiName: 'itemsApi', path: '/notices' }));
  assert.equal(notices.body.who.type, 'unauthenticated');
  await refused(get({ apiName: 'itemsApi', path: '/items' }));
  await refused(put({ apiName: 'itemsApi', path: '/items/a1', options: { body: {} } }));
});
