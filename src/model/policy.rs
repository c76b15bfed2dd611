//! The tailnet policy file, typed. Every documented section is modelled; fields tailgrant does
//! not interpret are kept in `other` so nothing is ever dropped. Rendering never goes through
//! these types (it edits the syntax tree, which keeps comments); they are for checks and
//! evaluation.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `group:NAME` → members, `tag:NAME` → owners, and the like.
pub(crate) type NamedLists = IndexMap<String, Vec<String>>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Policy {
    pub(crate) groups: NamedLists,
    pub(crate) hosts: IndexMap<String, String>,
    pub(crate) tag_owners: NamedLists,
    pub(crate) ipsets: NamedLists,
    pub(crate) postures: NamedLists,
    pub(crate) auto_approvers: Option<AutoApprovers>,
    pub(crate) acls: Vec<Acl>,
    pub(crate) grants: Vec<Grant>,
    pub(crate) ssh: Vec<SshRule>,
    pub(crate) node_attrs: Vec<NodeAttr>,
    pub(crate) tests: Vec<AclTest>,
    pub(crate) ssh_tests: Vec<SshTest>,
    pub(crate) default_src_posture: Vec<String>,
    /// Sections tailgrant passes through without interpreting (derpMap, disableIPv4, …).
    #[serde(flatten)]
    pub(crate) other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct AutoApprovers {
    pub(crate) routes: NamedLists,
    pub(crate) exit_node: Vec<String>,
    pub(crate) services: NamedLists,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Acl {
    pub(crate) action: String,
    pub(crate) src: Vec<String>,
    pub(crate) dst: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proto: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) src_posture: Vec<String>,
    /// Legacy spelling of `src`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) users: Vec<String>,
    /// Legacy spelling of `dst`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) ports: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Grant {
    pub(crate) src: Vec<String>,
    pub(crate) dst: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) ip: Vec<String>,
    /// Application capabilities: recorded, they give no network access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) app: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) src_posture: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) via: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SshRule {
    pub(crate) action: String,
    pub(crate) src: Vec<String>,
    pub(crate) dst: Vec<String>,
    pub(crate) users: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) check_period: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) accept_env: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) src_posture: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) recorder: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) enforce_recorder: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct NodeAttr {
    pub(crate) target: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) attr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) app: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) ip_pool: Vec<String>,
}

/// An ACL test: may `src` reach each `accept` destination, and not each `deny` one?
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct AclTest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) src: Option<String>,
    /// Legacy spelling of `src`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proto: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) accept: Vec<String>,
    /// Legacy spelling of `accept`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) allow: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) deny: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) src_posture_attrs: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SshTest {
    pub(crate) src: String,
    pub(crate) dst: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) accept: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) check: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) deny: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) src_posture_attrs: Option<Map<String, Value>>,
}
