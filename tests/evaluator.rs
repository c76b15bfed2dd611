//! The evaluation engine, case by case, over `fixtures/evaluator/policy.hujson`: every selector
//! kind, port form, protocol, ACLs and grants, postures, and SSH actions and users.
use std::path::Path;

use tailgrant::evaluate::compile::SshOutcome;
use tailgrant::evaluate::run::resolve;
use tailgrant::evaluate::{Compiled, Device, Proto, Tri};
use tailgrant::load::Repository;
use tailgrant::load::view::View;

fn policy() -> (Repository, jiff::Timestamp) {
    let repo = Repository::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/evaluator")).unwrap();
    assert!(repo.findings.is_empty(), "{:#?}", repo.findings);
    (repo, "2026-11-22T12:00:00Z".parse().unwrap())
}

fn dev(c: &Compiled, s: &str) -> Device {
    let mut d = resolve(c, s).unwrap_or_else(|| panic!("cannot resolve {s}"));
    assert_eq!(d.len(), 1, "{s}");
    d.remove(0)
}

use Tri::{No, Unknown, Yes};

const TCP: Option<&str> = Some("tcp");
const UDP: Option<&str> = Some("udp");

/// (source, destination, port, protocol or none for "TCP or UDP", expected)
const NETWORK: &[(&str, &str, u16, Option<&str>, Tri)] = &[
    // Users, groups and port lists.
    ("alice@example.com", "tag:web", 80, None, Yes),
    ("alice@example.com", "tag:web", 443, TCP, Yes),
    ("alice@example.com", "tag:web", 443, UDP, Yes),
    ("alice@example.com", "tag:web", 22, None, No),
    ("bob@example.com", "tag:web", 80, None, Yes),
    ("carol@example.com", "tag:web", 80, None, No),
    // Port ranges: inclusive at both ends.
    ("alice@example.com", "tag:web", 8000, None, Yes),
    ("alice@example.com", "tag:web", 8100, None, Yes),
    ("alice@example.com", "tag:web", 8101, None, No),
    ("alice@example.com", "tag:web", 7999, None, No),
    ("bob@example.com", "tag:web", 8050, None, No),
    // Port wildcard.
    ("tag:ci", "tag:web", 1, None, Yes),
    ("tag:ci", "tag:web", 65535, TCP, Yes),
    ("tag:ci", "tag:db", 5432, None, No),
    // Protocols: an ACL proto narrows; no proto in a test means TCP or UDP.
    ("bob@example.com", "tag:db", 53, UDP, Yes),
    ("bob@example.com", "tag:db", 53, TCP, No),
    ("bob@example.com", "tag:db", 53, None, Yes),
    ("bob@example.com", "tag:db", 5432, TCP, Yes),
    ("bob@example.com", "tag:db", 5432, UDP, No),
    ("bob@example.com", "tag:db", 5432, None, Yes),
    ("bob@example.com", "tag:db", 5432, Some("6"), Yes),
    ("bob@example.com", "tag:db", 5432, Some("17"), No),
    // ICMP is allowed wherever any port is open between the two.
    ("bob@example.com", "tag:db", 0, Some("icmp"), Yes),
    ("alice@example.com", "tag:web", 0, Some("icmp"), Yes),
    // Carol reaches ldap (any member does); ldap's address may be the tag:db device.
    ("carol@example.com", "tag:db", 0, Some("icmp"), Unknown),
    ("tag:ci", "tag:db", 0, Some("icmp"), No),
    // SCTP only by a rule naming it; the default set is TCP, UDP and ICMP.
    ("tag:web", "tag:db", 9999, Some("sctp"), Yes),
    ("tag:web", "tag:db", 9999, TCP, No),
    ("tag:web", "tag:db", 5432, Some("sctp"), No),
    // Grant bare ports use the default protocols.
    ("tag:web", "tag:db", 5432, TCP, Yes),
    ("tag:web", "tag:db", 5432, UDP, Yes),
    ("tag:web", "tag:db", 5433, None, No),
    // Other protocols need a rule naming them with all ports.
    ("frank@example.com", "tag:router", 0, Some("gre"), Yes),
    ("frank@example.com", "tag:router", 0, Some("47"), Yes),
    ("frank@example.com", "tag:router", 22, TCP, No),
    ("alice@example.com", "tag:router", 0, Some("gre"), No),
    // Grants with several dsts and ip entries.
    ("grace@example.com", "tag:web", 7000, TCP, Yes),
    ("grace@example.com", "tag:db", 7002, None, Yes),
    ("grace@example.com", "tag:db", 7003, None, No),
    ("grace@example.com", "tag:db", 7100, UDP, Yes),
    ("grace@example.com", "tag:db", 7100, TCP, No),
    ("grace@example.com", "tag:db", 7100, None, Yes),
    // Posture: a rule with srcPosture needs matching attributes (none given here).
    ("alice@example.com", "tag:db", 5433, None, No),
    // autogroup:self: a user's own device, nobody else's.
    ("alice@example.com", "alice@example.com", 22, None, Yes),
    ("alice@example.com", "bob@example.com", 22, None, No),
    ("tag:ci", "alice@example.com", 22, None, No),
    ("alice@example.com", "alice@example.com", 23, None, No),
    // `*` as a destination and autogroup:tagged as a source.
    ("tag:mon", "tag:web", 9100, None, Yes),
    ("tag:mon", "alice@example.com", 9100, None, Yes),
    ("tag:mon", "100.64.9.9", 9100, None, Yes),
    ("tag:mon", "ext", 9100, None, Yes),
    ("tag:web", "tag:mon", 12345, None, Yes),
    ("tag:db", "tag:mon", 1, Some("gre"), Yes),
    ("alice@example.com", "tag:mon", 9100, None, No),
    // `*` as a source covers tailnet devices, not outside addresses.
    ("alice@example.com", "tag:exit", 0, Some("icmp"), Yes),
    ("tag:db", "tag:exit", 0, Some("icmp"), Yes),
    ("100.64.1.1", "tag:exit", 0, Some("icmp"), Yes),
    ("10.10.10.10", "tag:exit", 0, Some("icmp"), No),
    ("alice@example.com", "tag:exit", 443, None, No),
    // Host aliases and addresses as destinations.
    ("alice@example.com", "ldap", 636, None, Yes),
    // ldap's address is in the tailnet range: it may be the tag:mon device that
    // autogroup:tagged reaches on every port.
    ("tag:web", "ldap", 636, None, Unknown),
    ("alice@example.com", "ldap", 389, None, No),
    ("carol@example.com", "192.168.10.7", 3389, None, Yes),
    ("carol@example.com", "192.168.11.7", 3389, None, No),
    // A host the rules name by address, reached by identity: unknown offline.
    ("bob@example.com", "box", 22, None, Yes),
    ("bob@example.com", "100.64.0.5", 22, None, Yes),
    // 100.64.0.6 may be one of bob's own devices (autogroup:self on 22).
    ("bob@example.com", "100.64.0.6", 22, None, Unknown),
    ("carol@example.com", "ldap", 3389, None, No),
    // autogroup:internet.
    ("dave@example.com", "ext", 443, None, Yes),
    ("dave@example.com", "8.8.4.4", 53, UDP, Yes),
    ("dave@example.com", "10.0.0.1", 443, None, No),
    ("dave@example.com", "100.64.0.1", 443, None, No),
    ("dave@example.com", "tag:web", 443, None, No),
    // user:*@domain.
    ("zoe@corp.example", "tag:web", 8443, None, Yes),
    ("zoe@other.example", "tag:web", 8443, None, No),
    // IP sets: added ranges minus removed ones.
    ("erin@example.com", "10.2.3.4", 22, None, Yes),
    ("erin@example.com", "10.1.3.4", 22, None, No),
    ("erin@example.com", "11.0.0.1", 22, None, No),
    // Addresses as sources, against identity rules: unknown inside the tailnet, no outside.
    ("100.64.0.7", "tag:web", 80, None, Unknown),
    // 100.64.0.7 may be a tag:ci device, which reaches tag:web on every port.
    ("100.64.0.7", "tag:web", 22, None, Unknown),
    ("100.64.0.7", "tag:db", 1234, None, No),
    ("8.8.8.8", "tag:web", 80, None, No),
    ("box", "ldap", 636, None, Unknown),
    // Destinations given as addresses, against tag rules: unknown inside the tailnet.
    ("alice@example.com", "100.64.0.9", 80, None, Unknown),
    ("alice@example.com", "100.64.0.9", 22, None, Unknown),
    ("alice@example.com", "8.8.8.8", 80, None, No),
    // Overlapping rules: union, never narrowed.
    ("bob@example.com", "tag:db", 0, Some("icmp"), Yes),
    ("alice@example.com", "tag:web", 8080, None, Yes),
    // autogroup:member is the tailnet's members, as the users file lists them: a login it does
    // not list is not one, nor is a user shared in.
    ("stranger@example.com", "ldap", 636, None, No),
    ("sam@partner.example", "ldap", 636, None, No),
    ("stranger@example.com", "stranger@example.com", 22, None, No),
];

