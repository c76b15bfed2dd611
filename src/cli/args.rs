//! Every flag of every command, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;

/// Every command's help ends with its exit statuses, in this layout.
macro_rules! exits {
    ($($line:literal),+ $(,)?) => {
        concat!("Exit status:", $("\n  ", $line),+)
    };
}

/// The credential variables, listed by every command that talks to the Tailscale API.
macro_rules! credentials {
    () => {
        "Credentials come from the environment, never from flags:
  TS_API_KEY       an API access token; or
  TS_OAUTH_ID      an OAuth client's ID, with TS_OAUTH_SECRET or TS_ID_TOKEN
  TS_OAUTH_SECRET  the OAuth client's secret (scopes policy_file, devices:core:read,
                   devices:posture_attributes)
  TS_ID_TOKEN      an OIDC token for workload identity, with TS_OAUTH_ID
  TS_TAILNET       the tailnet (as --tailnet); default: `tailnet` in tailgrant.hujson, else -
  TS_API_URL       the API's address (as --api-url); default: https://api.tailscale.com
Two kinds of credentials at once is a usage error (exit 2). With `tailnets`, the same names
with _<NAME> appended (TS_API_KEY_PROD, TS_API_URL_PROD) are that tailnet's own and win; the
plain names serve one --tailnet run only, never --all."
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "tailgrant",
    version,
    about = "Run a Tailscale policy from git: check, render, diff and apply it.",
    after_help = exits!(
        "0  clean (warnings allowed)",
        "1  findings at error level, or failed tests",
        "2  usage error, or input that cannot be read",
        "3  API or network failure (apply, import, snapshot, diff --live, approvals)",
        "4  refused to apply: drift or conflict",
    )
)]
pub struct Cli {
    /// Colour: `auto` (on a terminal, unless NO_COLOR is set), `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", display_order = 900)]
    pub color: ColorChoice,
    /// Print only errors and what was asked for: no warnings, progress or notes.
    #[arg(short, long, global = true, display_order = 901)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The policies directory, for commands where time does not matter.
#[derive(Debug, Args, Clone)]
pub struct DirArg {
    /// The policies directory (holds policy.hujson, tailgrant.hujson, grants/, teams/).
    #[arg(long, default_value = "policies", env = "TAILGRANT_DIR")]
    pub dir: PathBuf,
    /// With `tailnets` in tailgrant.hujson: which of them (check without it checks all).
    /// Without: the tailnet for the API, `-` (the credentials' own), its ID or name; default
    /// `tailnet` in tailgrant.hujson. TS_TAILNET, when set, must agree.
    #[arg(long, value_name = "NAME")]
    pub tailnet: Option<String>,
}

/// The policies directory and the instant, for commands where time matters.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// The policies directory (holds policy.hujson, tailgrant.hujson, grants/, teams/).
    #[arg(long, default_value = "policies", env = "TAILGRANT_DIR")]
    pub dir: PathBuf,
    /// The instant to evaluate at, RFC 3339 (e.g. 2026-11-23T09:00:00Z). Default: now.
    #[arg(long, value_parser = parse_at)]
    pub at: Option<Timestamp>,
    /// With `tailnets` in tailgrant.hujson: which of them (check without it checks all).
    /// Without: the tailnet for the API, `-` (the credentials' own), its ID or name; default
    /// `tailnet` in tailgrant.hujson. TS_TAILNET, when set, must agree.
    #[arg(long, value_name = "NAME")]
    pub tailnet: Option<String>,
}

impl Common {
    pub fn at(&self) -> Timestamp {
        self.at.unwrap_or_else(Timestamp::now)
    }
}

