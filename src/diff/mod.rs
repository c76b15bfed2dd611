//! Diff: what a change does to the policy. A unified diff of the rendered files (minimal: both
//! are in the canonical format), which fragments came and went, and who gains or loses access
//! to what, computed from both policies' rules.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::evaluate::Compiled;
use crate::evaluate::compile::{Protos, SshAction};
use crate::merge::HEADER_HASH_PREFIX;

#[derive(Debug, Serialize)]
pub struct PolicyDiff {
    /// Unified diff of the rendered policies (without the generated header).
    pub text: String,
    pub lines_added: usize,
    pub lines_removed: usize,
    pub fragments_added: Vec<String>,
    pub fragments_removed: Vec<String>,
    pub access_gained: Vec<AccessChange>,
    pub access_lost: Vec<AccessChange>,
}

/// One identity's access to one destination through one rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessChange {
    /// A user, a tag, or a selector that is not one identity (`*`, `autogroup:member`…).
    pub who: String,
    /// `tag:prod-db:5432`, `tag:web:80,443 (udp)`, `ssh tag:web as root (check)`.
    pub what: String,
    /// The fragment it comes from and its expiry; none for the base policy.
    pub until: Option<String>,
    /// `file:line` of the rule.
    pub rule: String,
}

/// One side of a diff: the rendered text and the compiled policy it stands for.
pub struct Side<'a> {
    pub rendered: &'a str,
    pub policy: &'a Compiled,
}

pub fn diff(old: &Side<'_>, new: &Side<'_>) -> PolicyDiff {
    let (old_body, new_body) = (body(old.rendered), body(new.rendered));
    let text_diff = similar::TextDiff::from_lines(old_body, new_body);
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
    }
}

/// A unified diff of two policy texts, tailgrant's header hash left out.
pub fn unified(old: &str, new: &str) -> String {
    unified_of(&similar::TextDiff::from_lines(body(old), body(new)))
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
            for who in identities(s) {
                out.insert(AccessChange {
                    who,
                    what: format!("{}:{ports}{proto}", r.dst),
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
            for who in identities(s) {
                for d in &r.dsts {
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

/// The diff as a pull-request comment: summary, access changes, and the text diff (collapsed
/// when long).
pub fn markdown(d: &PolicyDiff) -> String {
    let mut out = String::from("### tailgrant: what this change does to the tailnet policy\n\n");
    if d.text.is_empty() {
        out.push_str("No change to the rendered policy.\n");
        return out;
    }
    use crate::report::markdown::{code, code_block, text};
    let list = |v: &[String]| v.iter().map(|f| code(f)).collect::<Vec<_>>().join(", ");
    if !d.fragments_added.is_empty() {
        out.push_str(&format!("- Fragments added: {}\n", list(&d.fragments_added)));
    }
    if !d.fragments_removed.is_empty() {
        out.push_str(&format!("- Fragments removed or expired: {}\n", list(&d.fragments_removed)));
    }
    out.push_str(&format!("- Rendered policy: +{} −{} lines\n\n", d.lines_added, d.lines_removed));
    for (title, changes) in [("Access gained", &d.access_gained), ("Access lost", &d.access_lost)] {
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("#### {title}\n\n| who | what | until | rule |\n| --- | --- | --- | --- |\n"));
        for c in changes.iter() {
            let until = c.until.as_deref().map_or("permanent (base policy)".to_owned(), text);
            out.push_str(&format!("| {} | {} | {} | {} |\n", code(&c.who), code(&c.what), until, code(&c.rule)));
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
    if d.text.is_empty() {
        return "no change to the rendered policy\n".to_owned();
    }
    use crate::model::text::{multi_line, one_line};
    let mut out = String::new();
    for (what, v) in [("fragments added", &d.fragments_added), ("fragments removed or expired", &d.fragments_removed)] {
        if !v.is_empty() {
            let names: Vec<_> = v.iter().map(|f| one_line(f)).collect();
            out.push_str(&format!("{what}: {}\n", names.join(", ")));
        }
    }
    for (sign, changes) in [("+", &d.access_gained), ("-", &d.access_lost)] {
        for c in changes.iter() {
            let until = c.until.as_deref().map_or(String::new(), |u| format!(" [{}]", one_line(u)));
            out.push_str(&format!(
                "{sign} {} → {}{until}  ({})\n",
                one_line(&c.who),
                one_line(&c.what),
                one_line(&c.rule)
            ));
        }
    }
    out.push_str(&format!("rendered policy: +{} -{} lines\n\n{}", d.lines_added, d.lines_removed, multi_line(&d.text)));
    out
}
