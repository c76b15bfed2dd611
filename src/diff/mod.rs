//! Diff: what a change does to the policy. A unified diff of the rendered files (minimal: both
//! are in the canonical format), which fragments came and went, and who gains or loses access
//! to what, computed from both policies' rules.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::evaluate::Compiled;
use crate::evaluate::compile::SshAction;
use crate::merge::HEADER_HASH_PREFIX;
use crate::model::selector::Protos;

#[derive(Debug, Serialize)]
pub struct PolicyDiff {
    /// Unified diff of the rendered policies (without the generated header).
    pub(crate) text: String,
    pub(crate) lines_added: usize,
    pub(crate) lines_removed: usize,
    pub(crate) fragments_added: Vec<String>,
    pub(crate) fragments_removed: Vec<String>,
    pub(crate) access_gained: Vec<AccessChange>,
    pub access_lost: Vec<AccessChange>,
    /// The fragment files the change adds, changes or removes, whatever they do at the instant
    /// rendered: pending ones, ones that only set posture attributes, ones that do not load.
    /// Empty when the other side is not a repository (a policy file, the live policy).
    pub files: Vec<FileChange>,
    /// Errors `check` finds on the new side: a change that breaks a file must say so.
    pub problems: Vec<Problem>,
    /// How many entries of each list [`PolicyDiff::cap`] left out (JSON is never capped).
    #[serde(skip)]
    pub(crate) omitted: Omitted,
}

/// Entries left out of a capped diff, per list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Omitted {
    pub(crate) fragments_added: usize,
    pub(crate) fragments_removed: usize,
    pub(crate) access_gained: usize,
    pub(crate) access_lost: usize,
}

/// How many entries of each list a capped diff shows.
pub(crate) const SHOWN_ENTRIES: usize = 200;

impl PolicyDiff {
    /// Makes the diff fit to print when a side came from the server (`diff --live`), which
    /// can be as large as the API's answer and hold any character: the text diff is capped
    /// ([`capped`]), each list cut after [`SHOWN_ENTRIES`], and control characters escaped.
    pub fn cap(&mut self) {
        use crate::redact::{escape_controls, escape_controls_multiline};
        fn cut<T>(v: &mut Vec<T>) -> usize {
            let over = v.len().saturating_sub(SHOWN_ENTRIES);
            v.truncate(SHOWN_ENTRIES);
            over
        }
        self.text = capped(&escape_controls_multiline(&self.text), SHOWN_DIFF_LINES, SHOWN_DIFF_BYTES);
        self.omitted = Omitted {
            fragments_added: cut(&mut self.fragments_added),
            fragments_removed: cut(&mut self.fragments_removed),
            access_gained: cut(&mut self.access_gained),
            access_lost: cut(&mut self.access_lost),
        };
        for f in self.fragments_added.iter_mut().chain(self.fragments_removed.iter_mut()) {
            *f = escape_controls(f);
        }
        for a in self.access_gained.iter_mut().chain(self.access_lost.iter_mut()) {
            a.who = escape_controls(&a.who);
            a.what = escape_controls(&a.what);
            a.rule = escape_controls(&a.rule);
            a.until = a.until.as_deref().map(escape_controls);
        }
    }
}

/// A fragment file the change adds, changes or removes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    /// `added`, `changed` or `removed`.
    pub(crate) change: &'static str,
    /// `active`, `pending` or `expired` at the instant rendered (of the new side; of the old for
    /// a removed file); `unreadable` when it does not load.
    pub(crate) status: &'static str,
    pub(crate) not_before: Option<jiff::Timestamp>,
    pub(crate) expires: Option<jiff::Timestamp>,
    pub(crate) requester: Option<String>,
    pub(crate) approvers: Vec<String>,
    /// What it grants, one line each (`evaluate::access::summary`).
    pub(crate) grants: Vec<String>,
}

/// An error `check` reports on the new side.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub file: String,
    pub line: usize,
    pub(crate) message: String,
}

