#!/usr/bin/env bash
# The README's five-minute tour, run as written with the AWS CLI against a fresh server.
# Usage: tests/tour.sh [path/to/cognate]   (default: target/debug/cognate)
set -euo pipefail

bin=$(realpath "${1:-target/debug/cognate}")
work=$(mktemp -d)
port=${TOUR_PORT:-19230}
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

"$bin" serve --listen "127.0.0.1:$port" >serve.out 2>serve.log &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
cat serve.out

step() { printf '\n$ %s\n' "$*" >&2; "$@"; }

export AWS_SHARED_CREDENTIALS_FILE=$PWD/cognate-data/credentials AWS_PROFILE=cognate AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port

POOL=$(aws cognito-idp create-user-pool --pool-name demo --auto-verified-attributes email \
  --query UserPool.Id --output text)
CLIENT=$(aws cognito-idp create-user-pool-client --user-pool-id "$POOL" --client-name web \
  --explicit-auth-flows ALLOW_USER_PASSWORD_AUTH ALLOW_REFRESH_TOKEN_AUTH \
  --query UserPoolClient.ClientId --output text)
echo "pool $POOL, client $CLIENT"

step aws cognito-idp sign-up --client-id "$CLIENT" --username alice --password 'Passw0rd!' \
  --user-attributes Name=email,Value=alice@example.com
step "$bin" outbox --limit 1
CODE=$("$bin" outbox --limit 1 | grep -o '[0-9]\{6\}')
step aws cognito-idp confirm-sign-up --client-id "$CLIENT" --username alice --confirmation-code "$CODE"

TOKEN=$(aws cognito-idp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters USERNAME=alice,PASSWORD='Passw0rd!' \
  --query AuthenticationResult.AccessToken --output text)
step aws cognito-idp get-user --access-token "$TOKEN"
step aws cognito-idp list-users --user-pool-id "$POOL" --filter 'email ^= "ali"' --query 'Users[].Username'
for g in admin:1 editors:2; do
  step aws cognito-idp create-group --user-pool-id "$POOL" --group-name "${g%:*}" --precedence "${g#*:}" \
    --role-arn "arn:aws:iam::000000000000:role/$POOL-${g%:*}GroupRole"
  step aws cognito-idp admin-add-user-to-group --user-pool-id "$POOL" --username alice --group-name "${g%:*}"
done
ID_TOKEN=$(aws cognito-idp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters USERNAME=alice,PASSWORD='Passw0rd!' \
  --query AuthenticationResult.IdToken --output text)
claims() { python3 -c 'import sys, json, base64; p = sys.argv[1].split(".")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(p + "==")), indent=2))' "$1"; }
printf '\n$ claims "$ID_TOKEN"\n'; claims "$ID_TOKEN" | tee claims.json
python3 - "$POOL" <<'PY'
import json, sys
pool = sys.argv[1]
c = json.load(open("claims.json"))
assert c["cognito:groups"] == ["admin", "editors"], c
assert c["cognito:preferred_role"] == f"arn:aws:iam::000000000000:role/{pool}-adminGroupRole", c
PY
# Admin Queries: an API for members of admin, created through the signed management API.
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

step aws cognito-idp admin-disable-user --user-pool-id "$POOL" --username alice
if aws cognito-idp initiate-auth --client-id "$CLIENT" --auth-flow USER_PASSWORD_AUTH \
  --auth-parameters USERNAME=alice,PASSWORD='Passw0rd!' 2>err.txt; then
  echo "a disabled user signed in" >&2
  exit 1
fi
cat err.txt
grep -q "User is disabled." err.txt
step curl -s "$AWS_ENDPOINT_URL/$POOL/.well-known/openid-configuration"
echo
step "$bin" audit --pool "$POOL" --limit 3 | tee audit.txt
grep -q "root from 127.0.0.1 AdminDisableUser user:alice" audit.txt
grep -q "admin-queries:alice from 127.0.0.1 AdminAddUserToGroup user:awesomeeditor" audit.txt
step "$bin" rotate-keys --pool "$POOL"
python3 - "$AWS_ENDPOINT_URL/$POOL/.well-known/jwks.json" <<'PY'
import json, sys, urllib.request
keys = json.load(urllib.request.urlopen(sys.argv[1]))["keys"]
assert len(keys) == 4, keys  # the new keys beside the old, which still verify tokens already out
PY
echo "tour: ok"
