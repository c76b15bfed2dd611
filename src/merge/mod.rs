//! Merge and render: the policy active at an instant, as one HuJSON file.
//!
//! Merging edits the base file's syntax tree, so every comment of the base is kept and each
//! merged entry can carry a comment naming where it came from. The result is formatted exactly
//! as Tailscale formats HuJSON and starts with a header holding the SHA-256 of the rest, which
//! `apply` uses to tell whether the live policy was edited elsewhere.

mod gate;
mod header;
mod labels;

use std::collections::HashMap;

use jiff::Timestamp;

use crate::finding::{Code, Finding, Location};
use crate::load::{FragmentFile, Repository};
use crate::model::{Status, shape};
use crate::parse::{self, Bytes, Member, Node, Object, Value};

pub use header::{
    HEADER_HASH_PREFIX, HeaderState, applied_digest, recorded_posture, sha256_hex, verify_header, with_applied_digest,
};
pub(crate) use labels::fragment_labels;

/// A rendered policy.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The whole file: header and formatted body.
    pub text: String,
    /// Hex SHA-256 of the body (everything after the header).
    pub(crate) body_hash: String,
    /// Conflicts and references to undefined groups.
    pub(crate) findings: Vec<Finding>,
}

const LIST_SECTIONS: &[&str] = &["acls", "grants", "ssh", "nodeAttrs", "tests", "sshTests"];
const MAP_SECTIONS: &[&str] = &["hosts", "tagOwners", "ipsets", "postures"];

/// Renders the policy active at `at`, or `None` when the base policy did not load.
pub fn render(repo: &Repository, at: Timestamp) -> Option<Rendered> {
    let mut merged = merge(repo, at, Lists::Formatted)?;
    finish(repo, &mut merged);
    // Entries were formatted for where lists normally sit; a base laid out otherwise (rare)
    // has them copied and formatted in place instead.
    let fits = |i| parse::member_list_entry_depth(&merged.tree, i) == Some(ENTRY_DEPTH);
    if !merged.list_sections.iter().all(|&(_, i)| fits(i)) {
        merged = merge(repo, at, Lists::Copied)?;
        finish(repo, &mut merged);
    }
    let Merged { tree, findings, .. } = merged;
    let text = String::from_utf8(tree.pack()).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    drop_tree(tree);
    let (text, body_hash) = header::seal(text);
    Some(Rendered { text, body_hash, findings })
}

/// Adds the header to a merged tree and formats it.
fn finish(repo: &Repository, merged: &mut Merged) {
    let tree = &mut merged.tree;
    restore_comma_invariant(tree);
    let mut posture: Vec<(String, String)> = merged
        .active
        .iter()
        .flat_map(|&i| &repo.fragments[i].fragment.posture_attributes)
        .map(|a| (a.key.clone(), a.device.clone()))
        .collect();
    posture.sort();
    posture.dedup();
    let base = repo.base.as_ref().map_or("", |b| &b.file.rel);
    header::attach(tree, base, &posture);
    parse::format(tree);
}

/// Frees a merged tree, its long sections across cores.
fn drop_tree(mut tree: Value) {
    for m in tree.as_object_mut().map_or(&mut [][..], |o| &mut o.members[..]) {
        if let Some(list) = m.value.as_array_mut() {
            crate::parallel::par_drop(std::mem::take(&mut list.elements));
        }
    }
}

/// What merging at `at` finds (conflicting definitions, groups the base lacks) without
/// producing the policy: list entries are never in conflict, so they are not copied, and
/// nothing is formatted. `None` when the base policy did not load.
pub(crate) fn findings(repo: &Repository, at: Timestamp) -> Option<Vec<Finding>> {
    merge(repo, at, Lists::Skipped).map(|m| m.findings)
}

/// What becomes of the entries of fragments' list sections (`grants`, `tests`, ...).
#[derive(Clone, Copy, PartialEq)]
enum Lists {
    /// Left out: only the merge's findings are wanted.
    Skipped,
    /// Copied into the tree, labelled, to be formatted with it.
    Copied,
    /// Formatted for `ENTRY_DEPTH` on their own, across cores, and added as literals.
    Formatted,
}

/// How deep the entries of a top-level list sit when the top-level object is laid out one
/// member per line, as every policy is.
const ENTRY_DEPTH: usize = 2;

