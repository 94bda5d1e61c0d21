// aws-amplify v6's fetchAuthSession against cognate's identity pool, configured by the file
// `cognate push` writes: a guest and a signed-in admin each get credentials and an identity
// id, and STS GetCallerIdentity with those credentials names the role the identity pool chose
// (the unauth role, the admin group's role). Any request to an AWS host fails the test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';

import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Amplify } from 'aws-amplify';
import { fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';

import { PASSWORD, endpoint, newProject, refuseAws, user } from './helpers.mjs';

const { dir: project, run } = newProject('identity');

let config;
before(async () => {
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'identityapp', type: 'module' }));
  run('init', '--yes', '--project-name', 'identityapp', '--endpoint', endpoint, '--credentials-file', process.env.COGNATE_CREDENTIALS_FILE);
  run('add', 'auth', '--default');
  run('update', 'auth', '--groups', 'admin,editors');
  // Guests may have identities, as `amplify update auth` sets it.
  const inputsFile = join(project, 'amplify/backend/auth', readdir(join(project, 'amplify/backend/auth')), 'cli-inputs.json');
  const inputs = JSON.parse(readFileSync(inputsFile));
  inputs.cognitoConfig.allowUnauthenticatedIdentities = true;
  writeFileSync(inputsFile, JSON.stringify(inputs, null, 2));
  run('push', '--yes');
  config = JSON.parse(readFileSync(join(project, 'src/amplifyconfiguration.json')));
  refuseAws();
});

function readdir(dir) {
  const names = execFileSync('ls', [dir], { encoding: 'utf8' }).split('\n').filter((n) => n && n !== 'userPoolGroups');
  return names[0];
}

async function callerArn(credentials) {
  const sts = new STSClient({ endpoint, region: 'us-east-1', credentials });
  return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
}

test('the pushed config names the identity pool and its endpoint', () => {
  assert.match(config.Auth.Cognito.identityPoolId, /^us-east-1:[0-9a-f-]+$/);
  assert.equal(config.Auth.Cognito.identityPoolEndpoint, endpoint);
  assert.equal(config.Auth.Cognito.allowGuestAccess, true);
});

test('a guest gets credentials for the unauth role', async () => {
  Amplify.configure(config);
  const session = await fetchAuthSession();
  assert.match(session.identityId, /^us-east-1:/);
  assert.match(session.credentials.accessKeyId, /^ASIA/);
  const pool = config.Auth.Cognito.userPoolId;
  assert.equal(
    await callerArn(session.credentials),
    `arn:aws:sts::000000000000:assumed-role/${pool}-unauthRole/CognitoIdentityCredentials`,
  );
});

test('a signed-in admin gets the admin group role on the guest identity it had', async () => {
  Amplify.configure(config);
  const guest = (await fetchAuthSession()).identityId;
  const pool = config.Auth.Cognito.userPoolId;
  await user(pool, 'ada', ['admin', 'editors']);
  const result = await signIn({ username: 'ada', password: PASSWORD });
  assert.equal(result.isSignedIn, true);
  const session = await fetchAuthSession();
  assert.equal(session.identityId, guest, 'the guest identity became the user\'s');
  assert.equal(
    await callerArn(session.credentials),
    `arn:aws:sts::000000000000:assumed-role/${pool}-adminGroupRole/CognitoIdentityCredentials`,
  );
  // Signed out and in again on a fresh guest: the user's identity answers.
  await signOut();
  await fetchAuthSession();
  await signIn({ username: 'ada', password: PASSWORD });
  assert.equal((await fetchAuthSession()).identityId, guest);
  await signOut();
});
