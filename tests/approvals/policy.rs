//! The config's approval policy (`approvals.minimum`, `approvals.requireOwnerApproval`) and the
//! validation of `people`.

use forge_sim::ReviewState;

use crate::support::*;

/// A pull request adding a grant that names `approvers`, under a base config with `extra`,
/// approved by `reviewers`.
fn run(extra: &str, approvers: &[&str], reviewers: &[&str]) -> Run {
    let repo = Repo::new(&config(extra));
    repo.write(GRANT, &grant("alice@example.com", approvers, ""));
    let head = repo.commit("grant");
    let base = repo.base();
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    for r in reviewers {
        sim.review(7, r, ReviewState::Approved, &head);
    }
    approvals_json(&repo, &[], &github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN))
}

#[test]
fn a_minimum_counts_independent_approvals_of_the_head() {
    let policy = r#""approvals": {"minimum": 2},"#;
    let r = run(policy, &["bob@example.com"], &["bob-gh"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG405") && r.stdout.contains("1 of the at least 2 approvals"), "{}", r.stdout);
    // The author's own approval is no second one; carol's is.
    let r = run(policy, &["bob@example.com"], &["bob-gh", "alice-gh"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    let r = run(policy, &["bob@example.com"], &["bob-gh", "carol-gh"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn owner_approval_is_required_when_asked_for() {
    let policy = r#""approvals": {"requireOwnerApproval": true},"#;
    // Carol approves as named, but only group:dba (bob) owns tag:prod-db.
    let r = run(policy, &["carol@example.com"], &["carol-gh"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("TG406") && r.stdout.contains("no one who approved owns tag:prod-db"), "{}", r.stdout);
    // Bob approving too, though not named, satisfies it.
    let r = run(policy, &["carol@example.com"], &["carol-gh", "bob-gh"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
}

#[test]
fn people_is_validated_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(dir.path(), "policies/policy.hujson", BASE_POLICY);
    crate::common::write(
        dir.path(),
        "policies/tailgrant.hujson",
        r#"{
	"people": {
		"group:dba":         {"github": "dba"},
		"bob@example.com":   {"github": "bob_gh", "gitlab": "bob.git"},
		"carol@example.com": {"github": "carol-gh"},
		"dave@example.com":  {"github": "Carol-GH"},
		"erin@example.com":  {"gitlab": "erin", "bitbucket": "erin"},
	},
}
"#,
    );
    let r = crate::common::run(crate::common::tailgrant(dir.path()).args(["check", "--format", "json"]));
    assert_eq!(r.code, 1, "{}", r.transcript());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let messages: Vec<String> =
        v["findings"].as_array().unwrap().iter().map(|f| format!("{} {}", f["code"], f["message"])).collect();
    let want = [
        "\"TG004\" \"\\\"group:dba\\\" is not a person's login: it has no @\"",
        "\"TG004\" \"\\\"bob_gh\\\" is not a GitHub account name: it holds characters other than letters, digits and hyphens\"",
        "\"TG004\" \"\\\"bob.git\\\" is not a GitLab account name: it starts with `-` or `.`, or ends with `.`, `.git` or `.atom`\"",
        "\"TG004\" \"the GitHub account Carol-GH is mapped to both carol@example.com and dave@example.com\"",
    ];
    for w in want {
        assert!(messages.iter().any(|m| m == w), "{w} not in {messages:#?}");
    }
    assert!(messages.iter().any(|m| m.starts_with("\"TG003\"") && m.contains("bitbucket")), "{messages:#?}");
}
