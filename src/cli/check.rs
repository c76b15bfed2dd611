//! `tailgrant check`

use std::io::IsTerminal;

use tailgrant::report::{self, Format};

use super::{ExitStatus, args::Common};

/// With `tailnets`: which tailnets each fragment file lands in, so that a grant file's reach
/// is plain in review (a file in several is marked).
fn reach(repo: &tailgrant::load::Repository) -> String {
    let mut s = String::new();
    if repo.reach.is_empty() {
        return s;
    }
    s.push_str("fragments land in:\n");
    for (rel, lands) in &repo.reach {
        let to = if lands.is_empty() { "NO TAILNET (TG012)".to_owned() } else { lands.join(", ") };
        s.push_str(&format!("  {rel} -> {to}\n"));
    }
    s
}

pub fn run(common: &Common, format: Format) -> ExitStatus {
    let tailnets = tailgrant::load::Repository::tailnets(&common.dir);
    let selected = match super::selected_tailnet(common) {
        Ok(s) => s,
        Err(s) => return s,
    };
    if tailnets.len() < 2 || selected.is_some() {
        return one(common, format, selected.as_deref());
    }
    // Every tailnet in turn, each under its own heading (human), key (json), suites (junit)
    // or run (sarif).
    let mut worst = ExitStatus::Clean;
    let mut json = serde_json::Map::new();
    let mut reports = Vec::new();
    for (name, api) in &tailnets {
        if matches!(format, Format::Human | Format::Github) {
            super::out(&format!("── tailnet {name} ({}) ──\n", tailgrant::model::text::one_line(api)));
        }
        let status = match super::load_tailnet(common, Some(name)) {
            Ok(repo) => {
                let report = tailgrant::pipeline::check(&repo, common.at());
                let status = super::status_of(&report);
                match format {
                    Format::Json => {
                        let one: serde_json::Value =
                            serde_json::from_str(&report::json::render(&report)).unwrap_or_default();
                        json.insert(name.clone(), one);
                    }
                    Format::Junit | Format::Sarif => reports.push((name.as_str(), report)),
                    Format::Human | Format::Github => print(&repo, &report, format),
                }
                status
            }
            Err(s) => s,
        };
        worst = worst.max_with(status);
    }
    match format {
        Format::Json => {
            let all = serde_json::json!({ "tailnets": json });
            super::out(&(serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"));
        }
        Format::Junit => {
            let all: Vec<_> = reports.iter().map(|(n, r)| (Some(*n), r)).collect();
            super::out(&report::junit::render_tailnets(&all));
        }
        Format::Sarif => {
            let all: Vec<_> = reports.iter().map(|(n, r)| (Some(*n), r.findings.as_slice())).collect();
            super::out(&report::sarif::render_tailnets(&all));
        }
        Format::Human | Format::Github => {}
    }
    worst
}

/// One tailnet (or the only one): as `check` has always printed.
fn one(common: &Common, format: Format, tailnet: Option<&str>) -> ExitStatus {
    let repo = match super::load_tailnet(common, tailnet) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let report = tailgrant::pipeline::check(&repo, common.at());
    print(&repo, &report, format);
    super::status_of(&report)
}

fn print(repo: &tailgrant::load::Repository, report: &tailgrant::pipeline::Report, format: Format) {
    // --quiet keeps the errors and the summary; machine formats always hold everything.
    let shown: std::borrow::Cow<'_, [tailgrant::finding::Finding]> = if super::quiet() {
        report.findings.iter().filter(|f| f.is_error()).cloned().collect()
    } else {
        (&report.findings[..]).into()
    };
    match format {
        Format::Human => {
            let color = super::color(std::io::stdout().is_terminal());
            let mut text = report::human::findings(&shown, |p| repo.source(p), color);
            text.push_str(&report::human::summary(report));
            text.push_str(&reach(repo));
            super::out(&text);
        }
        Format::Json => super::out(&report::json::render(report)),
        Format::Sarif => super::out(&report::sarif::render(&report.findings)),
        Format::Junit => super::out(&report::junit::render(report)),
        Format::Github => {
            super::out(&report::github::render(&shown));
            super::out(&report::human::summary(report));
            super::out(&reach(repo));
        }
    }
}
