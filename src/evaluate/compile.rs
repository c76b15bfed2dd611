//! The policy in force, compiled for questions: network rules (ACLs and grants with `ip`,
//! one rule per destination) indexed by the tag or user they open, SSH rules in evaluation
//! order, and the definitions selectors refer to.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde_json::{Map, Value as Json};

use super::{Device, Groups, Proto, Tri, Verdict, in_internet, in_tailnet, prefix_contains, same_user, user_domain};
use crate::finding::Location;
use crate::load::view::{Entry, Origin, View, strings};
use crate::model::rule::{Classified, DstPorts, Kind, Rule, Section, Sel};
use crate::model::selector::Protos;
use crate::model::selector::{PortRange, Selector, parse_ip_spec, parse_protocol, split_host_ports};

/// Where a rule was written, for reports.
#[derive(Debug, Clone)]
pub(crate) struct RuleSource {
    pub(crate) location: Location,
    /// `grants/x.hujson, expires 2026-…` when the rule came from a fragment.
    pub(crate) fragment: Option<String>,
    /// The fragment's window (`notBefore`, `expires`); both open for the base.
    pub(crate) window: (Option<jiff::Timestamp>, Option<jiff::Timestamp>),
}

#[derive(Debug, Clone)]
pub(crate) struct NetRule {
    pub(crate) srcs: Vec<Classified>,
    /// The destination's host, trimmed and classified when the rule was read.
    pub(crate) dst: Classified,
    /// An ACL destination's host as written, when that is not `dst`'s text (spaces before
    /// the colon, TG127): the rule is indexed and shown under it.
    written: Option<Box<str>>,
    pub(crate) protos: Protos,
    pub(crate) ports: Vec<PortRange>,
    pub(crate) postures: Vec<String>,
    pub(crate) source: usize,
}

