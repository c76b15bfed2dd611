//! What a fragment reaches: the destinations it opens and the identities it benefits, by every
//! path a fragment has to power. Its own rules are the obvious path; adding someone to a group
//! opens whatever the policy gives that group (its rules, the tags it owns, the auto-approvals
//! and node attributes it is named in); setting a posture attribute opens whatever rules gated
//! on a posture that reads it allow. Ownership, wildcard and self-approval guardrails all judge
//! this one list, so a path found once is covered by each.

use std::collections::HashMap;

use crate::finding::Location;
use crate::load::FragmentFile;
use crate::load::view::{Entry, Origin, View, field, strings};
use crate::model::rule::{self, DstPorts, Rule, Section};
use crate::model::selector::Protos;
use crate::model::selector::{PortRange, parse_ip_spec, parse_protocol};
use crate::parse::Value;

/// The pseudo-destination for being named in `nodeAttrs` (node capabilities such as funnel).
pub(crate) const NODE_ATTRS: &str = "section:nodeAttrs";
/// The pseudo-destination for being named in `autoApprovers` (routes approved without review).
pub(crate) const AUTO_APPROVERS: &str = "section:autoApprovers";

/// Something a fragment opens.
pub(crate) struct Opened<'a> {
    /// The destination as the policy names it (`tag:prod-db`, `10.0.0.0/8`, `db`…), without
    /// ports; or one of the `section:` pseudo-destinations.
    pub(crate) dst: String,
    /// Where in the fragment it comes from: the rule's destination, the group member added, the
    /// posture attribute set.
    pub(crate) at: &'a Value,
    pub(crate) via: Via,
    /// The ports opened, for network rules.
    pub(crate) ports: Option<Ports>,
    /// Where the ports are written: the ACL destination, or the grant's `ip` entry.
    pub(crate) ports_at: &'a Value,
    /// For the fragment's own rules: the rule's sources (trimmed).
    pub(crate) srcs: Vec<String>,
}

/// How a fragment comes to open a destination.
#[derive(Clone)]
pub(crate) enum Via {
    /// One of its own rules.
    Rule,
    /// Adding people to `group`, which the rule at `rule` lets reach the destination.
    Membership { group: String, rule: Location },
    /// Adding people to `group`, which owns the tag (owners can put it on their devices).
    Ownership { group: String },
    /// Adding people to `group`, which `nodeAttrs` or `autoApprovers` name.
    Power { group: String, at: Location },
    /// Setting posture attribute `key`, which `posture` reads, on a rule that posture gates.
    Posture { key: String, posture: String, rule: Location },
    /// Adding the destination (a person) to `group`, which the rule at `rule` lets others reach:
    /// their devices are opened to the rule's sources.
    Exposure { group: String, rule: Location },
    /// Routing through the tag in a grant's `via` (an exit node, a subnet router, a connector).
    Router,
    /// Its own `nodeAttrs` or `autoApprovers` entries.
    Section,
}

impl Via {
    /// A clause for messages: ` (by adding people to group:eng, which policy.hujson:40:3 lets reach it)`.
    pub(super) fn clause(&self) -> String {
        match self {
            Via::Rule | Via::Section => String::new(),
            Via::Membership { group, rule } => {
                format!(" (by adding people to {group}, which the rule at {} lets reach it)", at(rule))
            }
            Via::Ownership { group } => format!(" (by adding people to {group}, which owns it)"),
            Via::Power { group, at: loc } => format!(" (by adding people to {group}, named at {})", at(loc)),
            Via::Posture { key, posture, rule } => {
                format!(" (by setting {key}, which {posture} reads, gating the rule at {})", at(rule))
            }
            Via::Exposure { group, rule } => {
                format!(" (by adding them to {group}, which the rule at {} opens to others)", at(rule))
            }
            Via::Router => " (as the router traffic goes through, in `via`)".to_owned(),
        }
    }
}

fn at(l: &Location) -> String {
    format!("{}:{}:{}", l.file, l.line, l.column)
}

/// Protocols and ports a network rule opens on a destination.
#[derive(Clone)]
pub(crate) struct Ports {
    pub(crate) protos: Protos,
    pub(crate) ranges: Vec<PortRange>,
}

/// A source of one of the fragment's own rules.
pub(crate) struct Source<'a> {
    pub(crate) sel: String,
    pub(crate) at: &'a Value,
}

