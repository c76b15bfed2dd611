//! GitHub: reviews decide, per reviewer the latest that is not a plain comment, bound to the
//! pull request's head commit.

use forge_sim::{Fault, FaultKind, ReviewState};

use crate::support::*;

/// A pull request by alice adding a grant file that names `approvers`: the repository, the
/// simulator and the CI environment.
struct Pr {
    repo: Repo,
    sim: forge_sim::Simulator,
    base: String,
    head: String,
    env: Vec<(&'static str, String)>,
}

fn pr(approvers: &[&str]) -> Pr {
    pr_with(&config(""), approvers)
}

fn pr_with(config: &str, approvers: &[&str]) -> Pr {
    let repo = Repo::new(config);
    repo.write(GRANT, &grant("alice@example.com", approvers, ""));
    let head = repo.commit("grant alice prod-db");
    let base = repo.base();
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    let event = event(repo.path(), &base, &head, "alice-gh");
    let env = github_env(&sim, &event, GITHUB_TOKEN);
    Pr { repo, sim, base, head, env }
}

impl Pr {
    fn run(&self) -> Run {
        approvals_json(&self.repo, &[], &self.env)
    }

    /// Commits what was written, as `who`, and pushes it: the new head and its CI environment.
    fn push(&self, who: &str, message: &str) -> (String, Vec<(&'static str, String)>) {
        let head = self.repo.commit(message);
        self.sim.push(7, by(&head, who));
        let env = github_env(&self.sim, &event(self.repo.path(), &self.base, &head, "alice-gh"), GITHUB_TOKEN);
        (head, env)
    }

    fn shown(&self, r: &Run) -> String {
        named(&r.transcript(), &[(&self.head, "HEAD"), (&self.base, "BASE")])
    }
}

#[test]
fn an_approval_of_the_head_commit_passes() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    let r = approvals(&p.repo, &[], &p.env);
    assert_eq!(r.code, 0, "{}", r.transcript());
    insta::assert_snapshot!(p.shown(&r));
    // Every request carried the token, and only to the simulator.
    assert!(p.sim.auth_headers().iter().all(|h| h == &format!("authorization: Bearer {GITHUB_TOKEN}")));
}

#[test]
fn no_review_is_refused_at_the_approver_entry() {
    let p = pr(&["bob@example.com"]);
    let r = approvals(&p.repo, &[], &p.env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG401"), "{}", r.stdout);
    insta::assert_snapshot!(p.shown(&r));
    let r = approvals(&p.repo, &["--format", "json"], &p.env);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!((f["code"].as_str(), f["file"].as_str()), (Some("TG401"), Some(GRANT)));
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(4), Some(18)), "the \"bob@example.com\" entry");
    assert_eq!(f["message"], format!("bob@example.com (GitHub @bob-gh) has not approved commit {}", &p.head[..7]));
    assert_eq!(v["approved"], false);
    let r = approvals(&p.repo, &["--format", "github"], &p.env);
    assert!(
        r.stdout.starts_with(&format!("::error file={GRANT},line=4,col=18,title=TG401 approval-missing::")),
        "{}",
        r.stdout
    );
}

#[test]
fn an_approval_of_an_earlier_commit_is_stale_once_the_grant_changed() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    // Alice extends the grant after bob approved.
    p.repo.write(GRANT, &grant("alice@example.com", &["bob@example.com"], " (longer)"));
    let (head, env) = p.push("alice", "more");
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG402"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("approved commit {}, not {}", &p.head[..7], &head[..7])), "{}", r.stdout);
}

#[test]
fn an_earlier_approval_counts_when_allowed_and_no_grant_file_changed_since() {
    let p = pr_with(&config(r#""approvals": {"acceptEarlierCommit": true},"#), &["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    // A change outside the grant files keeps bob's approval...
    p.repo.write("README.md", "policies, with notes\n");
    let (_, env) = p.push("alice", "docs");
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 0, "{}", r.transcript());
    // ...a change to the grant file does not.
    p.repo.write(GRANT, &grant("alice@example.com", &["bob@example.com"], " (longer)"));
    let (_, env) = p.push("alice", "more");
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG402"), "{}", r.stdout);
}

#[test]
fn changes_requested_after_an_approval_is_no_approval() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    p.sim.review(7, "bob-gh", ReviewState::ChangesRequested, &p.head);
    let r = p.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("bob@example.com (GitHub @bob-gh) requested changes"), "{}", r.stdout);
}

#[test]
fn a_plain_comment_after_an_approval_keeps_it() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    p.sim.review(7, "bob-gh", ReviewState::Commented, &p.head);
    let r = p.run();
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn a_dismissed_approval_is_no_approval() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    p.sim.dismiss(7, "bob-gh");
    let r = p.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("approval was dismissed"), "{}", r.stdout);
}

