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
mod man;
mod new;
mod prune;
mod render;
mod renew;
mod request;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::OnceLock;

use args::{Cli, ColorChoice, Command};

/// How to print, from the global flags (`--color`, `--quiet`); set once, before any command
/// runs.
struct Style {
    color: ColorChoice,
    quiet: bool,
}

static STYLE: OnceLock<Style> = OnceLock::new();

fn style() -> &'static Style {
    STYLE.get_or_init(|| Style { color: ColorChoice::Auto, quiet: false })
}

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

impl ExitStatus {
    /// The more severe of two statuses.
    pub fn max_with(self, other: ExitStatus) -> ExitStatus {
        if (other as u8) > (self as u8) { other } else { self }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s as u8)
    }
}

pub fn run(cli: Cli) -> ExitStatus {
    let _ = STYLE.set(Style { color: cli.color, quiet: cli.quiet });
    match cli.command {
        Command::Check { common, format } => check::run(&common, format.into()),
        Command::Render { common, output } => render::run(&common, output.as_deref()),
        Command::Fmt { common, check, files } => fmt::run(&common.into(), check, &files),
        Command::Explain { common, src, dst, proto, attrs, format } => {
            explain::run(&common, &src, &dst, proto.as_deref(), &attrs, format)
        }
        Command::Access { common, format, output } => access::run(&common, format, output.as_deref()),
        Command::Audit { common, since, until, dst, src, format, output } => {
            let tailnet = match one_tailnet(&common) {
                Ok(t) => t.map(|(name, api)| tailgrant::audit::Audited { name, api }),
                Err(status) => return status,
            };
            let query = tailgrant::audit::Query { since, until, at: common.at(), dst, src, tailnet };
            audit::run(&common, &query, format, output.as_deref())
        }
        Command::Prune { common, delete } => prune::run(&common, delete),
        Command::Apply { common, dry_run, force, reconcile, all, format, api } => {
            apply::run_all(&common, &api, tailgrant::apply::ApplyOptions { dry_run, force, reconcile }, all, format)
        }
        Command::Status { common, format, api } => apply::status(&common, &api, format),
        Command::Import { common, output, api } => apply::import(&common.into(), &api, output.as_deref()),
        Command::Snapshot { common, devices, users, api } => {
            apply::snapshot(&common.into(), &api, devices.as_deref(), users.as_deref())
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
        Command::Renew { common, args } => renew::run(&common, &args),
        Command::Request { common, net } => request::run(&common, &net),
        Command::Remind { common, within, net } => request::remind(&common, within, &net),
        Command::Approvals { common, format, net } => approvals::run(&common, format, &net),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "tailgrant", &mut script);
            out(&String::from_utf8_lossy(&script));
            ExitStatus::Clean
        }
        Command::Man { output } => man::run(output.as_deref()),
    }
}

/// The one way a command reports that it cannot go on: `error: WHAT` on standard error, and
/// the exit status to return. `what` says what to do next.
pub fn fail(status: ExitStatus, what: impl std::fmt::Display) -> ExitStatus {
    err(&format!("error: {what}\n"));
    status
}

/// Something worth knowing that is neither a result nor an error (progress, warnings, notes):
/// on standard error, unless `--quiet`.
pub fn note(text: &str) {
    if !quiet() {
        err(text);
    }
}

/// `--quiet`: print only errors and what was asked for.
pub fn quiet() -> bool {
    style().quiet
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
            Err(e) => fail(ExitStatus::Usage, format_args!("cannot write {}: {e}", p.display())),
        },
    }
}

/// Colour as `--color` says: `auto` only for a terminal, and never when NO_COLOR is set;
/// `always` and `never` whatever the stream or the environment.
pub fn color(stream_is_terminal: bool) -> bool {
    match style().color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stream_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    }
}

pub fn stderr_color() -> bool {
    color(std::io::stderr().is_terminal())
}

