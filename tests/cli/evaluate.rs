use crate::support::{AT, BASE, TestRepo, grant};

/// The capability the evaluator exists for: a grant file that would break a base `deny`
/// test fails check, and the finding names the grant that allows it.
#[test]
fn a_grant_that_breaks_a_base_deny_fails_check() {
    let r = TestRepo::new();
    r.write(
        "policies/policy.hujson",
        BASE.replace("\t\"grants\": [", "\t\"tests\": [\n\t\t{\"src\": \"alice@example.com\", \"deny\": [\"tag:prod-db:5432\"]},\n\t],\n\t\"grants\": ["),
    );
    assert_eq!(r.run(&["check", AT]).code, 0, "the base alone passes its test");
    r.write(
        "policies/grants/x.hujson",
        grant(r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}]"#),
    );
    let run = r.run(&["check", AT, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let failed: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "TG301").collect();
    assert_eq!(failed.len(), 1, "{}", run.stdout);
    assert_eq!(failed[0]["file"], "policies/policy.hujson");
    assert_eq!(failed[0]["related"][0]["file"], "policies/grants/x.hujson");
    assert!(failed[0]["related"][0]["message"].as_str().unwrap().contains("expires 2026-11-24T17:00:00Z"));
    assert_eq!(v["tests"], serde_json::json!({"passed": 0, "failed": 1, "inconclusive": 0}));
    // Once the grant has expired, the test passes again.
    assert_eq!(r.run(&["check", "--at=2026-11-25T00:00:00Z", "--format", "json"]).code, 0);
}

#[test]
fn fragment_tests_run_only_while_active() {
    let r = TestRepo::new();
    // A fragment test that fails: nothing gives carol access.
    r.write(
        "policies/grants/x.hujson",
        grant(r#""tests": [{"src": "carol@example.com", "accept": ["tag:prod-db:5432"]}]"#),
    );
    assert_eq!(r.run(&["check", AT]).code, 1);
    // Pending: its test does not count now, but it is judged at the instant the file starts,
    // since from then Tailscale would refuse every policy that holds it.
    let pending = r.run(&["check", "--at=2026-11-21T00:00:00Z", "--format", "json"]);
    assert_eq!(pending.code, 1, "{}", pending.stdout);
    let v: serde_json::Value = serde_json::from_str(&pending.stdout).unwrap();
    assert_eq!(v["tests"], serde_json::json!({"passed": 0, "failed": 0, "inconclusive": 0}));
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["code"] == "TG306"), "{}", pending.stdout);
    assert_eq!(r.run(&["check", "--at=2026-11-25T00:00:00Z"]).code, 0, "expired: its test does not run");
}

#[test]
fn explain_answers_with_rules_and_exit_codes() {
    let r = TestRepo::example();
    let allowed = r.run(&["explain", AT, "alice@example.com", "tag:prod-db:5432"]);
    assert_eq!(allowed.code, 0);
    let denied = r.run(&["explain", AT, "carol@example.com", "tag:prod-db:5432"]);
    assert_eq!(denied.code, 1);
    let gated = r.run(&["explain", AT, "bob@example.com", "tag:prod-db:5432"]);
    assert_eq!(gated.code, 1);
    let with_posture = r.run(&[
        "explain",
        AT,
        "bob@example.com",
        "tag:prod-db:5432",
        "--attr",
        "node:os=linux",
        "--attr",
        "custom:managed=true",
    ]);
    assert_eq!(with_posture.code, 0);
    let unknown = r.run(&["explain", AT, "nobody", "tag:prod-db:5432"]);
    assert_eq!(unknown.code, 2);
    insta::assert_snapshot!(
        [allowed, denied, gated, with_posture, unknown].iter().map(|r| r.transcript()).collect::<Vec<_>>().join("\n")
    );
    let json = r.run(&["explain", AT, "alice@example.com", "tag:prod-db:5432", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["verdict"], "allowed");
    assert_eq!(v["rules"][0]["file"], "policies/grants/2026-11-22-alice-prod-db.hujson");
}

#[test]
fn access_lists_active_and_pending_grants() {
    let r = TestRepo::example();
    let table = r.run(&["access", AT]);
    assert_eq!(table.code, 0);
    assert!(!table.stdout.contains("dave"), "expired access is not listed");
    insta::assert_snapshot!(table.stdout);
    let md = r.run(&["access", AT, "--format", "markdown"]);
    insta::assert_snapshot!(md.stdout);
    let json: serde_json::Value = serde_json::from_str(&r.run(&["access", AT, "--format", "json"]).stdout).unwrap();
    assert_eq!(json["active"][0]["requester"], "alice@example.com");
    assert_eq!(json["active"][0]["seconds_left"], 6 * 86400 + 5 * 3600);
    assert_eq!(json["pending"][0]["requester"], "carol@example.com");
}

/// A test naming an address is inconclusive offline; with a devices file it is decided.
#[test]
fn a_devices_file_decides_address_tests() {
    let r = TestRepo::new();
    r.write(
        "policies/policy.hujson",
        BASE.replace(
            "\t\"grants\": [",
            "\t\"tests\": [\n\t\t{\"src\": \"100.64.0.2\", \"accept\": [\"tag:prod-db:5432\"]},\n\t\t{\"src\": \"bob@example.com\", \"deny\": [\"100.64.0.7:5432\"]},\n\t],\n\t\"grants\": [",
        ),
    );
    let run = r.run(&["check", AT, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["tests"], serde_json::json!({"passed": 0, "failed": 0, "inconclusive": 2}), "{}", run.stdout);
    assert_eq!(run.code, 0, "inconclusive is a warning");
    r.write("policies/tailgrant.hujson", r#"{"devices": "devices.json"}"#);
    r.write(
        "policies/devices.json",
        r#"{"devices": [
            {"name": "bob-laptop", "user": "bob@example.com", "addresses": ["100.64.0.2"]},
            {"name": "web", "user": "alice@example.com", "tags": ["tag:web"], "addresses": ["100.64.0.7"]}
        ]}"#,
    );
    let run = r.run(&["check", AT, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // 100.64.0.2 is bob's laptop: bob (group:dba) reaches tag:prod-db on 5432. 100.64.0.7 is a
    // tag:web device, which no rule lets bob reach (without the file it might be tag:prod-db).
    assert_eq!(v["tests"], serde_json::json!({"passed": 2, "failed": 0, "inconclusive": 0}), "{}", run.stdout);
    assert_eq!(run.code, 0);
}
