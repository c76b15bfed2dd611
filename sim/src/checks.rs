//! What the simulated control plane checks when a policy is saved or validated.
//!
//! Syntax errors get the hujson parser's `line N, column M` message. Everything else is
//! decided by tailgrant's own rules and evaluator: this
//! exercises the HTTP plumbing, not the evaluator, which has its own agreement tests against
//! verdicts Tailscale gave.

use serde_json::{Value, json};
use tailgrant::finding::Code;

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

/// Checks a policy text as a save or a validate would; `Ok` with any warnings.
pub fn check_policy(text: &str, now: jiff::Timestamp) -> Result<(), Refusal> {
    if let Err(e) = tailgrant::parse::parse(text.as_bytes()) {
        let (line, column) = tailgrant::parse::line_column(text.as_bytes(), e.offset);
        return Err(Refusal { message: format!("hujson: line {line}, column {column}: {}", e.reason), data: None });
    }
    let dir = tempfile::tempdir().map_err(|e| internal(&e))?;
    std::fs::write(dir.path().join("policy.hujson"), text).map_err(|e| internal(&e))?;
    let repo = tailgrant::load::Repository::load(dir.path()).map_err(|e| internal(&e))?;
    let report = tailgrant::pipeline::check(&repo, now);
    let test_codes = [Code::TestFailed, Code::SshTestFailed, Code::TestSourceWithoutDevice, Code::TestSourceEmpty];
    if let Some(f) = report.findings.iter().find(|f| f.is_error() && !test_codes.contains(&f.code)) {
        return Err(Refusal { message: f.message.clone(), data: None });
    }
    let failures: Vec<_> = report.findings.iter().filter(|f| test_codes.contains(&f.code)).collect();
    if failures.is_empty() {
        return Ok(());
    }
    // Group the failures by the test's src, as the API's `data` does.
    let tree = tailgrant::parse::parse(text.as_bytes()).ok();
    let mut data: Vec<(String, Vec<String>)> = Vec::new();
    for f in failures {
        let src = tree.as_ref().and_then(|t| test_src_at(t, f.location.span.start)).unwrap_or_default();
        match data.iter_mut().find(|(s, _)| *s == src) {
            Some((_, errors)) => errors.push(f.message.clone()),
            None => data.push((src, vec![f.message.clone()])),
        }
    }
    let data = data.into_iter().map(|(user, errors)| json!({ "user": user, "errors": errors })).collect();
    Err(Refusal { message: "test(s) failed".into(), data: Some(Value::Array(data)) })
}

/// The `src` (or legacy `user`) of the test entry that contains byte `offset`.
fn test_src_at(tree: &tailgrant::parse::Value, offset: usize) -> Option<String> {
    let obj = tree.as_object()?;
    for m in &obj.members {
        let Some(name) = m.name.as_str() else { continue };
        if !name.eq_ignore_ascii_case("tests") && !name.eq_ignore_ascii_case("sshTests") {
            continue;
        }
        for test in &m.value.as_array()?.elements {
            if test.span.start <= offset && offset < test.span.end {
                let t = test.as_object()?;
                return t
                    .members
                    .iter()
                    .find(|m| m.name.as_str().is_some_and(|n| n == "src" || n == "user"))
                    .and_then(|m| m.value.as_str())
                    .map(|s| s.to_string());
            }
        }
    }
    None
}

fn internal(e: &dyn std::fmt::Display) -> Refusal {
    Refusal { message: format!("internal server error: {e}"), data: None }
}
