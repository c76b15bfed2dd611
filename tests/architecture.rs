//! The library's modules import one way, down the pipeline. Each module may name only the
//! modules of lower layers (`crate::x` anywhere in its files, `use` or path); modules of one
//! layer are peers and do not know each other. A new edge that points up or sideways fails
//! here with the file that introduced it.

use std::collections::BTreeMap;
use std::path::Path;

/// Lowest first. `cli` (the binary) sits above all of these and is not listed.
const LAYERS: &[&[&str]] = &[
    &["parallel"],
    &["parse"],
    &["finding"],
    &["model"],
    &["redact"],
    &["http"],
    &["load"],
    // The three stages over a loaded repository.
    &["check", "merge", "evaluate"],
    // The one module that runs the stages together.
    &["pipeline"],
    &["diff", "apply", "audit", "approvals"],
    &["report"],
    // The self-service flow: check, the comment's text and the forge, together.
    &["request"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`src/check/policy/ssh.rs` → `check`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// Every `crate::name` in `text`, outside line comments, with its line number.
fn references(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().next_back();
            rest = &rest[i + "crate::".len()..];
            // `tailgrant_crate::` or `$crate::` are not this crate's paths.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push((n + 1, name));
            }
        }
    }
    out
}

#[test]
fn modules_import_down_the_pipeline_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut edges: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if matches!(module.as_str(), "lib" | "main" | "cli") {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            wrong.push(format!("{}: module `{module}` is in no layer of tests/architecture.rs", file.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (line, name) in references(&text) {
            if name == module || name == "write_atomically" {
                continue;
            }
            edges.entry(module.clone()).or_default().insert(name.clone());
            match layer_of(&name) {
                Some(l) if l < own => {}
                Some(_) => wrong.push(format!(
                    "{}:{line}: `{module}` names `crate::{name}`, which is not below it in the pipeline",
                    file.strip_prefix(&src).unwrap().display()
                )),
                None => wrong.push(format!("{}:{line}: `crate::{name}` is in no layer", file.display())),
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the pipeline:\n{}", wrong.join("\n"));
    // The test has something to judge: the stages do import what lies below them.
    assert!(edges["pipeline"].contains("check") && edges["pipeline"].contains("merge"));
    assert!(edges["check"].contains("load") && edges["report"].contains("pipeline"));
}

#[test]
fn the_scanner_sees_paths_in_uses_and_expressions_but_not_in_comments() {
    let text = "use crate::load::Repository;\nlet x = crate::merge::render(r);\n// crate::report\nlet y = $crate::y;\n";
    let names: Vec<String> = references(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["load", "merge"]);
}

/// A comment's evidence must be something a reader of the repository can open: a public page,
/// an issue, a file here. The team's reference notes live outside the repository, so a
/// comment that cites one of their sections points at nothing.
#[test]
fn comments_cite_nothing_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let notes = ["api-contract", "policy-semantics", "jit-approvals-distribution", "style-anchors", "DESIGN.md"];
    let mut files = Vec::new();
    for dir in ["src", "tests", "sim/src", "forge-sim/src", "benches"] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    assert!(files.len() > 100, "the scan found the sources");
    let mut found = Vec::new();
    for file in &files {
        if file.ends_with("architecture.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if notes.iter().any(|note| line.contains(note)) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "cite a public source instead:\n{}", found.join("\n"));
}

/// A simulator judges with its own logic: if it called tailgrant's parser, formatter or
/// evaluator, a test against it could not see tailgrant diverge from the real service.
#[test]
fn the_simulators_share_no_code_with_tailgrant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wrong = Vec::new();
    for sim in ["sim", "forge-sim"] {
        let manifest = std::fs::read_to_string(root.join(sim).join("Cargo.toml")).unwrap();
        // By name, renamed (`package = "tailgrant"`), as a table, or by path to the crate.
        let names_tailgrant = |l: &str| {
            let l = l.trim_start();
            l.starts_with("tailgrant")
                || l.contains("package = \"tailgrant\"")
                || l.contains("dependencies.tailgrant")
                || l.contains("path = \"..\"")
                || l.contains("path = \"../\"")
        };
        if manifest.lines().any(names_tailgrant) {
            wrong.push(format!("{sim}/Cargo.toml depends on tailgrant"));
        }
        let mut files = Vec::new();
        rust_files(&root.join(sim).join("src"), &mut files);
        assert!(!files.is_empty(), "the scan found {sim}'s sources");
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.contains("tailgrant::") || code.contains("use tailgrant") {
                    wrong.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "a simulator calls tailgrant's code:\n{}", wrong.join("\n"));
}
