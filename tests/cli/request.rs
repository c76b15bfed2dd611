//! Self-service access without git skills: `new --from-issue` reads the access request form's
//! issue body (refusing, with located findings, whatever `check` would refuse), and `renew`
//! writes the follow-up of an expiring grant file.
use crate::support::{AT, Run, TestRepo};

/// The form's body as GitHub writes it: carol asks for tag:prod-db:5432 for 8h, bob approves.
fn body() -> String {
    "### Destinations\n\ntag:prod-db:5432\n\n### Protocol\n\ntcp\n\n### Duration\n\n8h\n\n### End time\n\n_No response_\n\n\
     ### Reason\n\nMigrate the billing schema\n\n### Ticket\n\nCHG-77\n\n### Approvers\n\nbob@example.com\n\n\
     ### Device\n\n_No response_\n\n### Posture attribute\n\n_No response_\n"
        .to_owned()
}

fn from_issue(r: &TestRepo, text: &str, who: &[&str]) -> Run {
    r.write("issue.md", text);
    let mut args = vec!["new", AT, "--from-issue", "issue.md"];
    args.extend(who);
    r.run(&args)
}

const CAROL: &[&str] = &["--issue-author", "carol-gh"];

#[test]
fn a_form_body_becomes_the_grant_file_new_would_write() {
    let r = TestRepo::example();
    let run = from_issue(&r, &body(), CAROL);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, "policies/grants/2026-11-23-carol-prod-db.hujson\n");
    let text = r.read("policies/grants/2026-11-23-carol-prod-db.hujson");
    insta::assert_snapshot!(text);
    // The same as from flags: one request, one file, however it was asked.
    let flags = r.run(&crate::common::new_for_carol(&[AT], "Migrate the billing schema (CHG-77)"));
    assert_eq!(flags.code, 0, "{}", flags.transcript());
    assert_eq!(r.read("policies/grants/2026-11-23-carol-prod-db-2.hujson"), text);
    assert_eq!(r.run(&["check", AT]).code, 0);
    // A device and its posture attribute become postureAttributes.
    let posture = body()
        .replace("### Device\n\n_No response_", "### Device\n\ncarol-laptop")
        .replace("### Posture attribute\n\n_No response_", "### Posture attribute\n\ncustom:prodAccess");
    let run = from_issue(&r, &posture, CAROL);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let text = r.read("policies/grants/2026-11-23-carol-prod-db-3.hujson");
    assert!(text.contains(r#"{"device": "carol-laptop", "key": "custom:prodAccess", "value": true}"#), "{text}");
}

#[test]
fn a_broken_form_is_refused_at_its_line() {
    let r = TestRepo::example();
    let before = std::fs::read_dir(r.path("policies/grants")).unwrap().count();
    let broken =
        body().replace("tag:prod-db:5432", "tag:prod-db").replace("### Duration\n\n8h", "### Duration\n\nforever");
    let run = from_issue(&r, &broken, CAROL);
    assert_eq!(run.code, 1, "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
    assert_eq!(std::fs::read_dir(r.path("policies/grants")).unwrap().count(), before, "nothing written");
    let hidden = body().replace("Migrate the billing schema", "Migrate the \u{202e}billing schema");
    let run = from_issue(&r, &hidden, CAROL);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stderr.contains("TG211") && run.stderr.contains("issue.md:19:"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{202e}'), "the character is never printed as it is");
}

#[test]
fn the_requester_is_the_issue_author_mapped_through_people() {
    let r = TestRepo::example();
    let run = from_issue(&r, &body(), &["--issue-author", "mallory-gh"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stderr.contains("TG502") && run.stderr.contains("mallory-gh"), "{}", run.stderr);
    // Accounts compare without regard to case, as GitHub compares them.
    let run = from_issue(&r, &body(), &["--issue-author", "Carol-GH"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let none = from_issue(&r, &body(), &[]);
    assert_eq!(none.code, 2, "{}", none.transcript());
}

#[test]
fn a_form_that_check_would_refuse_is_refused_with_checks_findings() {
    let r = TestRepo::example();
    // Carol approving her own access, 40 days, to everything on the database host.
    let bad = body()
        .replace("bob@example.com", "carol@example.com")
        .replace("### Duration\n\n8h", "### Duration\n\n40d")
        .replace("tag:prod-db:5432", "tag:prod-db:*");
    let run = from_issue(&r, &bad, CAROL);
    assert_eq!(run.code, 1, "{}", run.transcript());
    for code in ["TG202", "TG204", "TG207"] {
        assert!(run.stderr.contains(code), "{code} missing: {}", run.stderr);
    }
    // An approver that is not a login, as the form allows anyone to type.
    let run = from_issue(&r, &body().replace("bob@example.com", "group:dba"), CAROL);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stderr.contains("TG209"), "{}", run.stderr);
}

/// The issue form's fields are the ones `--from-issue` reads, label for label.
#[test]
fn the_issue_form_has_the_fields_the_parser_reads() {
    let form = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/ISSUE_TEMPLATE/access-request.yml"),
    )
    .unwrap();
    let labels: Vec<&str> =
        form.lines().filter_map(|l| l.trim().strip_prefix("label: ")).map(|l| l.trim_matches('"')).collect();
    let fields: Vec<&str> = tailgrant::model::form::FIELDS.iter().map(|(l, _)| *l).collect();
    assert_eq!(labels, fields);
    for (label, required) in tailgrant::model::form::FIELDS {
        let at = form.find(&format!("label: {label}\n")).unwrap();
        let rest = &form[at..];
        let end = rest.find("  - type:").unwrap_or(rest.len());
        assert!(rest[..end].contains(&format!("required: {required}")), "{label} required: {required}");
    }
}

#[test]
fn renew_writes_a_new_file_continuing_an_active_grant() {
    let r = TestRepo::example();
    let old = "policies/grants/2026-11-22-alice-prod-db.hujson";
    let before = r.read(old);
    let run = r.run(&["renew", AT, old, "--for", "3d"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    // It starts when the old one ends, so access does not lapse and is not doubled.
    assert_eq!(run.stdout, "policies/grants/2026-11-29-alice-prod-db.hujson\n");
    let text = r.read("policies/grants/2026-11-29-alice-prod-db.hujson");
    insta::assert_snapshot!(text);
    assert!(text.contains("\"notBefore\":   \"2026-11-29T17:00:00Z\""), "{text}");
    assert!(text.contains("\"expires\":     \"2026-12-02T17:00:00Z\""), "{text}");
    assert!(text.contains("// Lets the database's posture check"), "comments are kept");
    assert_eq!(r.read(old), before, "the original is left as it is");
    assert_eq!(r.run(&["check", AT]).code, 0);
    // Too long for the guardrail: refused like `new`, nothing written.
    let long = r.run(&["renew", AT, old, "--until", "2027-01-01T00:00:00Z"]);
    assert_eq!(long.code, 1, "{}", long.transcript());
    assert!(long.stderr.contains("TG202") && long.stderr.contains("not written"), "{}", long.stderr);
}

#[test]
fn renew_starts_an_expired_grant_again_now() {
    let r = TestRepo::example();
    let old = "policies/grants/2026-11-10-dave-staging.hujson";
    let run = r.run(&["renew", AT, old, "--for", "8h"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, "policies/grants/2026-11-23-dave-staging.hujson\n");
    let text = r.read("policies/grants/2026-11-23-dave-staging.hujson");
    insta::assert_snapshot!(text);
    assert!(text.contains("\"notBefore\":   \"2026-11-23T12:00:00Z\""), "{text}");
    assert!(text.contains("2026-11-23T20:00:00Z"), "{text}");
    let check = r.run(&["check", AT]);
    assert_eq!(check.code, 0, "{}", check.transcript());
    let explain = r.run(&["explain", AT, "dave@example.com", "tag:staging:443"]);
    assert_eq!(explain.code, 0, "{}", explain.transcript());
    assert!(explain.stdout.contains("2026-11-23-dave-staging.hujson"), "{}", explain.stdout);
    // Usage errors: a permanent file, a file that is not a grant file, an end before the start.
    assert_eq!(r.run(&["renew", AT, "policies/teams/payments.hujson", "--for", "8h"]).code, 2);
    assert_eq!(r.run(&["renew", AT, "policies/policy.hujson", "--for", "8h"]).code, 2);
    let backwards = r.run(&["renew", AT, old, "--until", "2026-11-01T00:00:00Z"]);
    assert_eq!(backwards.code, 2);
    assert!(backwards.stderr.contains("before it starts"), "{}", backwards.stderr);
}

/// `remind` needs the history to find a grant's pull request: outside a git repository it is
/// the job's setup that is wrong (exit 2), said before anything is asked of GitHub.
#[test]
fn remind_outside_a_git_repository_is_a_usage_error() {
    let r = TestRepo::example();
    let mut cmd = crate::common::tailgrant(r.dir.path());
    cmd.args(["remind", AT, "--within", "7d"])
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env("GITHUB_REPOSITORY", "example/tailnet")
        .env("GITHUB_TOKEN", "ghs_unitTokenForRemind")
        .env("GIT_CEILING_DIRECTORIES", r.dir.path().parent().unwrap());
    let run = crate::common::run(&mut cmd);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("git"), "{}", run.stderr);
    // Nothing due: nothing asked, exit 0.
    let quiet = crate::common::run(
        crate::common::tailgrant(r.dir.path())
            .args(["remind", AT])
            .env("GITHUB_API_URL", "http://127.0.0.1:9")
            .env("GITHUB_REPOSITORY", "example/tailnet")
            .env("GITHUB_TOKEN", "ghs_unitTokenForRemind"),
    );
    assert_eq!((quiet.code, quiet.stdout.as_str()), (0, ""), "{}", quiet.transcript());
}

/// A grant file no guardrail covers is trusted: nothing limits its destinations, its length or
/// its approvers. A request's author is not trusted, so a request is never written there, even
/// when the config (trusted, perhaps mistaken) guards another directory than `grants/`.
#[test]
fn a_request_is_never_written_where_no_guardrail_covers_it() {
    let r = TestRepo::example();
    let config = r.read("policies/tailgrant.hujson");
    r.write(
        "policies/tailgrant.hujson",
        config.replace("\"match\":                \"grants/**\"", "\"match\": \"temp/**\""),
    );
    // Everything on the database host, for a year and a half, approved by the requester.
    let wide = body()
        .replace("tag:prod-db:5432", "tag:prod-db:1-65535")
        .replace("### Duration\n\n8h", "### Duration\n\n500d")
        .replace("bob@example.com", "carol@example.com");
    let before = std::fs::read_dir(r.path("policies/grants")).unwrap().count();
    let run = from_issue(&r, &wide, CAROL);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stderr.contains("TG501") && run.stderr.contains("no guardrail covers"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(r.path("policies/grants")).unwrap().count(), before, "nothing written");
    // The same file written by hand (or with `new` from flags) is the policy owners' business.
    let flags = r.run(&crate::common::new_for_carol(&[AT], "Migrate"));
    assert_eq!(flags.code, 0, "{}", flags.transcript());
}
