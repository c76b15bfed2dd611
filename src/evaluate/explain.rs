//! `explain`: may SRC reach DST, and which rules say so.

use serde::Serialize;

use super::compile::Compiled;
use super::{Device, Proto, Tri};
use crate::model::selector::{parse_protocol, split_host_ports};

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub(crate) src: String,
    pub(crate) dst: String,
    pub(crate) port: Option<u16>,
    pub(crate) proto: String,
    /// `allowed`, `denied` or `unknown`.
    pub verdict: &'static str,
    /// Per source and destination device, when a side names several (a group).
    pub(crate) pairs: Vec<PairVerdict>,
    pub(crate) rules: Vec<RuleRef>,
    /// Rules that would allow it from a device meeting their posture (`--attr` supplies
    /// the device's attributes).
    pub(crate) posture_gated: Vec<RuleRef>,
    /// When the verdict is `unknown`: the rules that may or may not allow it, each with what
    /// the repository does not say (who is a member, which device has an address).
    pub(crate) undecided: Vec<Undecided>,
    /// When it is not allowed: rules that would allow it but are not in force at the instant
    /// asked, their grant file expired or not yet begun (filled by [`out_of_force`]).
    pub out_of_force: Vec<OutOfForce>,
}

/// A rule from a fragment outside its window at the instant asked.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct OutOfForce {
    #[serde(flatten)]
    pub(crate) rule: RuleRef,
    /// `expired` or `pending`.
    pub(crate) status: &'static str,
    /// When it ended (`expired`) or begins (`pending`).
    pub(crate) when: jiff::Timestamp,
}

/// A rule whose verdict hangs on live state.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Undecided {
    #[serde(flatten)]
    pub(crate) rule: RuleRef,
    /// What is not known, e.g. `whether alice@example.com matches autogroup:member`.
    pub(crate) because: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct PairVerdict {
    pub(crate) src: String,
    pub(crate) dst: String,
    pub(crate) verdict: &'static str,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct RuleRef {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// The fragment and its expiry, for rules that come from one.
    pub(crate) fragment: Option<String>,
}

/// Why a question could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// Something explain cannot ask about as one source or destination, and why.
    #[error("{name:?} {why}")]
    NotOne { name: String, why: String },
    /// A name of a kind the policy defines (a tag, a group, a host alias, a login), but not
    /// one it defines; with the closest one it does.
    #[error("{name:?} is not {what} this policy defines{}", .closest.as_ref().map_or(String::new(), |c| format!("; did you mean {c}?")))]
    Undefined { name: String, what: &'static str, closest: Option<String> },
    #[error("{0}")]
    Port(String),
    #[error("{0}")]
    Proto(String),
}

fn word(t: Tri) -> &'static str {
    match t {
        Tri::Yes => "allowed",
        Tri::No => "denied",
        Tri::Unknown => "unknown",
    }
}

/// A destination as `explain` reads it: `tag:web:443` is a host and a port; `tag:web` and
/// `fd7a::1` are hosts alone. Ports written as a policy writes them (`20-25`, `80,443`, `*`)
/// are refused: the answer is about one port.
pub fn host_and_port(dst: &str) -> Result<(&str, Option<u16>), String> {
    let ports_like =
        |p: &str| p == "*" || (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b','));
    match split_host_ports(dst) {
        Ok((h, p)) if ports_like(p) && dst.parse::<std::net::IpAddr>().is_err() => {
            if let Ok(port) = p.parse::<u16>() {
                return Ok((h, Some(port)));
            }
            let first = p.split([',', '-']).next().filter(|f| f.parse::<u16>().is_ok()).unwrap_or("22");
            Err(format!("{p:?} is not one port: explain answers for one port at a time, e.g. {h}:{first}"))
        }
        // `tag:web:https`, `tag:web:`: a port was meant, but it is not a number. (`tag:web`
        // alone splits at its own prefix.)
        Ok((h, p)) if !PREFIXES.contains(&h) && dst.parse::<std::net::IpAddr>().is_err() => {
            let what = if p.is_empty() { "nothing".to_owned() } else { format!("{p:?}") };
            Err(format!("{what} after {h}: is not a port: explain answers for one port number, e.g. {h}:22"))
        }
        _ => Ok((dst, None)),
    }
}

/// The selector prefixes (`tag:web` is a tag, not host `tag` on port `web`).
const PREFIXES: &[&str] = &["tag", "group", "autogroup", "ipset", "svc", "posture", "host", "localpart", "user"];

