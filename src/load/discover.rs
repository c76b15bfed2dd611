//! Finding fragment files by the config's globs, in sorted path order.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::finding::{Code, Finding, Location};
use crate::model::Config;

/// Relative paths (with `/`) of the files under `dir` that the config's `fragments` globs
/// match and its `exclude` globs do not, sorted. `skip` lists paths that are never fragments.
/// Symlinked directories are not followed, so a symlink loop cannot trap the walk. Files whose
/// path cannot be shown safely (`TG010`) and symlinks that lead out of `dir` (`TG009`, never
/// read) are reported and left out. Invalid globs match nothing here; `check` reports them
/// where the config writes them.
pub fn discover(dir: &Path, config: &Config, skip: &[&str], findings: &mut Vec<Finding>) -> Vec<String> {
    let paths = FragmentPaths::new(config);
    let root = dir.canonicalize().ok();
    let mut out = Vec::new();
    walk(dir, "", &mut |rel, symlink| {
        if !paths.matches(rel) || skip.contains(&rel) {
            return;
        }
        let shown = super::display_path(dir, rel);
        if let Some(problem) = path_problem(rel) {
            findings.push(Finding::new(
                Code::UnsafeFileName,
                Location::file(&shown),
                format!("the file name {problem}, so it cannot be shown safely; the file is not loaded"),
                "rename the file with letters, digits and . _ - + @ = ~ ( ) only",
            ));
            return;
        }
        if symlink && let Some(f) = outside(dir, root.as_deref(), rel) {
            findings.push(*f);
            return;
        }
        out.push(rel.to_owned());
    });
    // The walk visits each directory's entries by name, which is not path order (`a/b` vs
    // `a.x`), so sort once more; a vector that is nearly sorted already costs little.
    out.sort();
    out
}

/// Compiles globs with `/` matched only by `/` and `**`.
pub fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// The config's `fragments` globs less its `exclude` globs, compiled once: which relative
/// paths are fragment files (for the work tree, and for each revision `audit` reads).
#[derive(Debug, Clone)]
pub(crate) struct FragmentPaths {
    include: GlobSet,
    exclude: GlobSet,
}

impl FragmentPaths {
    pub(crate) fn new(config: &Config) -> Self {
        FragmentPaths { include: build(&config.fragments), exclude: build(&config.exclude) }
    }

    pub(crate) fn matches(&self, rel: &str) -> bool {
        self.include.is_match(rel) && !self.exclude.is_match(rel)
    }
}

/// With `tailnets`: which tailnets a path lands in, by each tailnet's globs (the top-level
/// `exclude` holding for all), and where a new grant file for one tailnet goes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Landing {
    per: Vec<(String, Vec<String>, FragmentPaths)>,
}

impl Landing {
    /// From the whole config (not one tailnet's view of it).
    pub(crate) fn new(whole: &Config) -> Landing {
        let per = whole
            .tailnets
            .keys()
            .filter_map(|name| {
                let view = whole.for_tailnet(name)?;
                let paths = FragmentPaths::new(&view);
                Some((name.clone(), view.fragments, paths))
            })
            .collect();
        Landing { per }
    }

    /// The tailnets `rel` lands in, in the config's order.
    pub(crate) fn lands(&self, rel: &str) -> Vec<String> {
        self.per.iter().filter(|(_, _, p)| p.matches(rel)).map(|(n, _, _)| n.clone()).collect()
    }

    /// Where a new grant file drafted at `rel` goes so that it lands in `tailnet` and in no
    /// other: `rel` itself if it does, else the file's name in the first directory one of the
    /// tailnet's globs names literally (`grants/prod/` of `grants/prod/**/*.hujson`).
    /// `None`: no such place, so the draft cannot be placed without widening its reach.
    pub(crate) fn place(&self, tailnet: &str, rel: &str) -> Option<String> {
        let (_, globs, _) = self.per.iter().find(|(n, _, _)| n == tailnet)?;
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let literal = |g: &String| {
            let dirs: Vec<&str> = g.split('/').collect();
            let fixed: Vec<&str> = dirs[..dirs.len().saturating_sub(1)]
                .iter()
                .take_while(|d| !d.contains(['*', '?', '[', '{', '\\']))
                .copied()
                .collect();
            fixed.iter().map(|d| format!("{d}/")).collect::<String>() + name
        };
        std::iter::once(rel.to_owned()).chain(globs.iter().map(literal)).find(|c| self.lands(c) == [tailnet])
    }
}

fn build(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in patterns.iter().filter_map(|p| glob(p).ok()) {
        b.add(g);
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Why a path cannot be shown safely, if it cannot: it reaches labels in the rendered policy,
/// annotations and pull-request comments, where a line break, a bidi control or a field
/// separator would let a file name write something it is not.
pub fn path_problem(rel: &str) -> Option<&'static str> {
    let ok = |c: char| c.is_alphanumeric() || "._-+@=~()/".contains(c);
    if rel.contains('\u{FFFD}') {
        Some("is not valid UTF-8")
    } else if rel.chars().any(crate::model::text::breaks_line) {
        Some("holds a control, line-breaking or invisible character")
    } else if rel.chars().any(char::is_whitespace) {
        Some("holds a space")
    } else if !rel.chars().all(ok) {
        Some("holds punctuation other than . _ - + @ = ~ ( )")
    } else {
        None
    }
}

/// `Some(finding)` when `rel` (under `dir`, whose canonical path is `root`) resolves to
/// something outside `dir`. A path that does not resolve (broken, looping) is left for the
/// read to report.
pub fn outside(dir: &Path, root: Option<&Path>, rel: &str) -> Option<Box<Finding>> {
    let target: PathBuf = dir.join(rel).canonicalize().ok()?;
    // Inside, and not into git's own files (the policies directory may be a repository's root).
    let into_git = |r: &Path| target.strip_prefix(r).is_ok_and(|t| t.components().any(|c| c.as_os_str() == ".git"));
    if root.is_some_and(|r| target.starts_with(r) && !into_git(r)) {
        return None;
    }
    let shown = super::display_path(dir, rel);
    Some(Box::new(Finding::new(
        Code::SymlinkOutside,
        Location::file(&shown),
        format!("{shown} leads outside the policies directory; it was not read"),
        "keep policy files inside the policies directory: replace the symlink by the file itself",
    )))
}

fn walk(root: &Path, rel: &str, visit: &mut dyn FnMut(&str, bool)) {
    let Ok(entries) = std::fs::read_dir(if rel.is_empty() { root.to_path_buf() } else { root.join(rel) }) else {
        return;
    };
    // Names are copied out once: `DirEntry::file_name` allocates on every call.
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| (e.file_name(), e)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, e) in entries {
        // A name that is not UTF-8 keeps its replacement character, which `path_problem` refuses.
        let name = name.to_string_lossy().into_owned();
        let child = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !child.starts_with(".git") {
                walk(root, &child, visit);
            }
        } else {
            // Files, symlinks (to files, or broken or looping: reading them reports why) and
            // anything else a glob names.
            visit(&child, ft.is_symlink());
        }
    }
}
