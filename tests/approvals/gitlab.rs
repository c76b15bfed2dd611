//! GitLab: merge request approvals, bound to the head by the project's settings and by the
//! merge request's head being the commit checked out.

use forge_sim::GitLabSettings;

use crate::support::*;

struct Mr {
    repo: Repo,
    sim: forge_sim::Simulator,
    base: String,
    head: String,
}

fn mr(approvers: &[&str], author: &str, settings: Option<GitLabSettings>) -> Mr {
    let repo = Repo::new(&config(""));
    repo.write(GRANT, &grant("alice@example.com", approvers, ""));
    let head = repo.commit("grant alice prod-db");
    let base = repo.base();
    let sim = gitlab(author, &base, &head, vec![by(&head, "alice")], settings);
    Mr { repo, sim, base, head }
}

impl Mr {
    fn run(&self) -> Run {
        approvals_json(&self.repo, &[], &gitlab_env(&self.sim, &self.base, GITLAB_TOKEN))
    }

    fn human(&self) -> Run {
        approvals(&self.repo, &[], &gitlab_env(&self.sim, &self.base, GITLAB_TOKEN))
    }
}

#[test]
fn an_approval_of_the_merge_request_passes() {
    let m = mr(&["bob@example.com"], "alice", None);
    m.sim.approve(3, "bob");
    let r = m.human();
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.contains("merge request !3"), "{}", r.stdout);
    assert!(m.sim.auth_headers().iter().all(|h| h == &format!("private-token: {GITLAB_TOKEN}")));
}

#[test]
fn no_approval_is_refused() {
    let m = mr(&["bob@example.com"], "alice", None);
    m.sim.approve(3, "carol");
    let r = m.human();
    assert_eq!(r.code, 1, "{}", r.transcript());
    insta::assert_snapshot!(named(&r.transcript(), &[(&m.head, "HEAD")]));
}

#[test]
fn a_push_after_the_approval_resets_it_and_a_moved_head_binds_nothing() {
    let m = mr(&["bob@example.com"], "alice", None);
    m.sim.approve(3, "bob");
    m.repo.write(GRANT, &grant("alice@example.com", &["bob@example.com"], " (longer)"));
    let head = m.repo.commit("more");
    m.sim.push_mr(3, by(&head, "alice"));
    let r = m.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("bob@example.com (GitLab @bob) has not approved"), "{}", r.stdout);
    // The pipeline of the old head, with bob's approval re-given on the new one: the
    // approvals are not of what this pipeline checked out.
    m.sim.approve(3, "bob");
    m.repo.git(&["checkout", "-q", "HEAD~1"]);
    let r = m.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG407") && r.stdout.contains("the commit checked out"), "{}", r.stdout);
}

#[test]
fn approvals_that_survive_a_push_cannot_be_bound() {
    let settings =
        GitLabSettings { reset_approvals_on_push: false, disable_committers_approval: true, author_approval: false };
    let m = mr(&["bob@example.com"], "alice", Some(settings));
    m.sim.approve(3, "bob");
    let r = m.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("Remove all approvals when commits are added to the source branch"), "{}", r.stdout);
}

#[test]
fn the_author_and_committers_never_approve() {
    let m = mr(&["dave@example.com"], "dave", None);
    m.sim.approve(3, "dave");
    let r = m.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("dave@example.com (GitLab @dave) opened the merge request"), "{}", r.stdout);
    // Carol committed (GitLab lists commits by e-mail).
    let m = mr(&["carol@example.com"], "alice", None);
    m.repo.write(GRANT, &grant("alice@example.com", &["carol@example.com"], " (fixed)"));
    let head = m.repo.commit("fix");
    m.sim.push_mr(3, by(&head, "carol"));
    m.sim.approve(3, "carol");
    let r = m.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("carol@example.com (GitLab @carol) committed to the merge request"), "{}", r.stdout);
}

#[test]
fn a_merge_request_cannot_remap_its_approver() {
    let m = mr(&["bob@example.com"], "alice", None);
    m.repo.write("policies/tailgrant.hujson", &config("").replace(r#""gitlab": "bob"}"#, r#""gitlab": "carol"}"#));
    let head = m.repo.commit("remap");
    m.sim.push_mr(3, by(&head, "alice"));
    m.sim.approve(3, "carol");
    let r = m.run();
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("bob@example.com (GitLab @bob) has not approved"), "{}", r.stdout);
}

#[test]
fn token_errors_name_the_scope() {
    let m = mr(&["bob@example.com"], "alice", None);
    let r = approvals_json(&m.repo, &[], &gitlab_env(&m.sim, &m.base, "glpat-notAValidTokenAtAll"));
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("401 401 Unauthorized: GITLAB_TOKEN is missing, invalid or expired"), "{}", r.stderr);
    assert!(!r.stderr.contains("notAValidToken"), "{}", r.stderr);
    let r = approvals_json(&m.repo, &[], &gitlab_env(&m.sim, &m.base, GITLAB_TOKEN_WITHOUT_SCOPE));
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("GITLAB_TOKEN lacks the permission `read_api`"), "{}", r.stderr);
    assert!(r.stderr.contains("insufficient_scope"), "{}", r.stderr);
}
