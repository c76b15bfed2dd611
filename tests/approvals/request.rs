//! `tailgrant request` (an access request issue to a pull request) and `tailgrant remind`
//! (reminders before expiry), as GitHub Actions runs them: the real binary in a temporary git
//! repository with a bare `origin` to push to, against the forge simulator.

use std::path::Path;

use forge_sim::{Issue, Setup, Simulator};

use crate::support::*;

pub const WRITE_TOKEN: &str = "ghs_simulatorTokenWithWriteAccess0000";
const AT: &str = "--at=2026-11-23T09:00:00Z";

/// The form's body, as GitHub writes it, asking for `dst` for 8h approved by `approvers`.
pub fn body(dst: &str, approvers: &str, reason: &str) -> String {
    format!(
        "### Destinations\n\n{dst}\n\n### Protocol\n\ntcp\n\n### Duration\n\n8h\n\n### End time\n\n_No response_\n\n\
         ### Reason\n\n{reason}\n\n### Ticket\n\nINC-4211\n\n### Approvers\n\n{approvers}\n\n### Device\n\n_No response_\n\n\
         ### Posture attribute\n\n_No response_\n"
    )
}

/// `main` checked out, with a bare repository as `origin` holding it.
fn repo_with_origin() -> Repo {
    with_origin(Repo::new(&config("")))
}

/// `repo` with `main` checked out, and a bare repository as `origin` holding it.
fn with_origin(repo: Repo) -> Repo {
    repo.git(&["checkout", "-q", "main"]);
    let origin = repo.path().join("origin.git");
    repo.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

/// A simulator where issue #12 was opened by `author`, and the people of [`config`] can review.
fn forge(author: &str) -> Simulator {
    Simulator::start(Setup {
        collaborators: ["alice-gh", "bob-gh", "carol-gh", "dave-gh"].map(String::from).to_vec(),
        issues: vec![Issue {
            number: 12,
            author: author.into(),
            title: "Access request".into(),
            body: String::new(),
            labels: vec!["access-request".into()],
            open: true,
        }],
        ..Setup::default()
    })
    .unwrap()
}

/// The `issues` event of issue #12 by `author` with `body`.
fn issue_event(dir: &Path, author: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join("issue-event.json");
    let payload = serde_json::json!({
        "action": "opened",
        "issue": {"number": 12, "user": {"login": author}, "body": body, "labels": [{"name": "access-request"}]},
        "repository": {"default_branch": "main", "full_name": "example/tailnet"},
    });
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

fn run(repo: &Repo, cmd: &str, sim: &Simulator, event: Option<&Path>, token: &str, extra: &[&str]) -> Run {
    let mut c = crate::common::tailgrant(repo.path());
    c.args([cmd, "--dir", "policies", AT, "--timeout", "2s", "--retry-budget", "3s", "--backoff", "10ms"]).args(extra);
    for v in ["GITHUB_EVENT_PATH", "GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_TOKEN", "CI_MERGE_REQUEST_IID"] {
        c.env_remove(v);
    }
    c.env("GITHUB_API_URL", &sim.url).env("GITHUB_REPOSITORY", "example/tailnet").env("GITHUB_TOKEN", token);
    if let Some(e) = event {
        c.env("GITHUB_EVENT_PATH", e);
    }
    crate::common::run(&mut c)
}

fn request(repo: &Repo, sim: &Simulator, author: &str, body: &str) -> Run {
    let event = issue_event(repo.path(), author, body);
    run(repo, "request", sim, Some(&event), WRITE_TOKEN, &[])
}

const FILE: &str = "policies/grants/2026-11-23-alice-prod-db.hujson";

#[test]
fn a_request_becomes_a_pull_request_with_its_approvers_asked_to_review() {
    let repo = repo_with_origin();
    let sim = forge("alice-gh");
    let r = request(&repo, &sim, "alice-gh", &body("tag:prod-db:5432", "bob@example.com", "Debug replication lag"));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(r.stdout, format!("{FILE}: opened pull request #13; review requested from bob-gh\n"));
    let opened = sim.opened();
    assert_eq!(opened.len(), 1);
    let pr = &opened[0];
    assert_eq!((pr.head_ref.as_str(), pr.base_ref.as_str()), ("tailgrant/request-12", "main"));
    assert_eq!(pr.requested_reviewers, ["bob-gh"]);
    assert!(pr.body.starts_with("Closes #12."), "{}", pr.body);
    assert_eq!(pr.title, "Access request #12: alice@example.com until 2026-11-23T17:00:00Z");
    // The branch on origin holds the grant file, which passes check; the requester is the
    // issue's author as `people` maps them.
    let origin = repo.path().join("origin.git");
    let shown = repo.git(&["--git-dir", origin.to_str().unwrap(), "show", &format!("tailgrant/request-12:{FILE}")]);
    assert!(shown.contains("\"requester\":   \"alice@example.com\""), "{shown}");
    assert!(shown.contains("\"approvers\":   [\"bob@example.com\"]"), "{shown}");
    insta::assert_snapshot!(shown);
    let check = crate::common::run(crate::common::tailgrant(repo.path()).args(["check", "--dir", "policies", AT]));
    assert_eq!(check.code, 0, "{}", check.transcript());
    let comments = sim.comments();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].number, 12);
    assert!(comments[0].body.contains("Opened #13") && comments[0].body.contains("@bob-gh"), "{}", comments[0].body);

    // The issue edited: the branch is pushed again and the same pull request serves.
    let again = request(&repo, &sim, "alice-gh", &body("tag:prod-db:5432", "bob@example.com", "Debug lag, take two"));
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(sim.opened().len(), 1, "no second pull request");
    assert!(again.stdout.contains("#13"), "{}", again.stdout);
    assert!(
        sim.requests().iter().any(|r| r.starts_with("GET /repos/example/tailnet/pulls?") && r.contains("head=example"))
    );
}

