//! Sets of IP addresses as sorted, disjoint ranges per family: what a mix of addresses, CIDRs,
//! ranges and IP sets covers together. The guardrails need it to see that `0.0.0.0/1` and
//! `128.0.0.0/1` are every address, and that a destination lies inside a range someone owns.

use std::net::IpAddr;

/// Inclusive ranges, sorted and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Ranges(Vec<(u128, u128)>);

impl Ranges {
    fn insert(&mut self, lo: u128, hi: u128) {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let (mut lo, mut hi) = (lo, hi);
        let mut placed = false;
        for &(a, b) in &self.0 {
            if b.saturating_add(1) < lo {
                out.push((a, b));
            } else if hi.saturating_add(1) < a {
                if !placed {
                    out.push((lo, hi));
                    placed = true;
                }
                out.push((a, b));
            } else {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        if !placed {
            out.push((lo, hi));
        }
        out.sort_unstable();
        self.0 = out;
    }

    fn remove(&mut self, lo: u128, hi: u128) {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        for &(a, b) in &self.0 {
            if b < lo || a > hi {
                out.push((a, b));
                continue;
            }
            if a < lo {
                out.push((a, lo - 1));
            }
            if b > hi {
                out.push((hi + 1, b));
            }
        }
        self.0 = out;
    }

    fn count(&self) -> u128 {
        self.0.iter().fold(0u128, |n, &(a, b)| n.saturating_add(b - a).saturating_add(1))
    }

    fn covers(&self, lo: u128, hi: u128) -> bool {
        self.0.iter().any(|&(a, b)| a <= lo && hi <= b)
    }

    fn overlaps(&self, lo: u128, hi: u128) -> bool {
        self.0.iter().any(|&(a, b)| a <= hi && lo <= b)
    }
}

/// A set of IPv4 and IPv6 addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AddrSet {
    v4: Ranges,
    v6: Ranges,
}

fn bounds(net: IpAddr, len: u8) -> (bool, u128, u128) {
    match net {
        IpAddr::V4(a) => {
            let len = u32::from(len.min(32));
            let mask: u32 = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let lo = u32::from(a) & mask;
            (true, u128::from(lo), u128::from(lo | !mask))
        }
        IpAddr::V6(a) => {
            let len = u32::from(len.min(128));
            let mask: u128 = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            let lo = u128::from(a) & mask;
            (false, lo, lo | !mask)
        }
    }
}

fn value(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (true, u128::from(u32::from(a))),
        IpAddr::V6(a) => (false, u128::from(a)),
    }
}

impl AddrSet {
    /// A CIDR; host bits are ignored.
    pub(crate) fn prefix(net: IpAddr, len: u8) -> AddrSet {
        let mut s = AddrSet::default();
        s.add_prefix(net, len);
        s
    }

    pub(crate) fn add_prefix(&mut self, net: IpAddr, len: u8) {
        let (v4, lo, hi) = bounds(net, len);
        self.family(v4).insert(lo, hi);
    }

    pub(crate) fn remove_prefix(&mut self, net: IpAddr, len: u8) {
        let (v4, lo, hi) = bounds(net, len);
        self.family(v4).remove(lo, hi);
    }

    /// `a-b` of two addresses of the same family; `false` when they are not.
    pub(crate) fn add_range(&mut self, a: IpAddr, b: IpAddr) -> bool {
        let ((fa, lo), (fb, hi)) = (value(a), value(b));
        if fa != fb || lo > hi {
            return false;
        }
        self.family(fa).insert(lo, hi);
        true
    }

    pub(crate) fn union(&mut self, other: &AddrSet) {
        for &(a, b) in &other.v4.0 {
            self.v4.insert(a, b);
        }
        for &(a, b) in &other.v6.0 {
            self.v6.insert(a, b);
        }
    }

    pub(crate) fn subtract(&mut self, other: &AddrSet) {
        for &(a, b) in &other.v4.0 {
            self.v4.remove(a, b);
        }
        for &(a, b) in &other.v6.0 {
            self.v6.remove(a, b);
        }
    }

