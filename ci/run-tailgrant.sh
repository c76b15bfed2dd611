#!/usr/bin/env bash
# Runs tailgrant for the GitHub Action (action.yml): maps the action's inputs, including those of
# tailscale/gitops-acl-action (action, policy-file, api-key, oauth-client-id, oauth-secret,
# audience, tailnet), onto tailgrant's command, directory and environment, then runs it.
#
# Inputs come as environment variables (INPUT_COMMAND, INPUT_ACTION, INPUT_DIR,
# INPUT_POLICY_FILE, INPUT_ARGS, INPUT_TAILNET, INPUT_API_KEY, INPUT_OAUTH_CLIENT_ID,
# INPUT_OAUTH_SECRET, INPUT_AUDIENCE, INPUT_GITHUB_TOKEN) and TAILGRANT_BIN is the binary.
# Secrets stay in the environment: they are exported as TS_* only for the commands that call the
# Tailscale API, the GitHub token as GITHUB_TOKEN only for `approvals`, `request` and `remind`, and never appear on a
# command line. Credentials already in the step's env (TS_API_KEY, ...) are
# left as they are when the matching input is empty.
set -euo pipefail

annotate() {
  local kind="$1"; shift
  if [ "${GITHUB_ACTIONS:-}" = true ]; then printf '::%s::%s\n' "$kind" "$*" >&2; else printf '%s: %s\n' "$kind" "$*" >&2; fi
}
usage_error() { annotate error "$*"; exit 2; }

bin="${TAILGRANT_BIN:?TAILGRANT_BIN must name the tailgrant binary}"

# --- the command: `action` (gitops-acl-action's test/apply) or `command`
command="${INPUT_COMMAND:-}"
mapped=""
case "${INPUT_ACTION:-}" in
  "") ;;
  test) mapped=check ;;
  apply) mapped=apply ;;
  *) usage_error "action must be test or apply (as in tailscale/gitops-acl-action), not \"$INPUT_ACTION\"" ;;
esac
if [ -n "$mapped" ]; then
  if [ -n "$command" ] && [ "$command" != "$mapped" ]; then
    usage_error "action: $INPUT_ACTION runs tailgrant $mapped, but command: $command is set too; set one of them"
  fi
  command="$mapped"
fi
command="${command:-check}"
[[ "$command" =~ ^[a-z]+$ ]] || usage_error "command must be a tailgrant command such as check or apply, not \"$command\""

# --- the policies directory: `policy-file` (gitops-acl-action) or `dir`
strip() { local p="${1%/}"; p="${p#./}"; printf '%s' "${p:-.}"; }
dir="${INPUT_DIR:-}"
if [ -n "${INPUT_POLICY_FILE:-}" ]; then
  policy_dir="$(strip "$(dirname "$INPUT_POLICY_FILE")")"
  policy_name="$(basename "$INPUT_POLICY_FILE")"
  if [ -n "$dir" ] && [ "$(strip "$dir")" != "$policy_dir" ]; then
    usage_error "policy-file $INPUT_POLICY_FILE is not in dir $dir; set one of them"
  fi
  # tailgrant reads the base policy that tailgrant.hujson names (default policy.hujson); a
  # policy-file of another name must be that one, or a different file would be checked.
  if [ "$policy_name" != policy.hujson ] && ! grep -qF "\"$policy_name\"" "$policy_dir/tailgrant.hujson" 2>/dev/null; then
    usage_error "policy-file $INPUT_POLICY_FILE: tailgrant reads the base policy named by \"base\" in $policy_dir/tailgrant.hujson (default policy.hujson); add {\"base\": \"$policy_name\"} to that file, or rename the policy to policy.hujson"
  fi
  dir="$policy_dir"
elif [ -z "$dir" ]; then
  # gitops-acl-action's default is policy.hujson at the repository's root.
  if [ -n "${INPUT_ACTION:-}" ]; then dir=.; else dir=policies; fi
fi
export TAILGRANT_DIR="$dir"
# The pull-request comment (ci/pr-comment.sh) renders the same directory.
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "dir=$dir" >>"$GITHUB_OUTPUT"; fi

