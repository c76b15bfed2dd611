//! The README's `approvals` sample: pull request #7 adds the example's grant for alice, which
//! names bob, and bob has not approved. Run as the README shows it, it prints what the README
//! shows (the rest of the README is run by `tests/cli/readme.rs`).

use crate::common::readme::{blocks, matches, readme, words};
use crate::support::*;

#[test]
fn readme_approvals_sample_prints_what_it_shows() {
    let text = readme();
    let block = blocks(&text)
        .into_iter()
        .find(|b| b.console && b.steps.first().is_some_and(|s| s.command.starts_with("tailgrant approvals")))
        .expect("the README has an approvals sample");
    // The base branch without alice's grant; the pull request adds it.
    let repo = Repo::example(GRANT);
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GRANT);
    repo.write(GRANT, &std::fs::read_to_string(example).unwrap());
    let head = repo.commit("grant alice prod-db");
    let base = repo.base();
    let sim = github(vec![pull("alice-gh", &base, &head, vec![by(&head, "alice")])]);
    let env = github_env(&sim, &event(repo.path(), &base, &head, "alice-gh"), GITHUB_TOKEN);
    for step in &block.steps {
        let args = words(&step.command);
        assert_eq!(args[..2], ["tailgrant", "approvals"], "README line {}", block.line);
        // `approvals` in the policies directory's repository, as in CI.
        let mut all: Vec<&str> = args[2..].iter().map(String::as_str).collect();
        all.extend(["--color", "never"]);
        let run = approvals(&repo, &all, &env);
        let out = format!("{}{}", run.stdout, run.stderr);
        assert!(
            run.code == step.exit && matches(&step.expected, &out),
            "README line {}: `{}`\nexit {} (the README says {})\n--- the README shows\n{}--- it prints\n{out}",
            block.line,
            step.command,
            run.code,
            step.exit,
            step.expected
        );
    }
}
