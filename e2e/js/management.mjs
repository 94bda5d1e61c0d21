// cognate's management API (CognateManagementService.*), signed with SigV4 by the AWS SDK's own
// signer, as `cognate push` does.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

import { endpoint } from './helpers.mjs';

const signer = new SignatureV4({
  service: 'cognate',
  region: 'us-east-1',
  sha256: Sha256,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
});

export async function manage(operation, input) {
  const url = new URL(endpoint);
  const request = {
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: {
      host: url.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `CognateManagementService.${operation}`,
    },
    body: JSON.stringify(input),
  };
  const signed = await signer.sign(request);
  const response = await fetch(`${endpoint}/`, { method: 'POST', headers: signed.headers, body: request.body });
  const body = await response.json();
  if (!response.ok) throw new Error(`${operation}: ${body.__type}: ${body.message}`);
  return body;
}

export async function createAdminQueriesApi(pool, allowedGroups) {
  return (await manage('CreateAdminQueriesApi', { UserPoolId: pool, AllowedGroups: allowedGroups })).AdminQueriesApi;
}

const s3Signer = new SignatureV4({
  service: 's3',
  region: 'us-east-1',
  sha256: Sha256,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
});

/** One path-style S3 request signed with the root credentials; the response. */
export async function rootS3(method, path, body = '') {
  const url = new URL(endpoint);
  const [pathname, query] = path.split('?');
  const request = {
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: pathname,
    query: Object.fromEntries(new URLSearchParams(query ?? '')),
    headers: { host: url.host },
    body,
  };
  const signed = await s3Signer.sign(request);
  const response = await fetch(`${endpoint}${path}`, { method, headers: signed.headers, body: body || undefined });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}