# --- extra arguments, split like a shell's words but never expanded
args=()
if [[ "${INPUT_ARGS:-}" =~ [^[:space:]] ]]; then
  words="$(mktemp)"
  if ! printf '%s\n' "$INPUT_ARGS" | xargs printf '%s\0' >"$words" 2>"$words.err"; then
    usage_error "args could not be split into words ($(cat "$words.err")): quote with '...' or \"...\" and close every quote"
  fi
  while IFS= read -r -d '' word; do args+=("$word"); done <"$words"
  rm -f "$words" "$words.err"
fi
if { [ "$command" = check ] || [ "$command" = approvals ]; } && [ "${#args[@]}" -eq 0 ]; then args=(--format github); fi

# --- credentials, for the commands that call the Tailscale API
needs_api=false
case "$command" in
  apply | import | status) needs_api=true ;;
  diff) for a in ${args[@]+"${args[@]}"}; do if [ "$a" = --live ]; then needs_api=true; fi; done ;;
esac
set_if_given() { if [ -n "$2" ]; then export "$1=$2"; fi; }
set_if_given TS_TAILNET "${INPUT_TAILNET:-}"
if [ "$needs_api" = true ]; then
  set_if_given TS_API_KEY "${INPUT_API_KEY:-}"
  set_if_given TS_OAUTH_ID "${INPUT_OAUTH_CLIENT_ID:-}"
  set_if_given TS_OAUTH_SECRET "${INPUT_OAUTH_SECRET:-}"
  if [ -n "${INPUT_AUDIENCE:-}" ]; then
    # Workload identity: a GitHub OIDC token for the audience of the Tailscale federated
    # identity, exchanged by tailgrant with TS_OAUTH_ID (the federated identity's client ID).
    [ -n "${TS_OAUTH_ID:-}" ] || usage_error "audience needs oauth-client-id (the federated identity's client ID)"
    [ -z "${INPUT_API_KEY:-}${INPUT_OAUTH_SECRET:-}" ] ||
      usage_error "audience (workload identity) is set together with api-key or oauth-secret; set one kind of credentials"
    if [ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ] || [ -z "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]; then
      usage_error "audience needs a GitHub OIDC token: give the job \"permissions: id-token: write\" (fork pull requests never get one)"
    fi
    # The request token goes to curl on standard input, not on its command line.
    if ! response="$(printf 'header = "Authorization: bearer %s"\n' "$ACTIONS_ID_TOKEN_REQUEST_TOKEN" |
      curl --config - --silent --show-error --fail --retry 3 --max-time 60 --get \
        --data-urlencode "audience=$INPUT_AUDIENCE" "$ACTIONS_ID_TOKEN_REQUEST_URL")"; then
      annotate error "could not get a GitHub OIDC token for the audience $INPUT_AUDIENCE"
      exit 3
    fi
    token="$(printf '%s' "$response" | sed -n 's/.*"value"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
    if ! [[ "$token" =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$ ]]; then
      annotate error "GitHub's OIDC endpoint answered without a token"
      exit 3
    fi
    if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::add-mask::$token"; fi
    export TS_ID_TOKEN="$token"
    unset response token
  fi
fi
# --- the GitHub token, from the github-token input: for `approvals` (pull request reviews),
# `request` (opens the pull request of an access request) and `remind` (comments before expiry)
case "$command" in
  approvals)
    set_if_given GITHUB_TOKEN "${INPUT_GITHUB_TOKEN:-}"
    [ -n "${GITHUB_TOKEN:-}" ] ||
      usage_error "approvals reads the pull request's reviews: set github-token (default github.token) and give the job \"permissions: pull-requests: read\""
    ;;
  request | remind)
    set_if_given GITHUB_TOKEN "${INPUT_GITHUB_TOKEN:-}"
    [ -n "${GITHUB_TOKEN:-}" ] ||
      usage_error "$command writes to GitHub: set github-token and give the job \"permissions: contents: write, pull-requests: write, issues: write\""
    ;;
esac
unset INPUT_API_KEY INPUT_OAUTH_SECRET INPUT_OAUTH_CLIENT_ID INPUT_AUDIENCE INPUT_GITHUB_TOKEN

exec "$bin" "$command" ${args[@]+"${args[@]}"}
