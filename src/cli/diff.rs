//! `tailgrant diff`

use std::path::PathBuf;

use tailgrant::evaluate::Compiled;
use tailgrant::load::Repository;
use tailgrant::load::git::Git;
use tailgrant::load::view::View;

use super::ExitStatus;
use super::args::{ApiArgs, Common, DiffFormat};

pub enum Against {
    File(PathBuf),
    Git(String),
    Live,
}

pub fn run(common: &Common, against: Against, format: DiffFormat, api: &ApiArgs) -> ExitStatus {
    let at = common.at();
    let new = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => return fail(&format!("cannot create a temporary directory: {e}")),
    };
    let live = matches!(against, Against::Live);
    let from_git = matches!(against, Against::Git(_));
    // What the other side's files are called where users see them: `HEAD:policies/…`, the
    // file given, or the live policy (rather than the temporary copy they are read from).
    let (old_dir, old_name) = match against {
        Against::Live => {
            let live = match super::apply::fetch_live(&new, api, common) {
                Ok(l) => l,
                Err(status) => return status,
            };
            if let Err(e) = std::fs::write(tmp.path().join("policy.hujson"), live.text) {
                return fail(&format!("cannot write a temporary file: {e}"));
            }
            (tmp.path().to_path_buf(), "the live policy".to_owned())
        }
        Against::File(path) => {
            if let Err(status) = parses(&path) {
                return status;
            }
            let target = tmp.path().join("policy.hujson");
            if let Err(e) = std::fs::copy(&path, &target) {
                return fail(&format!("cannot read {}: {e}", path.display()));
            }
            (tmp.path().to_path_buf(), path.display().to_string())
        }
        Against::Git(rev) => match Git::open(&common.dir) {
            Err(e) => {
                let e = match e {
                    tailgrant::load::git::GitError::Failed { message, .. }
                        if message.contains("not a git repository") =>
                    {
                        format!("{} is not in a git repository", common.dir.display())
                    }
                    e => e.to_string(),
                };
                return fail(&format!(
                    "{e}\n  plain `tailgrant diff` compares with a git revision (HEAD); outside git, compare with a saved policy (--against FILE) or the live one (--live)"
                ));
            }
            Ok(git) => match git.extract(&rev, tmp.path()) {
                Ok(dir) => {
                    let name = format!("{rev}:{}", git.prefix().trim_end_matches('/'));
                    (dir, name)
                }
                Err(e) => return fail(&e.to_string()),
            },
        },
    };
    // The other side as the same tailnet sees it, when it runs several.
    let tailnet = new.tailnet.as_deref().filter(|_| !Repository::tailnets(&old_dir).is_empty());
    let old = match Repository::load_tailnet(&old_dir, tailnet) {
        Ok(r) => r,
        Err(e) => return fail(&format!("the other side does not load: {e}")),
    };
    let old_prefix = tailgrant::load::display_path(&old_dir, "");
    // A git revision is a policies directory (`HEAD:policies/grants/x.hujson`); a file or the
    // live policy is the one base file.
    let rename = |s: &str| match s.strip_prefix(&old_prefix) {
        Some(rest) if from_git => format!("{old_name}/{rest}"),
        Some(_) => s.replacen(&format!("{old_prefix}policy.hujson"), &old_name, 1),
        None => s.to_owned(),
    };
    // A side that does not render says why: the new side's errors as `check` gives them, the
    // other side's with its own names.
    let report = tailgrant::pipeline::check(&new, at);
    let Some(new_r) = tailgrant::merge::render(&new, at) else {
        return unrendered(&new, &report, "the policies directory", &|s: &str| s.to_owned());
    };
    let Some(old_r) = tailgrant::merge::render(&old, at) else {
        let old_report = tailgrant::pipeline::check(&old, at);
        return unrendered(&old, &old_report, &old_name, &rename);
    };
    let (old_view, new_view) = (View::active(&old, at), View::active(&new, at));
    let (old_c, new_c) = (Compiled::new(&old_view), Compiled::new(&new_view));
    let mut d = tailgrant::diff::diff(
        &tailgrant::diff::Side { rendered: &old_r.text, policy: &old_c },
        &tailgrant::diff::Side { rendered: &new_r.text, policy: &new_c },
    );
    for a in &mut d.access_lost {
        a.rule = rename(&a.rule);
    }
    if from_git {
        d.files = tailgrant::diff::files(&old, &new, at);
    }
    // A change that breaks a file says so, in the comment and in the exit status.
    d.problems = tailgrant::diff::problems(&report);
    // The live side is the server's text: shown capped and escaped, except to a machine (json).
    if live && !matches!(format, DiffFormat::Json) {
        d.cap();
    }
    super::out(&reach(&new, &d, format));
    super::out(&match format {
        DiffFormat::Human => tailgrant::report::diff::human(&d),
        DiffFormat::Markdown => tailgrant::report::diff::markdown(&d),
        DiffFormat::Json => serde_json::to_string_pretty(&d).unwrap_or_default() + "\n",
    });
    match d.problems.first() {
        None => ExitStatus::Clean,
        Some(p) => {
            let more = match d.problems.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            super::fail(
                super::status_of(&report).max_with(ExitStatus::Findings),
                format!(
                    "this change does not pass `tailgrant check`: {} at {}:{}{more} (`tailgrant check` shows each)",
                    p.code, p.file, p.line
                ),
            )
        }
    }
}

