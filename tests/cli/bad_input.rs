//! Every kind of bad input gets a finding that says where and what to do, with exit 1 or 2:
//! never a panic, a stack overflow or a partial output file.
use crate::support::{AT, TestRepo, grant};

/// Runs check with `contents` at `rel`, snapshots the transcript under `name`, and returns
/// the exit code.
fn case(name: &str, rel: &str, contents: impl AsRef<[u8]>) -> i32 {
    let r = TestRepo::new();
    r.write(rel, contents);
    let run = r.run(&["check", AT]);
    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    insta::assert_snapshot!(name, run.transcript());
    let render = r.run(&["render", AT, "-o", "out.hujson"]);
    if run.code != 0 {
        assert!(!r.path("out.hujson").exists(), "{name}: a policy was rendered despite errors");
        assert_eq!(render.code, run.code, "{name}");
    }
    run.code
}

const G: &str = "policies/grants/bad.hujson";

#[test]
fn truncated_file() {
    assert_eq!(case("truncated", G, r#"{"description": "x", "grants": [{"src": ["#), 1);
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(case("empty", G, ""), 1);
    assert_eq!(case("comments_only", G, "// nothing here yet\n"), 1);
}

#[test]
fn invalid_utf8() {
    assert_eq!(case("invalid_utf8", G, b"{\"description\": \"caf\xe9\"}\n"), 1);
}

#[test]
fn crlf_line_endings_are_fine() {
    assert_eq!(case("crlf", G, grant(r#""grants": []"#).replace('\n', "\r\n")), 0);
}

#[test]
fn comment_on_last_line_without_newline() {
    assert_eq!(case("last_line_comment", "policies/policy.hujson", "{\"groups\": {}}\n// the end"), 1);
}

#[test]
fn deep_nesting() {
    assert_eq!(case("deep_nesting", G, "[".repeat(100_000)), 1);
}

#[test]
fn duplicate_keys() {
    assert_eq!(case("duplicate_keys", "policies/policy.hujson", "{\n\t\"groups\": {},\n\t\"Groups\": {},\n}\n"), 1);
}

#[test]
fn fragment_is_a_list() {
    assert_eq!(case("fragment_list", G, "[{\"src\": [\"alice@example.com\"]}]\n"), 1);
}

#[test]
fn wrong_types() {
    assert_eq!(
        case(
            "src_not_a_list",
            G,
            grant(r#""grants": [{"src": "alice@example.com", "dst": ["tag:prod-db"], "ip": ["tcp:1"]}]"#)
        ),
        1
    );
    assert_eq!(case("bad_timestamp", G, grant("").replace("2026-11-24T17:00:00Z", "Friday")), 1);
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    assert_eq!(case("unknown_section", "policies/policy.hujson", "{\n\t\"tagOwner\": {},\n}\n"), 1);
    assert_eq!(case("unknown_fragment_key", G, grant(r#""descripton": "typo""#)), 1);
    assert_eq!(case("section_not_for_fragments", G, grant(r#""derpMap": {}"#)), 1);
}

#[test]
fn missing_base_and_directory_where_a_file_should_be() {
    let r = TestRepo::new();
    std::fs::remove_file(r.path("policies/policy.hujson")).unwrap();
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("policies/policy.hujson does not exist"), "{}", run.stdout);
    std::fs::create_dir(r.path("policies/policy.hujson")).unwrap();
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("is a directory"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn symlink_loop() {
    let r = TestRepo::new();
    std::fs::create_dir_all(r.path("policies/grants")).unwrap();
    std::os::unix::fs::symlink("loop.hujson", r.path("policies/grants/loop.hujson")).unwrap();
    std::os::unix::fs::symlink("..", r.path("policies/grants/up")).unwrap();
    let run = r.run(&["check", AT]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stdout.contains("policies/grants/loop.hujson is a symlink loop"), "{}", run.stdout);
}

#[test]
fn fifty_megabyte_file() {
    let r = TestRepo::new();
    let mut big = String::from("{\n\t\"hosts\": {\n");
    let mut i = 0;
    while big.len() < 50 << 20 {
        big.push_str(&format!(
            "\t\t\"host-{i:07}\": \"100.64.{}.{}\", // a comment to make it long enough\n",
            i / 250 % 250,
            i % 250 + 1
        ));
        i += 1;
    }
    big.push_str("\t},\n}\n");
    r.write("policies/policy.hujson", &big);
    let run = r.run(&["check", AT, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", &run.stderr);
    r.write("policies/policy.hujson", &big[..big.len() / 2]);
    let run = r.run(&["check", AT, "--format", "json"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("\"TG001\""));
}