/// Everything a fragment reaches.
pub(crate) struct Reach<'a> {
    pub(crate) opened: Vec<Opened<'a>>,
    pub(crate) sources: Vec<Source<'a>>,
    /// Sources of other rules that reach someone this fragment adds to a group those rules name
    /// as a destination: they benefit, though the fragment does not name them.
    pub(crate) exposed_to: Vec<(Source<'a>, String)>,
    /// People the fragment adds to groups: (member, group, where).
    pub(crate) members_added: Vec<(String, String, &'a Value)>,
    /// Posture attributes the fragment sets: (device, key, where).
    pub(crate) devices: Vec<(String, String, &'a Value)>,
}

/// A rule's destination: the host, its ports, where the host and the ports are written.
type Destination<'v> = (String, Option<Ports>, &'v Value, &'v Value);

/// A rule's destinations with their ports; SSH rules and app-only grants open hosts without
/// ports.
fn rule_destinations<'v>(rule: &Rule<'v>) -> Vec<Destination<'v>> {
    let mut out = Vec::new();
    match rule.section {
        Section::Acls => {
            let protos = match rule.proto.and_then(|p| p.as_str()) {
                Some(p) => match parse_protocol(p.trim()) {
                    Ok(n) => Protos::One(n),
                    Err(_) => return out, // TG114 says why; the rule opens nothing
                },
                None => Protos::Default,
            };
            for d in &rule.destinations {
                let ranges = match &d.ports {
                    DstPorts::Acl(ranges) => ranges.clone(),
                    DstPorts::Unwritten | DstPorts::Invalid => Vec::new(),
                };
                out.push((d.sel.text.clone().into_owned(), Some(Ports { protos, ranges }), d.sel.at, d.sel.at));
            }
        }
        Section::Grants => {
            let specs: Vec<(Ports, &Value)> = rule
                .ip
                .map(strings)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(s, at)| {
                    let s = s.trim();
                    let spec = parse_ip_spec(s).ok()?;
                    let protos = match spec.proto {
                        None if s == "*" => Protos::All,
                        None => Protos::Default,
                        Some(n) => Protos::One(n),
                    };
                    Some((Ports { protos, ranges: spec.ports }, at))
                })
                .collect();
            for d in &rule.destinations {
                let (host, at) = (d.sel.text.clone().into_owned(), d.sel.at);
                if specs.is_empty() {
                    out.push((host.clone(), None, at, at)); // app capabilities only
                }
                for (spec, spec_at) in &specs {
                    out.push((host.clone(), Some(spec.clone()), at, spec_at));
                }
            }
        }
        Section::Ssh => {
            for d in &rule.destinations {
                out.push((d.sel.text.clone().into_owned(), None, d.sel.at, d.sel.at));
            }
        }
    }
    out
}

const RULE_SECTIONS: [Section; 3] = [Section::Acls, Section::Grants, Section::Ssh];

/// Where a section's rules sit in a `[_; 3]` ordered as [`RULE_SECTIONS`].
fn slot(section: Section) -> usize {
    match section {
        Section::Acls => 0,
        Section::Grants => 1,
        Section::Ssh => 2,
    }
}

impl<'a> Reach<'a> {
    /// Whether setting posture attribute `key` opens anything: some posture reads it.
    pub(super) fn posture_opens(&self, key: &str) -> bool {
        self.opened.iter().any(|o| matches!(&o.via, Via::Posture { key: k, .. } if k.eq_ignore_ascii_case(key)))
    }