#[test]
fn an_approval_by_someone_else_does_not_count_for_the_approver_named() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "carol-gh", ReviewState::Approved, &p.head);
    let r = p.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("bob@example.com (GitHub @bob-gh) has not approved"), "{}", r.stdout);
}

#[test]
fn a_pull_request_cannot_remap_its_approver_to_the_requesters_account() {
    let p = pr(&["bob@example.com"]);
    // The pull request maps bob to alice's account, and alice approves her own change.
    p.repo.write(
        "policies/tailgrant.hujson",
        &config("")
            .replace(r#""bob@example.com":   {"github": "bob-gh""#, r#""bob@example.com":   {"github": "alice-gh""#),
    );
    let (head, env) = p.push("alice", "remap");
    p.sim.review(7, "alice-gh", ReviewState::Approved, &head);
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    // `people` comes from the base: bob is still bob-gh, who has not approved.
    assert!(r.stdout.contains("bob@example.com (GitHub @bob-gh) has not approved"), "{}", r.stdout);
}

#[test]
fn the_author_never_approves() {
    let repo = Repo::new(&config(""));
    repo.write(GRANT, &grant("alice@example.com", &["dave@example.com"], ""));
    let head = repo.commit("grant");
    let base = repo.base();
    // Dave opens the pull request for alice and names himself; GitHub would not even let
    // him approve, the simulator does.
    let sim = github(vec![pull("dave-gh", &base, &head, vec![by(&head, "dave")])]);
    sim.review(7, "dave-gh", ReviewState::Approved, &head);
    let env = github_env(&sim, &event(repo.path(), &base, &head, "dave-gh"), GITHUB_TOKEN);
    let r = approvals(&repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    insta::assert_snapshot!(named(&r.transcript(), &[(&head, "HEAD")]));
}

#[test]
fn a_committer_never_approves() {
    let p = pr(&["carol@example.com"]);
    // Carol pushes a commit to alice's pull request, then approves it.
    p.repo.write(GRANT, &grant("alice@example.com", &["carol@example.com"], " (fixed)"));
    let (head, env) = p.push("carol", "fix");
    p.sim.review(7, "carol-gh", ReviewState::Approved, &head);
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG404"), "{}", r.stdout);
    assert!(r.stdout.contains("carol@example.com (GitHub @carol-gh) committed to the pull request"), "{}", r.stdout);
}

#[test]
fn someone_the_grant_benefits_never_approves() {
    let repo = Repo::new(&config(""));
    // The grant opens tag:prod-db to group:dba, whose member bob approves it.
    let g = grant("alice@example.com", &["bob@example.com"], "")
        .replace(r#""src": ["alice@example.com"]"#, r#""src": ["group:dba"]"#);
    repo.write(GRANT, &g);
    let head = repo.commit("grant");
    let base = repo.base();
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    sim.review(7, "bob-gh", ReviewState::Approved, &head);
    let r = approvals_json(&repo, &[], &github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN));
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("receives this access: bob@example.com is a member of group:dba"), "{}", r.stdout);
}

#[test]
fn an_approver_without_an_account_is_named() {
    let p = pr(&["erin@example.com"]);
    let r = p.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG403"), "{}", r.stdout);
    assert!(r.stdout.contains("erin@example.com has no GitHub account in `people`"), "{}", r.stdout);
}

#[test]
fn reviews_are_read_page_after_page() {
    let p = pr(&["bob@example.com"]);
    for i in 0..150 {
        p.sim.review(7, &format!("reader{i}"), ReviewState::Commented, &p.head);
    }
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    let r = p.run();
    assert_eq!(r.code, 0, "{}", r.transcript());
    let pages: Vec<String> = p.sim.requests().into_iter().filter(|r| r.contains("/reviews")).collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[1].ends_with("page=2"), "{pages:?}");
}

#[test]
fn a_deleted_grant_file_needs_no_approval_and_a_renamed_one_does() {
    let repo = Repo::new(&config(""));
    repo.write(GRANT, &grant("alice@example.com", &["bob@example.com"], ""));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "grant on main"]);
    repo.git(&["branch", "-f", "main", "HEAD"]);
    let base = repo.base();
    repo.git(&["rm", "-q", GRANT]);
    let head = repo.commit("drop the grant");
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    let r = approvals(&repo, &[], &github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.contains("no grant file added or changed"), "{}", r.stdout);
    // A rename is a new grant file.
    repo.git(&["reset", "-q", "--hard", &base]);
    repo.git(&["mv", GRANT, "policies/grants/2026-11-23-alice-prod-db.hujson"]);
    let head = repo.commit("rename");
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    let r = approvals_json(&repo, &[], &github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN));
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("policies/grants/2026-11-23-alice-prod-db.hujson:4:18"), "{}", r.stdout);
}

