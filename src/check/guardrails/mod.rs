//! Guardrails: what a fragment may do, by path (config `guardrails`). These are what stop a
//! pull request from granting its author more than a reviewer meant: access must end, be
//! approved by someone else who owns what it opens, name what it needs, and stay inside the
//! sections the config allows.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::view::{View, field, strings};
use crate::finding::{Code, Finding, Location};
use crate::load::{FragmentFile, Repository};
use crate::model::selector::{Selector, classify, parse_ip_spec, protocol_has_ports, split_host_ports};
use crate::model::{Guardrail, Status, shape};
use crate::parse::Value;

pub fn check(repo: &Repository, view: &View<'_>, at: Timestamp, findings: &mut Vec<Finding>) {
    let rules: Vec<(globset::GlobMatcher, &Guardrail)> = repo
        .config
        .guardrails
        .iter()
        .filter_map(|g| Some((crate::load::glob(&g.matches).ok()?.compile_matcher(), g)))
        .collect();
    for f in &repo.fragments {
        if f.fragment.status(at) == Status::Expired {
            continue; // it grants nothing; TG053 says so
        }
        for (_, g) in rules.iter().filter(|(m, _)| m.is_match(&f.doc.file.rel)) {
            Guard { f, g, view, at, findings }.run();
        }
    }
}

struct Guard<'a, 'v> {
    f: &'a FragmentFile,
    g: &'a Guardrail,
    view: &'a View<'v>,
    at: Timestamp,
    findings: &'a mut Vec<Finding>,
}

