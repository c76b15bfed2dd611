//! `tailgrant audit` over a git history built here with dated commits: grants added, changed,
//! renamed, pruned late, removed early, and a version that does not parse.
use std::path::Path;

use crate::support::{BASE, TestRepo};

const AT: &str = "--at=2026-11-01T00:00:00Z";

/// Commits everything in the work tree at `date`, by `who`, with `message`.
pub(crate) fn commit(dir: &Path, date: &str, who: &str, message: &str) {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
            .args(args)
            .current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_AUTHOR_EMAIL", format!("{}@example.com", who.to_lowercase()))
            .env("GIT_COMMITTER_NAME", "Merge Bot")
            .env("GIT_COMMITTER_EMAIL", "bot@example.com")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    if !dir.join(".git").exists() {
        git(&["init", "-q", "-b", "main"]);
    }
    git(&["add", "-A"]);
    git(&["commit", "-q", "--allow-empty", "-m", message]);
}

pub(crate) fn grant_file(requester: &str, approvers: &str, why: &str, from: &str, to: &str, body: &str) -> String {
    let j = |s: &str| serde_json::to_string(s).unwrap();
    format!(
        "{{\n\t\"description\": {},\n\t\"requester\": {},\n\t\"approvers\": [{approvers}],\n\t\"notBefore\": {},\n\t\"expires\": {},\n\t{body}\n}}\n",
        j(why),
        j(requester),
        j(from),
        j(to)
    )
}

fn net(src: &str, dst: &str, port: &str) -> String {
    format!("\"grants\": [{{\"src\": [{src:?}], \"dst\": [{dst:?}], \"ip\": [\"tcp:{port}\"]}}],")
}

/// The story the tests read back.
pub(crate) fn history() -> TestRepo {
    let r = TestRepo::new();
    let d = r.dir.path();
    r.write("policies/policy.hujson", BASE);
    commit(d, "2026-10-01T09:00:00Z", "Carol", "Base policy");
    let alice = |why: &str, approvers: &str| {
        grant_file(
            "alice@example.com",
            approvers,
            why,
            "2026-10-03T09:00:00Z",
            "2026-10-05T17:00:00Z",
            &net("alice@example.com", "tag:prod-db", "5432"),
        )
    };
    r.write("policies/grants/alice-prod-db.hujson", alice("Debug replication lag (INC-4211)", "\"bob@example.com\""));
    commit(d, "2026-10-02T14:00:00Z", "Alice", "Grant alice prod-db (#12)");
    r.write(
        "policies/grants/alice-prod-db.hujson",
        alice("Debug replication lag (INC-4211, INC-4212)", "\"bob@example.com\", \"carol@example.com\""),
    );
    commit(d, "2026-10-04T10:00:00Z", "Bob", "Merge pull request #13 from alice/second-incident\n\nAdd INC-4212");
    r.write(
        "policies/grants/dave-web.hujson",
        grant_file(
            "dave@example.com",
            "\"alice@example.com\"",
            "Deploy the new frontend (CHG-77)",
            "2026-10-05T08:00:00Z",
            "2026-10-20T18:00:00Z",
            &net("dave@example.com", "tag:web", "443"),
        ),
    );
    commit(d, "2026-10-05T07:30:00Z", "Dave", "Grant dave web\n\nSee merge request infra/tailnet!7");
    let erin = grant_file(
        "erin@example.com",
        "\"bob@example.com\"",
        "Restore a backup (INC-4300)",
        "2026-10-07T09:00:00Z",
        "2026-10-09T09:00:00Z",
        &net("erin@example.com", "tag:prod-db", "5432"),
    );
    r.write("policies/grants/erin-prod-db.hujson", &erin);
    commit(d, "2026-10-06T12:00:00Z", "Erin", "Grant erin prod-db (#14)");
    r.write("policies/grants/erin-prod-db.hujson", erin.replacen(",\n\t\"grants\"", "\n\t\"grants\"", 1));
    commit(d, "2026-10-07T07:00:00Z", "Erin", "WIP: more time");
    r.write("policies/grants/erin-prod-db.hujson", &erin);
    commit(d, "2026-10-07T08:00:00Z", "Erin", "Fix erin's grant (#15)");
    std::fs::rename(d.join("policies/grants/dave-web.hujson"), d.join("policies/grants/2026-10-05-dave-web.hujson"))
        .unwrap();
    commit(d, "2026-10-08T11:00:00Z", "Carol", "Name grant files by date (#16)");
    std::fs::remove_file(d.join("policies/grants/alice-prod-db.hujson")).unwrap();
    commit(d, "2026-10-09T06:00:00Z", "Prune Bot", "Prune expired grants (#17)");
    std::fs::remove_file(d.join("policies/grants/2026-10-05-dave-web.hujson")).unwrap();
    commit(d, "2026-10-10T16:00:00Z", "Dave", "Done with the frontend (#18)");
    r.write(
        "policies/grants/frank-dba.hujson",
        grant_file(
            "frank@example.com",
            "\"bob@example.com\"",
            "On call for the database (OPS-9)",
            "2026-10-12T00:00:00Z",
            "2026-10-30T00:00:00Z",
            "\"groups\": {\"group:dba\": [\"frank@example.com\"]},",
        ),
    );
    commit(d, "2026-10-12T00:00:00Z", "Frank", "Frank joins the DBAs (#19)");
    r
}

