#!/usr/bin/env bash
# Benchmark of `tailgrant audit` on a synthetic history (not part of CI).
#   bench/audit.sh [COMMITS GRANTS]      default: 5000 10000
# Builds the history with bench/gen_history.py (git fast-import), then times the audit in
# each format and with a --dst and a --src filter. The audit spawns three git processes in
# all (rev-parse, one log, one cat-file --batch), whatever the history's length.
set -euo pipefail
cd "$(dirname "$0")/.."
commits=${1:-5000} grants=${2:-10000}
cargo build --release -q
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
start=$(date +%s%N)
python3 bench/gen_history.py "$tmp/h" --commits "$commits" --grants "$grants"
echo "generated in $(( ($(date +%s%N) - start) / 1000000 )) ms"
bin=$PWD/target/release/tailgrant
cd "$tmp/h"
run() {
  /usr/bin/time -f "audit $*: %e s wall, %U s user, peak RSS %M KB" \
    "$bin" audit --dir policies --at 2025-08-01T00:00:00Z "$@" -o "$tmp/out"
}
for f in table json csv markdown html; do run --format "$f"; done
run --format json --dst tag:svc0:5432
run --format json --src user7@example.com
run --format json --since 2025-05-01T00:00:00Z --until 2025-05-31T23:59:59Z --dst tag:svc0
echo "grant files in the last report: $(grep -c '"path"' "$tmp/out")"
