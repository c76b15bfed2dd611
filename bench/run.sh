#!/usr/bin/env bash
# Benchmarks of the offline pipeline on synthetic repositories, and of posture mode's apply
# against the simulator (not part of CI).
#   bench/run.sh [GRANTS...]      default: 1000 10000 50000
# Needs python3; generates with bench/gen_repo.py (or GEN_REPO=path). Prints stage timings,
# the render/read+parse ratio, peak memory of `tailgrant check`, `check` on the example, and the
# requests, time and concurrency of posture mode's applies (benches/posture.rs; it exits 1 when a
# no-change apply is not O(1) or a reconcile reads a device twice or too many at once).
set -euo pipefail
cd "$(dirname "$0")/.."
gen=${GEN_REPO:-bench/gen_repo.py}
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
cargo build --release -q
cargo bench -q --bench pipeline --no-run 2>/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for n in "${sizes[@]}"; do
  echo "== $n grant files"
  python3 "$gen" "$tmp/r$n" --users 2000 --tags 300 --grants "$n" --tests 5000
  cargo bench -q --bench pipeline -- "$tmp/r$n" --at 2026-11-22T12:00:00Z
  /usr/bin/time -f "tailgrant check: %e s wall, peak RSS %M KB" \
    target/release/tailgrant check --dir "$tmp/r$n" --at 2026-11-22T12:00:00Z --format json >/dev/null
done
echo "== example policies/ (check, 50 runs)"
start=$(date +%s%N)
for _ in $(seq 50); do target/release/tailgrant check --at 2026-11-23T12:00:00Z >/dev/null; done
end=$(date +%s%N)
awk -v ns=$((end - start)) 'BEGIN { printf "tailgrant check on policies/: %.1f ms per run (process start included)\n", ns / 50 / 1e6 }'
echo "== posture mode: apply against the simulator (2,000 devices, 500 active grant files)"
cargo bench -q --bench posture
