//! Finding fragment files by the config's globs, in sorted path order.

use std::path::Path;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::finding::{Code, Finding, Location};
use crate::model::Config;

/// Relative paths (with `/`) of the files under `dir` that the config's `fragments` globs
/// match and its `exclude` globs do not, sorted. `skip` lists paths that are never fragments.
/// Symlinked directories are not followed, so a symlink loop cannot trap the walk.
pub fn discover(dir: &Path, config: &Config, skip: &[&str], findings: &mut Vec<Finding>) -> Vec<String> {
    let config_path = super::display_path(dir, super::CONFIG_FILE);
    let include = build(&config.fragments, &config_path, findings);
    let exclude = build(&config.exclude, &config_path, findings);
    let mut out = Vec::new();
    walk(dir, "", &mut |rel| {
        if include.is_match(rel) && !exclude.is_match(rel) && !skip.contains(&rel) {
            out.push(rel.to_owned());
        }
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

fn build(patterns: &[String], config_path: &str, findings: &mut Vec<Finding>) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        match glob(p) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => findings.push(Finding::new(
                Code::InvalidGlob,
                Location::file(config_path),
                format!("invalid glob `{p}`: {}", e.kind()),
                "globs use `*`, `**`, `?`, `[abc]` and `{a,b}`, relative to the policies directory",
            )),
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

fn walk(root: &Path, rel: &str, visit: &mut dyn FnMut(&str)) {
    let Ok(entries) = std::fs::read_dir(if rel.is_empty() { root.to_path_buf() } else { root.join(rel) }) else {
        return;
    };
    // Names are copied out once: `DirEntry::file_name` allocates on every call.
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| (e.file_name(), e)).collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, e) in entries {
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
            visit(&child);
        }
    }
}
