//! Posture mode in the rendered policy: each time-bounded fragment's rules gated on its
//! attribute, its tests given the attribute, and the postures that read it.
//!
//! A rule's own `srcPosture` replaces `defaultSrcPosture` instead of adding to it (device
//! posture docs), so a gated rule lists one generated posture per alternative it had, each
//! holding that alternative's conditions and the gate's ([`Gate::fold`]); the label says so.

use std::collections::HashMap;

use crate::load::view::field;
use crate::load::{FragmentFile, Repository};
use crate::model::expiry::{EnforceExpiry, Gate};
use crate::model::posture::conditions;
use crate::model::rule::{sels, src_posture};
use crate::model::text::escape_reversibly;
use crate::parse::{Array, Member, Node, Object, Value};

/// What gating needs to know of the policy in force: the baseline postures.
pub(super) struct Context {
    default_src_posture: Vec<String>,
    postures: HashMap<String, Vec<String>>,
}

impl Context {
    /// `None` outside posture mode. `active` are the fragments merged.
    pub(super) fn new(repo: &Repository, active: &[usize]) -> Option<Context> {
        if repo.config.enforce_expiry != EnforceExpiry::Posture {
            return None;
        }
        let mut ctx = Context { default_src_posture: Vec::new(), postures: HashMap::new() };
        let trees = repo.base.iter().map(|b| &b.tree).chain(active.iter().map(|&i| &repo.fragments[i].doc.tree));
        for tree in trees {
            if let Some(d) = field(tree, "defaultSrcPosture") {
                ctx.default_src_posture.extend(sels(d).into_iter().map(|s| s.text.into_owned()));
            }
            for p in field(tree, "postures").and_then(|p| p.as_object()).map_or(&[][..], |o| &o.members[..]) {
                let Some(name) = p.name.as_str() else { continue };
                let conditions = conditions(&p.value).into_iter().map(|c| c.text.into_owned()).collect();
                ctx.postures.entry(name).or_insert(conditions);
            }
        }
        Some(ctx)
    }

    /// The fragment's gate, when it has one.
    pub(super) fn gate(&self, f: &FragmentFile) -> Option<FragmentGate<'_>> {
        let gate = Gate::of(EnforceExpiry::Posture, &f.doc.file.rel, &f.fragment)?;
        Some(FragmentGate { ctx: self, gate, generated: Vec::new() })
    }
}

/// One fragment's gate while its entries are prepared: the postures its rules use so far.
pub(super) struct FragmentGate<'c> {
    ctx: &'c Context,
    pub(super) gate: Gate,
    generated: Vec<(String, Vec<String>)>,
}

impl FragmentGate<'_> {
    /// The entry of list section `section` as posture mode renders it, and for a rule the
    /// label line that says how it is gated.
    pub(super) fn entry(&mut self, section: &str, e: &Value) -> (Value, Option<Vec<u8>>) {
        match section {
            "acls" | "grants" | "ssh" => {
                let own = src_posture(e).map(|p| p.into_iter().map(|s| s.text.into_owned()));
                let (alternatives, whose) = match own {
                    Some(own) => (own.collect::<Vec<_>>(), "its own srcPosture"),
                    None => (self.ctx.default_src_posture.clone(), "defaultSrcPosture"),
                };
                let folded = self.gate.fold(&alternatives, |p| self.ctx.postures.get(p).cloned());
                let names: Vec<String> = folded.iter().map(|(n, _)| n.clone()).collect();
                for (name, conditions) in folded {
                    // An undefined alternative (check refuses it) gets no posture: nothing matches.
                    if let Some(c) = conditions
                        && !self.generated.iter().any(|(n, _)| *n == name)
                    {
                        self.generated.push((name, c));
                    }
                }
                let list = Value::new(Node::Array(Box::new(Array {
                    elements: names.iter().map(|n| Value::string(n)).collect(),
                    ..Array::default()
                })));
                let mut note =
                    format!("// tailgrant-gate: srcPosture {} requires {}", names.join(", "), self.gate.condition());
                if !alternatives.is_empty() {
                    let shown: Vec<String> = alternatives.iter().map(|a| escape_reversibly(a).into_owned()).collect();
                    note.push_str(&format!(", each with the conditions of {whose} ({}) folded in", shown.join(", ")));
                }
                note.push('\n');
                (with_member(e, "srcPosture", list), Some(note.into_bytes()))
            }
            "tests" | "sshTests" => (with_attribute(e, &self.gate.key()), None),
            _ => (e.clone(), None),
        }
    }

    /// The postures the fragment's rules use, as a `postures` object to merge.
    pub(super) fn postures(&self) -> Option<Value> {
        if self.generated.is_empty() {
            return None;
        }
        let members = self
            .generated
            .iter()
            .map(|(name, conditions)| Member {
                name: Value::string(name),
                value: Value::new(Node::Array(Box::new(Array {
                    elements: conditions.iter().map(|c| Value::string(c)).collect(),
                    ..Array::default()
                }))),
            })
            .collect();
        Some(Value::new(Node::Object(Box::new(Object { members, ..Object::default() }))))
    }
}

/// `e` with its member `key` (matched without regard to case) set to `value`, added at the end
/// if absent. The old value's comments are kept.
fn with_member(e: &Value, key: &str, mut value: Value) -> Value {
    let mut e = e.clone();
    let Some(o) = e.as_object_mut() else { return e };
    match o.get_ci_mut(key) {
        Some(m) => {
            value.before = std::mem::take(&mut m.value.before);
            value.after = std::mem::take(&mut m.value.after);
            m.value = value;
        }
        None => o.members.push(Member { name: Value::string(key), value }),
    }
    super::restore_comma_invariant(&mut e);
    e
}

/// A test with `key: true` in its `srcPostureAttrs` (created if absent): the device the test
/// stands for is one of the fragment's, which apply gives the attribute while it is active.
fn with_attribute(e: &Value, key: &str) -> Value {
    let truth = Value::new(Node::Literal(crate::parse::Bytes::from_slice(b"true")));
    let attrs = match field(e, "srcPostureAttrs") {
        Some(existing) if existing.as_object().is_some() => {
            let mut a = existing.clone();
            if let Some(o) = a.as_object_mut() {
                match o.get_ci_mut(key) {
                    Some(m) => {
                        let mut value = truth;
                        value.before = std::mem::take(&mut m.value.before);
                        value.after = std::mem::take(&mut m.value.after);
                        m.value = value;
                    }
                    None => o.members.push(Member { name: Value::string(key), value: truth }),
                }
            }
            super::restore_comma_invariant(&mut a);
            a
        }
        _ => Value::new(Node::Object(Box::new(Object {
            members: vec![Member { name: Value::string(key), value: truth }],
            ..Object::default()
        }))),
    };
    with_member(e, "srcPostureAttrs", attrs)
}
