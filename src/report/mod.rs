//! Report: findings rendered for people (`human`), scripts (`json`) and CI (`github`).
//! One module per format, all over the same `Finding`s.

pub mod access;
pub mod apply;
pub mod approvals;
pub mod audit;
pub mod diff;
pub mod explain;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod status;

use serde::Serialize;

/// The output formats of commands that print findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
    Junit,
}

/// The JSON Schemas of the reports tailgrant writes for other programs, as `(file name,
/// pretty JSON)`. `schemas/` holds them beside the input schemas; a test fails when they are
/// stale.
pub fn schemas() -> Vec<(&'static str, String)> {
    let pretty = |s: schemars::Schema| serde_json::to_string_pretty(&s).unwrap_or_default() + "\n";
    let mut audit = schemars::schema_for!(crate::audit::Audit);
    // The seal is written after the rest (see `audit::json`), so it is not a field of the type.
    if let Some(props) = audit.get_mut("properties").and_then(|p| p.as_object_mut()) {
        props.insert(
            "sha256".into(),
            serde_json::json!({
                "description": "SHA-256 (hex) of every byte of the file before the line that holds this member (the last line): `head -n -1 FILE | sha256sum`.",
                "type": "string",
                "pattern": "^[0-9a-f]{64}$"
            }),
        );
    }
    if let Some(req) = audit.get_mut("required").and_then(|r| r.as_array_mut()) {
        req.push("sha256".into());
    }
    vec![("audit.schema.json", pretty(audit))]
}

/// A table for a terminal: `header` and `rows` in columns padded to their widest cell (in
/// characters), two spaces apart and indented by two, no trailing spaces.
pub(crate) fn columns<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells.zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&mut header.iter().copied());
    for r in rows {
        out.push_str(&line(&mut r.iter().map(String::as_str)));
    }
    out
}
