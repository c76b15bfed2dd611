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
use crate::check::view::View;
use crate::model::addrs::AddrSet;
use crate::model::selector::{ROLE_AUTOGROUPS, Selector, classify};
use crate::parse::Value;

/// How an approver benefits from a fragment, and where the fragment says so.
pub(crate) struct Benefit<'a> {
    /// Certain (`true`), or not ruled out by what the repository holds.
    pub certain: bool,
    pub why: String,
    pub at: &'a Value,
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
        let (certain, why) = match classify(&s.sel) {
            Selector::User(u) if same(u) => (true, "is a source of its rules".to_owned()),
            Selector::Group(g) if g.contains('@') => {
                (false, format!("may be in {}, a group synced from the identity provider", s.sel))
            }
            Selector::Group(_) => match listed(view, person, std::iter::once(s.sel.as_str())) {
                Ownership::Owns => (true, format!("is a member of {}, a source of its rules", s.sel)),
                _ => continue,
            },
            Selector::Wildcard | Selector::Autogroup("danger-all" | "member" | "members") => {
                (true, format!("is in {}, a source of its rules", s.sel))
            }
            Selector::Autogroup("shared") => {
                (false, "may be among the users the tailnet shares devices with (autogroup:shared)".to_owned())
            }
            Selector::Autogroup(r) if ROLE_AUTOGROUPS.contains(&r) => {
                (false, format!("may hold the role {}, a source of its rules", s.sel))
            }
            Selector::UserDomain(d) if person.rsplit_once('@').is_some_and(|(_, pd)| pd.eq_ignore_ascii_case(d)) => {
                (true, format!("is in {}, a source of its rules", s.sel))
            }
            Selector::Tag(_) => match tag_ownership(view, owners, person, &s.sel) {
                Ownership::Owns => {
                    (true, format!("owns {}, a source of its rules, and can put it on a device of their own", s.sel))
                }
                Ownership::Unknown(why) => (false, format!("may own {}, a source of its rules ({why})", s.sel)),
                _ => continue,
            },
            Selector::Autogroup("tagged") => {
                match view.tag_owners.iter().find(|t| tag_ownership(view, owners, person, &t.name) == Ownership::Owns) {
                    Some(t) => (true, format!("owns {}, and autogroup:tagged is a source of its rules", t.name)),
                    None => continue,
                }
            }
            _ => match addresses(view, &s.sel) {
                Some(set) if set.overlaps(&AddrSet::tailnet()) => {
                    (false, format!("may have a device with an address in {}, a source of its rules", s.sel))
                }
                _ => continue,
            },
        };
        if certain {
            return Some(Benefit { certain, why, at: s.at });
        }
        maybe.get_or_insert(Benefit { certain, why, at: s.at });
    }
    maybe
}
