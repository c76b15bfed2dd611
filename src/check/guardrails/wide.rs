//! `forbidWildcards`: what covers everyone or everything, in any spelling. `*` is one spelling
//! of "every address"; `0.0.0.0/1` with `128.0.0.0/1`, an IP set, a host alias for
//! `0.0.0.0/0` and `autogroup:internet` are others. `tcp:*` is one spelling of "every port";
//! `tcp:1-65535` and two ranges that meet are others. Everyone is `*`, `autogroup:member`,
//! `user:*@domain`, or a role autogroup. Sources and destinations are judged together across the
//! whole fragment, and destinations include what it opens through groups and posture.

use std::collections::BTreeMap;

use super::addresses::addresses;
use super::reach::{Opened, Reach, Source};
use crate::check::view::View;
use crate::evaluate::compile::Protos;
use crate::model::WidestPrefix;
use crate::model::addrs::AddrSet;
use crate::model::selector::{ROLE_AUTOGROUPS, Selector, classify};
use crate::parse::Value;

/// A wildcard found: where, and what it grants.
pub(crate) struct Hit<'a> {
    pub at: &'a Value,
    pub what: String,
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
        _ => return None,
    })
}

/// Whether a set holds more addresses than the widest prefix allows.
fn too_wide(set: &AddrSet, widest: WidestPrefix) -> bool {
    let (v4, v6) = set.counts();
    let limit = |bits: u32, len: u8| -> u128 {
        let host_bits = bits.saturating_sub(u32::from(len));
        if host_bits >= 128 { u128::MAX } else { 1u128 << host_bits }
    };
    v4 > limit(32, widest.ipv4) || v6 > limit(128, widest.ipv6)
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

/// Every wildcard among the destinations the fragment opens, and every destination whose ports
/// the fragment opens all of.
pub(crate) fn destinations<'a>(view: &View<'_>, reach: &Reach<'a>, widest: WidestPrefix) -> Vec<Hit<'a>> {
    let mut hits = Vec::new();
    let mut union = AddrSet::default();
    let mut named: Vec<&Opened<'a>> = Vec::new();
    for o in &reach.opened {
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
    hits.extend(every_port(reach));
    hits
}

/// Port numbers a protocol carries; port 0 is not one.
const PORTS: (u16, u16) = (1, 65535);

/// The ports a fragment opens on one destination, over all the ways it opens it.
struct OpenedPorts<'o, 'a> {
    /// Protocol number → port ranges.
    by_proto: BTreeMap<u8, Vec<(u16, u16)>>,
    /// Where it was first opened, for the finding.
    first: &'o Opened<'a>,
    /// Whether some rule opens every protocol on every port.
    every_protocol: bool,
}

/// Destinations where the fragment opens every port of TCP, UDP or SCTP, or every protocol.
fn every_port<'a>(reach: &Reach<'a>) -> Vec<Hit<'a>> {
    let mut by_dst: BTreeMap<&str, OpenedPorts<'_, 'a>> = BTreeMap::new();
    for o in &reach.opened {
        let Some(ports) = &o.ports else { continue };
        let entry = by_dst.entry(o.dst.as_str()).or_insert_with(|| OpenedPorts {
            by_proto: BTreeMap::new(),
            first: o,
            every_protocol: false,
        });
        let protos: Vec<u8> = match ports.protos {
            Protos::Default => vec![6, 17],
            Protos::All => vec![6, 17, 132],
            Protos::One(n) => vec![n],
        };
        if ports.protos == Protos::All && ports.ranges.iter().any(|&(a, b)| a <= PORTS.0 && b >= PORTS.1) {
            entry.every_protocol = true;
        }
        for p in protos {
            entry.by_proto.entry(p).or_default().extend(ports.ranges.iter().copied());
        }
    }
    let mut hits = Vec::new();
    for (dst, OpenedPorts { by_proto, first, every_protocol }) in by_dst {
        let covered: Vec<&str> = by_proto
            .iter()
            .filter(|(p, _)| matches!(p, 6 | 17 | 132))
            .filter(|(_, ranges)| covers(ranges, PORTS))
            .map(|(p, _)| match p {
                6 => "tcp",
                17 => "udp",
                _ => "sctp",
            })
            .collect();
        let what = if every_protocol {
            format!("every protocol and port of {dst}")
        } else if !covered.is_empty() {
            format!("every {} port of {dst}", covered.join(" and "))
        } else {
            continue;
        };
        hits.push(Hit { at: first.ports_at, what: what + &first.via.clause() });
    }
    hits
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
    fn widths() {
        let w = WidestPrefix::default();
        let ip = |s: &str| s.parse().unwrap();
        assert!(!too_wide(&AddrSet::prefix(ip("10.1.0.0"), 16), w));
        assert!(too_wide(&AddrSet::prefix(ip("10.0.0.0"), 15), w));
        assert!(!too_wide(&AddrSet::prefix(ip("fd00::"), 64), w));
        assert!(too_wide(&AddrSet::prefix(ip("fd00::"), 63), w));
        // A limit of /0 lets everything through, and nothing is wider than everything.
        assert!(!too_wide(&AddrSet::everything(), WidestPrefix { ipv4: 0, ipv6: 0 }));
        assert!(too_wide(&AddrSet::everything(), WidestPrefix { ipv4: 1, ipv6: 0 }));
    }
}
