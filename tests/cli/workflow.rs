//! The pull-request workflow commands: `new` writes a grant file that passes check, `prune`
//! lists and removes expired ones.
use crate::support::{AT, Run, TestRepo, grant};

/// `tailgrant new` for carol on tag:prod-db:5432.
fn new_grant(r: &TestRepo, approver: &str, duration: &str, reason: &str) -> Run {
    r.run(&[
        "new",
        AT,
        "--requester",
        "carol@example.com",
        "--approver",
        approver,
        "--dst",
        "tag:prod-db:5432",
        "--for",
        duration,
        "--reason",
        reason,
    ])
}

#[test]
fn new_writes_a_grant_that_passes_check() {
    let r = TestRepo::example();
    let run = new_grant(&r, "bob@example.com", "8h", "Migrate the billing schema (CHG-77)");
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, "policies/grants/2026-11-23-carol-prod-db.hujson\n");
    let text = r.read("policies/grants/2026-11-23-carol-prod-db.hujson");
    insta::assert_snapshot!(text);
    assert_eq!(r.run(&["check", AT]).code, 0);
    assert_eq!(r.run(&["fmt", "--check"]).code, 0, "the new file is formatted");
    let explain = r.run(&["explain", AT, "carol@example.com", "tag:prod-db:5432"]);
    assert_eq!(explain.code, 0, "{}", explain.transcript());
    // The same request again gets its own file.
    let again = new_grant(&r, "bob@example.com", "8h", "Second window (CHG-78)");
    assert_eq!(again.stdout, "policies/grants/2026-11-23-carol-prod-db-2.hujson\n");
}

#[test]
fn new_refuses_what_check_would_refuse_before_writing() {
    let r = TestRepo::example();
    let before: Vec<_> = std::fs::read_dir(r.path("policies/grants")).unwrap().collect();
    let run = new_grant(&r, "carol@example.com", "40d", "Too much");
    assert_eq!(run.code, 1, "{}", run.transcript());
    // Carol owns tag:prod-db through tag:ci, so only duration and self-approval fail.
    for code in ["TG202", "TG207"] {
        assert!(run.stderr.contains(code), "{code} missing from {}", run.stderr);
    }
    assert!(run.stderr.contains("not written"));
    let after: Vec<_> = std::fs::read_dir(r.path("policies/grants")).unwrap().collect();
    assert_eq!(before.len(), after.len(), "nothing was written");
    let bad = r.run(&[
        "new",
        AT,
        "--requester",
        "carol@example.com",
        "--approver",
        "bob@example.com",
        "--dst",
        "tag:prod-db",
        "--for",
        "8h",
        "--reason",
        "x",
    ]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("HOST:PORT"), "{}", bad.stderr);
    let both = r.run(&[
        "new",
        AT,
        "--requester",
        "c@example.com",
        "--approver",
        "b@example.com",
        "--dst",
        "tag:prod-db:1",
        "--reason",
        "x",
    ]);
    assert_eq!(both.code, 2);
}

#[test]
fn prune_lists_then_deletes_exactly_the_expired_files() {
    let r = TestRepo::example();
    let list = r.run(&["prune", AT]);
    assert_eq!(list.code, 0);
    assert_eq!(list.stdout, "policies/grants/2026-11-10-dave-staging.hujson\n");
    assert!(r.path("policies/grants/2026-11-10-dave-staging.hujson").exists(), "listing deletes nothing");
    let del = r.run(&["prune", AT, "--delete"]);
    assert_eq!(del.stdout, "deleted policies/grants/2026-11-10-dave-staging.hujson\n");
    assert!(!r.path("policies/grants/2026-11-10-dave-staging.hujson").exists());
    assert!(r.path("policies/grants/2026-11-22-alice-prod-db.hujson").exists());
    assert!(r.path("policies/grants/2026-11-24-carol-oncall.hujson").exists(), "pending grants stay");
    assert!(r.path("policies/teams/payments.hujson").exists(), "permanent fragments stay");
    assert_eq!(r.run(&["prune", AT]).stdout, "");
    assert_eq!(r.run(&["check", AT]).code, 0);
}