/// With several tailnets: which one this diff is of, and every tailnet each changed file lands
/// in, so that a grant file's reach is plain in review.
fn reach(new: &Repository, d: &tailgrant::diff::PolicyDiff, format: DiffFormat) -> String {
    use tailgrant::report::markdown::code;
    let Some(name) = new.tailnet.as_deref().filter(|_| !new.reach.is_empty()) else { return String::new() };
    let api = tailgrant::model::text::one_line(&new.config.tailnet);
    let lands = |path: &str| {
        new.reach
            .iter()
            .find(|(rel, _)| rel == path || tailgrant::load::display_path(&new.dir, rel) == path)
            .map(|(_, t)| if t.is_empty() { "no tailnet (TG012)".into() } else { t.join(", ") })
            .unwrap_or_else(|| "no tailnet (not in the repository now)".into())
    };
    match format {
        DiffFormat::Json => String::new(),
        DiffFormat::Markdown => {
            let mut s = format!("**Tailnet {}** ({})\n\n", code(name), code(&api));
            if !d.files.is_empty() {
                s.push_str("| grant file | lands in |\n| --- | --- |\n");
                for f in &d.files {
                    s.push_str(&format!("| {} | {} |\n", code(&f.path), lands(&f.path)));
                }
                s.push('\n');
            }
            s
        }
        DiffFormat::Human => {
            let mut s = format!("tailnet {name} ({api})\n");
            for f in &d.files {
                s.push_str(&format!("  {} -> {}\n", f.path, lands(&f.path)));
            }
            s
        }
    }
}

/// `--against FILE` must be a policy that parses: if not, its own finding, at its own path.
fn parses(path: &std::path::Path) -> Result<(), ExitStatus> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| fail(&format!("cannot read {shown}: {e}")))?;
    let color = super::stderr_color();
    let file = tailgrant::load::read_source(shown.clone(), shown.clone(), bytes).map_err(|(f, lossy)| {
        super::err(&tailgrant::report::human::finding(&f, Some(&lossy), color));
        fail(&format!("{shown} is not a policy file that can be compared"))
    })?;
    match tailgrant::load::parse_document(file) {
        Ok(_) => Ok(()),
        Err((f, file)) => {
            super::err(&tailgrant::report::human::finding(&f, Some(&file), color));
            Err(fail(&format!("{shown} is not a policy file that can be compared")))
        }
    }
}

/// A side without a base policy that renders: its errors, then why nothing was compared.
fn unrendered(
    repo: &Repository,
    report: &tailgrant::pipeline::Report,
    side: &str,
    rename: &dyn Fn(&str) -> String,
) -> ExitStatus {
    let color = super::stderr_color();
    for f in report.findings.iter().filter(|f| f.is_error()) {
        let text = tailgrant::report::human::finding(f, repo.source(&f.location.file), color);
        super::err(&text.replace(&f.location.file, &rename(&f.location.file)));
    }
    let status = super::status_of(report).max_with(ExitStatus::Findings);
    super::fail(status, format!("not compared: {side} has no base policy that renders (the errors above say why)"))
}

fn fail(msg: &str) -> ExitStatus {
    super::fail(ExitStatus::Usage, msg)
}
