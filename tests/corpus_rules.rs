//! The rulebook against reality: the verdicts Tailscale's control plane gave on 866 policies
//! (headscale's recorded captures), and the real-world policy files in use today.
use std::path::{Path, PathBuf};

use tailgrant::finding::Severity;
use tailgrant::load::Repository;

fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/real-world").join(sub)
}

/// Error findings for `text` as the base of an otherwise empty repository, with `config`.
fn errors_with(text: &[u8], config: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.hujson"), text).unwrap();
    if !config.is_empty() {
        std::fs::write(dir.path().join("tailgrant.hujson"), config).unwrap();
    }
    let repo = Repository::load(dir.path()).unwrap();
    let report = tailgrant::pipeline::check(&repo, "2026-11-22T12:00:00Z".parse().unwrap());
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {}:{} {}", f.code.as_str(), f.location.line, f.location.column, f.message))
        .collect()
}

fn errors(text: &[u8]) -> Vec<String> {
    errors_with(text, "")
}

/// Agreement with Tailscale's accept/reject verdicts, leaving out the policies rejected only
/// because their embedded tests fail (that is the evaluator's job) and the one answered with
/// a server error.
#[test]
fn agrees_with_tailscale_verdicts() {
    let dir = corpus("headscale-tscap");
    let expected = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
    let (mut agree, mut total) = (0, 0);
    let mut disagreements = Vec::new();
    for row in expected.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (id, file, verdict, message) = (cols[0], cols[2], cols[3], cols.get(5).copied().unwrap_or(""));
        if verdict != "accept" && verdict != "reject" {
            continue;
        }
        total += 1;
        // The captures' tailnet is example.com (SOURCES.md): say so, as a user's config would.
        let errs = errors_with(&std::fs::read(dir.join(file)).unwrap(), r#"{"domains": ["example.com"]}"#);
        let ours = if errs.is_empty() { "accept" } else { "reject" };
        if ours == verdict {
            agree += 1;
        } else {
            disagreements.push(format!("{id}: Tailscale {verdict} {message:?}; tailgrant {ours} {errs:?}"));
        }
    }
    let summary = format!("{agree} of {total} verdicts agree ({:.1}%)", 100.0 * agree as f64 / total as f64);
    insta::assert_snapshot!(format!("{summary}\n\n{}", disagreements.join("\n")));
    assert!(agree * 100 >= total * 95, "{summary}");
}

/// Every error the rulebook raises on the real-world files, for review: each must be one
/// Tailscale would raise too (the README's notes explain the ones it does).
#[test]
fn real_world_findings() {
    let mut lines = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(corpus("")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "hujson" || e == "json")) {
        let name = path.file_name().unwrap().to_string_lossy();
        for e in errors(&std::fs::read(path).unwrap()) {
            if !e.starts_with("TG001") {
                lines.push(format!("{name}: {e}"));
            }
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}

/// The real-world files Tailscale would refuse, each with why (evidence in docs/rules.md). Every
/// other file that parses is applied by its repository and must check clean.
const REFUSED: &[(&str, &str)] = &[
    (
        "Fadil369__tailscale__acls.json",
        "unknown top-level key `version`, tests with `dst` (API: unknown field, terraform-provider #89)",
    ),
    (
        "Yassinox49__tailscale-acl__.github_workflows_policy.hujson",
        "SSH dst `*` (docs' allow-list), and tests that fail under `* → *:*`",
    ),
    (
        "Yassinox49__tailscale-acl__policy.hujson",
        "ACL dst `*` without a port (captured: hostport must contain a colon)",
    ),
    (
        "alexandru-savinov__nixos-config__tailscale_policy.hujson",
        "autogroup:member as a test source (#12370); never merged",
    ),
    ("bakseter__homelab__policy.hujson", "undefined tag (captured: tag not found)"),
    (
        "georgepstaylor__lab-tailscale-config__policy.hujson",
        "undefined groups (terraform-provider #546: group not found)",
    ),
    (
        "ironicbadger__infra__tailscale_acl.hujson",
        "SSH autogroup:self with host-alias sources (docs); its deploy step is disabled",
    ),
    ("jhjaggars__tailscale__policy.hujson", "a host alias as an SSH destination (captured: invalid dst)"),
    ("perchnet__tailscale-acl__policy.hujson", "an undefined group (group not found)"),
    (
        "tailscale-dev__tailscale-acl-combiner__testdata_input-parent.hujson",
        "an input to be combined, not a policy: undefined tags, a list as an SSH test source",
    ),
    (
        "tailscale-dev__tailscale-acl-combiner__testdata_output-file-to-compare-to.hujson",
        "a combiner test fixture: undefined tags and hosts",
    ),
    (
        "the-technat__networking__policy.hujson",
        "ACL dst `*` without a port, SSH rule without users (captured), SSH dst `*`",
    ),
];

/// Every parseable real-world file Tailscale accepts checks clean, and every one it would
/// refuse keeps an error. (`dungsil__infra` is a template: its `${TS_USERNAME}` group member is
/// a warning, TG107, since nothing shows Tailscale refusing a member without `@`.)
#[test]
fn real_world_files_pass_unless_tailscale_refuses_them() {
    let mut files: Vec<_> = std::fs::read_dir(corpus("")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut wrong = Vec::new();
    let mut parseable = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "hujson" || e == "json")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read(path).unwrap();
        if tailgrant::parse::parse(&text).is_err() {
            continue; // the four known-unparseable files: TG001, tested with the parser
        }
        parseable += 1;
        let errs = errors(&text);
        match REFUSED.iter().find(|(f, _)| *f == name) {
            Some((_, why)) if errs.is_empty() => {
                wrong.push(format!("{name}: no error, though Tailscale refuses it: {why}"))
            }
            None if !errs.is_empty() => wrong.push(format!("{name}: errors on a file Tailscale accepts: {errs:?}")),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(parseable, 112);
    assert_eq!(REFUSED.len(), 12);
}

/// The users of the tailnet the captures were recorded on (SOURCES.md, headscale-tscap).
const CAPTURE_USERS: &str = r#"{"users": [
    {"loginName": "odin@example.com", "role": "owner", "type": "member", "status": "active"},
    {"loginName": "thor@example.org", "role": "member", "type": "member", "status": "active"},
    {"loginName": "freya@example.com", "role": "member", "type": "member", "status": "active"}
]}"#;

