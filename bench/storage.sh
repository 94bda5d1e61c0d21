#!/usr/bin/env bash
# The storage scenarios (s3-get-4k, s3-put-4k, s3-put-256m) against cognate (temporary
# credentials, policy checked), moto's S3 and s3s-fs (s3s over a directory, no authorization:
# the protocol layer's ceiling), one after another in one run; the disk's sequential write speed
# measured in the same run; each server's peak resident memory. Prints a markdown section.
#
#   bench/storage.sh [--seconds 10] [--concurrency 16] [--work DIR]
#
# Then a 1 GiB upload to a fresh cognate, streamed and multipart, and its peak memory.
# Installs moto[server] from PyPI and builds s3s-fs 0.14.1 from crates.io into the work directory;
# needs the AWS CLI and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10 concurrency=16 work=
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] || work=$(mktemp -d)
mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

cargo build --release -q -p cognate -p cognate-bench
bin=${CARGO_TARGET_DIR:-target}/release
bench=$bin/cognate-bench
[ -x "$work/moto/bin/moto_server" ] || { python3 -m venv "$work/moto" && "$work/moto/bin/pip" install --quiet --disable-pip-version-check 'moto[server]'; }
[ -x "$work/s3s-fs/bin/s3s-fs" ] || CARGO_TARGET_DIR="$work/s3s-fs-target" cargo install -q s3s-fs@0.14.1 --features binary --locked --root "$work/s3s-fs"
moto_version=$("$work/moto/bin/pip" show moto | awk '/^Version/ {print $2}')

wait_for() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
results=$work/storage.jsonl
: >"$results"

# The disk's sequential write speed, through the page cache to the disk as a PUT's bytes go,
# written for as long as a cell runs and then synced: the figure s3-put-256m is held to. A 1 GiB
# burst (dd's usual measurement) is reported beside it but not compared: on these virtual
# machines it is over in 0.6 s, taken by caches at memory speed (1.8 GB/s against 440-730 MB/s
# sustained on the same machine), which no 10-second cell of 256 MiB PUTs sees.
disk_mbs=$(python3 bench/disk-write.py "$work/disk.bin" --seconds "$seconds")
burst_mbs=$(python3 bench/disk-write.py "$work/disk.bin" --mib 1024)
printf '{"disk_mb_s": %s, "burst_mb_s": %s}\n' "$disk_mbs" "$burst_mbs" >>"$results"

start() {  # name command...: starts a server, records its pid
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
}
rm -rf "$work/cognate-data" "$work/s3s-fs-root"; mkdir -p "$work/s3s-fs-root"
start cognate "$bin/cognate" serve --listen 127.0.0.1:19420 --https-listen off --data-dir "$work/cognate-data" \
  --rate-limit-per-ip 0 --rate-limit-per-user 0 --max-connections-per-address 0
start moto "$work/moto/bin/moto_server" -p 19421
start s3sfs "$work/s3s-fs/bin/s3s-fs" --host 127.0.0.1 --port 19422 --access-key bench --secret-key benchsecret "$work/s3s-fs-root"
wait_for http://127.0.0.1:19420/healthz; wait_for http://127.0.0.1:19421/; wait_for http://127.0.0.1:19422/

key() { awk -F' = ' "/$1/ {print \$2}" "$work/cognate-data/credentials"; }
declare -A endpoint=([cognate]=http://127.0.0.1:19420 [moto]=http://127.0.0.1:19421 [s3s-fs]=http://127.0.0.1:19422)
declare -A akid=([cognate]=$(key aws_access_key_id) [moto]=bench [s3s-fs]=bench)
declare -A secret=([cognate]=$(key aws_secret_access_key) [moto]=bench [s3s-fs]=benchsecret)
declare -A extra=([cognate]= [moto]= [s3s-fs]=--storage-root)
declare -A pidof=([cognate]=$pid_cognate [moto]=$pid_moto [s3s-fs]=$pid_s3sfs)
# The small-object cells run twice: with the load tool's lean SigV4 client (the figures the bars
# are held to; it sends the request the SDK sends, for less of the two shared cores) and, marked
# `:sdk`, through the AWS SDK for Rust.
for cell in s3-get-4k s3-put-4k s3-put-256m s3-get-4k:sdk s3-put-4k:sdk; do
  scenario=${cell%:sdk}
  client=()
  [ "$cell" != "$scenario" ] && client=(--s3-sdk)
  conc=$concurrency
  [ "$scenario" = s3-put-256m ] && conc=2
  for target in cognate moto s3s-fs; do
    echo "== $cell on $target" >&2
    if ! AWS_ACCESS_KEY_ID=${akid[$target]} AWS_SECRET_ACCESS_KEY=${secret[$target]} \
        "$bench" run --endpoint "${endpoint[$target]}" --scenario "$scenario" --seconds "$seconds" \
        --concurrency "$conc" ${extra[$target]} "${client[@]}" --json >"$work/one.json" 2>"$work/one.err"; then
      printf '{"failed": %s}\n' "$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().strip()[-200:]))' "$work/one.err")" >"$work/one.json"
    fi
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/${pidof[$target]}/status")
    python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); r["scenario"] = sys.argv[2]; r["target"] = sys.argv[3]; r["peak_rss_mb"] = int(sys.argv[4]) // 1024; print(json.dumps(r))' \
      "$work/one.json" "$cell" "$target" "$hwm" | tee -a "$results" >&2
  done
