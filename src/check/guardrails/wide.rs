//! `forbidWildcards`: what covers everyone or everything, in any spelling. `*` is one spelling
//! of "every address"; `0.0.0.0/1` with `128.0.0.0/1`, an IP set, a host alias for
//! `0.0.0.0/0` and `autogroup:internet` are others. `tcp:*` is one spelling of "every port";
//! `tcp:1-65535` and two ranges that meet are others. Everyone is `*`, `autogroup:member`,
//! `user:*@domain`, or a role autogroup. Sources and destinations are judged together across the
//! whole fragment, and destinations include what it opens through groups and posture.

use std::collections::BTreeMap;

use super::addresses::addresses;
use super::reach::{Opened, Ports, Reach, Source, Via};
use crate::load::view::View;
use crate::model::WidestPrefix;
use crate::model::addrs::AddrSet;
use crate::model::selector::Protos;
use crate::model::selector::{ROLE_AUTOGROUPS, Selector, classify};
use crate::parse::Value;

/// A wildcard found: where, and what it grants.
pub(crate) struct Hit<'a> {
    pub(crate) at: &'a Value,
    pub(crate) what: String,
}

/// Selectors that name many identities at once, by their meaning.
fn wide_identity(sel: &str, as_src: bool) -> Option<String> {
    Some(match classify(sel) {
        Selector::Wildcard => "`*` (every address)".into(),
        Selector::Autogroup("danger-all") => "autogroup:danger-all (every address, inside the tailnet or not)".into(),
        Selector::Autogroup("member" | "members") if as_src => format!("{sel} (everyone in the tailnet)"),
        Selector::Autogroup("member" | "members") => format!("{sel} (every member's devices)"),
        Selector::Autogroup("tagged") => "autogroup:tagged (every tagged device)".into(),
        Selector::Autogroup("shared") => "autogroup:shared (everyone the tailnet shares devices with)".into(),
        Selector::Autogroup("internet") => "autogroup:internet (the whole internet)".into(),
        Selector::Autogroup(a) if ROLE_AUTOGROUPS.contains(&a) => format!("{sel} (everyone holding that role)"),
        Selector::UserDomain(d) => format!("{sel} (everyone whose login is in {d})"),
        // `*@domain`, `*@*`: a pattern, not a login (Tailscale's only user pattern is `user:*@`).
        Selector::User(u) if u.contains('*') => format!("{sel} (a pattern, not one person)"),
        _ => return None,
    })
}

/// Whether a set holds more addresses than the widest prefix allows.
pub(crate) fn addresses_too_wide(set: &AddrSet, widest: WidestPrefix) -> bool {
    too_wide(set, widest)
}

/// Whether a set holds more addresses than the widest prefix allows.
///
/// IPv6 counts are not all alike: a tailnet's devices have their IPv6 addresses in a /96 of
/// `fd7a:115c:a1e0::/48`, so `fd7a:115c:a1e0::/96` is every device, as `100.64.0.0/10` is.
/// Addresses in the tailnet's range therefore count as IPv4 does, scaled by the ratio of the
/// two (2^32 to 2^22), and IPv4-mapped addresses (`::ffff:0:0/96`) count as the IPv4 they map.
fn too_wide(set: &AddrSet, widest: WidestPrefix) -> bool {
    let (v4, v6) = set.counts();
    let limit = |bits: u32, len: u8| -> u128 {
        let host_bits = bits.saturating_sub(u32::from(len));
        if host_bits >= 128 { u128::MAX } else { 1u128 << host_bits }
    };
    let tailnet = set.count_within(std::net::IpAddr::from([0xfd7a, 0x115c, 0xa1e0, 0, 0, 0, 0, 0]), 48) >> 10;
    let mapped = set.count_within(std::net::IpAddr::from([0, 0, 0, 0, 0, 0xffff, 0, 0]), 96);
    let v4_like = v4.saturating_add(tailnet).saturating_add(mapped).min(1 << 32);
    v4_like > limit(32, widest.ipv4) || v6 > limit(128, widest.ipv6)
}

fn widest_text(widest: WidestPrefix) -> String {
    format!("a /{} of IPv4 or a /{} of IPv6", widest.ipv4, widest.ipv6)
}

