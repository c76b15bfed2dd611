#!/usr/bin/env bash
# Installs the tailgrant binary for the GitHub Action (action.yml), from this checkout of the
# action: the released archive of the version in its Cargo.toml, verified against the sha256
# table committed next to this script (ci/release-checksums.txt), or, when that version has no
# release for this source, a build from source. Nothing is trusted that the table does not vouch
# for: a download whose checksum differs is refused, never installed and never "fixed" by a build.
#
#   install-tailgrant.sh plan     print version=, target=, archive=, digest=, mode= (release|build)
#   install-tailgrant.sh digest   print the source digest (what the release workflow records)
#   install-tailgrant.sh install  install; print the binary's path (also bin= in $GITHUB_OUTPUT)
#
# Environment:
#   TAILGRANT_ACTION_PATH     the action's checkout [the directory above this script]
#   TAILGRANT_RELEASE_REPO    OWNER/NAME whose GitHub releases hold the archives (the action
#                             passes github.action_repository); empty: build from source
#   TAILGRANT_INSTALL_DIR     where the binary goes [$RUNNER_TEMP/tailgrant-bin]
#   TAILGRANT_DOWNLOAD_BASE   testing only: a loopback http(s) URL served instead of
#                             https://github.com/OWNER/NAME/releases/download/vX.Y.Z; any other
#                             value is refused
#   TAILGRANT_BUILD_COMMAND   testing only: a bash command run instead of cargo to build; it must
#                             write the binary to $TAILGRANT_BUILD_OUT
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${TAILGRANT_ACTION_PATH:-$(dirname "$here")}"
table="$root/ci/release-checksums.txt"

log() { printf '%s\n' "$*" >&2; }
# Workflow commands only mean something on GitHub; elsewhere the text is enough.
annotate() {
  local kind="$1"; shift
  if [ "${GITHUB_ACTIONS:-}" = true ]; then log "::$kind::$*"; else log "$kind: $*"; fi
}
die() { annotate error "$*"; exit 1; }

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# The version the action's own source declares: the first `version` of Cargo.toml's [package].
version() {
  local v
  v="$(awk '/^\[/ { p = ($0 == "[package]") } p && /^version *=/ { gsub(/.*= *"|".*/, ""); print; exit }' "$root/Cargo.toml")"
  [ -n "$v" ] || die "no [package] version in $root/Cargo.toml"
  printf '%s\n' "$v"
}

# The release target for this runner; the names match .github/workflows/release.yml.
target() {
  local os arch
  os="$(uname -s)"; arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) log "no release for the processor $arch"; return 1 ;;
  esac
  case "$os" in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN*)
      [ "$arch" = x86_64 ] || { log "no Windows release for $arch"; return 1; }
      echo "x86_64-pc-windows-msvc" ;;
    *) log "no release for the system $os"; return 1 ;;
  esac
}

exe_suffix() { case "$1" in *windows*) echo .exe ;; esac; }
archive_name() {
  case "$2" in
    *windows*) echo "tailgrant-v$1-$2.zip" ;;
    *) echo "tailgrant-v$1-$2.tar.gz" ;;
  esac
}

# SHA-256 over the files the binary is built from (name and content of each, in byte order of
# the paths), so a checkout whose source differs from the release's never gets the release's
# binary, even when Cargo.toml still says the same version.
source_digest() {
  (
    cd "$root"
    find Cargo.toml Cargo.lock src -type f -print | LC_ALL=C sort | while IFS= read -r f; do sha256 "$f"; done |
      sha256 | cut -d' ' -f1
  )
}

# The checksum the table records for NAME: exactly one well-formed entry, or nothing.
table_entry() {
  [ -f "$table" ] || return 0
  local h
  h="$(awk -v n="$1" '!/^#/ && $2 == n { c++; h = $1 } END { if (c > 1) exit 3; if (c) print h }' "$table")" ||
    die "$table lists $1 more than once"
  if [ -n "$h" ] && ! [[ "$h" =~ ^[0-9a-f]{64}$ ]]; then
    die "$table: the checksum of $1 is not 64 lowercase hex digits"
  fi
  printf '%s' "$h"
}

# Decides between the release and a build, and why. Sets: ver tgt archive digest mode reason.
plan() {
  ver="$(version)"
  digest="$(source_digest)"
  if ! tgt="$(target)"; then
    tgt=""; archive=""; mode=build; reason="this runner has no release build"
    return
  fi
  archive="$(archive_name "$ver" "$tgt")"
  local want_source want_archive
  want_source="$(table_entry "source-v$ver")"
  want_archive="$(table_entry "$archive")"
  if [ -z "$want_archive" ]; then
    mode=build; reason="tailgrant $ver has no release for $tgt in ci/release-checksums.txt (a development version, or not released yet)"
  elif [ "$want_source" != "$digest" ]; then
    mode=build; reason="this source is not the source of release v$ver (source digest $digest, the release's is ${want_source:-not recorded})"
  else
    mode=release; reason="release v$ver for $tgt, verified against ci/release-checksums.txt"
  fi
}

# Sets `base`, where the release's archives are; fails when the action's repository is unknown.
download_base() {
  local over="${TAILGRANT_DOWNLOAD_BASE:-}"
  if [ -n "$over" ]; then
    base="${over%/}"
    return
  fi
  [ -n "${TAILGRANT_RELEASE_REPO:-}" ] || return 1
  base="https://github.com/$TAILGRANT_RELEASE_REPO/releases/download/v$ver"
}

