//! What the simulated control plane checks when a policy is saved or validated.
//!
//! The semantics are the simulator's own: its judge (`judge.rs`) runs the policy's tests,
//! posture included, with logic that shares nothing with tailgrant's evaluator, so an apply
//! test can see a divergence. Tests that need another verdict of the server (a failing test,
//! warnings, a refusal of the save) inject it as a fault on the route. The HuJSON syntax and
//! the ETag's hash are the simulator's own too (`hujson.rs`): none of its answers is computed
//! by tailgrant's code.

use serde_json::{Value, json};

/// Why a policy is refused: the `{"message", "data"}` body.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub message: String,
    pub data: Option<Value>,
}

impl Refusal {
    pub fn body(&self) -> String {
        match &self.data {
            Some(d) => json!({ "message": self.message, "data": d }).to_string(),
            None => json!({ "message": self.message }).to_string(),
        }
    }
}

/// A policy's syntax, as the control plane's HuJSON parser reports it.
pub fn check_syntax(text: &str) -> Result<(), Refusal> {
    crate::hujson::parse(text).map(drop).map_err(|message| Refusal { message, data: None })
}
