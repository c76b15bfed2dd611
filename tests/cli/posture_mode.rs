//! `"enforceExpiry": "posture"` offline: what render writes, what check and the evaluator make
//! of it, and what explain and access say.

use crate::support::{AT, TestRepo, grant};

const POSTURE_CONFIG: &str = "{\n\t\"enforceExpiry\": \"posture\",\n}\n";

/// A base with a baseline posture for every rule, and one rule with its own.
const BASE_WITH_BASELINE: &str = r#"// Test base policy.
{
	"groups": {
		"group:dba": ["bob@example.com"],
	},
	"tagOwners": {
		"tag:prod-db": ["group:dba"],
		"tag:web":     ["group:dba"],
	},
	"postures": {
		"posture:mdm":    ["custom:managed == true"],
		"posture:recent": ["node:tsVersion >= '1.60'"],
		"posture:corp":   ["node:os == 'macos'"],
	},
	"defaultSrcPosture": ["posture:mdm", "posture:recent"],
	"grants": [
		{"src": ["group:dba"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]},
	],
}
"#;

/// The grant file's second rule trades the baseline for a posture of its own, which the default
/// guardrail refuses (TG214, below); here no guardrail covers the file, as for a trusted
/// directory, so that what posture mode renders for such a rule can be seen.
const POSTURE_CONFIG_UNGUARDED: &str = "{\n\t\"enforceExpiry\": \"posture\",\n\t\"guardrails\": [],\n}\n";

fn repo_with_baseline() -> TestRepo {
    let r = TestRepo::new();
    r.write("policies/tailgrant.hujson", POSTURE_CONFIG_UNGUARDED);
    r.write("policies/policy.hujson", BASE_WITH_BASELINE);
    r.write(
        "policies/grants/alice.hujson",
        grant(
            r#""grants": [
		{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]},
		{"src": ["alice@example.com"], "dst": ["tag:web"], "ip": ["tcp:443"], "srcPosture": ["posture:corp"]},
	],
	"tests": [
		{"src": "alice@example.com", "accept": ["tag:prod-db:5432"], "srcPostureAttrs": {"custom:managed": true}},
		{"src": "alice@example.com", "accept": ["tag:web:443"], "deny": ["tag:prod-db:22"], "srcPostureAttrs": {"node:os": "macos"}},
	],"#,
        ),
    );
    r
}

fn key() -> String {
    tailgrant::model::expiry::Gate::for_path("grants/alice.hujson").key()
}

#[test]
fn render_gates_each_rule_with_the_baseline_folded_in_and_tests_carry_the_attribute() {
    let r = repo_with_baseline();
    let run = r.run(&["render", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let out = run.stdout;
    let id = key().trim_start_matches("custom:tg_").to_owned();
    // One generated posture per alternative: the default's two for the first rule, the rule's
    // own for the second, each with the gate's condition.
    for (name, base) in
        [("mdm", "custom:managed == true"), ("recent", "node:tsVersion >= '1.60'"), ("corp", "node:os == 'macos'")]
    {
        let line = format!("\"posture:tg_{id}_{name}\": [\"{base}\", \"custom:tg_{id} == true\"],");
        assert!(out.contains(&line), "{line} missing from:\n{out}");
    }
    assert!(out.contains(&format!("\"srcPosture\": [\"posture:tg_{id}_mdm\", \"posture:tg_{id}_recent\"]")), "{out}");
    assert!(out.contains(&format!("\"srcPosture\": [\"posture:tg_{id}_corp\"]")), "{out}");
    assert!(
        out.contains("each with the conditions of defaultSrcPosture (posture:mdm, posture:recent) folded in"),
        "{out}"
    );
    assert!(out.contains("each with the conditions of its own srcPosture (posture:corp) folded in"), "{out}");
    assert!(out.contains(&format!("enforced by the control plane ({})", key())), "the label says so:\n{out}");
    assert!(out.contains(&format!("\"{}\": true", key())), "the tests carry the attribute:\n{out}");
    // The base's own rule is not gated.
    assert!(out.contains("{\"src\": [\"group:dba\"], \"dst\": [\"tag:prod-db\"], \"ip\": [\"tcp:5432\"]},"), "{out}");
    insta::assert_snapshot!(out);

    // The rendered file, checked as a plain policy (as the control plane validates it), passes
    // its tests: they carry what the generated postures need.
    let plain = TestRepo::new();
    plain.write("policies/policy.hujson", &out);
    let check = plain.run(&["check", AT]);
    assert_eq!(check.code, 0, "{}", check.transcript());
    assert!(check.transcript().contains("tests: 2 passed, 0 failed"), "{}", check.transcript());
}

#[test]
fn check_evaluates_the_generated_postures() {
    let r = repo_with_baseline();
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.transcript().contains("tests: 2 passed, 0 failed"), "{}", run.transcript());
    // Under the default guardrail the same grant file is refused: its own posture:corp would
    // stand in for the baseline.
    let guarded = repo_with_baseline();
    guarded.write("policies/tailgrant.hujson", POSTURE_CONFIG);
    let run = guarded.run(&["check", AT]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.contains("TG214: this rule's own srcPosture names posture:corp"), "{}", run.transcript());
    // Without the baseline's attribute the fragment's own test fails, as on the control plane:
    // the gate does not replace the baseline.
    r.write(
        "policies/grants/alice.hujson",
        grant(
            r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],
	"tests": [{"src": "alice@example.com", "accept": ["tag:prod-db:5432"]}],"#,
        ),
    );
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.transcript().contains("TG301"), "{}", run.transcript());
    // A base test that counts on the fragment's rule fails too: its device has no gate
    // attribute (only the fragment's own tests do), as the control plane would find.
    let r = TestRepo::new();
    r.write("policies/tailgrant.hujson", POSTURE_CONFIG);
    r.write(
        "policies/policy.hujson",
        crate::support::BASE.replace(
            "\t\"grants\": [",
            "\t\"tests\": [{\"src\": \"alice@example.com\", \"accept\": [\"tag:prod-db:5432\"]}],\n\t\"grants\": [",
        ),
    );
    r.write(
        "policies/grants/alice.hujson",
        grant(r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.transcript().contains("TG301"), "it fails now: {}", run.transcript());
    r.write("policies/tailgrant.hujson", "{}\n");
    let run = r.run(&["check", AT]);
    assert!(!run.transcript().contains("TG301"), "in schedule mode it passes now: {}", run.transcript());
    assert!(run.transcript().contains("TG306"), "(and fails when the grant ends) {}", run.transcript());
}

