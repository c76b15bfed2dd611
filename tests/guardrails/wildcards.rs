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
        r#""tcp:0-65535""#,
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

#[test]
fn every_port_split_across_rules_and_acl_spellings() {
    let two_grants = r#""grants": [
		{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:1-30000"]},
		{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:30001-65535"]},
	],"#;
    refused(&Repo::granting(two_grants), Code::WildcardForbidden);
    for dst in [r#""tag:prod-db:*""#, r#""tag:prod-db:0-65535""#, r#""tag:prod-db:1-40000", "tag:prod-db:40001-65535""#]
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

#[test]
fn everything_reached_through_a_group_counts() {
    // group:staging reaches every port of tag:staging in the base: joining it is that grant.
    let r = Repo::granting(r#""groups": {"group:staging": ["alice@example.com"]},"#);
    let hits = refused(&r, Code::WildcardForbidden);
    says(&hits, "every tcp and udp port of tag:staging");
    says(&hits, "by adding people to group:staging");
}

#[test]
fn named_ports_ranges_and_icmp_pass() {
    for ip in [r#""tcp:5432""#, r#""tcp:8000-8100""#, r#""icmp:*""#, r#""tcp:1-65534""#, r#""udp:53", "tcp:53""#] {
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
