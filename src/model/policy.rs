//! The tailnet policy file, typed. Every documented section is modelled; fields tailgrant does
//! not interpret are kept in `other` so nothing is ever dropped. Rendering never goes through
//! these types (it edits the syntax tree, which keeps comments); they are for checks and
//! evaluation.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `group:NAME` → members, `tag:NAME` → owners, and the like.
pub type NamedLists = IndexMap<String, Vec<String>>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Policy {
    pub groups: NamedLists,
    pub hosts: IndexMap<String, String>,
    pub tag_owners: NamedLists,
    pub ipsets: NamedLists,
    pub postures: NamedLists,
    pub auto_approvers: Option<AutoApprovers>,
    pub acls: Vec<Acl>,
    pub grants: Vec<Grant>,
    pub ssh: Vec<SshRule>,
    pub node_attrs: Vec<NodeAttr>,
    pub tests: Vec<AclTest>,
    pub ssh_tests: Vec<SshTest>,
    pub default_src_posture: Vec<String>,
    /// Sections tailgrant passes through without interpreting (derpMap, disableIPv4, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AutoApprovers {
    pub routes: NamedLists,
    pub exit_node: Vec<String>,
    pub services: NamedLists,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Acl {
    pub action: String,
    pub src: Vec<String>,
    pub dst: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub src_posture: Vec<String>,
    /// Legacy spelling of `src`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Legacy spelling of `dst`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Grant {
    pub src: Vec<String>,
    pub dst: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip: Vec<String>,
    /// Application capabilities: recorded, they give no network access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub src_posture: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SshRule {
    pub action: String,
    pub src: Vec<String>,
    pub dst: Vec<String>,
    pub users: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_period: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accept_env: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub src_posture: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recorder: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_recorder: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAttr {
    pub target: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip_pool: Vec<String>,
}

/// An ACL test: may `src` reach each `accept` destination, and not each `deny` one?
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AclTest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// Legacy spelling of `src`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proto: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<String>,
    /// Legacy spelling of `accept`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_posture_attrs: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SshTest {
    pub src: String,
    pub dst: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub check: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_posture_attrs: Option<Map<String, Value>>,
}