    pub(super) fn of(f: &'a FragmentFile, uses: &Uses<'a>) -> Reach<'a> {
        let own = |e: &Entry<'_>| std::ptr::eq(e.origin.file, &f.doc.file);
        let tree = &f.doc.tree;
        let mut reach = Reach {
            opened: Vec::new(),
            sources: Vec::new(),
            exposed_to: Vec::new(),
            members_added: Vec::new(),
            devices: Vec::new(),
        };
        for section in RULE_SECTIONS {
            let written = rule::section(tree, section).unwrap_or_default();
            // The fragment's own rules as the view read them when it is in the view, and read
            // here when it is not (an expired fragment, for `approvals`). The view holds every
            // spelling of the section's key (`acls` and `ACLs`), the tree's lookup the first:
            // only when the counts agree are they the same rules, one for one.
            let viewed = uses.rules_of(&f.doc.file.rel, section).filter(|v| v.len() == written.len());
            for (i, rule) in written.iter().enumerate() {
                let read;
                let typed = match viewed {
                    Some(viewed) => viewed[i],
                    None => {
                        read = Rule::of(section, rule);
                        &read
                    }
                };
                let mut srcs = Vec::new();
                for s in &typed.sources {
                    srcs.push(s.text.clone().into_owned());
                    reach.sources.push(Source { sel: s.text.clone().into_owned(), at: s.at });
                }
                for (dst, ports, at, ports_at) in rule_destinations(typed) {
                    reach.opened.push(Opened { dst, at, via: Via::Rule, ports, ports_at, srcs: srcs.clone() });
                }
                // Routing through a tag's devices is theirs to allow too.
                for t in &typed.via {
                    let at = t.at;
                    reach.opened.push(Opened {
                        dst: t.text.clone().into_owned(),
                        at,
                        via: Via::Router,
                        ports: None,
                        ports_at: at,
                        srcs: Vec::new(),
                    });
                }
            }
        }
        for section in ["nodeAttrs", "autoApprovers"] {
            if let Some(v) = field(tree, section) {
                let dst = if section == "nodeAttrs" { NODE_ATTRS } else { AUTO_APPROVERS };
                reach.opened.push(Opened {
                    dst: dst.into(),
                    at: v,
                    via: Via::Section,
                    ports: None,
                    ports_at: v,
                    srcs: Vec::new(),
                });
            }
        }
        if let Some(groups) = field(tree, "groups").and_then(|g| g.as_object()) {
            for g in &groups.members {
                let Some(group) = g.name.as_str() else { continue };
                let added = strings(&g.value);
                for (m, at) in &added {
                    reach.members_added.push((m.trim().to_owned(), group.clone(), at));
                }
                // Point at the first member added: that is what the change is.
                let at = added.first().map_or(&g.name, |(_, v)| *v);
                reach.through_group(&group, at, uses, &own);
                for (m, at) in &added {
                    reach.exposing(m.trim(), &group, at, uses);
                }
            }
        }
        if let Some(attrs) = field(tree, "postureAttributes").and_then(|v| v.as_array()) {
            for a in &attrs.elements {
                let device = field(a, "device").and_then(|d| Some((d.as_str()?, d)));
                let key = field(a, "key").and_then(|k| k.as_str());
                if let (Some((d, at)), Some(k)) = (device, &key) {
                    reach.devices.push((d.trim().to_owned(), k.trim().to_owned(), at));
                }
                if let Some((key, at)) = field(a, "key").and_then(|k| Some((k.as_str()?, k))) {
                    reach.through_posture(key.trim(), at, uses);
                }
            }
        }
        reach
    }

    /// What adding someone to `group` opens, by the rules, tag owners, auto-approvers and node
    /// attributes that name it anywhere in the policy (base, and fragments active or pending).
    fn through_group(&mut self, group: &str, at: &'a Value, uses: &Uses<'_>, own: &dyn Fn(&Entry<'_>) -> bool) {
        // The fragment's own rules are counted as its own already.
        for (e, r) in uses.rules_by_source.get(group).into_iter().flatten().filter(|(e, _)| !own(e)) {
            let rule = e.origin.at(e.value);
            for (dst, ports, ..) in rule_destinations(r) {
                let via = Via::Membership { group: group.to_owned(), rule: rule.clone() };
                self.opened.push(Opened { dst, at, via, ports, ports_at: at, srcs: Vec::new() });
            }
        }
        for tag in uses.tags_by_owner.get(group).into_iter().flatten() {
            let via = Via::Ownership { group: group.to_owned() };
            self.opened.push(Opened { dst: tag.clone(), at, via, ports: None, ports_at: at, srcs: Vec::new() });
        }
        for (dst, named) in [(NODE_ATTRS, &uses.node_attrs), (AUTO_APPROVERS, &uses.auto_approvers)] {
            for (origin, list) in named.get(group).into_iter().flatten() {
                let via = Via::Power { group: group.to_owned(), at: origin.at(list) };
                self.opened.push(Opened { dst: dst.into(), at, via, ports: None, ports_at: at, srcs: Vec::new() });
            }
        }
    }

    /// What adding `member` to `group` exposes: where rules name `group` as a destination, the
    /// member's devices become reachable from those rules' sources, who thereby benefit.
    fn exposing(&mut self, member: &str, group: &str, at: &'a Value, uses: &Uses<'_>) {
        for (e, r) in uses.rules_by_destination.get(group).into_iter().flatten() {
            let rule = e.origin.at(e.value);
            for (dst, ports, ..) in rule_destinations(r) {
                if dst != group {
                    continue;
                }
                let via = Via::Exposure { group: group.to_owned(), rule: rule.clone() };
                self.opened.push(Opened { dst: member.to_owned(), at, via, ports, ports_at: at, srcs: Vec::new() });
            }
            for s in &r.sources {
                let why =
                    format!("{group}, which the rule at {}:{}:{} lets them reach", rule.file, rule.line, rule.column);
                self.exposed_to.push((Source { sel: s.text.clone().into_owned(), at }, why));
            }
        }
    }

    /// What setting posture attribute `key` opens: the destinations of every rule gated on a
    /// posture with a condition on that attribute (a rule's own `srcPosture`, or else the
    /// policy's `defaultSrcPosture`). The device's owner is not known offline, so every such
    /// rule counts.
    fn through_posture(&mut self, key: &str, at: &'a Value, uses: &Uses<'_>) {
        for posture in uses.postures_by_attribute.get(&key.to_ascii_lowercase()).into_iter().flatten() {
            for (e, r) in uses.rules_by_posture.get(posture).into_iter().flatten() {
                let rule = e.origin.at(e.value);
                for (dst, ports, ..) in rule_destinations(r) {
                    let via = Via::Posture { key: key.to_owned(), posture: posture.clone(), rule: rule.clone() };
                    self.opened.push(Opened { dst, at, via, ports, ports_at: at, srcs: Vec::new() });
                }
            }
        }
    }
}

