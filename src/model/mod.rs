//! Model: typed views of the policy, the fragments and the config, and the table of keys
//! Tailscale knows.

pub mod config;
pub mod fragment;
pub mod policy;
pub mod shape;

pub use config::{Config, Duration, Guardrail};
pub use fragment::{Fragment, PostureAttribute, Status};
pub use policy::Policy;
pub mod decode;
