//! From a syntax tree to a typed model: the structural checks Tailscale's decoder makes
//! (known keys, matched case-insensitively; no duplicates), then serde straight from the tree,
//! so every type error points at the value it is about.

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use super::shape::Shape;
use crate::finding::{Code, Finding, Location};
use crate::parse::Document;
use crate::parse::{Node, Span, Value};

/// Checks `doc` against `shape` and decodes it. Findings go to `findings`; `None` when the
/// file cannot be decoded.
pub(crate) fn decode<T: DeserializeOwned>(doc: &Document, shape: Shape, findings: &mut Vec<Finding>) -> Option<T> {
    let mut walker = Walker { doc, renames: Vec::new(), findings };
    walker.walk(&doc.tree, shape);
    let renames: super::de::Renames = walker.renames.into_iter().map(|(span, c)| (span.start, c)).collect();
    match super::de::from_tree(&doc.tree, &renames) {
        Ok(v) => Some(v),
        Err(e) => {
            // The walk has already reported unknown and duplicate keys, with better hints.
            if !e.message.starts_with("unknown field") && !e.message.starts_with("duplicate field") {
                let span = e.span.unwrap_or(doc.tree.span());
                findings.push(Finding::new(
                    Code::InvalidValue,
                    Location::new(&doc.file, span),
                    humanize(&e.message),
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
                // Objects are small: a list beats a hash map here.
                let mut seen: Vec<(&str, &Value)> = Vec::with_capacity(o.members.len());
                for m in &o.members {
                    let name = m.name.as_cow().unwrap_or_default();
                    let Some((canonical, sub)) = shape.field(&name) else {
                        self.unknown_key(&m.name, &name, shape, fields);
                        continue;
                    };
                    if let Some((_, first)) = seen.iter().find(|(c, _)| *c == canonical) {
                        self.duplicate(&m.name, first, &name);
                    }
                    seen.push((canonical, &m.name));
                    if canonical != name {
                        self.renames.push((m.name.span(), canonical));
                    }
                    self.walk(&m.value, sub);
                }
            }
            (Node::Object(o), other) => {
                let mut seen: HashMap<std::borrow::Cow<'_, str>, &Value> = HashMap::with_capacity(o.members.len());
                for m in &o.members {
                    let name = m.name.as_cow().unwrap_or_default();
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
            Location::new(&self.doc.file, key.span()),
            format!("unknown key \"{name}\""),
            help,
        ));
    }

    fn duplicate(&mut self, key: &Value, first: &Value, name: &str) {
        self.findings.push(
            Finding::new(
                Code::DuplicateKey,
                Location::new(&self.doc.file, key.span()),
                format!("duplicate key \"{name}\": Tailscale would silently keep only this one"),
                "merge the two entries into one (keys match without regard to case)",
            )
            .related(Location::new(&self.doc.file, first.span()), "first defined here"),
        );
    }
}

fn humanize(msg: &str) -> String {
    msg.replace("a sequence", "a list").replace("a map", "an object").replace("struct ", "")
}
