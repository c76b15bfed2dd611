//! The machine-readable formats: SARIF for code scanning and JUnit for test results.
use crate::support::{AT, BASE, TestRepo, grant};

/// A repository with one failing test and one expired grant.
fn troubled() -> TestRepo {
    let r = TestRepo::new();
    r.write(
        "policies/policy.hujson",
        BASE.replace("\t\"grants\": [", "\t\"tests\": [\n\t\t{\"src\": \"alice@example.com\", \"deny\": [\"tag:prod-db:5432\"]},\n\t],\n\t\"grants\": ["),
    );
    r.write(
        "policies/grants/a.hujson",
        grant(r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}]"#),
    );
    r.write("policies/grants/b.hujson", grant("").replace("2026-11-24T17:00:00Z", "2026-11-22T10:00:00Z"));
    r
}

#[test]
fn sarif_has_the_shape_code_scanning_reads() {
    let run = troubled().run(&["check", AT, "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "tailgrant");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), tailgrant::finding::Code::ALL.len());
    for r in rules {
        assert!(r["id"].as_str().unwrap().starts_with("TG"));
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["fullDescription"]["text"].as_str().unwrap().starts_with(' '));
    }
    let results = run0["results"].as_array().unwrap();
    assert!(results.len() >= 2, "{results:#?}");
    for res in results {
        let id = res["ruleId"].as_str().unwrap();
        let index = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        assert!(matches!(res["level"].as_str().unwrap(), "error" | "warning" | "note"));
        assert!(!res["message"]["text"].as_str().unwrap().is_empty());
        let loc = &res["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"].as_str().unwrap().starts_with("policies/"));
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    let failed = results.iter().find(|r| r["ruleId"] == "TG301").unwrap();
    assert_eq!(
        failed["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "policies/grants/a.hujson"
    );
}

#[test]
fn junit_reports_test_entries() {
    let run = troubled().run(&["check", AT, "--format", "junit"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tailgrant\" tests=\"1\" failures=\"1\""
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("<failure type=\"TG301\""));
    assert!(run.stdout.contains("policies/policy.hujson"));
    assert_eq!(run.stdout.matches("<testsuite ").count(), run.stdout.matches("</testsuite>").count());
    insta::assert_snapshot!(run.stdout);
}

/// One place, one position, in every output: lines end at `\n` only and columns count bytes,
/// as Tailscale's parser counts them (SARIF, which has no byte unit, counts characters and
/// says so).
#[test]
fn every_format_names_the_same_line_and_column() {
    let r = TestRepo::new();
    // A lone carriage return ends no line (the error is on line 3, not 4).
    r.write("policies/policy.hujson", "{\r\"tagOwners\": {\"tag:a\": []},\n\t// Füße\n\t\"grants\": [{\"src\": [\"tag:nope\"], \"dst\": [\"tag:a\"], \"ip\": [\"tcp:1\"]}],\n}\n");
    let json: serde_json::Value = serde_json::from_str(&r.run(&["check", AT, "--format", "json"]).stdout).unwrap();
    let f = json["findings"].as_array().unwrap().iter().find(|f| f["code"] == "TG101").unwrap().clone();
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(3), Some(22)), "{f}");
    let human = r.run(&["check", AT]).stdout;
    assert!(human.contains("policies/policy.hujson:3:22]"), "{human}");
    assert!(!human.contains('\r') && !human.contains("  0 │"), "the snippet is numbered as the file is: {human}");
    let github = r.run(&["check", AT, "--format", "github"]).stdout;
    assert!(github.contains("line=3,col=22,"), "{github}");
    let sarif: serde_json::Value = serde_json::from_str(&r.run(&["check", AT, "--format", "sarif"]).stdout).unwrap();
    assert_eq!(sarif["runs"][0]["columnKind"], "unicodeCodePoints");
    let region = &sarif["runs"][0]["results"].as_array().unwrap().iter().find(|x| x["ruleId"] == "TG101").unwrap()["locations"]
        [0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(3), Some(22)));

    // Bytes and characters part after a two-byte `ü` on the same line.
    r.write("policies/policy.hujson", "{\n\"tagOwners\": {\"tag:a\": []}, /* ü */ \"grants\": [{\"src\": [\"tag:nope\"], \"dst\": [\"tag:a\"], \"ip\": [\"tcp:1\"]}],\n}\n");
    let json: serde_json::Value = serde_json::from_str(&r.run(&["check", AT, "--format", "json"]).stdout).unwrap();
    let f = json["findings"].as_array().unwrap().iter().find(|f| f["code"] == "TG101").unwrap().clone();
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(2), Some(58)), "bytes: {f}");
    let human = r.run(&["check", AT]).stdout;
    assert!(human.contains("policies/policy.hujson:2:58]"), "{human}");
    let sarif: serde_json::Value = serde_json::from_str(&r.run(&["check", AT, "--format", "sarif"]).stdout).unwrap();
    let region = &sarif["runs"][0]["results"].as_array().unwrap().iter().find(|x| x["ruleId"] == "TG101").unwrap()["locations"]
        [0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"].as_u64(), Some(57), "characters in SARIF");
}
