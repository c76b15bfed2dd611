//! A policy diff for people: the pull-request comment (Markdown) and the terminal text.
//! Every string in a diff can come from a grant file or the server, so each is escaped for
//! the medium it lands in.

use super::markdown::{code, code_block, text};
use crate::diff::{PolicyDiff, SHOWN_ENTRIES};
use crate::model::text::{multi_line, one_line};

/// ` … and 3 more` when entries were left out.
fn and_more(n: usize) -> String {
    if n == 0 { String::new() } else { format!(" … and {n} more") }
}

/// The diff as a pull-request comment: summary, access changes, and the text diff (collapsed
/// when long).
pub fn markdown(d: &PolicyDiff) -> String {
    let mut out = String::from("### tailgrant: what this change does to the tailnet policy\n\n");
    if !d.problems.is_empty() {
        out.push_str(&format!(
            "#### ❌ {} error(s): this change does not pass `tailgrant check`\n\n",
            d.problems.len()
        ));
        for p in d.problems.iter().take(SHOWN_ENTRIES) {
            out.push_str(&format!(
                "- {} {}: {}\n",
                code(&format!("{}:{}", p.file, p.line)),
                code(p.code),
                text(&p.message)
            ));
        }
        out.push_str(&and_more(d.problems.len().saturating_sub(SHOWN_ENTRIES)));
        out.push('\n');
    }
    if !d.files.is_empty() {
        out.push_str("#### Grant files in this change\n\n| file | change | in force | requested by | approved by | grants |\n| --- | --- | --- | --- | --- | --- |\n");
        for f in &d.files {
            let window = format!(
                "{} ({} → {})",
                f.status,
                f.not_before.map_or("now".to_owned(), |t| t.to_string()),
                f.expires.map_or("permanent".to_owned(), |t| t.to_string())
            );
            let grants: Vec<String> = f.grants.iter().map(|g| code(g)).collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                code(&f.path),
                f.change,
                text(&window),
                f.requester.as_deref().map_or("—".to_owned(), text),
                text(&f.approvers.join(", ")),
                grants.join("<br>")
            ));
        }
        out.push('\n');
    }
    if d.text.is_empty() {
        out.push_str("No change to the rendered policy at this instant.\n");
        return out;
    }
    let list = |v: &[String]| v.iter().map(|f| code(f)).collect::<Vec<_>>().join(", ");
    let o = &d.omitted;
    if !d.fragments_added.is_empty() {
        out.push_str(&format!("- Fragments added: {}{}\n", list(&d.fragments_added), and_more(o.fragments_added)));
    }
    if !d.fragments_removed.is_empty() {
        let more = and_more(o.fragments_removed);
        out.push_str(&format!("- Fragments removed or expired: {}{more}\n", list(&d.fragments_removed)));
    }
    out.push_str(&format!("- Rendered policy: +{} −{} lines\n\n", d.lines_added, d.lines_removed));
    for (title, changes, omitted) in
        [("Access gained", &d.access_gained, o.access_gained), ("Access lost", &d.access_lost, o.access_lost)]
    {
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("#### {title}\n\n| who | what | until | rule |\n| --- | --- | --- | --- |\n"));
        for c in changes.iter() {
            let until = c.until.as_deref().map_or("permanent (base policy)".to_owned(), text);
            out.push_str(&format!("| {} | {} | {} | {} |\n", code(&c.who), code(&c.what), until, code(&c.rule)));
        }
        if omitted > 0 {
            out.push_str(&format!("|{} | | | |\n", and_more(omitted)));
        }
        out.push('\n');
    }
    let lines = d.text.lines().count();
    let open = if lines <= 40 { " open" } else { "" };
    out.push_str(&format!(
        "<details{open}><summary>Policy diff ({lines} lines)</summary>\n\n{}\n</details>\n",
        code_block("diff", &d.text)
    ));
    out
}

/// The diff for a terminal: summary, access changes, then the unified diff.
pub fn human(d: &PolicyDiff) -> String {
    let mut out = String::new();
    for p in &d.problems {
        out.push_str(&format!("error {} {}:{}: {}\n", p.code, one_line(&p.file), p.line, one_line(&p.message)));
    }
    for f in &d.files {
        let until = f.expires.map_or("permanent".to_owned(), |t| format!("until {t}"));
        out.push_str(&format!("{} {} ({}, {until})\n", f.change, one_line(&f.path), f.status));
        for g in &f.grants {
            out.push_str(&format!("    {}\n", one_line(g)));
        }
    }
    if d.text.is_empty() {
        out.push_str("no change to the rendered policy\n");
        return out;
    }
    let o = &d.omitted;
    for (what, v, omitted) in [
        ("fragments added", &d.fragments_added, o.fragments_added),
        ("fragments removed or expired", &d.fragments_removed, o.fragments_removed),
    ] {
        if !v.is_empty() {
            let names: Vec<_> = v.iter().map(|f| one_line(f)).collect();
            out.push_str(&format!("{what}: {}{}\n", names.join(", "), and_more(omitted)));
        }
    }
    for (sign, changes, omitted) in [("+", &d.access_gained, o.access_gained), ("-", &d.access_lost, o.access_lost)] {
        for c in changes.iter() {
            let until = c.until.as_deref().map_or(String::new(), |u| format!(" [{}]", one_line(u)));
            out.push_str(&format!(
                "{sign} {} → {}{until}  ({})\n",
                one_line(&c.who),
                one_line(&c.what),
                one_line(&c.rule)
            ));
        }
        if omitted > 0 {
            out.push_str(&format!("{sign}{}\n", and_more(omitted)));
        }
    }
    out.push_str(&format!("rendered policy: +{} -{} lines\n\n{}", d.lines_added, d.lines_removed, multi_line(&d.text)));
    out
}
