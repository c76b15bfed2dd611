//! How `tests` and `sshTests` are judged, rule by rule, each with an entry that passes and one
//! that fails (README "How tests are evaluated" gives the evidence for each rule).
use tailgrant::load::Repository;

/// A base for every case: a group with one member who is also an admin, a rule for the group,
/// a rule for the member, rules for every member and for admins.
const BASE: &str = r#"
	"groups": {
		"group:consumers": ["madsbv@github"],
		"group:empty": [],
	},
	"tagOwners": {"tag:server": [], "tag:open": []},
	"acls": [
		{"action": "accept", "src": ["group:consumers"], "dst": ["tag:server:80"]},
		{"action": "accept", "src": ["madsbv@github"], "dst": ["tag:server:8080"]},
		{"action": "accept", "src": ["autogroup:member"], "dst": ["tag:open:*"]},
		{"action": "accept", "src": ["autogroup:admin"], "dst": ["tag:server:22"]},
	],
	"ssh": [
		{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self"], "users": ["root"]},
	],
"#;

const USERS: &str = r#"{"users": [
	{"loginName": "madsbv@github", "role": "admin", "type": "member", "status": "active"},
	{"loginName": "guest@elsewhere.example", "role": "member", "type": "shared", "status": "active"}
]}"#;

/// What `check` makes of one test entry: "pass", "fail" or "inconclusive".
fn judge(section: &str, test: &str, with_users: bool) -> &'static str {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.hujson"), format!("{{{BASE}\t\"{section}\": [{test}],\n}}\n")).unwrap();
    if with_users {
        std::fs::write(dir.path().join("users.json"), USERS).unwrap();
        std::fs::write(dir.path().join("tailgrant.hujson"), r#"{"users": "users.json"}"#).unwrap();
    }
    let repo = Repository::load(dir.path()).unwrap();
    let report = tailgrant::pipeline::check(&repo, "2026-11-22T12:00:00Z".parse().unwrap());
    let errors: Vec<_> = report.findings.iter().filter(|f| f.is_error()).collect();
    assert!(errors.iter().all(|f| f.code.as_str().starts_with("TG30")), "{test}: {errors:#?}");
    match report.tests {
        t if t.failed > 0 => "fail",
        t if t.inconclusive > 0 => "inconclusive",
        t if t.passed == 1 => "pass",
        t => panic!("{test}: {t:?}"),
    }
}