/// Without a users file, whether a login is a member is live state: a verdict that hangs on it
/// is unknown, one that does not is decided (USA-RedDragon/tailscale-acls: `torvalds@github`).
#[test]
fn membership_without_a_users_file_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/evaluator/policy.hujson");
    std::fs::copy(src, dir.path().join("policy.hujson")).unwrap();
    let repo = Repository::load(dir.path()).unwrap();
    let view = View::active(&repo, "2026-11-22T12:00:00Z".parse().unwrap());
    let c = Compiled::new(&view);
    let q = |s: &str, d: &str, port| c.allowed(&dev(&c, s), &dev(&c, d), Proto::TcpOrUdp, port, None).allowed;
    assert_eq!(q("alice@example.com", "ldap", 636), Unknown, "only autogroup:member reaches ldap");
    assert_eq!(q("torvalds@github", "ldap", 636), Unknown);
    assert_eq!(q("alice@example.com", "tag:web", 80), Yes, "group:eng names alice: decided");
    assert_eq!(q("alice@example.com", "tag:web", 22), No, "nothing reaches it, member or not");
}

/// A test whose source is a group stands for one unnamed member of it: it matches rules that
/// name the group (and `*`), not rules naming one of its members, not their roles, not their
/// devices as `autogroup:self` (madsbv/nix, xorkevin/wiki; README "How tests are evaluated").
#[test]
fn a_group_source_is_an_unnamed_member() {
    use tailgrant::evaluate::run::resolve_test_source;
    let (repo, at) = policy();
    let view = View::active(&repo, at);
    let c = Compiled::new(&view);
    let member = |g: &str| {
        let mut d = resolve_test_source(&c, g).unwrap();
        assert_eq!(d.len(), 1);
        d.remove(0)
    };
    let q = |s: &Device, d: &str, port, proto| c.allowed(s, &dev(&c, d), proto, port, None).allowed;
    let eng = member("group:eng");
    assert_eq!(q(&eng, "tag:web", 80, Proto::TcpOrUdp), Yes, "group:eng's own rule");
    assert_eq!(q(&eng, "tag:web", 8000, Proto::TcpOrUdp), No, "alice's rule, not the group's");
    assert_eq!(q(&eng, "tag:db", 5432, Proto::Number(6)), No, "group:dba's, though bob is in both");
    assert_eq!(q(&eng, "alice@example.com", 22, Proto::TcpOrUdp), No, "not alice's own device");
    assert_eq!(q(&eng, "tag:exit", 0, Proto::Number(1)), Yes, "`*` holds every tailnet device");
    assert_eq!(q(&eng, "ldap", 636, Proto::TcpOrUdp), Unknown, "is the member a tailnet member?");
    assert_eq!(q(&eng, "tag:web", 8443, Proto::TcpOrUdp), Unknown, "what is the member's domain?");
    let empty = member("group:empty");
    assert_eq!(q(&empty, "tag:web", 80, Proto::TcpOrUdp), No);
    // SSH: the group's own rules; `localpart:*@domain` cannot map an unknown login.
    let (certain, _, got) = c.ssh_outcome(&eng, &dev(&c, "tag:web"), "deploy", None);
    assert_eq!((certain, got), (Yes, SshOutcome::Accept), "autogroup:nonroot, for group:eng");
    // A named member's device is never the unnamed member's own (madsbv/nix: `group:consumers`
    // to `madsbv@github` is denied root although its only member is madsbv).
    let (certain, _, got) = c.ssh_outcome(&eng, &dev(&c, "alice@example.com"), "root", None);
    assert_eq!((certain, got), (Yes, SshOutcome::Deny), "autogroup:self is not alice's for the group");
    let (certain, _, got) = c.ssh_outcome(&eng, &dev(&c, "tag:db"), "root", None);
    assert_eq!((certain, got), (Yes, SshOutcome::Deny), "group:dba's check rule is not group:eng's");
}

