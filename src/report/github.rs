//! GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

use crate::finding::{Finding, Severity};
use crate::model::text::{multi_line, one_line};

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

/// A command's message: deceptive characters made visible first (the log viewer would act on
/// an escape sequence), then the runner's own escapes, so a line break cannot start a command.
fn data(s: &str) -> String {
    encode(&multi_line(s))
}

fn encode(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property (file, title): one line, with the property separators escaped too.
fn property(s: &str) -> String {
    encode(&one_line(s)).replace(':', "%3A").replace(',', "%2C")
}
