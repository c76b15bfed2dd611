//! `tailgrant render`

use std::path::Path;

use super::{ExitStatus, args::Common};

pub fn run(common: &Common, output: Option<&Path>) -> ExitStatus {
    let repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let report = tailgrant::pipeline::check_and_render(&repo, common.at());
    let status = super::status_of(&report);
    // Never write a policy that check rejects: print why instead.
    if status != ExitStatus::Clean || report.rendered.is_none() {
        let color = super::stderr_color();
        for f in report.findings.iter().filter(|f| f.is_error()) {
            super::err(&tailgrant::report::human::finding(f, repo.source(&f.location.file), color));
        }
        let status = if status == ExitStatus::Clean { ExitStatus::Findings } else { status };
        return super::fail(status, "not rendered: fix the errors above (`tailgrant check` lists them all)");
    }
    let Some(rendered) = report.rendered else { return ExitStatus::Findings };
    match output {
        None => super::out(&rendered.text),
        Some(path) => {
            if let Err(e) = tailgrant::write_atomically(path, rendered.text.as_bytes()) {
                return super::fail(ExitStatus::Usage, format_args!("cannot write {}: {e}", path.display()));
            }
        }
    }
    ExitStatus::Clean
}
