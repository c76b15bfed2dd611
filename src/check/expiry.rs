//! Posture mode (`"enforceExpiry": "posture"`): what a time-bounded fragment may grant when
//! the control plane is to end it on time. Its rules are gated on a device attribute that
//! expires with it, which holds only for sources that are devices of the tailnet tailgrant can
//! list (`TG056`), and only for rules: group membership and node attributes take no posture
//! (`TG057`). Gate ids and the postures they generate must not clash (`TG051`).

use std::collections::HashMap;

use jiff::Timestamp;

use crate::finding::{Code, Finding, Location};
use crate::load::view::{Entry, View, field};
use crate::load::{FragmentFile, Repository};
use crate::model::Status;
use crate::model::expiry::{EnforceExpiry, Gate, POSTURE_PREFIX};
use crate::model::selector::{ROLE_AUTOGROUPS, Selector, classify};
use crate::parse::Value;

pub(crate) fn check(repo: &Repository, view: &View<'_>, at: Timestamp, findings: &mut Vec<Finding>) {
    if repo.config.enforce_expiry != EnforceExpiry::Posture {
        return;
    }
    let gated: Vec<(&FragmentFile, Gate)> = repo
        .fragments
        .iter()
        .filter(|f| f.fragment.status(at) != Status::Expired)
        .filter_map(|f| Some((f, Gate::of(EnforceExpiry::Posture, &f.doc.file.rel, &f.fragment)?)))
        .collect();
    reserved_postures(view, findings);
    let mut ids: HashMap<&str, &FragmentFile> = HashMap::new();
    for (f, gate) in &gated {
        if let Some(other) = ids.insert(&gate.id, f) {
            findings.push(Finding::new(
                Code::ConflictingDefinition,
                Location::file(&f.doc.file.path),
                format!("this file's posture-mode id {} is also {}'s", gate.id, other.doc.file.rel),
                "rename one of the two files: the id comes from the path",
            ));
        }
    }
    if gated.is_empty() {
        return;
    }
    let references = references(view);
    for (f, _) in &gated {
        sources(f, view, findings);
        ungated(f, &references, findings);
    }
}

/// The postures posture mode generates are named `posture:tg_…`: no other may be.
fn reserved_postures(view: &View<'_>, findings: &mut Vec<Finding>) {
    for p in &view.postures {
        let reserved = p.name.get(..POSTURE_PREFIX.len()).is_some_and(|n| n.eq_ignore_ascii_case(POSTURE_PREFIX));
        if reserved {
            findings.push(Finding::new(
                Code::ConflictingDefinition,
                p.origin.at(p.key),
                format!("{} is a name posture mode generates for a grant file's gate", p.name),
                "rename the posture: posture:tg_* names are tailgrant's own with \"enforceExpiry\": \"posture\"",
            ));
        }
    }
}

/// Why traffic from `src` is held to no posture at all, if it is not: posture conditions "are
/// only applied to src devices within your tailnet", and a device shared in "will be able to
/// connect regardless of their posture" (device posture management, tailscale.com/kb/1288).
/// Posture mode's gate (TG056) and the baseline guardrail (TG214) both rest on this.
pub(in crate::check) fn outside_posture(view: &View<'_>, src: &str) -> Option<String> {
    let src = src.trim();
    let shared = |login: &str| {
        let lower = login.to_ascii_lowercase();
        view.external_users.contains(&lower) || view.directory.is_some_and(|d| d.is_shared(login))
    };
    match classify(src) {
        Selector::Wildcard => Some(
            "`*` matches every address, in the tailnet or not, and posture holds only for the tailnet's own devices"
                .into(),
        ),
        Selector::Ip(_) | Selector::Cidr(..) | Selector::Range => Some(format!(
            "{src} is an address: traffic from it (through a subnet router, say) is not from a tailnet device whose posture is checked"
        )),
        Selector::Host(_) | Selector::HostRef(_) => Some(format!(
            "{src} is a host alias, an address: traffic from it is not from a tailnet device whose posture is checked"
        )),
        Selector::Ipset(_) => Some(format!(
            "{src} is a set of addresses: traffic from them is not from tailnet devices whose posture is checked"
        )),
        Selector::Autogroup("danger-all") => {
            Some("autogroup:danger-all matches every address, in the tailnet or not".into())
        }
        Selector::Autogroup("shared") => Some(
            "autogroup:shared is users shared in from other tailnets, whose devices posture does not apply to".into(),
        ),
        // A synced group's members are not in the repository (posture mode refuses it for
        // that reason, below).
        Selector::Group(g) if g.contains('@') => None,
        Selector::Group(_) => view.group_members(src).iter().find(|m| shared(m.trim())).map(|m| {
            format!(
                "{src} holds {}, who is shared in from another tailnet: posture does not apply to their devices",
                m.trim()
            )
        }),
        Selector::User(u) if shared(u) => {
            Some(format!("{u} is shared in from another tailnet: posture does not apply to their devices"))
        }
        _ => None,
    }
}

/// Why a source cannot be held to its fragment's expiry by a posture condition, if it cannot:
/// it is held to no posture, or apply cannot list its devices to mark them.
fn bypass(view: &View<'_>, src: &str) -> Option<String> {
    outside_posture(view, src).or_else(|| {
        let src = src.trim();
        match classify(src) {
            Selector::Autogroup(a) if ROLE_AUTOGROUPS.contains(&a) => Some(format!(
                "{src} is whoever holds a role, which apply cannot list, so it could not mark their devices"
            )),
            Selector::Group(g) if g.contains('@') => Some(format!(
                "{src} is synced from the identity provider: apply cannot list its members to mark their devices"
            )),
            _ => None,
        }
    })
}

