//! Real-world policy files that none of us wrote, used as the base of an otherwise empty
//! repository: each parseable one renders back to the same policy with all its comments, and
//! each broken one is refused with a finding that points into the file.
use std::path::{Path, PathBuf};

use tailgrant::finding::Code;
use tailgrant::load::Repository;

fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/real-world").join(sub)
}

fn policy_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hujson" || e == "json"))
        .collect();
    files.sort();
    files
}

/// A repository holding only `text` as its base policy.
fn repo_with_base(text: &[u8]) -> (tempfile::TempDir, Repository) {
    repo_with(text, &[])
}

/// A repository with base policy `text` and the grant files `fragments` (name, text).
fn repo_with(text: &[u8], fragments: &[(&str, &str)]) -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.hujson"), text).unwrap();
    std::fs::create_dir(dir.path().join("grants")).unwrap();
    for (name, fragment) in fragments {
        std::fs::write(dir.path().join("grants").join(name), fragment).unwrap();
    }
    let repo = Repository::load(dir.path()).unwrap();
    (dir, repo)
}

/// Name and text of each real-world policy file that parses.
fn parseable_policies() -> impl Iterator<Item = (String, Vec<u8>)> {
    policy_files(&corpus("")).into_iter().filter_map(|path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read(&path).unwrap();
        (!UNPARSEABLE.contains(&name.as_str())).then_some((name, text))
    })
}

fn json_of(text: &[u8]) -> serde_json::Value {
    let tree = tailgrant::parse::parse(text).unwrap();
    serde_json::from_slice(&tree.to_json()).unwrap()
}

/// The four top-level files SOURCES.md lists as not parsing.
const UNPARSEABLE: &[&str] = &[
    "alexraskin__infrastructure__tailscale_policy.hujson",
    "anoopkansupada__tailscale-policy__policy.hujson",
    "kaywoz__tailscale__old.hujson",
    "kingozone__unraid__policy.hujson",
];

#[test]
fn real_world_files_render_back_with_every_comment() {
    let at: jiff::Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
    let mut rendered = 0;
    for (name, text) in parseable_policies() {
        let (_dir, repo) = repo_with_base(&text);
        let out = tailgrant::merge::render(&repo, at).unwrap_or_else(|| panic!("{name} did not render"));
        assert_eq!(json_of(out.text.as_bytes()), json_of(&text), "{name}: the rendered policy differs");
        let rendered_text = &out.text;
        for comment in tailgrant::parse::parse(&text).unwrap().comments() {
            for line in comment.lines().map(str::trim).filter(|l| !l.is_empty()) {
                assert!(rendered_text.contains(line), "{name}: comment line {line:?} was lost");
            }
        }
        // The rendered file is already formatted and carries a valid hash.
        assert_eq!(
            tailgrant::parse::format_bytes(rendered_text.as_bytes()).unwrap(),
            rendered_text.as_bytes(),
            "{name}"
        );
        assert!(matches!(tailgrant::merge::verify_header(rendered_text), tailgrant::merge::HeaderState::Intact { .. }));
        rendered += 1;
    }
    assert_eq!(rendered, 112);
}

/// A fragment whose entries `render` formats apart from the base and splices in: whatever the
/// base's layout, the result must be what formatting the whole file gives.
const FRAGMENT: &str = r#"{
  "expires": "2026-12-01T00:00:00Z",
  "grants": [
    // why
    {"src": ["alice@example.com"], "dst": ["tag:db"], "ip": ["tcp:5432"]},
    {"src": ["alice@example.com", "carol@example.com", "dave@example.com"], "dst": ["tag:a-rather-long-tag"], "ip": ["*"]},
  ],
  "tests": [{"src": "alice@example.com", "accept": ["tag:db:5432"]}],
}
"#;