    fn family(&mut self, v4: bool) -> &mut Ranges {
        if v4 { &mut self.v4 } else { &mut self.v6 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.v4.0.is_empty() && self.v6.0.is_empty()
    }

    /// How many IPv4 and IPv6 addresses the set holds (IPv6 saturates at 2^128 - 1).
    pub(crate) fn counts(&self) -> (u128, u128) {
        (self.v4.count(), self.v6.count())
    }

    /// How many of this set's addresses lie in `net/len`.
    pub(crate) fn count_within(&self, net: IpAddr, len: u8) -> u128 {
        let (v4, lo, hi) = bounds(net, len);
        let ranges = if v4 { &self.v4 } else { &self.v6 };
        ranges.0.iter().fold(0u128, |n, &(a, b)| {
            let (a, b) = (a.max(lo), b.min(hi));
            if a > b { n } else { n.saturating_add(b - a).saturating_add(1) }
        })
    }

    /// Whether every address of `other` is in this set.
    pub(crate) fn contains_set(&self, other: &AddrSet) -> bool {
        other.v4.0.iter().all(|&(a, b)| self.v4.covers(a, b)) && other.v6.0.iter().all(|&(a, b)| self.v6.covers(a, b))
    }

    pub(crate) fn overlaps(&self, other: &AddrSet) -> bool {
        other.v4.0.iter().any(|&(a, b)| self.v4.overlaps(a, b))
            || other.v6.0.iter().any(|&(a, b)| self.v6.overlaps(a, b))
    }

    /// The addresses of tailnet devices: 100.64.0.0/10 and fd7a:115c:a1e0::/48, and the first
    /// as IPv4-mapped IPv6 (`::ffff:100.64.0.0/106`).
    pub(crate) fn tailnet() -> AddrSet {
        let mut s = AddrSet::prefix(IpAddr::from([100, 64, 0, 0]), 10);
        s.add_prefix(IpAddr::from([0xfd7a, 0x115c, 0xa1e0, 0, 0, 0, 0, 0]), 48);
        s.add_prefix(IpAddr::from([0, 0, 0, 0, 0, 0xffff, 0x6440, 0]), 106);
        s
    }

    /// Every address of both families.
    #[cfg(test)]
    pub(crate) fn everything() -> AddrSet {
        let mut s = AddrSet::prefix(IpAddr::from([0, 0, 0, 0]), 0);
        s.add_prefix(IpAddr::from([0u16; 8]), 0);
        s
    }

    /// What Tailscale calls `autogroup:internet`: public IPv4, and IPv6 in 2000::/3, without the
    /// private, CGNAT and link-local ranges.
    pub(crate) fn internet() -> AddrSet {
        let mut s = AddrSet::prefix(IpAddr::from([0, 0, 0, 0]), 0);
        for (net, len) in [
            ([10, 0, 0, 0], 8),
            ([172, 16, 0, 0], 12),
            ([192, 168, 0, 0], 16),
            ([100, 64, 0, 0], 10),
            ([169, 254, 0, 0], 16),
        ] {
            s.remove_prefix(IpAddr::from(net), len);
        }
        s.add_prefix(IpAddr::from([0x2000, 0, 0, 0, 0, 0, 0, 0]), 3);
        s
    }

    /// A short description for messages: `N IPv4 addresses`, `2^N IPv6 addresses`.
    pub(crate) fn describe(&self) -> String {
        let (v4, v6) = self.counts();
        let mut parts = Vec::new();
        if v4 > 0 {
            parts.push(format!("{v4} IPv4 address{}", if v4 == 1 { "" } else { "es" }));
        }
        if v6 > 0 {
            parts.push(if v6 >= 1 << 20 {
                format!("about 2^{} IPv6 addresses", 127 - v6.leading_zeros())
            } else {
                format!("{v6} IPv6 address{}", if v6 == 1 { "" } else { "es" })
            });
        }
        if parts.is_empty() { "no addresses".into() } else { parts.join(" and ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn unions_and_differences() {
        let mut halves = AddrSet::prefix(ip("0.0.0.0"), 1);
        halves.add_prefix(ip("128.0.0.0"), 1);
        assert_eq!(halves.counts(), (1 << 32, 0));
        assert!(halves.contains_set(&AddrSet::prefix(ip("10.0.0.0"), 8)));

        let mut s = AddrSet::prefix(ip("10.0.0.0"), 8);
        s.remove_prefix(ip("10.1.0.0"), 16);
        assert_eq!(s.counts().0, (1 << 24) - (1 << 16));
        assert!(!s.contains_set(&AddrSet::prefix(ip("10.1.2.0"), 24)));
        assert!(s.contains_set(&AddrSet::prefix(ip("10.2.2.0"), 24)));
        assert!(s.overlaps(&AddrSet::prefix(ip("10.0.0.0"), 15)));

        let mut r = AddrSet::default();
        assert!(r.add_range(ip("10.0.0.1"), ip("10.0.0.9")));
        assert!(!r.add_range(ip("10.0.0.1"), ip("::1")));
        assert_eq!(r.counts(), (9, 0));
        r.add_prefix(ip("10.0.0.10"), 32);
        assert_eq!(r.counts(), (10, 0));

        assert_eq!(AddrSet::everything().counts().0, 1 << 32);
        assert_eq!(AddrSet::prefix(ip("::"), 1).counts().1, 1 << 127);
        assert!(AddrSet::tailnet().contains_set(&AddrSet::prefix(ip("100.100.1.2"), 32)));
        assert!(!AddrSet::internet().overlaps(&AddrSet::prefix(ip("100.100.1.2"), 32)));
        assert!(AddrSet::internet().contains_set(&AddrSet::prefix(ip("8.8.8.8"), 32)));
    }
}
