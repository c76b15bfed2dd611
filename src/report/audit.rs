//! The audit report as a table, Markdown, CSV and JSON (the HTML page is in `html`).
//!
//! Every format is *sealed*: its last line holds the SHA-256 of every byte before that line,
//! so a report can be attached to an audit as it is and checked later with
//! `head -n -1 REPORT | sha256sum`. Strings from grant files and commits are hostile input:
//! each is escaped for the format (control, bidi and invisible characters made visible in all
//! of them; Markdown punctuation, CSV quoting and spreadsheet formulas, HTML).

use sha2::{Digest, Sha256};

use crate::audit::{Audit, ChangeKind, CommitRef, FilterMatch, GrantLife, RemovalStatus, RemovedHow};
use crate::check::human_duration;
use crate::model::text::one_line;

/// The SHA-256 of `bytes`, in lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `body` followed by its seal: one last line, made by `line` from the hash of `body`.
/// Secrets are redacted first (as everything printed is), so the seal covers what is shown.
pub(crate) fn seal(body: String, line: impl Fn(&str) -> String) -> String {
    let mut body = crate::redact::redact(&body);
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let hash = sha256_hex(body.as_bytes());
    body.push_str(&line(&hash));
    body.push('\n');
    body
}

/// Checks a sealed report: the hash on its last line against every byte before it. `None`
/// when the last line holds no hash.
pub fn verify(report: &[u8]) -> Option<bool> {
    let trimmed = report.strip_suffix(b"\n")?;
    let start = trimmed.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let last = String::from_utf8_lossy(&trimmed[start..]);
    let hash = last.split(|c: char| !c.is_ascii_hexdigit()).find(|t| t.len() == 64)?.to_ascii_lowercase();
    Some(sha256_hex(&report[..start]) == hash)
}

/// The audit with every string that came from a file or a commit escaped for one line.
fn escaped(a: &Audit) -> Audit {
    let e = |s: &String| one_line(s).into_owned();
    let eo = |s: &Option<String>| s.as_ref().map(e);
    let commit = |c: &CommitRef| CommitRef {
        sha: e(&c.sha),
        date: c.date,
        author: e(&c.author),
        author_email: e(&c.author_email),
        pull_request: eo(&c.pull_request),
        subject: e(&c.subject),
    };
    let mut out = a.clone();
    out.dir = e(&a.dir);
    out.filter.dst = eo(&a.filter.dst);
    out.filter.src = eo(&a.filter.src);
    for g in &mut out.grants {
        g.path = e(&g.path);
        g.former_paths = g.former_paths.iter().map(e).collect();
        g.requester = eo(&g.requester);
        g.approvers = g.approvers.iter().map(e).collect();
        g.description = eo(&g.description);
        g.destinations = g.destinations.iter().map(e).collect();
        g.added = commit(&g.added);
        for c in &mut g.changes {
            c.commit = commit(&c.commit);
            c.from = eo(&c.from);
        }
        if let Some(r) = &mut g.removed {
            r.commit = commit(&r.commit);
            r.to = eo(&r.to);
        }
        for p in &mut g.problems {
            p.path = e(&p.path);
            p.message = e(&p.message);
        }
    }
    out
}

/// The JSON form (`schemas/audit.schema.json`), sealed: the last member, `sha256`, is on the
/// last line with the closing brace.
pub fn json(a: &Audit) -> String {
    let pretty = serde_json::to_string_pretty(&escaped(a)).unwrap_or_else(|_| "{}".to_owned());
    let open = pretty.strip_suffix('}').unwrap_or(&pretty).trim_end();
    seal(format!("{open},\n"), |h| format!("  \"sha256\": \"{h}\"}}"))
}

