#!/usr/bin/env bash
# Posts, or updates, the one tailgrant comment on a pull request: `tailgrant diff --format
# markdown` against the base branch. It runs after the check (action.yml) and never fails the
# job: a comment that cannot be written (a fork's pull request gets a read-only token, the base
# branch was not fetched) is a warning, and the check's result stands on its own.
#
# Environment: TAILGRANT_BIN, GH_TOKEN, REPO (OWNER/NAME), PR_NUMBER, BASE_REF, the policies
# directory in TAILGRANT_DIR, and COMMENT_AUTHOR (the login the token comments as; default
# github-actions[bot]). With TS_TAILNET (one job of a matrix over `tailnets`), the comment is
# that tailnet's: one per tailnet, each updated by its own job.
set -uo pipefail

skip() { printf '::warning::no pull-request comment: %s\n' "$*"; exit 0; }

marker="<!-- tailgrant -->"
if [ -n "${TS_TAILNET:-}" ]; then
  # Only a plain name reaches the marker (it is matched, and shown, verbatim).
  case "$TS_TAILNET" in
  *[!A-Za-z0-9._-]*) skip "TS_TAILNET is not a plain tailnet name" ;;
  esac
  marker="<!-- tailgrant tailnet=$TS_TAILNET -->"
fi
body="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tailgrant-comment.md"
{ echo "$marker"; [ -z "${TS_TAILNET:-}" ] || printf '### tailnet %s\n\n' "$TS_TAILNET"; "$TAILGRANT_BIN" diff --against-git "origin/$BASE_REF" --format markdown; } >"$body" ||
  skip "tailgrant diff against origin/$BASE_REF failed (does checkout have fetch-depth: 0?)"

# One sticky comment: update ours if it exists, otherwise create it. "Ours" is the marker *and*
# our author: anyone can post a comment that starts with the marker, and the token may edit
# other people's comments, so the marker alone would let a planted comment carry our report.
author="${COMMENT_AUTHOR:-github-actions[bot]}"
id="$(gh api "repos/$REPO/issues/$PR_NUMBER/comments" --paginate \
  --jq ".[] | select(.user.login == \"$author\" and (.body | startswith(\"$marker\"))) | .id" | head -n 1)" ||
  skip "could not read the pull request's comments"
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$REPO/issues/comments/$id" -F "body=@$body" >/dev/null ||
    skip "could not update comment $id (a fork's pull request gets a read-only token)"
else
  gh api --method POST "repos/$REPO/issues/$PR_NUMBER/comments" -F "body=@$body" >/dev/null ||
    skip "could not comment (a fork's pull request gets a read-only token; the job needs pull-requests: write)"
fi
echo "pull-request comment updated"
