//! The command-line layer: each command loads through the library, prints, and returns an
//! exit status. Nothing here decides policy questions.

mod access;
mod apply;
mod approvals;
pub mod args;
mod audit;
mod check;
mod diff;
mod explain;
mod fmt;
mod new;
mod prune;
mod render;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use args::{Cli, Command};

/// Exit statuses (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Clean; warnings allowed.
    Clean = 0,
    /// Findings at error level, or failed tests.
    Findings = 1,
    /// Usage error or unreadable input.
    Usage = 2,
    /// The API or the network failed.
    Api = 3,
    /// Refused to apply: drift or a conflicting change.
    Refused = 4,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s as u8)
    }
}

pub fn run(cli: Cli) -> ExitStatus {
    match cli.command {
        Command::Check { common, format } => check::run(&common, format.into()),
        Command::Render { common, output } => render::run(&common, output.as_deref()),
        Command::Fmt { common, check, files } => fmt::run(&common, check, &files),
        Command::Explain { common, src, dst, proto, attrs, format } => {
            explain::run(&common, &src, &dst, proto.as_deref(), &attrs, format)
        }
        Command::Access { common, format, output } => access::run(&common, format, output.as_deref()),
        Command::Audit { common, since, until, dst, src, format, output } => {
            let query = tailgrant::audit::Query { since, until, at: common.at(), dst, src };
            audit::run(&common, &query, format, output.as_deref())
        }
        Command::Prune { common, delete } => prune::run(&common, delete),
        Command::Apply { common, dry_run, force, reconcile, format, api } => {
            apply::run(&common, &api, tailgrant::apply::ApplyOptions { dry_run, force, reconcile }, format)
        }
        Command::Status { common, format, api } => apply::status(&common, &api, format),
        Command::Import { common, output, api } => apply::import(&common, &api, output.as_deref()),
        Command::Snapshot { common, devices, users, api } => {
            apply::snapshot(&common, &api, devices.as_deref(), users.as_deref())
        }
        Command::Diff { common, against, against_git, live, format, api } => {
            let against = match (against, against_git, live) {
                (Some(f), _, _) => diff::Against::File(f),
                (_, _, true) => diff::Against::Live,
                (_, Some(rev), _) => diff::Against::Git(rev),
                _ => diff::Against::Git("HEAD".into()),
            };
            diff::run(&common, against, format, &api)
        }
        Command::New { common, args } => new::run(&common, &args),
        Command::Approvals { common, format, net } => approvals::run(&common, format, &net),
    }
}

/// Writes to stdout; a closed pipe (`tailgrant render | head`) is not an error. Everything
/// printed, here and in [`err`], is redacted first (`tailgrant::redact`): no secret is
/// printed, whatever its source.
pub fn out(text: &str) {
    let text = tailgrant::redact::redact(text);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

pub fn err(text: &str) {
    let text = tailgrant::redact::redact(text);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Prints `text`, or writes it to `path` atomically.
pub fn emit(text: &str, path: Option<&std::path::Path>) -> ExitStatus {
    match path {
        None => {
            out(text);
            ExitStatus::Clean
        }
        Some(p) => match tailgrant::write_atomically(p, text.as_bytes()) {
            Ok(()) => ExitStatus::Clean,
            Err(e) => {
                err(&format!("error: cannot write {}: {e}\n", p.display()));
                ExitStatus::Usage
            }
        },
    }
}

/// Colour only for a terminal, and never when NO_COLOR is set.
pub fn color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none()
}

pub fn stderr_color() -> bool {
    color(std::io::stderr().is_terminal())
}

/// Loads the repository or explains why not (exit 2).
pub fn load(common: &args::Common) -> Result<tailgrant::load::Repository, ExitStatus> {
    tailgrant::load::Repository::load(&common.dir).map_err(|e| {
        err(&format!("error: {e}\n"));
        ExitStatus::Usage
    })
}

/// The exit status a check report calls for.
pub fn status_of(report: &tailgrant::pipeline::Report) -> ExitStatus {
    if report.has_unreadable_input() {
        ExitStatus::Usage
    } else if report.has_errors() || report.tests.failed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}