impl NetRule {
    /// The destination's host as written.
    pub(crate) fn dst_written(&self) -> &str {
        self.written.as_deref().unwrap_or(&self.dst.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SshAction {
    Accept,
    Check,
}

#[derive(Debug, Clone)]
pub(crate) struct SshRule {
    pub(crate) action: SshAction,
    pub(crate) srcs: Vec<Classified>,
    pub(crate) dsts: Vec<Classified>,
    pub(crate) users: Vec<String>,
    pub(crate) postures: Vec<String>,
    pub(crate) source: usize,
}

#[derive(Default)]
pub struct Compiled {
    pub(crate) rules: Vec<NetRule>,
    pub(crate) ssh: Vec<SshRule>,
    pub(crate) sources: Vec<RuleSource>,
    by_tag: HashMap<String, Vec<usize>>,
    by_user: HashMap<String, Vec<usize>>,
    /// Rules whose destination is not one tag or user (`*`, autogroups, addresses…).
    generic: Vec<usize>,
    pub(crate) groups: Groups,
    /// Host aliases' values, trimmed and classified.
    hosts: HashMap<String, Classified>,
    ipsets: HashMap<String, Vec<IpsetEntry>>,
    postures: HashMap<String, Vec<String>>,
    external: HashSet<String>,
    pub(crate) inventory: Option<crate::model::devices::Inventory>,
    /// Who is a member, who is shared in, who holds which role: from the users file.
    pub(crate) directory: Option<crate::model::users::Directory>,
    /// Posture mode: the attribute keys of the gated fragments in force, which apply sets on
    /// their sources' devices while they are active.
    pub(crate) gate_keys: Vec<String>,
    pub(crate) enforce_expiry: crate::model::expiry::EnforceExpiry,
    /// Whether tests from a group are also judged for each named member (config
    /// `groupTestsPerMember`): a warning where a member would fail them.
    pub(crate) group_tests_per_member: bool,
}

impl Compiled {
    pub fn new(view: &View<'_>) -> Compiled {
        let mut c = Compiled {
            external: view.external_users.iter().cloned().collect(),
            inventory: view.inventory.cloned(),
            directory: view.directory.cloned(),
            enforce_expiry: view.enforce_expiry,
            group_tests_per_member: view.group_tests_per_member,
            ..Compiled::default()
        };
        for g in &view.groups {
            let members = c.groups.entry(g.name.clone()).or_default();
            members.extend(g.sels.iter().map(|m| m.text.to_ascii_lowercase()));
        }
        // A host's one address, as the view classified it (a host that is not a string has none).
        c.hosts = view.hosts.iter().filter_map(|h| Some((h.name.clone(), Classified::from(h.sels.first()?)))).collect();
        c.ipsets = view
            .ipsets
            .iter()
            .map(|s| (s.name.clone(), strings(s.value).into_iter().map(|(e, _)| IpsetEntry::of(&e)).collect()))
            .collect();
        c.postures = view
            .postures
            .iter()
            .map(|p| (p.name.clone(), p.conditions.iter().map(|c| c.text.to_string()).collect()))
            .collect();
        let required =
            |r: &Rule<'_>| -> Vec<String> { view.required_postures(r).iter().map(|p| p.text.to_string()).collect() };
        // Posture mode: a time-bounded fragment's rules need its gate too (`super::gates`).
        c.gate_keys = super::gates::register(view, &required, &mut c.postures);
        let defined = c.postures.clone();
        let postures_of = |e: &Entry<'_>, r: &Rule<'_>| super::gates::postures(view, e, required(r), &defined);
        for (e, r) in view.rules(Section::Acls) {
            let source = c.source(e.origin, e.value);
            let srcs = texts(&r.sources);
            let protos = match r.proto.and_then(|p| p.as_str()) {
                Some(p) => match parse_protocol(p.trim()) {
                    Ok(n) => Protos::One(n),
                    Err(_) => continue,
                },
                None => Protos::Default,
            };
            for d in &r.destinations {
                let DstPorts::Acl(ports) = &d.ports else { continue };
                // The host as written: with spaces before the colon (TG127) it is indexed
                // under a name no tag or user has, and so opens nothing to them (fail closed).
                let raw = d.sel.raw();
                let host = split_host_ports(raw.trim()).map_or(&*d.sel.text, |(host, _)| host);
                let rule = NetRule {
                    srcs: srcs.clone(),
                    dst: Classified::from(&d.sel),
                    written: (host != d.sel.text).then(|| host.into()),
                    protos,
                    ports: ports.clone(),
                    postures: postures_of(&e, r),
                    source,
                };
                c.push(rule);
            }
        }
        for (e, r) in view.rules(Section::Grants) {
            let source = c.source(e.origin, e.value);
            let srcs = texts(&r.sources);
            // Grants with only `app` give no network access.
            let specs: Vec<_> = trimmed(r.ip)
                .unwrap_or_default()
                .iter()
                .filter_map(|s| Some((s == "*", parse_ip_spec(s).ok()?)))
                .collect();
            for d in &r.destinations {
                for (star, spec) in &specs {
                    // `*` alone is every protocol; `0-65535` is every port of the default ones.
                    let protos = match spec.proto {
                        None if *star => Protos::All,
                        None => Protos::Default,
                        Some(n) => Protos::One(n),
                    };
                    let rule = NetRule {
                        srcs: srcs.clone(),
                        dst: Classified::from(&d.sel),
                        written: None,
                        protos,
                        ports: spec.ports.clone(),
                        postures: postures_of(&e, r),
                        source,
                    };
                    c.push(rule);
                }
            }
        }
        // Check rules are evaluated before accept rules, each group in file order.
        let mut ssh = Vec::new();
        for (e, r) in view.rules(Section::Ssh) {
            let action = match r.action.and_then(|a| a.as_str()).as_deref().map(str::trim) {
                Some("accept") => SshAction::Accept,
                Some("check") => SshAction::Check,
                _ => continue,
            };
            let source = c.source(e.origin, e.value);
            ssh.push(SshRule {
                action,
                srcs: texts(&r.sources),
                dsts: r.destinations.iter().map(|d| Classified::from(&d.sel)).collect(),
                users: trimmed(r.logins).unwrap_or_default(),
                postures: postures_of(&e, r),
                source,
            });
        }
        ssh.sort_by_key(|r| r.action != SshAction::Check);
        c.ssh = ssh;
        c
    }

    fn source(&mut self, origin: Origin<'_>, v: &crate::parse::Value) -> usize {
        let fragment = origin.fragment.map(|f| match f.fragment.expires {
            Some(t) if super::gates::gated(self.enforce_expiry, f) => {
                format!("{}, enforced by the control plane until {t}", f.doc.file.rel)
            }
            Some(t) => format!("{}, expires {t}", f.doc.file.rel),
            None => format!("{}, permanent", f.doc.file.rel),
        });
        let window = origin.fragment.map_or((None, None), |f| (f.fragment.not_before, f.fragment.expires));
        self.sources.push(RuleSource { location: origin.at(v), fragment, window });
        self.sources.len() - 1
    }

    /// Adds a rule, indexed by what its destination names, as written.
    fn push(&mut self, rule: NetRule) {
        let i = self.rules.len();
        let dst = rule.dst_written();
        match rule.dst.kind {
            Kind::Tag => self.by_tag.entry(dst.to_owned()).or_default().push(i),
            Kind::User => self.by_user.entry(dst.to_ascii_lowercase()).or_default().push(i),
            Kind::Group if self.groups.contains_key(dst) => {
                for m in self.groups[dst].clone() {
                    self.by_user.entry(m).or_default().push(i);
                }
            }
            _ => self.generic.push(i),
        }
        self.rules.push(rule);
    }

    /// The address a host alias names.
    pub(crate) fn host(&self, name: &str) -> Option<&str> {
        self.hosts.get(name).map(|v| &*v.text)
    }

    /// The rules that can concern traffic to `dst`.
    fn candidates(&self, dst: &Device) -> Vec<usize> {
        let indexed = match dst {
            Device::Tag(t) => self.by_tag.get(t),
            Device::User(u) => self.by_user.get(u),
            // An address may be any device: every rule can concern it.
            Device::Addr(_) | Device::Service(_) | Device::Known { .. } | Device::Member(_) => {
                return (0..self.rules.len()).collect();
            }
        };
        let mut out: Vec<usize> = indexed.map_or_else(Vec::new, Clone::clone);
        out.extend(&self.generic);
        out
    }

    /// May `src` reach `dst` on `port` over `proto`, with these posture attributes?
    pub fn allowed(
        &self,
        src: &Device,
        dst: &Device,
        proto: Proto,
        port: u16,
        attrs: Option<&Map<String, Json>>,
    ) -> Verdict {
        let mut by = Vec::new();
        let mut gated = Vec::new();
        let mut undecided = Vec::new();
        for i in self.candidates(dst) {
            let r = &self.rules[i];
            if !opens(r, proto, port) {
                continue;
            }
            let d = self.matches_sel(&r.dst, dst, false, Some(src));
            if d == Tri::No {
                continue;
            }
            let identity = d.and(Tri::any(r.srcs.iter().map(|s| self.matches_sel(s, src, true, None))));
            let posture = self.posture_ok(&r.postures, attrs);
            if identity == Tri::Yes && posture == Tri::No {
                gated.push(i);
            }
            match identity.and(posture) {
                Tri::Yes => by.push(i),
                Tri::Unknown => undecided.push(i),
                Tri::No => {}
            }
        }
        by.sort_unstable();
        by.dedup();
        let allowed = if !by.is_empty() {
            Tri::Yes
        } else if !undecided.is_empty() {
            Tri::Unknown
        } else {
            Tri::No
        };
        Verdict { allowed, by, gated, undecided }
    }

    pub(crate) fn posture_ok(&self, required: &[String], attrs: Option<&Map<String, Json>>) -> Tri {
        if required.is_empty() {
            return Tri::Yes;
        }
        let Some(attrs) = attrs else { return Tri::No };
        Tri::from_bool(
            required.iter().any(|p| self.postures.get(p).is_some_and(|conds| super::posture::satisfied(conds, attrs))),
        )
    }

    /// Whether a login is a member of the tailnet: the users file says, or `externalUsers`
    /// says it is not; otherwise that is live state, and unknown (a login named nowhere else
    /// in a test is not taken to be a member: USA-RedDragon/tailscale-acls' `torvalds@github`).
    fn membership(&self, login: &str) -> Tri {
        match &self.directory {
            Some(d) => Tri::from_bool(d.is_member(login)),
            None if self.external.contains(login) => Tri::No,
            None => Tri::Unknown,
        }
    }

    /// Whether the selector written `sel` (a question's text) covers `dev`: see
    /// [`Compiled::matches_sel`].
    pub fn matches(&self, sel: &str, dev: &Device, as_src: bool, src_dev: Option<&Device>) -> Tri {
        self.matches_sel(&Classified::new(sel), dev, as_src, src_dev)
    }

    /// Whether selector `sel` covers `dev`. `src_dev` is the source, for `autogroup:self`.
    pub(crate) fn matches_sel(
        &self,
        selector: &Classified,
        dev: &Device,
        as_src: bool,
        src_dev: Option<&Device>,
    ) -> Tri {
        if let Device::Known { ip, user, tags } = dev {
            return self.matches_known(selector, ip, user.as_deref(), tags, as_src, src_dev);
        }
        let sel = &*selector.text;
        // Identity selectors cannot say whether an address belongs to them; outside the
        // tailnet's ranges it certainly does not.
        let addr_identity = |ip: &IpAddr| if in_tailnet(ip) { Tri::Unknown } else { Tri::No };
        match selector.selector() {
            Selector::Wildcard => match dev {
                Device::Addr(ip) if as_src => Tri::from_bool(in_tailnet(ip)),
                _ => Tri::Yes,
            },
            Selector::User(u) => match dev {
                Device::User(v) => Tri::from_bool(same_user(u, v)),
                Device::Addr(ip) => addr_identity(ip),
                _ => Tri::No,
            },
            Selector::Group(g) => match dev {
                Device::User(v) => match self.groups.get(sel) {
                    Some(m) => Tri::from_bool(m.contains(v)),
                    None if g.contains('@') => Tri::Unknown, // synced from the identity provider
                    None => Tri::No,
                },
                // The unnamed member of a group is in that group and no other.
                Device::Member(of) => Tri::from_bool(of == sel),
                Device::Addr(ip) => addr_identity(ip),
                _ => Tri::No,
            },
            Selector::Tag(_) => match dev {
                Device::Tag(t) => Tri::from_bool(t == sel),
                Device::Addr(ip) => addr_identity(ip),
                _ => Tri::No,
            },
            Selector::Autogroup(a) => match (a, dev) {
                ("danger-all", _) => Tri::Yes,
                ("internet", Device::Addr(ip)) => Tri::from_bool(in_internet(ip)),
                ("internet", _) => Tri::No,
                ("member" | "members", Device::User(u)) => self.membership(u),
                ("shared", Device::User(u)) => match (&self.directory, self.external.contains(u)) {
                    (Some(d), _) => Tri::from_bool(d.is_shared(u)),
                    (None, true) => Tri::Yes,
                    (None, false) => Tri::Unknown,
                },
                ("tagged", Device::Tag(_)) => Tri::Yes,
                ("self", Device::User(v)) => match src_dev {
                    Some(Device::User(u)) | Some(Device::Known { user: Some(u), .. }) => Tri::from_bool(u == v),
                    Some(Device::Addr(ip)) => addr_identity(ip),
                    _ => Tri::No,
                },
                // The unnamed member's own other device, and nobody else's.
                ("self", Device::Member(g)) => Tri::from_bool(matches!(src_dev, Some(Device::Member(h)) if h == g)),
                ("self", Device::Addr(ip)) => addr_identity(ip),
                (r, Device::User(u)) if crate::model::selector::ROLE_AUTOGROUPS.contains(&r) => match &self.directory {
                    Some(d) => Tri::from_bool(d.has_role(u, r)),
                    None => Tri::Unknown,
                },
                // Who the unnamed member of a group is, the repository cannot say: whether they
                // are a member of the tailnet or shared in. A group source holds no role
                // (madsbv/nix: its tests pass only if it does not).
                ("member" | "members" | "shared", Device::Member(_)) => Tri::Unknown,
                (_, Device::Addr(ip)) => addr_identity(ip),
                _ => Tri::No,
            },
            Selector::UserDomain(d) => match dev {
                Device::User(v) => Tri::from_bool(user_domain(v).eq_ignore_ascii_case(d)),
                // The unnamed member's login, and so its domain, is unknown.
                Device::Member(_) => Tri::Unknown,
                Device::Addr(ip) => addr_identity(ip),
                _ => Tri::No,
            },
            Selector::Service(_) => Tri::from_bool(matches!(dev, Device::Service(s) if s == sel)),
            Selector::Ip(_) | Selector::Cidr(..) | Selector::Host(_) | Selector::Ipset(_) => {
                let contains = |ip: &IpAddr| self.address_set_contains(selector, ip, &mut HashSet::new());
                match dev {
                    Device::Addr(ip) => Tri::from_bool(contains(ip)),
                    Device::Service(_) => Tri::No,
                    // A device's own address is not known offline: it is in the set for certain
                    // if the set spans the tailnet, certainly not if the set lies outside the
                    // tailnet's ranges, and otherwise unknown.
                    _ => {
                        let v4: IpAddr = "100.64.0.0".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
                        if self.address_set_covers(selector, &v4, 10) {
                            Tri::Yes
                        } else if self.may_hold_tailnet_address(selector) {
                            Tri::Unknown
                        } else {
                            Tri::No
                        }
                    }
                }
            }
            _ => Tri::No,
        }
    }

    /// A device from the devices file: it has an address and an identity, so both kinds of
    /// selector can be decided.
    fn matches_known(
        &self,
        sel: &Classified,
        ip: &IpAddr,
        user: Option<&str>,
        tags: &[String],
        as_src: bool,
        src_dev: Option<&Device>,
    ) -> Tri {
        match sel.selector() {
            Selector::Wildcard | Selector::Autogroup("danger-all") => Tri::Yes,
            Selector::Tag(_) => Tri::from_bool(tags.iter().any(|t| *t == *sel.text)),
            Selector::Autogroup("tagged") => Tri::from_bool(!tags.is_empty()),
            Selector::Autogroup("internet") => Tri::from_bool(in_internet(ip)),
            Selector::Autogroup("self") => match (user, src_dev) {
                (Some(v), Some(Device::User(u))) => Tri::from_bool(u == v),
                (Some(v), Some(Device::Known { user: Some(u), .. })) => Tri::from_bool(u == v),
                _ => Tri::No,
            },
            Selector::Ip(_) | Selector::Cidr(..) | Selector::Host(_) | Selector::Ipset(_) => {
                Tri::from_bool(self.address_set_contains(sel, ip, &mut HashSet::new()))
            }
            Selector::Service(_) => Tri::No,
            // Users, groups, member, roles, user:*@domain: match the owner of an untagged device.
            _ => match (user, tags.is_empty()) {
                (Some(u), true) => self.matches_sel(sel, &Device::User(u.to_owned()), as_src, src_dev),
                _ => Tri::No,
            },
        }
    }

    /// Whether an address selector (IP, CIDR, host, ipset) contains `ip`. `seen` holds the IP
    /// sets being expanded, so that one that contains itself ends.
    fn address_set_contains<'s>(&'s self, sel: &'s Classified, ip: &IpAddr, seen: &mut HashSet<&'s str>) -> bool {
        match sel.selector() {
            Selector::Ip(a) => a == *ip,
            Selector::Cidr(n, l) => prefix_contains(&n, l, ip),
            Selector::Host(h) | Selector::HostRef(h) => {
                self.hosts.get(h).is_some_and(|v| self.address_set_contains(v, ip, seen))
            }
            Selector::Autogroup("internet") => in_internet(ip),
            Selector::Ipset(_) => {
                if !seen.insert(&sel.text) {
                    return false;
                }
                let (mut added, mut removed) = (false, false);
                for e in self.ipsets.get(&*sel.text).map_or(&[][..], Vec::as_slice) {
                    let hit = match e.target.kind {
                        Kind::Range => range_contains(&e.target.text, ip),
                        _ => self.address_set_contains(&e.target, ip, seen),
                    };
                    if e.remove {
                        removed |= hit;
                    } else {
                        added |= hit;
                    }
                }
                added && !removed
            }
            _ => false,
        }
    }

    /// Whether an address selector can contain a tailnet device's own address.
    fn may_hold_tailnet_address(&self, sel: &Classified) -> bool {
        let overlaps = |n: &IpAddr, l: u8| {
            let v4: IpAddr = [100, 64, 0, 0].into();
            let v6: IpAddr = "fd7a:115c:a1e0::".parse().unwrap_or(v4);
            prefix_contains(n, l, &v4)
                || prefix_contains(&v4, 10, n)
                || prefix_contains(n, l, &v6)
                || prefix_contains(&v6, 48, n)
        };
        match sel.selector() {
            Selector::Ip(ip) => in_tailnet(&ip),
            Selector::Cidr(n, l) => overlaps(&n, l),
            Selector::Host(h) => self.hosts.get(h).is_some_and(|v| self.may_hold_tailnet_address(v)),
            // IP sets are not expanded here; assume they may.
            _ => true,
        }
    }

    /// Whether an address selector covers a whole prefix (checked by its network address and
    /// length, enough for "does this span the tailnet").
    fn address_set_covers(&self, sel: &Classified, net: &IpAddr, len: u8) -> bool {
        let covers = |kind| matches!(kind, Kind::Cidr(n, l) if l <= len && prefix_contains(&n, l, net));
        match sel.selector() {
            Selector::Cidr(..) => covers(sel.kind),
            // A host's value is a prefix when it classified as one.
            Selector::Host(h) => self.hosts.get(h).is_some_and(|v| covers(v.kind)),
            _ => false,
        }
    }

    /// The SSH outcome for `login` from `src` to `dst`: the action of the first rule (check
    /// rules first) that matches both devices and maps the login, or deny.
    pub fn ssh_outcome(
        &self,
        src: &Device,
        dst: &Device,
        login: &str,
        attrs: Option<&Map<String, Json>>,
    ) -> (Tri, Option<usize>, SshOutcome) {
        let mut uncertain = false;
        for (i, r) in self.ssh.iter().enumerate() {
            let maps = maps_login(&r.users, login, src);
            if maps == Tri::No {
                continue;
            }
            let s = Tri::any(r.srcs.iter().map(|s| self.matches_sel(s, src, true, None))).and(maps);
            let d = Tri::any(r.dsts.iter().map(|d| self.matches_sel(d, dst, false, Some(src))));
            match s.and(d).and(self.posture_ok(&r.postures, attrs)) {
                Tri::Yes if !uncertain => {
                    let outcome = if r.action == SshAction::Check { SshOutcome::Check } else { SshOutcome::Accept };
                    return (Tri::Yes, Some(i), outcome);
                }
                Tri::Yes | Tri::Unknown => uncertain = true,
                Tri::No => {}
            }
        }
        (if uncertain { Tri::Unknown } else { Tri::Yes }, None, SshOutcome::Deny)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshOutcome {
    Accept,
    Check,
    Deny,
}

impl std::fmt::Display for SshOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SshOutcome::Accept => "accept",
            SshOutcome::Check => "check",
            SshOutcome::Deny => "deny",
        })
    }
}