/// An ACL destination with spaces before its ports (`tag:a :80`, TG127) opens nothing to the
/// tag: the evaluator does not guess that the spaces are a typo, so a test expecting access
/// fails rather than passes on a rule the control plane may read otherwise.
#[test]
fn a_destination_with_spaces_before_its_ports_opens_nothing_to_the_tag() {
    let dir = tempfile::tempdir().unwrap();
    let policy = r#"{"tagOwners": {"tag:a": ["alice@example.com"]},
        "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:a :80", "tag:b:22"]}]}"#;
    std::fs::write(dir.path().join("policy.hujson"), policy).unwrap();
    let repo = Repository::load(dir.path()).unwrap();
    let view = View::active(&repo, "2026-11-22T12:00:00Z".parse().unwrap());
    let c = Compiled::new(&view);
    let q = |d: &str, port| c.allowed(&dev(&c, "alice@example.com"), &dev(&c, d), Proto::TcpOrUdp, port, None).allowed;
    assert_eq!(q("tag:a", 80), No);
    assert_eq!(q("tag:b", 22), Yes, "the rule's other destination is read");
}

/// Roles from the users file: alice is an admin, bob is not.
#[test]
fn roles_come_from_the_users_file() {
    let (repo, at) = policy();
    let view = View::active(&repo, at);
    let c = Compiled::new(&view);
    assert_eq!(c.matches("autogroup:admin", &dev(&c, "alice@example.com"), true, None), Yes);
    assert_eq!(c.matches("autogroup:admin", &dev(&c, "bob@example.com"), true, None), No);
    assert_eq!(c.matches("autogroup:shared", &dev(&c, "sam@partner.example"), true, None), Yes);
    assert_eq!(c.matches("autogroup:member", &dev(&c, "sam@partner.example"), true, None), No);
}

