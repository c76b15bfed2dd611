//! A rule's sources and destinations, read the way Tailscale reads them. ACLs have legacy
//! spellings (`users` for `src`, `ports` for `dst`); grants and SSH rules do not, and an SSH
//! rule's `users` are logins, never sources. Every reader asks here, so the spellings are
//! decided in one place.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::model::selector::{PortRange, Selector, classify, parse_ports, split_host_ports};
use crate::parse::Value;

/// The policy sections that hold access rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Acls,
    Grants,
    Ssh,
}

impl Section {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Section::Acls => "acls",
            Section::Grants => "grants",
            Section::Ssh => "ssh",
        }
    }
}

/// A field of an entry, matched case-insensitively.
pub(crate) fn field<'v>(rule: &'v Value, key: &str) -> Option<&'v Value> {
    rule.as_object()?.get_ci(key).map(|m| &m.value)
}

/// The rules of `section` in a policy or fragment tree (keys case-insensitive).
pub(crate) fn section(tree: &Value, section: Section) -> Option<&[Value]> {
    field(tree, section.key()).and_then(|v| v.as_array()).map(|a| &a.elements[..])
}

/// The rule's sources: `src`, or for an ACL without one its legacy `users`.
fn sources(section: Section, rule: &Value) -> Option<&Value> {
    field(rule, "src").or_else(|| field(rule, "users").filter(|_| section == Section::Acls))
}

/// The rule's destinations: `dst`, or for an ACL without one its legacy `ports`.
fn destinations(section: Section, rule: &Value) -> Option<&Value> {
    field(rule, "dst").or_else(|| field(rule, "ports").filter(|_| section == Section::Acls))
}

/// Every destination list the rule writes, in either spelling: with both `dst` and `ports`
/// (TG002 refuses the pair, since which one Tailscale reads is not documented) either may be
/// the one read, so what reports what a rule may open names both.
pub(crate) fn every_destination(section: Section, rule: &Value) -> impl Iterator<Item = &Value> {
    let legacy = field(rule, "ports").filter(|_| section == Section::Acls);
    field(rule, "dst").into_iter().chain(legacy)
}

/// Everyone a fragment's tree gives access to: every source of its ACLs, grants and SSH rules
/// (in either spelling), and every member it adds to a group, each with where it is written.
/// Posture mode's check and apply both ask this, so that they cannot disagree on who is gated.
pub(crate) fn fragment_sources(tree: &Value) -> Vec<(Cow<'_, str>, &Value)> {
    let mut out = Vec::new();
    for section in [Section::Acls, Section::Grants, Section::Ssh] {
        for rule in self::section(tree, section).unwrap_or_default() {
            out.extend(sources(section, rule).map(strings).unwrap_or_default());
        }
    }
    let groups = field(tree, "groups").and_then(|v| v.as_object()).map_or(&[][..], |o| &o.members[..]);
    for g in groups {
        out.extend(strings(&g.value));
    }
    out
}

/// The string elements of a list value, decoded (borrowed unless escaped), with the value each
/// came from; anything else holds none.
pub(crate) fn strings(v: &Value) -> Vec<(Cow<'_, str>, &Value)> {
    match v.as_array() {
        Some(a) => a.elements.iter().filter_map(|e| Some((e.as_cow()?, e))).collect(),
        None => Vec::new(),
    }
}

/// The string elements of a list value, each trimmed and classified; anything else holds none.
pub(crate) fn sels(list: &Value) -> Vec<Sel<'_>> {
    strings(list).into_iter().map(|(s, at)| Sel::new(s, at)).collect()
}

/// What a selector names, without the name: [`Selector`]'s discriminant, owned, so that a
/// rule can keep it next to the text it was classified from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Wildcard,
    Ip(IpAddr),
    Cidr(IpAddr, u8),
    Range,
    Tag,
    Group,
    Autogroup,
    Ipset,
    Service,
    Posture,
    UserDomain,
    HostRef,
    Localpart,
    User,
    Host,
}