/// (rule, section, test entry, with a users file, expected)
const CASES: &[(&str, &str, &str, bool, &str)] = &[
    // A group source is an unnamed member of the group: the group's rules apply...
    ("group: its rules", "tests", r#"{"src": "group:consumers", "accept": ["tag:server:80"]}"#, false, "pass"),
    ("group: its rules", "tests", r#"{"src": "group:consumers", "deny": ["tag:server:80"]}"#, false, "fail"),
    // ...not those naming a member (madsbv/nix a9edf83)...
    (
        "group: not a member's rules",
        "tests",
        r#"{"src": "group:consumers", "deny": ["tag:server:8080"]}"#,
        false,
        "pass",
    ),
    (
        "group: not a member's rules",
        "tests",
        r#"{"src": "group:consumers", "accept": ["tag:server:8080"]}"#,
        false,
        "fail",
    ),
    // ...not a member's role...
    ("group: no role", "tests", r#"{"src": "group:consumers", "deny": ["tag:server:22"]}"#, true, "pass"),
    ("group: no role", "tests", r#"{"src": "group:consumers", "accept": ["tag:server:22"]}"#, true, "fail"),
    // ...not a named member's device as autogroup:self.
    (
        "group: not a member's self",
        "sshTests",
        r#"{"src": "group:consumers", "dst": ["madsbv@github"], "deny": ["root"]}"#,
        false,
        "pass",
    ),
    (
        "group: not a member's self",
        "sshTests",
        r#"{"src": "group:consumers", "dst": ["madsbv@github"], "accept": ["root"]}"#,
        false,
        "fail",
    ),
    // Whether the unnamed member is a member of the tailnet is not known.
    (
        "group: membership unknown",
        "tests",
        r#"{"src": "group:consumers", "deny": ["tag:open:443"]}"#,
        true,
        "inconclusive",
    ),
    // An empty group is judged the same way (and warned about).
    ("empty group", "tests", r#"{"src": "group:empty", "deny": ["tag:server:8080"]}"#, false, "pass"),
    ("empty group", "tests", r#"{"src": "group:empty", "accept": ["tag:server:8080"]}"#, false, "fail"),
    // A login: membership from the users file, else unknown (USA-RedDragon: torvalds@github).
    ("login: not in the users file", "tests", r#"{"src": "torvalds@github", "deny": ["tag:open:80"]}"#, true, "pass"),
    ("login: not in the users file", "tests", r#"{"src": "torvalds@github", "accept": ["tag:open:80"]}"#, true, "fail"),
    ("login: a member", "tests", r#"{"src": "madsbv@github", "accept": ["tag:open:80"]}"#, true, "pass"),
    ("login: a member", "tests", r#"{"src": "madsbv@github", "deny": ["tag:open:80"]}"#, true, "fail"),
    ("login: shared in", "tests", r#"{"src": "guest@elsewhere.example", "deny": ["tag:open:80"]}"#, true, "pass"),
    (
        "login: without a users file",
        "tests",
        r#"{"src": "torvalds@github", "deny": ["tag:open:80"]}"#,
        false,
        "inconclusive",
    ),
    (
        "login: without a users file",
        "tests",
        r#"{"src": "torvalds@github", "accept": ["tag:open:80"]}"#,
        false,
        "inconclusive",
    ),
    // What does not hang on membership is decided without the file.
    ("login: named rules decide", "tests", r#"{"src": "madsbv@github", "accept": ["tag:server:8080"]}"#, false, "pass"),
    (
        "login: named rules decide",
        "tests",
        r#"{"src": "torvalds@github", "accept": ["tag:server:8080"]}"#,
        false,
        "fail",
    ),
    // Roles: from the users file, else unknown.
    ("role", "tests", r#"{"src": "madsbv@github", "accept": ["tag:server:22"]}"#, true, "pass"),
    ("role", "tests", r#"{"src": "torvalds@github", "accept": ["tag:server:22"]}"#, true, "fail"),
    ("role", "tests", r#"{"src": "madsbv@github", "accept": ["tag:server:22"]}"#, false, "inconclusive"),
    // SSH: autogroup:self is a user's own devices, when the user is a member.
    ("ssh self", "sshTests", r#"{"src": "madsbv@github", "dst": ["madsbv@github"], "accept": ["root"]}"#, true, "pass"),
    (
        "ssh self",
        "sshTests",
        r#"{"src": "torvalds@github", "dst": ["torvalds@github"], "accept": ["root"]}"#,
        true,
        "fail",
    ),
];

#[test]
fn each_rule_accepts_and_denies() {
    let mut wrong = Vec::new();
    for (rule, section, test, users, want) in CASES {
        let got = judge(section, test, *users);
        if got != *want {
            wrong.push(format!("{rule}: {test} (users file: {users}): want {want}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

/// The message of a failed SSH test names the outcomes as Tailscale does (`want: "accept"
/// got: "deny"`) and quotes logins and hosts as written, even when they contain the words.
#[test]
fn ssh_failure_messages_quote_logins_and_hosts_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let policy = r#"{
	"tagOwners": {"tag:Checkpoint": []},
	"ssh": [{"action": "accept", "src": ["autogroup:member"], "dst": ["tag:Checkpoint"], "users": ["Accepted"]}],
	"sshTests": [{"src": "Deny.Check@example.com", "dst": ["tag:Checkpoint"], "accept": ["Checker"]}],
}
"#;
    std::fs::write(dir.path().join("policy.hujson"), policy).unwrap();
    let repo = Repository::load(dir.path()).unwrap();
    let report = tailgrant::pipeline::check(&repo, "2026-11-22T12:00:00Z".parse().unwrap());
    let failed: Vec<_> = report.findings.iter().filter(|f| f.code.as_str() == "TG303").collect();
    assert_eq!(failed.len(), 1, "{:#?}", report.findings);
    assert_eq!(
        failed[0].message,
        r#"src "Deny.Check@example.com", dst "tag:Checkpoint", ssh user "Checker": want: "accept" got: "deny""#
    );
}