impl<'a> Guard<'a, '_> {
    fn report(&mut self, code: Code, at: Location, message: String, help: impl Into<String>) {
        let rule = format!(" (guardrail for {})", self.g.matches);
        self.findings.push(Finding::new(code, at, message + &rule, help));
    }

    fn loc(&self, v: &Value) -> Location {
        Location::new(&self.f.doc.file, v.span.clone())
    }

    /// The opening brace: for findings about something missing.
    fn top(&self) -> Location {
        let s = self.f.doc.tree.span.start;
        Location::new(&self.f.doc.file, s..s + 1)
    }

    /// A top-level field of the fragment (borrowed from the fragment, not from `self`).
    fn value(&self, key: &str) -> Option<&'a Value> {
        let f: &'a FragmentFile = self.f;
        field(&f.doc.tree, key)
    }

    fn run(mut self) {
        let frag = &self.f.fragment;
        if self.g.require_expiry && frag.expires.is_none() {
            let at = self.top();
            self.report(
                Code::MissingExpiry,
                at,
                "this fragment never expires".into(),
                "add \"expires\": an RFC 3339 instant, e.g. \"2026-11-29T17:00:00Z\"",
            );
        }
        if let (Some(max), Some(exp)) = (self.g.max_duration, frag.expires) {
            let start = frag.not_before.map_or(self.at, |nb| nb.max(self.at));
            let span = exp.duration_since(start);
            if span > max.0 {
                let at = self.value("expires").map_or_else(|| self.top(), |v| self.loc(v));
                self.report(
                    Code::MaxDurationExceeded,
                    at,
                    format!(
                        "this fragment lasts {} from {start}, more than the {max} allowed",
                        super::windows::human_duration(span)
                    ),
                    format!(
                        "set expires no later than {}; renew with a new pull request if needed",
                        start.checked_add(max.0).unwrap_or(exp)
                    ),
                );
            }
        }
        if self.g.require_description && frag.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            let at = self.value("description").map_or_else(|| self.top(), |v| self.loc(v));
            self.report(
                Code::MissingDescription,
                at,
                "this fragment has no description".into(),
                "say why the access is needed, with a ticket or incident reference",
            );
        }
        self.sections();
        self.people();
        if self.g.forbid_wildcards {
            self.wildcards();
        }
        if self.g.approvers_must_own_tags {
            self.ownership();
        }
    }

    fn sections(&mut self) {
        let Some(allowed) = &self.g.allow_sections else { return };
        let Some(obj) = self.f.doc.tree.as_object() else { return };
        for m in &obj.members {
            let Some(name) = m.name.as_cow() else { continue };
            let Some((canonical, _)) = shape::FRAGMENT.field(&name) else { continue };
            let is_section =
                canonical == "postureAttributes" || shape::MERGEABLE_SECTIONS.iter().any(|(s, _)| *s == canonical);
            if is_section && !allowed.iter().any(|a| a.eq_ignore_ascii_case(canonical)) {
                let at = self.loc(&m.name);
                self.report(
                    Code::SectionNotAllowed,
                    at,
                    format!("fragments here may not change {canonical}"),
                    format!(
                        "allowed: {}; change {canonical} in the base policy, in its own reviewed pull request",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    /// Requester and approvers are people, and nobody approves their own access.
    fn people(&mut self) {
        let requester = self.value("requester").and_then(|v| Some((v.as_str()?, v)));
        match &requester {
            Some((r, at)) if !matches!(classify(r), Selector::User(_)) => {
                let at = self.loc(at);
                self.report(
                    Code::InvalidPerson,
                    at,
                    format!("requester {r:?} is not a person's login"),
                    "write the requester's login, e.g. alice@example.com",
                );
            }
            None if self.g.require_approvers || self.g.forbid_self_approval => {
                let at = self.top();
                self.report(
                    Code::InvalidPerson,
                    at,
                    "this fragment names no requester".into(),
                    "add \"requester\": the login of the person who asked",
                );
            }
            _ => {}
        }
        let approvers = self.value("approvers").map(strings).unwrap_or_default();
        if self.g.require_approvers && approvers.is_empty() {
            let at = self.value("approvers").map_or_else(|| self.top(), |v| self.loc(v));
            self.report(
                Code::MissingApprovers,
                at,
                "this fragment has no approvers".into(),
                "add \"approvers\": the login of someone who owns what it grants",
            );
        }
        let beneficiaries = self.beneficiaries();
        for (a, at) in &approvers {
            if !matches!(classify(a), Selector::User(_)) {
                let loc = self.loc(at);
                self.report(
                    Code::InvalidPerson,
                    loc,
                    format!("approver {a:?} is not a person's login"),
                    "approvals are personal: name the person who approved",
                );
                continue;
            }
            if !self.g.forbid_self_approval {
                continue;
            }
            let same = |x: &str| x.trim().eq_ignore_ascii_case(a.trim());
            if requester.as_ref().is_some_and(|(r, _)| same(r)) {
                let loc = self.loc(at);
                self.report(
                    Code::SelfApproval,
                    loc,
                    format!("{a} requested this access and cannot approve it"),
                    "ask an owner of the destination to approve",
                );
            } else if beneficiaries.iter().any(|b| same(b)) {
                let loc = self.loc(at);
                self.report(
                    Code::SelfApproval,
                    loc,
                    format!("{a} receives this access and cannot approve it"),
                    "ask an owner of the destination who is not granted access to approve",
                );
            }
        }
    }

    /// Everyone this fragment grants something: users named as sources, members it adds to
    /// groups, and the members of groups named as sources.
    fn beneficiaries(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (section, key) in [("acls", "src"), ("acls", "users"), ("grants", "src"), ("ssh", "src")] {
            for rule in self.value(section).and_then(|v| v.as_array()).map(|a| &a.elements[..]).unwrap_or_default() {
                for (s, _) in field(rule, key).map(strings).unwrap_or_default() {
                    match classify(&s) {
                        Selector::User(u) => out.push(u.to_owned()),
                        Selector::Group(_) => out.extend(self.view.group_members(s.trim()).iter().cloned()),
                        _ => {}
                    }
                }
            }
        }
        if let Some(groups) = self.value("groups").and_then(|g| g.as_object()) {
            for g in &groups.members {
                out.extend(strings(&g.value).into_iter().map(|(s, _)| s.into_owned()));
            }
        }
        out
    }

    fn wildcards(&mut self) {
        let mut hits: Vec<(&Value, String)> = Vec::new();
        let rules = |section: &str| -> Vec<&Value> {
            self.value(section).and_then(|v| v.as_array()).map(|a| a.elements.iter().collect()).unwrap_or_default()
        };
        for (section, keys) in
            [("acls", &["src", "users", "dst", "ports"][..]), ("grants", &["src", "dst"]), ("ssh", &["src", "dst"])]
        {
            for rule in rules(section) {
                for key in keys {
                    let is_src = matches!(*key, "src" | "users");
                    for (s, at) in field(rule, key).map(strings).unwrap_or_default() {
                        let (host, ports) = if section == "acls" && !is_src {
                            split_host_ports(s.trim()).unwrap_or((s.trim(), ""))
                        } else {
                            (s.trim(), "")
                        };
                        let what = match classify(host) {
                            Selector::Wildcard => Some("`*` (every address)".to_owned()),
                            Selector::Autogroup("danger-all") => Some("autogroup:danger-all".to_owned()),
                            Selector::Autogroup("member" | "members") if is_src => {
                                Some("everyone in the tailnet".to_owned())
                            }
                            Selector::Cidr(_, 0) => Some(format!("{host} (every address)")),
                            _ if ports == "*" => Some(format!("every port of {host}")),
                            _ => None,
                        };
                        if let Some(w) = what {
                            hits.push((at, w));
                        }
                    }
                }
                for (spec, at) in field(rule, "ip").map(strings).unwrap_or_default() {
                    if let Ok(ip) = parse_ip_spec(&spec)
                        && ip.ports == [(0, 65535)]
                        && ip.proto.is_none_or(protocol_has_ports)
                    {
                        hits.push((at, format!("every port ({spec})")));
                    }
                }
            }
        }
        for (at, what) in hits {
            let loc = self.loc(at);
            self.report(
                Code::WildcardForbidden,
                loc,
                format!("this fragment grants {what}"),
                "name the sources, destinations and ports that are needed",
            );
        }
    }

    /// Tags this fragment opens: destinations of its rules, and for each group it adds people
    /// to, the destinations the policy's rules give that group and the tags the group owns.
    fn granted_tags(&self) -> BTreeSet<String> {
        let mut tags = BTreeSet::new();
        let add_dst = |d: &str, acl: bool, tags: &mut BTreeSet<String>| {
            let host = if acl { split_host_ports(d.trim()).map_or(d.trim(), |(h, _)| h) } else { d.trim() };
            match classify(host) {
                Selector::Tag(_) => {
                    tags.insert(host.to_owned());
                }
                Selector::Autogroup("tagged") => tags.extend(self.view.tag_owners.iter().map(|t| t.name.clone())),
                _ => {}
            }
        };
        for (section, key) in [("acls", "dst"), ("acls", "ports"), ("grants", "dst"), ("ssh", "dst")] {
            for rule in self.value(section).and_then(|v| v.as_array()).map(|a| &a.elements[..]).unwrap_or_default() {
                for (d, _) in field(rule, key).map(strings).unwrap_or_default() {
                    add_dst(&d, section == "acls", &mut tags);
                }
            }
        }
        let groups: Vec<String> = self
            .value("groups")
            .and_then(|g| g.as_object())
            .map(|o| o.members.iter().filter_map(|m| m.name.as_str()).collect())
            .unwrap_or_default();
        for group in &groups {
            let view = self.view;
            let sections = [(&view.acls, "dst", true), (&view.grants, "dst", false), (&view.ssh, "dst", false)];
            for (entries, key, acl) in sections {
                for e in entries {
                    let srcs =
                        field(e.value, "src").or_else(|| field(e.value, "users")).map(strings).unwrap_or_default();
                    if srcs.iter().any(|(s, _)| s.trim() == group) {
                        for (d, _) in
                            field(e.value, key).or_else(|| field(e.value, "ports")).map(strings).unwrap_or_default()
                        {
                            add_dst(&d, acl, &mut tags);
                        }
                    }
                }
            }
            // Membership of a tag's owning group is the power to create devices with that tag.
            for t in &view.tag_owners {
                if strings(t.value).iter().any(|(o, _)| o.trim() == group) {
                    tags.insert(t.name.clone());
                }
            }
        }
        tags
    }

    fn ownership(&mut self) {
        let tags = self.granted_tags();
        if tags.is_empty() {
            return;
        }
        for (a, at) in self.value("approvers").map(strings).unwrap_or_default() {
            if !matches!(classify(&a), Selector::User(_)) {
                continue; // reported as TG209
            }
            for tag in &tags {
                match owns(self.view, a.trim(), tag) {
                    Ownership::Owns => {}
                    Ownership::Unknown(why) => {
                        let loc = self.loc(at);
                        self.report(
                            Code::OwnershipUnverified,
                            loc,
                            format!("cannot verify offline that {a} owns {tag}: {why}"),
                            "a reviewer must confirm the approver may grant access to this tag",
                        );
                    }
                    Ownership::No => {
                        let owners = self.view.tag_owner_list(tag);
                        let loc = self.loc(at);
                        self.report(
                            Code::ApproverNotOwner,
                            loc,
                            format!("{a} does not own {tag}, which this fragment grants access to"),
                            format!("ask an owner of {tag} to approve (tagOwners: {})", owners.join(", ")),
                        );
                    }
                }
            }
        }
    }
}

enum Ownership {
    Owns,
    No,
    Unknown(String),
}

/// Whether `person` owns `tag`: listed directly, a member of a listed group, or an owner of a
/// listed tag (whoever can create that tag's devices can create this one's). Role autogroups,
/// synced groups and the empty list (admins only) cannot be resolved offline.
fn owns(view: &View<'_>, person: &str, tag: &str) -> Ownership {
    let mut seen = BTreeSet::new();
    let mut unknown = None;
    let mut stack = vec![tag.to_owned()];
    while let Some(t) = stack.pop() {
        if !seen.insert(t.clone()) {
            continue; // ownership cycles are legal
        }
        let owners = view.tag_owner_list(&t);
        if owners.is_empty() {
            unknown.get_or_insert_with(|| format!("{t} has no listed owners, so only admins may apply it"));
        }
        for o in owners {
            match classify(o.trim()) {
                Selector::User(u) if u.eq_ignore_ascii_case(person) => return Ownership::Owns,
                Selector::Group(g) if g.contains('@') => {
                    unknown.get_or_insert_with(|| format!("{} is synced from the identity provider", o.trim()));
                }
                Selector::Group(_)
                    if view.group_members(o.trim()).iter().any(|m| m.trim().eq_ignore_ascii_case(person)) =>
                {
                    return Ownership::Owns;
                }
                Selector::Tag(_) => stack.push(o.trim().to_owned()),
                Selector::Autogroup(a) => {
                    unknown.get_or_insert_with(|| {
                        format!("autogroup:{a} owns {t}, and its members are not in the repository")
                    });
                }
                _ => {}
            }
        }
    }
    unknown.map_or(Ownership::No, Ownership::Unknown)
}