/// Runs git in the test repository with a fixed identity.
fn git(r: &TestRepo, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(r.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn diff_shows_pending_posture_only_and_broken_grant_files() {
    let r = TestRepo::example();
    git(&r, &["init", "-q", "-b", "main"]);
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "-m", "base"]);
    // Pending: nothing changes in the rendered policy today, but the comment must show it.
    r.write(
        "policies/grants/later.hujson",
        grant(
            r#""ssh": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:prod-db"], "users": ["root"]}]"#,
        )
        .replace("2026-11-22T09:00:00Z", "2026-12-20T09:00:00Z")
        .replace("2026-11-24T17:00:00Z", "2026-12-21T09:00:00Z"),
    );
    // Only a posture attribute: no labelled entry in the rendered policy either.
    r.write(
        "policies/grants/attr.hujson",
        grant(r#""postureAttributes": [{"device": "alice-laptop", "key": "custom:x", "value": true}]"#),
    );
    let md = r.run(&["diff", AT, "--format", "markdown"]);
    assert_eq!(md.code, 0, "{}", md.transcript());
    assert!(md.stdout.contains("| `grants/later.hujson` | added | pending (2026-12-20T09\\:00\\:00Z"), "{}", md.stdout);
    assert!(md.stdout.contains("`alice@example.com → ssh tag:prod-db as root`"), "{}", md.stdout);
    assert!(md.stdout.contains("`sets custom:x=true on alice-laptop`"), "{}", md.stdout);
    // A file that breaks: listed, its errors shown, and the exit says so.
    r.write("policies/grants/broken.hujson", "{\"grants\": [}\n");
    let md = r.run(&["diff", AT, "--format", "markdown"]);
    assert_eq!(md.code, 1, "{}", md.transcript());
    assert!(md.stdout.contains("error(s): this change does not pass `tailgrant check`"), "{}", md.stdout);
    assert!(md.stdout.contains("| `grants/broken.hujson` | added | unreadable"), "{}", md.stdout);
    assert!(md.stdout.contains("`TG001`"), "{}", md.stdout);
}

#[test]
fn diff_between_two_commits_shows_the_new_grant_and_who_gains_access() {
    let r = TestRepo::example();
    git(&r, &["init", "-q", "-b", "main"]);
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "-m", "base"]);
    let new = new_grant(&r, "bob@example.com", "8h", "Migrate the billing schema (CHG-77)");
    assert_eq!(new.code, 0, "{}", new.transcript());
    // Uncommitted change against HEAD: the default.
    let md = r.run(&["diff", AT, "--format", "markdown"]);
    assert_eq!(md.code, 0, "{}", md.transcript());
    insta::assert_snapshot!(md.stdout);
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "-m", "carol"]);
    // Between two commits, the work tree untouched.
    let run = r.run(&["diff", AT, "--against-git", "HEAD~1"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.starts_with(
            "added grants/2026-11-23-carol-prod-db.hujson (active, until 2026-11-23T20:00:00Z)\n    carol@example.com → tag:prod-db tcp:5432\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "fragments added: grants/2026-11-23-carol-prod-db.hujson\n+ carol@example.com → tag:prod-db:5432 (tcp)"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("tailgrant-sha256"), "the header is not part of the diff");
    let json: serde_json::Value =
        serde_json::from_str(&r.run(&["diff", AT, "--against-git", "HEAD~1", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["lines_removed"], 0);
    assert_eq!(json["access_gained"][0]["who"], "carol@example.com");
    assert_eq!(json["access_lost"].as_array().unwrap().len(), 0);
    // Later, the grant and the alice grant have expired: both show as lost.
    let later = r.run(&["diff", "--at=2026-12-15T00:00:00Z", "--against-git", "HEAD~1", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&later.stdout).unwrap();
    assert!(v["access_gained"].as_array().unwrap().is_empty(), "{}", later.stdout);
    assert_eq!(r.run(&["diff", AT, "--against-git", "nope"]).code, 2);
    assert_eq!(r.run(&["diff", AT, "--live"]).code, 2);
    assert!(r.run(&["diff", AT]).stdout.contains("no change"), "nothing uncommitted now");
}
