//! `tailgrant audit`

use super::ExitStatus;
use super::args::{AuditFormat, Common};

pub fn run(
    common: &Common,
    query: &tailgrant::audit::Query,
    format: AuditFormat,
    output: Option<&std::path::Path>,
) -> ExitStatus {
    let audit = match tailgrant::audit::audit(&common.dir, query) {
        Ok(a) => a,
        Err(e) => {
            return super::fail(ExitStatus::Usage, format_args!("{e}"));
        }
    };
    use tailgrant::report::{audit as report, html};
    let text = match format {
        AuditFormat::Table => report::table(&audit),
        AuditFormat::Json => report::json(&audit),
        AuditFormat::Csv => report::csv(&audit),
        AuditFormat::Markdown => report::markdown(&audit),
        AuditFormat::Html => html::audit(&audit),
    };
    super::emit(&text, output)
}
