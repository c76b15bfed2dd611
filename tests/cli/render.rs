use crate::support::{AT, TestRepo, grant};

#[test]
fn example_renders_with_labels_and_comments() {
    let r = TestRepo::example();
    let run = r.run(&["render", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn output_is_deterministic_and_written_atomically() {
    let r = TestRepo::example();
    let first = r.run(&["render", AT]).stdout;
    assert_eq!(r.run(&["render", AT]).stdout, first);
    let run = r.run(&["render", AT, "-o", "out/policy.rendered.hujson"]);
    assert_eq!(run.code, 2, "the output directory does not exist: {}", run.transcript());
    std::fs::create_dir(r.path("out")).unwrap();
    let run = r.run(&["render", AT, "-o", "out/policy.rendered.hujson"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(r.read("out/policy.rendered.hujson"), first);
    let leftovers: Vec<_> = std::fs::read_dir(r.path("out")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary files were left behind");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(r.path("out/policy.rendered.hujson")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "a new file is readable like any other");
    }
}

#[test]
fn order_does_not_depend_on_file_creation() {
    let a = TestRepo::new();
    let b = TestRepo::new();
    let files = ["policies/grants/a.hujson", "policies/grants/b/c.hujson", "policies/teams/z.hujson"];
    for (i, f) in files.iter().enumerate() {
        a.write(
            f,
            grant(&format!(
                r#""grants": [{{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:100{i}"]}}]"#
            )),
        );
    }
    for (i, f) in files.iter().enumerate().rev() {
        b.write(
            f,
            grant(&format!(
                r#""grants": [{{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:100{i}"]}}]"#
            )),
        );
    }
    let run = a.run(&["render", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let out = run.stdout;
    assert_eq!(out, b.run(&["render", AT]).stdout);
    let pos = |p: &str| out.find(p).unwrap_or_else(|| panic!("{p} missing from:\n{out}"));
    let (p0, p1, p2) = (pos("tcp:1000"), pos("tcp:1001"), pos("tcp:1002"));
    assert!(p0 < p1 && p1 < p2, "fragments merge in path order");
}

#[test]
fn only_active_fragments_contribute() {
    let r = TestRepo::example();
    let before = r.run(&["render", "--at=2026-11-23T12:00:00Z"]).stdout;
    assert!(!before.contains("carol-oncall"), "pending group member leaked");
    assert!(!before.contains("2026-11-10-dave-staging"), "expired grant still rendered");
    let during = r.run(&["render", "--at=2026-11-25T12:00:00Z"]).stdout;
    assert!(during.contains("// tailgrant: grants/2026-11-24-carol-oncall.hujson, expires 2026-11-30T09:00:00Z, approved by bob@example.com\n\t\t\t\"carol@example.com\""), "{during}");
    let after = r.run(&["render", "--at=2026-11-30T12:00:00Z"]).stdout;
    for gone in ["carol-oncall", "2026-11-22-alice-prod-db", "2026-11-10-dave-staging"] {
        assert!(!after.contains(gone), "{gone} still rendered after it expired");
    }
}

#[test]
fn group_members_are_added_once() {
    let r = TestRepo::new();
    r.write("policies/teams/x.hujson", r#"{"groups": {"group:dba": ["bob@example.com", "carol@example.com"]}}"#);
    let out = r.run(&["render", AT]).stdout;
    assert_eq!(out.matches("\"bob@example.com\"").count(), 2, "bob is in two groups, and not added again: {out}");
    assert_eq!(out.matches("\"carol@example.com\"").count(), 1);
}

#[test]
fn a_fragment_cannot_invent_a_group() {
    let r = TestRepo::new();
    r.write("policies/grants/x.hujson", grant(r#""groups": {"group:new": ["alice@example.com"]}"#));
    let run = r.run(&["render", AT, "-o", "rendered.hujson"]);
    assert_eq!(run.code, 1);
    assert!(!r.path("rendered.hujson").exists(), "a rejected policy was written");
    insta::assert_snapshot!(run.transcript());
    r.write("policies/tailgrant.hujson", r#"{"allowNewGroups": true}"#);
    let run = r.run(&["render", AT]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stdout.contains("\"group:new\""));
}

#[test]
fn conflicting_definitions_name_both_places() {
    let r = TestRepo::new();
    r.write("policies/teams/a.hujson", r#"{"hosts": {"db": "100.64.0.9", "cache": "100.64.0.7"}}"#);
    r.write("policies/teams/b.hujson", r#"{"hosts": {"cache": "100.64.0.8", "db": "100.64.0.1"}}"#);
    let run = r.run(&["check", AT, "--format", "json"]);
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let conflicts: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "TG051").collect();
    assert_eq!(conflicts.len(), 2, "{}", run.stdout);
    assert_eq!(conflicts[0]["file"], "policies/teams/a.hujson");
    assert_eq!(conflicts[0]["related"][0]["file"], "policies/policy.hujson");
    assert_eq!(conflicts[1]["file"], "policies/teams/b.hujson");
    assert_eq!(conflicts[1]["related"][0]["file"], "policies/teams/a.hujson", "the earlier fragment is named");
}

#[test]
fn rendered_file_is_formatted_and_its_hash_verifies() {
    let r = TestRepo::example();
    r.run(&["render", AT, "-o", "rendered.hujson"]);
    let text = r.read("rendered.hujson");
    assert_eq!(tailgrant::parse::format_bytes(text.as_bytes()).unwrap(), text.as_bytes());
    assert!(matches!(tailgrant::merge::verify_header(&text), tailgrant::merge::HeaderState::Intact { .. }));
    let edited = text.replacen("tcp:5432", "tcp:22", 1);
    assert!(matches!(tailgrant::merge::verify_header(&edited), tailgrant::merge::HeaderState::Edited { .. }));
    // Fragment-only keys never reach the policy.
    for key in ["\"description\"", "\"requester\"", "\"approvers\"", "\"expires\"", "\"postureAttributes\"", "$schema"]
    {
        assert!(!text.contains(key), "{key} leaked into the rendered policy");
    }
}
