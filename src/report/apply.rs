//! `tailgrant apply` for people: what was (or would be) written, the live policy a refusal
//! would overwrite, and the tailnet's test failures. The live side is the server's text, so
//! it is escaped and capped before it is shown.

use crate::apply::{Applied, PolicyStep, TestFailure};

/// How many of the tailnet's test failures are shown.
const SHOWN_FAILURES: usize = 100;

/// The diff from the live policy (the server's text) to `rendered`: its control characters
/// escaped, and capped, since the live side can be as large as the API's answer.
pub fn live_diff(live: &str, rendered: &str) -> String {
    let diff = crate::redact::escape_controls_multiline(&crate::diff::unified(live, rendered));
    crate::diff::capped(&diff, crate::diff::SHOWN_DIFF_LINES, crate::diff::SHOWN_DIFF_BYTES)
}

/// The summary of a run: the policy step, each posture change, posture mode's gates.
pub fn summary(a: &Applied) -> String {
    let mut s = String::new();
    let verb = if a.dry_run { "would " } else { "" };
    match &a.policy {
        PolicyStep::Unchanged => s.push_str("policy: unchanged (the live policy already is the rendered one)\n"),
        PolicyStep::WouldPost => {
            s.push_str("policy: would be replaced (validated by the tailnet); the change:\n");
            s.push_str(&live_diff(&a.live_before, &a.rendered));
        }
        PolicyStep::Posted { etag } => {
            s.push_str("policy: applied");
            if let Some(e) = etag {
                s.push_str(&format!(" (ETag \"{e}\")"));
            }
            s.push('\n');
        }
    }
    if a.posture.is_empty() {
        s.push_str("posture attributes: unchanged\n");
    } else {
        for c in &a.posture {
            s.push_str(&format!("posture: {verb}{c}\n"));
        }
    }
    s.push_str(&super::status::gates(&a.gates, a.dry_run));
    if let Some(c) = &a.console {
        let link = crate::model::text::one_line(&c.link);
        if c.sent.is_empty() {
            s.push_str(&format!("admin console: locked, pointing at {link} (unchanged)\n"));
        } else {
            s.push_str(&format!("admin console: {verb}set {} (locked, pointing at {link})\n", c.sent.join(", ")));
        }
    }
    s
}

/// The tests the tailnet says failed, one line each, the first hundred.
pub fn failures(failures: &[TestFailure]) -> String {
    let lines: Vec<String> = failures
        .iter()
        .flat_map(|f| f.errors.iter().map(move |msg| format!("  test with src {:?}: {msg}\n", f.user)))
        .collect();
    let mut s: String = lines.iter().take(SHOWN_FAILURES).map(String::as_str).collect();
    if lines.len() > SHOWN_FAILURES {
        s.push_str(&format!("  … and {} more failures\n", lines.len() - SHOWN_FAILURES));
    }
    s
}