impl From<DirArg> for Common {
    fn from(d: DirArg) -> Common {
        Common { dir: d.dir, at: None, tailnet: d.tailnet }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, validate and merge the policies; run their tests; print findings.
    ///
    /// Everything is checked as it stands at --at: fragments active then are merged, pending
    /// ones are checked too, expired ones contribute nothing.
    #[command(after_help = exits!("0  clean (warnings allowed)", "1  findings at error level, or failed tests", "2  usage error, or input that cannot be read"))]
    Check {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Print (or write with -o) the policy file active at --at.
    ///
    /// Nothing is written when check finds errors: they go to standard error instead.
    #[command(after_help = exits!("0  rendered", "1  check found errors; nothing written", "2  usage error, or input that cannot be read"))]
    Render {
        #[command(flatten)]
        common: Common,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// What a change does: the rendered policy against another.
    ///
    /// Against --against-git HEAD by default (uncommitted changes), a policy file, or the live
    /// policy: a unified diff, the fragments added and removed, who gains or loses access, and
    /// the errors check finds in the change.
    #[command(after_help = const_format_diff())]
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Render at now and push the policy through the Tailscale API.
    ///
    /// Check first, refuse to overwrite edits made elsewhere, validate server-side, write with
    /// If-Match, then set and remove device posture attributes.
    #[command(after_help = const_format_apply())]
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
        /// With several `tailnets`: apply each in turn, each with its own credentials
        /// (TS_API_KEY_<NAME>, ...), and report each.
        #[arg(long, conflicts_with = "tailnet")]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
        format: ApplyFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The live tailnet against the repository at now; reads only, changes nothing.
    ///
    /// Drift, access still live past its expiry (which file, for how long), posture-mode
    /// attributes no active grant file explains, devices missing theirs. Credentials as for
    /// apply.
    #[command(after_help = const_format_status())]
    Status {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
        format: ApplyFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Fetch the live policy into the base file.
    ///
    /// tailgrant's header and merged fragment entries are removed: to adopt a tailnet, or to
    /// turn edits made in the admin console into a pull request.
    #[command(after_help = const_format_api())]
    Import {
        #[command(flatten)]
        common: DirArg,
        /// Write here instead of the base file named in tailgrant.hujson.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Write the live tailnet's devices and users into the files tests read.
    ///
    /// Devices (addresses, owners, tags) and users (members, shared-in users, roles), as the
    /// config's `devices` and `users` name them. Commit them through a pull request, on a
    /// schedule.
    #[command(after_help = const_format_api())]
    Snapshot {
        #[command(flatten)]
        common: DirArg,
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
    ///
    /// Without a port: does any rule connect the two (what ICMP needs)?
    #[command(after_help = exits!("0  allowed", "1  denied, or it cannot be decided offline", "2  SRC or DST is not something the policy defines, or a usage error"))]
    Explain {
        #[command(flatten)]
        common: Common,
        /// A user, group, tag, host alias or IP address.
        src: String,
        /// The destination, as HOST:PORT with one port (or HOST alone).
        dst: String,
        /// A protocol name or number; without it, TCP or UDP.
        #[arg(long)]
        proto: Option<String>,
        /// A posture attribute of the source device, e.g. --attr node:os=macos (repeatable).
        #[arg(long = "attr", value_name = "KEY=VALUE")]
        attrs: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
        format: ExplainFormat,
    },
    /// Who holds which time-bounded access, approved by whom, until when.
    ///
    /// Active and pending grants at --at, with what they open and why; nothing expired.
    #[command(after_help = exits!("0  listed", "2  usage error, or input that cannot be read"))]
    Access {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = AccessFormat::Table)]
        format: AccessFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Every grant file's life from the git history of the policies directory.
    ///
    /// Added, changed and removed by which commit, when and by whom; approvers; window;
    /// removed before or after it expired. Each report ends with a SHA-256 of everything
    /// above it.
    #[command(after_help = exits!("0  reported", "2  usage error, or a history that cannot be read"))]
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
        format: AuditFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// List fragments that have expired at --at; --delete removes exactly those files.
    ///
    /// Pending and permanent fragments stay.
    #[command(after_help = exits!("0  listed (or deleted)", "2  usage error, or a file that cannot be deleted"))]
    Prune {
        #[command(flatten)]
        common: Common,
        /// Delete the expired files (and print each one deleted).
        #[arg(long)]
        delete: bool,
    },
    /// Write a new grant file from flags, after checking that it passes `check`.
    ///
    /// The file starts at --from (default: --at, or now, in whole minutes) and ends after
    /// --for or at --until; nothing is written if check would find errors in it.
    #[command(after_help = exits!("0  written (its path is printed)", "1  it would not pass check; nothing written", "2  usage error, or input that cannot be read"))]
    New {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: NewArgs,
    },
    /// Write the follow-up grant file for an expiring (or expired) one, to be reviewed anew.
    ///
    /// A new file with the same access and a new window: an active grant is continued from
    /// its expiry, an expired one starts again at --at (default: now).
    #[command(after_help = exits!("0  written", "1  findings: the new file would not pass check (nothing written)", "2  usage error, or input that cannot be read"))]
    Renew {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: RenewArgs,
    },
    /// In a GitHub Actions run on an `issues` event: turn an access request into a pull request.
    ///
    /// The issue, opened with the form .github/ISSUE_TEMPLATE/access-request.yml, becomes a
    /// grant file on the branch tailgrant/request-N and a pull request, with review requested
    /// from the approvers' GitHub accounts (`people`); or its findings are commented on the
    /// issue. The requester is the issue's author, mapped through `people`.
    #[command(after_help = exits!("0  pull request opened", "1  refused: the findings are on the issue", "2  not in such a run, a checkout that is no git repository, or a usage error", "3  the forge's API or the push failed"))]
    Request {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        net: NetArgs,
    },
    /// On a schedule (GitHub Actions): remind requesters of grant files that expire soon.
    ///
    /// Every grant file that expires within --within (default: the config's warnBefore) gets a
    /// reminder with the command that renews it, on the pull request that last changed the
    /// file, or in an issue. Once per file and expiry.
    #[command(after_help = exits!("0  reminded (or nothing to remind)", "2  not in such a run, or a usage error", "3  the forge's API failed"))]
    Remind {
        #[command(flatten)]
        common: Common,
        /// How far ahead to look, e.g. 24h; default the config's warnBefore.
        #[arg(long, value_parser = parse_signed)]
        within: Option<jiff::SignedDuration>,
        #[command(flatten)]
        net: NetArgs,
    },
    /// In a pull request's CI run: check that its grant files are approved.
    ///
    /// Every grant file the pull request adds or changes must be approved, on its head commit,
    /// by every approver the file names (GitHub reviews or GitLab merge request approvals;
    /// `people` read from the base revision).
    #[command(after_help = exits!("0  approved", "1  findings: a missing approval", "2  not in a pull request's CI run, or a usage error", "3  the forge's API failed"))]
    Approvals {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ApprovalsFormat::Human)]
        format: ApprovalsFormat,
        #[command(flatten)]
        net: NetArgs,
    },
    /// Format HuJSON files in place exactly as Tailscale's formatter does, comments kept.
    ///
    /// Without files: the config, the base policy and every fragment.
    #[command(after_help = exits!("0  formatted (or, with --check, nothing to format)", "1  --check: files are not formatted; or a file does not parse", "2  usage error, or a file that cannot be read or written"))]
    Fmt {
        #[command(flatten)]
        common: DirArg,
        /// Change nothing; list the files that are not formatted and exit 1 if any.
        #[arg(long)]
        check: bool,
        /// Files to format. Default: the config, the base policy and every fragment.
        files: Vec<PathBuf>,
    },
    /// Print a shell's completion script.
    ///
    /// For example: `tailgrant completions bash > ~/.local/share/bash-completion/completions/tailgrant`,
    /// or `tailgrant completions zsh > ~/.zfunc/_tailgrant`.
    #[command(after_help = exits!("0  printed", "2  usage error"))]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write every command's page into a directory.
    ///
    /// `tailgrant man | man -l -` reads it; `tailgrant man -o DIR` writes tailgrant.1 and a
    /// page per command (tailgrant-check.1, ...), as docs/man/ holds them.
    #[command(after_help = exits!("0  printed or written", "2  usage error, or a page that cannot be written"))]
    Man {
        /// Write every page into this directory instead.
        #[arg(short, long, value_name = "DIR")]
        output: Option<PathBuf>,
    },
}

const fn const_format_diff() -> &'static str {
    concat!(
        exits!(
            "0  compared, and the change passes check",
            "1  the change does not pass check (its errors are listed)",
            "2  usage error, or input that cannot be read",
            "3  --live: API or network failure"
        ),
        "\n\nWith --live, credentials as for `tailgrant apply --help`."
    )
}

const fn const_format_apply() -> &'static str {
    concat!(
        exits!(
            "0  applied, or nothing to change",
            "1  check found errors, or the tailnet refused the policy; nothing sent",
            "2  usage error, or input that cannot be read",
            "3  API or network failure",
            "4  refused: drift, or a change made meanwhile"
        ),
        "\n\n",
        credentials!()
    )
}

const fn const_format_status() -> &'static str {
    concat!(
        exits!(
            "0  in sync",
            "1  access live past its expiry, revoked but live, or an attribute nothing explains",
            "2  usage error, or input that cannot be read",
            "3  API or network failure",
            "4  drift: the live policy was edited outside tailgrant"
        ),
        "\n\n",
        credentials!()
    )
}