/// Does a rule's `users` map this login (Tailscale's `mapLocalUser`)? Unknown for
/// `localpart:*@domain` from the unnamed member of a group, whose login is not known.
fn maps_login(users: &[String], login: &str, src: &Device) -> Tri {
    Tri::any(users.iter().map(|u| match u.trim() {
        "autogroup:nonroot" => Tri::from_bool(login != "root"),
        u if u.starts_with("localpart:*@") => match src {
            Device::User(email) => {
                let domain = &u["localpart:*@".len()..];
                Tri::from_bool(
                    email.rsplit_once('@').is_some_and(|(local, d)| d.eq_ignore_ascii_case(domain) && local == login),
                )
            }
            Device::Member(_) => Tri::Unknown,
            _ => Tri::No,
        },
        u => Tri::from_bool(u == login),
    }))
}

/// Does the rule open this protocol and port?
fn opens(r: &NetRule, proto: Proto, port: u16) -> bool {
    let in_ports = r.ports.iter().any(|&(lo, hi)| lo <= port && port <= hi);
    let all_ports = r.ports.iter().any(|&(lo, hi)| lo == 0 && hi == 65535);
    match proto {
        Proto::TcpOrUdp => in_ports && matches!(r.protos, Protos::Default | Protos::All | Protos::One(6 | 17)),
        // "If any port is open to an address, allow ICMP to it" (the client's packet filter).
        Proto::Number(1 | 58) => true,
        Proto::Number(p @ (6 | 17 | 132)) => {
            in_ports
                && match r.protos {
                    Protos::Default => p != 132,
                    Protos::All => true,
                    Protos::One(n) => n == p,
                }
        }
        Proto::Number(p) => all_ports && (r.protos == Protos::All || r.protos == Protos::One(p)),
    }
}