/// Everything a question may name that the policy defines: tags, groups, host aliases and
/// the logins it mentions anywhere (rules, groups, tag owners, tests), with the users and
/// devices files' logins. Built from every file, whether in force or not, so that a login
/// known only to an expired grant is answered (denied), not refused.
#[derive(Debug, Default)]
pub struct Names {
    tags: Vec<String>,
    groups: Vec<String>,
    hosts: Vec<String>,
    logins: std::collections::BTreeSet<String>,
}

impl Names {
    pub fn of(view: &crate::load::view::View<'_>) -> Names {
        let mut n = Names {
            tags: view.tag_owners.iter().map(|t| t.name.clone()).collect(),
            groups: view.groups.iter().map(|g| g.name.clone()).collect(),
            hosts: view.hosts.iter().map(|h| h.name.clone()).collect(),
            ..Names::default()
        };
        let entries =
            [&view.acls, &view.grants, &view.ssh, &view.node_attrs, &view.tests, &view.ssh_tests, &view.auto_approvers];
        let values = entries.into_iter().flatten().map(|e| e.value);
        let named = [&view.groups, &view.tag_owners].into_iter().flatten().map(|g| g.value);
        for v in values.chain(named) {
            logins(v, &mut n.logins);
        }
        if let Some(inv) = view.inventory {
            n.logins.extend(inv.users.iter().cloned());
        }
        n
    }

    /// `Some` when `text` names a tag, group, host alias or login that the policy does not
    /// define; addresses, autogroups and other selectors are left to the evaluator.
    pub fn undefined(&self, text: &str, policy: &Compiled) -> Option<ExplainError> {
        use crate::model::selector::{Selector, classify};
        let text = text.trim();
        let (what, known): (&'static str, Vec<&str>) = match classify(text) {
            Selector::Tag(_) => ("a tag", self.tags.iter().map(String::as_str).collect()),
            Selector::Group(_) => ("a group", self.groups.iter().map(String::as_str).collect()),
            // A bare word may have been meant as any of them.
            Selector::Host(_) => (
                "a user, group, tag, host alias or IP address that",
                self.hosts
                    .iter()
                    .chain(&self.tags)
                    .chain(&self.groups)
                    .chain(&self.logins)
                    .map(String::as_str)
                    .collect(),
            ),
            Selector::User(u) => {
                let lower = u.to_ascii_lowercase();
                let in_users_file = policy.directory.as_ref().is_some_and(|d| d.get(&lower).is_some());
                if self.logins.contains(&lower) || in_users_file {
                    return None;
                }
                ("a login", self.logins.iter().map(String::as_str).collect())
            }
            _ => return None,
        };
        if known.contains(&text) {
            return None;
        }
        // Other capitals are another name to the evaluator: offer the one written.
        let closest = known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(text))
            .copied()
            .or_else(|| closest(text, &known))
            .map(|k| crate::model::text::one_line(k).into_owned());
        Some(ExplainError::Undefined { name: text.to_owned(), what, closest })
    }
}

