//! Class 4: an approver is a beneficiary whenever a source of the fragment can be them.
use tailgrant::finding::Code;

use crate::support::*;

/// A grant from `src` to `tag:prod-db`, approved by bob (who owns `tag:prod-db`), under a
/// config that allows wide sources, so that only the self-approval guardrail is at stake.
fn from(src: &str) -> Repo {
    let r = Repo::granting(&format!(r#""grants": [{{"src": [{src}], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}}],"#));
    r.write(
        "tailgrant.hujson",
        r#"{"guardrails": [{"match": "grants/**", "forbidSelfApproval": true, "approversMustOwnTags": true}]}"#,
    );
    r
}

#[test]
fn wide_sources_that_cover_the_approver() {
    for (src, why) in [
        (r#""user:*@example.com""#, "is in user:*@example.com"),
        (r#""group:eng""#, "is a member of group:eng"),
        (r#""group:dba""#, "is a member of group:dba"),
        (r#""autogroup:member""#, "is in autogroup:member"),
        (r#""*""#, "is in *"),
        (r#""autogroup:admin""#, "may hold the role autogroup:admin"),
        (r#""group:idp@example.com""#, "may be in group:idp@example.com"),
        (r#""100.64.0.0/16""#, "may have a device with an address in 100.64.0.0/16"),
        (r#""fd7a:115c:a1e0::/64""#, "may have a device"),
        (r#""legacy""#, "may have a device with an address in legacy"),
        (r#""alice@example.com", "BOB@example.com""#, "is BOB@example.com, a source of its rules"),
    ] {
        let hits = refused(&from(src), Code::SelfApproval);
        says(&hits, why);
    }
}

#[test]
fn a_tag_source_benefits_its_owners() {
    // carol (group:sre) owns tag:ci: she could put it on her laptop and use the access.
    let r = Repo::new();
    r.write(
        "grants/g.hujson",
        grant_by(
            "alice@example.com",
            &["carol@example.com"],
            r#""grants": [{"src": ["tag:ci"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#,
        ),
    );
    says(&refused(&r, Code::SelfApproval), "owns tag:ci");
    // bob owns tag:prod-db but not tag:ci: he may approve it.
    let r = Repo::granting(r#""grants": [{"src": ["tag:ci"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#);
    passes(&r);
}

#[test]
fn membership_added_by_any_file_counts_against_the_approver() {
    // A pending grant file puts bob into group:staging; a grant to group:staging is then a
    // grant to bob, whoever else it names.
    let r = Repo::new();
    r.write(
        "grants/later.hujson",
        grant_by("bob@example.com", &["carol@example.com"], r#""groups": {"group:oncall": ["bob@example.com"]},"#)
            .replace("2026-11-22T09:00:00Z", "2027-01-01T00:00:00Z")
            .replace("2026-11-24T17:00:00Z", "2027-01-02T00:00:00Z"),
    );
    r.write(
        "grants/g.hujson",
        grant(r#""grants": [{"src": ["group:oncall"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    says(&refused(&r, Code::SelfApproval), "is a member of group:oncall");
}

#[test]
fn an_approver_added_to_a_group_by_the_fragment_is_refused() {
    let r = Repo::granting(r#""groups": {"group:oncall": ["alice@example.com", "bob@example.com"]},"#);
    says(&refused(&r, Code::SelfApproval), "is added to group:oncall");
}

#[test]
fn sources_that_cannot_be_the_approver_pass() {
    for src in [
        r#""alice@example.com""#,
        r#""group:sre""#,
        r#""user:*@other.example""#,
        r#""192.168.1.0/24""#,
        r#""office-pc""#,
    ] {
        passes(&from(src));
    }
}

#[test]
fn a_posture_attribute_on_the_approvers_device_is_self_approval() {
    let devices = r#"{"devices": [
		{"name": "bob-laptop.tail1234.ts.net", "hostname": "bob-laptop", "nodeId": "nBOB1", "user": "bob@example.com", "addresses": ["100.64.0.2"]},
		{"name": "alice-laptop.tail1234.ts.net", "hostname": "alice-laptop", "nodeId": "nALICE1", "user": "alice@example.com", "addresses": ["100.64.0.3"]}
	]}"#;
    // custom:managed is read by posture:managed, which gates group:dba's access to tag:prod-db.
    let body = |device: &str| {
        format!(r#""postureAttributes": [{{"device": "{device}", "key": "custom:managed", "value": true}}],"#)
    };
    let r = Repo::granting(&body("bob-laptop"));
    r.write("devices.json", devices);
    r.write("tailgrant.hujson", r#"{"devices": "devices.json"}"#);
    says(&refused(&r, Code::SelfApproval), "owns device \"bob-laptop\"");
    let r = Repo::granting(&body("alice-laptop"));
    r.write("devices.json", devices);
    r.write("tailgrant.hujson", r#"{"devices": "devices.json"}"#);
    passes(&r);
    // Without a devices file, check cannot tell and says so (apply decides).
    says(
        &warned(&Repo::granting(&body("bob-laptop")), Code::DeviceOwnerUnverified),
        "cannot verify offline that no approver owns device",
    );
}

/// With a devices file, a single tailnet address names one device, whose owner is known.
#[test]
fn a_single_address_is_judged_by_its_device() {
    let devices = r#"{"devices": [
		{"name": "ci-1.tail1234.ts.net", "hostname": "ci-1", "nodeId": "nCI1", "user": "carol@example.com", "tags": ["tag:web"], "addresses": ["100.64.0.9"]},
		{"name": "bob-laptop.tail1234.ts.net", "hostname": "bob-laptop", "nodeId": "nBOB1", "user": "bob@example.com", "addresses": ["100.64.0.2"]}
	]}"#;
    let r = from(r#""100.64.0.9""#);
    r.write("devices.json", devices);
    r.write(
        "tailgrant.hujson",
        r#"{"devices": "devices.json", "guardrails": [{"match": "grants/**", "forbidSelfApproval": true, "approversMustOwnTags": true}]}"#,
    );
    // bob owns tag:web through group:eng: he could be the beneficiary.
    says(&refused(&r, Code::SelfApproval), "owns tag:web, which the device at 100.64.0.9 carries");
    let r = from(r#""100.64.0.2""#);
    r.write("devices.json", devices);
    r.write(
        "tailgrant.hujson",
        r#"{"devices": "devices.json", "guardrails": [{"match": "grants/**", "forbidSelfApproval": true, "approversMustOwnTags": true}]}"#,
    );
    says(&refused(&r, Code::SelfApproval), "owns the device at 100.64.0.2");
    let base_devices = devices.replace("\"tags\": [\"tag:web\"]", "\"tags\": [\"tag:ci\"]");
    let r = from(r#""100.64.0.9""#);
    r.write("devices.json", base_devices);
    r.write(
        "tailgrant.hujson",
        r#"{"devices": "devices.json", "guardrails": [{"match": "grants/**", "forbidSelfApproval": true, "approversMustOwnTags": true}]}"#,
    );
    passes(&r);
}
