//! `tailgrant check`

use std::io::IsTerminal;

use tailgrant::report::{self, Format};

use super::{ExitStatus, args::Common};

pub fn run(common: &Common, format: Format) -> ExitStatus {
    let repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let report = tailgrant::pipeline::check(&repo, common.at());
    match format {
        Format::Human => {
            let color = super::color(std::io::stdout().is_terminal());
            let mut text = report::human::findings(&report.findings, |p| repo.source(p), color);
            text.push_str(&report::human::summary(&report));
            super::out(&text);
        }
        Format::Json => super::out(&report::json::render(&report)),
        Format::Sarif => super::out(&report::sarif::render(&report.findings)),
        Format::Junit => super::out(&report::junit::render(&report)),
        Format::Github => {
            super::out(&report::github::render(&report.findings));
            super::out(&report::human::summary(&report));
        }
    }
    super::status_of(&report)
}
