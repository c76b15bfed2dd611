//! A rule's sources and destinations, read the way Tailscale reads them. ACLs have legacy
//! spellings (`users` for `src`, `ports` for `dst`); grants and SSH rules do not, and an SSH
//! rule's `users` are logins, never sources. Every reader asks here, so the spellings are
//! decided in one place.

use crate::parse::Value;

/// The policy sections that hold access rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Acls,
    Grants,
    Ssh,
}

impl Section {
    /// The section for a policy key as written (`"acls"`, `"ACLs"`…), if it holds rules.
    pub fn of(key: &str) -> Option<Section> {
        [Section::Acls, Section::Grants, Section::Ssh].into_iter().find(|s| s.key().eq_ignore_ascii_case(key))
    }

    pub fn key(self) -> &'static str {
        match self {
            Section::Acls => "acls",
            Section::Grants => "grants",
            Section::Ssh => "ssh",
        }
    }
}

fn field<'v>(rule: &'v Value, key: &str) -> Option<&'v Value> {
    rule.as_object()?.get_ci(key).map(|m| &m.value)
}

/// The rules of `section` in a policy or fragment tree (keys case-insensitive).
pub fn section(tree: &Value, section: Section) -> Option<&[Value]> {
    field(tree, section.key()).and_then(|v| v.as_array()).map(|a| &a.elements[..])
}

/// The rule's sources: `src`, or for an ACL without one its legacy `users`.
pub fn sources(section: Section, rule: &Value) -> Option<&Value> {
    field(rule, "src").or_else(|| field(rule, "users").filter(|_| section == Section::Acls))
}

/// The rule's destinations: `dst`, or for an ACL without one its legacy `ports`.
pub fn destinations(section: Section, rule: &Value) -> Option<&Value> {
    field(rule, "dst").or_else(|| field(rule, "ports").filter(|_| section == Section::Acls))
}

/// Every destination list the rule writes, in either spelling: with both `dst` and `ports`
/// (TG002 refuses the pair, since which one Tailscale reads is not documented) either may be
/// the one read, so what reports what a rule may open names both.
pub fn every_destination(section: Section, rule: &Value) -> impl Iterator<Item = &Value> {
    let legacy = field(rule, "ports").filter(|_| section == Section::Acls);
    field(rule, "dst").into_iter().chain(legacy)
}

/// Everyone a fragment's tree gives access to: every source of its ACLs, grants and SSH rules
/// (in either spelling), and every member it adds to a group, each with where it is written.
/// Posture mode's check and apply both ask this, so that they cannot disagree on who is gated.
pub fn fragment_sources(tree: &Value) -> Vec<(std::borrow::Cow<'_, str>, &Value)> {
    fn strings(v: &Value) -> Vec<(std::borrow::Cow<'_, str>, &Value)> {
        match v.as_array() {
            Some(a) => a.elements.iter().filter_map(|e| Some((e.as_cow()?, e))).collect(),
            None => Vec::new(),
        }
    }
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

/// An ACL test's source: `src`, or its legacy `user`.
pub fn test_source(test: &Value) -> Option<&Value> {
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
        assert_eq!(sources(Section::Acls, &legacy).unwrap().span, legacy.as_object().unwrap().members[1].value.span);
        assert_eq!(
            destinations(Section::Acls, &legacy).unwrap().span,
            legacy.as_object().unwrap().members[2].value.span
        );
        // `src` wins over `users` when both are written (TG1xx reports the pair).
        let both = rule(r#"{"src": ["a@example.com"], "users": ["b@example.com"], "dst": ["*:*"]}"#);
        assert_eq!(sources(Section::Acls, &both).unwrap().span, both.as_object().unwrap().members[0].value.span);
    }

    #[test]
    fn ssh_users_are_logins_and_grants_have_no_legacy_fields() {
        let ssh = rule(r#"{"action": "accept", "users": ["root"], "dst": ["tag:web"]}"#);
        assert!(sources(Section::Ssh, &ssh).is_none());
        let grant = rule(r#"{"users": ["alice@example.com"], "ports": ["tag:db:5432"]}"#);
        assert!(sources(Section::Grants, &grant).is_none());
        assert!(destinations(Section::Grants, &grant).is_none());
        assert_eq!(Section::of("ACLs"), Some(Section::Acls));
        assert_eq!(Section::of("tests"), None);
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
    fn every_destination_names_both_spellings_of_an_acl() {
        let both = rule(r#"{"action": "accept", "src": ["a@example.com"], "Ports": ["tag:b:2"], "dst": ["tag:a:1"]}"#);
        let spans: Vec<_> = every_destination(Section::Acls, &both).map(|v| v.span.clone()).collect();
        let members = &both.as_object().unwrap().members;
        assert_eq!(spans, [members[3].value.span.clone(), members[2].value.span.clone()]);
        // A grant's `ports` is no spelling of anything.
        assert_eq!(every_destination(Section::Grants, &both).count(), 1);
    }
}