impl Kind {
    fn of(sel: &Selector<'_>) -> Kind {
        match sel {
            Selector::Wildcard => Kind::Wildcard,
            Selector::Ip(ip) => Kind::Ip(*ip),
            Selector::Cidr(ip, len) => Kind::Cidr(*ip, *len),
            Selector::Range => Kind::Range,
            Selector::Tag(_) => Kind::Tag,
            Selector::Group(_) => Kind::Group,
            Selector::Autogroup(_) => Kind::Autogroup,
            Selector::Ipset(_) => Kind::Ipset,
            Selector::Service(_) => Kind::Service,
            Selector::Posture(_) => Kind::Posture,
            Selector::UserDomain(_) => Kind::UserDomain,
            Selector::HostRef(_) => Kind::HostRef,
            Selector::Localpart(_) => Kind::Localpart,
            Selector::User(_) => Kind::User,
            Selector::Host(_) => Kind::Host,
        }
    }
}

/// One selector of a rule, trimmed and classified once, with where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Sel<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) at: &'a Value,
    pub(crate) kind: Kind,
}

impl<'a> Sel<'a> {
    /// `text` as written at `at`, trimmed and classified.
    pub(super) fn new(text: Cow<'a, str>, at: &'a Value) -> Sel<'a> {
        let text = match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) if s.trim().len() == s.len() => Cow::Owned(s),
            Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
        };
        let kind = Kind::of(&classify(&text));
        Sel { text, at, kind }
    }

    /// A string value, trimmed and classified; `None` for any other value.
    pub(crate) fn of(v: &'a Value) -> Option<Sel<'a>> {
        Some(Sel::new(v.as_cow()?, v))
    }

    /// The text as written, spaces and all.
    pub(crate) fn raw(&self) -> Cow<'a, str> {
        self.at.as_cow().unwrap_or_default()
    }

    /// The selector with its name, from the kind found when the rule was read.
    pub(crate) fn selector(&self) -> Selector<'_> {
        named(&self.text, self.kind)
    }
}

/// The selector `text` (trimmed) of kind `kind` names: the name is what follows the prefix
/// [`classify`] matched.
fn named(t: &str, kind: Kind) -> Selector<'_> {
    let name = || t.split_once(':').map_or("", |(_, name)| name);
    match kind {
        Kind::Wildcard => Selector::Wildcard,
        Kind::Ip(ip) => Selector::Ip(ip),
        Kind::Cidr(ip, len) => Selector::Cidr(ip, len),
        Kind::Range => Selector::Range,
        Kind::Tag => Selector::Tag(name()),
        Kind::Group => Selector::Group(name()),
        Kind::Autogroup => Selector::Autogroup(name()),
        Kind::Ipset => Selector::Ipset(name()),
        Kind::Service => Selector::Service(name()),
        Kind::Posture => Selector::Posture(name()),
        Kind::UserDomain => Selector::UserDomain(t.strip_prefix("user:*@").unwrap_or_default()),
        Kind::HostRef => Selector::HostRef(name()),
        Kind::Localpart => Selector::Localpart(name()),
        Kind::User => Selector::User(t),
        Kind::Host => Selector::Host(t),
    }
}

/// A selector classified once and owned, for state that outlives the tree it was read from
/// (the evaluator's rules and definitions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    /// The text as the holder looks it up: trimmed for a rule's selectors and a host's value;
    /// an IP set entry's target keeps whitespace other than spaces, as written (TG110 refuses
    /// such an entry).
    pub(crate) text: Box<str>,
    pub(crate) kind: Kind,
}

impl Classified {
    /// `text`, trimmed and classified.
    pub(crate) fn new(text: &str) -> Classified {
        Classified::as_written(text.trim())
    }

    /// `text` kept as it is, classified (as [`classify`] does, trimmed).
    pub(crate) fn as_written(text: &str) -> Classified {
        Classified { kind: Kind::of(&classify(text)), text: text.into() }
    }

    /// The selector with its name, from the kind found when it was classified.
    pub(crate) fn selector(&self) -> Selector<'_> {
        named(self.text.trim(), self.kind)
    }
}

impl From<&Sel<'_>> for Classified {
    /// A rule's selector, with the kind found when the rule was read.
    fn from(sel: &Sel<'_>) -> Classified {
        Classified { text: (*sel.text).into(), kind: sel.kind }
    }
}

