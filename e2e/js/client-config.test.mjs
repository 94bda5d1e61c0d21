// The client config `cognate push` writes, imported as an app imports it: each file, given to
// aws-amplify v6's Amplify.configure, signs in against cognate and reaches its Admin Queries
// API. Any request to an AWS host fails the test.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { Amplify } from 'aws-amplify';
import { get } from 'aws-amplify/api';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';

import { PASSWORD, endpoint, newProject, refuseAws, user } from './helpers.mjs';

const credentialsFile = process.env.COGNATE_CREDENTIALS_FILE;
const { dir: project, run } = newProject('app');

// Every host aws-amplify talked to; an AWS one is refused outright.
const hosts = new Set();
const realFetch = globalThis.fetch;

let pushed;
before(async () => {
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'groupsapp', type: 'module' }));
  run('init', '--yes', '--project-name', 'groupsapp', '--endpoint', endpoint, '--credentials-file', credentialsFile);
  run('add', 'auth', '--default');
  run('update', 'auth', '--groups', 'admin,editors', '--admin-queries-groups', 'admin');
  pushed = run('push', '--yes');
  refuseAws((url) => hosts.add(url.host));
});

after(() => {
  globalThis.fetch = realFetch;
});

test('push says which files the app can import', () => {
  for (const name of ['src/aws-exports.js', 'src/amplifyconfiguration.json', 'src/amplify-config.json']) {
    assert.match(pushed, new RegExp(name.replace('.', '\\.')));
  }
});

const imports = {
  'src/aws-exports.js': async () => (await import(pathToFileURL(join(project, 'src/aws-exports.js')))).default,
  'src/amplifyconfiguration.json': async () => JSON.parse(readFileSync(join(project, 'src/amplifyconfiguration.json'))),
  'src/amplify-config.json': async () => JSON.parse(readFileSync(join(project, 'src/amplify-config.json'))),
};

test('aws-exports.js also carries aws_cloud_logic_custom, for app code that reads it', async () => {
  const config = await imports['src/aws-exports.js']();
  const [adminQueries] = config.aws_cloud_logic_custom;
  assert.equal(adminQueries.name, 'AdminQueries');
  assert.equal(adminQueries.endpoint, config.API.REST.AdminQueries.endpoint);
  assert.equal(adminQueries.region, 'us-east-1');
  // Not among the keys aws-amplify v6 looks at to tell an AWS config from its own.
  assert.ok(!Object.keys(config).some((key) => key.startsWith('aws_')));
});

for (const [file, load] of Object.entries(imports)) {
  test(`Amplify.configure with ${file} signs in against cognate`, async () => {
    const config = await load();
    Amplify.configure(config);
    const pool = config.Auth.Cognito.userPoolId;
    const username = `user${Object.keys(imports).indexOf(file)}`;
    await user(pool, username, ['admin']);
    hosts.clear();

    const result = await signIn({ username, password: PASSWORD });
    assert.equal(result.isSignedIn, true);
    const { tokens } = await fetchAuthSession();
    assert.equal(tokens.idToken.payload.iss, `${endpoint}/${pool}`);

    const answer = await get({
      apiName: 'AdminQueries',
      path: '/listGroups',
      options: { headers: { Authorization: tokens.accessToken.toString() } },
    }).response;
    const body = await answer.body.json();
    assert.deepEqual(body.Groups.map((g) => g.GroupName), ['admin', 'editors']);

    await signOut();
    assert.deepEqual([...hosts], [new URL(endpoint).host], 'only cognate was reached');
  });
}
