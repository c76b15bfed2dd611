//! The addresses an address selector stands for: an IP, a CIDR, a host alias, an IP set (with
//! its `add`, `remove`, ranges and references), `autogroup:internet`.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::load::view::{View, strings};
use crate::model::addrs::AddrSet;
use crate::model::selector::{Selector, classify};

/// The addresses `sel` names, or `None` when it is not an address selector (a user, a tag…).
/// An alias or set that is not defined names no addresses.
pub(crate) fn addresses(view: &View<'_>, sel: &str) -> Option<AddrSet> {
    resolve(view, sel.trim(), &mut HashSet::new())
}

fn resolve(view: &View<'_>, sel: &str, seen: &mut HashSet<String>) -> Option<AddrSet> {
    match classify(sel) {
        Selector::Ip(ip) => Some(AddrSet::prefix(ip, if ip.is_ipv4() { 32 } else { 128 })),
        Selector::Cidr(net, len) => Some(AddrSet::prefix(net, len)),
        Selector::Range => {
            let (a, b) = sel.split_once('-')?;
            let mut s = AddrSet::default();
            if let (Ok(a), Ok(b)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) {
                s.add_range(a, b);
            }
            Some(s)
        }
        Selector::Autogroup("internet") => Some(AddrSet::internet()),
        Selector::Host(name) | Selector::HostRef(name) => {
            let Some(value) = view.host(name) else { return Some(AddrSet::default()) };
            if !seen.insert(format!("host:{name}")) {
                return Some(AddrSet::default());
            }
            Some(resolve(view, value, seen).unwrap_or_default())
        }
        Selector::Ipset(_) => {
            let mut set = AddrSet::default();
            if !seen.insert(sel.to_owned()) {
                return Some(set); // a cycle adds nothing more (TG110 reports it)
            }
            let mut removed = AddrSet::default();
            for entry in view.ipsets.iter().filter(|s| s.name == sel) {
                for (e, _) in strings(entry.value) {
                    let (op, target) = match e.trim().split_once(' ') {
                        Some((op, t)) => (op, t.trim()),
                        None => ("add", e.trim()),
                    };
                    let Some(part) = resolve(view, target, seen) else { continue };
                    if op == "remove" { removed.union(&part) } else { set.union(&part) }
                }
            }
            set.subtract(&removed);
            Some(set)
        }
        _ => None,
    }
}