fn day(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// `2026-10-02 14:00 abc1234 Carol #12`
fn commit_cell(c: &CommitRef) -> String {
    let pr = c.pull_request.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
    format!("{} {} {}{pr}", day(c.date), short(&c.sha), c.author)
}

pub(crate) fn window(g: &GrantLife) -> String {
    let from = g.not_before.map_or("…".to_owned(), day);
    let to = g.expires.map_or("permanent".to_owned(), day);
    format!("{from} → {to}")
}

/// `removed 2d 4h after expiry`, `present`, …
pub(crate) fn removal_text(g: &GrantLife) -> String {
    let d = |s: Option<i64>| human_duration(jiff::SignedDuration::from_secs(s.unwrap_or(0)));
    let how = match g.removed.as_ref().map(|r| r.how) {
        Some(RemovedHow::RenamedAway) => " (renamed away)",
        Some(RemovedHow::NoLongerMatched) => " (config no longer matches it)",
        _ => "",
    };
    let s = g.removal.seconds;
    match g.removal.status {
        RemovalStatus::Present => "present".to_owned(),
        RemovalStatus::PresentExpired => format!("present, expired {} ago", d(s)),
        RemovalStatus::BeforeExpiry => format!("removed {} before expiry{how}", d(s)),
        RemovalStatus::AfterExpiry => format!("removed {} after expiry{how}", d(s)),
        RemovalStatus::Permanent => format!("removed (permanent){how}"),
        RemovalStatus::Unknown => format!("removed (expiry unknown){how}"),
    }
}

/// One line saying what was read: directory, commits, period, filter.
pub(crate) fn scope(a: &Audit) -> String {
    let first = a.revisions.first.as_deref().map_or("none".to_owned(), |s| short(s).to_owned());
    let since = a.period.since.map_or("the first commit".to_owned(), |t| t.to_string());
    let mut filter = String::new();
    if let Some(d) = &a.filter.dst {
        filter.push_str(&format!(", opening {d}"));
    }
    if let Some(s) = &a.filter.src {
        filter.push_str(&format!(", giving {s} access"));
    }
    if let Some(t) = &a.filter.tailnet {
        filter.push_str(&format!(", in tailnet {t}"));
    }
    format!(
        "Audit of {}: commits {first}..{} ({} touching it), from {since} to {}{filter}",
        a.dir,
        short(&a.revisions.head),
        a.revisions.commits,
        a.period.until
    )
}

pub(crate) fn summary_text(a: &Audit) -> String {
    let s = &a.summary;
    format!(
        "{} grant {}: {} present, {} present past expiry, {} removed before expiry, {} removed after expiry, {} permanent or unknown removed; versions that did not parse: {}",
        s.grants,
        if s.grants == 1 { "file" } else { "files" },
        s.present,
        s.present_expired,
        s.removed_before_expiry,
        s.removed_after_expiry,
        s.removed_permanent,
        s.unparsable_versions
    )
}

const HEADER: [&str; 10] =
    ["file", "requester", "opens", "approved by", "why", "window (UTC)", "added", "changes", "removed", "removal"];

fn rows(a: &Audit) -> Vec<[String; 10]> {
    a.grants
        .iter()
        .map(|g| {
            let inconclusive = if g.filter_match == Some(FilterMatch::Inconclusive) { " (inconclusive)" } else { "" };
            [
                format!("{}{inconclusive}", g.path),
                g.requester.clone().unwrap_or("—".into()),
                if g.destinations.is_empty() { "—".into() } else { g.destinations.join(", ") },
                if g.approvers.is_empty() { "—".into() } else { g.approvers.join(", ") },
                g.description.clone().unwrap_or("—".into()),
                window(g),
                commit_cell(&g.added),
                g.changes.len().to_string(),
                g.removed.as_ref().map_or("—".into(), |r| commit_cell(&r.commit)),
                removal_text(g),
            ]
        })
        .collect()
}

fn problems(a: &Audit) -> Vec<String> {
    a.grants
        .iter()
        .flat_map(|g| g.problems.iter().map(|p| format!("{} at {}: {}", p.path, short(&p.sha), p.message)))
        .collect()
}

pub fn table(a: &Audit) -> String {
    let a = &escaped(a);
    let mut out = format!("{}\n\n", scope(a));
    let rows = rows(a);
    if rows.is_empty() {
        out.push_str("  no grant files\n");
    } else {
        out.push_str(&super::columns(&HEADER, &rows));
    }
    out.push_str(&format!("\n{}\n", summary_text(a)));
    let problems = problems(a);
    if !problems.is_empty() {
        out.push_str("versions that do not parse:\n");
        for p in problems {
            out.push_str(&format!("  {p}\n"));
        }
    }
    seal(out, |h| format!("sha256: {h}"))
}

pub fn markdown(a: &Audit) -> String {
    use super::markdown::{code, text};
    let a = &escaped(a);
    let mut out = format!("## Access audit\n\n{}\n\n", text(&scope(a)));
    let rows = rows(a);
    if rows.is_empty() {
        out.push_str("No grant files.\n\n");
    } else {
        out.push_str(&format!("| {} |\n|{}\n", HEADER.join(" | "), " --- |".repeat(HEADER.len())));
        for r in rows {
            let cells: Vec<String> =
                r.iter().enumerate().map(|(i, c)| if i == 0 { code(c) } else { text(c) }).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    out.push_str(&format!("{}\n\n", text(&summary_text(a))));
    if !a.grants.is_empty() {
        out.push_str("### History\n\n| file | event | date (UTC) | commit | author | pull request |\n| --- | --- | --- | --- | --- | --- |\n");
        for g in &a.grants {
            for (event, c) in events(g) {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    code(&g.path),
                    text(&event),
                    day(c.date),
                    code(short(&c.sha)),
                    text(&format!("{} <{}>", c.author, c.author_email)),
                    text(c.pull_request.as_deref().unwrap_or("—")),
                ));
            }
        }
        out.push('\n');
    }
    let problems = problems(a);
    if !problems.is_empty() {
        out.push_str("### Versions that do not parse\n\n");
        for p in problems {
            out.push_str(&format!("- {}\n", text(&p)));
        }
        out.push('\n');
    }
    seal(out, |h| format!("SHA-256 of this report above this line: `{h}`"))
}

/// Each commit in a life, with what it did.
pub(crate) fn events(g: &GrantLife) -> Vec<(String, &CommitRef)> {
    let mut out = vec![("added".to_owned(), &g.added)];
    for c in &g.changes {
        let what = match (&c.kind, &c.from) {
            (ChangeKind::Renamed, Some(from)) => format!("renamed from {from}"),
            _ => "changed".to_owned(),
        };
        out.push((what, &c.commit));
    }
    if let Some(r) = &g.removed {
        let what = match (r.how, &r.to) {
            (RemovedHow::RenamedAway, Some(to)) => format!("renamed away to {to}"),
            (RemovedHow::NoLongerMatched, _) => "no longer matched by the config".to_owned(),
            _ => "removed".to_owned(),
        };
        out.push((what, &r.commit));
    }
    out
}

const CSV_HEADER: [&str; 22] = [
    "path",
    "former_paths",
    "requester",
    "destinations",
    "approvers",
    "description",
    "not_before",
    "expires",
    "added_sha",
    "added_date",
    "added_author",
    "added_pull_request",
    "changes",
    "removed_sha",
    "removed_date",
    "removed_author",
    "removed_pull_request",
    "removed_how",
    "removal",
    "removal_seconds",
    "problems",
    "filter_match",
];

/// One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break; and a
/// leading `'` when a spreadsheet would take it for a formula (`=`, `+`, `-`, `@`, tab, CR).
pub(crate) fn csv_cell(s: &str) -> String {
    let s = one_line(s);
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.into_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

pub fn csv(a: &Audit) -> String {
    let a = &escaped(a);
    let mut out = String::new();
    let mut row = |cells: Vec<String>| {
        out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    };
    row(CSV_HEADER.iter().map(|h| h.to_string()).collect());
    let t = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    for g in &a.grants {
        let changes: Vec<String> = g
            .changes
            .iter()
            .map(|c| {
                let kind = if c.kind == ChangeKind::Renamed { "renamed" } else { "modified" };
                let pr = c.commit.pull_request.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
                format!("{} {} {} {kind}{pr}", c.commit.date, c.commit.sha, c.commit.author)
            })
            .collect();
        let removed = g.removed.as_ref();
        let how = removed.map(|r| match r.how {
            RemovedHow::Deleted => "deleted",
            RemovedHow::RenamedAway => "renamedAway",
            RemovedHow::NoLongerMatched => "noLongerMatched",
        });
        let status = serde_json::to_value(g.removal.status).ok().and_then(|v| v.as_str().map(str::to_owned));
        row(vec![
            g.path.clone(),
            g.former_paths.join("; "),
            g.requester.clone().unwrap_or_default(),
            g.destinations.join("; "),
            g.approvers.join("; "),
            g.description.clone().unwrap_or_default(),
            t(g.not_before),
            t(g.expires),
            g.added.sha.clone(),
            g.added.date.to_string(),
            format!("{} <{}>", g.added.author, g.added.author_email),
            g.added.pull_request.clone().unwrap_or_default(),
            changes.join("; "),
            removed.map(|r| r.commit.sha.clone()).unwrap_or_default(),
            removed.map(|r| r.commit.date.to_string()).unwrap_or_default(),
            removed.map(|r| format!("{} <{}>", r.commit.author, r.commit.author_email)).unwrap_or_default(),
            removed.and_then(|r| r.commit.pull_request.clone()).unwrap_or_default(),
            how.unwrap_or_default().to_owned(),
            status.unwrap_or_default(),
            g.removal.seconds.map(|s| s.to_string()).unwrap_or_default(),
            g.problems.iter().map(|p| format!("{}: {}", short(&p.sha), p.message)).collect::<Vec<_>>().join("; "),
            g.filter_match
                .map(|m| if m == FilterMatch::Matched { "matched" } else { "inconclusive" })
                .unwrap_or("")
                .into(),
        ]);
    }
    // Comment lines after the rows: what was read, then the seal.
    out.push_str(&format!("# {}\r\n", one_line(&scope(a))));
    seal(out, |h| format!("# sha256: {h}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for f in ["+1", "-1", "@SUM(A1)", "=1+2"] {
            assert!(csv_cell(f).trim_start_matches('"').starts_with('\''), "{f}");
        }
        assert_eq!(csv_cell("two\nlines"), "two\\u{000A}lines");
    }

    #[test]
    fn seals_verify_and_tampering_shows() {
        let sealed = seal("line one\nline two\n".to_owned(), |h| format!("sha256: {h}"));
        assert_eq!(verify(sealed.as_bytes()), Some(true));
        let tampered = sealed.replacen("one", "0ne", 1);
        assert_eq!(verify(tampered.as_bytes()), Some(false));
        assert_eq!(verify(b"no seal here\n"), None);
        let json = seal("{\n  \"a\": 1,\n".to_owned(), |h| format!("  \"sha256\": \"{h}\"}}"));
        assert_eq!(verify(json.as_bytes()), Some(true));
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
    }
}
