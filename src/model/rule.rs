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

/// The rule's sources: `src`, or for an ACL without one its legacy `users`.
pub fn sources(section: Section, rule: &Value) -> Option<&Value> {
    field(rule, "src").or_else(|| field(rule, "users").filter(|_| section == Section::Acls))
}

/// The rule's destinations: `dst`, or for an ACL without one its legacy `ports`.
pub fn destinations(section: Section, rule: &Value) -> Option<&Value> {
    field(rule, "dst").or_else(|| field(rule, "ports").filter(|_| section == Section::Acls))
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
    }
}
