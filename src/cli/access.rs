//! `tailgrant access`

use super::ExitStatus;
use super::args::{AccessFormat, Common};

pub fn run(common: &Common, format: AccessFormat, output: Option<&std::path::Path>) -> ExitStatus {
    let repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let a = tailgrant::evaluate::access::access(&repo, common.at());
    let text = match format {
        AccessFormat::Table => tailgrant::report::access::table(&a),
        AccessFormat::Json => serde_json::to_string_pretty(&a).unwrap_or_default() + "\n",
        AccessFormat::Markdown => tailgrant::report::access::markdown(&a),
        AccessFormat::Html => tailgrant::report::html::access(&a),
    };
    super::emit(&text, output)
}
