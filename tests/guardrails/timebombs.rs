//! A grant file that passes review but later stops every `apply` keeps expired access live:
//! tests that fail on their own as time passes, and posture attributes apply cannot set.
use tailgrant::finding::Code;

use crate::support::*;

const ALICE_DB: &str = r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#;

#[test]
fn a_test_that_only_an_earlier_expiring_file_holds_up() {
    let r = Repo::new();
    r.write("grants/a.hujson", grant(ALICE_DB));
    // b.hujson lasts longer and asserts access only a.hujson grants.
    r.write(
        "grants/b.hujson",
        grant(r#""tests": [{"src": "alice@example.com", "accept": ["tag:prod-db:5432"]}],"#)
            .replace("2026-11-24T17:00:00Z", "2026-11-28T17:00:00Z"),
    );
    says(&refused(&r, Code::TestFailsLater), "is allowed only until 2026-11-24T17:00:00Z");
    // A file's tests of its own grants hold as long as it does.
    let r = Repo::new();
    r.write(
        "grants/a.hujson",
        grant(&format!(r#"{ALICE_DB} "tests": [{{"src": "alice@example.com", "accept": ["tag:prod-db:5432"]}}],"#)),
    );
    passes(&r);
}

#[test]
fn a_pending_file_whose_tests_fail_when_it_starts() {
    let r = Repo::new();
    r.write(
        "grants/later.hujson",
        grant(r#""tests": [{"src": "alice@example.com", "accept": ["tag:prod-db:5432"]}],"#)
            .replace("2026-11-22T09:00:00Z", "2026-12-01T00:00:00Z")
            .replace("2026-11-24T17:00:00Z", "2026-12-02T00:00:00Z"),
    );
    says(&refused(&r, Code::TestFailsLater), "when this file starts at 2026-12-01T00:00:00Z");
}

#[test]
fn a_deny_that_a_pending_file_breaks() {
    let base = BASE.replacen(
        r#""postures": {"#,
        r#""tests": [{"src": "alice@example.com", "deny": ["tag:prod-db:5432"]}],
	"postures": {"#,
        1,
    );
    let r = Repo::with_base(&base);
    r.write(
        "grants/later.hujson",
        grant(ALICE_DB)
            .replace("2026-11-22T09:00:00Z", "2026-12-01T00:00:00Z")
            .replace("2026-11-24T17:00:00Z", "2026-12-02T00:00:00Z"),
    );
    says(&refused(&r, Code::TestFailsLater), "from 2026-12-01T00:00:00Z, when grants/later.hujson");
}

#[test]
fn contradicting_posture_attributes_in_force_together() {
    let set = |v: &str| {
        format!(r#""postureAttributes": [{{"device": "alice-laptop", "key": "custom:level", "value": {v}}}],"#)
    };
    let r = Repo::new();
    r.write("grants/a.hujson", grant(&set("1")));
    r.write("grants/b.hujson", grant(&set("2")));
    says(&refused(&r, Code::InvalidPostureAttribute), "apply cannot do both");
    let r = Repo::new();
    r.write("grants/a.hujson", grant(&set("1")));
    r.write("grants/b.hujson", grant(&set("1")));
    passes(&r);
}

#[test]
fn a_device_the_devices_file_lacks() {
    let r = Repo::granting(r#""postureAttributes": [{"device": "ghost-laptop", "key": "custom:x", "value": true}],"#);
    r.write("devices.json", r#"{"devices": [{"name": "alice-laptop.t.ts.net", "hostname": "alice-laptop", "nodeId": "nA", "user": "alice@example.com"}]}"#);
    r.write("tailgrant.hujson", r#"{"devices": "devices.json"}"#);
    says(&refused(&r, Code::InvalidPostureAttribute), "not in the devices file");
}

#[test]
fn a_deny_that_a_pending_file_breaks_by_adding_a_group_member() {
    let base = BASE.replacen(
        r#""postures": {"#,
        r#""tests": [{"src": "alice@example.com", "deny": ["tag:staging:22"]}],
	"postures": {"#,
        1,
    );
    let pending = |group: &str| {
        grant(&format!(r#""groups": {{"{group}": ["alice@example.com"]}},"#))
            .replace("2026-11-22T09:00:00Z", "2026-12-01T00:00:00Z")
            .replace("2026-11-24T17:00:00Z", "2026-12-02T00:00:00Z")
    };
    // group:staging reaches tag:staging: alice joining it breaks the deny, from when she does.
    let r = Repo::with_base(&base);
    r.write("grants/later.hujson", pending("group:staging"));
    says(
        &refused(&r, Code::TestFailsLater),
        "from 2026-12-01T00:00:00Z, when grants/later.hujson starts and adds group members, this test fails",
    );
    // A group no rule names: the deny holds then too.
    let r = Repo::with_base(&base);
    r.write("grants/later.hujson", pending("group:oncall"));
    passes(&r);
}
