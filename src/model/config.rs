//! `tailgrant.hujson`: where the files are and which guardrails apply to which fragments.

use std::fmt;

use jiff::{SignedDuration, SpanRelativeTo};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
#[schemars(title = "tailgrant configuration")]
pub struct Config {
    #[serde(rename = "$schema", skip_serializing_if = "Option::is_none")]
    pub(crate) schema: Option<String>,
    /// The base policy file, relative to the policies directory.
    pub base: String,
    /// Globs (relative to the policies directory) of the fragment files, merged in path order.
    pub(crate) fragments: Vec<String>,
    /// Globs of files the fragment globs match but that are not fragments.
    pub(crate) exclude: Vec<String>,
    /// The tailnet name for the API; `-` is the API key's own tailnet.
    pub tailnet: String,
    /// Rules for fragments whose path matches; every matching rule applies.
    pub(crate) guardrails: Vec<Guardrail>,
    /// Warn about active fragments that expire within this window (e.g. `72h`, `3d`).
    pub(crate) warn_before: Duration,
    /// Let fragments add groups the base policy does not define.
    pub(crate) allow_new_groups: bool,
    /// How a time-bounded fragment's access ends: `schedule` (it drops out of the rendered
    /// policy, and the next `apply` removes it) or `posture` (its rules are gated on a device
    /// posture attribute that `apply` sets with the fragment's expiry, and the control plane
    /// removes it on time, whether or not apply runs again).
    pub(crate) enforce_expiry: super::expiry::EnforceExpiry,
    /// The tailnet's own login domains. When set, `user:*@DOMAIN` and `localpart:*@DOMAIN`
    /// must name one of them, as the control plane requires.
    pub(crate) domains: Vec<String>,
    /// Users who are not members of the tailnet (shared in from elsewhere): tests treat them
    /// as outside `autogroup:member`. Without this, every user named in a test is a member.
    pub(crate) external_users: Vec<String>,
    /// A JSON file of the tailnet's devices, as `GET /api/v2/tailnet/-/devices` returns it,
    /// relative to the policies directory. With it, tests naming addresses can be decided.
    pub devices: Option<String>,
    /// A JSON file of the tailnet's users, as `GET /api/v2/tailnet/-/users` returns it
    /// (`tailgrant snapshot` writes it), relative to the policies directory. With it, tests
    /// that depend on who is a member, who is shared in and who holds a role are decided;
    /// without it they are inconclusive.
    pub users: Option<String>,
    /// Also judge a test whose source is a group for each member the group names, as a user of
    /// their own, and warn (`TG307`) where one would fail it. Tailscale judges such a test for
    /// an unnamed member of the group only.
    pub(crate) group_tests_per_member: bool,
    /// Who may approve access to destinations the policy names no owner for (`tagOwners` covers
    /// tags; users own their own devices): each key is a CIDR or address, a host alias, an
    /// `ipset:`, a `group:` used as a destination, `user:*@DOMAIN`, an `autogroup:`, `*`, a
    /// `svc:`, a tag (owners added to its `tagOwners`), or `section:nodeAttrs` /
    /// `section:autoApprovers` for adding people to groups those sections name. Each value lists
    /// logins and groups; groups are expanded from the base and permanent unguarded fragments
    /// only. A destination without owners is refused under `approversMustOwnTags`.
    pub(crate) owners: indexmap::IndexMap<String, Vec<String>>,
    /// Who each tailnet login is on the forge, for `tailgrant approvals`:
    /// `{"alice@example.com": {"github": "alice-gh", "gitlab": "alice"}}`. It is always read
    /// from the pull request's base revision, so a pull request cannot remap its own approvers.
    pub(crate) people: indexmap::IndexMap<String, Accounts>,
    /// What `tailgrant approvals` requires besides an approval from every approver a changed
    /// grant file names.
    pub(crate) approvals: ApprovalPolicy,
    /// A URL (the repository): `apply` keeps the tailnet's admin-console policy editor locked
    /// (`aclsExternallyManagedOn`) and pointing at it (`aclsExternalLink`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) console_link: Option<String>,
    /// Several tailnets from one repository, by a short name of ours (`prod`, `staging`): each
    /// with its own tailnet, base policy and fragment globs. Commands take `--tailnet NAME`.
    /// Absent: one tailnet, from `tailnet`, `base` and `fragments` above.
    #[serde(skip_serializing_if = "indexmap::IndexMap::is_empty")]
    pub(crate) tailnets: indexmap::IndexMap<String, TailnetConfig>,
}

