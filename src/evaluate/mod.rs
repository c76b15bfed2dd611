//! Evaluate: may this source reach that destination, on this port, under this policy? The
//! engine behind `check`'s test run, `explain` and the access diff.
//!
//! There are no real devices offline, so identities stand for them (README, "How tests are evaluated"): a
//! user is one untagged device that user owns, a tag one device carrying exactly that tag, an
//! IP address a device whose owner is unknown. Matching a selector against such a device gives
//! yes, no or unknown; anything that hinges on an unknown is reported as inconclusive, never
//! as a pass. Rules are indexed by the tag or user they open, so a test looks only at the rules
//! that can concern it.

pub mod access;
pub mod compile;
pub mod explain;
mod gates;
mod posture;
pub mod run;

use std::collections::HashMap;
use std::net::IpAddr;

pub use compile::Compiled;

/// A device that stands for an identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Device {
    /// An untagged device owned by this user (login, lowercased).
    User(String),
    /// A device tagged with exactly this tag.
    Tag(String),
    /// A device known only by its address.
    Addr(IpAddr),
    /// A Tailscale Service (`svc:NAME`).
    Service(String),
    /// An untagged device of a member of this group whom the policy does not name: what a
    /// test whose source is a group stands for. It matches rules naming the group (and `*`),
    /// not rules naming one of its members, not their roles, not their `autogroup:self`.
    Member(String),
    /// An address whose device the devices file describes: its owner (untagged) or its tags.
    Known { ip: IpAddr, user: Option<String>, tags: Vec<String> },
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::User(u) => write!(f, "{u}"),
            Device::Tag(t) => write!(f, "{t}"),
            Device::Addr(ip) => write!(f, "{ip}"),
            Device::Service(s) => write!(f, "{s}"),
            Device::Member(g) => write!(f, "a member of {g}"),
            Device::Known { ip, user: Some(u), .. } => write!(f, "{ip} ({u})"),
            Device::Known { ip, tags, .. } => write!(f, "{ip} ({})", tags.join(", ")),
        }
    }
}

/// Three-valued logic: offline, some questions have no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }

    pub(crate) fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Unknown,
        }
    }

    pub(crate) fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Unknown,
        }
    }

    /// OR over many.
    pub(crate) fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::No, Tri::or)
    }
}

/// The protocol a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// No protocol given: TCP or UDP (what a test without `proto` checks).
    TcpOrUdp,
    Number(u8),
}

/// The answer to "may SRC reach DST on PORT?", with the rules that allow it.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub allowed: Tri,
    /// Indices into `Compiled::rules` of the rules that certainly allow it.
    pub(crate) by: Vec<usize>,
    /// Rules that would allow it from a device meeting their posture requirement.
    pub(crate) gated: Vec<usize>,
    /// Rules that may allow it, depending on what the repository does not hold (who is a
    /// member, which device has an address): why the answer is unknown.
    pub(crate) undecided: Vec<usize>,
}

/// Addresses of tailnet devices: 100.64.0.0/10 and fd7a:115c:a1e0::/48.
pub(crate) fn in_tailnet(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64,
        IpAddr::V6(v6) => v6.segments()[..3] == [0xfd7a, 0x115c, 0xa1e0],
    }
}

/// `ip` inside `net/len`.
pub(crate) fn prefix_contains(net: &IpAddr, len: u8, ip: &IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len.min(32))) };
            u32::from(*n) & mask == u32::from(*i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len.min(128))) };
            u128::from(*n) & mask == u128::from(*i) & mask
        }
        _ => false,
    }
}

/// The address space Tailscale calls `autogroup:internet`: public addresses, without the
/// private, CGNAT, link-local and tailnet ranges.
pub(crate) fn in_internet(ip: &IpAddr) -> bool {
    let excluded: &[(&str, u8)] = &[
        ("10.0.0.0", 8),
        ("172.16.0.0", 12),
        ("192.168.0.0", 16),
        ("100.64.0.0", 10),
        ("169.254.0.0", 16),
        ("fc00::", 7),
        ("fe80::", 10),
    ];
    let outside = !excluded.iter().any(|(n, l)| prefix_contains(&n.parse().unwrap_or(*ip), *l, ip));
    match ip {
        IpAddr::V4(_) => outside,
        IpAddr::V6(_) => outside && prefix_contains(&"2000::".parse().unwrap_or(*ip), 3, ip),
    }
}

/// Case-insensitive user comparison (logins are e-mail addresses).
fn same_user(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn user_domain(u: &str) -> &str {
    u.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Groups as sets of lowercased logins, in the order the policy lists them.
type Groups = HashMap<String, indexmap::IndexSet<String>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_ranges() {
        assert!(in_tailnet(&"100.64.0.1".parse().unwrap()));
        assert!(in_tailnet(&"100.127.255.255".parse().unwrap()));
        assert!(!in_tailnet(&"100.128.0.1".parse().unwrap()));
        assert!(in_tailnet(&"fd7a:115c:a1e0::10".parse().unwrap()));
        assert!(in_internet(&"8.8.8.8".parse().unwrap()));
        assert!(!in_internet(&"10.1.2.3".parse().unwrap()));
        assert!(!in_internet(&"100.100.100.100".parse().unwrap()));
        assert!(in_internet(&"2606:4700::1".parse().unwrap()));
        assert!(!in_internet(&"fd00::1".parse().unwrap()));
        assert!(prefix_contains(&"10.0.0.0".parse().unwrap(), 8, &"10.9.9.9".parse().unwrap()));
        assert!(prefix_contains(&"0.0.0.0".parse().unwrap(), 0, &"1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn three_valued_logic() {
        assert_eq!(Tri::Yes.and(Tri::Unknown), Tri::Unknown);
        assert_eq!(Tri::No.and(Tri::Unknown), Tri::No);
        assert_eq!(Tri::Yes.or(Tri::Unknown), Tri::Yes);
        assert_eq!(Tri::any([Tri::No, Tri::Unknown]), Tri::Unknown);
        assert_eq!(Tri::any([]), Tri::No);
    }
}