/// The ports of a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DstPorts {
    /// A grant's or SSH rule's destination: its other fields say what it opens.
    Unwritten,
    /// An ACL destination's ports, after the host.
    Acl(Vec<PortRange>),
    /// An ACL destination that is not `host:ports` with valid ports (TG113 says why): its
    /// selector is the host when one could be split off, else the whole text.
    Invalid,
}

/// A destination of a rule: the host selector and, for an ACL, its ports.
#[derive(Debug, Clone)]
pub(crate) struct Dst<'a> {
    pub(crate) sel: Sel<'a>,
    pub(crate) ports: DstPorts,
}

/// A rule (an ACL, a grant, an SSH rule) read once: its sources and destinations in the
/// spellings Tailscale reads, each selector trimmed and classified.
#[derive(Debug, Clone)]
pub(crate) struct Rule<'a> {
    pub(crate) section: Section,
    /// The list of sources as written, in the spelling read, for findings about the list.
    pub(crate) src_list: Option<&'a Value>,
    pub(crate) dst_list: Option<&'a Value>,
    pub(crate) sources: Vec<Sel<'a>>,
    pub(crate) destinations: Vec<Dst<'a>>,
    /// Its own `srcPosture`, when written: the postures a device must meet, any one of them. A
    /// rule's own list replaces `defaultSrcPosture` rather than adding to it (device posture
    /// docs), so a list written empty or as something else (TG004) still stands, holding none.
    pub(crate) src_posture: Option<Vec<Sel<'a>>>,
    /// That `srcPosture` as written, for findings about the list.
    pub(crate) src_posture_list: Option<&'a Value>,
    /// Fields more than one stage reads, found once (keys in any case), as written, in every
    /// section (a check refuses them where they do not belong): `action`, `proto`, `ip`, `app`,
    /// and an SSH rule's logins (its `users`; in an ACL that key is the legacy `src`).
    pub(crate) action: Option<&'a Value>,
    pub(crate) proto: Option<&'a Value>,
    pub(crate) ip: Option<&'a Value>,
    pub(crate) app: Option<&'a Value>,
    pub(crate) logins: Option<&'a Value>,
    /// Its `via`: the tags whose devices route its traffic. Read in every section, since the
    /// guardrails count a router wherever the key is written; only a grant may have one (TG003).
    pub(crate) via: Vec<Sel<'a>>,
}

impl<'a> Rule<'a> {
    /// The one place that reads a rule's sources and destinations from the tree.
    pub(crate) fn of(section: Section, value: &'a Value) -> Rule<'a> {
        let (src_list, dst_list) = (sources(section, value), destinations(section, value));
        let sources = src_list.map(sels).unwrap_or_default();
        let destinations = dst_list
            .map(strings)
            .unwrap_or_default()
            .into_iter()
            .map(|(d, at)| match section {
                Section::Acls => acl_destination(d, at),
                Section::Grants | Section::Ssh => Dst { sel: Sel::new(d, at), ports: DstPorts::Unwritten },
            })
            .collect();
        let src_posture_list = field(value, "srcPosture");
        let src_posture = src_posture_list.map(sels);
        let via = field(value, "via").map(sels).unwrap_or_default();
        Rule {
            section,
            src_list,
            dst_list,
            sources,
            destinations,
            src_posture,
            src_posture_list,
            action: field(value, "action"),
            proto: field(value, "proto"),
            ip: field(value, "ip"),
            app: field(value, "app"),
            logins: if section == Section::Ssh { field(value, "users") } else { None },
            via,
        }
    }
}

/// An ACL destination, `host:ports`, split at the last colon (IPv6 in brackets). Without a
/// colon the whole text is the host, and its (empty) ports are invalid.
fn acl_destination<'a>(d: Cow<'a, str>, at: &'a Value) -> Dst<'a> {
    let (host, ports) =
        split_cow(&d, |d| Some(split_host_ports(d.trim()).unwrap_or((d.trim(), "")))).unwrap_or_default();
    let ports = parse_ports(&ports).map_or(DstPorts::Invalid, DstPorts::Acl);
    Dst { sel: Sel::new(host, at), ports }
}

/// `split` applied to a decoded string, the parts borrowed from the source text when the
/// string is.
pub(super) fn split_cow<'a>(
    s: &Cow<'a, str>,
    split: impl for<'x> Fn(&'x str) -> Option<(&'x str, &'x str)>,
) -> Option<(Cow<'a, str>, Cow<'a, str>)> {
    match s {
        Cow::Borrowed(s) => split(s).map(|(a, b)| (Cow::Borrowed(a), Cow::Borrowed(b))),
        Cow::Owned(s) => split(s).map(|(a, b)| (Cow::Owned(a.to_owned()), Cow::Owned(b.to_owned()))),
    }
}

