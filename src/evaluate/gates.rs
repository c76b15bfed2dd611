//! Posture mode in the evaluator: it knows the postures render generates, so a time-bounded
//! fragment's rules need its gate attribute (`custom:tg_<id>`), and its own tests have it,
//! as the rendered file's tests carry it for the control plane's validation (`merge::gate`).

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use crate::load::FragmentFile;
use crate::load::view::{Entry, View};
use crate::model::expiry::{EnforceExpiry, Gate};
use crate::model::rule::{Rule, Section};

/// Whether a fragment's rules are gated.
pub(crate) fn gated(mode: EnforceExpiry, f: &FragmentFile) -> bool {
    gate(mode, Some(f)).is_some()
}

fn gate(mode: EnforceExpiry, f: Option<&FragmentFile>) -> Option<Gate> {
    f.and_then(|f| Gate::of(mode, &f.doc.file.rel, &f.fragment))
}

/// Adds the postures generated for every gated rule of `view` to `postures` (each
/// alternative of a rule's requirement, `required`, with the gate's condition), and returns
/// the gates' attribute keys.
pub(crate) fn register(
    view: &View<'_>,
    required: &dyn Fn(&Rule<'_>) -> Vec<String>,
    postures: &mut HashMap<String, Vec<String>>,
) -> Vec<String> {
    let mut keys = Vec::new();
    let rules = [Section::Acls, Section::Grants, Section::Ssh].into_iter().flat_map(|s| view.rules(s));
    for (e, r) in rules {
        let Some(g) = gate(view.enforce_expiry, e.origin.fragment) else { continue };
        let folded = g.fold(&required(r), |p| postures.get(p).cloned());
        for (name, conditions) in folded {
            if let Some(c) = conditions {
                postures.entry(name).or_insert(c);
            }
        }
        if !keys.contains(&g.key()) {
            keys.push(g.key());
        }
    }
    keys
}

/// The postures a rule needs: `required` itself, or for a gated rule the postures folding the
/// gate into each alternative of it.
pub(crate) fn postures(
    view: &View<'_>,
    e: &Entry<'_>,
    required: Vec<String>,
    defined: &HashMap<String, Vec<String>>,
) -> Vec<String> {
    match gate(view.enforce_expiry, e.origin.fragment) {
        Some(g) => g.fold(&required, |p| defined.get(p).cloned()).into_iter().map(|(n, _)| n).collect(),
        None => required,
    }
}

/// A test's `srcPostureAttrs`, with its fragment's gate attribute when the fragment is gated:
/// the device a fragment's own test stands for is one of its sources, which apply marks.
pub(crate) fn test_attrs(
    mode: EnforceExpiry,
    e: &Entry<'_>,
    attrs: Option<Map<String, Json>>,
) -> Option<Map<String, Json>> {
    let Some(g) = gate(mode, e.origin.fragment) else { return attrs };
    let mut attrs = attrs.unwrap_or_default();
    attrs.insert(g.key(), Json::Bool(true));
    Some(attrs)
}
