//! What the policy gives devices beyond access, read once from the tree: node attributes
//! (funnel, app connectors, IP pools) and auto-approvers (routes, exit nodes and services
//! approved without review). The selectors naming who gets them are trimmed and classified
//! here, so that the checks and the guardrails read one list.

use std::borrow::Cow;

use super::rule::{Sel, field, sels, strings};
use crate::model::shape;
use crate::parse::{Object, Value};

/// A `nodeAttrs` entry.
#[derive(Debug, Clone)]
pub(crate) struct NodeAttr<'a> {
    /// Its `target` list as written: the guardrails point at the list.
    pub(crate) target_list: Option<&'a Value>,
    /// The list's selectors; a `target` that is not a list holds none (TG004 refuses it).
    pub(crate) targets: Vec<Sel<'a>>,
    /// Its `ipPool` entries, as written.
    pub(crate) ip_pool: Vec<(Cow<'a, str>, &'a Value)>,
    /// Its `app` capabilities, when they are an object.
    pub(crate) app: Option<&'a Object>,
}

impl<'a> NodeAttr<'a> {
    pub(crate) fn of(entry: &'a Value) -> NodeAttr<'a> {
        let target_list = field(entry, "target");
        NodeAttr {
            target_list,
            targets: target_list.map(sels).unwrap_or_default(),
            ip_pool: field(entry, "ipPool").map(strings).unwrap_or_default(),
            app: field(entry, "app").and_then(Value::as_object),
        }
    }
}

/// What a list of auto-approvers approves: the key of `autoApprovers` it is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Approves {
    Routes,
    ExitNode,
    Services,
    /// A key Tailscale does not know (TG003 refuses it). Its approvers still count for the
    /// guardrails: what such a key would approve is not known, so it is not assumed harmless.
    Unknown,
}

/// One list of approvers in `autoApprovers`: `exitNode`'s, or one entry's of the `routes` or
/// `services` map.
#[derive(Debug, Clone)]
pub(crate) struct Approvers<'a> {
    pub(crate) approves: Approves,
    /// Whether its key is the first spelling of that key in the object (`routes` before a
    /// later `Routes`): the one the checks judge. TG002 refuses the others, and the guardrails
    /// count them all. A key the schema does not know is always its own first spelling (TG003
    /// refuses it).
    pub(crate) first_spelling: bool,
    /// For an entry of a map: its key (the route, the service). `None` for a list written
    /// directly under the key, as `exitNode`'s is.
    pub(crate) entry: Option<&'a Value>,
    /// The list as written.
    pub(crate) list: &'a Value,
    /// The list's selectors; anything but a list of strings holds none.
    pub(crate) approvers: Vec<Sel<'a>>,
}

/// Every list of approvers an `autoApprovers` object writes, in order: under each key, the
/// values of a map, or else the value itself. Anything but an object holds none.
pub(crate) fn auto_approvers(value: &Value) -> Vec<Approvers<'_>> {
    let Some(object) = value.as_object() else { return Vec::new() };
    let mut out = Vec::new();
    for (i, sub) in object.members.iter().enumerate() {
        let known = sub.name.as_cow().and_then(|n| shape::AUTO_APPROVERS.field(&n)).map(|(key, _)| key);
        let approves = match known {
            Some("routes") => Approves::Routes,
            Some("exitNode") => Approves::ExitNode,
            Some("services") => Approves::Services,
            _ => Approves::Unknown,
        };
        let first_spelling =
            known.is_none_or(|key| object.members.iter().position(|m| m.name.key_eq_ci(key)) == Some(i));
        let lists: Vec<(Option<&Value>, &Value)> = match sub.value.as_object() {
            Some(map) => map.members.iter().map(|m| (Some(&m.name), &m.value)).collect(),
            None => vec![(None, &sub.value)],
        };
        for (entry, list) in lists {
            out.push(Approvers { approves, first_spelling, entry, list, approvers: sels(list) });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        crate::parse::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_node_attr_reads_its_targets_pool_and_app() {
        let v = parse(r#"{"Target": [" group:eng", 5, "tag:x"], "ipPool": ["100.80.0.0/16", 1], "app": {"a": []}}"#);
        let na = NodeAttr::of(&v);
        let targets: Vec<_> = na.targets.iter().map(|t| (&*t.text, t.kind)).collect();
        assert_eq!(targets, [("group:eng", super::super::rule::Kind::Group), ("tag:x", super::super::rule::Kind::Tag)]);
        assert_eq!(na.target_list.map(|l| l.span()), Some(v.as_object().unwrap().members[0].value.span()));
        assert_eq!(na.ip_pool.iter().map(|(p, _)| &**p).collect::<Vec<_>>(), ["100.80.0.0/16"]);
        assert!(na.app.is_some());
        let bare = parse(r#"{"target": "group:eng", "app": "x"}"#);
        let bare = NodeAttr::of(&bare);
        assert!(bare.targets.is_empty() && bare.target_list.is_some() && bare.app.is_none());
    }

    #[test]
    fn auto_approvers_are_every_list_under_every_key_with_the_first_spelling_marked() {
        let v = parse(
            r#"{"routes": {"10.0.0.0/8": ["group:a", " tag:r "], "x": "group:b"}, "exitNode": ["group:c"],
                "ROUTES": {"10.1.0.0/16": ["group:d"]}, "services": {"svc:s": ["group:e"]}, "other": ["group:f"]}"#,
        );
        let read: Vec<_> = auto_approvers(&v)
            .into_iter()
            .map(|a| {
                let entry = a.entry.and_then(|e| e.as_str());
                (
                    a.approves,
                    a.first_spelling,
                    entry,
                    a.approvers.iter().map(|s| s.text.to_string()).collect::<Vec<_>>(),
                )
            })
            .collect();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            read,
            [
                (Approves::Routes, true, Some("10.0.0.0/8".to_owned()), s(&["group:a", "tag:r"])),
                (Approves::Routes, true, Some("x".to_owned()), s(&[])),
                (Approves::ExitNode, true, None, s(&["group:c"])),
                (Approves::Routes, false, Some("10.1.0.0/16".to_owned()), s(&["group:d"])),
                (Approves::Services, true, Some("svc:s".to_owned()), s(&["group:e"])),
                (Approves::Unknown, true, None, s(&["group:f"])),
            ]
        );
        assert!(auto_approvers(&parse(r#"["group:a"]"#)).is_empty());
    }
}