#[test]
fn a_run_for_an_old_head_counts_nothing() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    p.sim.push(7, by(&"f".repeat(40), "alice"));
    let r = p.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG407") && r.stdout.contains("head moved to fffffff"), "{}", r.stdout);
}

#[test]
fn a_bad_token_says_so_and_a_token_without_permission_names_it() {
    let p = pr(&["bob@example.com"]);
    let mut env = p.env.clone();
    env.retain(|(k, _)| *k != "GITHUB_TOKEN");
    env.push(("GITHUB_TOKEN", "ghs_notAValidTokenAtAll1234".into()));
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("401 Bad credentials: GITHUB_TOKEN is missing, invalid or expired"), "{}", r.stderr);
    assert!(!r.stderr.contains("notAValidToken"), "{}", r.stderr);
    let env = github_env(&p.sim, std::path::Path::new(&p.env[1].1), GITHUB_TOKEN_WITHOUT_PERMISSION);
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(
        r.stderr.contains(
            "403 Resource not accessible by integration: GITHUB_TOKEN lacks the permission `pull-requests: read`"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn the_token_goes_nowhere_else_and_is_never_printed() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    let trap = tailscale_sim::Trap::start().unwrap();
    // A redirect is not followed.
    p.sim.inject(Fault {
        path: "/reviews".into(),
        times: 1,
        kind: FaultKind::Redirect { location: format!("{}/steal", trap.url) },
    });
    let r = p.run();
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("a redirect to 127.0.0.1:"), "{}", r.stderr);
    // Nor is a next page on another host.
    p.sim.inject(Fault {
        path: "/reviews".into(),
        times: 1,
        kind: FaultKind::NextElsewhere { origin: trap.url.clone() },
    });
    for i in 0..120 {
        p.sim.review(7, &format!("reader{i}"), ReviewState::Commented, &p.head);
    }
    let r = p.run();
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("not at the API's own address"), "{}", r.stderr);
    assert_eq!(trap.connections(), 0, "nothing reached the trap");
    // An error body quoting the token back is redacted.
    let body = format!(r#"{{"message":"token {GITHUB_TOKEN} is suspended"}}"#);
    p.sim.inject(Fault { path: "/pulls/7".into(), times: 1, kind: FaultKind::Respond { status: 401, body } });
    let r = p.run();
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("token [redacted] is suspended"), "{}", r.stderr);
    assert!(!r.transcript().contains(GITHUB_TOKEN));
}

