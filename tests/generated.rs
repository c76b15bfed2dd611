//! Files generated from the code stay in step with it: the JSON schemas and the rules page.
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