/// The merged tree, the merge's findings and the indices of the active fragments.
struct Merged {
    tree: Value,
    findings: Vec<Finding>,
    active: Vec<usize>,
    /// The top-level list sections fragments added entries to, with their member index.
    list_sections: Vec<(&'static str, usize)>,
}

fn merge(repo: &Repository, at: Timestamp, lists: Lists) -> Option<Merged> {
    let base = repo.base.as_ref()?;
    let active: Vec<usize> =
        (0..repo.fragments.len()).filter(|&i| repo.fragments[i].fragment.status(at) == Status::Active).collect();
    // Copying and labelling the fragments' entries is most of the merge, and independent per
    // fragment: done across cores (while the base is copied), then merged in path order.
    let gates = gate::Context::new(repo, &active);
    let (tree, prepared) = rayon::join(
        || base.tree.clone(),
        || {
            crate::parallel::par_chunks_ref(&active, |chunk| {
                chunk.iter().map(|&i| Prepared::of(&repo.fragments[i], lists, gates.as_ref())).collect::<Vec<_>>()
            })
        },
    );
    let mut merger = Merger {
        tree,
        base_file: &base.file,
        allow_new_groups: repo.config.allow_new_groups,
        origins: HashMap::new(),
        findings: Vec::new(),
        list_sections: Vec::new(),
    };
    for (&i, p) in active.iter().zip(prepared.into_iter().flatten()) {
        merger.merge(&repo.fragments[i], p);
    }
    let Merger { tree, findings, list_sections, .. } = merger;
    Some(Merged { tree, findings, active, list_sections })
}

/// The inverse of render for a rendered file: its header and every entry labelled as merged
/// from a fragment removed, leaving the base policy (with any edits made to it elsewhere).
/// `None` when the text does not parse.
pub fn unmerge(text: &str) -> Option<String> {
    fn merged(before: &[u8]) -> bool {
        before.windows(LABEL_PREFIX.len()).any(|w| w == LABEL_PREFIX.as_bytes())
    }
    fn strip(v: &mut Value) {
        match &mut v.node {
            Node::Literal(_) => {}
            Node::Object(o) => {
                o.members.retain(|m| !merged(&m.name.before));
                o.members.iter_mut().for_each(|m| strip(&mut m.value));
            }
            Node::Array(a) => {
                a.elements.retain(|e| !merged(&e.before));
                a.elements.iter_mut().for_each(strip);
            }
        }
    }
    let mut tree = parse::parse(text.as_bytes()).ok()?;
    header::detach(&mut tree);
    strip(&mut tree);
    restore_comma_invariant(&mut tree);
    parse::format(&mut tree);
    String::from_utf8(tree.pack()).ok()
}

/// How the comment naming a merged entry's fragment starts.
pub(crate) const LABEL_PREFIX: &str = "// tailgrant: ";

/// What a label says of an entry whose access the control plane ends (posture mode).
pub(crate) const GATE_MARK: &str = "enforced by the control plane";

struct Merger<'a> {
    tree: Value,
    base_file: &'a crate::parse::SourceFile,
    allow_new_groups: bool,
    /// Where a map entry added by a fragment came from, by (section, key), to name both
    /// places in a conflict.
    origins: HashMap<(String, String), Location>,
    findings: Vec<Finding>,
    /// Where each list section is among the tree's members, found once rather than per
    /// fragment (sections are only ever appended, so positions hold).
    list_sections: Vec<(&'static str, usize)>,
}

/// What a fragment contributes, found across cores before the merge proper (which runs in path
/// order): its label and its policy sections in file order, list entries copied and labelled.
struct Prepared<'f> {
    label: Label,
    sections: Vec<Section<'f>>,
}

enum Section<'f> {
    /// A list section's entries, ready to append (none when `Lists::Skipped`).
    List(&'static str, Vec<Value>),
    /// A map section, `groups` or `autoApprovers`, merged entry by entry.
    Other(&'static str, &'f Value),
    /// The postures posture mode generates for the fragment's gated rules.
    Generated(Value),
}

