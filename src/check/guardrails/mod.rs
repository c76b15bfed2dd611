//! Guardrails: what a fragment may do, by path (config `guardrails`).
//!
//! The threat model (README, "Security model"): the base policy, `tailgrant.hujson` and files no
//! guardrail covers are trusted; every file a guardrail covers is written by the person who
//! wants the access, who knows these rules, for a reviewer who skims. So each guardrail judges
//! what the fragment *reaches* by every path it has (`reach`), not what it spells: its own
//! rules, the groups it adds people to, the posture attributes it sets. Approval rights come
//! from trusted ground only (`ownership`). Where the repository cannot prove something is
//! allowed, the guardrail refuses or says a reviewer must decide; it never passes silently.

mod addresses;
mod baseline;
mod ownership;
mod people;
mod reach;
mod text;
mod wide;

use std::collections::BTreeMap;

use globset::GlobMatcher;
use jiff::Timestamp;

pub(crate) use self::reach::{AUTO_APPROVERS, NODE_ATTRS};

use self::ownership::{Ground, Ownership};
use self::reach::{Opened, Reach, Uses, Via};
use super::approvers::{Conflict, Destination, Judgement};
use crate::finding::{Code, Finding, Location};
use crate::load::view::{View, field, strings};
use crate::load::{FragmentFile, Repository};
use crate::model::devices::Found;
use crate::model::selector::{Selector, classify, login_problem};
use crate::model::{Config, Guardrail, Status, shape};
use crate::parse::Value;

/// A guardrail's `match`, compiled. A glob that does not compile covers every fragment, so a
/// typo in the config tightens rather than silently drops the guardrail (`TG008` reports it).
pub(crate) enum Matcher {
    Glob(GlobMatcher),
    Everything,
}

impl Matcher {
    pub(crate) fn is_match(&self, rel: &str) -> bool {
        match self {
            Matcher::Glob(g) => g.is_match(rel),
            Matcher::Everything => true,
        }
    }
}

/// The config's guardrails with their compiled `match`.
pub(crate) fn matchers(config: &Config) -> Vec<(Matcher, &Guardrail)> {
    config
        .guardrails
        .iter()
        .map(|g| {
            let m = crate::load::glob(&g.matches).map_or(Matcher::Everything, |g| Matcher::Glob(g.compile_matcher()));
            (m, g)
        })
        .collect()
}

/// Trusted ground: the base, and the permanent fragments in force that no guardrail covers.
fn trusted<'r>(repo: &'r Repository, at: Timestamp, rules: &[(Matcher, &Guardrail)]) -> View<'r> {
    let guarded = |f: &FragmentFile| rules.iter().any(|(m, _)| m.is_match(&f.doc.file.rel));
    View::with(repo, |f| !guarded(f) && f.fragment.expires.is_none() && f.fragment.status(at) == Status::Active)
}

pub(super) fn check(repo: &Repository, view: &View<'_>, at: Timestamp, findings: &mut Vec<Finding>) {
    let rules = matchers(&repo.config);
    let trusted = trusted(repo, at, &rules);
    let ground = Ground { trusted: &trusted, all: view, owners: &repo.config.owners };
    let uses = Uses::of(view);
    let mut across = Across::default();
    for f in &repo.fragments {
        if f.fragment.status(at) == Status::Expired {
            continue; // it grants nothing; TG053 says so
        }
        let matching: Vec<&Guardrail> =
            rules.iter().filter(|(m, _)| m.is_match(&f.doc.file.rel)).map(|(_, g)| *g).collect();
        if matching.is_empty() {
            continue;
        }
        text::check(f, findings);
        let reach = Reach::of(f, &uses);
        for g in &matching {
            Guard { f, g, view, ground: &ground, reach: &reach, inventory: repo.inventory.as_ref(), at, findings }
                .run();
        }
        if let Some(g) = matching.iter().find(|g| g.forbid_wildcards) {
            across.add(f, g, &reach, view);
        }
    }
    across.check(findings);
}

