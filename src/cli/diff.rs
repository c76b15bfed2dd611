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
    let old_dir = match against {
        Against::Live => {
            let live = match super::apply::fetch_live(&new, api) {
                Ok(l) => l,
                Err(status) => return status,
            };
            if let Err(e) = std::fs::write(tmp.path().join("policy.hujson"), live.text) {
                return fail(&format!("cannot write a temporary file: {e}"));
            }
            tmp.path().to_path_buf()
        }
        Against::File(path) => {
            let target = tmp.path().join("policy.hujson");
            if let Err(e) = std::fs::copy(&path, &target) {
                return fail(&format!("cannot read {}: {e}", path.display()));
            }
            tmp.path().to_path_buf()
        }
        Against::Git(rev) => match Git::open(&common.dir).and_then(|git| git.extract(&rev, tmp.path())) {
            Ok(dir) => dir,
            Err(e) => return fail(&e.to_string()),
        },
    };
    let old = match Repository::load(&old_dir) {
        Ok(r) => r,
        Err(e) => return fail(&format!("the other side does not load: {e}")),
    };
    let (Some(old_r), Some(new_r)) = (tailgrant::merge::render(&old, at), tailgrant::merge::render(&new, at)) else {
        return fail("a side has no base policy that loads; `tailgrant check` says why");
    };
    let (old_view, new_view) = (View::active(&old, at), View::active(&new, at));
    let (old_c, new_c) = (Compiled::new(&old_view), Compiled::new(&new_view));
    let mut d = tailgrant::diff::diff(
        &tailgrant::diff::Side { rendered: &old_r.text, policy: &old_c },
        &tailgrant::diff::Side { rendered: &new_r.text, policy: &new_c },
    );
    if from_git {
        d.files = tailgrant::diff::files(&old, &new, at);
    }
    // A change that breaks a file says so, in the comment and in the exit status.
    let report = tailgrant::pipeline::check(&new, at);
    d.problems = tailgrant::diff::problems(&report);
    // The live side is the server's text: shown capped and escaped, except to a machine (json).
    if live && !matches!(format, DiffFormat::Json) {
        d.cap();
    }
    super::out(&match format {
        DiffFormat::Human => tailgrant::report::diff::human(&d),
        DiffFormat::Markdown => tailgrant::report::diff::markdown(&d),
        DiffFormat::Json => serde_json::to_string_pretty(&d).unwrap_or_default() + "\n",
    });
    if d.problems.is_empty() { ExitStatus::Clean } else { ExitStatus::Findings }
}

fn fail(msg: &str) -> ExitStatus {
    super::err(&format!("error: {msg}\n"));
    ExitStatus::Usage
}