/// The fragment files that differ between two repositories (by path and content).
pub fn files(old: &crate::load::Repository, new: &crate::load::Repository, at: jiff::Timestamp) -> Vec<FileChange> {
    use crate::load::FragmentFile;
    use std::collections::BTreeMap;
    let status = |f: &FragmentFile| match f.fragment.status(at) {
        crate::model::Status::Active => "active",
        crate::model::Status::Pending => "pending",
        crate::model::Status::Expired => "expired",
    };
    let describe = |f: &FragmentFile, change| FileChange {
        path: f.doc.file.rel.clone(),
        change,
        status: status(f),
        not_before: f.fragment.not_before,
        expires: f.fragment.expires,
        requester: f.fragment.requester.clone(),
        approvers: f.fragment.approvers.clone(),
        grants: crate::evaluate::access::summary(f),
    };
    let by_path = |r: &crate::load::Repository| -> BTreeMap<String, Option<String>> {
        let mut m: BTreeMap<String, Option<String>> =
            r.fragments.iter().map(|f| (f.doc.file.rel.clone(), Some(f.doc.file.text.clone()))).collect();
        // Files that did not load are changes too (`unreadable`), never left out.
        for f in &r.rejected {
            if r.base.as_ref().is_none_or(|b| b.file.rel != f.rel) {
                m.entry(f.rel.clone()).or_insert(None);
            }
        }
        m
    };
    let (before, after) = (by_path(old), by_path(new));
    let loaded = |r: &'_ crate::load::Repository, p: &str| -> Option<FragmentFile> {
        r.fragments.iter().find(|f| f.doc.file.rel == p).cloned()
    };
    let unreadable = |path: &str, change| FileChange {
        path: path.to_owned(),
        change,
        status: "unreadable",
        not_before: None,
        expires: None,
        requester: None,
        approvers: Vec::new(),
        grants: Vec::new(),
    };
    let mut out = Vec::new();
    for (path, text) in &after {
        let change = match before.get(path) {
            None => "added",
            Some(old_text) if old_text != text || text.is_none() => "changed",
            Some(_) => continue,
        };
        out.push(loaded(new, path).map_or_else(|| unreadable(path, change), |f| describe(&f, change)));
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        out.push(loaded(old, path).map_or_else(|| unreadable(path, "removed"), |f| describe(&f, "removed")));
    }
    out
}

/// The errors of a check report, for the diff.
pub fn problems(report: &crate::pipeline::Report) -> Vec<Problem> {
    report
        .findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| Problem {
            code: f.code.as_str(),
            file: f.location.file.clone(),
            line: f.location.line,
            message: f.message.clone(),
        })
        .collect()
}

/// One identity's access to one destination through one rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessChange {
    /// A user, a tag, or a selector that is not one identity (`*`, `autogroup:member`…).
    pub(crate) who: String,
    /// `tag:prod-db:5432`, `tag:web:80,443 (udp)`, `ssh tag:web as root (check)`.
    pub(crate) what: String,
    /// The fragment it comes from and its expiry; none for the base policy.
    pub(crate) until: Option<String>,
    /// `file:line` of the rule.
    pub rule: String,
}

/// One side of a diff: the rendered text and the compiled policy it stands for.
pub struct Side<'a> {
    pub rendered: &'a str,
    pub policy: &'a Compiled,
}

/// How long a line diff may search for the smallest diff before it settles for a larger one:
/// two policies that have nothing in common (a live policy of megabytes against the rendered
/// one) would otherwise take quadratic time.
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn line_diff<'a>(old: &'a str, new: &'a str) -> similar::TextDiff<'a, 'a, str> {
    similar::TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(old, new)
}

pub fn diff(old: &Side<'_>, new: &Side<'_>) -> PolicyDiff {
    let (old_body, new_body) = (body(old.rendered), body(new.rendered));
    let text_diff = line_diff(old_body, new_body);
    let mut lines_added = 0;
    let mut lines_removed = 0;
    for change in text_diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => lines_added += 1,
            similar::ChangeTag::Delete => lines_removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let text = unified_of(&text_diff);
    let (old_frags, new_frags) = (fragments(old.rendered), fragments(new.rendered));
    let (old_access, new_access) = (access(old.policy), access(new.policy));
    let key = |a: &AccessChange| (a.who.clone(), a.what.clone());
    let old_keys: BTreeSet<_> = old_access.iter().map(key).collect();
    let new_keys: BTreeSet<_> = new_access.iter().map(key).collect();
    PolicyDiff {
        text,
        lines_added,
        lines_removed,
        fragments_added: new_frags.difference(&old_frags).cloned().collect(),
        fragments_removed: old_frags.difference(&new_frags).cloned().collect(),
        access_gained: new_access.into_iter().filter(|a| !old_keys.contains(&key(a))).collect(),
        access_lost: old_access.into_iter().filter(|a| !new_keys.contains(&key(a))).collect(),
        files: Vec::new(),
        problems: Vec::new(),
        omitted: Omitted::default(),
    }
}

/// A unified diff of two policy texts, tailgrant's header hash left out.
pub(crate) fn unified(old: &str, new: &str) -> String {
    unified_of(&line_diff(body(old), body(new)))
}

/// How much of a diff is printed when one side came from the server (drift, `diff --live`).
pub(crate) const SHOWN_DIFF_LINES: usize = 400;
pub(crate) const SHOWN_DIFF_BYTES: usize = 64 * 1024;

