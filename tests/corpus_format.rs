//! The formatter against Tailscale's own: every real-world policy file formatted by Tailscale's
//! HuJSON formatter (`corpus/hujson-format/`), and the formatter's own test vectors.
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus")
}

#[test]
fn formats_real_world_files_like_tailscale() {
    let dir = corpus().join("hujson-format");
    let mut checked = 0;
    let mut failed = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let want_path = entry.unwrap().path();
        let name = want_path.file_name().unwrap();
        let input = std::fs::read(corpus().join("real-world").join(name)).unwrap();
        let want = std::fs::read(&want_path).unwrap();
        let got = tailgrant::parse::format_bytes(&input).unwrap();
        if got != want {
            failed.push(name.to_string_lossy().into_owned());
        }
        // Formatting is idempotent.
        assert_eq!(tailgrant::parse::format_bytes(&got).unwrap(), got, "{name:?} is not a fixed point");
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} files");
    assert!(failed.is_empty(), "{} of {checked} differ: {failed:?}", failed.len());
}

#[test]
fn passes_tailscale_hujson_test_vectors() {
    let dir = corpus().join("real-world/hujson-tests");
    let expected = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
    let mut failed = Vec::new();
    for line in expected.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, verdict) = (cols[0], cols[1]);
        let input = std::fs::read(dir.join(file)).unwrap();
        // Invalid UTF-8 is refused before parsing, with its own finding; the parser itself
        // sees only text.
        let result =
            std::str::from_utf8(&input).map_err(|_| ()).and_then(|_| tailgrant::parse::parse(&input).map_err(|_| ()));
        match verdict {
            "valid" if result.is_err() => failed.push(format!("{file}: rejected")),
            "invalid" if result.is_ok() => failed.push(format!("{file}: accepted")),
            _ => {}
        }
        let want = dir.join(file.replace(".hujson", ".format-want.txt"));
        if want.exists() {
            let got = tailgrant::parse::format_bytes(&input).unwrap();
            if got != std::fs::read(&want).unwrap() {
                failed.push(format!("{file}: formats differently:\n{}", String::from_utf8_lossy(&got)));
            }
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
