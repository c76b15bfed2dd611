//! One fixture per finding code (`fixtures/rules/TGnnn/`, a small policies directory): it must
//! raise its code, and its human output and the spans of its findings are snapshots.
use std::path::Path;

use tailgrant::finding::Code;
use tailgrant::load::Repository;

const AT: &str = "2026-11-22T12:00:00Z";

/// Codes that a static fixture cannot produce, with where they are tested instead.
const ELSEWHERE: &[(Code, &str)] = &[
    (Code::Unreadable, "tests/cli/bad_input.rs (missing base, directory, symlink loop)"),
    (Code::SymlinkOutside, "tests/guardrails.rs (symlinks are made in a temporary directory)"),
    // Raised by `tailgrant approvals` and `apply` from a pull request's reviews, not by `check`.
    (Code::ApprovalMissing, "tests/approvals/github.rs"),
    (Code::ApprovalStale, "tests/approvals/github.rs"),
    (Code::ApproverWithoutAccount, "tests/approvals/github.rs"),
    (Code::ApprovalNotIndependent, "tests/approvals/github.rs"),
    (Code::TooFewApprovals, "tests/approvals/policy.rs"),
    (Code::OwnerApprovalMissing, "tests/approvals/policy.rs"),
    (Code::ApprovalsUnbound, "tests/approvals/gitlab.rs"),
    (Code::UnverifiedGrant, "tests/approvals/apply.rs"),
];

#[test]
fn every_code_has_a_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    for code in Code::ALL {
        if ELSEWHERE.iter().any(|(c, _)| c == code) {
            continue;
        }
        assert!(root.join(code.as_str()).is_dir(), "{} has no fixture in fixtures/rules/", code.as_str());
    }
}

#[test]
fn each_fixture_raises_its_code() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut dirs: Vec<_> = std::fs::read_dir("fixtures/rules").unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let code = dir.file_name().unwrap().to_string_lossy().into_owned();
        let repo = Repository::load(&dir).unwrap();
        let report = tailgrant::pipeline::check(&repo, AT.parse().unwrap());
        let hits: Vec<_> = report.findings.iter().filter(|f| f.code.as_str() == code).collect();
        assert!(!hits.is_empty(), "fixture {code} does not raise {code}: {:#?}", report.findings);
        // The span of each finding, as the JSON report gives it, with the text it covers.
        let spans: Vec<String> = hits
            .iter()
            .map(|f| {
                let text = repo.source(&f.location.file).map_or("", |s| &s.text[f.location.span.clone()]);
                let json = tailgrant::report::json::finding(f);
                format!(
                    "{}:{}:{} {:?} {}",
                    json["file"].as_str().unwrap(),
                    json["line"],
                    json["column"],
                    text,
                    json["message"]
                )
            })
            .collect();
        let human: String = report
            .findings
            .iter()
            .map(|f| tailgrant::report::human::finding(f, repo.source(&f.location.file), false))
            .collect();
        insta::assert_snapshot!(code.clone(), format!("{}\n\n{human}", spans.join("\n")));
    }
}

/// `check` merges for findings only; `check_and_render` renders too. They must agree.
#[test]
fn check_finds_the_same_with_or_without_rendering() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut dirs: Vec<_> = std::fs::read_dir("fixtures/rules").unwrap().map(|e| e.unwrap().path()).collect();
    dirs.push("policies".into());
    for dir in dirs {
        let repo = Repository::load(&dir).unwrap();
        let at = AT.parse().unwrap();
        let (plain, rendered) =
            (tailgrant::pipeline::check(&repo, at), tailgrant::pipeline::check_and_render(&repo, at));
        assert_eq!(plain.findings, rendered.findings, "{}", dir.display());
        assert!(plain.rendered.is_none());
        assert_eq!(rendered.rendered.is_some(), repo.base.is_some(), "{}", dir.display());
    }
}