/// `text` cut after `max_lines` lines or `max_bytes` bytes, whichever comes first, with a last
/// line saying how much was left out.
pub(crate) fn capped(text: &str, max_lines: usize, max_bytes: usize) -> String {
    let mut end = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n == max_lines || end + line.len() > max_bytes {
            break;
        }
        end += line.len();
    }
    if end == text.len() {
        return text.to_owned();
    }
    if end == 0 {
        // One line longer than the cap: cut it at a character boundary.
        end = (0..=max_bytes.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    }
    let (shown, rest) = text.split_at(end);
    let mut out = shown.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    let lines = rest.lines().count();
    let noun = if lines == 1 { "line" } else { "lines" };
    out.push_str(&format!("… the diff goes on for {lines} more {noun} ({} bytes), not shown\n", rest.len()));
    out
}

fn unified_of<'a>(d: &similar::TextDiff<'a, 'a, str>) -> String {
    d.unified_diff().context_radius(3).header("before", "after").to_string()
}

/// The rendered text without tailgrant's header, whose hash line changes with every change.
fn body(text: &str) -> &str {
    // A rendered file used as a base carries its own header too: skip past the last one.
    let (mut offset, mut end) = (0, 0);
    for line in text.split_inclusive('\n') {
        if !line.starts_with("//") {
            break;
        }
        offset += line.len();
        if line.starts_with(HEADER_HASH_PREFIX) {
            end = offset;
        }
    }
    &text[end..]
}

/// Fragments named by the labels of merged entries (paths are escaped there, and hold no
/// comma: see `load::path_problem`).
fn fragments(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("// tailgrant: "))
        .filter_map(|l| l.split(',').next())
        .map(|p| crate::model::text::unescape(p).into_owned())
        .collect()
}

/// Every (identity, destination) pair the policy's rules open, groups expanded to members.
fn access(policy: &Compiled) -> Vec<AccessChange> {
    let mut out = BTreeSet::new();
    let identities = |src: &str| -> Vec<String> {
        match policy.groups.get(src) {
            Some(members) => members.iter().cloned().collect(),
            None => vec![src.to_owned()],
        }
    };
    for r in &policy.rules {
        let ports = match r.ports.as_slice() {
            [(0, 65535)] => "*".to_owned(),
            ps => ps
                .iter()
                .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") })
                .collect::<Vec<_>>()
                .join(","),
        };
        let proto = match r.protos {
            Protos::Default => String::new(),
            Protos::All => " (all protocols)".to_owned(),
            Protos::One(n) => format!(" ({})", proto_name(n)),
        };
        let source = &policy.sources[r.source];
        for s in &r.srcs {
            for who in identities(&s.text) {
                out.insert(AccessChange {
                    who,
                    what: format!("{}:{ports}{proto}", r.dst_written()),
                    until: source.fragment.clone(),
                    rule: format!("{}:{}", source.location.file, source.location.line),
                });
            }
        }
    }
    for r in &policy.ssh {
        let source = &policy.sources[r.source];
        let action = if r.action == SshAction::Check { " (check)" } else { "" };
        for s in &r.srcs {
            for who in identities(&s.text) {
                for d in r.dsts.iter().map(|d| &d.text) {
                    out.insert(AccessChange {
                        who: who.clone(),
                        what: format!("ssh {d} as {}{action}", r.users.join(", ")),
                        until: source.fragment.clone(),
                        rule: format!("{}:{}", source.location.file, source.location.line),
                    });
                }
            }
        }
    }
    out.into_iter().collect()
}

fn proto_name(n: u8) -> String {
    crate::model::selector::PROTOCOLS
        .iter()
        .find(|(_, p)| *p == n)
        .map_or(n.to_string(), |(name, _)| (*name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_diffs_are_capped_with_a_note() {
        let text: String = (0..10).map(|i| format!("+line {i}\n")).collect();
        assert_eq!(capped(&text, 10, 1000), text);
        assert_eq!(
            capped(&text, 2, 1000),
            "+line 0\n+line 1\n… the diff goes on for 8 more lines (64 bytes), not shown\n"
        );
        assert_eq!(
            capped(&text, 100, 20),
            "+line 0\n+line 1\n… the diff goes on for 8 more lines (64 bytes), not shown\n"
        );
        // A single line longer than the cap is cut at a character boundary.
        let wide = format!("+{}\n", "é".repeat(10));
        assert_eq!(capped(&wide, 10, 4), "+é\n… the diff goes on for 1 more line (19 bytes), not shown\n");
    }

    #[test]
    fn a_huge_unrelated_policy_diffs_in_bounded_time() {
        let live: String = (0..200_000).map(|i| format!("\t\"line {i}\",\n")).collect();
        let rendered: String = (0..300).map(|i| format!("\t\"other {i}\",\n")).collect();
        let started = std::time::Instant::now();
        let d = unified(&live, &rendered);
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
        assert!(d.contains("+\t\"other 299\","));
    }
}
