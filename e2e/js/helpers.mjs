// Provisioning for the end-to-end tests, through the AWS SDK for JavaScript v3 signed with the
// server's root credentials (COGNATE_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const endpoint = process.env.COGNATE_ENDPOINT;
if (!endpoint) throw new Error('COGNATE_ENDPOINT is not set: run e2e/run.sh');

export const admin = new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1' });

export const PASSWORD = 'Correct-Horse-1';

/** A pool with groups `admin` (precedence 1) and `editors` (2) and a public SRP client. */
export async function provision() {
  const pool = (await admin.send(new CreateUserPoolCommand({ PoolName: 'e2e' }))).UserPool.Id;
  const client = (
    await admin.send(
      new CreateUserPoolClientCommand({
        UserPoolId: pool,
        ClientName: 'web',
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    )
  ).UserPoolClient.ClientId;
  for (const [name, precedence] of [['admin', 1], ['editors', 2]]) {
    await admin.send(
      new CreateGroupCommand({
        UserPoolId: pool,
        GroupName: name,
        Precedence: precedence,
        RoleArn: `arn:aws:iam::000000000000:role/${pool}-${name}GroupRole`,
      }),
    );
  }
  return { pool, client };
}

/** A user with a permanent password, in `groups`. */
export async function user(pool, username, groups = []) {
  await admin.send(
    new AdminCreateUserCommand({
      UserPoolId: pool,
      Username: username,
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }],
    }),
  );
  await admin.send(
    new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: username, Password: PASSWORD, Permanent: true }),
  );
  for (const group of groups) {
    await admin.send(new AdminAddUserToGroupCommand({ UserPoolId: pool, Username: username, GroupName: group }));
  }
}

/** A user who must choose a new password at first sign-in. */
export async function newUser(pool, username, temporaryPassword) {
  await admin.send(
    new AdminCreateUserCommand({
      UserPoolId: pool,
      Username: username,
      MessageAction: 'SUPPRESS',
      TemporaryPassword: temporaryPassword,
    }),
  );
}

export function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

/**
 * A new project directory (`cognate-<name>-…` in the temporary directory) and a function that
 * runs the cognate toolchain in it, with its own COGNATE_HOME and no AWS keys from the caller's
 * environment, answering with what it printed.
 */
export function newProject(name) {
  const dir = mkdtempSync(join(tmpdir(), `cognate-${name}-`));
  const home = mkdtempSync(join(tmpdir(), 'cognate-home-'));
  const run = (...args) =>
    execFileSync(process.env.COGNATE_BIN, args, {
      cwd: dir,
      env: { ...process.env, COGNATE_HOME: home, COGNATE_LOG: 'warn', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
      encoding: 'utf8',
    });
  return { dir, run };
}

/**
 * Makes any request to an AWS host fail the test (aws-amplify must reach cognate only), and
 * tells `seen` each URL requested.
 */
export function refuseAws(seen = () => {}) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    seen(url);
    if (url.hostname.endsWith('amazonaws.com')) throw new Error(`aws-amplify reached AWS: ${url}`);
    return realFetch(input, init);
  };
}
