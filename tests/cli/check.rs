use crate::support::{AT, TestRepo, grant};

#[test]
fn example_is_clean_with_a_warning_for_the_expired_grant() {
    let r = TestRepo::example();
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(run.transcript());
}

#[test]
fn example_json_report() {
    let r = TestRepo::example();
    let run = r.run(&["check", AT, "--format", "json"]);
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["fragments"], serde_json::json!({"active": 2, "expired": 1, "pending": 1}));
    assert_eq!(v["findings"][0]["code"], "TG053");
    assert_eq!(v["findings"][0]["line"], 8);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn example_github_annotations() {
    let r = TestRepo::example();
    let run = r.run(&["check", AT, "--format", "github"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("::warning file=policies/grants/2026-11-10-dave-staging.hujson,line=8,col=17,"));
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn warns_before_a_grant_expires() {
    let r = TestRepo::example();
    let run = r.run(&["check", "--at=2026-11-28T12:00:00Z", "--format", "json"]);
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let soon: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "TG054").collect();
    assert_eq!(soon.len(), 1, "{}", run.stdout);
    assert_eq!(soon[0]["file"], "policies/grants/2026-11-22-alice-prod-db.hujson");
    assert!(soon[0]["message"].as_str().unwrap().contains("in 1d 5h"));
}

#[test]
fn a_window_that_never_opens_is_an_error() {
    let r = TestRepo::new();
    r.write(
        "policies/grants/x.hujson",
        grant(r#""grants": []"#).replace("2026-11-24T17:00:00Z", "2026-11-22T09:00:00Z"),
    );
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("TG052"), "{}", run.stdout);
}

#[test]
fn keys_match_without_regard_to_case() {
    let r = TestRepo::new();
    r.write(
        "policies/policy.hujson",
        crate::support::BASE.replace("\"tagOwners\"", "\"TagOwners\"").replace("\"grants\"", "\"Grants\""),
    );
    r.write(
        "policies/grants/x.hujson",
        grant(r#""GRANTS": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}]"#),
    );
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let rendered = r.run(&["render", AT]).stdout;
    assert_eq!(rendered.matches("\"Grants\"").count(), 1, "{rendered}");
    assert!(!rendered.contains("GRANTS"));
    assert!(rendered.contains("\"src\": [\"alice@example.com\"]"));
}

#[test]
fn usage_errors_exit_2() {
    let r = TestRepo::new();
    let bad_at = r.run(&["check", "--at", "friday"]);
    assert_eq!(bad_at.code, 2);
    assert!(bad_at.stderr.contains("not an RFC 3339 instant"), "{}", bad_at.stderr);
    let missing = r.run(&["check", "--dir", "nowhere"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot open the policies directory nowhere"), "{}", missing.stderr);
    let not_dir = r.run(&["check", "--dir", "policies/policy.hujson"]);
    assert_eq!(not_dir.code, 2);
    assert!(not_dir.stderr.contains("is not a directory"));
    assert_eq!(r.run(&["frobnicate"]).code, 2);
}