done

# A 1 GiB upload to a fresh cognate, as one streamed PUT (a presigned URL, curl) and as the AWS
# CLI's multipart upload (8 MiB parts, ten at a time); the server's peak resident memory after each.
cleanup; pids=()
head -c 1073741824 /dev/urandom >"$work/1g.bin"
rm -rf "$work/cognate-big"
start big "$bin/cognate" serve --listen 127.0.0.1:19423 --https-listen off --data-dir "$work/cognate-big"
wait_for http://127.0.0.1:19423/healthz
(
  export AWS_ACCESS_KEY_ID=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/cognate-big/credentials")
  export AWS_SECRET_ACCESS_KEY=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/cognate-big/credentials")
  export AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url http://127.0.0.1:19423 s3 mb s3://big >/dev/null
  url=$(python3 -c 'import botocore.session; s = botocore.session.get_session().create_client("s3", endpoint_url="http://127.0.0.1:19423", region_name="us-east-1"); print(s.generate_presigned_url("put_object", Params={"Bucket": "big", "Key": "streamed"}, ExpiresIn=900))')
  curl -sf -o /dev/null -T "$work/1g.bin" "$url"
  single=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid_big/status")
  aws --endpoint-url http://127.0.0.1:19423 s3 cp "$work/1g.bin" s3://big/multipart --quiet
  multi=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid_big/status")
  printf '{"gib_streamed_rss_mb": %s, "gib_multipart_rss_mb": %s}\n' "$single" "$multi" >>"$results"
)
rm -f "$work/1g.bin"

python3 - "$results" "$seconds" "$concurrency" "$moto_version" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
disk, burst = next((r["disk_mb_s"], r["burst_mb_s"]) for r in rows if "disk_mb_s" in r)
runs = {(r.get("target"), r.get("scenario")): r for r in rows if "scenario" in r}
def cell(r, mb=0):
    if r is None: return "not run"
    if "failed" in r: return "failed: " + r["failed"].splitlines()[-1][:60].replace("|", "/")
    if not r.get("rate"): return f'all failed: {(r.get("first_error") or "")[:60]}'.replace("|", "/")
    if mb: return f'{r["rate"] * mb:.0f} MB/s, p50 {r["p50_ms"]:.0f} ms, peak RSS {r["peak_rss_mb"]} MB'
    return f'{r["rate"]:.0f}/s, p50 {r["p50_ms"]:.1f} ms, p99 {r["p99_ms"]:.1f} ms'
def ratio(s, peer):
    a, b = runs.get(("cognate", s)), runs.get((peer, s))
    if not a or not b or not a.get("rate") or not b.get("rate"): return "–"
    return f'{a["rate"] / b["rate"]:.2f}×'
print(f"Storage, in one run: {sys.argv[2]} s per cell, {sys.argv[3]} connections (2 for s3-put-256m); moto {sys.argv[4]}, s3s-fs 0.14.1 (no authorization); cognate with a guest's temporary credentials and its role's policy checked on every request.\n")
print("| scenario | cognate | moto | s3s-fs | cognate ÷ moto | cognate ÷ s3s-fs |")
print("|---|---|---|---|---|---|")
for s, mb in [("s3-get-4k", 0), ("s3-put-4k", 0), ("s3-put-256m", 256), ("s3-get-4k:sdk", 0), ("s3-put-4k:sdk", 0)]:
    name = s.replace(":sdk", ", through the AWS SDK for Rust")
    print(f"| {name} | {cell(runs.get(('cognate', s)), mb)} | {cell(runs.get(('moto', s)), mb)} | {cell(runs.get(('s3s-fs', s)), mb)} | {ratio(s, 'moto')} | {ratio(s, 's3s-fs')} |")
gib = next((r for r in rows if "gib_streamed_rss_mb" in r), None)
big = runs.get(("cognate", "s3-put-256m"))
if big and big.get("rate"):
    print(f"\n- s3-put-256m: {big['rate'] * 256:.0f} MB/s against the disk's {disk} MB/s sequential write (1 MiB writes for {sys.argv[2]} s, then fdatasync, same run): **{100 * big['rate'] * 256 / disk:.0f}%** (a 1 GiB burst: {burst} MB/s, {100 * big['rate'] * 256 / burst:.0f}%); cognate's peak resident memory over the whole run {big['peak_rss_mb']} MB.")
if gib:
    print(f"- a 1 GiB upload to a fresh cognate: peak resident memory {gib['gib_streamed_rss_mb']} MB as one streamed PUT (presigned, curl), {gib['gib_multipart_rss_mb']} MB as the AWS CLI's multipart upload (8 MiB parts, ten at a time).")
PY
