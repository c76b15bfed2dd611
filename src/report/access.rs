//! The `access` listing as a table or Markdown.

use crate::check::human_duration;
use crate::evaluate::access::{Access, AccessEntry};

fn left(e: &AccessEntry) -> String {
    e.seconds_left.map_or("—".to_owned(), |s| human_duration(jiff::SignedDuration::from_secs(s)))
}

fn when(t: Option<jiff::Timestamp>, none: &str) -> String {
    t.map_or(none.to_owned(), |t| t.strftime("%Y-%m-%d %H:%M").to_string())
}

/// The cells of each entry, each on one line with deceptive characters made visible: they
/// come from grant files.
fn rows(entries: &[AccessEntry], pending: bool) -> Vec<[String; 7]> {
    use crate::model::text::one_line;
    entries
        .iter()
        .map(|e| {
            [
                one_line(e.requester.as_deref().unwrap_or("—")).into_owned(),
                one_line(&e.grants.join("; ")).into_owned(),
                one_line(&e.approvers.join(", ")).into_owned(),
                one_line(e.description.as_deref().unwrap_or("—")).into_owned(),
                when(e.since, "—"),
                match e.until {
                    Some(_) if e.enforced_by_control_plane => {
                        format!("enforced by the control plane until {}", when(e.until, "never"))
                    }
                    _ => when(e.until, "never"),
                },
                if pending { format!("starts in {}", left(e)) } else { left(e) },
            ]
        })
        .collect()
}

const HEADER: [&str; 7] = ["who", "what", "approved by", "why", "since (UTC)", "until (UTC)", "left"];

pub fn table(a: &Access) -> String {
    let mut out = String::new();
    for (title, entries, pending) in [("Active", &a.active, false), ("Pending", &a.pending, true)] {
        out.push_str(&format!("{title} ({}):\n", entries.len()));
        let rows = rows(entries, pending);
        if rows.is_empty() {
            out.push_str("  none\n\n");
            continue;
        }
        out.push_str(&super::columns(&HEADER, &rows));
        out.push('\n');
    }
    out
}

pub fn markdown(a: &Access) -> String {
    let mut out = String::new();
    for (title, entries, pending) in [("Active access", &a.active, false), ("Pending access", &a.pending, true)] {
        out.push_str(&format!("### {title} ({})\n\n", entries.len()));
        let rows = rows(entries, pending);
        if rows.is_empty() {
            out.push_str("None.\n\n");
            continue;
        }
        out.push_str(&format!("| {} |\n|{}\n", HEADER.join(" | "), " --- |".repeat(HEADER.len())));
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| super::markdown::text(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    out
}
