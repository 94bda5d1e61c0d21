// aws-amplify v6's Storage category against cognate, configured by `cognate push` after
// `cognate add storage` (Amplify's group flow; guest access turns on guest identities):
// identity-pool credentials over HTTPS, the bucket virtual-hosted under
// `cognate.storageEndpoint` (passed as each call's customEndpoint). An admin uploads, lists,
// downloads, presigns, copies and removes; an editor reads and is refused an upload; a guest
// reads public files and is refused an upload. Any request to an AWS host fails the test.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';

import { Amplify } from 'aws-amplify';
import { signIn, signOut } from 'aws-amplify/auth';
import { copy, downloadData, getUrl, list, remove, uploadData } from 'aws-amplify/storage';
import { Agent, setGlobalDispatcher } from 'undici';

import { PASSWORD, endpoint, newProject, refuseAws, user } from './helpers.mjs';
import { rootS3 } from './management.mjs';

const { dir: project, run } = newProject('storage');

// Browsers resolve `<bucket>.localhost` to this machine; Node asks DNS, which does not know it.
setGlobalDispatcher(
  new Agent({
    connect: {
      lookup: (host, options, callback) => lookup(host.endsWith('.localhost') ? 'localhost' : host, options, callback),
    },
  }),
);

let config;
let options;
before(async () => {
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'storageapp', type: 'module' }));
  run('init', '--yes', '--project-name', 'storageapp', '--endpoint', endpoint, '--credentials-file', process.env.COGNATE_CREDENTIALS_FILE);
  run('add', 'auth', '--default');
  run('update', 'auth', '--groups', 'admin,editors');
  run(
    'add', 'storage', '--service', 'content', '--resource-name', 'files', '--bucket-name', 'storageapp-files',
    '--restrict-access-by', 'both', '--access', 'auth-and-guest', '--auth-access', 'read',
    '--guest-access', 'read', '--group-access', 'admin=create/update,read,delete',
    '--group-access', 'editors=read', '--trigger', 'false',
  );
  run('push', '--yes');
  config = JSON.parse(readFileSync(join(project, 'src/amplifyconfiguration.json')));
  options = { customEndpoint: config.cognate.storageEndpoint };
  refuseAws();
  Amplify.configure(config);
});

async function refused(promise) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, 'AccessDenied', `${e.name}: ${e.message}`);
    return true;
  });
}

test('the pushed config names the bucket and the storage endpoint', () => {
  assert.equal(config.Storage.S3.bucket, 'storageapp-files');
  assert.equal(config.Storage.S3.region, 'us-east-1');
  assert.match(config.cognate.storageEndpoint, /^localhost:\d+$/);
});

test('an admin uploads, lists, downloads, presigns, copies and removes', async () => {
  const pool = config.Auth.Cognito.userPoolId;
  await user(pool, 'boss', ['admin']);
  await signIn({ username: 'boss', password: PASSWORD });
  const uploaded = await uploadData({ path: 'public/report.txt', data: 'quarterly numbers', options }).result;
  assert.equal(uploaded.path, 'public/report.txt');
  const listed = await list({ path: 'public/', options });
  assert.deepEqual(listed.items.map((i) => i.path), ['public/report.txt']);
  const downloaded = await downloadData({ path: 'public/report.txt', options }).result;
  assert.equal(await downloaded.body.text(), 'quarterly numbers');
  const { url } = await getUrl({ path: 'public/report.txt', options: { ...options, expiresIn: 60 } });
  assert.equal(url.hostname, 'storageapp-files.localhost');
  assert.equal(await (await fetch(url)).text(), 'quarterly numbers');
  await copy({ source: { path: 'public/report.txt' }, destination: { path: 'public/report-copy.txt' }, options });
  const copied = await downloadData({ path: 'public/report-copy.txt', options }).result;
  assert.equal(await copied.body.text(), 'quarterly numbers');
  await remove({ path: 'public/report-copy.txt', options });
  const after = await list({ path: 'public/', options });
  assert.deepEqual(after.items.map((i) => i.path), ['public/report.txt']);
  await signOut();
});

test('an editor reads and is refused an upload', async () => {
  const pool = config.Auth.Cognito.userPoolId;
  await user(pool, 'ed', ['editors']);
  await signIn({ username: 'ed', password: PASSWORD });
  const downloaded = await downloadData({ path: 'public/report.txt', options }).result;
  assert.equal(await downloaded.body.text(), 'quarterly numbers');
  await refused(uploadData({ path: 'public/edit.txt', data: 'mine', options }).result);
  await refused(remove({ path: 'public/report.txt', options }));
  await signOut();
});

test('a guest reads public files and is refused an upload', async () => {
  const downloaded = await downloadData({ path: 'public/report.txt', options }).result;
  assert.equal(await downloaded.body.text(), 'quarterly numbers');
  await refused(uploadData({ path: 'public/guest.txt', data: 'hello', options }).result);
});

test('a folder is removed from a bucket with a dot in its name (path-style, DeleteObjects without the bucket)', async () => {
  // e2e/run.sh starts cognate with --s3-default-bucket storageapp.dotted.
  const bucketName = 'storageapp.dotted';
  const pool = config.Auth.Cognito.userPoolId;
  await rootS3('PUT', `/${bucketName}`);
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::000000000000:role/${pool}-adminGroupRole` },
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/*`],
      },
    ],
  };
  await rootS3('PUT', `/${bucketName}?policy`, JSON.stringify(policy));
  await user(pool, 'boss2', ['admin']);
  await signIn({ username: 'boss2', password: PASSWORD });
  const dotted = { ...options, bucket: { bucketName, region: 'us-east-1' } };
  for (const name of ['a.txt', 'b.txt']) {
    await uploadData({ path: `public/folder/${name}`, data: name, options: dotted }).result;
  }
  await uploadData({ path: 'public/kept.txt', data: 'kept', options: dotted }).result;
  const before = await list({ path: 'public/', options: dotted });
  assert.deepEqual(before.items.map((i) => i.path).sort(), ['public/folder/a.txt', 'public/folder/b.txt', 'public/kept.txt']);
  await remove({ path: 'public/folder/', options: dotted });
  const after = await list({ path: 'public/', options: dotted });
  assert.deepEqual(after.items.map((i) => i.path), ['public/kept.txt']);
  await signOut();
});