/// What one source holds on one destination, per fragment (by index) and where it is written.
type Held<'v, T> = Vec<(usize, T, &'v Value)>;

/// `forbidWildcards` across files: what one source holds on one destination at one time is
/// counted over every guarded fragment in force with it, so that `tcp:1-32767` in one file and
/// `tcp:32768-65535` in another (or two halves of an address range) are every port (or too
/// wide) just as in one file. Each fragment's reach is folded in as it is judged, and not
/// kept: only what it opens by its own rules is.
#[derive(Default)]
struct Across<'v> {
    judged: Vec<(&'v FragmentFile, &'v Guardrail)>,
    /// Per (source, destination) the ports each fragment opens. In the order first met, not
    /// a hash's: findings at one place sort no further, so this order is the output's.
    ports: indexmap::IndexMap<(String, String), Held<'v, wide::PortsOpened>>,
    /// Per source the addresses of each fragment's destinations (also in the order met).
    addrs: indexmap::IndexMap<String, Held<'v, crate::model::addrs::AddrSet>>,
}

impl<'v> Across<'v> {
    fn add(&mut self, f: &'v FragmentFile, g: &'v Guardrail, reach: &Reach<'v>, view: &View<'_>) {
        let i = self.judged.len();
        self.judged.push((f, g));
        for o in reach.opened.iter().filter(|o| matches!(o.via, Via::Rule)) {
            for s in &o.srcs {
                if let Some(p) = &o.ports {
                    let list = self.ports.entry((s.clone(), o.dst.clone())).or_default();
                    match list.last_mut() {
                        Some((j, opened, _)) if *j == i => opened.add(p),
                        _ => {
                            let mut opened = wide::PortsOpened::default();
                            opened.add(p);
                            list.push((i, opened, o.ports_at));
                        }
                    }
                }
                if let Some(set) = addresses::addresses(view, &o.dst) {
                    let list = self.addrs.entry(s.clone()).or_default();
                    match list.last_mut() {
                        Some((j, union, _)) if *j == i => union.union(&set),
                        _ => list.push((i, set, o.at)),
                    }
                }
            }
        }
    }

    fn check(self, findings: &mut Vec<Finding>) {
        let Across { judged, ports, addrs } = self;
        let overlap = |a: &FragmentFile, b: &FragmentFile| a.fragment.overlaps(&b.fragment);
        let mut report = |i: usize, others: &[usize], at: &Value, what: String| {
            let (f, g) = &judged[i];
            let names: Vec<&str> = others.iter().map(|&j| judged[j].0.doc.file.rel.as_str()).collect();
            findings.push(Finding::new(
                Code::WildcardForbidden,
                Location::new(&f.doc.file, at.span()),
                format!(
                    "together with {}, in force at the same time, this fragment grants {what} (guardrail for {})",
                    names.join(", "),
                    g.matches
                ),
                "name the sources, destinations and ports that are needed; splitting a grant across files does not narrow it",
            ));
        };
        for ((src, dst), list) in &ports {
            if list.len() < 2 {
                continue;
            }
            for (i, mine, at) in list {
                let g = judged[*i].1;
                if mine.too_wide(dst, g.max_ports).is_some() {
                    continue; // too wide on its own: reported for the file alone
                }
                let mut total = wide::PortsOpened::default();
                let mut others = Vec::new();
                for (j, theirs, _) in list.iter().filter(|(j, ..)| overlap(judged[*i].0, judged[*j].0)) {
                    total.merge(theirs);
                    if j != i {
                        others.push(*j);
                    }
                }
                if let Some(what) = total.too_wide(dst, g.max_ports).filter(|_| !others.is_empty()) {
                    report(*i, &others, at, format!("{what} to {src}"));
                }
            }
        }
        for (src, list) in &addrs {
            if list.len() < 2 {
                continue;
            }
            for (i, mine, at) in list {
                let g = judged[*i].1;
                if wide::addresses_too_wide(mine, g.widest_prefix) {
                    continue;
                }
                let mut total = crate::model::addrs::AddrSet::default();
                let mut others = Vec::new();
                for (j, theirs, _) in list.iter().filter(|(j, ..)| overlap(judged[*i].0, judged[*j].0)) {
                    total.union(theirs);
                    if j != i {
                        others.push(*j);
                    }
                }
                if !others.is_empty() && wide::addresses_too_wide(&total, g.widest_prefix) {
                    report(*i, &others, at, format!("{src} destinations that together cover {}", total.describe()));
                }
            }
        }
    }
}

