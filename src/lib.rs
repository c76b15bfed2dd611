//! tailgrant: a compiler and linter for a Tailscale policy kept in git.
//!
//! The pipeline, one module a stage, each importing only the stages below it (the order is
//! enforced by `tests/architecture.rs`):
//!
//! - [`parse`]: bytes to a HuJSON syntax tree that keeps comments and spans, and the source
//!   files the spans point into; [`finding`]: what every stage reports, located in a file;
//! - [`model`]: typed values (fragments, config, selectors, address sets), decoded from trees;
//! - [`load`]: finds, reads and decodes a policies directory into a `Repository`, and its
//!   `view`, the policy at an instant entry by entry;
//! - the three stages over a repository, peers that do not know each other: [`check`] (the
//!   rules and guardrails), [`merge`] (the policy rendered at an instant) and [`evaluate`]
//!   ("may this reach that", the policy's tests);
//! - [`pipeline`] runs the three together into one report;
//! - what builds on a report: [`diff`], [`apply`] (through the Tailscale API), [`audit`]
//!   (who had what, from git history) and [`approvals`] (reviews on the forge);
//! - [`report`] renders all of it, in every format; the CLI (`src/cli`) is a thin layer on
//!   top. [`redact`] keeps secrets out of everything printed. The library never prints and
//!   never exits.

pub mod apply;
pub mod approvals;
pub mod audit;
pub mod check;
pub mod diff;
pub mod evaluate;
pub mod finding;
mod http;
pub mod load;
pub mod merge;
pub mod model;
mod parallel;
pub mod parse;
pub mod pipeline;
pub mod redact;
pub mod report;

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a part:
/// a temporary file in the same directory, flushed, then renamed over the target. A symlink is
/// written through (its target is replaced), not turned into a copy of it.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(path)?;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // Keep an existing file's permissions; a new file gets the usual rw-r--r-- rather than the
    // temporary file's private mode.
    match std::fs::metadata(path) {
        Ok(meta) => std::fs::set_permissions(tmp.path(), meta.permissions())?,
        #[cfg(unix)]
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
        }
        #[cfg(not(unix))]
        Err(_) => {}
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
