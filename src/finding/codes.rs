//! The registry of finding codes. A code is permanent once released: never renumber or reuse
//! one. Each code's documentation lives here, as its doc comment, and `docs/rules.md` is
//! generated from it (a test fails when the file is stale).

use super::Severity;

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $name:literal, $severity:ident; )*) => {
        /// A stable finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// `TG001`
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `syntax-error`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// The documentation: what it means, why, a bad and a good example.
            pub fn doc(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc, "\n",)*),)* }
            }
        }
    };
}

codes! {
    /// The file cannot be read: it is missing, a directory, unreadable, or a symlink loop.
    /// Nothing else about it can be checked, so `check` exits with 2.
    ///
    /// Fix the path in `tailgrant.hujson` (`base`, `fragments`) or the file's permissions.
    Unreadable = "TG000", "unreadable-file", Error;
    /// The file is not valid HuJSON. The message is the one Tailscale's own parser gives, at
    /// the same place. HuJSON is JSON plus `//` and `/* */` comments and trailing commas; it
    /// has no single quotes, unquoted keys or `NaN`. A `//` comment on the last line needs a
    /// newline after it.
    ///
    /// Bad: `{ "acls": [ { "action": "accept", } ] // done` (no final newline)
    ///
    /// Good: the same with a newline at the end.
    Syntax = "TG001", "syntax-error", Error;
    /// An object has the same key twice. Tailscale silently keeps the last one, so the first
    /// rule or group is lost without a word. Keys of policy sections and fields match without
    /// regard to case, so `"acls"` and `"ACLs"` are the same key.
    ///
    /// Bad: `{ "groups": {...}, "Groups": {...} }`
    ///
    /// Good: one `"groups"` holding every group.
    DuplicateKey = "TG002", "duplicate-key", Error;
    /// A key that Tailscale (or, in a fragment or the config, tailgrant) does not know. The
    /// control plane rejects unknown fields, and a misspelt key would otherwise be ignored.
    ///
    /// Bad: `{ "tagOwner": { "tag:web": ["group:ops"] } }`
    ///
    /// Good: `{ "tagOwners": { "tag:web": ["group:ops"] } }`
    UnknownKey = "TG003", "unknown-key", Error;
    /// A value has the wrong type or form: a string where a list belongs, a timestamp that is
    /// not RFC 3339, a duration like `3 weeks`.
    ///
    /// Bad: `"src": "group:ops"`, `"expires": "Friday"`
    ///
    /// Good: `"src": ["group:ops"]`, `"expires": "2026-11-27T17:00:00Z"`
    InvalidValue = "TG004", "invalid-value", Error;
    /// The file is empty or holds only comments. Tailscale's parser rejects it; a fragment
    /// with nothing in it is a mistake.
    ///
    /// Good: at least `{}`.
    EmptyFile = "TG005", "empty-file", Error;
    /// The file is not valid UTF-8 (it may be UTF-16, or Latin-1 from an old editor).
    /// Save it as UTF-8 without a byte-order mark.
    InvalidUtf8 = "TG006", "invalid-utf8", Error;
    /// The file's top level is not an object. A policy, a fragment and the config are each a
    /// single `{ ... }`.
    ///
    /// Bad: `[ { "src": ["alice@example.com"], ... } ]`
    ///
    /// Good: `{ "grants": [ { "src": ["alice@example.com"], ... } ] }`
    NotAnObject = "TG007", "not-an-object", Error;
    /// A glob in `tailgrant.hujson` (`fragments`, `exclude`, a guardrail's `match`) is not a
    /// valid glob.
    ///
    /// Bad: `"fragments": ["grants/[*.hujson"]`
    ///
    /// Good: `"fragments": ["grants/**/*.hujson"]`
    InvalidGlob = "TG008", "invalid-glob", Error;
    /// A fragment adds members to a group that the base policy does not define. Fragments may
    /// only add people to existing groups, so that a pull request cannot invent a group that
    /// reviewers have never seen (set `allowNewGroups` in the config to permit it).
    ///
    /// Bad: `"groups": { "group:new-team": ["alice@example.com"] }`
    ///
    /// Good: add `group:new-team` to the base policy in its own reviewed change first.
    UnknownGroup = "TG050", "unknown-group", Error;
    /// A fragment defines a host, tag owner, IP set, posture or auto-approver that the base
    /// (or an earlier fragment) already defines with another value. Which one should win is a
    /// decision for a person, so both places are named.
    ///
    /// Bad: base `"hosts": {"db": "100.64.0.1"}`, fragment `"hosts": {"db": "100.64.0.9"}`
    ///
    /// Good: a new name in the fragment, or change the base.
    ConflictingDefinition = "TG051", "conflicting-definition", Error;
    /// `notBefore` is not earlier than `expires`, so the fragment can never be active.
    ///
    /// Bad: `"notBefore": "2026-11-23T09:00:00Z", "expires": "2026-11-23T09:00:00Z"`
    InvalidWindow = "TG052", "invalid-window", Error;
    /// The fragment has expired and contributes nothing. `tailgrant prune --delete` removes
    /// expired fragments; a scheduled job can commit that.
    Expired = "TG053", "expired-fragment", Warning;
    /// The fragment is active and expires within the config's `warnBefore` window (72 hours by
    /// default). Renew it with a new pull request if the access is still needed.
    ExpiresSoon = "TG054", "expires-soon", Warning;
}

#[cfg(test)]
mod tests {
    use super::Code;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let codes: HashSet<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let names: HashSet<_> = Code::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(codes.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
        for c in Code::ALL {
            assert!(c.as_str().starts_with("TG") && c.as_str().len() == 5, "{c:?}");
            assert!(!c.doc().trim().is_empty(), "{c:?} has no documentation");
        }
    }
}
