//! `ci/pr-comment.sh`: one sticky comment, and a comment that cannot be written never fails
//! the job (the check has run before it and stands on its own).

use std::collections::BTreeMap;

use crate::{Out, bash, write_exe};

/// `tailgrant diff` prints a summary; a fake `gh` logs its calls and answers as `GH_MODE` says.
fn run(gh_mode: &str, diff_exit: i32) -> (Out, String) {
    let tmp = tempfile::tempdir().unwrap();
    let bin = write_exe(tmp.path(), "fake/tailgrant", &format!("echo \"diff $*\"\nexit {diff_exit}\n"));
    write_exe(
        tmp.path(),
        "fake/gh",
        r#"echo "gh $*" >> "$GH_LOG"
case "$GH_MODE" in
  readonly) case "$*" in *--method*) echo "HTTP 403: Resource not accessible by integration" >&2; exit 1 ;; esac ;;
  existing) case "$*" in *--jq*) echo 42 ;; esac ;;
esac
exit 0
"#,
    );
    let log = tmp.path().join("gh.log");
    let env = BTreeMap::from([
        ("PATH", format!("{}:{}", tmp.path().join("fake").display(), std::env::var("PATH").unwrap())),
        ("TAILGRANT_BIN", bin.display().to_string()),
        ("GH_MODE", gh_mode.to_owned()),
        ("GH_LOG", log.display().to_string()),
        ("GH_TOKEN", "ghs_token".to_owned()),
        ("REPO", "acme/policies".to_owned()),
        ("PR_NUMBER", "7".to_owned()),
        ("BASE_REF", "main".to_owned()),
        ("RUNNER_TEMP", tmp.path().display().to_string()),
    ]);
    let out = bash(tmp.path(), "pr-comment.sh", &[], &env);
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let body = std::fs::read_to_string(tmp.path().join("tailgrant-comment.md")).unwrap_or_default();
    if diff_exit == 0 {
        assert_eq!(body, "<!-- tailgrant -->\ndiff diff --against-git origin/main --format markdown\n");
    }
    (out, calls)
}

#[test]
fn a_new_pull_request_gets_a_comment() {
    let (out, calls) = run("fresh", 0);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(calls.contains("gh api --method POST repos/acme/policies/issues/7/comments -F body=@"), "{calls}");
}

#[test]
fn the_existing_comment_is_updated() {
    let (out, calls) = run("existing", 0);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(calls.contains("gh api --method PATCH repos/acme/policies/issues/comments/42"), "{calls}");
    assert!(!calls.contains("POST"), "{calls}");
}

#[test]
fn only_a_comment_by_the_token_s_own_author_is_ours() {
    // Anyone can post a comment starting with the marker: the lookup must also match the author.
    let (_, calls) = run("fresh", 0);
    assert!(
        calls
            .contains(r#"select(.user.login == "github-actions[bot]" and (.body | startswith("<!-- tailgrant -->")))"#),
        "{calls}"
    );
}

#[test]
fn a_read_only_token_is_a_warning_not_a_failure() {
    let (out, calls) = run("readonly", 0);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("::warning::no pull-request comment: could not comment"), "{out:?}");
    assert!(calls.contains("POST"), "it tried: {calls}");
}

#[test]
fn a_diff_that_fails_is_a_warning_and_posts_nothing() {
    let (out, calls) = run("fresh", 1);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("::warning::no pull-request comment: tailgrant diff"), "{out:?}");
    assert!(calls.is_empty(), "{calls}");
}
