//! A fragment (grant file): who gets what, why, approved by whom, and for how long.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::policy::{Acl, AclTest, AutoApprovers, Grant, NamedLists, NodeAttr, SshRule, SshTest};

/// A grant file as its schema has it: what decoding checks (every field's type, no unknown
/// field) and what `schemas/fragment.schema.json` is generated from. Its rule sections are
/// read from the syntax tree, where their spans are; once checked, a [`Fragment`] keeps only
/// what tailgrant reads from it, so that the decoded copy of every rule is not held as well.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
#[schemars(
    title = "tailgrant fragment (grant file)",
    description = "A time-bounded (or permanent) addition to the base policy, one file each."
)]
pub(crate) struct FragmentSchema {
    #[serde(rename = "$schema", skip_serializing_if = "Option::is_none")]
    pub(crate) schema: Option<String>,
    /// Why the access is needed (a ticket or incident reference helps reviewers).
    pub(crate) description: Option<String>,
    /// Who asked for the access.
    pub(crate) requester: Option<String>,
    /// Who approved it.
    pub(crate) approvers: Vec<String>,
    /// RFC 3339; the fragment is inactive before this instant.
    #[serde(deserialize_with = "rfc3339")]
    pub(crate) not_before: Option<Timestamp>,
    /// RFC 3339; the fragment is inactive from this instant on. Absent means permanent.
    #[serde(deserialize_with = "rfc3339")]
    pub(crate) expires: Option<Timestamp>,
    /// Members added to groups the base policy defines.
    pub(crate) groups: Option<NamedLists>,
    pub(crate) hosts: Option<indexmap::IndexMap<String, String>>,
    pub(crate) tag_owners: Option<NamedLists>,
    pub(crate) ipsets: Option<NamedLists>,
    pub(crate) postures: Option<NamedLists>,
    pub(crate) auto_approvers: Option<AutoApprovers>,
    pub(crate) acls: Option<Vec<Acl>>,
    pub(crate) grants: Option<Vec<Grant>>,
    pub(crate) ssh: Option<Vec<SshRule>>,
    pub(crate) node_attrs: Option<Vec<NodeAttr>>,
    pub(crate) tests: Option<Vec<AclTest>>,
    pub(crate) ssh_tests: Option<Vec<SshTest>>,
    /// Device posture attributes that `apply` sets while the fragment is active.
    pub(crate) posture_attributes: Vec<PostureAttribute>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostureAttribute {
    /// Device name, hostname or node ID.
    pub(crate) device: String,
    /// A custom attribute key, `custom:NAME`.
    pub(crate) key: String,
    pub(crate) value: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
}

/// An RFC 3339 instant with an offset, with an error message that says how to write one.
fn rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let Some(s) = Option::<String>::deserialize(d)? else { return Ok(None) };
    s.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "`{s}` is not an RFC 3339 timestamp; write a date, time and offset, like 2026-11-23T17:00:00Z"
        ))
    })
}

/// A time-bounded (or permanent) addition to the base policy, one file each: its header, its
/// group additions, and which kinds of rule it holds (the rules themselves are in its tree).
#[derive(Debug, Clone, Default)]
pub struct Fragment {
    pub(crate) description: Option<String>,
    pub(crate) requester: Option<String>,
    pub(crate) approvers: Vec<String>,
    pub(crate) not_before: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    /// Members added to groups the base policy defines.
    pub(crate) groups: Option<NamedLists>,
    /// Device posture attributes that `apply` sets while the fragment is active.
    pub(crate) posture_attributes: Vec<PostureAttribute>,
    /// It holds an ACL or a grant.
    pub(crate) has_network_rules: bool,
    pub(crate) has_ssh_rules: bool,
    /// It holds an ACL test or an SSH test.
    pub(crate) has_tests: bool,
}

impl From<FragmentSchema> for Fragment {
    fn from(f: FragmentSchema) -> Fragment {
        let some = |n: Option<usize>| n.is_some_and(|n| n > 0);
        Fragment {
            has_network_rules: some(f.acls.as_ref().map(Vec::len)) || some(f.grants.as_ref().map(Vec::len)),
            has_ssh_rules: some(f.ssh.as_ref().map(Vec::len)),
            has_tests: some(f.tests.as_ref().map(Vec::len)) || some(f.ssh_tests.as_ref().map(Vec::len)),
            description: f.description,
            requester: f.requester,
            approvers: f.approvers,
            not_before: f.not_before,
            expires: f.expires,
            groups: f.groups,
            posture_attributes: f.posture_attributes,
        }
    }
}

/// Where a fragment stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// `notBefore` is still in the future.
    Pending,
    Active,
    Expired,
}

impl Fragment {
    /// Active when `notBefore <= at < expires`; a missing bound is open.
    pub fn status(&self, at: Timestamp) -> Status {
        if self.not_before.is_some_and(|nb| at < nb) {
            Status::Pending
        } else if self.expires.is_some_and(|exp| at >= exp) {
            Status::Expired
        } else {
            Status::Active
        }
    }

    /// Whether the two are ever in force at the same instant (their half-open windows meet).
    pub(crate) fn overlaps(&self, other: &Fragment) -> bool {
        let starts = self.not_before.max(other.not_before);
        let ends = match (self.expires, other.expires) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, None) | (None, x) => x,
        };
        ends.is_none_or(|e| starts.is_none_or(|s| s < e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_half_open() {
        let f = Fragment {
            not_before: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            expires: Some("2026-01-02T00:00:00Z".parse().unwrap()),
            ..Fragment::default()
        };
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(f.status(at("2025-12-31T23:59:59Z")), Status::Pending);
        assert_eq!(f.status(at("2026-01-01T00:00:00Z")), Status::Active);
        assert_eq!(f.status(at("2026-01-01T23:59:59Z")), Status::Active);
        assert_eq!(f.status(at("2026-01-02T00:00:00Z")), Status::Expired);
        assert_eq!(Fragment::default().status(at("2030-01-01T00:00:00Z")), Status::Active);
    }

    #[test]
    fn windows_overlap_when_they_share_an_instant() {
        let t = |s: &str| Some(s.parse::<Timestamp>().unwrap());
        let w = |nb: &str, exp: &str| Fragment {
            not_before: if nb.is_empty() { None } else { t(nb) },
            expires: if exp.is_empty() { None } else { t(exp) },
            ..Fragment::default()
        };
        let (jan1, jan2, jan3) = ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z");
        assert!(w(jan1, jan3).overlaps(&w(jan2, "")));
        // One ends as the other starts: never both in force.
        assert!(!w(jan1, jan2).overlaps(&w(jan2, jan3)));
        assert!(!w(jan2, jan3).overlaps(&w(jan1, jan2)));
        assert!(w("", "").overlaps(&w(jan3, "")));
        assert!(!w("", jan1).overlaps(&w(jan2, "")));
    }
}
