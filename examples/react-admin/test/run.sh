#!/usr/bin/env bash
# The groups demo end to end: start cognate, build the backend with the toolchain (flags only:
# auth with groups, Admin Queries, storage, the /items REST API), start the items service, create the users, build the app, serve it on
# loopback and drive it in headless Chromium.
# Usage: examples/react-admin/test/run.sh [path/to/cognate]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "This test drives Debian's Chromium, and $CHROMIUM is missing. Install it with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
  echo "or point CHROMIUM at a Chromium binary." >&2
  exit 1
fi
bin=$(realpath "${1:-target/debug/cognate}")
port=${DEMO_PORT:-19600}
app_port=${DEMO_APP_PORT:-19601}
items_port=${DEMO_ITEMS_PORT:-19602}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

echo "== cognate on $port"
"$bin" serve --listen "127.0.0.1:$port" --https-listen 127.0.0.1:0 --data-dir "$work/data" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

echo "== the /items service on $items_port (the API's upstream)"
app=$work/app
ITEMS_PORT=$items_port CONFIG="$app/src/amplify-config.json" node "$here/items-upstream.mjs" >"$work/items.log" 2>&1 &
pids+=($!)

echo "== the backend, made by the toolchain"
mkdir -p "$app"
cp -r "$here/index.html" "$here/vite.config.js" "$here/package.json" "$here/src" "$app/"
ln -s "$here/node_modules" "$app/node_modules"
export COGNATE_HOME=$work/home
(
  cd "$app"
  "$bin" init --project-name groupsdemo --env-name dev --source-dir src --build-dir dist \
    --endpoint "http://127.0.0.1:$port" --credentials-file "$work/data/credentials"
  "$bin" add auth --default --resource-name groupsdemo
  "$bin" update auth --groups admin,editors
  "$bin" update auth --admin-queries-groups admin
  "$bin" add storage --service content --resource-name groupsdemoFiles --bucket-name groupsdemo-files \
    --restrict-access-by both --access auth-and-guest --auth-access read --guest-access read \
    --group-access admin=create/update,read,delete --group-access editors=read --trigger false
  "$bin" add api --service rest --resource-name itemsApi --path /items --upstream "http://127.0.0.1:$items_port" \
    --restrict true --restrict-access-by groups --group-access admin=create,read --group-access editors=read
  "$bin" push --yes
  "$bin" status
)
pool=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Auth"]["Cognito"]["userPoolId"])' "$app/src/amplify-config.json")

echo "== users"
export AWS_ACCESS_KEY_ID=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/data/credentials")
export AWS_SECRET_ACCESS_KEY=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/data/credentials")
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 PASSWORD='Correct-Horse-1'
export COGNATE_ENDPOINT="http://127.0.0.1:$port" POOL_ID=$pool
(cd "$here" && node --input-type=module -e '
import { AdminAddUserToGroupCommand, AdminCreateUserCommand, AdminSetUserPasswordCommand, CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
const c = new CognitoIdentityProviderClient({ endpoint: process.env.COGNATE_ENDPOINT, region: "us-east-1" });
const pool = process.env.POOL_ID;
for (const [user, group] of [["someadminuser", "admin"], ["awesomeeditor", null], ["plainuser", null]]) {
  await c.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: user, MessageAction: "SUPPRESS", UserAttributes: [{ Name: "email", Value: `${user}@example.com` }, { Name: "email_verified", Value: "true" }] }));
  await c.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: user, Password: process.env.PASSWORD, Permanent: true }));
  if (group) await c.send(new AdminAddUserToGroupCommand({ UserPoolId: pool, Username: user, GroupName: group }));
}
console.log("created someadminuser (admin), awesomeeditor, plainuser");
')

echo "== build and serve the app on $app_port"
(cd "$app" && node node_modules/vite/bin/vite.js build --logLevel warn)
(cd "$app" && exec node node_modules/vite/bin/vite.js preview --host 127.0.0.1 --port "$app_port" --strictPort) >"$work/preview.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$app_port/" >/dev/null && break; sleep 0.2; done

echo "== the browser"
APP_URL="http://127.0.0.1:$app_port/" node "$here/test/browser.mjs" || { tail -n 30 "$work/serve.log"; exit 1; }