/// The known name nearest `text`, if one is near enough to be the name meant: at most one
/// edit (a transposition counts as one) per three characters of its name, the `tag:` or
/// `group:` prefix aside, so that `tag:prod-dbb` finds `tag:prod-db` but `tag:nothing` is not
/// offered `tag:staging`. Ties go to the first in order.
fn closest<'a>(text: &str, known: &[&'a str]) -> Option<&'a str> {
    let name = |s: &str| -> String {
        let s = s.to_ascii_lowercase();
        match s.split_once(':') {
            Some((p, rest)) if PREFIXES.contains(&p) => rest.to_owned(),
            _ => s,
        }
    };
    let asked = name(text);
    let mut sorted = known.to_vec();
    sorted.sort_unstable();
    sorted
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(&asked, &name(k)), k))
        .filter(|(d, k)| *d <= (name(k).chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Every login among the strings of `v`, lowercased.
fn logins(v: &crate::parse::Value, out: &mut std::collections::BTreeSet<String>) {
    use crate::model::selector::{Selector, classify};
    if let Some(s) = v.as_str() {
        // A destination names its ports after the login: `alice@example.com:22`.
        if let Selector::User(u) = classify(&s) {
            out.insert(u.split(':').next().unwrap_or(u).to_ascii_lowercase());
        }
    } else if let Some(o) = v.as_object() {
        for m in &o.members {
            logins(&m.value, out);
        }
    } else if let Some(a) = v.as_array() {
        for e in &a.elements {
            logins(e, out);
        }
    }
}

/// Answers "may `src` reach `dst`" (`dst` is `HOST` or `HOST:PORT`). Without a port, the
/// question is whether any rule connects the two (what ICMP needs).
pub fn explain(
    policy: &Compiled,
    src: &str,
    dst: &str,
    proto: Option<&str>,
    attrs: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<Explanation, ExplainError> {
    let srcs = one(policy, src)?;
    let (host, port) = host_and_port(dst).map_err(ExplainError::Port)?;
    let dsts: Vec<Device> = if host == "autogroup:self" { srcs.clone() } else { one(policy, host)? };
    let (q, proto_text) = match (proto, port) {
        (Some(p), _) => (Proto::Number(parse_protocol(p).map_err(ExplainError::Proto)?), p.to_owned()),
        (None, Some(_)) => (Proto::TcpOrUdp, "tcp or udp".to_owned()),
        (None, None) => (Proto::Number(1), "any".to_owned()),
    };
    // Posture mode: while a gated fragment is active, apply sets its attribute on the devices
    // of its sources, so a device that its rules' sources match carries it.
    let with_gates;
    let attrs = if policy.gate_keys.is_empty() {
        attrs
    } else {
        let mut all = attrs.cloned().unwrap_or_default();
        for k in &policy.gate_keys {
            all.entry(k.clone()).or_insert(serde_json::Value::Bool(true));
        }
        with_gates = all;
        Some(&with_gates)
    };
    let mut pairs = Vec::new();
    let mut rules = Vec::new();
    let mut posture_gated = Vec::new();
    let mut undecided = Vec::new();
    let mut overall = Tri::Yes;
    let rule_ref = |r: usize| {
        let source = &policy.sources[policy.rules[r].source];
        RuleRef {
            file: source.location.file.clone(),
            line: source.location.line,
            column: source.location.column,
            fragment: source.fragment.clone(),
        }
    };
    for s in &srcs {
        for d in if host == "autogroup:self" { std::slice::from_ref(s) } else { &dsts[..] } {
            let v = policy.allowed(s, d, q, port.unwrap_or(0), attrs);
            overall = overall.and(v.allowed);
            pairs.push(PairVerdict { src: s.to_string(), dst: d.to_string(), verdict: word(v.allowed) });
            for (found, list) in [(v.by, &mut rules), (v.gated, &mut posture_gated)] {
                for r in found {
                    let rr = rule_ref(r);
                    if !list.contains(&rr) {
                        list.push(rr);
                    }
                }
            }
            if v.allowed == Tri::Unknown {
                for r in v.undecided {
                    let u = Undecided { rule: rule_ref(r), because: why_unknown(policy, r, s, d) };
                    if !undecided.contains(&u) {
                        undecided.push(u);
                    }
                }
            }
        }
    }
    Ok(Explanation {
        src: src.to_owned(),
        dst: host.to_owned(),
        port,
        proto: proto_text,
        verdict: word(overall),
        pairs,
        rules,
        posture_gated,
        undecided,
        out_of_force: Vec::new(),
    })
}

/// The rules of `everything` (the base and every fragment, whatever its window) that would
/// allow the question but are not in force at `at`: what a user who asks without `--at`, or
/// about an old grant, needs to hear instead of a bare "denied".
pub fn out_of_force(
    everything: &Compiled,
    src: &str,
    dst: &str,
    proto: Option<&str>,
    attrs: Option<&serde_json::Map<String, serde_json::Value>>,
    at: jiff::Timestamp,
) -> Vec<OutOfForce> {
    let Ok(e) = explain(everything, src, dst, proto, attrs) else { return Vec::new() };
    let mut out = Vec::new();
    for rule in e.rules {
        let window = everything
            .sources
            .iter()
            .find(|s| s.location.file == rule.file && s.location.line == rule.line && s.location.column == rule.column);
        let (status, when) = match window.map(|s| s.window) {
            Some((_, Some(expires))) if expires <= at => ("expired", expires),
            Some((Some(not_before), _)) if at < not_before => ("pending", not_before),
            _ => continue,
        };
        out.push(OutOfForce { rule, status, when });
    }
    out
}

/// The devices `text` stands for, or why it is not something explain can ask about: the
/// answer is about one identity or address, so a set of them (an autogroup, a prefix, `*`)
/// or a group without members is refused with what to ask instead.
fn one(policy: &Compiled, text: &str) -> Result<Vec<Device>, ExplainError> {
    use crate::model::selector::{Selector, classify};
    if let Some(d) = super::run::resolve(policy, text).filter(|d| !d.is_empty()) {
        return Ok(d);
    }
    let text = text.trim();
    let set = "is a set of devices that explain cannot list offline: ask about a user, group, tag, host alias or address in it";
    let why = match classify(text) {
        Selector::Group(_) => {
            "has no members in the policy in force, so there is no one to ask about; ask about a user".to_owned()
        }
        Selector::Host(h) => match policy.host(h) {
            // The policy's text, escaped: a hostile value cannot drive the terminal.
            Some(v) => format!(
                "is the host alias for {}, which is not one address; ask about an address in it",
                crate::model::text::one_line(v)
            ),
            None => "is not a user, group, tag, host alias or IP address that this policy defines".to_owned(),
        },
        Selector::Autogroup(_)
        | Selector::Wildcard
        | Selector::Cidr(..)
        | Selector::Range
        | Selector::UserDomain(_)
        | Selector::Ipset(_)
        | Selector::Localpart(_) => set.to_owned(),
        _ => "is not a user, group, tag, host alias or IP address, which is what explain asks about".to_owned(),
    };
    Err(ExplainError::NotOne { name: text.to_owned(), why })
}

/// What the repository does not say that rule `r` needs to decide `s` → `d`.
fn why_unknown(policy: &Compiled, r: usize, s: &Device, d: &Device) -> String {
    let rule = &policy.rules[r];
    let mut parts = Vec::new();
    if policy.matches_sel(&rule.dst, d, false, Some(s)) == Tri::Unknown {
        parts.push(format!("whether {d} is {}", rule.dst_written()));
    }
    let unknown_src: Vec<&str> = rule
        .srcs
        .iter()
        .filter(|sel| policy.matches_sel(sel, s, true, None) == Tri::Unknown)
        .map(|sel| &*sel.text)
        .collect();
    if !unknown_src.is_empty() {
        parts.push(format!("whether {s} is {}", unknown_src.join(" or ")));
    }
    if parts.is_empty() {
        parts.push("live state the repository does not hold".to_owned());
    }
    parts.join(", and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_offers_only_a_near_name() {
        let known = ["tag:prod-db", "tag:staging", "tag:prod-web", "alice@example.com", "group:dba"];
        for (asked, want) in [
            ("tag:prod-dbb", Some("tag:prod-db")),
            ("tag:prdo-db", Some("tag:prod-db")),
            ("TAG:Prod-Web", Some("tag:prod-web")),
            ("alice@exmaple.com", Some("alice@example.com")),
            ("group:dbas", Some("group:dba")),
            // Far from everything: nothing is offered rather than a guess.
            ("tag:nothing", None),
            ("zzz@foo.com", None),
            ("group:web", None),
        ] {
            assert_eq!(closest(asked, &known), want, "{asked}");
        }
        // Equally near: the first in order, whatever order the policy wrote them in.
        assert_eq!(closest("tag:ab", &["tag:ac", "tag:aa"]), Some("tag:aa"));
    }

    #[test]
    fn a_destination_takes_one_port_number() {
        for (dst, want) in [
            ("tag:web:443", Ok(("tag:web", Some(443)))),
            ("tag:web", Ok(("tag:web", None))),
            ("group:dba", Ok(("group:dba", None))),
            ("autogroup:internet", Ok(("autogroup:internet", None))),
            ("legacy-ldap:636", Ok(("legacy-ldap", Some(636)))),
            ("fd7a:115c:a1e0::1", Ok(("fd7a:115c:a1e0::1", None))),
            ("[fd7a:115c:a1e0::1]:22", Ok(("fd7a:115c:a1e0::1", Some(22)))),
        ] {
            assert_eq!(host_and_port(dst), want.map_err(|e: &str| e.to_owned()), "{dst}");
        }
        for (dst, says) in [
            ("tag:web:20-25", "\"20-25\" is not one port"),
            ("tag:web:99999", "\"99999\" is not one port"),
            ("tag:web:https", "\"https\" after tag:web: is not a port"),
            ("tag:web:", "nothing after tag:web: is not a port"),
            ("alice@example.com:ssh", "\"ssh\" after alice@example.com: is not a port"),
        ] {
            let e = host_and_port(dst).unwrap_err();
            assert!(e.starts_with(says), "{dst}: {e}");
            let host = dst.rsplit_once(':').unwrap().0;
            assert!(e.contains(&format!("e.g. {host}:")), "{dst}: an example of what to write: {e}");
        }
    }
}
