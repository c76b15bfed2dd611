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
    // Raised from an access request's issue body, not from a policies directory.
    (Code::InvalidRequest, "src/model/form.rs, tests/cli/request.rs"),
    (Code::UnknownRequester, "tests/cli/request.rs, tests/approvals/request.rs"),
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

/// One test per fixture, as ruff has one per rule: a failing code does not hide the others.
macro_rules! fixtures {
    ($($code:ident),* $(,)?) => {
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $code() {
                raises_its_code(stringify!($code));
            }
        )*

        const FIXTURES: &[&str] = &[$(stringify!($code)),*];
    };
}

fixtures! {
    TG001,
    TG002,
    TG003,
    TG004,
    TG005,
    TG006,
    TG007,
    TG008,
    TG010,
    TG011,
    TG012,
    TG050,
    TG051,
    TG052,
    TG053,
    TG054,
    TG055,
    TG056,
    TG057,
    TG101,
    TG102,
    TG103,
    TG104,
    TG105,
    TG106,
    TG107,
    TG108,
    TG109,
    TG110,
    TG111,
    TG112,
    TG113,
    TG114,
    TG115,
    TG116,
    TG117,
    TG118,
    TG119,
    TG120,
    TG121,
    TG122,
    TG123,
    TG124,
    TG125,
    TG126,
    TG127,
    TG128,
    TG129,
    TG130,
    TG131,
    TG201,
    TG202,
    TG203,
    TG204,
    TG205,
    TG206,
    TG207,
    TG208,
    TG209,
    TG210,
    TG211,
    TG212,
    TG213,
    TG214,
    TG301,
    TG302,
    TG303,
    TG304,
    TG305,
    TG306,
    TG307,
}

/// A fixture directory nobody listed above would never run.
#[test]
fn every_fixture_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut dirs: Vec<String> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    dirs.sort();
    assert_eq!(dirs, FIXTURES, "list every fixtures/rules/ directory in `fixtures!`");
}

/// The fixture `fixtures/rules/{code}` raises `code`; the span of each such finding (as the JSON
/// report gives it, with the text it covers) and the human output are its snapshot.
fn raises_its_code(code: &str) {
    // Paths in the snapshots are relative to the repository, as a user running `check` there sees them.
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let dir = Path::new("fixtures/rules").join(code);
    let repo = Repository::load(&dir).unwrap();
    let report = tailgrant::pipeline::check(&repo, AT.parse().unwrap());
    let hits: Vec<_> = report.findings.iter().filter(|f| f.code.as_str() == code).collect();
    assert!(!hits.is_empty(), "fixture {code} does not raise {code}: {:#?}", report.findings);
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
    insta::assert_snapshot!(code.to_owned(), format!("{}\n\n{human}", spans.join("\n")));
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

/// TG123 is raised for distinct reasons, each its own check: one entry per reason, with the
/// message it gets (the fixture shows one of them in full).
#[test]
fn each_invalid_test_has_its_own_message() {
    const CASES: &[(&str, &str, &str)] = &[
        ("tests", r#"{"accept": ["tag:db:22"]}"#, "a test needs a src"),
        ("tests", r#"{"src": "bob@example.com"}"#, "a test needs accept or deny destinations"),
        ("tests", r#"{"src": "bob@example.com", "accept": ["tag:db"]}"#, r#"must name one port, not "db""#),
        ("tests", r#"{"src": "bob@example.com", "accept": ["tag:db:1-2"]}"#, r#"must name one port, not "1-2""#),
        ("tests", r#"{"src": "bob@example.com", "accept": ["100.64.0.1/32:22"]}"#, "is a CIDR"),
        ("tests", r#"{"src": "bob@example.com", "accept": ["net:22"]}"#, "covers more than one address"),
        ("sshTests", r#"{"dst": ["tag:db"], "accept": ["root"]}"#, "an SSH test needs a src"),
        (
            "sshTests",
            r#"{"src": "*", "dst": ["tag:db"], "accept": ["root"]}"#,
            r#"src contains disallowed element "*""#,
        ),
        ("sshTests", r#"{"src": "bob@example.com", "accept": ["root"]}"#, "an SSH test needs a dst"),
        ("sshTests", r#"{"src": "bob@example.com", "dst": ["tag:db"]}"#, "needs accept, check or deny logins"),
        ("sshTests", r#"{"src": "bob@example.com", "dst": ["tag:db"], "accept": [""]}"#, "login cannot be empty"),
        ("sshTests", r#"{"src": "bob@example.com", "dst": ["tag:db:22"], "accept": ["root"]}"#, "unknown tag"),
        ("sshTests", r#"{"src": "bob@example.com", "dst": ["fd7a::1"], "accept": ["root"]}"#, "bare IPv6"),
        (
            "sshTests",
            r#"{"src": "bob@example.com", "dst": ["autogroup:internet"], "accept": ["root"]}"#,
            r#"dst contains disallowed element "autogroup:internet""#,
        ),
        ("sshTests", r#"{"src": "bob@example.com", "dst": ["net"], "accept": ["root"]}"#, "(a host alias for a range)"),
    ];
    for (section, entry, message) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let policy = format!(
            r#"{{
	"tagOwners": {{"tag:db": ["bob@example.com"]}},
	"hosts": {{"net": "100.64.0.0/24"}},
	"grants": [{{"src": ["bob@example.com"], "dst": ["tag:db"], "ip": ["*"]}}],
	"{section}": [{entry}],
}}
"#
        );
        std::fs::write(dir.path().join("policy.hujson"), policy).unwrap();
        let repo = Repository::load(dir.path()).unwrap();
        let report = tailgrant::pipeline::check(&repo, AT.parse().unwrap());
        let invalid: Vec<_> =
            report.findings.iter().filter(|f| f.code == Code::InvalidTest).map(|f| f.message.as_str()).collect();
        assert!(
            invalid.len() == 1 && invalid[0].contains(message),
            "{section} {entry}: want one TG123 saying {message:?}, got {invalid:?}"
        );
    }
}
