//! A file as read: its text, the paths it is known by, and where a byte offset falls in it.
//! Every later layer points into these, so they sit with the parser, below findings.

use super::Value;

/// A file's text and the paths it is known by.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown to users: the policies directory joined with `rel`.
    pub path: String,
    /// Path relative to the policies directory, with `/` separators (what globs match).
    pub rel: String,
    pub text: String,
    /// Byte offsets of line starts, computed the first time a location is asked for.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: String, rel: String, text: String) -> Self {
        SourceFile { path, rel, text, line_starts: std::sync::OnceLock::new() }
    }

    /// 1-based line, column in bytes, and column in characters (for SARIF, which has no byte
    /// unit), counted as Tailscale's HuJSON parser counts them: lines end at `\n` only.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize, usize) {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
                .collect()
        });
        let offset = offset.min(self.text.len());
        let line = starts.partition_point(|&s| s <= offset);
        let start = starts[line - 1];
        let chars = 1 + String::from_utf8_lossy(&self.text.as_bytes()[start..offset]).chars().count();
        (line, 1 + offset - start, chars)
    }
}

/// A parsed HuJSON file.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: SourceFile,
    pub(crate) tree: Value,
}
