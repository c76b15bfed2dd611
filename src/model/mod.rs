//! Model: typed views of the policy, the fragments and the config, and the table of keys
//! Tailscale knows.

pub(crate) mod addrs;
pub(crate) mod config;
pub(crate) mod fragment;
pub(crate) mod people;
pub(crate) mod policy;
pub(crate) mod posture;
pub(crate) mod power;
pub(crate) mod rule;
pub(crate) mod shape;
pub(crate) mod test;

pub use config::{Accounts, ApprovalPolicy, Config, Duration, Guardrail, TailnetConfig, WidestPrefix};
pub(crate) use fragment::FragmentSchema;
pub use fragment::{Fragment, PostureAttribute, Status};
pub(crate) use policy::Policy;
pub(crate) mod decode;

/// The JSON Schemas of the files users write, as `(file name, pretty JSON)`. `schemas/` holds
/// them; a test fails when they are stale.
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty = |s: schemars::Schema| serde_json::to_string_pretty(&s).unwrap_or_default() + "\n";
    vec![
        ("fragment.schema.json", pretty(schemars::schema_for!(FragmentSchema))),
        ("config.schema.json", pretty(schemars::schema_for!(Config))),
    ]
}
pub(crate) mod de;
pub(crate) mod devices;
pub mod draft;
pub mod expiry;
pub mod form;
pub mod selector;
pub mod text;
pub(crate) mod users;