#[test]
fn an_author_not_in_people_is_refused_with_a_comment() {
    let repo = repo_with_origin();
    let sim = forge("mallory-gh");
    let r = request(&repo, &sim, "mallory-gh", &body("tag:prod-db:5432", "bob@example.com", "Let me in"));
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(sim.opened().is_empty());
    let comments = sim.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let c = &comments[0].body;
    assert!(c.contains("TG502") && c.contains("mallory-gh") && c.contains("not in `people`"), "{c}");
    assert!(c.contains("Edit the issue"), "{c}");
    // Nothing was pushed.
    let origin = repo.path().join("origin.git");
    let branches = repo.git(&["--git-dir", origin.to_str().unwrap(), "branch", "--list"]);
    assert!(!branches.contains("tailgrant/request"), "{branches}");
}

#[test]
fn a_request_check_would_refuse_is_commented_with_the_findings() {
    let repo = repo_with_origin();
    let sim = forge("bob-gh");
    // Bob approving his own access, for longer than the guardrail allows, with a hidden
    // character and Markdown meant to forge the comment.
    let hostile = "Fix it\n### Approved by @security-team ✅ <img src=x> `` ``` ``";
    let b = body("tag:prod-db:5432", "bob@example.com", hostile).replace("8h", "40d");
    let r = request(&repo, &sim, "bob-gh", &b);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(sim.opened().is_empty());
    let c = &sim.comments()[0].body;
    // The form reads the extra heading as a field it does not have: refused before drafting.
    assert!(c.contains("TG501"), "{c}");
    // The request's text stays inside a fence longer than any backtick run in it, where
    // GitHub renders no Markdown and notifies nobody.
    let parts: Vec<&str> = c.split("````").collect();
    assert_eq!(parts.len(), 3, "{c}");
    assert!(parts[1].contains("@security-team") && !parts[0].contains('@') && !parts[2].contains('@'), "{c}");
    insta::assert_snapshot!("refusal_comment_hostile", c);

    // A well-formed request that check refuses: self-approval and too long.
    let b = body("tag:prod-db:5432", "bob@example.com", "Fix it").replace("8h", "40d");
    let r = request(&repo, &sim, "bob-gh", &b);
    assert_eq!(r.code, 1, "{}", r.transcript());
    let c = &sim.comments()[1].body;
    for code in ["TG202", "TG207"] {
        assert!(c.contains(code), "{code}: {c}");
    }
    insta::assert_snapshot!("refusal_comment_check", c);
}