const BYPASS_HELP: &str = "name the people (logins), tags or groups of the tailnet who need the access; \
     an address or a shared-in user needs \"enforceExpiry\": \"schedule\" or a permanent, reviewed rule";

/// `TG056`: every source of the fragment's rules, and every member it adds to a group.
fn sources(f: &FragmentFile, view: &View<'_>, findings: &mut Vec<Finding>) {
    let tree = &f.doc.tree;
    let mut report = |v: &Value, why: String| {
        findings.push(Finding::new(
            Code::PostureBypassingSource,
            Location::new(&f.doc.file, v.span()),
            why,
            BYPASS_HELP,
        ));
    };
    for (s, v) in crate::model::rule::fragment_sources(tree) {
        if let Some(why) = bypass(view, &s) {
            report(v, why);
        }
    }
}

/// For each name a rule or definition may use (a group, a host alias, `ipset:NAME`), the
/// files (by path) that use it. A string counts under itself, under what precedes its last
/// `:` (an ACL's `host:port`) and after a `host:` prefix (an IP set's member), so every
/// spelling of a use is found; a name met by chance only makes the check stricter.
fn references<'a>(view: &View<'a>) -> HashMap<String, Vec<&'a str>> {
    fn walk<'a>(v: &Value, file: &'a str, out: &mut HashMap<String, Vec<&'a str>>) {
        if let Some(s) = v.as_str() {
            let s = s.trim();
            let mut names = vec![s];
            names.extend(s.rsplit_once(':').map(|(h, _)| h));
            names.extend(s.strip_prefix("host:"));
            for n in names {
                out.entry(n.to_owned()).or_default().push(file);
            }
        } else if let Some(a) = v.as_array() {
            a.elements.iter().for_each(|e| walk(e, file, out));
        } else if let Some(o) = v.as_object() {
            for m in &o.members {
                walk(&m.name, file, out);
                walk(&m.value, file, out);
            }
        }
    }
    let mut out = HashMap::new();
    let entries: Vec<&Entry<'a>> = view
        .acls
        .iter()
        .chain(&view.grants)
        .chain(&view.ssh)
        .chain(&view.node_attrs)
        .chain(&view.auto_approvers)
        .collect();
    for e in entries {
        walk(e.value, &e.origin.file.path, &mut out);
    }
    // Owning a tag is power too (the group's members can tag devices), and an IP set or a
    // host alias may be made of others.
    for t in view.tag_owners.iter().chain(&view.ipsets).chain(&view.hosts) {
        walk(t.value, &t.origin.file.path, &mut out);
    }
    out
}

fn defined_here(name: &str, first: &str) -> String {
    format!(
        "{name} is defined here and used outside this file ({first}): what that rule reaches through it lasts until the next apply after expiry, which no posture can end"
    )
}

const DEFINITION_HELP: &str = "define it in a permanent, reviewed file, or use it only in this file's rules";

/// `TG057`: what the fragment grants outside its own rules.
fn ungated(f: &FragmentFile, references: &HashMap<String, Vec<&str>>, findings: &mut Vec<Finding>) {
    let tree = &f.doc.tree;
    let here = f.doc.file.path.as_str();
    let outside = |name: &str| -> Option<&str> {
        references.get(name).and_then(|files| files.iter().copied().find(|p| *p != here))
    };
    // People added to a group a rule elsewhere names keep what it grants there; a host alias
    // or IP set defined here and used elsewhere widens that rule by this file's addresses.
    // Both ungated, until the next apply after expiry. (IP set keys carry their `ipset:`
    // prefix, as rules name them.)
    type Message = fn(&str, &str) -> String;
    let definitions: [(&str, Message, &str); 3] = [
        (
            "groups",
            |name, first| {
                format!(
                    "{name} is named outside this file ({first}): the members added here keep what it grants there until the next apply after expiry, which no posture can end"
                )
            },
            "grant the access with a rule in this file (the control plane ends it on time), or make the membership a permanent, reviewed change",
        ),
        ("hosts", defined_here, DEFINITION_HELP),
        ("ipsets", defined_here, DEFINITION_HELP),
    ];
    for (section, message, help) in definitions {
        for d in field(tree, section).and_then(|v| v.as_object()).map_or(&[][..], |o| &o.members[..]) {
            let Some(name) = d.name.as_str() else { continue };
            let name = name.trim();
            if let Some(first) = outside(name) {
                findings.push(Finding::new(
                    Code::UngatedAccess,
                    Location::new(&f.doc.file, d.name.span()),
                    message(name, first),
                    help,
                ));
            }
        }
    }
    let members = tree.as_object().map_or(&[][..], |o| &o.members[..]);
    for m in members {
        let Some(name) = m.name.as_str() else { continue };
        let Some((section, _)) = crate::model::shape::FRAGMENT.field(&name) else { continue };
        if matches!(section, "nodeAttrs" | "tagOwners" | "autoApprovers") {
            findings.push(Finding::new(
                Code::UngatedAccess,
                Location::new(&f.doc.file, m.name.span()),
                format!("{section} take no posture: what this grants lasts until the next apply after expiry"),
                "move it to a permanent, reviewed file, or use \"enforceExpiry\": \"schedule\"",
            ));
        }
    }
}
