//! Requesters and approvers are people, and nobody approves access that reaches them.
//!
//! "Reaches them" is read as widely as the fragment's sources allow: a user named, a group they
//! are in (membership from every file, since any of it may be in force), a domain-wide
//! `user:*@domain`, an autogroup they belong to or may hold, a tag they own (they can put it
//! on a device of their own), an address range a device of theirs may hold, a group the
//! fragment adds them to. Where the repository cannot rule it out, the approval is refused.

use super::addresses::addresses;
use super::ownership::{Ownership, listed, tag_ownership};
use super::reach::Reach;
use crate::load::view::View;
use crate::model::addrs::AddrSet;
use crate::model::selector::{ROLE_AUTOGROUPS, Selector, classify};
use crate::parse::Value;

/// How an approver benefits from a fragment, and where the fragment says so.
pub(crate) struct Benefit<'a> {
    /// Certain (`true`), or not ruled out by what the repository holds.
    pub(crate) certain: bool,
    pub(crate) why: String,
    pub(crate) at: &'a Value,
}

/// Whether a source selector covers `person`: certainly (`true`) or possibly, with why.
fn covers(
    view: &View<'_>,
    owners: &indexmap::IndexMap<String, Vec<String>>,
    person: &str,
    sel: &str,
) -> Option<(bool, String)> {
    let same = |u: &str| u.trim().eq_ignore_ascii_case(person);
    Some(match classify(sel) {
        Selector::User(u) if same(u) => (true, format!("is {sel}")),
        Selector::Group(g) if g.contains('@') => {
            (false, format!("may be in {sel}, a group synced from the identity provider"))
        }
        Selector::Group(_) => match listed(view, person, std::iter::once(sel)) {
            Ownership::Owns => (true, format!("is a member of {sel}")),
            _ => return None,
        },
        Selector::Wildcard | Selector::Autogroup("danger-all" | "member" | "members") => (true, format!("is in {sel}")),
        Selector::Autogroup("shared") => {
            (false, "may be among the users the tailnet shares devices with (autogroup:shared)".to_owned())
        }
        Selector::Autogroup(r) if ROLE_AUTOGROUPS.contains(&r) => (false, format!("may hold the role {sel}")),
        Selector::UserDomain(d) if person.rsplit_once('@').is_some_and(|(_, pd)| pd.eq_ignore_ascii_case(d)) => {
            (true, format!("is in {sel}"))
        }
        Selector::Tag(_) => match tag_ownership(view, owners, person, sel) {
            Ownership::Owns => (true, format!("owns {sel} (and can put it on a device of their own)")),
            Ownership::Unknown(why) => (false, format!("may own {sel} ({why})")),
            _ => return None,
        },
        Selector::Autogroup("tagged") => {
            let t = view.tag_owners.iter().find(|t| tag_ownership(view, owners, person, &t.name) == Ownership::Owns)?;
            (true, format!("owns {}, and autogroup:tagged", t.name))
        }
        _ => match addresses(view, sel) {
            Some(set) if set.overlaps(&AddrSet::tailnet()) => match single_device(view, sel) {
                // A devices file says whose the one address is.
                Some(Some(d)) => {
                    if d.user.as_deref().is_some_and(same) {
                        (true, format!("owns the device at {sel}"))
                    } else if let Some(t) =
                        d.tags.iter().find(|t| tag_ownership(view, owners, person, t) == Ownership::Owns)
                    {
                        (true, format!("owns {t}, which the device at {sel} carries"))
                    } else {
                        return None;
                    }
                }
                _ => (false, format!("may have a device with an address in {sel}")),
            },
            _ => return None,
        },
    })
}

/// For a selector naming exactly one address: `Some(device)` from the devices file (`None`
/// inside when the file does not know it); `None` for anything wider or without a file.
fn single_device<'v>(view: &View<'v>, sel: &str) -> Option<Option<&'v crate::model::devices::DeviceIdentity>> {
    let inv = view.inventory?;
    let set = addresses(view, sel)?;
    let ip: std::net::IpAddr = match classify(sel) {
        Selector::Ip(ip) => ip,
        Selector::Host(h) => view.host(h)?.parse().ok()?,
        _ => return None,
    };
    (set.counts() == (u128::from(ip.is_ipv4()), u128::from(ip.is_ipv6()))).then(|| inv.by_ip.get(&ip))
}

/// The first way `person` benefits from the fragment, certain ways before possible ones.
pub(crate) fn benefit<'a>(
    reach: &Reach<'a>,
    view: &View<'_>,
    owners: &indexmap::IndexMap<String, Vec<String>>,
    person: &str,
) -> Option<Benefit<'a>> {
    let mut maybe = None;
    let same = |u: &str| u.trim().eq_ignore_ascii_case(person);
    for (member, group, at) in &reach.members_added {
        if same(member) {
            return Some(Benefit { certain: true, why: format!("is added to {group} by this fragment"), at });
        }
    }
    for s in &reach.sources {
        let Some((certain, why)) = covers(view, owners, person, &s.sel) else { continue };
        let why = format!("{why}, a source of its rules");
        if certain {
            return Some(Benefit { certain, why, at: s.at });
        }
        maybe.get_or_insert(Benefit { certain, why, at: s.at });
    }
    for (s, reached) in &reach.exposed_to {
        let Some((certain, why)) = covers(view, owners, person, &s.sel) else { continue };
        let why = format!("{why}, a source of the rule that reaches whom this fragment adds to {reached}");
        if certain {
            return Some(Benefit { certain, why, at: s.at });
        }
        maybe.get_or_insert(Benefit { certain, why, at: s.at });
    }
    maybe
}
