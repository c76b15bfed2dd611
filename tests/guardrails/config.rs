//! Class 7: a config that fails open. Every value that cannot mean what it says is a finding
//! pointing at it; a broken guardrail covers more, never less.
use tailgrant::finding::Code;

use crate::support::*;

const OPEN: &str = r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#;

#[test]
fn an_invalid_guardrail_glob_is_an_error_and_guards_everything() {
    let r = Repo::new();
    r.write("tailgrant.hujson", "{\"guardrails\": [{\"match\": \"grants/[\", \"requireExpiry\": true}]}\n");
    // A grant file without an expiry: the broken guardrail still applies to it.
    r.write("grants/g.hujson", format!("{{\"description\": \"x\", \"requester\": \"alice@example.com\", \"approvers\": [\"bob@example.com\"], {OPEN}}}\n"));
    let hits = refused(&r, Code::InvalidGlob);
    assert_eq!((hits[0].location.line, hits[0].location.column), (1, 27), "{hits:#?}");
    refused(&r, Code::MissingExpiry);
}

#[test]
fn unknown_section_names_are_errors() {
    let r = Repo::granting(OPEN);
    r.write(
        "tailgrant.hujson",
        r#"{"guardrails": [{"match": "grants/**", "allowSections": ["grants", "grant", "tagowners"]}]}"#,
    );
    let hits = refused(&r, Code::InvalidValue);
    says(&hits, "`grant` is not a section");
    assert_eq!(hits.len(), 1, "tagowners matches tagOwners without regard to case: {hits:#?}");
}

#[test]
fn a_guardrail_that_matches_no_file_is_a_warning() {
    let r = Repo::granting(OPEN);
    r.write("tailgrant.hujson", r#"{"guardrails": [{"match": "grant/**", "requireExpiry": true}]}"#);
    says(&warned(&r, Code::UnusedGuardrail), "matches none of the 1 fragment files");
}

#[test]
fn unknown_keys_and_bad_values_in_the_config_are_errors() {
    for (config, code) in [
        (r#"{"guardrails": [{"match": "grants/**", "forbidWildcard": true}]}"#, Code::UnknownKey),
        (r#"{"guardrail": []}"#, Code::UnknownKey),
        (r#"{"guardrails": [{"match": "grants/**", "widestPrefix": {"ipv4": 40}}]}"#, Code::InvalidValue),
        (r#"{"owners": {"tag:nope": ["bob@example.com"]}}"#, Code::InvalidValue),
        (r#"{"owners": {"10.0.0.0/8": ["group:nope"]}}"#, Code::InvalidValue),
        (r#"{"owners": {"10.0.0.0/8": ["bob"]}}"#, Code::InvalidValue),
        (r#"{"owners": {"autogroup:bogus": ["bob@example.com"]}}"#, Code::InvalidValue),
        (r#"{"owners": {"nohost": ["bob@example.com"]}}"#, Code::InvalidValue),
        (r#"{"exclude": ["grants/{a"]}"#, Code::InvalidGlob),
    ] {
        let r = Repo::granting(OPEN);
        r.write("tailgrant.hujson", config);
        let hits = refused(&r, code);
        assert!(hits.iter().all(|f| f.location.file.ends_with("tailgrant.hujson")), "{config}: {hits:#?}");
    }
}

#[test]
fn a_valid_config_with_owners_passes() {
    let r = Repo::granting(OPEN);
    r.write(
        "tailgrant.hujson",
        r#"{"owners": {"10.0.0.0/8": ["group:netops", "nina@example.com"], "legacy": ["bob@example.com"], "section:nodeAttrs": ["group:sre"], "autogroup:internet": ["group:netops"], "tag:web": ["nina@example.com"]},
		   "guardrails": [{"match": "grants/**", "forbidWildcards": true, "widestPrefix": {"ipv4": 20, "ipv6": 56}}]}"#,
    );
    passes(&r);
}
