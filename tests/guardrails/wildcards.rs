//! Class 3: sources and destinations that cover everyone or everything, in any spelling.
use tailgrant::finding::Code;

use crate::support::*;

fn grant(src: &str, dst: &str, ip: &str) -> Repo {
    Repo::granting(&format!(r#""grants": [{{"src": [{src}], "dst": [{dst}], "ip": [{ip}]}}],"#))
}

#[test]
fn every_address_in_other_spellings() {
    for src in [
        r#""0.0.0.0/1", "128.0.0.0/1""#,
        r#""0.0.0.0/0""#,
        r#""::/1""#,
        r#""100.64.0.0/10""#,
        r#""wide""#,
        r#""10.0.0.0/9", "10.128.0.0/9""#,
        r#""*""#,
        r#""autogroup:danger-all""#,
    ] {
        let r = grant(src, r#""tag:prod-db""#, r#""tcp:5432""#);
        let hits = refused(&r, Code::WildcardForbidden);
        assert!(!hits.is_empty(), "{src}");
    }
    for dst in [r#""0.0.0.0/1", "128.0.0.0/1""#, r#""ipset:big""#, r#""wide""#, r#""*""#, r#""autogroup:internet""#] {
        let hits = refused(&grant(r#""alice@example.com""#, dst, r#""tcp:443""#), Code::WildcardForbidden);
        assert!(!hits.is_empty(), "{dst}");
    }
}

#[test]
fn everyone_in_other_spellings() {
    for src in [
        "autogroup:member",
        "autogroup:members",
        "autogroup:tagged",
        "autogroup:admin",
        "autogroup:shared",
        "user:*@example.com",
    ] {
        let r = grant(&format!("{src:?}"), r#""tag:prod-db""#, r#""tcp:5432""#);
        says(&refused(&r, Code::WildcardForbidden), src);
    }
    for dst in ["autogroup:member", "autogroup:tagged", "user:*@example.com"] {
        let r = grant(r#""alice@example.com""#, &format!("{dst:?}"), r#""tcp:443""#);
        says(&refused(&r, Code::WildcardForbidden), dst);
    }
}

#[test]
fn every_port_in_other_spellings() {
    for ip in [
        r#""*""#,
        r#""tcp:*""#,
        r#""udp:*""#,
        r#""tcp:1-65535""#,
        r#""TCP:1-65535""#,
        r#""1-65535""#,
        r#""*:1-65535""#,
        r#""tcp:1-32767", "tcp:32768-65535""#,
        r#""tcp:1-100", "tcp:50-40000", "tcp:40001-65535""#,
        r#""sctp:*""#,
    ] {
        let hits = refused(&grant(r#""alice@example.com""#, r#""tag:prod-db""#, ip), Code::WildcardForbidden);
        says(&hits, "tag:prod-db");
    }
}

/// `0-65535` is no spelling of every port: Tailscale refuses a range that starts at 0.
#[test]
fn a_range_from_port_0_is_refused_as_tailscale_refuses_it() {
    refused(&grant(r#""alice@example.com""#, r#""tag:prod-db""#, r#""tcp:0-65535""#), Code::InvalidPort);
    let r = Repo::granting(
        r#""acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:prod-db:0-65535"]}],"#,
    );
    refused(&r, Code::InvalidPort);
}

#[test]
fn every_port_split_across_rules_and_acl_spellings() {
    let two_grants = r#""grants": [
		{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:1-30000"]},
		{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:30001-65535"]},
	],"#;
    refused(&Repo::granting(two_grants), Code::WildcardForbidden);
    for dst in [r#""tag:prod-db:*""#, r#""tag:prod-db:1-65535""#, r#""tag:prod-db:1-40000", "tag:prod-db:40001-65535""#]
    {
        let r = Repo::granting(&format!(
            r#""acls": [{{"action": "accept", "src": ["alice@example.com"], "dst": [{dst}]}}],"#
        ));
        refused(&r, Code::WildcardForbidden);
    }
    let r = Repo::granting(
        r#""acls": [{"action": "accept", "src": ["alice@example.com"], "proto": "udp", "dst": ["tag:prod-db:1-65535"]}],"#,
    );
    says(&refused(&r, Code::WildcardForbidden), "every udp port");
}

/// Joining a group is as wide as the base made the group's rules: the base is trusted to shape
/// them, so it is not a wildcard of the fragment's, but the approver must own all of it.
#[test]
fn what_a_group_reaches_is_judged_by_ownership() {
    // group:staging reaches every port of tag:staging in the base; bob owns tag:staging.
    passes(&Repo::granting(r#""groups": {"group:staging": ["alice@example.com"]},"#));
    let r = Repo::new();
    r.write(
        "grants/g.hujson",
        grant_by("alice@example.com", &["nina@example.com"], r#""groups": {"group:staging": ["alice@example.com"]},"#),
    );
    says(&refused(&r, Code::ApproverNotOwner), "by adding people to group:staging");
    // A group whose rule opens `*`: nobody owns `*` unless the config says so.
    let base = BASE.replacen(
        r#"{"action": "accept", "src": ["group:staging"], "dst": ["tag:staging:*"]},"#,
        r#"{"action": "accept", "src": ["group:staging"], "dst": ["*:*"]},"#,
        1,
    );
    let r = Repo::with_base(&base);
    r.write("grants/g.hujson", crate::support::grant(r#""groups": {"group:staging": ["alice@example.com"]},"#));
    says(&refused(&r, Code::UnownedDestination), "no one owns *");
}

#[test]
fn named_ports_ranges_and_icmp_pass() {
    for ip in [r#""tcp:5432""#, r#""tcp:8000-8100""#, r#""icmp:*""#, r#""tcp:1-4096""#, r#""udp:53", "tcp:53""#] {
        passes(&grant(r#""alice@example.com""#, r#""tag:prod-db""#, ip));
    }
}

#[test]
fn the_widest_prefix_is_configurable() {
    let config = r#"{
		"owners": {"10.0.0.0/8": ["group:netops"]},
		"guardrails": [{"match": "grants/**", "forbidWildcards": true, "approversMustOwnTags": true, "forbidSelfApproval": true, "widestPrefix": {"ipv4": 8}}],
	}"#;
    let body = r#""grants": [{"src": ["alice@example.com"], "dst": ["10.0.0.0/8"], "ip": ["tcp:443"]}],"#;
    let r = Repo::new();
    r.write("tailgrant.hujson", config);
    r.write("grants/g.hujson", grant_by("alice@example.com", &["nina@example.com"], body));
    passes(&r);
    // The default line (a /16) refuses the same range.
    let r = Repo::new();
    r.write("tailgrant.hujson", r#"{"owners": {"10.0.0.0/8": ["group:netops"]}}"#);
    r.write("grants/g.hujson", grant_by("alice@example.com", &["nina@example.com"], body));
    says(&refused(&r, Code::WildcardForbidden), "wider than a /16");
    // A /16 with an owner passes under the default.
    let r = Repo::new();
    r.write("tailgrant.hujson", r#"{"owners": {"10.0.0.0/8": ["group:netops"]}}"#);
    r.write(
        "grants/g.hujson",
        grant_by("alice@example.com", &["nina@example.com"], &body.replace("10.0.0.0/8", "10.20.0.0/16")),
    );
    passes(&r);
}

#[test]
fn nearly_every_port_is_too_many() {
    for ip in [r#""tcp:1-65534""#, r#""tcp:1024-65535""#, r#""udp:2-65535""#] {
        says(
            &refused(&grant(r#""alice@example.com""#, r#""tag:prod-db""#, ip), Code::WildcardForbidden),
            "more than the 4096 allowed",
        );
    }
    passes(&grant(r#""alice@example.com""#, r#""tag:prod-db""#, r#""tcp:8000-9000""#));
}

/// Splitting a grant across files does not narrow it: what one source holds at one time counts.
#[test]
fn halves_in_two_files_are_the_whole() {
    let half = |ports: &str| {
        crate::support::grant(&format!(
            r#""grants": [{{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["{ports}"]}}],"#
        ))
    };
    let r = Repo::new();
    r.write("grants/a.hujson", half("tcp:1-3000"));
    r.write("grants/b.hujson", half("tcp:3001-6000"));
    let hits = refused(&r, Code::WildcardForbidden);
    says(&hits, "together with grants/");
    says(&hits, "6000 tcp ports of tag:prod-db");
    assert_eq!(hits.len(), 2, "both files: {hits:#?}");
    // Not at the same time: no one holds both halves at once.
    let r = Repo::new();
    r.write("grants/a.hujson", half("tcp:1-3000"));
    r.write(
        "grants/b.hujson",
        half("tcp:3001-6000")
            .replace("2026-11-22T09:00:00Z", "2026-11-25T00:00:00Z")
            .replace("2026-11-24T17:00:00Z", "2026-11-26T00:00:00Z"),
    );
    passes(&r);
    // Two address ranges that together are wider than allowed.
    let r = Repo::new();
    r.write("tailgrant.hujson", r#"{"owners": {"10.0.0.0/8": ["group:dba"]}}"#);
    let range = |dst: &str| {
        crate::support::grant(&format!(
            r#""grants": [{{"src": ["alice@example.com"], "dst": ["{dst}"], "ip": ["tcp:443"]}}],"#
        ))
    };
    r.write("grants/a.hujson", range("10.20.0.0/16"));
    r.write("grants/b.hujson", range("10.21.0.0/16"));
    says(&refused(&r, Code::WildcardForbidden), "together cover");
}

/// Two sources of one rule split across files are two findings at one place: their order is
/// the rule's, the same on every run (it was a hash map's, which differs between runs).
#[test]
fn findings_across_files_come_in_the_rules_order() {
    let half = |ports: &str| {
        crate::support::grant(&format!(
            r#""grants": [{{"src": ["alice@example.com", "carol@example.com"], "dst": ["tag:prod-db"], "ip": ["{ports}"]}}],"#
        ))
    };
    let r = Repo::new();
    r.write("grants/a.hujson", half("tcp:1-3000"));
    r.write("grants/b.hujson", half("tcp:3001-6000"));
    let messages = || -> Vec<String> {
        let hits = refused(&r, Code::WildcardForbidden);
        hits.into_iter().filter(|f| f.message.contains("together with")).map(|f| f.message).collect()
    };
    let first = messages();
    let to = |who: &str| {
        let at = first.iter().position(|m| m.contains(&format!(" to {who} (guardrail")));
        at.unwrap_or_else(|| panic!("no finding for {who}: {first:#?}"))
    };
    assert_eq!(first.len(), 4, "each source in each file: {first:#?}");
    assert!(to("alice@example.com") < to("carol@example.com"), "alice is written first: {first:#?}");
    for _ in 0..16 {
        assert_eq!(messages(), first);
    }
}

#[test]
fn the_tailnet_in_ipv6_spellings_is_every_device() {
    for dst in ["fd7a:115c:a1e0::/96", "fd7a:115c:a1e0::/64", "::ffff:0.0.0.0/96"] {
        let r = Repo::granting(&format!(
            r#""grants": [{{"src": ["alice@example.com"], "dst": ["{dst}"], "ip": ["tcp:443"]}}],"#
        ));
        refused(&r, Code::WildcardForbidden);
    }
}

#[test]
fn login_patterns_are_not_logins() {
    for src in ["*@example.com", "*@*"] {
        says(
            &refused(&grant(&format!("{src:?}"), r#""tag:prod-db""#, r#""tcp:5432""#), Code::WildcardForbidden),
            "a pattern",
        );
    }
}
