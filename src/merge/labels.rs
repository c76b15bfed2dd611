//! Reading back the labels render puts on merged entries (`// tailgrant: PATH, expires T…`):
//! which fragments a live policy holds, until when, and which of them posture mode gates.
//! `status` reads them from the live policy, so it can say what is still live past its expiry
//! even when the repository no longer has the file.

use jiff::Timestamp;

use super::{GATE_MARK, LABEL_PREFIX};
use crate::model::text::unescape;

/// One fragment as the labels of a rendered policy name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Labelled {
    /// The fragment's path relative to the policies directory.
    pub(crate) path: String,
    /// `None`: permanent.
    pub(crate) expires: Option<Timestamp>,
    /// Posture mode: the attribute key its rules are gated on.
    pub(crate) gate_key: Option<String>,
    /// How many entries carry the label.
    pub(crate) entries: usize,
}

/// The fragments a rendered policy's labels name, in the order first met.
pub(crate) fn fragment_labels(text: &str) -> Vec<Labelled> {
    let mut out: Vec<Labelled> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix(LABEL_PREFIX) else { continue };
        // A label that does not read back (hand-edited, or written by another version) still
        // marks an entry tailgrant merged: kept under its raw text, with no expiry known, so
        // that `status` reports it as live access the repository does not explain.
        let l = parse(rest).unwrap_or_else(|| Labelled {
            path: rest.to_owned(),
            expires: None,
            gate_key: None,
            entries: 1,
        });
        match out.iter_mut().find(|o| o.path == l.path) {
            Some(o) => o.entries += 1,
            None => out.push(l),
        }
    }
    out
}

fn parse(rest: &str) -> Option<Labelled> {
    let (path, after, expires) = if let Some((p, a)) = rest.split_once(", expires ") {
        let t = a.split(", ").next()?;
        (p, a, Some(t.trim().parse().ok()?))
    } else {
        let (p, a) = rest.split_once(", permanent")?;
        (p, a, None)
    };
    let gate_key = after
        .split_once(&format!("{GATE_MARK} ("))
        .and_then(|(_, k)| k.split_once(')'))
        .map(|(k, _)| k.to_owned())
        .filter(|k| crate::model::expiry::is_gate_key(k));
    Some(Labelled { path: unescape(path).into_owned(), expires, gate_key, entries: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_back() {
        let text = "{\n\t\"grants\": [\n\t\t// tailgrant: grants/a.hujson, expires 2026-11-29T17:00:00Z, enforced by the control plane (custom:tg_0123456789abcdef), approved by bob@example.com\n\t\t// tailgrant-gate: srcPosture posture:tg_0123456789abcdef requires custom:tg_0123456789abcdef == true\n\t\t{},\n\t\t// tailgrant: grants/a.hujson, expires 2026-11-29T17:00:00Z, enforced by the control plane (custom:tg_0123456789abcdef), approved by bob@example.com\n\t\t{},\n\t\t// tailgrant: teams/x\\u{000A}y.hujson, permanent\n\t\t{},\n\t],\n}\n";
        let l = fragment_labels(text);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].path, "grants/a.hujson");
        assert_eq!(l[0].expires, Some("2026-11-29T17:00:00Z".parse().unwrap()));
        assert_eq!(l[0].gate_key.as_deref(), Some("custom:tg_0123456789abcdef"));
        assert_eq!(l[0].entries, 2);
        assert_eq!(l[1], Labelled { path: "teams/x\ny.hujson".into(), expires: None, gate_key: None, entries: 1 });
    }

    /// A file name holding the label's own separator reads back as written, with its expiry.
    #[test]
    fn a_path_with_the_separator_in_it_reads_back() {
        let path = "grants/x, expires soon, permanent.hujson";
        let line = format!(
            "{LABEL_PREFIX}{}, expires 2026-11-29T17:00:00Z, approved by bob@example.com",
            crate::model::text::escape_path(path)
        );
        let l = fragment_labels(&line);
        assert_eq!(l.len(), 1, "{line}");
        assert_eq!(l[0].path, path);
        assert_eq!(l[0].expires, Some("2026-11-29T17:00:00Z".parse().unwrap()));
        // An unreadable label is not skipped.
        let odd = format!("{LABEL_PREFIX}grants/y.hujson, expires someday");
        assert_eq!(fragment_labels(&odd)[0].path, "grants/y.hujson, expires someday");
    }
}
