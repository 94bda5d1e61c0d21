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
