//! Findings: what `check` reports. A finding is a value, not an error: checks collect them and
//! keep going, and the report layer renders them in the format asked for.

mod codes;

pub use codes::Code;

use crate::parse::SourceFile;
use crate::parse::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A place in a file: the display path, the byte span, and its 1-based line and column. The
/// column counts bytes, as Tailscale's parser counts it, in every output; SARIF alone, which
/// has no byte unit, uses `char_column` and says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub span: Span,
    pub line: usize,
    pub column: usize,
    pub(crate) char_column: usize,
}

impl Location {
    pub(crate) fn new(file: &SourceFile, span: Span) -> Self {
        let (line, column, char_column) = file.position(span.start);
        Location { file: file.path.clone(), span, line, column, char_column }
    }

    /// A location for a whole file, when there is nothing more precise to point at.
    pub(crate) fn file(path: &str) -> Self {
        Location { file: path.to_owned(), span: 0..0, line: 1, column: 1, char_column: 1 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub(crate) help: String,
    pub location: Location,
    /// Other places the finding concerns (the base's definition in a conflict, say).
    pub(crate) related: Vec<(Location, String)>,
}

impl Finding {
    pub(crate) fn new(code: Code, location: Location, message: impl Into<String>, help: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.default_severity(),
            message: message.into(),
            help: help.into(),
            location,
            related: Vec::new(),
        }
    }

    pub(crate) fn related(mut self, location: Location, label: impl Into<String>) -> Self {
        self.related.push((location, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts findings by file, position and code, so output does not depend on check order.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.location.file, a.location.span.start, a.code).cmp(&(&b.location.file, b.location.span.start, b.code))
    });
}

/// `docs/rules.md`: every code with its documentation, generated from the registry so the two
/// cannot drift (a test compares them).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Finding codes\n\nGenerated from `src/finding/codes.rs` by `TAILGRANT_UPDATE=1 cargo test --test generated`; \
         do not edit by hand. Codes are permanent: a code is never renumbered or reused.\n\n\
         Every error-level code says on what evidence it is an error: a recorded answer of Tailscale's \
         control plane (capture, in `headscale-tscap`), Tailscale's own source, its documentation, a \
         GitHub issue, or tailgrant's own rule (its files, its guardrails, its trust model). Where \
         there is none that Tailscale refuses something, tailgrant warns instead.\n\n\
         | code | name | severity | evidence |\n| --- | --- | --- | --- |\n",
    );
    for c in Code::ALL {
        let sev = match c.default_severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let evidence = c
            .doc_text()
            .split("Evidence (")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .map_or(String::new(), str::to_owned);
        out.push_str(&format!(
            "| [{}](#{}) | {} | {sev} | {evidence} |\n",
            c.as_str(),
            c.as_str().to_lowercase(),
            c.name()
        ));
    }
    for c in Code::ALL {
        out.push_str(&format!("\n## {}\n\n`{}`\n\n", c.as_str(), c.name()));
        out.push_str(&c.doc_text());
        out.push('\n');
    }
    out
}