fn range_contains(range: &str, ip: &IpAddr) -> bool {
    let Some((a, b)) = range.split_once('-') else { return false };
    match (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) {
        (Ok(a), Ok(b)) => a <= *ip && *ip <= b && a.is_ipv4() == ip.is_ipv4(),
        _ => false,
    }
}

/// A list's string items, trimmed.
fn trimmed(list: Option<&crate::parse::Value>) -> Option<Vec<String>> {
    list.map(|l| strings(l).into_iter().map(|(s, _)| s.trim().to_owned()).collect())
}

/// Selectors of a rule, with the kinds found when it was read.
fn texts(sels: &[Sel<'_>]) -> Vec<Classified> {
    sels.iter().map(Classified::from).collect()
}

/// An entry of an IP set, read once: `[add|remove] TARGET`, `add` when no operation is written.
#[derive(Debug, Clone)]
struct IpsetEntry {
    remove: bool,
    target: Classified,
}

impl IpsetEntry {
    /// The entry as written: split at the first space (anything before it but `remove` adds);
    /// without one the whole entry is the target, kept as written.
    fn of(e: &str) -> IpsetEntry {
        let (op, target) = e.split_once(' ').map_or(("add", e), |(o, t)| (o, t.trim()));
        IpsetEntry { remove: op == "remove", target: Classified::as_written(target) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::SourceFile;

    fn compiled(policy: &str) -> Compiled {
        let file = SourceFile::new("policy.hujson".into(), "policy.hujson".into(), policy.into());
        let doc = crate::load::parse_document(file).map_err(|(f, _)| f.message).unwrap();
        Compiled::new(&View::of(&crate::model::Config::default(), Some(&doc), [], None))
    }

    #[test]
    fn rules_and_definitions_are_classified_when_compiled() {
        let c = compiled(
            r#"{"hosts": {"net": " 10.0.0.0/8 ", "one": "10.1.2.3"},
                "ipsets": {"ipset:a": ["net", "remove 10.1.2.3", "add 192.168.0.1-192.168.0.9", "junk host:one"]},
                "acls": [{"action": "accept", "src": [" group:eng", "ipset:a"], "dst": ["tag:db :5432", "net:22"]}],
                "grants": [{"src": ["*"], "dst": ["autogroup:self"], "ip": ["443"]}],
                "ssh": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self"], "users": ["root"]}]}"#,
        );
        let net = |r: &NetRule| (r.srcs.clone(), r.dst.clone(), r.dst_written().to_owned());
        let sel = |text: &str, kind| Classified { text: text.into(), kind };
        let v4 = |s: &str| s.parse().unwrap();
        let srcs = vec![sel("group:eng", Kind::Group), sel("ipset:a", Kind::Ipset)];
        assert_eq!(
            c.rules.iter().map(net).collect::<Vec<_>>(),
            [
                // Spaces before the colon: classified trimmed, indexed and shown as written.
                (srcs.clone(), sel("tag:db", Kind::Tag), "tag:db ".to_owned()),
                (srcs, sel("net", Kind::Host), "net".to_owned()),
                (vec![sel("*", Kind::Wildcard)], sel("autogroup:self", Kind::Autogroup), "autogroup:self".to_owned()),
            ]
        );
        assert_eq!(c.by_tag.get("tag:db "), Some(&vec![0]));
        assert_eq!(c.ssh[0].dsts, [sel("autogroup:self", Kind::Autogroup)]);
        assert_eq!(c.hosts["net"], sel("10.0.0.0/8", Kind::Cidr(v4("10.0.0.0"), 8)));
        let entries: Vec<_> = c.ipsets["ipset:a"].iter().map(|e| (e.remove, e.target.clone())).collect();
        assert_eq!(
            entries,
            [
                (false, sel("net", Kind::Host)),
                (true, sel("10.1.2.3", Kind::Ip(v4("10.1.2.3")))),
                (false, sel("192.168.0.1-192.168.0.9", Kind::Range)),
                // Anything before the space but `remove` adds.
                (false, sel("host:one", Kind::HostRef)),
            ]
        );
        let set = &c.rules[0].srcs[1];
        let contains = |ip: &str| c.address_set_contains(set, &v4(ip), &mut HashSet::new());
        assert!(contains("10.9.9.9") && contains("192.168.0.5"));
        assert!(!contains("10.1.2.3"), "removed, though host:one adds it");
        assert!(!contains("11.0.0.1"));
    }

    #[test]
    fn matching_reads_the_kind_found_when_compiled() {
        // The kind decides, not the text: a selector is not classified again per question.
        let mut c = compiled(r#"{"groups": {"group:eng": ["alice@example.com"]}}"#);
        let alice = Device::User("alice@example.com".into());
        let as_group = Classified { text: "group:eng".into(), kind: Kind::Group };
        let as_wildcard = Classified { text: "group:eng".into(), kind: Kind::Wildcard };
        let as_tag = Classified { text: "group:eng".into(), kind: Kind::Tag };
        assert_eq!(c.matches_sel(&as_group, &alice, true, None), Tri::Yes);
        assert_eq!(c.matches_sel(&as_wildcard, &Device::User("bob@example.com".into()), true, None), Tri::Yes);
        assert_eq!(c.matches_sel(&as_tag, &alice, true, None), Tri::No);
        // The string form classifies the question's text once.
        assert_eq!(c.matches(" group:eng ", &alice, true, None), Tri::Yes);
        // A host's value too: its kind was found when the policy was compiled.
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        c.hosts.insert("h".into(), Classified { text: "10.0.0.1".into(), kind: Kind::Ip(ip) });
        assert_eq!(c.matches("h", &Device::Addr(ip), false, None), Tri::Yes);
    }
}
