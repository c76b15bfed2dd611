//! Files generated from the code stay in step with it: the JSON schemas, the rules page and
//! the manual pages.
//! `TAILGRANT_UPDATE=1 cargo test --test generated` rewrites them.
use std::path::Path;

fn check(path: &Path, want: &str) {
    if std::env::var_os("TAILGRANT_UPDATE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `TAILGRANT_UPDATE=1 cargo test --test generated` and commit the result",
        path.display()
    );
}

#[test]
fn schemas_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, text) in tailgrant::model::schemas().into_iter().chain(tailgrant::report::schemas()) {
        check(&root.join("schemas").join(name), &text);
    }
}

#[test]
fn rules_doc_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    check(&root.join("docs/rules.md"), &tailgrant::finding::rules_markdown());
}

#[test]
fn example_files_point_at_the_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let config = std::fs::read_to_string(root.join("tailgrant.hujson")).unwrap();
    assert!(config.contains("\"../schemas/config.schema.json\""));
    for dir in ["grants", "teams"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            assert!(text.contains("\"../../schemas/fragment.schema.json\""));
        }
    }
}

#[test]
fn man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tailgrant"))
        .args(["man", "-o"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let generated = names(tmp.path());
    assert!(generated.contains(&"tailgrant.1".to_owned()) && generated.contains(&"tailgrant-check.1".to_owned()));
    for name in &generated {
        check(&root.join(name), &std::fs::read_to_string(tmp.path().join(name)).unwrap());
    }
    if std::env::var_os("TAILGRANT_UPDATE").is_none() {
        assert_eq!(
            names(&root),
            generated,
            "docs/man holds a page no command has: run `TAILGRANT_UPDATE=1 cargo test --test generated`"
        );
    }
}
