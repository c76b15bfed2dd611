//! What the simulated control plane checks when a policy is saved or validated, and how it
//! hashes a policy.
//!
//! The semantics are the simulator's own: its judge (`judge.rs`) runs the policy's tests,
//! posture included, with logic that shares nothing with tailgrant's evaluator, so an apply
//! test can see a divergence. Tests that need another verdict of the server (a failing test,
//! warnings, a refusal of the save) inject it as a fault on the route. Only the HuJSON syntax
//! (the parser's `line N, column M` message) and the ETag's `hujson.Format` come from
//! tailgrant's parser and formatter, which the corpus tests hold byte for byte to Tailscale's
//! own (`tests/corpus_format.rs`): writing them twice would test nothing more.

use serde_json::{Value, json};

/// `hex(sha256(hujson.Format(text)))`; unparseable text is hashed as it is.
pub fn etag_of(text: &str) -> String {
    let formatted = tailgrant::parse::format_bytes(text.as_bytes()).unwrap_or_else(|_| text.as_bytes().to_vec());
    tailgrant::merge::sha256_hex(&formatted)
}

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
    match tailgrant::parse::parse(text.as_bytes()) {
        Ok(_) => Ok(()),
        Err(e) => {
            let (line, column) = tailgrant::parse::line_column(text.as_bytes(), e.offset);
            Err(Refusal { message: format!("hujson: line {line}, column {column}: {}", e.reason), data: None })
        }
    }
}
