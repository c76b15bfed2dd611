use crate::support::TestRepo;

#[test]
fn example_is_formatted() {
    let r = TestRepo::example();
    let run = r.run(&["fmt", "--check"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
}

#[test]
fn check_lists_then_fmt_formats_keeping_comments() {
    let r = TestRepo::new();
    let messy = "{\n  // who\n  \"groups\": {\"group:eng\": [\"alice@example.com\",],},\n  \"tagOwners\": {}, /* none yet */\n}";
    r.write("policies/policy.hujson", messy);
    let run = r.run(&["fmt", "--check"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "not formatted: policies/policy.hujson\n");
    assert_eq!(r.read("policies/policy.hujson"), messy, "--check must not write");
    let run = r.run(&["fmt"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let formatted = r.read("policies/policy.hujson");
    insta::assert_snapshot!(formatted);
    assert!(formatted.contains("// who") && formatted.contains("/* none yet */"));
    assert_eq!(r.run(&["fmt", "--check"]).code, 0);
}

#[test]
fn explicit_files_and_syntax_errors() {
    let r = TestRepo::new();
    r.write("a.hujson", "[1,2,]");
    r.write("b.hujson", "{\"a\": 1 \"b\": 2}\n");
    let run = r.run(&["fmt", "a.hujson", "b.hujson"]);
    assert_eq!(run.code, 1);
    assert_eq!(r.read("a.hujson"), "[1, 2]\n");
    assert_eq!(r.read("b.hujson"), "{\"a\": 1 \"b\": 2}\n", "a file that does not parse is left alone");
    assert!(run.stderr.contains("b.hujson:1:9"), "{}", run.stderr);
}