/// Every wildcard among the fragment's sources.
pub(crate) fn sources<'a>(view: &View<'_>, srcs: &[Source<'a>], widest: WidestPrefix) -> Vec<Hit<'a>> {
    let mut hits = Vec::new();
    let mut union = AddrSet::default();
    let mut named = Vec::new();
    for s in srcs {
        if let Some(what) = wide_identity(&s.sel, true) {
            hits.push(Hit { at: s.at, what });
        } else if let Some(set) = addresses(view, &s.sel) {
            union.union(&set);
            named.push((s.sel.clone(), s.at));
        }
    }
    if let Some((_, at)) = named.first().filter(|_| too_wide(&union, widest)) {
        let list: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
        hits.push(Hit {
            at,
            what: format!(
                "sources that together cover {} ({}), wider than {}",
                union.describe(),
                list.join(", "),
                widest_text(widest)
            ),
        });
    }
    hits
}

/// Every wildcard among the destinations the fragment's own rules open, and every destination
/// whose ports they open all of. What a fragment reaches through a group or a posture is as
/// wide as the base made it: the base is trusted to shape it, and the approver must still own
/// all of it (`approversMustOwnTags`, where `*` and other unowned destinations are refused).
pub(crate) fn destinations<'a>(
    view: &View<'_>,
    reach: &Reach<'a>,
    widest: WidestPrefix,
    max_ports: u32,
) -> Vec<Hit<'a>> {
    let mut hits = Vec::new();
    let mut union = AddrSet::default();
    let mut named: Vec<&Opened<'a>> = Vec::new();
    for o in reach.opened.iter().filter(|o| matches!(o.via, Via::Rule)) {
        if let Some(what) = wide_identity(&o.dst, false) {
            hits.push(Hit { at: o.at, what: what + &o.via.clause() });
        } else if let Some(set) = addresses(view, &o.dst) {
            union.union(&set);
            named.push(o);
        }
    }
    if let Some(first) = named.first().filter(|_| too_wide(&union, widest)) {
        let mut list: Vec<String> = named.iter().map(|o| o.dst.clone()).collect();
        list.dedup();
        hits.push(Hit {
            at: first.at,
            what: format!(
                "destinations that together cover {} ({}), wider than {}{}",
                union.describe(),
                list.join(", "),
                widest_text(widest),
                first.via.clause()
            ),
        });
    }
    hits.extend(every_port(reach, max_ports));
    hits
}

/// Port numbers a protocol carries; port 0 is not one.
const PORTS: (u16, u16) = (1, 65535);

/// The ports opened on one destination, per protocol, over all the ways they are opened.
#[derive(Default)]
pub(crate) struct PortsOpened {
    /// Protocol number → port ranges.
    by_proto: BTreeMap<u8, Vec<(u16, u16)>>,
    /// Whether some rule opens every protocol on every port.
    every_protocol: bool,
}

impl PortsOpened {
    pub(super) fn add(&mut self, ports: &Ports) {
        let protos: Vec<u8> = match ports.protos {
            Protos::Default => vec![6, 17],
            Protos::All => vec![6, 17, 132],
            Protos::One(n) => vec![n],
        };
        if ports.protos == Protos::All && ports.ranges.iter().any(|&(a, b)| a <= PORTS.0 && b >= PORTS.1) {
            self.every_protocol = true;
        }
        for p in protos {
            self.by_proto.entry(p).or_default().extend(ports.ranges.iter().copied());
        }
    }

    pub(super) fn merge(&mut self, other: &PortsOpened) {
        self.every_protocol |= other.every_protocol;
        for (p, r) in &other.by_proto {
            self.by_proto.entry(*p).or_default().extend(r.iter().copied());
        }
    }

    /// What is too wide about these ports on `dst`: every protocol, every port of a protocol
    /// that has ports, or more ports than `max_ports`.
    pub(super) fn too_wide(&self, dst: &str, max_ports: u32) -> Option<String> {
        if self.every_protocol {
            return Some(format!("every protocol and port of {dst}"));
        }
        let name = |p: u8| match p {
            6 => "tcp",
            17 => "udp",
            _ => "sctp",
        };
        let with_ports = || self.by_proto.iter().filter(|(p, _)| matches!(p, 6 | 17 | 132));
        let every: Vec<&str> = with_ports().filter(|(_, r)| covers(r, PORTS)).map(|(p, _)| name(*p)).collect();
        if !every.is_empty() {
            return Some(format!("every {} port of {dst}", every.join(" and ")));
        }
        let (p, n) = with_ports().map(|(p, r)| (*p, count(r))).max_by_key(|(_, n)| *n)?;
        (n > max_ports).then(|| format!("{n} {} ports of {dst}, more than the {max_ports} allowed (maxPorts)", name(p)))
    }
}