fn audit(r: &TestRepo, args: &[&str]) -> crate::support::Run {
    let mut all = vec!["audit", AT];
    all.extend_from_slice(args);
    let run = r.run(&all);
    assert_eq!(run.code, 0, "{}", run.transcript());
    run
}

fn files(run: &crate::support::Run) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    v["grants"].as_array().unwrap().iter().map(|g| g["path"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn every_format_of_the_full_history() {
    let r = history();
    for (format, name) in
        [("table", "audit_table"), ("markdown", "audit_markdown"), ("csv", "audit_csv"), ("json", "audit_json")]
    {
        let run = audit(&r, &["--format", format]);
        assert_eq!(tailgrant::report::audit::verify(run.stdout.as_bytes()), Some(true), "{format} is sealed");
        insta::assert_snapshot!(name, run.stdout);
    }
}

#[test]
fn lives_are_told_right() {
    let r = history();
    let v: serde_json::Value = serde_json::from_str(&audit(&r, &["--format", "json"]).stdout).unwrap();
    let grants = v["grants"].as_array().unwrap();
    let by = |p: &str| grants.iter().find(|g| g["path"] == p).unwrap_or_else(|| panic!("{p} missing"));
    let alice = by("policies/grants/alice-prod-db.hujson");
    assert_eq!(alice["added"]["pullRequest"], "#12");
    assert_eq!(alice["changes"][0]["pullRequest"], "#13");
    assert_eq!(alice["approvers"], serde_json::json!(["bob@example.com", "carol@example.com"]));
    assert_eq!(alice["removal"]["status"], "afterExpiry");
    assert_eq!(alice["removal"]["seconds"], 13 * 3600 + 3 * 86400, "pruned 3d 13h after it expired");
    let dave = by("policies/grants/2026-10-05-dave-web.hujson");
    assert_eq!(dave["formerPaths"], serde_json::json!(["policies/grants/dave-web.hujson"]));
    assert_eq!(dave["changes"][0]["kind"], "renamed");
    assert_eq!(dave["added"]["pullRequest"], "!7");
    assert_eq!(dave["removal"]["status"], "beforeExpiry");
    assert_eq!(dave["removed"]["author"], "Dave");
    let erin = by("policies/grants/erin-prod-db.hujson");
    assert_eq!(erin["problems"].as_array().unwrap().len(), 1, "the second version does not parse");
    assert_eq!(erin["changes"].as_array().unwrap().len(), 2);
    assert!(erin["problems"][0]["message"].as_str().unwrap().starts_with("TG001 "), "{}", erin["problems"]);
    assert_eq!(erin["removal"]["status"], "presentExpired");
    assert_eq!(erin["requester"], "erin@example.com", "from the last version that parses");
    assert_eq!(v["summary"]["grants"], 4);
    assert_eq!(v["revisions"]["commits"], 11);
    assert_eq!(v["revisions"]["head"].as_str().unwrap().len(), 40);
}

#[test]
fn a_period_keeps_the_files_that_existed_in_it() {
    let r = history();
    let run = audit(&r, &["--format", "json", "--since", "2026-10-11T00:00:00Z"]);
    assert_eq!(files(&run), ["policies/grants/erin-prod-db.hujson", "policies/grants/frank-dba.hujson"]);
    let run = audit(&r, &["--format", "json", "--until", "2026-10-04T00:00:00Z"]);
    assert_eq!(files(&run), ["policies/grants/alice-prod-db.hujson"]);
    let backwards = r.run(&["audit", AT, "--since", "2026-10-11T00:00:00Z", "--until", "2026-10-01T00:00:00Z"]);
    assert_eq!(backwards.code, 2, "{}", backwards.transcript());
    assert!(backwards.stderr.contains("the period is empty"), "{}", backwards.stderr);
}

#[test]
fn who_could_reach_prod_db_in_october() {
    let r = history();
    // frank's file opens nothing itself: joining group:dba reaches tag:prod-db through the
    // base's rule.
    let run = audit(&r, &["--format", "json", "--dst", "tag:prod-db", "--since", "2026-10-01T00:00:00Z"]);
    assert_eq!(
        files(&run),
        [
            "policies/grants/alice-prod-db.hujson",
            "policies/grants/erin-prod-db.hujson",
            "policies/grants/frank-dba.hujson"
        ]
    );
    assert!(run.stdout.contains("\"filterMatch\": \"matched\""));
    let run = audit(&r, &["--format", "json", "--dst", "tag:prod-db:22"]);
    assert!(files(&run).is_empty(), "port 5432 only: {}", run.stdout);
}

#[test]
fn what_an_identity_was_given() {
    let r = history();
    let run = audit(&r, &["--format", "json", "--src", "dave@example.com"]);
    assert_eq!(files(&run), ["policies/grants/2026-10-05-dave-web.hujson"]);
    let run = audit(&r, &["--format", "json", "--src", "frank@example.com", "--dst", "tag:prod-db:5432"]);
    assert_eq!(files(&run), ["policies/grants/frank-dba.hujson"]);
    // bob is a DBA in the base: no grant file gave him that.
    let run = audit(&r, &["--format", "json", "--src", "bob@example.com", "--dst", "tag:prod-db:5432"]);
    assert!(files(&run).is_empty());
    // The period matters: alice's access was over by the 6th.
    let run = audit(&r, &["--format", "json", "--src", "alice@example.com", "--since", "2026-10-06T00:00:00Z"]);
    assert!(files(&run).is_empty());
}

#[test]
fn output_file_and_errors() {
    let r = history();
    let run = audit(&r, &["--format", "csv", "-o", "audit.csv"]);
    assert_eq!(run.stdout, "");
    let csv = r.read("audit.csv");
    assert!(csv.starts_with("path,former_paths,requester,"), "{csv}");
    assert_eq!(tailgrant::report::audit::verify(csv.as_bytes()), Some(true));
    let plain = TestRepo::new();
    let run = plain.run(&["audit", AT]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("not in a git repository"), "{}", run.stderr);
}

#[test]
fn the_config_of_each_revision_decides_what_is_a_grant_file() {
    let r = TestRepo::new();
    let d = r.dir.path();
    let file = grant_file(
        "alice@example.com",
        "\"bob@example.com\"",
        "Why (T-1)",
        "2026-10-01T00:00:00Z",
        "2026-10-20T00:00:00Z",
        &net("alice@example.com", "tag:prod-db", "5432"),
    );
    r.write("policies/grants/a.hujson", &file);
    commit(d, "2026-10-01T00:00:00Z", "Alice", "Grant (#1)");
    r.write("policies/tailgrant.hujson", "{\"exclude\": [\"grants/a.hujson\"]}\n");
    commit(d, "2026-10-02T00:00:00Z", "Carol", "Exclude a (#2)");
    std::fs::remove_file(d.join("policies/tailgrant.hujson")).unwrap();
    commit(d, "2026-10-03T00:00:00Z", "Carol", "Include it again (#3)");
    let v: serde_json::Value = serde_json::from_str(&audit(&r, &["--format", "json"]).stdout).unwrap();
    let grants = v["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 2, "{v:#}");
    assert_eq!(grants[0]["removed"]["how"], "noLongerMatched");
    assert_eq!(grants[0]["removed"]["pullRequest"], "#2");
    assert_eq!(grants[1]["added"]["pullRequest"], "#3");
    assert_eq!(grants[1]["removal"]["status"], "presentExpired");
}

#[test]
fn the_json_is_what_the_schema_says() {
    let r = history();
    let v: serde_json::Value = serde_json::from_str(&audit(&r, &["--format", "json"]).stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/audit.schema.json")).unwrap(),
    )
    .unwrap();
    let keys =
        |o: &serde_json::Value| o.as_object().unwrap().keys().cloned().collect::<std::collections::BTreeSet<_>>();
    assert_eq!(keys(&v), keys(&schema["properties"]));
    let life = &schema["$defs"]["GrantLife"]["properties"];
    for g in v["grants"].as_array().unwrap() {
        assert!(keys(g).is_subset(&keys(life)), "{:?} not in the schema", keys(g).difference(&keys(life)));
    }
    assert!(v["sha256"].as_str().unwrap().len() == 64);
}

#[test]
fn with_several_tailnets_an_audit_is_of_one_and_follows_it_back_to_before_tailnets() {
    let r = TestRepo::new();
    let d = r.dir.path();
    let window = ("2026-10-03T09:00:00Z", "2026-10-05T17:00:00Z");
    let file = |who: &str, port: &str| {
        grant_file(
            &format!("{who}@example.com"),
            "\"bob@example.com\"",
            "Debug",
            window.0,
            window.1,
            &net(&format!("{who}@example.com"), "tag:prod-db", port),
        )
    };
    // One tailnet (example.com), with one grant.
    r.write("policies/policy.hujson", BASE);
    r.write("policies/tailgrant.hujson", "{\"tailnet\": \"example.com\"}\n");
    r.write("policies/grants/alice.hujson", file("alice", "5432"));
    commit(d, "2026-10-02T09:00:00Z", "Carol", "One tailnet");
    // It becomes prod of two; alice's grant moves to prod's directory.
    r.write(
        "policies/tailgrant.hujson",
        r#"{
	"tailnets": {
		"prod": {"tailnet": "example.com", "base": "policy.hujson",
			"fragments": ["grants/prod/*.hujson", "grants/shared/*.hujson"]},
		"staging": {"tailnet": "staging.example.com", "base": "staging/policy.hujson",
			"fragments": ["grants/staging/*.hujson", "grants/shared/*.hujson"]},
	},
}
"#,
    );
    r.write("policies/staging/policy.hujson", BASE);
    std::fs::create_dir_all(d.join("policies/grants/prod")).unwrap();
    std::fs::rename(d.join("policies/grants/alice.hujson"), d.join("policies/grants/prod/alice.hujson")).unwrap();
    r.write("policies/grants/staging/bob.hujson", file("bob", "6543"));
    r.write("policies/grants/shared/carol.hujson", file("carol", "5432"));
    commit(d, "2026-10-03T08:00:00Z", "Carol", "Two tailnets");

    // Which one is for the person asking.
    let run = r.run(&["audit", AT]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("runs 2 tailnets; name one with --tailnet NAME (prod, staging)"), "{}", run.stderr);
    let prod = audit(&r, &["--tailnet", "prod", "--format", "json"]);
    assert_eq!(files(&prod), ["policies/grants/prod/alice.hujson", "policies/grants/shared/carol.hujson"]);
    let v: serde_json::Value = serde_json::from_str(&prod.stdout).unwrap();
    assert_eq!(v["filter"]["tailnet"], "prod");
    assert_eq!(v["grants"][0]["formerPaths"], serde_json::json!(["policies/grants/alice.hujson"]));
    let staging = audit(&r, &["--tailnet", "staging", "--format", "json"]);
    assert_eq!(files(&staging), ["policies/grants/shared/carol.hujson", "policies/grants/staging/bob.hujson"]);
    // A filter reads each tailnet's own base; the table says which tailnet it is of.
    let table = audit(&r, &["--tailnet", "staging", "--dst", "tag:prod-db:6543"]);
    assert!(table.stdout.contains(", opening tag:prod-db:6543, in tailnet staging"), "{}", table.stdout);
    assert!(table.stdout.contains("grants/staging/bob.hujson") && !table.stdout.contains("carol"), "{}", table.stdout);
}

#[test]
fn an_audit_of_a_tailnet_follows_it_through_a_renamed_entry() {
    let r = TestRepo::new();
    let d = r.dir.path();
    let two = |prod: &str, staging: &str| {
        format!(
            r#"{{
	"tailnets": {{
		"{prod}": {{"tailnet": "example.com", "base": "policy.hujson", "fragments": ["grants/prod/*.hujson"]}},
		"{staging}": {{"tailnet": "staging.example.com", "base": "staging/policy.hujson", "fragments": ["grants/staging/*.hujson"]}},
	}},
}}
"#
        )
    };
    // Prod is the entry `production` at first; alice's grant is in force there, then removed.
    r.write("policies/policy.hujson", BASE);
    r.write("policies/staging/policy.hujson", BASE);
    r.write("policies/tailgrant.hujson", two("production", "staging"));
    r.write(
        "policies/grants/prod/alice.hujson",
        grant_file(
            "alice@example.com",
            "\"bob@example.com\"",
            "Debug",
            "2026-10-03T09:00:00Z",
            "2026-10-05T17:00:00Z",
            &net("alice@example.com", "tag:prod-db", "5432"),
        ),
    );
    commit(d, "2026-10-02T09:00:00Z", "Carol", "Two tailnets");
    std::fs::remove_file(d.join("policies/grants/prod/alice.hujson")).unwrap();
    commit(d, "2026-10-06T09:00:00Z", "Carol", "Prune");
    // The entry is renamed; its tailnet for the API is the same, and so was alice's access.
    r.write("policies/tailgrant.hujson", two("prod", "staging"));
    commit(d, "2026-10-07T09:00:00Z", "Carol", "Rename");
    let prod = audit(&r, &["--tailnet", "prod", "--format", "json"]);
    assert_eq!(files(&prod), ["policies/grants/prod/alice.hujson"], "{}", prod.stdout);
    // Staging never had it.
    let staging = audit(&r, &["--tailnet", "staging", "--format", "json"]);
    assert_eq!(files(&staging), Vec::<String>::new());
}
