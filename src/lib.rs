//! tailgrant: a compiler and linter for a Tailscale policy kept in git.
//!
//! The pipeline, one module a stage: [`load`] finds and reads the files, [`parse`] turns
//! HuJSON into a syntax tree that keeps comments and spans, [`model`] decodes typed views,
//! [`merge`] renders the policy active at an instant, and [`finding`] is what every stage
//! reports. [`report`] renders findings; the CLI (`src/cli`) is a thin layer over all of it.
//! The library never prints and never exits.

pub mod check;
pub mod diff;
pub mod evaluate;
pub mod finding;
pub mod load;
pub mod merge;
pub mod model;
pub mod parse;
pub mod report;

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a part:
/// a temporary file in the same directory, flushed, then renamed over the target.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
