//! The selector grammar of the policy file: what a string in `src`, `dst`, `users`, `target`…
//! names, and the `host:ports`, port-range and protocol forms. Pure functions: the checks say
//! where a form is legal, the evaluator says what it matches.

use std::net::IpAddr;

/// What a selector string names, classified in Tailscale's order: wildcard, address, range,
/// prefixed kinds, then users (contain `@`), then host aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector<'s> {
    Wildcard,
    Ip(IpAddr),
    Cidr(IpAddr, u8),
    /// `a-b` of two addresses: legal only in ipsets.
    Range,
    Tag(&'s str),
    Group(&'s str),
    Autogroup(&'s str),
    Ipset(&'s str),
    Service(&'s str),
    Posture(&'s str),
    /// `user:*@domain`
    UserDomain(&'s str),
    /// `host:NAME` (ipsets)
    HostRef(&'s str),
    /// `localpart:*@domain` (SSH users)
    Localpart(&'s str),
    User(&'s str),
    Host(&'s str),
}

/// Autogroups Tailscale knows. `members` is the legacy spelling of `member`.
pub(crate) const AUTOGROUPS: &[&str] = &[
    "member",
    "members",
    "tagged",
    "self",
    "internet",
    "danger-all",
    "shared",
    "nonroot",
    "admin",
    "owner",
    "network-admin",
    "it-admin",
    "billing-admin",
    "auditor",
];

/// The autogroups that stand for people holding a role.
pub(crate) const ROLE_AUTOGROUPS: &[&str] =
    &["admin", "owner", "network-admin", "it-admin", "billing-admin", "auditor"];

pub(crate) fn classify(s: &str) -> Selector<'_> {
    let s = s.trim();
    if s == "*" {
        return Selector::Wildcard;
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Selector::Ip(ip);
    }
    if let Some((ip, len)) = parse_cidr(s) {
        return Selector::Cidr(ip, len);
    }
    if let Some((a, b)) = s.split_once('-')
        && a.parse::<IpAddr>().is_ok()
        && b.parse::<IpAddr>().is_ok()
    {
        return Selector::Range;
    }
    if let Some((prefix, rest)) = s.split_once(':') {
        match prefix {
            "tag" => return Selector::Tag(rest),
            "group" => return Selector::Group(rest),
            "autogroup" => return Selector::Autogroup(rest),
            "ipset" => return Selector::Ipset(rest),
            "svc" => return Selector::Service(rest),
            "posture" => return Selector::Posture(rest),
            "host" => return Selector::HostRef(rest),
            "localpart" => return Selector::Localpart(rest),
            _ => {}
        }
    }
    if let Some(domain) = s.strip_prefix("user:*@") {
        return Selector::UserDomain(domain);
    }
    if s.contains('@') {
        return Selector::User(s);
    }
    Selector::Host(s)
}

/// Why `s` is not one person's login as tailgrant accepts it in `requester` and `approvers`:
/// `local@domain` in plain ASCII, as identity providers issue them (`alice@example.com`,
/// `alice@github`). Anything looser could carry a newline into a label or look like someone
/// else's name to a reviewer, so the grammar is deliberately narrow.
pub(crate) fn login_problem(s: &str) -> Option<&'static str> {
    let Some((local, domain)) = s.split_once('@') else { return Some("has no @") };
    let local_ok = |c: char| c.is_ascii_alphanumeric() || "._%+-'".contains(c);
    let domain_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    if s.len() > 254 {
        Some("is longer than 254 characters")
    } else if s.chars().any(|c| !c.is_ascii() || c.is_ascii_control()) {
        Some("has characters outside printable ASCII")
    } else if s.contains(char::is_whitespace) {
        Some("has spaces in it")
    } else if local.is_empty() || domain.is_empty() {
        Some("has nothing before or after the @")
    } else if domain.contains('@') {
        Some("has more than one @")
    } else if !local.chars().all(local_ok) {
        Some("has characters a login does not have before the @")
    } else if !domain.chars().all(domain_ok)
        || domain.starts_with(['.', '-'])
        || domain.ends_with(['.', '-'])
        || domain.contains("..")
    {
        Some("has a domain that is not a host name")
    } else if s.contains(':') {
        Some("is a selector, not a login")
    } else {
        None
    }
}

/// `10.0.0.0/8` → (10.0.0.0, 8). Host bits may be set (checked elsewhere).
pub(crate) fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, len) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    if len.is_empty() || (len.len() > 1 && len.starts_with('0')) {
        return None;
    }
    let len: u8 = len.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((ip, len))
}

/// Checks a tag name as Tailscale's `CheckTag` does: `tag:` then a letter, then letters,
/// digits and dashes.
pub(crate) fn check_tag_name(tag: &str) -> Result<(), &'static str> {
    let Some(name) = tag.strip_prefix("tag:") else { return Err("tags must start with 'tag:'") };
    let mut chars = name.chars();
    match chars.next() {
        None => Err("tag names must not be empty"),
        Some(c) if !c.is_ascii_alphabetic() => Err("tag names must start with a letter, after 'tag:'"),
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            Err("tag names can only contain numbers, letters, or dashes")
        }
        _ => Ok(()),
    }
}

/// An inclusive port range.
pub(crate) type PortRange = (u16, u16);

/// Parses one port range as Tailscale's `tailcfg.parseHostPortRange` does: `*`, `N` or `N-M`,
/// decimal, the first port above 0 and not above the last. Its messages are Tailscale's.
pub(crate) fn parse_port_range(spec: &str) -> Result<PortRange, String> {
    if spec == "*" {
        return Ok((0, 65535));
    }
    if spec.is_empty() {
        return Err(format!("invalid port list: {spec:?}"));
    }
    if spec.matches('-').count() > 1 {
        return Err(format!("port range {spec:?}: too many dashes(-)"));
    }
    // Go's ParseUint: decimal digits only (no sign), at most 16 bits.
    let num =
        |s: &str| (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u16>().ok()).flatten();
    let (first, last) = match spec.split_once('-') {
        Some((a, b)) => {
            let a = num(a).ok_or_else(|| format!("port range {spec:?}: invalid first integer"))?;
            (a, num(b).ok_or_else(|| format!("port range {spec:?}: invalid last integer"))?)
        }
        None => {
            let a = num(spec).ok_or_else(|| format!("port range {spec:?}: invalid first integer"))?;
            (a, a)
        }
    };
    if first == 0 {
        return Err(format!("port range {spec:?}: first port must be >0, or use '*' for wildcard"));
    }
    if first > last {
        return Err(format!("port range {spec:?}: first port must be >= last port"));
    }
    Ok((first, last))
}

/// Parses an ACL destination's ports: `*`, or a comma list of port ranges (`22,80-90`), each as
/// [`parse_port_range`] reads it.
pub(crate) fn parse_ports(spec: &str) -> Result<Vec<PortRange>, String> {
    if spec == "*" {
        return Ok(vec![(0, 65535)]);
    }
    if spec.is_empty() || spec.split(',').any(str::is_empty) {
        return Err(format!("invalid port list: {spec:?}"));
    }
    spec.split(',').map(parse_port_range).collect()
}

/// A `host:ports` destination of an ACL, split at the last colon (IPv6 in brackets).
pub(crate) fn split_host_ports(dst: &str) -> Result<(&str, &str), String> {
    if let Some(rest) = dst.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err(format!("dst={dst:?}: missing ']'"));
        };
        let addr = inside.split('/').next().unwrap_or(inside);
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("dst={dst:?}: square brackets are only valid around IPv6 addresses"));
        }
        let Some(ports) = after.strip_prefix(':') else {
            return Err(format!("dst={dst:?}: hostport must contain a colon"));
        };
        return Ok((inside, ports));
    }
    match dst.rsplit_once(':') {
        Some((host, ports)) => Ok((host, ports)),
        None => Err(format!("dst={dst:?}: hostport must contain a colon")),
    }
}

