//! Several tailnets (`tailnets` in tailgrant.hujson): a grant file is judged in every tailnet
//! it lands in, against that tailnet's base policy as the base revision has it; `--tailnet`
//! narrows the judging to one.

use forge_sim::ReviewState;

use crate::support::*;

/// Staging's base policy: there carol, not bob, owns tag:prod-db.
const STAGING_POLICY: &str = r#"{
	"groups": {
		"group:eng": ["alice@example.com", "bob@example.com", "carol@example.com"],
		"group:dba": ["carol@example.com"],
	},
	"tagOwners": {
		"tag:prod-db": ["group:dba"],
	},
}
"#;

/// Owner approval required; prod and staging share `grants/shared/`.
fn tailnets(prod_globs: &str, extra: &str) -> String {
    config(&format!(
        r#""approvals": {{"requireOwnerApproval": true}},
	"tailnets": {{
		"prod": {{"tailnet": "example.com", "base": "prod/policy.hujson",
			"fragments": ["grants/shared/*.hujson", {prod_globs}]}},
		"staging": {{"tailnet": "staging.example.com", "base": "staging/policy.hujson",
			"fragments": ["grants/shared/*.hujson", "grants/staging/*.hujson"]}},
		{extra}
	}},"#
    ))
}

const PROD_GLOBS: &str = r#""grants/prod/*.hujson""#;

/// The base branch of a two-tailnet repository, with `more` files besides.
fn repo(config: &str, more: &[(&str, &str)]) -> Repo {
    let mut files = vec![
        ("policies/tailgrant.hujson", config),
        ("policies/prod/policy.hujson", BASE_POLICY),
        ("policies/staging/policy.hujson", STAGING_POLICY),
    ];
    files.extend(more);
    Repo::with(&files)
}

/// Pull request #7 by alice at the branch's head, approved by `reviewers`, judged with `args`.
fn judged(repo: &Repo, reviewers: &[&str], args: &[&str]) -> (Run, serde_json::Value) {
    let head = repo.commit("grant");
    let base = repo.base();
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    for r in reviewers {
        sim.review(7, r, ReviewState::Approved, &head);
    }
    let env = github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN);
    let mut all = vec!["--format", "json"];
    all.extend(args);
    let raw = approvals(repo, &all, &env);
    let json = match raw.code {
        2 => serde_json::Value::Null,
        _ => serde_json::from_str(&raw.stdout).unwrap_or_else(|e| panic!("{e}: {}", raw.transcript())),
    };
    (approvals_json(repo, args, &env), json)
}

