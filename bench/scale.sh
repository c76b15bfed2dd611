#!/usr/bin/env bash
# How test evaluation grows with rules x tests (not part of CI). Three synthetic repositories
# whose rules x tests product grows 10x and then 100x.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=${GEN_REPO:-bench/gen_repo.py}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cargo bench -q --bench pipeline --no-run 2>/dev/null
run() { # name grants tags tests
  python3 "$gen" "$tmp/$1" --users 2000 --tags "$3" --grants "$2" --tests "$4"
  echo "== $1: $2 grant files, $3 tags, $4 tests requested"
  cargo bench -q --bench pipeline -- "$tmp/$1" --at 2026-11-22T12:00:00Z | grep -E 'files|tests in force|tests only|read\+parse|check \('
}
run x1 1000 300 300
run x10 10000 300 300
run x100 10000 3000 3000