#[test]
fn explain_and_access_say_the_control_plane_ends_it() {
    let r = TestRepo::new();
    r.write("policies/tailgrant.hujson", POSTURE_CONFIG);
    r.write(
        "policies/grants/alice.hujson",
        grant(r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    let run = r.run(&["explain", "alice@example.com", "tag:prod-db:5432", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("(grants/alice.hujson, enforced by the control plane until 2026-11-24T17:00:00Z)"),
        "{}",
        run.stdout
    );
    let run = r.run(&["access", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stdout.contains("enforced by the control plane until 2026-11-24 17:00"), "{}", run.stdout);
    let run = r.run(&["access", AT, "--format", "json"]);
    assert!(run.stdout.contains("\"enforced_by_control_plane\": true"), "{}", run.stdout);
    // Schedule mode says nothing of the kind.
    r.write("policies/tailgrant.hujson", "{\"enforceExpiry\": \"schedule\"}\n");
    let run = r.run(&["explain", "alice@example.com", "tag:prod-db:5432", AT]);
    assert!(run.stdout.contains("(grants/alice.hujson, expires 2026-11-24T17:00:00Z)"), "{}", run.stdout);
}

#[test]
fn a_mode_that_is_neither_is_refused_at_the_value() {
    let r = TestRepo::new();
    r.write("policies/tailgrant.hujson", "{\n\t\"enforceExpiry\": \"postures\",\n}\n");
    let run = r.run(&["check", AT, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["code"], "TG004");
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(2), Some(19)), "{f}");
    assert!(f["message"].as_str().unwrap().contains("\"postures\" is neither"), "{f}");
    let run = r.run(&["render", AT]);
    assert_eq!(run.code, 1, "nothing is rendered in a mode nobody chose: {}", run.transcript());
}

#[test]
fn sources_posture_cannot_hold_are_refused_with_their_place() {
    let r = TestRepo::new();
    r.write("policies/tailgrant.hujson", POSTURE_CONFIG);
    r.write(
        "policies/grants/alice.hujson",
        grant(r#""grants": [{"src": ["alice@example.com", "100.64.0.0/24"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    let run = r.run(&["check", AT, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let hits: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "TG056").collect();
    assert_eq!(hits.len(), 1, "{}", run.stdout);
    assert_eq!(hits[0]["file"], "policies/grants/alice.hujson");
    assert_eq!((hits[0]["line"].as_u64(), hits[0]["column"].as_u64()), (Some(7), Some(43)), "{}", hits[0]);
    assert!(hits[0]["help"].as_str().unwrap().contains("schedule"));
    // The same file is fine in schedule mode (as far as posture goes).
    r.write("policies/tailgrant.hujson", "{}\n");
    let run = r.run(&["check", AT, "--format", "json"]);
    assert!(!run.stdout.contains("TG056"), "{}", run.stdout);
}

/// The codes `check --format json` reports for the repository, with each finding's message.
fn codes(r: &TestRepo) -> Vec<(String, String)> {
    let run = r.run(&["check", AT, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{}", run.transcript()));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn every_source_posture_cannot_hold_is_refused_and_every_one_it_can_is_not() {
    // In teams/ (no guardrails), so that only posture mode's own rules speak.
    let r = TestRepo::new();
    let refused = [
        "*",
        "100.64.0.7",
        "10.0.0.0/8",
        "db",
        "ipset:office",
        "autogroup:danger-all",
        "autogroup:shared",
        "autogroup:admin",
        "group:eng@github",
    ];
    let allowed = ["alice@example.com", "tag:prod-db", "group:eng", "autogroup:member", "autogroup:tagged"];
    let base = BASE_WITH_BASELINE.replace(
        "\"postures\": {",
        "\"ipsets\": {\"ipset:office\": [\"10.1.0.0/16\"]},\n\t\"hosts\": {\"db\": \"100.64.0.1\"},\n\t\"postures\": {",
    );
    r.write("policies/policy.hujson", &base);
    r.write(
        "policies/tailgrant.hujson",
        "{\n\t\"enforceExpiry\": \"posture\",\n\t\"fragments\": [\"teams/*.hujson\"],\n}\n",
    );
    for src in refused.iter().chain(&allowed) {
        r.write(
            "policies/teams/x.hujson",
            grant(&format!(r#""grants": [{{"src": ["{src}"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}}],"#)),
        );
        let found = codes(&r);
        let hit = found.iter().any(|(c, _)| c == "TG056");
        assert_eq!(hit, refused.contains(src), "{src}: {found:?}");
    }
}

#[test]
fn a_host_or_ip_set_defined_in_a_gated_file_and_used_elsewhere_is_ungated() {
    let r = TestRepo::new();
    r.write(
        "policies/tailgrant.hujson",
        "{\n\t\"enforceExpiry\": \"posture\",\n\t\"fragments\": [\"teams/*.hujson\"],\n}\n",
    );
    let team = |defs: &str| {
        grant(&format!(
            r#"{defs}
	"grants": [{{"src": ["alice@example.com"], "dst": ["db2", "ipset:lab"], "ip": ["tcp:5432"]}}],"#
        ))
    };
    let defs = r#""hosts": {"db2": "100.64.0.9"},
	"ipsets": {"ipset:lab": ["100.64.1.0/24"]},"#;
    // Used only by the file's own (gated) rule: fine.
    r.write("policies/teams/x.hujson", team(defs));
    let found = codes(&r);
    assert!(!found.iter().any(|(c, _)| c == "TG057"), "{found:?}");
    // A permanent rule elsewhere reaching through them: each refused, in any spelling.
    for (spelling, name) in [
        (r#"{"src": ["group:dba"], "dst": ["db2"], "ip": ["22"]}"#, "db2"),
        (r#"{"src": ["group:dba"], "dst": ["ipset:lab"], "ip": ["22"]}"#, "ipset:lab"),
    ] {
        r.write(
            "policies/policy.hujson",
            crate::support::BASE.replace(
                r#"{"src": ["group:dba"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]},"#,
                &format!(
                    "{{\"src\": [\"group:dba\"], \"dst\": [\"tag:prod-db\"], \"ip\": [\"tcp:5432\"]}},\n\t\t{spelling},"
                ),
            ),
        );
        let found = codes(&r);
        assert!(
            found
                .iter()
                .any(|(c, m)| c == "TG057" && m.starts_with(&format!("{name} is defined here and used outside"))),
            "{name}: {found:?}"
        );
    }
    // An ACL's host:port spelling too.
    r.write(
        "policies/policy.hujson",
        crate::support::BASE.replace(
            "\"grants\": [",
            "\"acls\": [{\"action\": \"accept\", \"src\": [\"group:dba\"], \"dst\": [\"db2:22\"]}],\n\t\"grants\": [",
        ),
    );
    let found = codes(&r);
    assert!(found.iter().any(|(c, m)| c == "TG057" && m.starts_with("db2 is defined here")), "{found:?}");
}