#[test]
fn a_grant_file_is_judged_by_the_owners_in_each_tailnet_it_lands_in() {
    // Staging only: carol owns tag:prod-db there, and her approval is enough.
    let r = repo(&tailnets(PROD_GLOBS, ""), &[]);
    r.write("policies/grants/staging/alice.hujson", &grant("alice@example.com", &["carol@example.com"], ""));
    let (run, json) = judged(&r, &["carol-gh"], &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(json["files"][0]["tailnets"], serde_json::json!(["staging"]));

    // Shared: it lands in prod too, where bob owns tag:prod-db; carol alone is not enough.
    let r = repo(&tailnets(PROD_GLOBS, ""), &[]);
    r.write("policies/grants/shared/alice.hujson", &grant("alice@example.com", &["carol@example.com"], ""));
    let (run, json) = judged(&r, &["carol-gh"], &[]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(json["files"][0]["tailnets"], serde_json::json!(["prod", "staging"]));
    assert!(run.stdout.contains("TG406") && run.stdout.contains("owns tag:prod-db in tailnet prod"), "{}", run.stdout);
    assert!(!run.stdout.contains("in tailnet staging"), "{}", run.stdout);
    // Each tailnet's owner approving passes, though neither owns it in both.
    let (run, _) = judged(&r, &["carol-gh", "bob-gh"], &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
}

#[test]
fn tailnet_narrows_the_judging_to_the_files_that_land_there() {
    let r = repo(&tailnets(PROD_GLOBS, ""), &[]);
    r.write("policies/grants/shared/alice.hujson", &grant("alice@example.com", &["carol@example.com"], ""));
    r.write("policies/grants/prod/alice.hujson", &grant("alice@example.com", &["bob@example.com"], " prod"));
    let (run, json) = judged(&r, &["carol-gh"], &["--tailnet", "staging"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let files: Vec<&str> = json["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["policies/grants/shared/alice.hujson"]);
    // The same pull request for prod: the shared file wants bob, and so does prod's own.
    let (run, json) = judged(&r, &["carol-gh"], &["--tailnet", "prod"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(json["files"].as_array().unwrap().len(), 2);
    // A tailnet the config does not run is a usage error, not an empty verdict.
    let (run, _) = judged(&r, &["carol-gh"], &["--tailnet", "dev"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
}

#[test]
fn widening_a_tailnets_globs_re_judges_the_files_it_brings_in() {
    // Approved for staging, merged; the pull request only widens prod's globs to take it.
    let staging = grant("alice@example.com", &["carol@example.com"], "");
    let r = repo(&tailnets(PROD_GLOBS, ""), &[("policies/grants/staging/alice.hujson", &staging)]);
    r.write("policies/tailgrant.hujson", &tailnets(r#""grants/prod/*.hujson", "grants/staging/*.hujson""#, ""));
    let (run, json) = judged(&r, &["carol-gh"], &[]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(json["files"][0]["file"], "policies/grants/staging/alice.hujson");
    assert!(run.stdout.contains("owns tag:prod-db in tailnet prod"), "{}", run.stdout);
    // Prod's owner approving it for prod is what lets it in.
    let (run, _) = judged(&r, &["carol-gh", "bob-gh"], &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    // A pull request that changes no globs judges nothing already merged.
    let r = repo(&tailnets(PROD_GLOBS, ""), &[("policies/grants/staging/alice.hujson", &staging)]);
    r.write("policies/README.md", "policies\n");
    let (run, json) = judged(&r, &[], &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(json["files"], serde_json::json!([]));
}

#[test]
fn a_tailnet_the_base_revision_does_not_run_cannot_vouch_for_its_own_grants() {
    // The pull request adds tailnet dev, whose base policy (also new) makes dave the owner.
    let r = repo(&tailnets(PROD_GLOBS, ""), &[]);
    let dev =
        r#""dev": {"tailnet": "dev.example.com", "base": "dev/policy.hujson", "fragments": ["grants/dev/*.hujson"]},"#;
    r.write("policies/tailgrant.hujson", &tailnets(PROD_GLOBS, dev));
    r.write("policies/dev/policy.hujson", &STAGING_POLICY.replace("carol@", "dave@"));
    r.write("policies/grants/dev/alice.hujson", &grant("alice@example.com", &["dave@example.com"], ""));
    let (run, _) = judged(&r, &["dave-gh"], &[]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout.contains("TG407")
            && run.stdout.contains("lands in tailnet dev, which the base revision's tailgrant.hujson does not run"),
        "{}",
        run.stdout
    );
}

#[test]
fn introducing_tailnets_keeps_the_tailnet_it_was_and_judges_against_its_policy() {
    // One tailnet (example.com) becomes prod of two; its policy moves nowhere.
    let single = config(r#""approvals": {"requireOwnerApproval": true}, "tailnet": "example.com","#);
    let r = Repo::with(&[("policies/tailgrant.hujson", &single), ("policies/policy.hujson", BASE_POLICY)]);
    let two = |prod: &str| {
        config(&format!(
            r#""approvals": {{"requireOwnerApproval": true}},
	"tailnets": {{
		"prod": {{"tailnet": "{prod}", "base": "policy.hujson", "fragments": ["grants/**/*.hujson"]}},
	}},"#
        ))
    };
    r.write("policies/tailgrant.hujson", &two("example.com"));
    r.write(GRANT, &grant("alice@example.com", &["bob@example.com"], ""));
    let (run, json) = judged(&r, &["bob-gh"], &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(json["files"][0]["tailnets"], serde_json::json!(["prod"]));
    // Renamed to another tailnet of the API, it is a new tailnet: nothing trusted judges it.
    r.write("policies/tailgrant.hujson", &two("other.example.com"));
    let (run, _) = judged(&r, &["bob-gh"], &[]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.contains("TG407"), "{}", run.stdout);
}

/// Two tailnets of the API under entry names of the pull request's choosing.
fn named(prod: (&str, &str), staging: (&str, &str), first: &str) -> String {
    config(&format!(
        r#""approvals": {{"requireOwnerApproval": true}},
	"tailnets": {{
		{first}
		"{}": {{"tailnet": "{}", "base": "prod/policy.hujson", "fragments": ["grants/shared/*.hujson", "grants/prod/*.hujson"]}},
		"{}": {{"tailnet": "{}", "base": "staging/policy.hujson", "fragments": ["grants/shared/*.hujson", "grants/staging/*.hujson"]}},
	}},"#,
        prod.0, prod.1, staging.0, staging.1
    ))
}

#[test]
fn an_entry_that_names_another_tailnet_for_the_api_is_a_tailnet_the_base_does_not_run() {
    // The pull request swaps which tailnet of the API each entry is for: the entry `staging`,
    // whose owners (carol) judged its grants, now runs example.com, prod's tailnet.
    let r = repo(&tailnets(PROD_GLOBS, ""), &[]);
    r.write("policies/tailgrant.hujson", &named(("prod", "staging.example.com"), ("staging", "example.com"), ""));
    r.write("policies/grants/staging/alice.hujson", &grant("alice@example.com", &["carol@example.com"], ""));
    let (run, _) = judged(&r, &["carol-gh"], &[]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.contains("TG407") && run.stdout.contains("tailnet staging"), "{}", run.stdout);
    // The same entries for the same tailnets of the API (spelt in another case) judge as before.
    let r = repo(&tailnets(PROD_GLOBS, ""), &[]);
    r.write("policies/tailgrant.hujson", &named(("prod", "Example.com"), ("staging", "staging.example.com"), ""));
    r.write("policies/grants/staging/alice.hujson", &grant("alice@example.com", &["carol@example.com"], ""));
    let (run, _) = judged(&r, &["carol-gh"], &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
}

#[test]
fn tailnet_names_the_tailnet_the_base_revision_runs_not_one_the_pull_request_adds() {
    // The pull request adds, first, an entry whose tailnet for the API is spelt `prod`: by
    // the checkout's config `--tailnet prod` names it, and prod's own grant files would go
    // unjudged in the job for prod.
    let r = repo(&tailnets(PROD_GLOBS, ""), &[]);
    let decoy =
        r#""decoy": {"tailnet": "prod", "base": "staging/policy.hujson", "fragments": ["grants/decoy/*.hujson"]},"#;
    r.write("policies/tailgrant.hujson", &named(("prod", "example.com"), ("staging", "staging.example.com"), decoy));
    r.write("policies/grants/prod/alice.hujson", &grant("alice@example.com", &["bob@example.com"], ""));
    let (run, json) = judged(&r, &[], &["--tailnet", "prod"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(json["files"][0]["file"], "policies/grants/prod/alice.hujson");
    assert!(run.stdout.contains("TG401"), "{}", run.stdout);
    // By its tailnet for the API too; and bob's approval is what lets it in.
    let (run, json) = judged(&r, &["bob-gh"], &["--tailnet", "example.com"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(json["files"][0]["tailnets"], serde_json::json!(["prod"]));
}
