//! Model: typed views of the policy, the fragments and the config, and the table of keys
//! Tailscale knows.

pub mod addrs;
pub mod config;
pub mod fragment;
pub mod people;
pub mod policy;
pub mod rule;
pub mod shape;
pub mod test;

pub use config::{Accounts, ApprovalPolicy, Config, Duration, Guardrail, TailnetConfig, WidestPrefix};
pub(crate) use fragment::FragmentSchema;
pub use fragment::{Fragment, PostureAttribute, Status};
pub use policy::Policy;
pub mod decode;

/// The JSON Schemas of the files users write, as `(file name, pretty JSON)`. `schemas/` holds
/// them; a test fails when they are stale.
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty = |s: schemars::Schema| serde_json::to_string_pretty(&s).unwrap_or_default() + "\n";
    vec![
        ("fragment.schema.json", pretty(schemars::schema_for!(FragmentSchema))),
        ("config.schema.json", pretty(schemars::schema_for!(Config))),
    ]
}
pub mod de;
pub mod devices;
pub mod draft;
pub mod expiry;
pub mod form;
pub mod selector;
pub mod text;
pub mod users;
