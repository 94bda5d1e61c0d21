#!/usr/bin/env bash
# The README's five-minute tour, taken from README.md and run as written with the AWS CLI against
# a fresh server on a free port; then what it printed is checked, and Admin Queries and key
# rotation are exercised on the pool it made.
# Usage: tests/tour.sh [path/to/cognate]   (default: target/debug/cognate)
set -euo pipefail

readme=$(realpath "$(dirname "$0")/../README.md")
bin=$(realpath "${1:-target/debug/cognate}")
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"

fail() {
  echo "tour: $*" >&2
  [ -f serve.log ] && { echo "-- server log:" >&2; tail -n 20 serve.log >&2; }
  exit 1
}

# A port nobody listens on, so that the tour cannot talk to some other server.
port=${TOUR_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
"$bin" serve --listen "127.0.0.1:$port" --https-listen 127.0.0.1:0 >serve.out 2>serve.log &
server=$!
for _ in $(seq 100); do
  grep -q "cognate is listening on http://127.0.0.1:$port" serve.out 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || fail "the server did not start on port $port"
  sleep 0.1
done
grep -q "cognate is listening on http://127.0.0.1:$port" serve.out || fail "the server did not say it listens on port $port"
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "the server on port $port does not answer /healthz"
cat serve.out

# The tour's commands, as the README writes them. `cargo run --release --bin cognate -- ARGS` is
# the binary under test.
tour=$(awk '/^## A five-minute tour/ { section = 1 } section && /^```sh/ { block = 1; next } block && /^```/ { exit } block { print }' "$readme")
[ -n "$tour" ] || fail "no tour block in $readme"
tour=${tour//127.0.0.1:9230/127.0.0.1:$port}
cargo() {
  [ "$1 $2 $3 $4 $5" = "run --release --bin cognate --" ] || fail "the tour runs cargo as: cargo $*"
  shift 5
  "$bin" "$@"
}

echo "== the README's tour"
eval "$tour" >tour.out 2>&1 || { cat tour.out; fail "a command of the tour failed"; }
cat tour.out
grep -q '"cognito:preferred_role": "arn:aws:iam::000000000000:role/'"$POOL"'-adminGroupRole"' tour.out ||
  fail "the ID token does not prefer the admin role"
grep -q 'User is disabled.' tour.out || fail "a disabled user was not refused"
grep -q '"issuer":"http://127.0.0.1:'"$port/$POOL"'"' tour.out || fail "no OpenID configuration"
grep -q "root from 127.0.0.1 AdminDisableUser user:alice" tour.out || fail "the audit log lacks the disable"
python3 - "$ID_TOKEN" <<'PY'
import base64, json, sys
claims = json.loads(base64.urlsafe_b64decode(sys.argv[1].split(".")[1] + "=="))
assert claims["cognito:groups"] == ["admin", "editors"], claims
PY

step() { printf '\n$ %s\n' "$*" >&2; "$@"; }

echo "== Admin Queries on the tour's pool"
aws cognito-idp admin-enable-user --user-pool-id "$POOL" --username alice
AKID=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$AWS_SHARED_CREDENTIALS_FILE")
SECRET=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$AWS_SHARED_CREDENTIALS_FILE")
ADMIN_QUERIES=$(curl -sf --aws-sigv4 "aws:amz:us-east-1:cognate" --user "$AKID:$SECRET" \
  -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: CognateManagementService.CreateAdminQueriesApi' \
  -d "{\"UserPoolId\": \"$POOL\", \"AllowedGroups\": [\"admin\"]}" "$AWS_ENDPOINT_URL/" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["AdminQueriesApi"]["Endpoint"])')
echo "Admin Queries endpoint: $ADMIN_QUERIES"
aws cognito-idp admin-create-user --user-pool-id "$POOL" --username awesomeeditor --message-action SUPPRESS >/dev/null
ACCESS=$(aws cognito-idp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters USERNAME=alice,PASSWORD='Passw0rd!' \
  --query AuthenticationResult.AccessToken --output text)
step curl -sf -X POST "$ADMIN_QUERIES/addUserToGroup" -H "Authorization: $ACCESS" \
  -H 'Content-Type: application/json' -d '{"username": "awesomeeditor", "groupname": "editors"}'
echo
step curl -sf "$ADMIN_QUERIES/listUsersInGroup?groupname=editors&limit=10" -H "Authorization: $ACCESS" | tee members.json
echo
python3 -c 'import json; users = json.load(open("members.json"))["Users"]; assert [u["Username"] for u in users] == ["alice", "awesomeeditor"], users'
step "$bin" audit --pool "$POOL" --limit 3 | tee audit.txt
grep -q "admin-queries:alice from 127.0.0.1 AdminAddUserToGroup user:awesomeeditor" audit.txt

echo "== key rotation"
step "$bin" rotate-keys --pool "$POOL"
python3 - "$AWS_ENDPOINT_URL/$POOL/.well-known/jwks.json" <<'PY'
import json, sys, urllib.request
keys = json.load(urllib.request.urlopen(sys.argv[1]))["keys"]
assert len(keys) == 4, keys  # the new keys beside the old, which still verify tokens already out
PY
echo "== group permissions (the README's second block)"
permissions=$(awk '/^## Group permissions/ { section = 1 } section && /^```sh/ { block = 1; next } block && /^```/ { exit } block { print }' "$readme")
[ -n "$permissions" ] || fail "no group permissions block in $readme"
permissions=${permissions//127.0.0.1:9230/127.0.0.1:$port}
eval "$permissions" >permissions.out 2>&1 || { cat permissions.out; fail "a command of the group permissions block failed"; }
cat permissions.out
grep -q "assumed-role/$POOL-adminGroupRole/CognitoIdentityCredentials$" permissions.out || fail "alice did not get the admin group's role"
grep -q "assumed-role/$POOL-unauthRole/CognitoIdentityCredentials$" permissions.out || fail "the guest did not get the unauth role"
grep -q "not authorized to perform: cognito-idp:AdminDeleteUser on resource: arn:aws:cognito-idp:us-east-1:000000000000:userpool/$POOL" permissions.out ||
  fail "the admin role was allowed to delete a user"
grep -q "DENIED (no statement allows it) for role $POOL-adminGroupRole" permissions.out || fail "policy explain did not explain the denial"
grep -qP "cognito-idp:AdminGetUser\tallowed" permissions.out || fail "the simulator did not allow AdminGetUser"
grep -qP "cognito-idp:AdminDeleteUser\timplicitDeny" permissions.out || fail "the simulator did not deny AdminDeleteUser"

echo "== storage (the README's third block)"
storage=$(awk '/^## Storage: S3/ { section = 1 } section && /^```sh/ { block = 1; next } block && /^```/ { exit } block { print }' "$readme")
[ -n "$storage" ] || fail "no storage block in $readme"
storage=${storage//127.0.0.1:9230/127.0.0.1:$port}
eval "$storage" >storage.out 2>&1 || { cat storage.out; fail "a command of the storage block failed"; }
cat storage.out
grep -q "upload: ./hello.txt to s3://demo-files/public/hello.txt" storage.out || fail "alice could not upload"
grep -q "hello.txt" storage.out || fail "the listing does not show the file"
[ "$(grep -c '^hello from alice$' storage.out)" = 2 ] || fail "the download and the presigned URL did not both return the file"
grep -q "(403) when calling the HeadObject operation: Forbidden" storage.out || fail "the guest was not denied"
grep -q "delete: s3://demo-files/public/hello.txt" storage.out || fail "alice could not delete"
echo "tour: ok"
