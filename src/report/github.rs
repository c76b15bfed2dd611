//! GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

use crate::finding::{Finding, Severity};

pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let title = format!("{} {}", f.code.as_str(), f.code.name());
        let message = format!("{}\nhelp: {}", f.message, f.help);
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            property(&f.location.file),
            f.location.line,
            f.location.column,
            property(&title),
            data(&message)
        ));
    }
    out
}

fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}
