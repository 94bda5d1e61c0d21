#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 20) on its corpus in fuzz/corpus/<target>, which
# grows with what the fuzzer finds. Needs the nightly toolchain; installs cargo-fuzz if missing.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# A crash (a panic, a failed assertion, a 500 from the server) stops the run with the fuzzer's
# report; the input that caused it is saved in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aws_json list_users_filter sigv4 jwt srp policy s3)
command -v cargo-fuzz >/dev/null || cargo install --quiet --locked cargo-fuzz
# Kept apart from the workspace's target directory: these builds are instrumented.
fuzz=(cargo +nightly fuzz)
options=(--sanitizer none --target-dir "${FUZZ_TARGET_DIR:-$HOME/.cache/cognate-fuzz-target}")
"${fuzz[@]}" build "${options[@]}"
log=$(mktemp)
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "== fuzzing $target for ${seconds}s"
  if ! "${fuzz[@]}" run "${options[@]}" "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz target $target failed"
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^Done" "$log" || true
done
echo "fuzz targets: ${#targets[@]} passed"