# Refuses, before anything runs, settings that would fetch from somewhere unexpected.
check_settings() {
  local over="${TAILGRANT_DOWNLOAD_BASE:-}"
  # The override exists for tests against a local server; the table still decides what is
  # installed, and downloads otherwise come only from the action's own GitHub releases.
  if [ -n "$over" ] && ! [[ "$over" =~ ^https?://(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost|\[::1\])(:[0-9]+)?(/.*)?$ ]]; then
    die "TAILGRANT_DOWNLOAD_BASE must be a loopback URL (it exists for tests); got $over"
  fi
  if [ -n "${TAILGRANT_RELEASE_REPO:-}" ] && ! [[ "$TAILGRANT_RELEASE_REPO" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    die "TAILGRANT_RELEASE_REPO is not OWNER/NAME: $TAILGRANT_RELEASE_REPO"
  fi
}

# Checks that BIN runs and is the version the action declares.
check_binary() {
  local out
  out="$("$1" --version 2>&1)" || die "$1 does not run: $out"
  [ "$out" = "tailgrant $ver" ] || die "$1 reports \"$out\", expected \"tailgrant $ver\""
}

# Fetches, verifies and unpacks the release into $dest. Returns 1 (after saying why) when the
# release cannot be had, so the caller builds instead; exits on a checksum mismatch.
install_release() {
  local url tmp code got want
  want="$(table_entry "$archive")"
  if ! download_base; then
    reason="the action's repository is unknown (a local action?)"
    annotate notice "$reason: building from source"
    return 1
  fi
  url="$base/$archive"
  tmp="$(mktemp -d)"
  local proto='=https'
  [ -z "${TAILGRANT_DOWNLOAD_BASE:-}" ] || proto='=http,https'
  code="$(curl --silent --show-error --location --proto "$proto" --proto-redir '=https' --retry 3 \
    --retry-connrefused --connect-timeout 20 --max-time 300 --output "$tmp/$archive" \
    --write-out '%{http_code}' "$url")" || code="failed"
  if [ "$code" != 200 ]; then
    rm -rf "$tmp"
    reason="no release archive at $url (HTTP $code)"
    annotate warning "$reason: building from source instead"
    return 1
  fi
  got="$(sha256 "$tmp/$archive" | cut -d' ' -f1)"
  if [ "$got" != "$want" ]; then
    rm -rf "$tmp"
    die "checksum mismatch for $archive from $url: expected $want (ci/release-checksums.txt), got $got; refusing to install it"
  fi
  mkdir -p "$tmp/x"
  case "$archive" in
    *.zip)
      if command -v unzip >/dev/null; then
        unzip -q "$tmp/$archive" -d "$tmp/x"
      else
        powershell -NoProfile -Command "Expand-Archive -LiteralPath '$tmp/$archive' -DestinationPath '$tmp/x'"
      fi ;;
    *) tar -xzf "$tmp/$archive" -C "$tmp/x" ;;
  esac
  local bin
  bin="tailgrant$(exe_suffix "$tgt")"
  [ -f "$tmp/x/$bin" ] || die "$archive has no $bin at its top level"
  mkdir -p "$dest"
  mv -f "$tmp/x/$bin" "$dest/$bin"
  chmod +x "$dest/$bin"
  rm -rf "$tmp"
  log "installed $archive (sha256 $got) into $dest"
}

build_from_source() {
  local bin stamp="$dest/source-digest"
  bin="$dest/tailgrant$(exe_suffix "${tgt:-}")"
  # A binary restored from the action's cache is reused only if it was built from this source.
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ]; then
    log "using the build of this source from the cache ($digest)"
    return
  fi
  annotate notice "building tailgrant $ver from source (no verified release for this source: $reason); this takes a few minutes, later runs of the same source use the cache"
  mkdir -p "$dest"
  rm -f "$stamp"
  if [ -n "${TAILGRANT_BUILD_COMMAND:-}" ]; then
    TAILGRANT_BUILD_OUT="$bin" bash -c "$TAILGRANT_BUILD_COMMAND"
  else
    command -v cargo >/dev/null || die "building from source needs a Rust toolchain (cargo) on the runner"
    cargo build --release --locked --manifest-path "$root/Cargo.toml" --target-dir "$root/target" --bin tailgrant
    cp "$root/target/release/$(basename "$bin")" "$bin"
  fi
  [ -f "$bin" ] || die "the build did not produce $bin"
  printf '%s\n' "$digest" >"$stamp"
}

main() {
  local cmd="${1:-install}"
  case "$cmd" in
    digest) source_digest ;;
    plan)
      plan
      log "$reason"
      printf 'version=%s\ntarget=%s\narchive=%s\ndigest=%s\nmode=%s\n' "$ver" "$tgt" "$archive" "$digest" "$mode"
      ;;
    install)
      check_settings
      plan
      dest="${TAILGRANT_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tailgrant-bin}"
      if [ "$mode" != release ] || ! install_release; then build_from_source; fi
      local bin
      bin="$dest/tailgrant$(exe_suffix "${tgt:-}")"
      check_binary "$bin"
      if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "bin=$bin" >>"$GITHUB_OUTPUT"; fi
      printf '%s\n' "$bin"
      ;;
    *) log "usage: $0 [plan|digest|install]"; exit 2 ;;
  esac
}

# Sourced (ci/package-release.sh does, for the archive names), it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