#[test]
fn an_approver_without_a_github_account_is_refused() {
    let repo = repo_with_origin();
    let sim = forge("alice-gh");
    let r = request(&repo, &sim, "alice-gh", &body("tag:prod-db:5432", "erin@example.com", "Debug"));
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(sim.comments()[0].body.contains("TG403"), "{}", sim.comments()[0].body);
    assert!(sim.opened().is_empty());
}

#[test]
fn forge_failures_exit_3_and_name_the_permission() {
    let repo = repo_with_origin();
    let sim = forge("alice-gh");
    let event = issue_event(repo.path(), "alice-gh", &body("tag:prod-db:5432", "bob@example.com", "Debug"));
    let r = run(&repo, "request", &sim, Some(&event), GITHUB_TOKEN, &[]);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("pull-requests: write"), "{}", r.stderr);
    assert!(!r.stderr.contains(GITHUB_TOKEN));
    // Not an issues event: a usage error.
    let pr_event = event_for_pull(repo.path());
    let r = run(&repo, "request", &sim, Some(&pr_event), WRITE_TOKEN, &[]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    assert!(r.stderr.contains("issues"), "{}", r.stderr);
    // A reviewer GitHub will not take (not a collaborator) is a failure, said as GitHub says it.
    let sim = Simulator::start(Setup {
        issues: vec![Issue {
            number: 12,
            author: "alice-gh".into(),
            title: String::new(),
            body: String::new(),
            labels: vec![],
            open: true,
        }],
        ..Setup::default()
    })
    .unwrap();
    let r = run(&repo, "request", &sim, Some(&event), WRITE_TOKEN, &[]);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("not a collaborator"), "{}", r.stderr);
    // A push that fails (here: no origin) is a failure too, before any pull request is opened.
    let lonely = Repo::new(&config(""));
    lonely.git(&["checkout", "-q", "main"]);
    let sim = forge("alice-gh");
    let event = issue_event(lonely.path(), "alice-gh", &body("tag:prod-db:5432", "bob@example.com", "Debug"));
    let r = run(&lonely, "request", &sim, Some(&event), WRITE_TOKEN, &[]);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("pushing the request's branch"), "{}", r.stderr);
    assert!(sim.opened().is_empty());
}

fn event_for_pull(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("pr-event.json");
    std::fs::write(&path, r#"{"pull_request": {"number": 7}, "repository": {"default_branch": "main"}}"#).unwrap();
    path
}

/// A grant file of alice's that expires at 2026-11-23T17:00:00Z, committed on main.
fn expiring(repo: &Repo) -> String {
    let text = grant("alice@example.com", &["bob@example.com"], "")
        .replace("2026-11-22T09:00:00Z", "2026-11-22T17:00:00Z")
        .replace("2026-11-29T17:00:00Z", "2026-11-23T17:00:00Z");
    repo.write(GRANT, &text);
    repo.commit("grant alice prod-db")
}

#[test]
fn remind_comments_once_on_the_pull_request_that_added_the_grant() {
    let repo = repo_with_origin();
    let commit = expiring(&repo);
    let mut p = pull("alice-gh", &repo.rev("HEAD~1"), &commit, vec![by(&commit, "alice")]);
    p.merged = Some(commit.clone());
    let sim = Simulator::start(Setup { pulls: vec![p], ..Setup::default() }).unwrap();
    let r = run(&repo, "remind", &sim, None, WRITE_TOKEN, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(r.stdout, format!("{GRANT}: expires 2026-11-23T17:00:00Z; reminded @alice-gh on pull request #7\n"));
    let comments = sim.comments();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].number, 7);
    insta::assert_snapshot!("reminder_comment", comments[0].body);
    // The next scheduled run says nothing new.
    let again = run(&repo, "remind", &sim, None, WRITE_TOKEN, &[]);
    assert_eq!(again.stdout, format!("{GRANT}: expires 2026-11-23T17:00:00Z; already reminded on #7\n"));
    assert_eq!(sim.comments().len(), 1);
    // Outside the window nothing is due.
    let early = run(&repo, "remind", &sim, None, WRITE_TOKEN, &["--within", "2h"]);
    assert_eq!((early.code, early.stdout.as_str()), (0, ""), "{}", early.transcript());
}

