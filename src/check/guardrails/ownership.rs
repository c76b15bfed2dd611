//! Who owns a destination, from trusted ground only.
//!
//! Approval rights come from the files the threat model trusts: the base policy and the
//! permanent fragments that no guardrail covers (team files under code owners). A grant file,
//! pending or active, that adds dave to the group owning `tag:prod-db` must not let dave
//! approve anything; so groups and `tagOwners` are read from that ground alone. Destinations
//! the policy names no owner for (addresses, host aliases, autogroups, `*`) are owned only by
//! whom the config's `owners` names, and otherwise by no one: the guardrail then refuses.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::addresses::addresses;
use super::reach::{AUTO_APPROVERS, NODE_ATTRS};
use crate::load::view::View;
use crate::model::addrs::AddrSet;
use crate::model::selector::{Selector, classify};

/// Whether a person owns a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ownership {
    Owns,
    /// Others own it: who, as the policy or config lists them.
    No(Vec<String>),
    /// It has owners whose members the repository does not hold (a synced group, a role).
    Unknown(String),
    /// Nobody owns it: the policy names no owner and the config none either.
    Unowned(String),
}

/// The trusted ground approvals are judged on.
pub(crate) struct Ground<'a> {
    pub(crate) trusted: &'a View<'a>,
    /// Everything in force or pending, to resolve what an alias or IP set stands for.
    pub(crate) all: &'a View<'a>,
    pub(crate) owners: &'a IndexMap<String, Vec<String>>,
}

impl Ground<'_> {
    /// Why nobody owns `dst`, if nobody does: whoever asks, the answer is the same.
    pub(super) fn unowned(&self, dst: &str) -> Option<String> {
        let dst = dst.trim();
        match classify(dst) {
            // A tag defined in trusted ground has owners (perhaps only admins: TG210's case).
            Selector::Tag(_) if self.trusted.tag_defined(dst) || self.owners.contains_key(dst) => None,
            Selector::User(_) => None,
            _ => match self.owns("", dst) {
                Ownership::Unowned(why) => Some(why),
                _ => None,
            },
        }
    }

    pub(super) fn owns(&self, person: &str, dst: &str) -> Ownership {
        let dst = dst.trim();
        let configured = self.owners.get(dst).map(|list| listed(self.trusted, person, list.iter().map(String::as_str)));
        if configured == Some(Ownership::Owns) {
            return Ownership::Owns;
        }
        let from_policy = match classify(dst) {
            Selector::Tag(_) => tag_ownership(self.trusted, self.owners, person, dst),
            Selector::User(u) if u.eq_ignore_ascii_case(person) => Ownership::Owns,
            Selector::User(u) => Ownership::No(vec![u.to_owned()]),
            Selector::Autogroup("tagged") => self.every_tag(person),
            Selector::Ip(_) | Selector::Cidr(..) | Selector::Host(_) | Selector::Ipset(_) => {
                self.addresses(person, dst)
            }
            _ => Ownership::Unowned(unowned_reason(dst)),
        };
        match (configured, from_policy) {
            // The config names owners and the policy none: the config's answer stands.
            (Some(c), Ownership::Unowned(_)) => c,
            (_, p) => p,
        }
    }

    /// `autogroup:tagged` is every tagged device: only someone who owns every tag owns it.
    fn every_tag(&self, person: &str) -> Ownership {
        let mut others = BTreeSet::new();
        for t in &self.trusted.tag_owners {
            match tag_ownership(self.trusted, self.owners, person, &t.name) {
                Ownership::Owns => {}
                Ownership::No(o) => others.extend(o),
                other => return other,
            }
        }
        if others.is_empty() { Ownership::Owns } else { Ownership::No(others.into_iter().collect()) }
    }

    /// An address destination is owned through the config: its name as a key (for aliases and
    /// IP sets the trusted ground defines), or ranges whose owners together cover every address.
    fn addresses(&self, person: &str, dst: &str) -> Ownership {
        let Some(wanted) = addresses(self.all, dst) else { return Ownership::Unowned(unowned_reason(dst)) };
        let (mut mine, mut anyone) = (AddrSet::default(), AddrSet::default());
        let mut others = BTreeSet::new();
        for (key, list) in self.owners {
            let Some(range) = key_range(key) else { continue };
            anyone.union(&range);
            match listed(self.trusted, person, list.iter().map(String::as_str)) {
                Ownership::Owns => mine.union(&range),
                _ => {
                    if range.overlaps(&wanted) {
                        others.extend(list.iter().cloned());
                    }
                }
            }
        }
        if wanted.is_empty() {
            Ownership::Unowned(format!("{dst} names no addresses"))
        } else if mine.contains_set(&wanted) {
            Ownership::Owns
        } else if anyone.contains_set(&wanted) {
            Ownership::No(others.into_iter().collect())
        } else {
            Ownership::Unowned(unowned_reason(dst))
        }
    }
}

