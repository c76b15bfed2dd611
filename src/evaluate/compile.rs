//! The policy in force, compiled for questions: network rules (ACLs and grants with `ip`,
//! one rule per destination) indexed by the tag or user they open, SSH rules in evaluation
//! order, and the definitions selectors refer to.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde_json::{Map, Value as Json};

use super::{Device, Groups, Proto, Tri, Verdict, in_internet, in_tailnet, prefix_contains, same_user, user_domain};
use crate::finding::Location;
use crate::load::view::{Entry, Origin, View, field, strings};
use crate::model::rule::{DstPorts, Kind, Section, Sel};
use crate::model::selector::Protos;
use crate::model::selector::{
    PortRange, Selector, classify, parse_cidr, parse_ip_spec, parse_protocol, split_host_ports,
};

/// Where a rule was written, for reports.
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub location: Location,
    /// `grants/x.hujson, expires 2026-…` when the rule came from a fragment.
    pub fragment: Option<String>,
    /// The fragment's window (`notBefore`, `expires`); both open for the base.
    pub window: (Option<jiff::Timestamp>, Option<jiff::Timestamp>),
}

#[derive(Debug, Clone)]
pub struct NetRule {
    pub srcs: Vec<String>,
    pub dst: String,
    pub protos: Protos,
    pub ports: Vec<PortRange>,
    pub postures: Vec<String>,
    pub source: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshAction {
    Accept,
    Check,
}

#[derive(Debug, Clone)]
pub struct SshRule {
    pub action: SshAction,
    pub srcs: Vec<String>,
    pub dsts: Vec<String>,
    pub users: Vec<String>,
    pub postures: Vec<String>,
    pub source: usize,
}

#[derive(Default)]
pub struct Compiled {
    pub rules: Vec<NetRule>,
    pub ssh: Vec<SshRule>,
    pub sources: Vec<RuleSource>,
    by_tag: HashMap<String, Vec<usize>>,
    by_user: HashMap<String, Vec<usize>>,
    /// Rules whose destination is not one tag or user (`*`, autogroups, addresses…).
    generic: Vec<usize>,
    pub groups: Groups,
    hosts: HashMap<String, String>,
    ipsets: HashMap<String, Vec<String>>,
    postures: HashMap<String, Vec<String>>,
    external: HashSet<String>,
    pub inventory: Option<crate::model::devices::Inventory>,
    /// Who is a member, who is shared in, who holds which role: from the users file.
    pub directory: Option<crate::model::users::Directory>,
    /// Posture mode: the attribute keys of the gated fragments in force, which apply sets on
    /// their sources' devices while they are active.
    pub gate_keys: Vec<String>,
    pub(crate) enforce_expiry: crate::model::expiry::EnforceExpiry,
    /// Whether tests from a group are also judged for each named member (config
    /// `groupTestsPerMember`): a warning where a member would fail them.
    pub group_tests_per_member: bool,
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
            members.extend(strings(g.value).into_iter().map(|(m, _)| m.trim().to_ascii_lowercase()));
        }
        c.hosts =
            view.hosts.iter().filter_map(|h| Some((h.name.clone(), h.value.as_str()?.trim().to_owned()))).collect();
        c.ipsets = view
            .ipsets
            .iter()
            .map(|s| (s.name.clone(), strings(s.value).into_iter().map(|(e, _)| e.into_owned()).collect()))
            .collect();
        c.postures = view
            .postures
            .iter()
            .map(|p| (p.name.clone(), strings(p.value).into_iter().map(|(e, _)| e.into_owned()).collect()))
            .collect();
        let default_posture: Vec<String> = view
            .default_src_posture
            .iter()
            .flat_map(|e| strings(e.value).into_iter().map(|(p, _)| p.trim().to_owned()))
            .collect();
        let required = |e: &Entry<'_>| -> Vec<String> {
            match field(e.value, "srcPosture") {
                Some(p) => strings(p).into_iter().map(|(s, _)| s.trim().to_owned()).collect(),
                None => default_posture.clone(),
            }
        };
        // Posture mode: a time-bounded fragment's rules need its gate too (`super::gates`).
        c.gate_keys = super::gates::register(view, &required, &mut c.postures);
        let defined = c.postures.clone();
        let postures_of = |e: &Entry<'_>| super::gates::postures(view, e, required(e), &defined);
        for (e, r) in view.rules(Section::Acls) {
            let source = c.source(e.origin, e.value);
            let srcs = texts(&r.sources);
            let protos = match field(e.value, "proto").and_then(|p| p.as_str()) {
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
                let written = d.sel.raw();
                let host = split_host_ports(written.trim()).map_or(&*d.sel.text, |(host, _)| host);
                let rule = NetRule {
                    srcs: srcs.clone(),
                    dst: host.to_owned(),
                    protos,
                    ports: ports.clone(),
                    postures: postures_of(&e),
                    source,
                };
                c.push(rule, d.sel.kind);
            }
        }
        for (e, r) in view.rules(Section::Grants) {
            let source = c.source(e.origin, e.value);
            let srcs = texts(&r.sources);
            // Grants with only `app` give no network access.
            let specs: Vec<_> = list(e.value, "ip")
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
                        dst: d.sel.text.clone().into_owned(),
                        protos,
                        ports: spec.ports.clone(),
                        postures: postures_of(&e),
                        source,
                    };
                    c.push(rule, d.sel.kind);
                }
            }
        }
        // Check rules are evaluated before accept rules, each group in file order.
        let mut ssh = Vec::new();
        for (e, r) in view.rules(Section::Ssh) {
            let action = match field(e.value, "action").and_then(|a| a.as_str()).as_deref().map(str::trim) {
                Some("accept") => SshAction::Accept,
                Some("check") => SshAction::Check,
                _ => continue,
            };
            let source = c.source(e.origin, e.value);
            ssh.push(SshRule {
                action,
                srcs: texts(&r.sources),
                dsts: r.destinations.iter().map(|d| d.sel.text.clone().into_owned()).collect(),
                users: list(e.value, "users").unwrap_or_default(),
                postures: postures_of(&e),
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

    /// Adds a rule, indexed by what its destination (of kind `kind`) names.
    fn push(&mut self, rule: NetRule, kind: Kind) {
        let i = self.rules.len();
        match kind {
            Kind::Tag => self.by_tag.entry(rule.dst.clone()).or_default().push(i),
            Kind::User => self.by_user.entry(rule.dst.to_ascii_lowercase()).or_default().push(i),
            Kind::Group if self.groups.contains_key(&rule.dst) => {
                for m in self.groups[&rule.dst].clone() {
                    self.by_user.entry(m).or_default().push(i);
                }
            }
            _ => self.generic.push(i),
        }
        self.rules.push(rule);
    }

    /// The address a host alias names.
    pub fn host(&self, name: &str) -> Option<&str> {
        self.hosts.get(name).map(String::as_str)
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
            let d = self.matches(&r.dst, dst, false, Some(src));
            if d == Tri::No {
                continue;
            }
            let identity = d.and(Tri::any(r.srcs.iter().map(|s| self.matches(s, src, true, None))));
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

    pub fn posture_ok(&self, required: &[String], attrs: Option<&Map<String, Json>>) -> Tri {
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

    /// Whether selector `sel` covers `dev`. `src_dev` is the source, for `autogroup:self`.
    pub fn matches(&self, sel: &str, dev: &Device, as_src: bool, src_dev: Option<&Device>) -> Tri {
        let sel = sel.trim();
        if let Device::Known { ip, user, tags } = dev {
            return self.matches_known(sel, ip, user.as_deref(), tags, as_src, src_dev);
        }
        // Identity selectors cannot say whether an address belongs to them; outside the
        // tailnet's ranges it certainly does not.
        let addr_identity = |ip: &IpAddr| if in_tailnet(ip) { Tri::Unknown } else { Tri::No };
        match classify(sel) {
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
                let contains = |ip: &IpAddr| self.address_set_contains(sel, ip, &mut HashSet::new());
                match dev {
                    Device::Addr(ip) => Tri::from_bool(contains(ip)),
                    Device::Service(_) => Tri::No,
                    // A device's own address is not known offline: it is in the set for certain
                    // if the set spans the tailnet, certainly not if the set lies outside the
                    // tailnet's ranges, and otherwise unknown.
                    _ => {
                        let v4: IpAddr = "100.64.0.0".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
                        if self.address_set_covers(sel, &v4, 10) {
                            Tri::Yes
                        } else if self.may_hold_tailnet_address(sel) {
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
        sel: &str,
        ip: &IpAddr,
        user: Option<&str>,
        tags: &[String],
        as_src: bool,
        src_dev: Option<&Device>,
    ) -> Tri {
        match classify(sel) {
            Selector::Wildcard | Selector::Autogroup("danger-all") => Tri::Yes,
            Selector::Tag(_) => Tri::from_bool(tags.iter().any(|t| t == sel)),
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
                (Some(u), true) => self.matches(sel, &Device::User(u.to_owned()), as_src, src_dev),
                _ => Tri::No,
            },
        }
    }

    /// Whether an address selector (IP, CIDR, host, ipset) contains `ip`.
    fn address_set_contains(&self, sel: &str, ip: &IpAddr, seen: &mut HashSet<String>) -> bool {
        match classify(sel) {
            Selector::Ip(a) => a == *ip,
            Selector::Cidr(n, l) => prefix_contains(&n, l, ip),
            Selector::Host(h) | Selector::HostRef(h) => {
                self.hosts.get(h).is_some_and(|v| self.address_set_contains(v, ip, seen))
            }
            Selector::Autogroup("internet") => in_internet(ip),
            Selector::Ipset(_) => {
                if !seen.insert(sel.to_owned()) {
                    return false;
                }
                let entries = self.ipsets.get(sel).cloned().unwrap_or_default();
                let (mut added, mut removed) = (false, false);
                for e in entries {
                    let (op, target) = e.split_once(' ').map_or(("add", e.as_str()), |(o, t)| (o, t.trim()));
                    let hit = match classify(target) {
                        Selector::Range => range_contains(target, ip),
                        _ => self.address_set_contains(target, ip, seen),
                    };
                    match op {
                        "remove" => removed |= hit,
                        _ => added |= hit,
                    }
                }
                added && !removed
            }
            _ => false,
        }
    }

    /// Whether an address selector can contain a tailnet device's own address.
    fn may_hold_tailnet_address(&self, sel: &str) -> bool {
        let overlaps = |n: &IpAddr, l: u8| {
            let v4: IpAddr = [100, 64, 0, 0].into();
            let v6: IpAddr = "fd7a:115c:a1e0::".parse().unwrap_or(v4);
            prefix_contains(n, l, &v4)
                || prefix_contains(&v4, 10, n)
                || prefix_contains(n, l, &v6)
                || prefix_contains(&v6, 48, n)
        };
        match classify(sel) {
            Selector::Ip(ip) => in_tailnet(&ip),
            Selector::Cidr(n, l) => overlaps(&n, l),
            Selector::Host(h) => self.hosts.get(h).is_some_and(|v| self.may_hold_tailnet_address(v)),
            // IP sets are not expanded here; assume they may.
            _ => true,
        }
    }

    /// Whether an address selector covers a whole prefix (checked by its network address and
    /// length, enough for "does this span the tailnet").
    fn address_set_covers(&self, sel: &str, net: &IpAddr, len: u8) -> bool {
        match classify(sel) {
            Selector::Cidr(n, l) => l <= len && prefix_contains(&n, l, net),
            Selector::Host(h) => self
                .hosts
                .get(h)
                .and_then(|v| parse_cidr(v))
                .is_some_and(|(n, l)| l <= len && prefix_contains(&n, l, net)),
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
            let s = Tri::any(r.srcs.iter().map(|s| self.matches(s, src, true, None))).and(maps);
            let d = Tri::any(r.dsts.iter().map(|d| self.matches(d, dst, false, Some(src))));
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

fn list(v: &crate::parse::Value, key: &str) -> Option<Vec<String>> {
    field(v, key).map(|l| strings(l).into_iter().map(|(s, _)| s.trim().to_owned()).collect())
}

/// The texts of selectors (trimmed when the rule was read).
fn texts(sels: &[Sel<'_>]) -> Vec<String> {
    sels.iter().map(|s| s.text.clone().into_owned()).collect()
}