impl<'f> Prepared<'f> {
    fn of(f: &'f FragmentFile, lists: Lists, gates: Option<&gate::Context>) -> Prepared<'f> {
        // In posture mode a time-bounded fragment's entries are gated first (`gate`).
        let mut gate = gates.and_then(|c| c.gate(f));
        let label = label(f, gate.as_ref().map(|g| &g.gate));
        let members = f.doc.tree.as_object().map_or(&[][..], |o| &o.members[..]);
        let mut sections = Vec::new();
        for m in members {
            let Some((section, _)) = m.name.as_cow().and_then(|n| shape::FRAGMENT.field(&n)) else { continue };
            if LIST_SECTIONS.contains(&section) {
                let Some(items) = m.value.as_array() else { continue };
                let mut entries = Vec::new();
                for e in &items.elements {
                    let (e, note) = match gate.as_mut() {
                        Some(g) => {
                            let (v, note) = g.entry(section, e);
                            (std::borrow::Cow::Owned(v), note)
                        }
                        None => (std::borrow::Cow::Borrowed(e), None),
                    };
                    if lists == Lists::Skipped {
                        continue;
                    }
                    let noted;
                    let label = match note {
                        Some(n) => {
                            noted = Label([&label.0[..], &n].concat());
                            &noted
                        }
                        None => &label,
                    };
                    entries.push(match lists {
                        Lists::Formatted => {
                            let text = parse::format_nested(Value::new(e.node.clone()), ENTRY_DEPTH);
                            labelled(e.with_node(Node::Literal(Bytes::from_vec(text))), label)
                        }
                        _ => labelled(e.into_owned(), label),
                    });
                }
                sections.push(Section::List(section, entries));
            } else if MAP_SECTIONS.contains(&section) || matches!(section, "groups" | "autoApprovers") {
                // Fragment metadata and posture attributes are not policy.
                sections.push(Section::Other(section, &m.value));
            }
        }
        if let Some(postures) = gate.and_then(|g| g.postures()) {
            sections.push(Section::Generated(postures));
        }
        Prepared { label, sections }
    }
}

impl Merger<'_> {
    fn merge(&mut self, f: &FragmentFile, prepared: Prepared) {
        let Prepared { label, sections } = prepared;
        // Sections in file order: a section the base lacks is added in the order met.
        for section in sections {
            match section {
                Section::List(s, entries) => {
                    if let Some(list) = self.list_section(s).as_array_mut() {
                        list.elements.extend(entries);
                    }
                }
                Section::Other("groups", value) => self.merge_groups(value, f, &label),
                Section::Generated(postures) => {
                    if let Some(entries) = postures.as_object() {
                        self.merge_map(&["postures"], entries, f, &label);
                    }
                }
                Section::Other("autoApprovers", value) => {
                    let Some(aa) = value.as_object() else { continue };
                    for sub in &aa.members {
                        match sub.name.as_str().as_deref().and_then(|n| shape::AUTO_APPROVERS.field(n)) {
                            Some(("exitNode", _)) => {
                                self.add_members(&["autoApprovers", "exitNode"], &sub.value, &label);
                            }
                            Some((key, _)) => {
                                if let Some(entries) = sub.value.as_object() {
                                    self.merge_map(&["autoApprovers", key], entries, f, &label);
                                }
                            }
                            None => {}
                        }
                    }
                }
                Section::Other(s, value) => {
                    let Some(entries) = value.as_object() else { continue };
                    self.merge_map(&[s], entries, f, &label);
                }
            }
        }
    }

    /// The base's list section (found case-insensitively), created empty at the end if absent.
    fn list_section(&mut self, name: &'static str) -> &mut Value {
        let i = match self.list_sections.iter().find(|(n, _)| *n == name) {
            Some(&(_, i)) => i,
            None => {
                let i = member_index(&mut self.tree, name, Node::Array(Box::default()), true);
                self.list_sections.push((name, i));
                i
            }
        };
        let Node::Object(obj) = &mut self.tree.node else { unreachable!("member_index made the tree an object") };
        &mut obj.members[i].value
    }

    fn merge_map(&mut self, path: &[&str], entries: &Object, f: &FragmentFile, label: &Label) {
        let base_file = self.base_file;
        let mut target = &mut self.tree;
        for p in path {
            target = section_in(target, p, Node::Object(Box::default()));
        }
        let Some(map) = target.as_object_mut() else { return };
        for e in &entries.members {
            let Some(key) = e.name.as_str() else { continue };
            let here = Location::new(&f.doc.file, e.name.span());
            let origin_key = (path.join("."), key.clone());
            match map.get(&key) {
                Some(existing) if existing.value.to_json() == e.value.to_json() => {}
                Some(existing) => {
                    let there = self
                        .origins
                        .get(&origin_key)
                        .cloned()
                        .unwrap_or_else(|| Location::new(base_file, existing.name.span()));
                    self.findings.push(
                        Finding::new(
                            Code::ConflictingDefinition,
                            here,
                            format!("`{key}` in {} is already defined with another value", path.join(".")),
                            "use a new name here, or change the existing definition in its own reviewed change",
                        )
                        .related(there, "defined here"),
                    );
                }
                None => {
                    map.members.push(Member {
                        name: labelled(Value::string(&key), label),
                        value: strip_extra(e.value.clone()),
                    });
                    self.origins.insert(origin_key, here);
                }
            }
        }
    }

