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

/// Adding someone to a group that a rule names as a destination opens their devices to that
/// rule's sources: the devices' owner (or the group's owner as a destination) approves, and
/// the rule's sources benefit.
#[test]
fn joining_a_destination_group_opens_the_members_devices() {
    let base = BASE.replacen(
        r#""grants": ["#,
        r#""grants": [
		{"src": ["group:sre"], "dst": ["group:oncall"], "ip": ["tcp:3389"]},"#,
        1,
    );
    // carol (group:sre) approves ceo joining group:oncall: her own RDP access to the CEO.
    let r = Repo::with_base(&base);
    r.write(
        "grants/g.hujson",
        grant_by("ceo@example.com", &["carol@example.com"], r#""groups": {"group:oncall": ["ceo@example.com"]},"#),
    );
    let all = r.findings();
    assert!(
        all.iter().any(|f| f.code == Code::ApproverNotOwner && f.message.contains("does not own ceo@example.com")),
        "{all:#?}"
    );
    assert!(
        all.iter().any(|f| f.code == Code::SelfApproval && f.message.contains("is a member of group:sre")),
        "{all:#?}"
    );
    // The one whose devices they are may approve, if the group's rules do not reach them.
    let r = Repo::with_base(&base);
    r.write(
        "grants/g.hujson",
        grant_by("nina@example.com", &["ceo@example.com"], r#""groups": {"group:oncall": ["ceo@example.com"]},"#),
    );
    let all = r.findings();
    assert!(!all.iter().any(|f| f.code == Code::ApproverNotOwner), "{all:#?}");
    // So may whoever the config names as the group's owner as a destination.
    let r = Repo::with_base(&base);
    r.write("tailgrant.hujson", r#"{"owners": {"group:oncall": ["nina@example.com"]}}"#);
    r.write(
        "grants/g.hujson",
        grant_by("ceo@example.com", &["nina@example.com"], r#""groups": {"group:oncall": ["ceo@example.com"]},"#),
    );
    passes(&r);
}

/// Owners the repository cannot expand (a role, an IdP group, admins only) cannot prove an
/// approval: refused, unless the config names who may approve.
#[test]
fn owners_that_cannot_be_expanded_are_refused() {
    let base = BASE.replacen(
        r#""tag:exit":    ["group:sre"],"#,
        r#""tag:exit":    ["group:sre"],
		"tag:vault":   ["autogroup:admin"],
		"tag:k8s":     [],
		"tag:pay":     ["group:dba", "autogroup:admin"],
		"tag:idp":     ["group:sec@example.com"],"#,
        1,
    );
    for tag in ["tag:vault", "tag:k8s", "tag:pay", "tag:idp"] {
        let r = Repo::with_base(&base);
        r.write(
            "grants/g.hujson",
            grant_by(
                "alice@example.com",
                &["nina@example.com"],
                &format!(r#""grants": [{{"src": ["alice@example.com"], "dst": ["{tag}"], "ip": ["tcp:443"]}}],"#),
            ),
        );
        says(&refused(&r, Code::OwnershipUnverified), &format!("owns {tag}"));
    }
    // bob is in group:dba, listed for tag:pay: he owns it whatever the role says.
    let r = Repo::with_base(&base);
    r.write(
        "grants/g.hujson",
        grant(r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:pay"], "ip": ["tcp:443"]}],"#),
    );
    passes(&r);
    // The config can name who may approve the admin-only tag.
    let r = Repo::with_base(&base);
    r.write("tailgrant.hujson", r#"{"owners": {"tag:vault": ["group:netops"]}}"#);
    r.write(
        "grants/g.hujson",
        grant_by(
            "alice@example.com",
            &["nina@example.com"],
            r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:vault"], "ip": ["tcp:443"]}],"#,
        ),
    );
    passes(&r);
}

/// Routing through a tag's devices (`via`) is theirs to allow.
#[test]
fn a_via_tag_needs_its_owner() {
    let r = Repo::new();
    r.write("tailgrant.hujson", r#"{"owners": {"10.20.0.0/16": ["group:dba"]}}"#);
    r.write("grants/g.hujson", grant(r#""grants": [{"src": ["alice@example.com"], "dst": ["10.20.1.0/24"], "ip": ["tcp:443"], "via": ["tag:exit"]}],"#));
    says(&refused(&r, Code::ApproverNotOwner), "does not own tag:exit");
}
