//! Every flag of every command, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;

#[derive(Debug, Parser)]
#[command(name = "tailgrant", version, about = "Run a Tailscale policy from git: check, render, diff and apply it.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Common {
    /// The policies directory (holds policy.hujson, tailgrant.hujson, grants/, teams/).
    #[arg(long, global = true, default_value = "policies", env = "TAILGRANT_DIR")]
    pub dir: PathBuf,
    /// The instant to evaluate at, RFC 3339 (e.g. 2026-11-23T09:00:00Z). Default: now.
    #[arg(long, global = true, value_parser = parse_at)]
    pub at: Option<Timestamp>,
}

impl Common {
    pub fn at(&self) -> Timestamp {
        self.at.unwrap_or_else(Timestamp::now)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, validate and merge the policies; print findings.
    Check {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Print (or write with -o) the policy file active at --at.
    Render {
        #[command(flatten)]
        common: Common,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// What a change does: the rendered policy against another (default: --against-git HEAD),
    /// as a unified diff, the fragments added and removed, and who gains or loses access.
    Diff {
        #[command(flatten)]
        common: Common,
        /// A policy file (for example one saved from the admin console or a rendered file).
        #[arg(long, group = "against_what")]
        against: Option<PathBuf>,
        /// A git revision: the policies directory as of that commit (the work tree is untouched).
        #[arg(long, group = "against_what")]
        against_git: Option<String>,
        /// The live policy, through the Tailscale API.
        #[arg(long, group = "against_what")]
        live: bool,
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Render at now and push the policy through the Tailscale API: check first, refuse to
    /// overwrite edits made elsewhere, validate server-side, write with If-Match, then set and
    /// remove device posture attributes. Credentials come from the environment (README).
    Apply {
        #[command(flatten)]
        common: Common,
        /// Do everything but write; print what would change.
        #[arg(long)]
        dry_run: bool,
        /// Overwrite a live policy that tailgrant did not write, or that was edited since.
        #[arg(long)]
        force: bool,
        /// Posture mode: read every device's attributes even if nothing changed since the last
        /// apply, and fix what someone else changed (a scheduled job runs this now and then).
        #[arg(long)]
        reconcile: bool,
        #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
        format: ApplyFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The live tailnet against the repository at now: drift, access still live past its
    /// expiry (which file, for how long), posture-mode attributes no active grant file
    /// explains, devices missing theirs. Exit 0 in sync, 1 live past expiry or unexplained,
    /// 3 API failure, 4 drift. Reads only; credentials as for apply.
    Status {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
        format: ApplyFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Fetch the live policy into the base file (tailgrant's header and merged fragment
    /// entries removed): to adopt a tailnet, or to turn edits made in the admin console into a
    /// pull request.
    Import {
        #[command(flatten)]
        common: Common,
        /// Write here instead of the base file named in tailgrant.hujson.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Write what tests need to know of the live tailnet into files: its devices (addresses,
    /// owners, tags) and users (members, shared-in users, roles), as the config's `devices`
    /// and `users` name them. Commit them through a pull request, on a schedule.
    Snapshot {
        #[command(flatten)]
        common: Common,
        /// Write the devices here (default: the config's `devices`).
        #[arg(long)]
        devices: Option<PathBuf>,
        /// Write the users here (default: the config's `users`).
        #[arg(long)]
        users: Option<PathBuf>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// May SRC reach DST? Which rules allow it, in which file and line, until when.
    /// Exit 0 if allowed, 1 if not (or if it cannot be decided offline).
    Explain {
        #[command(flatten)]
        common: Common,
        /// A user, group, tag, host alias or IP address.
        src: String,
        /// The destination, as HOST:PORT (or HOST alone: does any rule connect the two?).
        dst: String,
        /// A protocol name or number; without it, TCP or UDP.
        #[arg(long)]
        proto: Option<String>,
        /// A posture attribute of the source device, e.g. --attr node:os=macos (repeatable).
        #[arg(long = "attr", value_name = "KEY=VALUE")]
        attrs: Vec<String>,
        #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
        format: ExplainFormat,
    },
    /// Who holds which time-bounded access, approved by whom, until when.
    Access {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = AccessFormat::Table)]
        format: AccessFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Every grant file's life from the git history of the policies directory: added,
    /// changed and removed by which commit, when and by whom; approvers; window; removed
    /// before or after it expired. Each report ends with a SHA-256 of everything above it.
    Audit {
        #[command(flatten)]
        common: Common,
        /// The start of the period (RFC 3339). Default: the first commit.
        #[arg(long, value_parser = parse_at)]
        since: Option<Timestamp>,
        /// The end of the period (RFC 3339). Default: --at (now).
        #[arg(long, value_parser = parse_at)]
        until: Option<Timestamp>,
        /// Only grants that opened this destination during the period (HOST or HOST:PORT).
        #[arg(long, value_name = "SELECTOR")]
        dst: Option<String>,
        /// Only grants that gave this identity access during the period.
        #[arg(long, value_name = "IDENTITY")]
        src: Option<String>,
        #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
        format: AuditFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// List fragments that have expired at --at; --delete removes exactly those files.
    Prune {
        #[command(flatten)]
        common: Common,
        /// Delete the expired files (and print each one deleted).
        #[arg(long)]
        delete: bool,
    },
    /// Write a new grant file from flags, after checking that it passes `check`.
    New {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: NewArgs,
    },
    /// In a pull request's CI run: check that every grant file it adds or changes is approved,
    /// on its head commit, by every approver the file names (GitHub reviews or GitLab merge
    /// request approvals; `people` read from the base revision). Exit 0 approved, 1 findings,
    /// 3 forge API failure.
    Approvals {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = ApprovalsFormat::Human)]
        format: ApprovalsFormat,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Format HuJSON files in place exactly as Tailscale's formatter does, comments kept.
    Fmt {
        #[command(flatten)]
        common: Common,
        /// Change nothing; list the files that are not formatted and exit 1 if any.
        #[arg(long)]
        check: bool,
        /// Files to format. Default: the config, the base policy and every fragment.
        files: Vec<PathBuf>,
    },
}

/// Where the API is and how patient to be with it. Credentials are never flags: they come
/// from TS_API_KEY, or TS_OAUTH_ID with TS_OAUTH_SECRET or TS_ID_TOKEN.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// The Tailscale API's address.
    #[arg(long, env = "TS_API_URL", default_value = "https://api.tailscale.com")]
    pub api_url: String,
    /// The tailnet: `-` (the credentials' own), its ID or legacy name. Default: `tailnet` in
    /// tailgrant.hujson, else `-`.
    #[arg(long, env = "TS_TAILNET")]
    pub tailnet: Option<String>,
    #[command(flatten)]
    pub net: NetArgs,
}

/// How patient to be with an API (Tailscale's, or a forge's).
#[derive(Debug, Args, Clone)]
pub struct NetArgs {
    /// Timeout of each request, e.g. 30s.
    #[arg(long, default_value = "30s", value_parser = parse_span)]
    pub timeout: std::time::Duration,
    /// How long one request may keep retrying (429, 5xx, connection errors), e.g. 2m.
    #[arg(long, default_value = "2m", value_parser = parse_span)]
    pub retry_budget: std::time::Duration,
    /// The first retry's delay; later ones double, with jitter, up to 20s.
    #[arg(long, default_value = "500ms", value_parser = parse_span, hide = true)]
    pub backoff: std::time::Duration,
    /// The largest answer read from the API, e.g. 16MiB; a larger one is an error.
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    pub max_response_size: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ApprovalsFormat {
    Human,
    Json,
    /// GitHub Actions annotations.
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ApplyFormat {
    Human,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct NewArgs {
    /// Who asks for the access (a login).
    #[arg(long)]
    pub requester: String,
    /// Who approved it (repeatable).
    #[arg(long, required = true)]
    pub approver: Vec<String>,
    /// Destination as HOST:PORTS, e.g. tag:prod-db:5432 (repeatable).
    #[arg(long, required = true)]
    pub dst: Vec<String>,
    /// Sources (repeatable); default: the requester.
    #[arg(long)]
    pub src: Vec<String>,
    /// Protocol of the granted ports.
    #[arg(long, default_value = "tcp")]
    pub proto: String,
    /// How long, from the start: 8h, 3d, 1h30m.
    #[arg(long = "for", value_name = "DURATION")]
    pub for_: Option<String>,
    /// Until this instant (RFC 3339), instead of --for.
    #[arg(long, value_parser = parse_at, conflicts_with = "for_")]
    pub until: Option<Timestamp>,
    /// Start (RFC 3339); default: --at or now.
    #[arg(long, value_parser = parse_at)]
    pub from: Option<Timestamp>,
    /// Why the access is needed, with a ticket reference.
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    Human,
    /// A pull-request comment.
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AccessFormat {
    Table,
    Json,
    Markdown,
    /// One self-contained page with a timeline.
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    /// RFC 4180, with a header row.
    Csv,
    Markdown,
    /// One self-contained page with a timeline.
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExplainFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    /// GitHub Actions annotations.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML test results.
    Junit,
}

impl From<FormatArg> for tailgrant::report::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Human => tailgrant::report::Format::Human,
            FormatArg::Json => tailgrant::report::Format::Json,
            FormatArg::Github => tailgrant::report::Format::Github,
            FormatArg::Sarif => tailgrant::report::Format::Sarif,
            FormatArg::Junit => tailgrant::report::Format::Junit,
        }
    }
}

fn parse_span(s: &str) -> Result<std::time::Duration, String> {
    s.parse::<jiff::SignedDuration>()
        .ok()
        .and_then(|d| std::time::Duration::try_from(d).ok())
        .ok_or_else(|| format!("`{s}` is not a duration; write it like 30s, 2m or 1h30m"))
}

/// A size in bytes: a number with an optional unit (`B`, `KiB`, `MiB`, `GiB`; `K`, `M`, `G`
/// mean the same).
fn parse_size(s: &str) -> Result<usize, String> {
    let bad = || format!("`{s}` is not a size; write it like 16MiB, 512KiB or 1048576");
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: usize = n.parse().map_err(|_| bad())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => return Err(bad()),
    };
    n.checked_mul(1usize << shift).filter(|&b| b > 0).ok_or_else(bad)
}

fn parse_at(s: &str) -> Result<Timestamp, String> {
    s.parse().map_err(|_| format!("`{s}` is not an RFC 3339 instant; write it like 2026-11-23T09:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        for bad in ["", "0", "MiB", "1.5MiB", "16MB", "-1", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
