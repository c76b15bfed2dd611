//! `tailgrant fmt`

use std::path::{Path, PathBuf};

use tailgrant::load;

use super::{ExitStatus, args::Common};

pub fn run(common: &Common, check: bool, files: &[PathBuf]) -> ExitStatus {
    let mut status = ExitStatus::Clean;
    let paths = if files.is_empty() {
        match default_files(&common.dir) {
            Ok((p, refused)) => {
                if refused {
                    status = ExitStatus::Findings;
                }
                p
            }
            Err(s) => return s,
        }
    } else {
        // Named files are the caller's choice, but a symlink among them (a pre-commit hook passes
        // whatever a pull request staged) is followed only into the policies directory.
        let root = common.dir.canonicalize().ok();
        let mut named = Vec::new();
        for f in files {
            let link = std::fs::symlink_metadata(f).is_ok_and(|m| m.file_type().is_symlink());
            let inside = root.as_deref().is_some_and(|r| f.canonicalize().is_ok_and(|t| t.starts_with(r)));
            if link && !inside {
                status = super::fail(
                    ExitStatus::Findings,
                    format_args!(
                        "{} is a symlink that leads outside the policies directory ({}); not read",
                        tailgrant::model::text::one_line(&f.to_string_lossy()),
                        tailgrant::model::text::one_line(&common.dir.to_string_lossy())
                    ),
                );
            } else {
                named.push(f.clone());
            }
        }
        named
    };
    let color = super::stderr_color();
    let mut unformatted = Vec::new();
    for path in &paths {
        let shown = path.to_string_lossy().into_owned();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                status = super::fail(ExitStatus::Usage, format_args!("cannot read {shown}: {e}"));
                continue;
            }
        };
        let file = match load::read_source(shown.clone(), shown.clone(), bytes) {
            Ok(f) => f,
            Err((f, lossy)) => {
                super::err(&tailgrant::report::human::finding(&f, Some(&lossy), color));
                status = status.max_with(ExitStatus::Findings);
                continue;
            }
        };
        let mut tree = match load::parse_hujson(&file) {
            Ok(t) => t,
            Err(f) => {
                super::err(&tailgrant::report::human::finding(&f, Some(&file), color));
                status = status.max_with(ExitStatus::Findings);
                continue;
            }
        };
        tailgrant::parse::format(&mut tree);
        let formatted = tree.pack();
        if formatted == file.text.as_bytes() {
            continue;
        }
        unformatted.push(shown.clone());
        if !check && let Err(e) = tailgrant::write_atomically(path, &formatted) {
            status = super::fail(ExitStatus::Usage, format_args!("cannot write {shown}: {e}"));
        }
    }
    for f in &unformatted {
        super::out(&format!("{}{f}\n", if check { "not formatted: " } else { "formatted: " }));
    }
    if check && !unformatted.is_empty() {
        super::err("run `tailgrant fmt` to format them\n");
        status = status.max_with(ExitStatus::Findings);
    }
    status
}

/// The config, the base and every fragment the config's globs match. Files that lead outside
/// the policies directory are left out, with the finding that says so (they are never read).
fn default_files(dir: &Path) -> Result<(Vec<PathBuf>, bool), ExitStatus> {
    // The repository as a whole: with several tailnets, every one's base and fragments.
    let repo = super::load_tailnet(&Common { dir: dir.to_path_buf(), at: None, tailnet: None }, None)?;
    let root = dir.canonicalize().ok();
    let mut refused = Vec::new();
    let mut out = Vec::new();
    let whole = load::Repository::tailnets(dir);
    let mut bases: Vec<String> = Vec::new();
    if whole.is_empty() || dir.join(&repo.config.base).is_file() {
        bases.push(repo.config.base.clone());
    }
    for (name, _) in &whole {
        if let Ok(r) = load::Repository::load_tailnet(dir, Some(name))
            && !bases.contains(&r.config.base)
        {
            bases.push(r.config.base.clone());
        }
    }
    let mut named: Vec<&str> = vec![load::CONFIG_FILE];
    named.extend(bases.iter().map(String::as_str));
    for rel in &named {
        if *rel == load::CONFIG_FILE && !dir.join(rel).is_file() {
            continue;
        }
        match load::outside(dir, root.as_deref(), rel) {
            Some(f) => refused.push(*f),
            None => out.push(dir.join(rel)),
        }
    }
    let rels = if repo.reach.is_empty() {
        load::discover(dir, &repo.config, &named, &mut refused)
    } else {
        repo.reach.iter().map(|(rel, _)| rel.clone()).collect()
    };
    for rel in rels {
        out.push(dir.join(rel));
    }
    let color = super::stderr_color();
    for f in &refused {
        super::err(&tailgrant::report::human::finding(f, None, color));
    }
    Ok((out, !refused.is_empty()))
}