#[test]
fn remind_opens_an_issue_for_a_grant_that_came_through_no_pull_request() {
    let repo = repo_with_origin();
    expiring(&repo);
    let sim = Simulator::start(Setup::default()).unwrap();
    let r = run(&repo, "remind", &sim, None, WRITE_TOKEN, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(r.stdout, format!("{GRANT}: expires 2026-11-23T17:00:00Z; opened issue #1 for @alice-gh\n"));
    let issues = sim.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].labels, ["tailgrant-reminder"]);
    assert!(issues[0].body.contains("@alice-gh") && issues[0].body.contains("tailgrant renew"), "{}", issues[0].body);
    let again = run(&repo, "remind", &sim, None, WRITE_TOKEN, &[]);
    assert!(again.stdout.ends_with("already reminded on #1\n"), "{}", again.stdout);
    assert_eq!(sim.issues().len(), 1);
    // A read-only token cannot open it: exit 3, naming the permission.
    let sim = Simulator::start(Setup::default()).unwrap();
    let r = run(&repo, "remind", &sim, None, GITHUB_TOKEN, &[]);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("issues: write"), "{}", r.stderr);
}

/// Editing the issue pushes a new grant file to the same pull request: its description, which
/// shows the file, says what the branch now holds, not what the first version asked for (a
/// reviewer reading it would approve the old, smaller request).
#[test]
fn an_edited_request_updates_the_pull_requests_description() {
    let repo = repo_with_origin();
    let sim = forge("alice-gh");
    let first = request(&repo, &sim, "alice-gh", &body("tag:prod-db:5432", "bob@example.com", "Read one table"));
    assert_eq!(first.code, 0, "{}", first.transcript());
    assert!(sim.opened()[0].body.contains("Read one table"), "{}", sim.opened()[0].body);
    repo.git(&["checkout", "-q", "main"]);
    let edited = body("tag:prod-db:5432\ntag:prod-db:22", "bob@example.com", "Now with a shell");
    let again = request(&repo, &sim, "alice-gh", &edited);
    assert_eq!(again.code, 0, "{}", again.transcript());
    let pr = &sim.opened()[0];
    assert_eq!(sim.opened().len(), 1);
    assert!(pr.body.contains("Now with a shell") && pr.body.contains("tcp:22"), "{}", pr.body);
    assert!(!pr.body.contains("Read one table"), "{}", pr.body);
    // Each edit is answered on the issue, but only the first answer mentions the approvers: the
    // review request notifies them once, and editing again and again must not ping them again.
    let comments = sim.comments();
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert!(comments[0].body.contains("@bob-gh"), "{}", comments[0].body);
    assert!(comments[1].body.contains("#13") && !comments[1].body.contains('@'), "{}", comments[1].body);
}

/// A reminder issue the requester closed ("not needed") was still said: the next hourly run
/// must not open it again, and again, until the grant expires.
#[test]
fn remind_does_not_reopen_a_reminder_that_was_closed() {
    let repo = repo_with_origin();
    expiring(&repo);
    let sim = Simulator::start(Setup::default()).unwrap();
    let r = run(&repo, "remind", &sim, None, WRITE_TOKEN, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(sim.issues().len(), 1);
    sim.close_issue(1);
    let again = run(&repo, "remind", &sim, None, WRITE_TOKEN, &[]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert!(again.stdout.ends_with("already reminded on #1\n"), "{}", again.stdout);
    assert_eq!(sim.issues().len(), 1, "{:?}", sim.issues());
}

/// Prod (example.com, `policy.hujson`) and staging, sharing `grants/shared/`.
fn two_tailnets() -> Repo {
    let config = config(
        r#""tailnets": {
		"prod": {"tailnet": "example.com", "base": "policy.hujson",
			"fragments": ["grants/prod/*.hujson", "grants/shared/*.hujson"]},
		"staging": {"tailnet": "staging.example.com", "base": "staging/policy.hujson",
			"fragments": ["grants/staging/*.hujson", "grants/shared/*.hujson"]},
	},"#,
    );
    with_origin(Repo::with(&[
        ("policies/tailgrant.hujson", &config),
        ("policies/policy.hujson", BASE_POLICY),
        ("policies/staging/policy.hujson", BASE_POLICY),
    ]))
}

#[test]
fn with_several_tailnets_a_request_names_one_and_its_file_lands_there_alone() {
    let repo = two_tailnets();
    let asked =
        |tailnet: &str| body("tag:prod-db:5432", "bob@example.com", "Debug") + &format!("\n### Tailnet\n\n{tailnet}\n");
    let sim = forge("alice-gh");
    let r = request(&repo, &sim, "alice-gh", &asked("staging"));
    assert_eq!(r.code, 0, "{}", r.transcript());
    let file = "policies/grants/staging/2026-11-23-alice-prod-db.hujson";
    assert_eq!(r.stdout, format!("{file}: opened pull request #13; review requested from bob-gh\n"));
    // It passes check, and lands in staging, not in prod.
    let check = crate::common::run(crate::common::tailgrant(repo.path()).args(["check", "--dir", "policies", AT]));
    assert_eq!(check.code, 0, "{}", check.transcript());
    assert!(check.stdout.contains("grants/staging/2026-11-23-alice-prod-db.hujson -> staging\n"), "{}", check.stdout);

    // The tailnet's name for the API does as well as its name in `tailnets`.
    let repo = two_tailnets();
    let sim = forge("alice-gh");
    let r = request(&repo, &sim, "alice-gh", &asked("Staging.Example.com"));
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.starts_with(file), "{}", r.stdout);
}