/// The operators of a posture condition, longest first so that `NOT IN` is not read as `IN`.
pub(crate) const POSTURE_OPERATORS: &[&str] = &[" NOT IN ", " IN ", "==", "!=", "<=", ">=", "<", ">"];

/// A posture condition split into attribute, operator and value; a bare attribute (`"is
/// true"`) has neither operator nor value.
pub(crate) fn split_condition(cond: &str) -> (&str, Option<(&'static str, &str)>) {
    let cond = cond.trim();
    for op in POSTURE_OPERATORS {
        if let Some((attr, value)) = cond.split_once(op) {
            return (attr.trim(), Some((op.trim(), value.trim())));
        }
    }
    (cond, None)
}

/// IANA protocol numbers of the names Tailscale accepts (`types/ipproto`'s table).
pub(crate) const PROTOCOLS: &[(&str, u8)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("ipv4", 4),
    ("ip-in-ip", 4),
    ("tcp", 6),
    ("egp", 8),
    ("igp", 9),
    ("udp", 17),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("ipv6-icmp", 58),
    ("sctp", 132),
];

/// Which protocols a rule opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protos {
    /// TCP, UDP, ICMP and ICMPv6: an ACL without `proto`, a grant's bare ports.
    Default,
    /// Every protocol: a grant's `*`.
    All,
    One(u8),
}