#[test]
fn network_cases() {
    let (repo, at) = policy();
    let view = View::active(&repo, at);
    let c = Compiled::new(&view);
    let mut failures = Vec::new();
    for (i, (src, dst, port, proto, want)) in NETWORK.iter().enumerate() {
        let proto = match proto {
            None => Proto::TcpOrUdp,
            Some(p) => Proto::Number(tailgrant::model::selector::parse_protocol(p).unwrap()),
        };
        let got = c.allowed(&dev(&c, src), &dev(&c, dst), proto, *port, None).allowed;
        if got != *want {
            failures.push(format!("case {i}: {src} -> {dst}:{port} {proto:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), NETWORK.len(), failures.join("\n"));
    assert!(NETWORK.len() >= 80);
}

#[test]
fn posture_gates_rules() {
    let (repo, at) = policy();
    let view = View::active(&repo, at);
    let c = Compiled::new(&view);
    let alice = dev(&c, "alice@example.com");
    let db = dev(&c, "tag:db");
    let mac = serde_json::json!({"node:os": "macos"}).as_object().unwrap().clone();
    let linux = serde_json::json!({"node:os": "linux"}).as_object().unwrap().clone();
    assert_eq!(c.allowed(&alice, &db, Proto::TcpOrUdp, 5433, Some(&mac)).allowed, Yes);
    assert_eq!(c.allowed(&alice, &db, Proto::TcpOrUdp, 5433, Some(&linux)).allowed, No);
    assert_eq!(c.allowed(&alice, &db, Proto::TcpOrUdp, 5433, None).allowed, No);
}

/// (source, destination, login, expected outcome)
const SSH: &[(&str, &str, &str, SshOutcome)] = &[
    // Check rules come first.
    ("bob@example.com", "tag:db", "root", SshOutcome::Check),
    ("bob@example.com", "tag:db", "ubuntu", SshOutcome::Accept),
    ("alice@example.com", "tag:db", "root", SshOutcome::Deny),
    ("alice@example.com", "tag:db", "ubuntu", SshOutcome::Accept),
    // autogroup:nonroot never maps root.
    ("alice@example.com", "tag:web", "root", SshOutcome::Deny),
    ("alice@example.com", "tag:web", "alice", SshOutcome::Accept),
    // autogroup:self: root allowed on one's own devices only.
    ("alice@example.com", "alice@example.com", "root", SshOutcome::Accept),
    ("alice@example.com", "bob@example.com", "root", SshOutcome::Deny),
    // Explicit logins.
    ("tag:ci", "tag:web", "deploy", SshOutcome::Accept),
    ("tag:ci", "tag:web", "root", SshOutcome::Deny),
    ("tag:ci", "tag:db", "deploy", SshOutcome::Deny),
    // A check rule for one login does not affect another.
    ("bob@example.com", "tag:web", "admin", SshOutcome::Check),
    ("bob@example.com", "tag:web", "bob", SshOutcome::Accept),
    ("carol@example.com", "tag:web", "carol", SshOutcome::Deny),
];

#[test]
fn ssh_cases() {
    let (repo, at) = policy();
    let view = View::active(&repo, at);
    let c = Compiled::new(&view);
    for (src, dst, login, want) in SSH {
        let (certain, _, got) = c.ssh_outcome(&dev(&c, src), &dev(&c, dst), login, None);
        assert_eq!((certain, got), (Yes, *want), "{src} -> {dst} as {login}");
    }
}