/// One of several tailnets run from this repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TailnetConfig {
    /// The tailnet's name for the API (its ID or name; not `-`, so that credentials for
    /// another tailnet are refused by the control plane rather than used).
    pub(crate) tailnet: String,
    /// Its base policy file, relative to the policies directory.
    pub(crate) base: String,
    /// Globs of the fragment files that land in this tailnet. A file may land in several.
    pub(crate) fragments: Vec<String>,
    /// Globs of files these globs match but that are not fragments (besides the top-level
    /// `exclude`, which holds for every tailnet).
    #[serde(default)]
    pub(crate) exclude: Vec<String>,
}

impl Config {
    /// The config as seen by one of its `tailnets`: that tailnet's name, base and fragments.
    pub(crate) fn for_tailnet(&self, name: &str) -> Option<Config> {
        let t = self.tailnets.get(name)?;
        let mut c = self.clone();
        c.tailnet = t.tailnet.clone();
        c.base = t.base.clone();
        c.fragments = t.fragments.clone();
        // The top-level `exclude` holds for every tailnet; a tailnet's own adds to it.
        c.exclude = self.exclude.iter().chain(&t.exclude).cloned().collect();
        Some(c)
    }
}

/// A person's accounts on the forges (user names, as in `@name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// The GitHub login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) github: Option<String>,
    /// The GitLab username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) gitlab: Option<String>,
}

/// The approval policy `tailgrant approvals` enforces on every grant file a pull request adds
/// or changes (and `apply` re-verifies, with `verifyOnApply`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ApprovalPolicy {
    /// At least this many people listed in `people` approve the head commit, besides the
    /// pull request's author, its committers and whoever the grant benefits.
    pub(crate) minimum: u32,
    /// Someone who owns every destination the grant file opens (as the `approversMustOwnTags`
    /// guardrail reads ownership) approves, whether or not the file names them.
    pub(crate) require_owner_approval: bool,
    /// An approval of an earlier commit still counts when no grant file changed between that
    /// commit and the head. Off: only approvals of the head commit count.
    pub(crate) accept_earlier_commit: bool,
    /// `apply` checks, for every active grant file, that the commit which last changed it came
    /// through a pull request whose approvals verify; a file that does not is left inactive.
    /// GitHub only.
    pub(crate) verify_on_apply: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            schema: None,
            base: "policy.hujson".into(),
            fragments: ["grants/**/*.hujson", "grants/**/*.json", "teams/**/*.hujson", "teams/**/*.json"]
                .map(String::from)
                .to_vec(),
            exclude: Vec::new(),
            tailnet: "-".into(),
            guardrails: vec![Guardrail::default_for_grants()],
            warn_before: Duration(SignedDuration::from_hours(72)),
            allow_new_groups: false,
            enforce_expiry: super::expiry::EnforceExpiry::Schedule,
            domains: Vec::new(),
            external_users: Vec::new(),
            devices: None,
            users: None,
            group_tests_per_member: false,
            owners: indexmap::IndexMap::new(),
            people: indexmap::IndexMap::new(),
            approvals: ApprovalPolicy::default(),
            console_link: None,
            tailnets: indexmap::IndexMap::new(),
        }
    }
}