/// Which of the config's `tailnets` `--tailnet` (or TS_TAILNET) names: `Ok(None)` without
/// `tailnets`, or when neither names one. Both set and naming different tailnets is a usage
/// error: that environment's credentials are for another tailnet.
pub fn selected_tailnet(common: &args::Common) -> Result<Option<String>, ExitStatus> {
    let tailnets = tailgrant::load::Repository::tailnets(&common.dir);
    if tailnets.is_empty() {
        return Ok(None);
    }
    let resolve = |given: &str| {
        tailnets.iter().find(|(name, api)| name == given || api.eq_ignore_ascii_case(given)).map(|(n, _)| n.clone())
    };
    let names = || tailnets.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    let env = std::env::var("TS_TAILNET").ok().filter(|t| !t.trim().is_empty());
    let shown = |s: &str| tailgrant::model::text::one_line(s).into_owned();
    let flag = match &common.tailnet {
        Some(f) => Some(resolve(f).ok_or_else(|| {
            fail(
                ExitStatus::Usage,
                format!("there is no tailnet {} in tailgrant.hujson's `tailnets`; name one of: {}", shown(f), names()),
            )
        })?),
        None => None,
    };
    let from_env = match &env {
        Some(e) => Some(resolve(e).ok_or_else(|| {
            fail(ExitStatus::Usage, format!("TS_TAILNET is {}, which is none of tailgrant.hujson's `tailnets` ({}); this environment is for another tailnet", shown(e), names()))
        })?),
        None => None,
    };
    match (flag, from_env) {
        (Some(f), Some(e)) if f != e => Err(fail(
            ExitStatus::Usage,
            format!(
                "--tailnet is {f} but TS_TAILNET is {e}: this environment's credentials are for another tailnet; run in {f}'s environment"
            ),
        )),
        (f, e) => Ok(f.or(e)),
    }
}

/// Loads the repository or explains why not (exit 2), with what to do about it. With several
/// `tailnets` it takes `--tailnet NAME`.
pub fn load(common: &args::Common) -> Result<tailgrant::load::Repository, ExitStatus> {
    let tailnet = one_tailnet(common)?.map(|(name, _)| name);
    load_tailnet(common, tailnet.as_deref())
}

/// The one tailnet a command works on, with its name for the API: the one `--tailnet` (or
/// TS_TAILNET) names, or the config's only one; `Ok(None)` without `tailnets`. With several
/// and none named, a usage error that lists them.
pub fn one_tailnet(common: &args::Common) -> Result<Option<(String, String)>, ExitStatus> {
    let tailnets = tailgrant::load::Repository::tailnets(&common.dir);
    let name = match (selected_tailnet(common)?, tailnets.as_slice()) {
        (Some(name), _) => name,
        (None, []) => return Ok(None),
        (None, [(only, _)]) => only.clone(),
        (None, several) => {
            let names: Vec<&str> = several.iter().map(|(n, _)| n.as_str()).collect();
            return Err(fail(
                ExitStatus::Usage,
                format!(
                    "tailgrant.hujson runs {} tailnets; name one with --tailnet NAME ({})",
                    several.len(),
                    names.join(", ")
                ),
            ));
        }
    };
    Ok(tailnets.into_iter().find(|(n, _)| *n == name))
}

/// The repository as the tailnet `--tailnet` (or TS_TAILNET) names sees it; with none named,
/// as each of the config's `tailnets` does (one view without them).
pub fn load_each(common: &args::Common) -> Result<Vec<tailgrant::load::Repository>, ExitStatus> {
    let tailnets = tailgrant::load::Repository::tailnets(&common.dir);
    match selected_tailnet(common)? {
        Some(name) => Ok(vec![load_tailnet(common, Some(&name))?]),
        None if tailnets.is_empty() => Ok(vec![load_tailnet(common, None)?]),
        None => tailnets.iter().map(|(name, _)| load_tailnet(common, Some(name))).collect(),
    }
}

/// Loads the repository as `tailnet` (one of the config's `tailnets`) sees it.
pub fn load_tailnet(common: &args::Common, tailnet: Option<&str>) -> Result<tailgrant::load::Repository, ExitStatus> {
    use tailgrant::load::LoadError;
    tailgrant::load::Repository::load_tailnet(&common.dir, tailnet).map_err(|e| {
        let next = match &e {
            LoadError::Dir { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                "; run tailgrant where the policies directory is, or name it with --dir DIR (or TAILGRANT_DIR)"
            }
            _ => "",
        };
        fail(ExitStatus::Usage, format!("{e}{next}"))
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