    fn merge_groups(&mut self, groups: &Value, f: &FragmentFile, label: &Label) {
        let Some(groups) = groups.as_object() else { return };
        for g in &groups.members {
            let Some(name) = g.name.as_str() else { continue };
            let defined = self.tree.as_object().and_then(|o| o.get_ci("groups")).and_then(|s| s.value.as_object());
            if defined.and_then(|d| d.get(&name)).is_none() && !self.allow_new_groups {
                self.findings.push(Finding::new(
                    Code::UnknownGroup,
                    Location::new(&f.doc.file, g.name.span()),
                    format!("{name} is not defined in the base policy; a fragment can only add members to it"),
                    "define the group in the base policy first, or set \"allowNewGroups\": true in tailgrant.hujson",
                ));
                continue;
            }
            self.add_members(&["groups", &name], &g.value, label);
        }
    }

    /// Appends the strings of `items` to the list at `path` (created if absent), skipping
    /// those already there.
    fn add_members(&mut self, path: &[&str], items: &Value, label: &Label) {
        let Some(items) = items.as_array() else { return };
        let mut target = &mut self.tree;
        for (i, p) in path.iter().enumerate() {
            let empty = if i + 1 == path.len() { Node::Array(Box::default()) } else { Node::Object(Box::default()) };
            target = if i == 0 { section_in(target, p, empty) } else { entry_in(target, p, empty) };
        }
        let Some(list) = target.as_array_mut() else { return };
        for item in &items.elements {
            let s = item.as_str();
            if s.is_some() && list.elements.iter().any(|e| e.as_str() == s) {
                continue;
            }
            list.elements.push(labelled(item.clone(), label));
        }
    }
}

/// The member `name` of an object value, matched case-insensitively (policy keys), created
/// with `empty` if absent.
fn section_in<'v>(v: &'v mut Value, name: &str, empty: Node) -> &'v mut Value {
    find_or_add(v, name, empty, true)
}

/// Like `section_in`, but user-chosen names (a group, a route) match exactly.
fn entry_in<'v>(v: &'v mut Value, name: &str, empty: Node) -> &'v mut Value {
    find_or_add(v, name, empty, false)
}

fn find_or_add<'v>(v: &'v mut Value, name: &str, empty: Node, ci: bool) -> &'v mut Value {
    let i = member_index(v, name, empty, ci);
    let Node::Object(obj) = &mut v.node else { unreachable!("member_index made it an object") };
    &mut obj.members[i].value
}

/// The position of member `name` in an object value (made an object if it is not one),
/// appended with value `empty` if absent.
fn member_index(v: &mut Value, name: &str, empty: Node, ci: bool) -> usize {
    if !matches!(v.node, Node::Object(_)) {
        v.node = Node::Object(Box::default());
    }
    let Node::Object(obj) = &mut v.node else { unreachable!("made an object above") };
    let found = obj
        .members
        .iter()
        .position(|m| m.name.as_cow().is_some_and(|n| if ci { n.eq_ignore_ascii_case(name) } else { n == name }));
    match found {
        Some(i) => i,
        None => {
            let mut key = Value::string(name);
            key.before = Bytes::from_slice(b"\n");
            obj.members.push(Member { name: key, value: Value::new(empty) });
            obj.members.len() - 1
        }
    }
}

/// The comment naming a fragment, as the lines put before each entry it contributes.
struct Label(Vec<u8>);

/// A fragment's entry with a comment naming its source above the entry's own comments.
fn labelled(mut v: Value, label: &Label) -> Value {
    let own = v.before.trim_ascii_start();
    let mut before = Vec::with_capacity(label.0.len() + own.len());
    before.extend_from_slice(&label.0);
    before.extend_from_slice(own);
    v.before = Bytes::from_vec(before);
    v
}

fn strip_extra(mut v: Value) -> Value {
    v.before.clear();
    v.after.clear();
    v
}