const fn const_format_api() -> &'static str {
    concat!(
        exits!("0  written", "2  usage error, or a file that cannot be written", "3  API or network failure"),
        "\n\n",
        credentials!()
    )
}

/// Where the API is and how patient to be with it. Credentials are never flags: they come
/// from TS_API_KEY, or TS_OAUTH_ID with TS_OAUTH_SECRET or TS_ID_TOKEN.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// The Tailscale API's address.
    #[arg(long, env = "TS_API_URL", default_value = "https://api.tailscale.com")]
    pub api_url: String,
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
    #[arg(long, required_unless_present_any = ["from_issue"], conflicts_with = "issue_author")]
    pub requester: Option<String>,
    /// Who approved it (repeatable).
    #[arg(long, required_unless_present = "from_issue")]
    pub approver: Vec<String>,
    /// Destination as HOST:PORTS, e.g. tag:prod-db:5432 (repeatable).
    #[arg(long, required_unless_present = "from_issue")]
    pub dst: Vec<String>,
    /// Sources (repeatable); default: the requester.
    #[arg(long, conflicts_with = "from_issue")]
    pub src: Vec<String>,
    /// Protocol of the granted ports.
    #[arg(long, default_value = "tcp", conflicts_with = "from_issue")]
    pub proto: String,
    /// How long, from the start: 8h, 3d, 1h30m.
    #[arg(long = "for", value_name = "DURATION", conflicts_with = "from_issue")]
    pub for_: Option<String>,
    /// Until this instant (RFC 3339), instead of --for.
    #[arg(long, value_parser = parse_at, conflicts_with_all = ["for_", "from_issue"])]
    pub until: Option<Timestamp>,
    /// Start (RFC 3339); default: --at or now.
    #[arg(long, value_parser = parse_at)]
    pub from: Option<Timestamp>,
    /// Why the access is needed, with a ticket reference.
    #[arg(long, required_unless_present = "from_issue")]
    pub reason: Option<String>,
    /// A device to set a posture attribute on while the grant lasts (with --attr).
    #[arg(long, requires = "attr", conflicts_with = "from_issue")]
    pub device: Option<String>,
    /// The posture attribute set to true on --device, e.g. custom:prodAccess.
    #[arg(long, requires = "device", conflicts_with = "from_issue")]
    pub attr: Option<String>,
    /// Read the request from an issue body written by the access request form
    /// (.github/ISSUE_TEMPLATE/access-request.yml) instead of from flags.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["approver", "dst", "reason"])]
    pub from_issue: Option<PathBuf>,
    /// With --from-issue: the GitHub account that opened the issue; the requester is the login
    /// `people` maps it to.
    #[arg(long, value_name = "LOGIN", requires = "from_issue")]
    pub issue_author: Option<String>,
}

/// `tailgrant renew`.
#[derive(Debug, Args, Clone)]
pub struct RenewArgs {
    /// The grant file to renew.
    pub file: PathBuf,
    /// How long the renewal lasts, from when the file expires (or from now, if it has).
    #[arg(long = "for", value_name = "DURATION", required_unless_present = "until")]
    pub for_: Option<String>,
    /// Until this instant (RFC 3339), instead of --for.
    #[arg(long, value_parser = parse_at, conflicts_with = "for_")]
    pub until: Option<Timestamp>,
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

fn parse_signed(s: &str) -> Result<jiff::SignedDuration, String> {
    s.parse::<tailgrant::model::Duration>().map(|d| d.0)
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