/// Destinations where the fragment opens every port of TCP, UDP or SCTP, every protocol, or
/// more ports than `max_ports`.
fn every_port<'a>(reach: &Reach<'a>, max_ports: u32) -> Vec<Hit<'a>> {
    let mut by_dst: BTreeMap<&str, (PortsOpened, &Opened<'a>)> = BTreeMap::new();
    for o in reach.opened.iter().filter(|o| matches!(o.via, Via::Rule)) {
        let Some(ports) = &o.ports else { continue };
        by_dst.entry(o.dst.as_str()).or_insert_with(|| (PortsOpened::default(), o)).0.add(ports);
    }
    let mut hits = Vec::new();
    for (dst, (opened, first)) in by_dst {
        if let Some(what) = opened.too_wide(dst, max_ports) {
            hits.push(Hit { at: first.ports_at, what: what + &first.via.clause() });
        }
    }
    hits
}

/// How many port numbers (1–65535) the union of `ranges` holds.
fn count(ranges: &[(u16, u16)]) -> u32 {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let (mut n, mut next) = (0u32, 1u32);
    for (a, b) in sorted {
        let (a, b) = (u32::from(a).max(next), u32::from(b));
        if b >= a {
            n += b - a + 1;
            next = b + 1;
        }
    }
    n
}

/// Whether the union of `ranges` covers `want`.
fn covers(ranges: &[(u16, u16)], want: (u16, u16)) -> bool {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut next = u32::from(want.0);
    for (a, b) in sorted {
        if u32::from(a) > next {
            break;
        }
        next = next.max(u32::from(b) + 1);
    }
    next > u32::from(want.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_unions() {
        assert!(covers(&[(0, 65535)], PORTS));
        assert!(covers(&[(1, 65535)], PORTS));
        assert!(covers(&[(32768, 65535), (1, 32767)], PORTS));
        assert!(covers(&[(1, 100), (50, 40000), (40001, 65535)], PORTS));
        assert!(!covers(&[(1, 100), (102, 65535)], PORTS));
        assert!(!covers(&[(2, 65535)], PORTS));
        assert!(!covers(&[(22, 22)], PORTS));
    }

    #[test]
    fn port_counts_and_limits() {
        assert_eq!(count(&[(0, 65535)]), 65535);
        assert_eq!(count(&[(1, 10), (5, 20), (30, 30)]), 21);
        let mut p = PortsOpened::default();
        p.add(&Ports { protos: Protos::One(6), ranges: vec![(1, 65534)] });
        assert!(p.too_wide("x", 4096).unwrap().starts_with("65534 tcp ports"));
        let mut q = PortsOpened::default();
        q.add(&Ports { protos: Protos::One(6), ranges: vec![(8000, 9000)] });
        assert_eq!(q.too_wide("x", 4096), None);
        q.add(&Ports { protos: Protos::One(47), ranges: vec![(0, 65535)] });
        assert_eq!(q.too_wide("x", 4096), None, "GRE has no ports");
    }

    #[test]
    fn widths() {
        let w = WidestPrefix::default();
        let ip = |s: &str| s.parse().unwrap();
        assert!(!too_wide(&AddrSet::prefix(ip("10.1.0.0"), 16), w));
        assert!(too_wide(&AddrSet::prefix(ip("10.0.0.0"), 15), w));
        assert!(!too_wide(&AddrSet::prefix(ip("fd00::"), 64), w));
        assert!(too_wide(&AddrSet::prefix(ip("fd00::"), 63), w));
        // Every device of a tailnet, in its IPv6 spellings, and all of IPv4 mapped into IPv6.
        assert!(too_wide(&AddrSet::prefix(ip("fd7a:115c:a1e0::"), 96), w));
        assert!(too_wide(&AddrSet::prefix(ip("fd7a:115c:a1e0::"), 64), w));
        assert!(too_wide(&AddrSet::prefix(ip("fd7a:115c:a1e0:ab12:4843:cd96::"), 96), w));
        assert!(!too_wide(&AddrSet::prefix(ip("fd7a:115c:a1e0::"), 112), w));
        assert!(too_wide(&AddrSet::prefix(ip("::ffff:0:0"), 96), w));
        assert!(!too_wide(&AddrSet::prefix(ip("::ffff:10.1.0.0"), 112), w));
        // A limit of /0 lets everything through, and nothing is wider than everything.
        assert!(!too_wide(&AddrSet::everything(), WidestPrefix { ipv4: 0, ipv6: 0 }));
        assert!(too_wide(&AddrSet::everything(), WidestPrefix { ipv4: 1, ipv6: 0 }));
    }
}