/// The evaluator against Tailscale's verdicts on the recorded policies that carry tests: the
/// 56 rejected only because their tests fail, and the accepted ones with tests. Offline there
/// are no devices, so a test naming an address can only be inconclusive: counted apart.
#[test]
fn evaluator_agrees_with_tailscale_test_verdicts() {
    let dir = corpus("headscale-tscap");
    let expected = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
    let (mut agree, mut inconclusive, mut total) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for row in expected.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (id, file, verdict) = (cols[0], cols[2], cols[3]);
        let text = std::fs::read(dir.join(file)).unwrap();
        let tree = tailgrant::parse::parse(&text).unwrap();
        let has_tests = tree.as_object().unwrap().members.iter().any(|m| {
            matches!(m.name.as_str().as_deref(), Some("tests" | "sshTests"))
                && m.value.as_array().is_some_and(|a| !a.elements.is_empty())
        });
        if !has_tests || !matches!(verdict, "accept" | "reject:tests-failed") {
            continue;
        }
        total += 1;
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("policy.hujson"), &text).unwrap();
        // The captures' tailnet and its users (SOURCES.md): who is a member is part of the
        // verdicts, as a users snapshot gives it for a real tailnet.
        std::fs::write(d.path().join("tailgrant.hujson"), r#"{"domains": ["example.com"], "users": "users.json"}"#)
            .unwrap();
        std::fs::write(d.path().join("users.json"), CAPTURE_USERS).unwrap();
        let repo = Repository::load(d.path()).unwrap();
        let report = tailgrant::pipeline::check(&repo, "2026-11-22T12:00:00Z".parse().unwrap());
        let errors: Vec<_> = report.findings.iter().filter(|f| f.severity == Severity::Error).collect();
        let ours = if !errors.is_empty() {
            "reject:tests-failed"
        } else if report.tests.inconclusive > 0 {
            "inconclusive"
        } else {
            "accept"
        };
        if ours == verdict {
            agree += 1;
        } else if ours == "inconclusive" {
            inconclusive += 1;
        } else {
            let why: Vec<_> = errors.iter().map(|f| format!("{} {}", f.code.as_str(), f.message)).collect();
            disagreements.push(format!("{id}: Tailscale {verdict}; tailgrant {ours} {why:?}"));
        }
    }
    let summary = format!(
        "{agree} of {total} agree, {inconclusive} inconclusive offline (never counted as a pass), {} disagree",
        disagreements.len()
    );
    insta::assert_snapshot!(format!("{summary}\n\n{}", disagreements.join("\n")));
}
