//! What `tailgrant approvals` found, for people (a line per changed grant file and a total) and
//! for scripts (JSON). Findings themselves render as every command's do (`human`, `json`,
//! `github`).

use serde::Serialize;

use crate::approvals::{FileVerdict, Verdict};
use crate::model::people::Forge;
use crate::model::text::one_line;

/// The closing lines: each changed grant file, who approved it, and the total.
pub fn summary(v: &Verdict) -> String {
    let what = format!("{} {}{} at {}", v.forge.request(), number_sign(v.forge), v.number, short(&v.head));
    if v.files.is_empty() {
        return format!("{what}: no grant file added or changed; nothing to approve\n");
    }
    let mut out = String::new();
    for f in &v.files {
        let named: Vec<String> = f
            .approvers
            .iter()
            .map(|a| format!("{} {}", one_line(&a.login), if a.approved { "approved" } else { "missing" }))
            .collect();
        let named = if named.is_empty() { "names no approvers".to_owned() } else { named.join(", ") };
        let lands =
            if f.tailnets.is_empty() { String::new() } else { format!(" (in {})", one_line(&f.tailnets.join(", "))) };
        out.push_str(&format!("{}{lands}: {named}\n", one_line(&f.file)));
    }
    let errors = v.findings.iter().filter(|f| f.is_error()).count();
    let verdict = if errors == 0 {
        "every grant file is approved as it names".to_owned()
    } else {
        format!("{errors} {}", if errors == 1 { "error" } else { "errors" })
    };
    out.push_str(&format!(
        "{what}: {} grant {} changed; {verdict}\n",
        v.files.len(),
        if v.files.len() == 1 { "file" } else { "files" }
    ));
    out
}

fn number_sign(forge: Forge) -> &'static str {
    match forge {
        Forge::GitHub => "#",
        Forge::GitLab => "!",
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonVerdict<'a> {
    forge: Forge,
    number: u64,
    head: &'a str,
    base: &'a str,
    approved: bool,
    files: &'a [FileVerdict],
    findings: Vec<serde_json::Value>,
}

/// `{"forge", "number", "head", "base", "approved", "files": [{"file", "tailnets" (with several
/// tailnets), "approvers": [{"login",
/// "account", "approved"}], "approvedBy"}], "findings": [...]}`.
pub fn json(v: &Verdict) -> String {
    let j = JsonVerdict {
        forge: v.forge,
        number: v.number,
        head: &v.head,
        base: &v.base,
        approved: !v.has_errors(),
        files: &v.files,
        findings: v.findings.iter().map(super::json::finding).collect(),
    };
    serde_json::to_string_pretty(&j).unwrap_or_default() + "\n"
}
