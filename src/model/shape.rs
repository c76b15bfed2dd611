//! The keys Tailscale knows, section by section, as data.
//!
//! Tailscale decodes the policy with Go's `encoding/json`, which matches object keys to fields
//! case-insensitively and rejects unknown fields. This table lets `check` do the same before
//! serde sees the file: it names the canonical spelling of every key (so `"TagOwners"` is
//! read as `tagOwners`), flags unknown keys with the nearest known one, and flags duplicates.
//! Keys are listed once here; growing the list when Tailscale adds a field is a one-line change.

/// What a JSON value at some place in a file is expected to look like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// Not inspected here (serde or later checks look at it).
    Any,
    /// An object with a fixed set of keys, matched case-insensitively.
    Fields(&'static [(&'static str, Shape)]),
    /// An object whose keys are names chosen by the user (groups, hosts…), each value of a shape.
    Map(&'static Shape),
    /// A list whose elements have a shape.
    List(&'static Shape),
}

impl Shape {
    /// The canonical spelling of `key` among this shape's fields.
    pub(crate) fn field(&self, key: &str) -> Option<(&'static str, Shape)> {
        match self {
            Shape::Fields(fields) => fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).copied(),
            _ => None,
        }
    }

    /// The known key closest to a misspelt one, if any is close enough to be a useful hint.
    pub(crate) fn suggest(&self, key: &str) -> Option<&'static str> {
        let Shape::Fields(fields) = self else { return None };
        let lower = key.to_ascii_lowercase();
        fields
            .iter()
            .map(|(k, _)| (strsim::jaro_winkler(&lower, &k.to_ascii_lowercase()), *k))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k)
    }
}

const STRINGS: Shape = Shape::List(&Shape::Any);

pub(crate) const ACL: Shape = Shape::Fields(&[
    ("action", Shape::Any),
    ("src", STRINGS),
    ("dst", STRINGS),
    ("proto", Shape::Any),
    ("srcPosture", STRINGS),
    // Legacy spellings of src and dst that Tailscale still accepts.
    ("users", STRINGS),
    ("ports", STRINGS),
]);

pub(crate) const GRANT: Shape = Shape::Fields(&[
    ("src", STRINGS),
    ("dst", STRINGS),
    ("ip", STRINGS),
    ("app", Shape::Any),
    ("srcPosture", STRINGS),
    ("via", STRINGS),
]);

pub(crate) const SSH: Shape = Shape::Fields(&[
    ("action", Shape::Any),
    ("src", STRINGS),
    ("dst", STRINGS),
    ("users", STRINGS),
    ("checkPeriod", Shape::Any),
    ("acceptEnv", STRINGS),
    ("srcPosture", STRINGS),
    ("recorder", STRINGS),
    ("enforceRecorder", Shape::Any),
]);

pub(crate) const NODE_ATTR: Shape =
    Shape::Fields(&[("target", STRINGS), ("attr", STRINGS), ("app", Shape::Any), ("ipPool", STRINGS)]);

pub(crate) const TEST: Shape = Shape::Fields(&[
    ("src", Shape::Any),
    ("proto", Shape::Any),
    ("accept", STRINGS),
    ("deny", STRINGS),
    ("srcPostureAttrs", Shape::Any),
    // Legacy spellings of src and accept.
    ("user", Shape::Any),
    ("allow", STRINGS),
]);

pub(crate) const SSH_TEST: Shape = Shape::Fields(&[
    ("src", Shape::Any),
    ("dst", STRINGS),
    ("accept", STRINGS),
    ("check", STRINGS),
    ("deny", STRINGS),
    ("srcPostureAttrs", Shape::Any),
]);

pub(crate) const AUTO_APPROVERS: Shape =
    Shape::Fields(&[("routes", Shape::Map(&STRINGS)), ("exitNode", STRINGS), ("services", Shape::Map(&STRINGS))]);

/// The policy sections fragments may carry (written once, used in three tables below); the
/// rest of the policy's sections are the base file's alone.
macro_rules! mergeable_sections {
    ($($extra:expr),* $(,)?) => {
        &[
            ("groups", Shape::Map(&STRINGS)),
            ("hosts", Shape::Map(&Shape::Any)),
            ("tagOwners", Shape::Map(&STRINGS)),
            ("ipsets", Shape::Map(&STRINGS)),
            ("postures", Shape::Map(&STRINGS)),
            ("autoApprovers", AUTO_APPROVERS),
            ("acls", Shape::List(&ACL)),
            ("grants", Shape::List(&GRANT)),
            ("ssh", Shape::List(&SSH)),
            ("nodeAttrs", Shape::List(&NODE_ATTR)),
            ("tests", Shape::List(&TEST)),
            ("sshTests", Shape::List(&SSH_TEST)),
            $($extra,)*
        ]
    };
}