/// A config `owners` key that is an address range.
fn key_range(key: &str) -> Option<AddrSet> {
    match classify(key) {
        Selector::Ip(ip) => Some(AddrSet::prefix(ip, if ip.is_ipv4() { 32 } else { 128 })),
        Selector::Cidr(net, len) => Some(AddrSet::prefix(net, len)),
        _ => None,
    }
}

fn unowned_reason(dst: &str) -> String {
    match classify(dst) {
        Selector::Ip(_) | Selector::Cidr(..) => {
            format!("tagOwners covers tags only, and the config's `owners` names no range holding {dst}")
        }
        Selector::Host(_) => format!("{dst} is a host alias, and the config's `owners` names no owner for it or its address"),
        Selector::Ipset(_) => format!("{dst} is an IP set, and the config's `owners` names no owner for it or its addresses"),
        Selector::Group(_) => {
            format!("{dst} as a destination is its members' devices, and the config's `owners` names no owner for it")
        }
        _ if dst == NODE_ATTRS => "node attributes (funnel, app connectors…) have no owner in the policy, and the config's `owners` names none for section:nodeAttrs".into(),
        _ if dst == AUTO_APPROVERS => "auto-approved routes and exit nodes have no owner in the policy, and the config's `owners` names none for section:autoApprovers".into(),
        _ => format!("{dst} has no owner in the policy, and the config's `owners` names none"),
    }
}

/// Whether `person` is among `owners` as `view` defines them: named, or a member of a named
/// group. Synced groups and role autogroups cannot be expanded offline.
pub(crate) fn listed<'o>(view: &View<'_>, person: &str, owners: impl Iterator<Item = &'o str>) -> Ownership {
    let mut unknown = None;
    let mut names = Vec::new();
    for o in owners {
        let o = o.trim();
        names.push(o.to_owned());
        match classify(o) {
            Selector::User(u) if u.eq_ignore_ascii_case(person) => return Ownership::Owns,
            Selector::Group(g) if g.contains('@') => {
                unknown.get_or_insert_with(|| format!("{o} is synced from the identity provider"));
            }
            Selector::Group(_) if view.is_member(o, person) => {
                return Ownership::Owns;
            }
            Selector::Autogroup(a) => {
                unknown.get_or_insert_with(|| {
                    format!("autogroup:{a} is listed, and its members are not in the repository")
                });
            }
            _ => {}
        }
    }
    unknown.map_or(Ownership::No(names), Ownership::Unknown)
}

/// Whether `person` owns `tag`: listed directly in `tagOwners` (or the config's `owners` for the
/// tag), a member of a listed group, or an owner of a listed tag (whoever can create that
/// tag's devices can create this one's). An empty list means admins only.
pub(crate) fn tag_ownership(
    view: &View<'_>,
    config: &IndexMap<String, Vec<String>>,
    person: &str,
    tag: &str,
) -> Ownership {
    if !view.tag_defined(tag) && !config.contains_key(tag) {
        return Ownership::Unowned(format!("{tag} is not defined in the base policy's tagOwners"));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut unknown = None;
    let mut others = BTreeSet::new();
    let mut stack: Vec<&str> = vec![tag];
    while let Some(t) = stack.pop() {
        if seen.contains(&t) {
            continue; // ownership cycles are legal
        }
        seen.push(t);
        let listed_here = view.tag_owner_slice(t);
        let configured = config.get(t).map_or(&[][..], Vec::as_slice);
        if listed_here.is_empty() && configured.is_empty() {
            unknown.get_or_insert_with(|| format!("{t} has no listed owners, so only admins may apply it"));
        }
        let list = || listed_here.iter().chain(configured).map(|o| o.trim());
        stack.extend(list().filter(|o| matches!(classify(o), Selector::Tag(_))));
        match listed(view, person, list()) {
            Ownership::Owns => return Ownership::Owns,
            Ownership::Unknown(why) => {
                unknown.get_or_insert(why);
            }
            Ownership::No(names) => {
                others.extend(names.into_iter().filter(|n| !matches!(classify(n), Selector::Tag(_))))
            }
            Ownership::Unowned(_) => {}
        }
    }
    // Owners the repository cannot expand might include the person: a reviewer must say.
    match unknown {
        Some(why) => Ownership::Unknown(why),
        None => Ownership::No(others.into_iter().collect()),
    }
}
