#!/usr/bin/env bash
# Packs a release binary the way ci/install-tailgrant.sh and `cargo binstall` expect it (the
# release workflow runs this for every target):
#   package-release.sh VERSION TARGET BINARY OUTDIR
# writes OUTDIR/tailgrant-vVERSION-TARGET.tar.gz (.zip for Windows) holding the binary and
# README.md at its top level, and next to it ARCHIVE.sha256 ("<hex>  ARCHIVE", as sha256sum
# prints it). `package-release.sh --name VERSION TARGET` only prints the archive's name.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ci/install-tailgrant.sh
. "$here/install-tailgrant.sh"

if [ "${1:-}" = --name ]; then archive_name "$2" "$3"; exit 0; fi
[ $# -eq 4 ] || { echo "usage: $0 VERSION TARGET BINARY OUTDIR | --name VERSION TARGET" >&2; exit 2; }
version="$1" target="$2" binary="$3" out="$4"
archive="$(archive_name "$version" "$target")"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
bin="tailgrant$(exe_suffix "$target")"
cp "$binary" "$stage/$bin"
cp "$here/../README.md" "$stage/README.md"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
case "$archive" in
  *.zip)
    if command -v 7z >/dev/null; then
      (cd "$stage" && 7z a -tzip -bd "$out/$archive" "$bin" README.md >/dev/null)
    else
      (cd "$stage" && zip -q "$out/$archive" "$bin" README.md)
    fi ;;
  *) tar -czf "$out/$archive" -C "$stage" "$bin" README.md ;;
esac
(cd "$out" && sha256 "$archive" >"$archive.sha256")
cat "$out/$archive.sha256"