pub(crate) const MERGEABLE_SECTIONS: &[(&str, Shape)] = mergeable_sections!();

pub(crate) const POLICY: Shape = Shape::Fields(mergeable_sections![
    ("defaultSrcPosture", STRINGS),
    ("derpMap", Shape::Any),
    ("disableIPv4", Shape::Any),
    ("OneCGNATRoute", Shape::Any),
    ("randomizeClientPort", Shape::Any),
    ("attrConfig", Shape::Any),
    // Enabled by Tailscale support; Tailscale's own ACL combiner treats it as a section.
    ("extraDNSRecords", Shape::Any),
]);

pub(crate) const POSTURE_ATTRIBUTE: Shape =
    Shape::Fields(&[("device", Shape::Any), ("key", Shape::Any), ("value", Shape::Any), ("comment", Shape::Any)]);

pub(crate) const FRAGMENT: Shape = Shape::Fields(mergeable_sections![
    ("$schema", Shape::Any),
    ("description", Shape::Any),
    ("requester", Shape::Any),
    ("approvers", STRINGS),
    ("notBefore", Shape::Any),
    ("expires", Shape::Any),
    ("postureAttributes", Shape::List(&POSTURE_ATTRIBUTE)),
]);

pub(crate) const GUARDRAIL: Shape = Shape::Fields(&[
    ("match", Shape::Any),
    ("requireExpiry", Shape::Any),
    ("maxDuration", Shape::Any),
    ("allowSections", STRINGS),
    ("forbidWildcards", Shape::Any),
    ("requireApprovers", Shape::Any),
    ("approversMustOwnTags", Shape::Any),
    ("forbidSelfApproval", Shape::Any),
    ("requireDescription", Shape::Any),
    ("widestPrefix", Shape::Fields(&[("ipv4", Shape::Any), ("ipv6", Shape::Any)])),
    ("maxPorts", Shape::Any),
]);

pub(crate) const CONFIG: Shape = Shape::Fields(&[
    ("$schema", Shape::Any),
    ("base", Shape::Any),
    ("fragments", STRINGS),
    ("exclude", STRINGS),
    ("tailnet", Shape::Any),
    ("guardrails", Shape::List(&GUARDRAIL)),
    ("warnBefore", Shape::Any),
    ("allowNewGroups", Shape::Any),
    ("enforceExpiry", Shape::Any),
    ("domains", STRINGS),
    ("externalUsers", STRINGS),
    ("devices", Shape::Any),
    ("users", Shape::Any),
    ("groupTestsPerMember", Shape::Any),
    ("owners", Shape::Map(&STRINGS)),
    ("people", Shape::Map(&ACCOUNTS)),
    ("approvals", APPROVALS),
    ("consoleLink", Shape::Any),
    ("tailnets", Shape::Map(&TAILNET)),
]);

/// One entry of the config's `tailnets`.
pub(crate) const TAILNET: Shape =
    Shape::Fields(&[("tailnet", Shape::Any), ("base", Shape::Any), ("fragments", STRINGS), ("exclude", STRINGS)]);

pub(crate) const ACCOUNTS: Shape = Shape::Fields(&[("github", Shape::Any), ("gitlab", Shape::Any)]);

pub(crate) const APPROVALS: Shape = Shape::Fields(&[
    ("minimum", Shape::Any),
    ("requireOwnerApproval", Shape::Any),
    ("acceptEarlierCommit", Shape::Any),
    ("verifyOnApply", Shape::Any),
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_sections_are_policy_sections() {
        for (name, _) in MERGEABLE_SECTIONS {
            assert!(POLICY.field(name).is_some(), "{name}");
            assert!(FRAGMENT.field(name).is_some(), "{name}");
        }
    }

    #[test]
    fn matches_case_insensitively_and_suggests() {
        assert_eq!(POLICY.field("TagOwners").map(|f| f.0), Some("tagOwners"));
        assert_eq!(POLICY.field("ACLs").map(|f| f.0), Some("acls"));
        assert_eq!(POLICY.suggest("tagOwner"), Some("tagOwners"));
        assert_eq!(POLICY.suggest("sshtest"), Some("sshTests"));
        assert_eq!(POLICY.suggest("zzzz"), None);
    }
}
