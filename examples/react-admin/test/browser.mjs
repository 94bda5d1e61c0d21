// Drives the built app in Debian's Chromium (playwright-core, no browser download): an admin signs
// in through the Authenticator (SRP), adds awesomeeditor to editors and lists the editors; a user
// outside admin gets the 403 message. Screenshots of each step go to test/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

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

try {
  const page = await browser.newPage();
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

  // Signing out revokes the tokens; the Authenticator shows its form again when that is done.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Username').waitFor({ timeout: 20000 });
  await signIn(page, 'plainuser');
  await page.getByRole('button', { name: 'Add to Group' }).click();
  console.log(await resultText(page, 'User does not have permissions to perform administrative tasks'));
  await shot(page, 'refused-outside-admin');
  console.log('browser test: 3 passed, 0 failed');
} finally {
  await browser.close();
}