#[test]
fn answers_that_cannot_be_believed_fail_closed_and_outages_are_retried() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    p.sim.inject(Fault { path: "/reviews".into(), times: 1, kind: FaultKind::Html });
    let r = p.run();
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("expected 200 with a JSON array, got 200 text/html"), "{}", r.stderr);
    p.sim.inject(Fault { path: "/commits".into(), times: 1, kind: FaultKind::Oversized { bytes: 200_000 } });
    let r = approvals_json(&p.repo, &["--max-response-size", "64KiB"], &p.env);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("larger than 65536 bytes"), "{}", r.stderr);
    p.sim.inject(Fault {
        path: "/reviews".into(),
        times: 2,
        kind: FaultKind::Respond { status: 502, body: "{}".into() },
    });
    let r = p.run();
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn outside_a_pull_request_run_it_says_what_it_needs() {
    let p = pr(&["bob@example.com"]);
    let r = approvals_json(&p.repo, &[], &[]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(r.stderr.contains("not a pull request's CI run"), "{}", r.stderr);
    let path = p.repo.path().join("push.json");
    std::fs::write(&path, r#"{"ref": "refs/heads/main"}"#).unwrap();
    let r = approvals_json(&p.repo, &[], &github_env(&p.sim, &path, GITHUB_TOKEN));
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(r.stderr.contains("on `pull_request` and `pull_request_review` events"), "{}", r.stderr);
}

#[test]
fn the_head_cannot_drop_a_changed_grant_file_from_the_globs_nor_the_base_config_be_broken() {
    let p = pr(&["bob@example.com"]);
    p.sim.review(7, "bob-gh", ReviewState::Approved, &p.head);
    p.repo.write("policies/tailgrant.hujson", &config(r#""exclude": ["grants/2026-11-22-*"],"#));
    let (head, env) = p.push("alice", "exclude it");
    p.sim.review(7, "bob-gh", ReviewState::Approved, &head);
    let r = approvals_json(&p.repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG407") && r.stdout.contains("the head's config does not load it"), "{}", r.stdout);
    // A base whose config does not load approves nothing.
    let repo = Repo::new("{\"people\": {\"bob@example.com\": {\"github\": 7}}}\n");
    repo.write(GRANT, &grant("alice@example.com", &[], ""));
    let head = repo.commit("grant");
    let base = repo.base();
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    let r = approvals_json(&repo, &[], &github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN));
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG004 policies/tailgrant.hujson"), "{}", r.stdout);
}

#[test]
fn widening_the_globs_judges_the_files_it_brings_in_and_makes_earlier_approvals_stale() {
    // A file outside the globs was merged without approval; a pull request that only widens
    // the globs would make it a grant file: it is judged as if added.
    let repo = Repo::new(&config(r#""approvals": {"acceptEarlierCommit": true},"#));
    repo.write("policies/drafts/alice.hujson", &grant("alice@example.com", &["bob@example.com"], ""));
    repo.commit("a draft");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--ff-only", "pr"]);
    repo.git(&["checkout", "-q", "pr"]);
    let base = repo.base();
    repo.write(
        "policies/tailgrant.hujson",
        &config(
            r#""approvals": {"acceptEarlierCommit": true}, "fragments": ["grants/**/*.hujson", "drafts/*.hujson"],"#,
        ),
    );
    let head = repo.commit("widen the globs");
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    let env = github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN);
    let r = approvals_json(&repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.starts_with("TG401 policies/drafts/alice.hujson:4:18 "), "{}", r.stdout);
    assert!(r.stdout.contains("bob@example.com (GitHub @bob-gh) has not approved"), "{}", r.stdout);
    sim.review(7, "bob-gh", ReviewState::Approved, &head);
    let r = approvals_json(&repo, &[], &env);
    assert_eq!(r.code, 0, "{}", r.transcript());
    // With acceptEarlierCommit, an approval before the config changed again is stale: the
    // grant file did not change, but where it lands might have.
    repo.write(
        "policies/tailgrant.hujson",
        &config(
            r#""approvals": {"acceptEarlierCommit": true}, "fragments": ["grants/**/*.hujson", "drafts/**/*.hujson"],"#,
        ),
    );
    let later = repo.commit("widen them more");
    sim.push(7, by(&later, "alice"));
    let env = github_env(&sim, &event(repo.path(), &base, &later, "alice-gh"), GITHUB_TOKEN);
    let r = approvals_json(&repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(
        r.stdout.contains("TG402 policies/drafts/alice.hujson:4:18 bob@example.com (GitHub @bob-gh) approved commit"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_earlier_approval_is_stale_once_a_team_file_changes_what_the_grant_opens() {
    // alice asks to join group:readers, which reads tag:web; bob owns it and approves.
    let policy = r#"{
	"groups": {"group:eng": ["bob@example.com"], "group:dba": ["bob@example.com"], "group:readers": []},
	"tagOwners": {"tag:prod-db": ["group:dba"], "tag:web": ["group:eng"]},
	"grants": [{"src": ["group:readers"], "dst": ["tag:web"], "ip": ["tcp:80"]}],
}
"#;
    let settings = config(r#""approvals": {"acceptEarlierCommit": true, "requireOwnerApproval": true},"#);
    let repo = Repo::with(&[("policies/tailgrant.hujson", &settings), ("policies/policy.hujson", policy)]);
    let join = r#"{
	"description": "Read the web logs (INC-4211)",
	"requester":   "alice@example.com",
	"approvers":   ["bob@example.com"],
	"notBefore":   "2026-11-22T09:00:00Z",
	"expires":     "2026-11-29T17:00:00Z",
	"groups": {"group:readers": ["alice@example.com"]},
}
"#;
    repo.write(GRANT, join);
    let head = repo.commit("alice joins readers");
    let base = repo.base();
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    sim.review(7, "bob-gh", ReviewState::Approved, &head);
    let env = github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN);
    let r = approvals_json(&repo, &[], &env);
    assert_eq!(r.code, 0, "{}", r.transcript());
    // A later commit gives group:readers prod-db through a team file: the grant file did not
    // change, but what it opens did, and bob approved less than that.
    repo.write(
        "policies/teams/readers.hujson",
        r#"{"grants": [{"src": ["group:readers"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}]}"#,
    );
    let later = repo.commit("readers read the database");
    sim.push(7, by(&later, "alice"));
    let env = github_env(&sim, &event(repo.path(), &base, &later, "alice-gh"), GITHUB_TOKEN);
    let r = approvals_json(&repo, &[], &env);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG402"), "{}", r.stdout);
}