/// Who among `candidates` may not approve the fragment at `rel`, and who of them owns what it
/// opens: the `forbidSelfApproval` and `approversMustOwnTags` guardrails' own reading, for
/// `tailgrant approvals` (`check::approvers`). `None` when no such fragment loaded.
pub(crate) fn judge(repo: &Repository, at: Timestamp, rel: &str, candidates: &[String]) -> Option<Judgement> {
    let f = repo.fragments.iter().find(|f| f.doc.file.rel == rel)?;
    let rules = matchers(&repo.config);
    let trusted = trusted(repo, at, &rules);
    let view = View::build(repo, at);
    let ground = Ground { trusted: &trusted, all: &view, owners: &repo.config.owners };
    let uses = Uses::of(&view);
    let reach = Reach::of(f, &uses);
    let requester = f.fragment.requester.as_deref().map(str::trim);
    let mut conflicts = Vec::new();
    for person in candidates {
        let why = if requester.is_some_and(|r| r.eq_ignore_ascii_case(person.trim())) {
            Some("requested this access".to_owned())
        } else {
            people::benefit(&reach, &view, ground.owners, person).map(|b| {
                let verb = if b.certain { "receives" } else { "may receive" };
                format!("{verb} this access: {person} {}", b.why)
            })
        };
        if let Some(why) = why {
            conflicts.push(Conflict { person: person.clone(), why });
        }
    }
    let mut destinations: Vec<Destination> = Vec::new();
    for o in &reach.opened {
        if matches!(classify(&o.dst), Selector::Autogroup("self")) || destinations.iter().any(|d| d.dst == o.dst) {
            continue;
        }
        let owners = candidates.iter().filter(|c| ground.owns(c, &o.dst) == Ownership::Owns).cloned().collect();
        let at = Location::new(&f.doc.file, o.at.span());
        destinations.push(Destination { dst: o.dst.clone(), at, owners });
    }
    Some(Judgement { conflicts, destinations })
}

struct Guard<'a, 'v> {
    f: &'a FragmentFile,
    g: &'a Guardrail,
    view: &'a View<'v>,
    ground: &'a Ground<'a>,
    reach: &'a Reach<'a>,
    inventory: Option<&'a crate::model::devices::Inventory>,
    at: Timestamp,
    findings: &'a mut Vec<Finding>,
}

