//! `access`: who holds which time-bounded access, granted by whom, until when.

use jiff::Timestamp;
use serde::Serialize;

use crate::load::Repository;
use crate::load::view::{field, strings};
use crate::model::Status;
use crate::model::rule::{self, Rule, Section};

#[derive(Debug, Serialize)]
pub(crate) struct AccessEntry {
    pub(crate) file: String,
    pub(crate) requester: Option<String>,
    /// Why: the fragment's description (a ticket or incident reference).
    pub(crate) description: Option<String>,
    /// One line per thing granted: `tag:prod-db tcp:5432`, `ssh tag:web as root`,
    /// `member of group:oncall`.
    pub(crate) grants: Vec<String>,
    pub(crate) approvers: Vec<String>,
    pub(crate) since: Option<Timestamp>,
    pub(crate) until: Option<Timestamp>,
    /// Seconds until expiry (active), or until it starts (pending).
    pub(crate) seconds_left: Option<i64>,
    /// Posture mode: the control plane ends this access at `until`, whether or not apply runs
    /// again (its rules are gated on a posture attribute that expires then).
    pub(crate) enforced_by_control_plane: bool,
}

#[derive(Debug, Serialize)]
pub struct Access {
    pub(crate) at: Timestamp,
    pub(crate) active: Vec<AccessEntry>,
    pub(crate) pending: Vec<AccessEntry>,
}

/// What a fragment grants, one line per rule, group membership and posture attribute:
/// `alice@example.com → tag:prod-db tcp:5432`, `ssh tag:web as root`, `carol joins group:oncall`,
/// `sets custom:managed=true on alice-laptop`.
pub(crate) fn summary(f: &crate::load::FragmentFile) -> Vec<String> {
    let tree = &f.doc.tree;
    let mut grants = Vec::new();
    let list = |v: Option<&crate::parse::Value>| {
        v.map(strings).unwrap_or_default().into_iter().map(|(s, _)| s.into_owned()).collect::<Vec<_>>()
    };
    for section in [Section::Grants, Section::Acls, Section::Ssh] {
        for rule in rule::section(tree, section).unwrap_or_default() {
            // As written (untrimmed): the summary quotes the file.
            let read = Rule::of(section, rule);
            let src = list(read.src_list).join(", ");
            let dst = list(read.dst_list).join(", ");
            grants.push(match section {
                Section::Grants => {
                    let mut what = list(read.ip);
                    if let Some(app) = read.app.and_then(|a| a.as_object()) {
                        what.extend(app.members.iter().filter_map(|m| m.name.as_str()).map(|c| format!("app {c}")));
                    }
                    let via: Vec<_> = read.via.iter().map(|v| v.raw()).collect();
                    let via = if via.is_empty() { String::new() } else { format!(" via {}", via.join(", ")) };
                    format!("{src} → {dst} {}{via}", what.join(", ")).trim_end().to_owned()
                }
                Section::Acls => format!("{src} → {dst}"),
                Section::Ssh => format!("{src} → ssh {dst} as {}", list(read.logins).join(", ")),
            });
        }
    }
    if let Some(groups) = field(tree, "groups").and_then(|g| g.as_object()) {
        for g in &groups.members {
            for m in list(Some(&g.value)) {
                grants.push(format!("{m} joins {}", g.name.as_str().unwrap_or_default()));
            }
        }
    }
    for a in &f.fragment.posture_attributes {
        grants.push(format!("sets {}={} on {}", a.key, a.value, a.device));
    }
    for section in ["nodeAttrs", "autoApprovers", "tagOwners", "hosts", "ipsets", "postures"] {
        if field(tree, section).is_some() {
            grants.push(format!("changes {section}"));
        }
    }
    grants
}

/// Fragments with an expiry or a start, active or pending at `at`; expired ones are left out.
pub fn access(repo: &Repository, at: Timestamp) -> Access {
    let mut out = Access { at, active: Vec::new(), pending: Vec::new() };
    for f in &repo.fragments {
        let frag = &f.fragment;
        if frag.expires.is_none() && frag.not_before.is_none() {
            continue; // permanent team fragments are not time-bounded access
        }
        let status = frag.status(at);
        if status == Status::Expired {
            continue;
        }
        let grants = summary(f);
        let left = match status {
            Status::Active => frag.expires.map(|e| e.duration_since(at).as_secs()),
            _ => frag.not_before.map(|n| n.duration_since(at).as_secs()),
        };
        let entry = AccessEntry {
            file: f.doc.file.path.clone(),
            requester: frag.requester.clone(),
            description: frag.description.clone(),
            grants,
            approvers: frag.approvers.clone(),
            since: frag.not_before,
            until: frag.expires,
            seconds_left: left,
            enforced_by_control_plane: crate::model::expiry::Gate::of(
                repo.config.enforce_expiry,
                &f.doc.file.rel,
                frag,
            )
            .is_some(),
        };
        match status {
            Status::Active => out.active.push(entry),
            _ => out.pending.push(entry),
        }
    }
    out.active.sort_by_key(|e| e.until);
    out.pending.sort_by_key(|e| e.since);
    out
}
