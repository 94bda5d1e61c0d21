// Drives the built app in Debian's Chromium (playwright-core, no browser download): an admin signs
// in through the Authenticator (SRP), adds awesomeeditor to editors and lists the editors, then
// uploads, lists, downloads and deletes files; the editor downloads and is refused an upload; a
// user outside admin gets the Admin Queries 403; a guest downloads a public file. The /items API:
// the admin adds and lists items, the editor lists and is refused an add, a guest is refused. Screenshots of
// each step go to test/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';

import { AdminListGroupsForUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { chromium } from 'playwright-core';

const { APP_URL, COGNATE_ENDPOINT, POOL_ID, PASSWORD } = process.env;
const shots = new URL('./screenshots/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });
const admin = new CognitoIdentityProviderClient({ endpoint: COGNATE_ENDPOINT, region: 'us-east-1' });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let step = 0;
async function shot(page, name) {
  step += 1;
  const path = `${shots}${String(step).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

async function signIn(page, username) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await shot(page, `sign-in-form-${username}`);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  try {
    await page.getByText(`Hello ${username}`).waitFor({ timeout: 20000 });
  } catch (error) {
    await shot(page, `sign-in-failed-${username}`);
    throw error;
  }
  await shot(page, `signed-in-${username}`);
}

async function resultText(page, expected) {
  const result = page.getByTestId('result');
  await result.getByText(expected).waitFor({ timeout: 20000 });
  return result.textContent();
}

async function filesStatus(page, expected) {
  const status = page.getByTestId('files-status');
  await status.getByText(expected).waitFor({ timeout: 20000 });
  return status.textContent();
}

async function upload(page, name, text) {
  await page.getByLabel('Upload a file').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
}

/** Presses Download for `public/<name>` and answers with the saved file's text. */
async function download(page, name) {
  const saved = page.waitForEvent('download');
  await page.getByRole('button', { name: `Download public/${name}` }).click();
  const file = await saved;
  assert.equal(file.suggestedFilename(), name);
  return readFileSync(await file.path(), 'utf8');
}

async function itemsStatus(page, expected) {
  const status = page.getByTestId('items-status');
  await status.getByText(expected).waitFor({ timeout: 20000 });
  return status.textContent();
}

async function addItem(page, name) {
  await page.getByLabel('Item name').fill(name);
  await page.getByRole('button', { name: 'Add item' }).click();
}

async function signOut(page) {
  // Signing out revokes the tokens; the Authenticator shows its form again when that is done.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Username').waitFor({ timeout: 20000 });
}

let passed = 0;
try {
  // The bucket is served over https on a certificate of cognate's development CA, which this
  // throwaway browser profile does not trust (the README says how to trust it in a browser).
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (message) => console.log(`browser: ${message.text()}`));
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  page.on('requestfailed', (request) => console.log(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) console.log(`response ${response.status()}: ${response.request().method()} ${response.url()}`);
  });

  await page.goto(APP_URL);
  await signIn(page, 'someadminuser');
  await page.getByRole('button', { name: 'Add to Group' }).click();
  console.log(await resultText(page, 'Success adding awesomeeditor to editors'));
  await shot(page, 'added-to-group');
  const groups = await admin.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL_ID, Username: 'awesomeeditor' }));
  assert.deepEqual(groups.Groups.map((g) => g.GroupName), ['editors'], 'awesomeeditor is now in editors');

  await page.getByRole('button', { name: 'List Editors' }).click();
  const listed = await resultText(page, 'Editors: ');
  assert.match(listed, /Editors: .*awesomeeditor/, 'the page lists awesomeeditor');
  console.log(listed);
  await shot(page, 'listed-editors');
  passed += 2;

  // The admin group's role may put, get, list and delete.
  await upload(page, 'notes.txt', 'meeting at noon');
  console.log(await filesStatus(page, 'Uploaded public/notes.txt'));
  await upload(page, 'draft.txt', 'to be deleted');
  await page.getByRole('button', { name: 'Download public/draft.txt' }).waitFor({ timeout: 20000 });
  await shot(page, 'admin-uploaded');
  assert.equal(await download(page, 'notes.txt'), 'meeting at noon');
  console.log(await filesStatus(page, 'Downloaded public/notes.txt (15 bytes)'));
  await page.getByRole('button', { name: 'Delete public/draft.txt' }).click();
  console.log(await filesStatus(page, 'Deleted public/draft.txt'));
  await page.getByRole('button', { name: 'Download public/draft.txt' }).waitFor({ state: 'detached', timeout: 20000 });
  assert.deepEqual(await page.getByTestId('files').locator('li').allTextContents(), ['notes.txt (15 bytes) Download Delete']);
  await shot(page, 'admin-deleted');
  passed += 1;

  // The admin group's role may POST and GET /items; the items service learns who added it.
  await addItem(page, 'lamp');
  console.log(await itemsStatus(page, 'Added lamp (by someadminuser)'));
  await page.getByRole('button', { name: 'List items' }).click();
  console.log(await itemsStatus(page, 'Items: lamp'));
  await shot(page, 'admin-items');
  passed += 1;

  // awesomeeditor, now in editors, has the editors' role: read only.
  await signOut(page);
  await signIn(page, 'awesomeeditor');
  assert.equal(await download(page, 'notes.txt'), 'meeting at noon');
  await upload(page, 'edit.txt', 'an editor wrote this');
  const refusal = await filesStatus(page, 'Error: AccessDenied');
  console.log(refusal);
  await shot(page, 'editor-refused-upload');
  assert.deepEqual(await page.getByTestId('files').locator('li').allTextContents(), ['notes.txt (15 bytes) Download Delete']);
  passed += 1;
  // The editors' role may GET /items, not POST: the gateway's 403.
  await page.getByRole('button', { name: 'List items' }).click();
  console.log(await itemsStatus(page, 'Items: lamp'));
  await addItem(page, 'pencil');
  const denied = await itemsStatus(page, 'Error: AccessDeniedException');
  assert.match(denied, /is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:.*\/dev\/POST\/items/);
  console.log(denied);
  await shot(page, 'editor-refused-item');
  passed += 1;

  await signOut(page);
  await signIn(page, 'plainuser');
  await page.getByRole('button', { name: 'Add to Group' }).click();
  console.log(await resultText(page, 'User does not have permissions to perform administrative tasks'));
  await shot(page, 'refused-outside-admin');
  passed += 1;

  // A guest (the identity pool's guest role) reads the public files without signing in.
  await signOut(page);
  await page.getByRole('link', { name: 'Browse the public files without signing in' }).click();
  await page.getByText('Hello guest').waitFor({ timeout: 20000 });
  assert.equal(await download(page, 'notes.txt'), 'meeting at noon');
  console.log(await filesStatus(page, 'Downloaded public/notes.txt (15 bytes)'));
  assert.equal(await page.getByLabel('Upload a file').count(), 0, 'a guest is offered no upload');
  await shot(page, 'guest-downloaded');
  passed += 1;
  // Guests may not call /items at all.
  await page.getByRole('button', { name: 'List items' }).click();
  console.log(await itemsStatus(page, 'Error: AccessDeniedException'));
  await shot(page, 'guest-refused-items');
  passed += 1;
} finally {
  console.log(`browser test: ${passed} passed, ${passed === 9 ? 0 : 1} failed`);
  await browser.close();
}