impl<'a> Guard<'a, '_> {
    fn report(&mut self, code: Code, at: Location, message: String, help: impl Into<String>) -> &mut Finding {
        let rule = format!(" (guardrail for {})", self.g.matches);
        self.findings.push(Finding::new(code, at, message + &rule, help));
        self.findings.last_mut().expect("just pushed")
    }

    fn loc(&self, v: &Value) -> Location {
        Location::new(&self.f.doc.file, v.span())
    }

    /// The opening brace: for findings about something missing.
    fn top(&self) -> Location {
        let s = self.f.doc.tree.span().start;
        Location::new(&self.f.doc.file, s..s + 1)
    }

    /// A top-level field of the fragment (borrowed from the fragment, not from `self`).
    fn value(&self, key: &str) -> Option<&'a Value> {
        let f: &'a FragmentFile = self.f;
        field(&f.doc.tree, key)
    }

    /// The approvers that are logins, with where each is written.
    fn approvers(&self) -> Vec<(String, &'a Value)> {
        let list = self.value("approvers").map(strings).unwrap_or_default();
        list.into_iter().filter(|(a, _)| login_problem(a).is_none()).map(|(a, v)| (a.into_owned(), v)).collect()
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
        self.posture_baseline();
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

    /// Requester and approvers are people's logins, and nobody approves access that reaches
    /// them.
    fn people(&mut self) {
        let requester = self.value("requester").and_then(|v| Some((v.as_str()?, v)));
        match &requester {
            Some((r, at)) => {
                if let Some(problem) = login_problem(r) {
                    let at = self.loc(at);
                    self.report(
                        Code::InvalidPerson,
                        at,
                        format!("requester {r:?} is not a person's login: it {problem}"),
                        "write the requester's login, e.g. alice@example.com",
                    );
                }
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
            None => {}
        }
        let listed = self.value("approvers").map(strings).unwrap_or_default();
        if self.g.require_approvers && listed.is_empty() {
            let at = self.value("approvers").map_or_else(|| self.top(), |v| self.loc(v));
            self.report(
                Code::MissingApprovers,
                at,
                "this fragment has no approvers".into(),
                "add \"approvers\": the login of someone who owns what it grants",
            );
        }
        for (a, at) in &listed {
            if let Some(problem) = login_problem(a) {
                let loc = self.loc(at);
                self.report(
                    Code::InvalidPerson,
                    loc,
                    format!("approver {a:?} is not a person's login: it {problem}"),
                    "approvals are personal: name the person who approved, as name@domain",
                );
            }
        }
        if !self.g.forbid_self_approval {
            return;
        }
        for (a, at) in self.approvers() {
            let loc = self.loc(at);
            if requester.as_ref().is_some_and(|(r, _)| r.trim().eq_ignore_ascii_case(a.trim())) {
                self.report(
                    Code::SelfApproval,
                    loc,
                    format!("{a} requested this access and cannot approve it"),
                    "ask an owner of the destination to approve",
                );
            } else if let Some(b) = people::benefit(self.reach, self.view, self.ground.owners, &a) {
                let verb = if b.certain { "receives" } else { "may receive" };
                let related = self.loc(b.at);
                self.report(
                    Code::SelfApproval,
                    loc,
                    format!("{a} {verb} this access and cannot approve it: {a} {}", b.why),
                    "ask an owner of the destination who gets nothing from this fragment to approve",
                )
                .related
                .push((related, "the access reaches them here".into()));
            }
        }
        self.device_owners();
    }

    /// A posture attribute set on an approver's device benefits the approver. Who owns a
    /// device is live state: the devices file decides it, or `apply` does (it refuses to set an
    /// attribute on an approver's device).
    fn device_owners(&mut self) {
        let approvers = self.approvers();
        for (device, key, at) in &self.reach.devices {
            if approvers.is_empty() || !self.reach.posture_opens(key) {
                continue; // an attribute no posture reads grants nothing
            }
            let found = self.inventory.map(|inv| inv.find(device));
            let owner = match found {
                Some(Found::One(d)) => d,
                _ => {
                    let why = match found {
                        None => "no devices file is configured",
                        Some(Found::Nothing) => "the devices file has no such device",
                        _ => "the devices file has several devices by that name",
                    };
                    let loc = self.loc(at);
                    self.report(
                        Code::DeviceOwnerUnverified,
                        loc,
                        format!("cannot verify offline that no approver owns device {device:?}, on which this fragment sets {key}: {why}"),
                        "`apply` refuses to set it on an approver's device; a devices file (config `devices`) lets `check` decide",
                    );
                    continue;
                }
            };
            for (a, a_at) in &approvers {
                let by_tag = owner
                    .tags
                    .iter()
                    .find(|t| ownership::tag_ownership(self.view, self.ground.owners, a, t) == Ownership::Owns);
                let why = if owner.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(a)) {
                    format!("owns device {device:?}")
                } else if let Some(t) = by_tag {
                    format!("owns {t}, which device {device:?} carries")
                } else {
                    continue;
                };
                let (loc, related) = (self.loc(a_at), self.loc(at));
                self.report(
                    Code::SelfApproval,
                    loc,
                    format!(
                        "{a} receives this access and cannot approve it: {a} {why}, on which this fragment sets {key}"
                    ),
                    "ask an owner of the destination who gets nothing from this fragment to approve",
                )
                .related
                .push((related, "set here".into()));
            }
        }
    }

    fn wildcards(&mut self) {
        let mut hits = wide::sources(self.view, &self.reach.sources, self.g.widest_prefix);
        hits.extend(wide::destinations(self.view, self.reach, self.g.widest_prefix, self.g.max_ports));
        for hit in hits {
            let loc = self.loc(hit.at);
            self.report(
                Code::WildcardForbidden,
                loc,
                format!("this fragment grants {}", hit.what),
                "name the sources, destinations and ports that are needed",
            );
        }
    }

    /// Every approver owns everything the fragment opens, by trusted ground; what nobody owns
    /// is refused outright.
    fn ownership(&mut self) {
        // One finding per destination (and per group through which a person is exposed).
        let mut by_dst: BTreeMap<(&str, &str), &Opened<'_>> = BTreeMap::new();
        for o in &self.reach.opened {
            // Reaching one's own devices from one's own devices opens nothing to anyone else.
            if matches!(classify(&o.dst), Selector::Autogroup("self")) {
                continue;
            }
            let through = match &o.via {
                Via::Exposure { group, .. } => group.as_str(),
                _ => "",
            };
            by_dst.entry((o.dst.as_str(), through)).or_insert(o);
        }
        let approvers = self.approvers();
        for ((dst, through), opened) in by_dst {
            // Whether anyone owns it does not depend on who approves: ask for nobody in particular.
            if let Some(why) = self.ground.unowned(dst) {
                let loc = self.loc(opened.at);
                self.report(
                    Code::UnownedDestination,
                    loc,
                    format!("no one owns {dst}, which this fragment opens{}: {why}", opened.via.clause()),
                    format!(
                        "open a destination someone owns, or have the config's maintainers name its owners in \
                         tailgrant.hujson: \"owners\": {{\"{dst}\": [\"group:...\"]}}"
                    ),
                );
                continue;
            }
            if approvers.is_empty() && !self.g.require_approvers {
                let loc = self.loc(opened.at);
                self.report(
                    Code::ApproverNotOwner,
                    loc,
                    format!("this fragment opens {dst}{} but names no approver", opened.via.clause()),
                    format!("add \"approvers\": an owner of {dst}"),
                );
            }
            for (a, at) in &approvers {
                // Someone's devices exposed through a group are theirs to open, or the group's
                // owners' as a destination (config `owners`).
                let owns = match self.ground.owns(a, dst) {
                    Ownership::Owns => Ownership::Owns,
                    _ if !through.is_empty() && self.ground.owns(a, through) == Ownership::Owns => Ownership::Owns,
                    other => other,
                };
                match owns {
                    Ownership::Owns | Ownership::Unowned(_) => {}
                    Ownership::Unknown(why) => {
                        let loc = self.loc(at);
                        self.report(
                            Code::OwnershipUnverified,
                            loc,
                            format!("cannot verify offline that {a} owns {dst}, which this fragment opens{}: {why}", opened.via.clause()),
                            format!(
                                "name who may approve it in tailgrant.hujson (\"owners\": {{\"{dst}\": [\"group:...\"]}}), \
                                 or ask an owner the policy lists by name"
                            ),
                        );
                    }
                    Ownership::No(owners) => {
                        let (loc, related) = (self.loc(at), self.loc(opened.at));
                        let who = if owners.is_empty() { "its owners".to_owned() } else { owners.join(", ") };
                        self.report(
                            Code::ApproverNotOwner,
                            loc,
                            format!("{a} does not own {dst}, which this fragment opens{}", opened.via.clause()),
                            format!(
                                "ask an owner of {dst} to approve ({who}); ownership is read from the base policy \
                                 and permanent team files only"
                            ),
                        )
                        .related
                        .push((related, "opened here".into()));
                    }
                }
            }
        }
    }
}