/// Where the policy names each group and posture attribute, found once for all fragments so
/// that judging one fragment costs what it reaches, not the size of the policy.
pub(crate) struct Uses<'v> {
    /// Rules by each source they name.
    rules_by_source: HashMap<String, Vec<(Entry<'v>, &'v Rule<'v>)>>,
    /// Rules by each group they name as a destination.
    rules_by_destination: HashMap<String, Vec<(Entry<'v>, &'v Rule<'v>)>>,
    /// Tags by each owner `tagOwners` lists for them.
    tags_by_owner: HashMap<String, Vec<String>>,
    /// `nodeAttrs` targets and `autoApprovers` approvers, by the selector named, with the list
    /// naming it.
    node_attrs: HashMap<String, Vec<(Origin<'v>, &'v Value)>>,
    auto_approvers: HashMap<String, Vec<(Origin<'v>, &'v Value)>>,
    /// Postures by each attribute (lowercased) a condition of theirs reads.
    postures_by_attribute: HashMap<String, Vec<String>>,
    /// Rules by each posture that gates them: their own `srcPosture`, else `defaultSrcPosture`.
    rules_by_posture: HashMap<String, Vec<(Entry<'v>, &'v Rule<'v>)>>,
    /// Each fragment's rules as the view read them, by its path and section, so that a
    /// fragment's reach does not read them again.
    rules_by_file: HashMap<&'v str, [Vec<&'v Rule<'v>>; 3]>,
}

impl<'v> Uses<'v> {
    pub(super) fn of(view: &'v View<'v>) -> Uses<'v> {
        let mut uses = Uses {
            rules_by_source: HashMap::new(),
            rules_by_destination: HashMap::new(),
            tags_by_owner: HashMap::new(),
            node_attrs: HashMap::new(),
            auto_approvers: HashMap::new(),
            postures_by_attribute: HashMap::new(),
            rules_by_posture: HashMap::new(),
            rules_by_file: HashMap::new(),
        };
        let trimmed = |v: &Value| -> Vec<String> { strings(v).into_iter().map(|(s, _)| s.trim().to_owned()).collect() };
        for (e, r) in RULE_SECTIONS.into_iter().flat_map(|section| view.rules(section)) {
            if let Some(f) = e.origin.fragment {
                uses.rules_by_file.entry(f.doc.file.rel.as_str()).or_default()[slot(r.section)].push(r);
            }
            let mut srcs: Vec<String> = r.sources.iter().map(|s| s.text.clone().into_owned()).collect();
            srcs.dedup();
            for s in srcs {
                uses.rules_by_source.entry(s).or_default().push((e, r));
            }
            let mut groups: Vec<String> = rule_destinations(r)
                .into_iter()
                .map(|(d, ..)| d)
                .filter(|d| matches!(crate::model::selector::classify(d), crate::model::selector::Selector::Group(_)))
                .collect();
            groups.dedup();
            for g in groups {
                uses.rules_by_destination.entry(g).or_default().push((e, r));
            }
            for p in view.required_postures(r) {
                uses.rules_by_posture.entry(p.text.clone().into_owned()).or_default().push((e, r));
            }
        }
        for t in &view.tag_owners {
            for o in trimmed(t.value) {
                uses.tags_by_owner.entry(o).or_default().push(t.name.clone());
            }
        }
        for (e, na) in view.node_attrs() {
            let Some(list) = na.target_list else { continue };
            for t in &na.targets {
                uses.node_attrs.entry(t.text.clone().into_owned()).or_default().push((e.origin, list));
            }
        }
        // Every list of approvers, under any key and in any spelling: what one approves is not
        // judged here, only who is named.
        for (e, lists) in view.auto_approvers() {
            for l in lists {
                for a in &l.approvers {
                    uses.auto_approvers.entry(a.text.clone().into_owned()).or_default().push((e.origin, l.list));
                }
            }
        }
        for p in &view.postures {
            for c in &p.conditions {
                let names = uses.postures_by_attribute.entry(c.attribute().to_ascii_lowercase()).or_default();
                if !names.contains(&p.name) {
                    names.push(p.name.clone());
                }
            }
        }
        uses
    }

    /// The view's reading of the rules of `section` of the fragment at `rel`, if the view
    /// holds that fragment.
    fn rules_of(&self, rel: &str, section: Section) -> Option<&[&'v Rule<'v>]> {
        self.rules_by_file.get(rel).map(|r| r[slot(section)].as_slice())
    }
}
