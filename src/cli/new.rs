//! `tailgrant new`: write a grant file that passes check, or refuse before writing; from flags
//! or from an access request's issue body (`--from-issue`).

use std::path::Path;

use jiff::Timestamp;
use tailgrant::finding::Finding;
use tailgrant::load::Repository;
use tailgrant::model::draft::Draft;
use tailgrant::parse::SourceFile;

use super::ExitStatus;
use super::args::{Common, NewArgs};

pub fn run(common: &Common, args: &NewArgs) -> ExitStatus {
    let mut repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let now = common.at();
    // A grant file is read by people: whole minutes when it starts now, whole seconds when
    // given (never the clock's nanoseconds).
    let not_before = args.from.map_or_else(|| whole(now, 60), |t| whole(t, 1));
    let draft = match &args.from_issue {
        Some(path) => match from_issue(&repo, path, args, not_before) {
            Ok(d) => d,
            Err(Refused::Usage(msg)) => return usage(&msg),
            Err(Refused::Findings(findings, source)) => {
                return refused(&findings, |p| (p == source.path).then_some(&*source), "the request");
            }
        },
        None => match from_flags(args, not_before) {
            Ok(d) => d,
            Err(msg) => return usage(&msg),
        },
    };
    let text = match draft.render() {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    let rel = match tailgrant::pipeline::place_new_file(&repo, &draft.rel_path()) {
        Ok(rel) => rel,
        Err(e) => return usage(&e),
    };
    save(&mut repo, &rel, &text, now, args.from_issue.is_some())
}

/// Why a request is not drafted.
pub enum Refused {
    Usage(String),
    /// Findings about the request, located in its body.
    Findings(Vec<Finding>, Box<SourceFile>),
}

fn from_flags(args: &NewArgs, not_before: Timestamp) -> Result<Draft, String> {
    let expires = match (&args.for_, args.until) {
        (Some(d), None) => match d.parse::<tailgrant::model::Duration>() {
            Ok(d) => whole(not_before.checked_add(d.0).unwrap_or(not_before), 1),
            Err(e) => return Err(format!("--for {e}")),
        },
        (None, Some(t)) => whole(t, 1),
        _ => return Err("give exactly one of --for (e.g. 8h) or --until (an RFC 3339 instant)".into()),
    };
    Ok(Draft {
        requester: args.requester.clone().unwrap_or_default(),
        src: args.src.clone(),
        approvers: args.approver.clone(),
        dst: args.dst.clone(),
        proto: args.proto.clone(),
        reason: args.reason.clone().unwrap_or_default(),
        not_before,
        expires,
        posture: args.device.clone().zip(args.attr.clone()).into_iter().collect(),
    })
}

/// The largest issue body read: GitHub caps a body at 65 536 characters.
const MAX_ISSUE_BYTES: u64 = 256 << 10;

fn from_issue(repo: &Repository, path: &Path, args: &NewArgs, not_before: Timestamp) -> Result<Draft, Refused> {
    use std::io::Read;
    let shown = path.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_ISSUE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| Refused::Usage(format!("cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_ISSUE_BYTES {
        return Err(Refused::Usage(format!("{shown} is larger than an issue body can be")));
    }
    let body = match String::from_utf8(bytes) {
        Ok(t) => SourceFile::new(shown.clone(), shown.clone(), t),
        Err(_) => return Err(Refused::Usage(format!("{shown} is not UTF-8"))),
    };
    let requester = match (&args.requester, &args.issue_author) {
        (Some(r), _) => r.clone(),
        (None, Some(author)) => tailgrant::request::requester_of(repo, author)
            .map_err(|f| Refused::Findings(vec![*f], Box::new(body.clone())))?,
        (None, None) => {
            return Err(Refused::Usage(
                "--from-issue needs --issue-author (the GitHub account that opened the issue) or --requester".into(),
            ));
        }
    };
    let request = tailgrant::model::form::read(&body).map_err(|f| Refused::Findings(f, Box::new(body.clone())))?;
    Ok(request.draft(&requester, not_before))
}

/// Writes the grant file `text` at the first free path of `rel`, if the repository passes
/// `check` with it (and, for an access request, a guardrail covers it); otherwise prints the
/// findings and writes nothing.
pub fn save(repo: &mut Repository, rel: &str, text: &str, now: Timestamp, request: bool) -> ExitStatus {
    let (rel, mut mine) = match tailgrant::pipeline::check_new_file(repo, rel, text, now) {
        Ok(x) => x,
        Err(e) => return usage(&e),
    };
    if request {
        mine.extend(tailgrant::request::unguarded(repo, &rel).map(|f| *f));
    }
    let display = tailgrant::load::display_path(&repo.dir, &rel);
    if !mine.is_empty() {
        return refused(&mine, |p| repo.source(p), &display);
    }
    let path = repo.dir.join(&rel);
    if let Some(parent) = path.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        return super::fail(ExitStatus::Usage, format_args!("cannot create {}: {e}", parent.display()));
    }
    if let Err(e) = tailgrant::write_atomically(&path, text.as_bytes()) {
        return super::fail(ExitStatus::Usage, format_args!("cannot write {display}: {e}"));
    }
    super::out(&format!("{display}\n"));
    ExitStatus::Clean
}

fn refused<'a>(findings: &[Finding], source: impl Fn(&str) -> Option<&'a SourceFile>, what: &str) -> ExitStatus {
    let color = super::stderr_color();
    for f in findings {
        super::err(&tailgrant::report::human::finding(f, source(&f.location.file), color));
    }
    super::fail(ExitStatus::Findings, format_args!("not written: {what} would not pass check"))
}

/// `t` truncated to a multiple of `secs` seconds since the epoch.
pub(super) fn whole(t: jiff::Timestamp, secs: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(t.as_second().div_euclid(secs) * secs).unwrap_or(t)
}

fn usage(msg: &str) -> ExitStatus {
    super::fail(ExitStatus::Usage, format_args!("{msg}"))
}