/// What fragments at matching paths may do.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Guardrail {
    /// Glob over fragment paths relative to the policies directory, e.g. `grants/**`.
    #[serde(rename = "match")]
    pub(crate) matches: String,
    #[serde(default)]
    pub(crate) require_expiry: bool,
    /// Longest allowed window, counted from `max(notBefore, now)` to `expires`.
    #[serde(default)]
    pub(crate) max_duration: Option<Duration>,
    /// Policy sections a matching fragment may contain (absent: any).
    #[serde(default)]
    pub(crate) allow_sections: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) forbid_wildcards: bool,
    #[serde(default)]
    pub(crate) require_approvers: bool,
    #[serde(default)]
    pub(crate) approvers_must_own_tags: bool,
    #[serde(default)]
    pub(crate) forbid_self_approval: bool,
    #[serde(default)]
    pub(crate) require_description: bool,
    /// Under `forbidWildcards`: the widest address range the fragment's sources, and its
    /// destinations, may name together, as a prefix length per family (default `{"ipv4": 16,
    /// "ipv6": 64}`). Unions count together: `0.0.0.0/1` and `128.0.0.0/1` are every address.
    #[serde(default)]
    pub(crate) widest_prefix: WidestPrefix,
    /// Under `forbidWildcards`: the most ports of one protocol (TCP, UDP or SCTP) that a fragment
    /// may open on one destination, counted across its rules and across the fragments that
    /// give the same source access at the same time (default 4096).
    #[serde(default = "Guardrail::default_max_ports")]
    pub(crate) max_ports: u32,
}

/// The widest address range a guarded fragment may name, as prefix lengths.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WidestPrefix {
    /// IPv4: at most as many addresses as a prefix of this length holds (0–32).
    #[serde(default = "WidestPrefix::default_v4")]
    #[schemars(range(max = 32))]
    pub(crate) ipv4: u8,
    /// IPv6: at most as many addresses as a prefix of this length holds (0–128).
    #[serde(default = "WidestPrefix::default_v6")]
    #[schemars(range(max = 128))]
    pub(crate) ipv6: u8,
}

impl WidestPrefix {
    fn default_v4() -> u8 {
        16
    }
    fn default_v6() -> u8 {
        64
    }
}

impl Default for WidestPrefix {
    fn default() -> Self {
        WidestPrefix { ipv4: Self::default_v4(), ipv6: Self::default_v6() }
    }
}

impl Guardrail {
    fn default_max_ports() -> u32 {
        4096
    }

    /// The default for `grants/**`: every guardrail on, at most 30 days.
    pub(crate) fn default_for_grants() -> Self {
        Guardrail {
            matches: "grants/**".into(),
            require_expiry: true,
            max_duration: Some(Duration(SignedDuration::from_hours(30 * 24))),
            allow_sections: Some(
                ["grants", "acls", "ssh", "groups", "tests", "sshTests", "postureAttributes"]
                    .map(String::from)
                    .to_vec(),
            ),
            forbid_wildcards: true,
            require_approvers: true,
            approvers_must_own_tags: true,
            forbid_self_approval: true,
            require_description: true,
            widest_prefix: WidestPrefix::default(),
            max_ports: Self::default_max_ports(),
        }
    }
}

/// A length of time written as `72h`, `30d`, `1h30m` (a day is 24 hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub SignedDuration);

impl std::str::FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let span: jiff::Span =
            s.parse().map_err(|_| format!("`{s}` is not a duration; write it like `8h`, `72h` or `30d`"))?;
        let d = span
            .to_duration(SpanRelativeTo::days_are_24_hours())
            .map_err(|_| format!("`{s}` uses months or years; write it in days, like `30d`"))?;
        if d.is_negative() {
            return Err(format!("`{s}` is negative"));
        }
        Ok(Duration(d))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        match secs {
            s if s % 86_400 == 0 && s > 0 => write!(f, "{}d", s / 86_400),
            s if s % 3_600 == 0 => write!(f, "{}h", s / 3_600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A length of time such as `8h`, `72h`, `30d` or `1h30m`.",
            "examples": ["72h", "30d"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        let h = |s: &str| s.parse::<Duration>().map(|d| d.0.as_secs() / 3600);
        assert_eq!(h("72h"), Ok(72));
        assert_eq!(h("30d"), Ok(720));
        assert_eq!(h("1d12h"), Ok(36));
        assert!(h("soon").is_err());
        assert!(h("1mo").is_err());
        assert_eq!("30d".parse::<Duration>().unwrap().to_string(), "30d");
    }
}
