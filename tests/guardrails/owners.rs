//! Class 2: every destination a fragment opens needs an approver who owns it; where the policy
//! names no owner (addresses, aliases, sets, autogroups, groups as destinations) nobody can
//! approve it unless the config's `owners` says who may.
use tailgrant::finding::Code;

use crate::support::*;

fn grant_to(dst: &str) -> Repo {
    Repo::granting(&format!(r#""grants": [{{"src": ["alice@example.com"], "dst": ["{dst}"], "ip": ["tcp:443"]}}],"#))
}

#[test]
fn destinations_nobody_owns_are_refused() {
    for dst in [
        "10.20.1.0/24",
        "10.20.1.5",
        "100.101.102.103",
        "fd7a:115c:a1e0::5",
        "legacy",
        "corp",
        "ipset:office",
        "group:sre",
        "svc:billing",
    ] {
        let hits = refused(&grant_to(dst), Code::UnownedDestination);
        says(&hits, &format!("no one owns {dst}"));
    }
}

#[test]
fn autogroup_and_wildcard_destinations_are_refused_even_without_forbid_wildcards() {
    let lax = r#"{"guardrails": [{"match": "grants/**", "approversMustOwnTags": true}]}"#;
    for dst in ["autogroup:internet", "autogroup:member", "*", "user:*@example.com"] {
        let r = grant_to(dst);
        r.write("tailgrant.hujson", lax);
        refused(&r, Code::UnownedDestination);
    }
}

#[test]
fn ssh_as_root_to_every_member_is_refused() {
    let r = Repo::granting(
        r#""ssh": [{"action": "accept", "src": ["alice@example.com"], "dst": ["autogroup:member"], "users": ["root"]}],"#,
    );
    refused(&r, Code::UnownedDestination);
}

#[test]
fn acl_destinations_are_judged_like_grants() {
    let r = Repo::granting(
        r#""acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["10.20.1.0/24:443", "tag:prod-db:5432"]}],"#,
    );
    refused(&r, Code::UnownedDestination);
    let r =
        Repo::granting(r#""acls": [{"action": "accept", "users": ["alice@example.com"], "ports": ["legacy:636"]}],"#);
    refused(&r, Code::UnownedDestination);
}

#[test]
fn an_approver_who_does_not_own_the_tag_is_refused() {
    let r = Repo::new();
    r.write(
        "grants/g.hujson",
        grant_by(
            "alice@example.com",
            &["nina@example.com"],
            r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#,
        ),
    );
    let hits = refused(&r, Code::ApproverNotOwner);
    says(&hits, "nina@example.com does not own tag:prod-db");
}

#[test]
fn an_owner_approving_a_tag_passes() {
    passes(&grant_to("tag:prod-db"));
    // Owned through a tag that owns it: carol (group:sre) owns tag:ci, which owns tag:prod-db.
    let r = Repo::new();
    r.write(
        "grants/g.hujson",
        grant_by(
            "alice@example.com",
            &["carol@example.com"],
            r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#,
        ),
    );
    passes(&r);
}

#[test]
fn a_user_owns_their_own_devices() {
    let r = Repo::new();
    r.write(
        "grants/g.hujson",
        grant_by(
            "alice@example.com",
            &["nina@example.com"],
            r#""grants": [{"src": ["alice@example.com"], "dst": ["nina@example.com"], "ip": ["tcp:22"]}],"#,
        ),
    );
    passes(&r);
    let r = Repo::new();
    r.write(
        "grants/g.hujson",
        grant_by(
            "alice@example.com",
            &["bob@example.com"],
            r#""grants": [{"src": ["alice@example.com"], "dst": ["nina@example.com"], "ip": ["tcp:22"]}],"#,
        ),
    );
    says(&refused(&r, Code::ApproverNotOwner), "bob@example.com does not own nina@example.com");
}

#[test]
fn configured_owners_make_addresses_approvable() {
    let config = r#"{"owners": {"10.20.0.0/16": ["group:netops"], "legacy": ["bob@example.com"], "autogroup:internet": ["group:netops"]}}"#;
    for (dst, approver, ok) in [
        ("10.20.1.0/24", "nina@example.com", true),
        ("10.20.1.5", "nina@example.com", true),
        ("ipset:office", "nina@example.com", true),
        ("corp", "nina@example.com", true),
        ("legacy", "bob@example.com", true),
        ("10.20.1.0/24", "bob@example.com", false),
        ("10.21.0.0/24", "nina@example.com", false),
    ] {
        let r = Repo::new();
        r.write("tailgrant.hujson", config);
        r.write(
            "grants/g.hujson",
            grant_by(
                "alice@example.com",
                &[approver],
                &format!(r#""grants": [{{"src": ["alice@example.com"], "dst": ["{dst}"], "ip": ["tcp:443"]}}],"#),
            ),
        );
        if ok {
            passes(&r);
        } else {
            let all = r.findings();
            assert!(
                all.iter().any(|f| matches!(f.code, Code::ApproverNotOwner | Code::UnownedDestination) && f.is_error()),
                "{dst} by {approver}: {all:#?}"
            );
        }
    }
}

#[test]
fn exit_node_use_is_approvable_where_wide_destinations_are_allowed() {
    let r = grant_to("autogroup:internet");
    r.write(
        "tailgrant.hujson",
        r#"{"owners": {"autogroup:internet": ["group:netops"]}, "guardrails": [{"match": "grants/**", "approversMustOwnTags": true}]}"#,
    );
    r.write(
        "grants/g.hujson",
        grant_by(
            "alice@example.com",
            &["nina@example.com"],
            r#""grants": [{"src": ["alice@example.com"], "dst": ["autogroup:internet"], "ip": ["tcp:443"]}],"#,
        ),
    );
    passes(&r);
}

#[test]
fn reaching_ones_own_devices_needs_no_owner() {
    let r = Repo::granting(
        r#""ssh": [{"action": "accept", "src": ["alice@example.com"], "dst": ["autogroup:self"], "users": ["alice"]}],"#,
    );
    passes(&r);
}

#[test]
fn ssh_as_a_named_user_to_an_owned_tag_passes() {
    let r = Repo::granting(
        r#""ssh": [{"action": "check", "src": ["alice@example.com"], "dst": ["tag:prod-db"], "users": ["postgres"]}],"#,
    );
    passes(&r);
}