#[test]
fn real_world_bases_take_merged_entries_formatted_as_the_whole_file_would_be() {
    let at: jiff::Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
    let fragment = json_of(FRAGMENT.as_bytes());
    let mut rendered = 0;
    for (name, text) in parseable_policies() {
        let (_dir, repo) = repo_with(&text, &[("a.hujson", FRAGMENT)]);
        let out = tailgrant::merge::render(&repo, at).unwrap_or_else(|| panic!("{name} did not render"));
        assert_eq!(
            String::from_utf8(tailgrant::parse::format_bytes(out.text.as_bytes()).unwrap()).unwrap(),
            out.text,
            "{name}: merged entries are not formatted as the whole file is"
        );
        let (base, merged) = (json_of(&text), json_of(out.text.as_bytes()));
        for section in ["grants", "tests"] {
            let mut expected = base.get(section).and_then(|v| v.as_array()).cloned().unwrap_or_default();
            expected.extend(fragment[section].as_array().unwrap().iter().cloned());
            assert_eq!(merged[section], serde_json::Value::Array(expected), "{name}: {section}");
        }
        rendered += 1;
    }
    assert_eq!(rendered, 112);
}

#[test]
fn unparseable_real_world_files_get_located_findings() {
    for name in UNPARSEABLE {
        let text = std::fs::read(corpus(name)).unwrap();
        let (_dir, repo) = repo_with_base(&text);
        assert!(repo.base.is_none(), "{name} parsed");
        let f = repo
            .findings
            .iter()
            .find(|f| f.code == Code::Syntax)
            .unwrap_or_else(|| panic!("{name}: no syntax finding"));
        assert!(f.location.line > 1 || f.location.column > 1, "{name}: finding at the top of the file: {f:?}");
    }
}

/// The real parser's verdict for each history file, as SOURCES.md records it:
/// `hujson-go: hujson: line L, column C: REASON`.
fn recorded_verdicts() -> std::collections::HashMap<String, (usize, usize, String)> {
    let sources = std::fs::read_to_string(corpus("SOURCES.md")).unwrap();
    let mut out = std::collections::HashMap::new();
    for row in sources.lines().filter(|l| l.starts_with("| `") && l.contains('@')) {
        let name = row[3..].split('`').next().unwrap().to_owned();
        let Some(rest) = row.split("hujson-go: hujson: line ").nth(1) else { continue };
        let (line, rest) = rest.split_once(", column ").unwrap();
        let (col, rest) = rest.split_once(": ").unwrap();
        let reason = rest.split(" | ").next().unwrap().trim().to_owned();
        out.insert(name, (line.parse().unwrap(), col.parse().unwrap(), reason));
    }
    out
}

#[test]
fn broken_files_from_history_get_the_same_verdict_as_tailscale() {
    let files = policy_files(&corpus("history"));
    assert_eq!(files.len(), 33);
    let recorded = recorded_verdicts();
    let mut lines = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read(&path).unwrap();
        let (_dir, repo) = repo_with_base(&text);
        let f = repo
            .findings
            .iter()
            .find(|f| matches!(f.code, Code::Syntax | Code::EmptyFile | Code::InvalidUtf8))
            .unwrap_or_else(|| panic!("{name}: no finding"));
        let (line, byte_col) = {
            let start = f.location.span.start;
            let line_start = text[..start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            (f.location.line, start - line_start + 1)
        };
        if let Some((want_line, want_col, want_reason)) = recorded.get(&name) {
            assert_eq!((line, byte_col), (*want_line, *want_col), "{name}: position differs from Tailscale's");
            if f.code == Code::Syntax {
                // SOURCES.md writes a newline inside the message as `\n`.
                assert_eq!(&f.message.replace('\n', "\\n"), want_reason, "{name}: message differs from Tailscale's");
            }
        }
        lines.push(format!("{name}:{}:{}: {} {}", f.location.line, f.location.column, f.code.as_str(), f.message));
    }
    assert!(recorded.len() >= 30, "only {} recorded verdicts parsed", recorded.len());
    insta::assert_snapshot!(lines.join("\n"));
}