/// A rule's own `srcPosture`, when written, its names trimmed and classified: for
/// [`Rule::of`], and for posture mode's merge, which rewrites the list in the tree.
pub(crate) fn src_posture(rule: &Value) -> Option<Vec<Sel<'_>>> {
    field(rule, "srcPosture").map(sels)
}

/// An ACL test's source: `src`, or its legacy `user`.
pub(crate) fn test_source(test: &Value) -> Option<&Value> {
    field(test, "src").or_else(|| field(test, "user"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Value {
        crate::parse::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn acls_read_their_legacy_spellings() {
        let legacy = rule(r#"{"action": "accept", "Users": ["alice@example.com"], "Ports": ["tag:db:5432"]}"#);
        assert_eq!(
            sources(Section::Acls, &legacy).unwrap().span(),
            legacy.as_object().unwrap().members[1].value.span()
        );
        assert_eq!(
            destinations(Section::Acls, &legacy).unwrap().span(),
            legacy.as_object().unwrap().members[2].value.span()
        );
        // `src` wins over `users` when both are written (TG1xx reports the pair).
        let both = rule(r#"{"src": ["a@example.com"], "users": ["b@example.com"], "dst": ["*:*"]}"#);
        assert_eq!(sources(Section::Acls, &both).unwrap().span(), both.as_object().unwrap().members[0].value.span());
    }

    #[test]
    fn ssh_users_are_logins_and_grants_have_no_legacy_fields() {
        let ssh = rule(r#"{"action": "accept", "users": ["root"], "dst": ["tag:web"]}"#);
        assert!(sources(Section::Ssh, &ssh).is_none());
        let grant = rule(r#"{"users": ["alice@example.com"], "ports": ["tag:db:5432"]}"#);
        assert!(sources(Section::Grants, &grant).is_none());
        assert!(destinations(Section::Grants, &grant).is_none());
        let test = rule(r#"{"User": "alice@example.com", "accept": ["tag:db:5432"]}"#);
        assert_eq!(test_source(&test).unwrap().as_str().as_deref(), Some("alice@example.com"));
        let fragment = rule(
            r#"{"acls": [{"action": "accept", "users": ["a@example.com"], "dst": ["tag:x:1"]}],
                "ssh": [{"action": "accept", "src": ["b@example.com"], "users": ["root"], "dst": ["tag:x"]}],
                "groups": {"group:g": ["c@example.com"]}}"#,
        );
        let who: Vec<_> = fragment_sources(&fragment).into_iter().map(|(s, _)| s.into_owned()).collect();
        assert_eq!(who, ["a@example.com", "b@example.com", "c@example.com"]);
    }

    #[test]
    fn a_definitions_selectors_are_its_string_elements_with_where_each_is_written() {
        let v = rule(r#"[" group:eng", 5, "a\u0040b.com", "tag:x"]"#);
        let elements = &v.as_array().unwrap().elements;
        let read: Vec<_> = sels(&v).into_iter().map(|s| (s.raw().into_owned(), s.kind, s.at.span())).collect();
        assert_eq!(
            read,
            [
                (" group:eng".to_owned(), Kind::Group, elements[0].span()),
                ("a@b.com".to_owned(), Kind::User, elements[2].span()),
                ("tag:x".to_owned(), Kind::Tag, elements[3].span()),
            ]
        );
        assert!(sels(&rule(r#""group:eng""#)).is_empty());
        let host = rule(r#"" 10.0.0.0/8""#);
        let address = Sel::of(&host).unwrap();
        assert_eq!((&*address.text, address.kind), ("10.0.0.0/8", Kind::Cidr("10.0.0.0".parse().unwrap(), 8)));
        assert!(Sel::of(&rule("5")).is_none());
    }

    #[test]
    fn a_rules_own_posture_and_via_are_read_in_any_case_and_stand_when_empty() {
        let grant = rule(r#"{"src": ["*"], "dst": ["*"], "SrcPosture": [" posture:a", 5], "Via": ["tag:exit ", []]}"#);
        let r = Rule::of(Section::Grants, &grant);
        let postures: Vec<_> = r.src_posture.iter().flatten().map(|p| (&*p.text, p.kind)).collect();
        assert_eq!(postures, [("posture:a", Kind::Posture)]);
        assert_eq!(r.via.iter().map(|v| (&*v.text, v.kind)).collect::<Vec<_>>(), [("tag:exit", Kind::Tag)]);
        // Written, even as an empty list or a string, it replaces the default: it requires none.
        for written in [r#"{"srcPosture": []}"#, r#"{"srcPosture": "posture:a"}"#] {
            assert_eq!(Rule::of(Section::Acls, &rule(written)).src_posture.map(|p| p.len()), Some(0), "{written}");
        }
        let bare = rule(r#"{"action": "accept"}"#);
        let bare = Rule::of(Section::Ssh, &bare);
        assert!(bare.src_posture.is_none() && bare.via.is_empty());
    }

    #[test]
    fn every_destination_names_both_spellings_of_an_acl() {
        let both = rule(r#"{"action": "accept", "src": ["a@example.com"], "Ports": ["tag:b:2"], "dst": ["tag:a:1"]}"#);
        let spans: Vec<_> = every_destination(Section::Acls, &both).map(|v| v.span()).collect();
        let members = &both.as_object().unwrap().members;
        assert_eq!(spans, [members[3].value.span(), members[2].value.span()]);
        // A grant's `ports` is no spelling of anything.
        assert_eq!(every_destination(Section::Grants, &both).count(), 1);
    }

    #[test]
    fn a_rule_is_read_once_into_classified_selectors() {
        let acl = rule(
            r#"{"action": "accept", "users": [" group:eng ", "user:*@example.com", "a\u0040b.com"],
                "ports": ["tag:db:5432", "[fd7a::1]:22", "tag:web", "autogroup:self:x"]}"#,
        );
        let r = Rule::of(Section::Acls, &acl);
        let srcs: Vec<_> = r.sources.iter().map(|s| (&*s.text, s.selector())).collect();
        assert_eq!(
            srcs,
            [
                ("group:eng", Selector::Group("eng")),
                ("user:*@example.com", Selector::UserDomain("example.com")),
                ("a@b.com", Selector::User("a@b.com")),
            ]
        );
        let dsts: Vec<_> = r.destinations.iter().map(|d| (&*d.sel.text, d.sel.kind, d.ports.clone())).collect();
        let v6 = "fd7a::1".parse().unwrap();
        assert_eq!(
            dsts,
            [
                ("tag:db", Kind::Tag, DstPorts::Acl(vec![(5432, 5432)])),
                ("fd7a::1", Kind::Ip(v6), DstPorts::Acl(vec![(22, 22)])),
                // No port: split at the tag's colon, as Tailscale does, and refused (TG113).
                ("tag", Kind::Host, DstPorts::Invalid),
                ("autogroup:self", Kind::Autogroup, DstPorts::Invalid),
            ]
        );
        // Every kind gives back the selector `classify` gives for the text.
        for text in [
            "*",
            "10.0.0.1",
            "10.0.0.0/8",
            "1.2.3.4-1.2.3.9",
            "tag:a",
            "autogroup:self",
            "ipset:x",
            "svc:y",
            "posture:z",
            "user:*@d",
            "host:h",
            "localpart:*@d",
            "u@d",
            "web",
            "group:g@d",
        ] {
            let v = rule("1");
            let sel = Sel::new(Cow::Borrowed(text), &v);
            assert_eq!(sel.selector(), classify(text), "{text}");
            // Owned, it keeps the kind the rule was read with.
            let owned = Classified::from(&sel);
            assert_eq!((owned.selector(), owned.kind), (classify(text), sel.kind), "{text}");
            assert_eq!(Classified::new(&format!(" {text}\t")), owned, "{text}");
        }
        // As written, the text keeps its whitespace and the selector is the trimmed one's.
        let tab = Classified::as_written("\tipset:a");
        assert_eq!((&*tab.text, tab.kind, tab.selector()), ("\tipset:a", Kind::Ipset, Selector::Ipset("a")));
    }
}