/// `// tailgrant: grants/x.hujson, expires 2026-11-23T17:00:00Z, approved by bob@example.com`
///
/// The path and the approvers come from the fragment, whose author may be hostile: they are
/// escaped so that nothing in them can end the comment (a newline would start a live rule)
/// or hide what the label says (bidi controls). `check` refuses such strings too; the escape
/// makes the rendered file safe even where no check ran (an old revision in a diff).
fn label(f: &FragmentFile, gate: Option<&crate::model::expiry::Gate>) -> Label {
    use crate::model::text::{escape_path, escape_reversibly};
    use std::fmt::Write;
    let mut s = format!("\n{LABEL_PREFIX}{}", escape_path(&f.doc.file.rel));
    match f.fragment.expires {
        Some(t) => write!(s, ", expires {t}").expect("writing to a String"),
        None => s.push_str(", permanent"),
    }
    if let Some(g) = gate {
        write!(s, ", {GATE_MARK} ({})", g.key()).expect("writing to a String");
    }
    for (i, a) in f.fragment.approvers.iter().enumerate() {
        s.push_str(if i == 0 { ", approved by " } else { ", " });
        s.push_str(&escape_reversibly(a));
    }
    s.push('\n');
    Label(s.into_bytes())
}

/// Appending to a list can leave a last value with extra after it but no trailing comma, a
/// state the parser never produces (it files such extra under the closing bracket). Put it
/// back where the parser would, so formatting behaves as it does on parsed text.
fn restore_comma_invariant(v: &mut Value) {
    let (last_after, after, trailing) = match &mut v.node {
        Node::Literal(_) => return,
        Node::Object(o) => {
            for m in &mut o.members {
                restore_comma_invariant(&mut m.value);
            }
            (o.members.last_mut().map(|m| &mut m.value.after), &mut o.after, o.trailing_comma)
        }
        Node::Array(a) => {
            a.elements.iter_mut().for_each(restore_comma_invariant);
            (a.elements.last_mut().map(|e| &mut e.after), &mut a.after, a.trailing_comma)
        }
    };
    if let Some(last_after) = last_after
        && !trailing
        && !last_after.is_empty()
    {
        let mut moved = std::mem::take(last_after);
        moved.append(after);
        *after = moved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What render gives when every entry is copied into the tree and formatted there.
    fn formatted_in_place(repo: &Repository, at: Timestamp) -> (String, Value) {
        let mut merged = merge(repo, at, Lists::Copied).unwrap();
        finish(repo, &mut merged);
        let (text, _) = header::seal(String::from_utf8(merged.tree.pack()).unwrap());
        (text, merged.tree)
    }

    #[test]
    fn entries_formatted_apart_match_formatting_in_place() {
        let fragment = r#"// a request
{
  "expires": "2026-12-01T00:00:00Z", "approvers": ["bob@example.com"],
  "grants": [
    // why
    {"src": ["alice@example.com"], "dst": ["tag:db"], "ip": ["tcp:5432"]},
    {"src": ["alice@example.com", "carol@example.com", "dave@example.com"], "dst": ["tag:a-rather-long-tag"], "ip": ["*"]},
    {
      "src": ["a\u0040example.com"], /* inline */ "dst": ["tag:db"],
      "ip": ["tcp:1", "tcp:2",],
    },
  ],
  "tests": [{"src": "alice@example.com", "accept": ["tag:db:5432"], "deny": []}],
}
"#;
        // Bases laid out as policies are, and as they rarely are: the latter take the path
        // that copies entries.
        let bases = [
            (
                "usual",
                "// base\n{\n\t\"grants\": [\n\t\t{\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [\"*\"]},\n\t],\n}\n",
                true,
            ),
            ("sections absent", "{\n  \"groups\": {},\n}\n", true),
            ("one line", "{\"grants\": [], \"tests\": []}\n", false),
            ("comment before the list", "{\n\"grants\": // note\n [],\n}\n", false),
        ];
        let at: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        for (name, base, usual) in bases {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("policy.hujson"), base).unwrap();
            std::fs::create_dir(dir.path().join("grants")).unwrap();
            std::fs::write(dir.path().join("grants/a.hujson"), fragment).unwrap();
            let repo = Repository::load(dir.path()).unwrap();
            assert!(repo.findings.is_empty(), "{name}: {:?}", repo.findings);
            let (expected, tree) = formatted_in_place(&repo, at);
            let sections = merge(&repo, at, Lists::Copied).unwrap().list_sections;
            assert_eq!(sections.len(), 2, "{name}");
            let at_usual_depth =
                sections.iter().all(|&(_, i)| parse::member_list_entry_depth(&tree, i) == Some(ENTRY_DEPTH));
            assert_eq!(at_usual_depth, usual, "{name}");
            assert_eq!(render(&repo, at).unwrap().text, expected, "{name}");
        }
    }
}