#[test]
fn with_several_tailnets_a_request_that_names_none_or_another_is_refused() {
    let repo = two_tailnets();
    let plain = body("tag:prod-db:5432", "bob@example.com", "Debug");
    let cases: [(String, &[&str], &str); 3] = [
        (
            plain.clone(),
            &[],
            "this repository runs several tailnets (prod, staging), and the request does not say which",
        ),
        (
            plain.clone() + "\n### Tailnet\n\ndev\n",
            &[],
            "the request is for tailnet dev, which this repository does not run",
        ),
        (
            plain.clone() + "\n### Tailnet\n\nstaging\n",
            &["--tailnet", "prod"],
            "the request is for tailnet staging, but this run is for tailnet prod",
        ),
    ];
    for (text, extra, why) in cases {
        let sim = forge("alice-gh");
        let event = issue_event(repo.path(), "alice-gh", &text);
        let r = run(&repo, "request", &sim, Some(&event), WRITE_TOKEN, extra);
        assert_eq!(r.code, 1, "{}", r.transcript());
        assert!(sim.opened().is_empty());
        let comments = sim.comments();
        assert_eq!(comments.len(), 1, "{comments:?}");
        // The message as written, whatever the width it was wrapped to.
        let said = comments[0].body.replace("\n  │ ", " ");
        assert!(said.contains("TG501") && said.contains(why), "{why}: {}", comments[0].body);
    }
    // With one tailnet, a request for another is refused too; its own name is fine.
    let repo = with_origin(Repo::new(&config(r#""tailnet": "example.com","#)));
    for (tailnet, code) in [("other.example.com", 1), ("example.com", 0)] {
        let sim = forge("alice-gh");
        let r = request(&repo, &sim, "alice-gh", &(plain.clone() + &format!("\n### Tailnet\n\n{tailnet}\n")));
        assert_eq!(r.code, code, "{tailnet}: {}", r.transcript());
    }
}

#[test]
fn a_grant_in_several_tailnets_is_one_reminder() {
    let repo = two_tailnets();
    let text = grant("alice@example.com", &["bob@example.com"], "")
        .replace("2026-11-22T09:00:00Z", "2026-11-22T17:00:00Z")
        .replace("2026-11-29T17:00:00Z", "2026-11-23T17:00:00Z");
    repo.write("policies/grants/shared/alice.hujson", &text);
    repo.commit("grant alice prod-db in both");
    let sim = Simulator::start(Setup::default()).unwrap();
    let r = run(&repo, "remind", &sim, None, WRITE_TOKEN, &[]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(
        r.stdout,
        "policies/grants/shared/alice.hujson: expires 2026-11-23T17:00:00Z; opened issue #1 for @alice-gh\n"
    );
    // One tailnet's scheduled run sees the same reminder, already said.
    let r = run(&repo, "remind", &sim, None, WRITE_TOKEN, &["--tailnet", "staging"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.ends_with("already reminded on #1\n"), "{}", r.stdout);
    assert_eq!(sim.issues().len(), 1);
}
