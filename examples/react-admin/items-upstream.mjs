// The demo's /items service: what an Amplify app would put in a Lambda function, here a plain
// Node server behind cognate's REST gateway. It trusts a call only when the gateway's
// X-Cognate-Caller token verifies against the API's published key (jose), and then knows who
// calls: their username and groups. Who may call at all is the gateway's decision (the groups'
// execute-api:Invoke policies); this service only keeps the items.
//   ITEMS_PORT=19602 CONFIG=src/amplify-config.json node items-upstream.mjs
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { createRemoteJWKSet, jwtVerify } from 'jose';

const port = Number(process.env.ITEMS_PORT ?? 19602);
const items = [];
let trust;

/** The API's issuer, audience and keys, from the config `cognate push` wrote (read on first use:
 * the service starts before the push that makes the API). */
function verifier() {
  if (!trust) {
    const config = JSON.parse(readFileSync(process.env.CONFIG, 'utf8'));
    const stage = new URL(config.API.REST.itemsApi.endpoint);
    const issuer = stage.href.replace(/\/[^/]+\/?$/, '');
    const audience = issuer.split('/').pop();
    trust = { issuer, audience, keys: createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)) };
  }
  return trust;
}

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const answer = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  let caller;
  try {
    const { issuer, audience, keys } = verifier();
    ({ payload: caller } = await jwtVerify(req.headers['x-cognate-caller'] ?? '', keys, { issuer, audience }));
  } catch (error) {
    return answer(401, { message: 'Unauthorized' });
  }
  if (req.method === 'GET') return answer(200, { items });
  if (req.method === 'POST') {
    const { name } = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    if (!name) return answer(400, { message: 'an item needs a name' });
    items.push({ name, by: caller.username });
    return answer(201, { added: name, by: caller.username });
  }
  return answer(405, { message: `${req.method} is not served` });
}).listen(port, '127.0.0.1', () => console.log(`items service on http://127.0.0.1:${port}`));
