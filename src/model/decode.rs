//! From a syntax tree to a typed model: the structural checks Tailscale's decoder makes
//! (known keys, matched case-insensitively; no duplicates), then serde on the standardised
//! text. Standardising keeps byte offsets, so serde's line and column are the source's.

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use super::shape::Shape;
use crate::finding::{Code, Finding, Location};
use crate::load::Document;
use crate::parse::{Node, Span, Value};

/// Checks `doc` against `shape` and decodes it. Findings go to `findings`; `None` when the
/// file cannot be decoded.
pub fn decode<T: DeserializeOwned>(doc: &Document, shape: Shape, findings: &mut Vec<Finding>) -> Option<T> {
    let mut walker = Walker { doc, renames: Vec::new(), findings };
    walker.walk(&doc.tree, shape);
    let renames = walker.renames;
    let mut bytes = doc.tree.standardize();
    for (span, canonical) in renames {
        let quoted = format!("\"{canonical}\"");
        if quoted.len() == span.len() {
            bytes[span].copy_from_slice(quoted.as_bytes());
        }
    }
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().clone();
            let e = e.into_inner();
            let msg = e.to_string();
            let msg = msg.rfind(" at line ").map_or(&msg[..], |i| &msg[..i]);
            // The walk has already reported unknown and duplicate keys, with better hints.
            if !msg.starts_with("unknown field") && !msg.starts_with("duplicate field") {
                // The path names the value precisely; serde_json's own position is only
                // reliable for syntax-level errors (it reports custom errors after the
                // enclosing object).
                let span = at_path(&doc.tree, &path).unwrap_or_else(|| {
                    let offset = offset_of(&bytes, e.line(), e.column());
                    innermost(&doc.tree, offset).unwrap_or(offset..offset)
                });
                findings.push(Finding::new(
                    Code::InvalidValue,
                    Location::new(&doc.file, span),
                    humanize(msg),
                    "fix the value's type or form; the JSON schemas in `schemas/` list what each field takes",
                ));
            }
            None
        }
    }
}

struct Walker<'a> {
    doc: &'a Document,
    renames: Vec<(Span, &'static str)>,
    findings: &'a mut Vec<Finding>,
}

impl Walker<'_> {
    fn walk(&mut self, v: &Value, shape: Shape) {
        match (&v.node, shape) {
            (Node::Object(o), Shape::Fields(fields)) => {
                let mut seen: HashMap<&str, &Value> = HashMap::new();
                for m in &o.members {
                    let name = m.name.as_str().unwrap_or_default();
                    let Some((canonical, sub)) = shape.field(&name) else {
                        self.unknown_key(&m.name, &name, shape, fields);
                        continue;
                    };
                    if let Some(first) = seen.insert(canonical, &m.name) {
                        self.duplicate(&m.name, first, &name);
                    }
                    if canonical != name {
                        self.renames.push((m.name.span.clone(), canonical));
                    }
                    self.walk(&m.value, sub);
                }
            }
            (Node::Object(o), other) => {
                let mut seen: HashMap<String, &Value> = HashMap::new();
                for m in &o.members {
                    let name = m.name.as_str().unwrap_or_default();
                    if let Some(first) = seen.insert(name.clone(), &m.name) {
                        self.duplicate(&m.name, first, &name);
                    }
                    match other {
                        Shape::Map(sub) => self.walk(&m.value, *sub),
                        _ => self.walk(&m.value, Shape::Any),
                    }
                }
            }
            (Node::Array(a), Shape::List(sub)) => a.elements.iter().for_each(|e| self.walk(e, *sub)),
            (Node::Array(a), _) => a.elements.iter().for_each(|e| self.walk(e, Shape::Any)),
            (Node::Literal(_), _) => {}
        }
    }

    fn unknown_key(&mut self, key: &Value, name: &str, shape: Shape, fields: &[(&str, Shape)]) {
        let help = match shape.suggest(name) {
            Some(s) => format!("did you mean \"{s}\"?"),
            None => {
                let known: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
                format!("known keys here: {}", known.join(", "))
            }
        };
        self.findings.push(Finding::new(
            Code::UnknownKey,
            Location::new(&self.doc.file, key.span.clone()),
            format!("unknown key \"{name}\""),
            help,
        ));
    }

    fn duplicate(&mut self, key: &Value, first: &Value, name: &str) {
        self.findings.push(
            Finding::new(
                Code::DuplicateKey,
                Location::new(&self.doc.file, key.span.clone()),
                format!("duplicate key \"{name}\": Tailscale would silently keep only this one"),
                "merge the two entries into one (keys match without regard to case)",
            )
            .related(Location::new(&self.doc.file, first.span.clone()), "first defined here"),
        );
    }
}

/// The span of the value a serde path leads to. Keys match case-insensitively, as the
/// decoder saw them after canonicalisation.
fn at_path(tree: &Value, path: &serde_path_to_error::Path) -> Option<Span> {
    use serde_path_to_error::Segment;
    let mut v = tree;
    for seg in path.iter() {
        v = match (seg, &v.node) {
            (Segment::Map { key }, Node::Object(o)) => &o.get_ci(key)?.value,
            (Segment::Seq { index }, Node::Array(a)) => a.elements.get(*index)?,
            (Segment::Unknown, _) => return None,
            _ => return None,
        };
    }
    Some(v.span.clone())
}

/// Byte offset of serde_json's 1-based line and (byte) column.
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(bytes.len())
}

/// The span of the deepest value around the byte before `offset` (serde_json reports the
/// position just after the value it rejected).
pub fn innermost(v: &Value, offset: usize) -> Option<Span> {
    let probe = offset.saturating_sub(1);
    if !(v.span.start <= probe && probe < v.span.end) {
        return None;
    }
    let children: Box<dyn Iterator<Item = &Value>> = match &v.node {
        Node::Object(o) => Box::new(o.members.iter().flat_map(|m| [&m.name, &m.value])),
        Node::Array(a) => Box::new(a.elements.iter()),
        Node::Literal(_) => Box::new(std::iter::empty()),
    };
    for c in children {
        if let Some(s) = innermost(c, offset) {
            return Some(s);
        }
    }
    Some(v.span.clone())
}

fn humanize(msg: &str) -> String {
    msg.replace("a sequence", "a list").replace("a map", "an object").replace("struct ", "")
}