/// A protocol name or number, as Tailscale's `ipproto.ResolveProtoName` reads it: names without
/// regard to case, numbers in decimal without a leading zero, 99 refused (Tailscale's own).
pub fn parse_protocol(s: &str) -> Result<u8, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u8>() {
            Ok(99) => Err("IP protocol 99 is reserved for use by Tailscale".into()),
            Ok(_) if s.starts_with('0') => Err(format!("leading 0 not permitted in protocol number {s:?}")),
            Ok(n) => Ok(n),
            Err(_) => Err(format!("proto name {s:?} not known; use protocol number 0-255")),
        };
    }
    PROTOCOLS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
        .map(|(_, n)| *n)
        .ok_or_else(|| format!("proto name {s:?} not known; use protocol number 0-255"))
}

/// Only these protocols carry ports; rules for others need `*`.
pub(crate) fn protocol_has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 132)
}

/// A grant's `ip` entry: `*`, `PORTS`, `PROTO:PORTS` or `PROTO:*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IpSpec {
    /// `None`: the default set (TCP, UDP, ICMP).
    pub(crate) proto: Option<u8>,
    pub(crate) ports: Vec<PortRange>,
}

/// Parses a grant's `ip` entry as Tailscale's `tailcfg.parseProtoPortRange` does: lowercased,
/// `PORTS` meaning `*:PORTS`, split at the last colon, one port range (not a list).
pub(crate) fn parse_ip_spec(s: &str) -> Result<IpSpec, String> {
    if s == "*" {
        return Ok(IpSpec { proto: None, ports: vec![(0, 65535)] });
    }
    let lower = s.to_ascii_lowercase();
    let (proto, ports) = lower.rsplit_once(':').unwrap_or(("*", lower.as_str()));
    let range = parse_port_range(ports)?;
    match proto {
        // `*:PORTS` (any protocol) appears in real policies that the control plane took.
        "*" => Ok(IpSpec { proto: None, ports: vec![range] }),
        "" => Err("empty protocol".into()),
        _ => {
            let p = parse_protocol(proto)?;
            if ports != "*" && !protocol_has_ports(p) {
                return Err(format!("protocol does not support specific ports: {proto:?}, only \"*\" is allowed"));
            }
            Ok(IpSpec { proto: Some(p), ports: vec![range] })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_in_tailscale_order() {
        assert_eq!(classify("*"), Selector::Wildcard);
        assert!(matches!(classify("100.64.0.1"), Selector::Ip(_)));
        assert!(matches!(classify("fd7a:115c:a1e0::1"), Selector::Ip(_)));
        assert_eq!(classify("10.0.0.0/8"), Selector::Cidr("10.0.0.0".parse().unwrap(), 8));
        assert_eq!(classify("10.0.0.1-10.0.0.9"), Selector::Range);
        assert_eq!(classify("tag:web"), Selector::Tag("web"));
        // A synced IdP group contains `@` but is a group: prefixes come first.
        assert_eq!(classify("group:sec@example.com"), Selector::Group("sec@example.com"));
        assert_eq!(classify("user:*@example.com"), Selector::UserDomain("example.com"));
        assert_eq!(classify("alice@github"), Selector::User("alice@github"));
        assert_eq!(classify("db"), Selector::Host("db"));
        assert_eq!(classify(" tag:web "), Selector::Tag("web"));
    }

    #[test]
    fn logins() {
        for ok in ["alice@example.com", "alice@github", "o'brien+ops@sub.example.co.uk", "a.b-c_d%e@x-y.z"] {
            assert_eq!(login_problem(ok), None, "{ok}");
        }
        for bad in [
            "bob@example.com\n{\"action\": \"accept\"}",
            "bob@example.com\u{202e}",
            "bób@example.com",
            "bob @example.com",
            "group:dba",
            "group:sec@example.com",
            "tag:ci",
            "user:*@example.com",
            "*@example.com",
            "bob",
            "@example.com",
            "bob@",
            "bob@@example.com",
            "a@b@c",
            "bob@exa_mple.com",
            "bob@.example.com",
            "bob@example.com.",
            "bob@example..com",
            "bob,carol@example.com",
            "bob\"@example.com",
            "autogroup:admin",
        ] {
            assert!(login_problem(bad).is_some(), "{bad:?} accepted");
        }
        assert!(login_problem(&format!("{}@example.com", "a".repeat(250))).is_some());
    }

    #[test]
    fn tag_names() {
        assert!(check_tag_name("tag:prod-db2").is_ok());
        assert!(check_tag_name("tag:1x").is_err());
        assert!(check_tag_name("tag:a_b").is_err());
        assert!(check_tag_name("tag:").is_err());
        assert!(check_tag_name("tag:сервер").is_err());
    }

    /// Tailscale's `parseHostPortRange`, message for message (tailcfg/proto_port_range.go).
    #[test]
    fn ports() {
        assert_eq!(parse_ports("22"), Ok(vec![(22, 22)]));
        assert_eq!(parse_ports("80,443"), Ok(vec![(80, 80), (443, 443)]));
        assert_eq!(parse_ports("1000-2000"), Ok(vec![(1000, 2000)]));
        assert_eq!(parse_ports("*"), Ok(vec![(0, 65535)]));
        assert_eq!(
            parse_ports("0-10"),
            Err("port range \"0-10\": first port must be >0, or use '*' for wildcard".into())
        );
        assert_eq!(parse_ports("0"), Err("port range \"0\": first port must be >0, or use '*' for wildcard".into()));
        assert_eq!(parse_ports("ssh"), Err("port range \"ssh\": invalid first integer".into()));
        assert_eq!(parse_ports("65536"), Err("port range \"65536\": invalid first integer".into()));
        assert_eq!(parse_ports("10-5"), Err("port range \"10-5\": first port must be >= last port".into()));
        assert_eq!(parse_ports("1-2-3"), Err("port range \"1-2-3\": too many dashes(-)".into()));
        assert_eq!(parse_ports("80-x"), Err("port range \"80-x\": invalid last integer".into()));
        assert!(parse_ports("+80").is_err() && parse_ports("").is_err() && parse_ports("80,").is_err());
    }

    #[test]
    fn host_ports() {
        assert_eq!(split_host_ports("tag:web:80,443"), Ok(("tag:web", "80,443")));
        assert_eq!(split_host_ports("[fd7a::1]:22"), Ok(("fd7a::1", "22")));
        assert_eq!(split_host_ports("autogroup:self"), Ok(("autogroup", "self")));
        assert!(split_host_ports("web").is_err());
        assert!(split_host_ports("[web]:22").unwrap_err().contains("square brackets"));
    }

    #[test]
    fn protocols_and_ip_specs() {
        assert_eq!(parse_protocol("tcp"), Ok(6));
        assert_eq!(parse_protocol("6"), Ok(6));
        // `ipproto.ResolveProtoName`: names without regard to case, 99 is Tailscale's own.
        assert_eq!(parse_protocol("TCP"), Ok(6));
        assert_eq!(parse_protocol("Ipv6-ICMP"), Ok(58));
        assert_eq!(parse_protocol("99"), Err("IP protocol 99 is reserved for use by Tailscale".into()));
        assert_eq!(parse_protocol("0"), Err("leading 0 not permitted in protocol number \"0\"".into()));
        assert_eq!(parse_protocol("fc"), Err("proto name \"fc\" not known; use protocol number 0-255".into()));
        assert!(parse_protocol("*").is_err() && parse_protocol("256").is_err());
        assert_eq!(parse_ip_spec("tcp:443"), Ok(IpSpec { proto: Some(6), ports: vec![(443, 443)] }));
        assert_eq!(parse_ip_spec("TCP:443"), Ok(IpSpec { proto: Some(6), ports: vec![(443, 443)] }));
        assert_eq!(parse_ip_spec("icmp:*").map(|s| s.proto), Ok(Some(1)));
        assert!(parse_ip_spec("icmp").unwrap_err().contains("invalid first integer"));
        assert!(parse_ip_spec("icmp:22").unwrap_err().contains("does not support specific ports"));
        assert!(parse_ip_spec("tcp:0").unwrap_err().contains(">0"));
        assert!(parse_ip_spec("tcp:0-10").unwrap_err().contains(">0"));
        assert_eq!(parse_ip_spec("tcp:80,443"), Err("port range \"80,443\": invalid first integer".into()));
        assert!(parse_ip_spec("tcp:1:2").is_err());
        assert_eq!(parse_ip_spec("47").map(|s| s.ports), Ok(vec![(47, 47)]));
    }
}
