//! A fragment's device posture attributes: what the API accepts (its documented key and value
//! rules), checked offline so that `apply` never fails half-way on one.

use crate::finding::{Code, Finding, Location};
use crate::load::FragmentFile;

pub(super) fn check(f: &FragmentFile, findings: &mut Vec<Finding>) {
    let Some(list) =
        f.doc.tree.as_object().and_then(|o| o.get_ci("postureAttributes")).and_then(|m| m.value.as_array())
    else {
        return;
    };
    for (entry, attr) in list.elements.iter().zip(&f.fragment.posture_attributes) {
        let at = |field: &str| {
            let span = entry.as_object().and_then(|o| o.get(field)).map_or(entry.span(), |m| m.value.span());
            Location::new(&f.doc.file, span)
        };
        let mut report = |field: &str, message: String, help: &str| {
            findings.push(Finding::new(Code::InvalidPostureAttribute, at(field), message, help));
        };
        if let Some(problem) = key_problem(&attr.key) {
            report(
                "key",
                format!("posture attribute key `{}` {problem}", attr.key),
                "write it as custom:NAME, e.g. custom:prodAccess",
            );
        }
        if let Some(problem) = value_problem(&attr.value) {
            report(
                "value",
                format!("posture attribute value {} {problem}", attr.value),
                "use true, an integer, or a short word like approved_2026",
            );
        }
        if attr.device.trim().is_empty() {
            report(
                "device",
                "the posture attribute names no device".into(),
                "name the device by its name, hostname or node ID",
            );
        } else if attr.device.chars().any(crate::model::text::breaks_line) {
            report(
                "device",
                format!("device name {:?} holds control or invisible characters no device name has", attr.device),
                "name the device by its name, hostname or node ID",
            );
        }
    }
}

/// Attributes that `apply` could not set: two fragments in force at the same time setting one
/// key on one device to different values, or (with a devices file) a device the tailnet does
/// not have. `apply` refuses both before writing anything; found here, they cannot pass review
/// and then stop every later apply.
pub(super) fn across(repo: &crate::load::Repository, at: jiff::Timestamp, findings: &mut Vec<Finding>) {
    use std::collections::HashMap;
    type Setting<'a> = (&'a FragmentFile, &'a crate::model::PostureAttribute, crate::parse::Span);
    let mut by_slot: HashMap<(String, String), Vec<Setting<'_>>> = HashMap::new();
    for f in repo.fragments.iter().filter(|f| f.fragment.status(at) != crate::model::Status::Expired) {
        let Some(list) =
            f.doc.tree.as_object().and_then(|o| o.get_ci("postureAttributes")).and_then(|m| m.value.as_array())
        else {
            continue;
        };
        for (entry, attr) in list.elements.iter().zip(&f.fragment.posture_attributes) {
            if let Some(inv) = &repo.inventory
                && inv.find(&attr.device) == crate::model::devices::Found::Nothing
                && !attr.device.trim().is_empty()
            {
                findings.push(Finding::new(
                    Code::InvalidPostureAttribute,
                    Location::new(&f.doc.file, entry.span()),
                    format!(
                        "device {:?} is not in the devices file, so apply cannot set {} on it",
                        attr.device, attr.key
                    ),
                    "name the device by its name, hostname or node ID, or refresh the devices file",
                ));
            }
            let slot = (attr.device.trim().to_ascii_lowercase(), attr.key.trim().to_ascii_lowercase());
            by_slot.entry(slot).or_default().push((f, attr, entry.span()));
        }
    }
    let overlap = |a: &FragmentFile, b: &FragmentFile| a.fragment.overlaps(&b.fragment);
    for settings in by_slot.values() {
        for (i, (fa, a, span_a)) in settings.iter().enumerate() {
            if let Some((fb, _, span_b)) = settings[..i].iter().find(|(fb, b, _)| b.value != a.value && overlap(fa, fb))
            {
                findings.push(
                    Finding::new(
                        Code::InvalidPostureAttribute,
                        Location::new(&fa.doc.file, span_a.clone()),
                        format!(
                            "{} on {:?} is set to {} here and to another value by {} while both are in force; apply cannot do both",
                            a.key, a.device, a.value, fb.doc.file.rel
                        ),
                        "use one value, or windows that do not overlap",
                    )
                    .related(Location::new(&fb.doc.file, span_b.clone()), "set differently here"),
                );
            }
        }
    }
}

fn key_problem(key: &str) -> Option<&'static str> {
    let Some(name) = key.strip_prefix("custom:") else {
        return Some("is not in the custom: namespace, the only one the API lets clients set");
    };
    if name.is_empty() {
        Some("has no name after custom:")
    } else if name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("tg_")) {
        // tailgrant's own keys for posture-enforced expiry: a fragment setting one by hand
        // could keep someone else's grant alive (keys are unique without regard to case).
        Some("is reserved: custom:tg_* keys are tailgrant's own")
    } else if key.len() > 128 {
        Some("is longer than 128 characters")
    } else if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') {
        Some("may hold only letters, digits, underscores and colons")
    } else {
        None
    }
}

fn value_problem(value: &serde_json::Value) -> Option<&'static str> {
    use serde_json::Value as J;
    match value {
        J::Bool(_) => None,
        J::Number(n) => match n.as_i64() {
            Some(i) if i.unsigned_abs() < 1 << 53 => None,
            _ => Some("is not an integer below 2^53"),
        },
        J::String(s) if s.len() > 50 => Some("is longer than 50 characters"),
        J::String(s) if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') => {
            Some("may hold only letters, digits, underscores and periods")
        }
        J::String(_) => None,
        _ => Some("must be a boolean, an integer or a string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_values_as_the_api_takes_them() {
        assert_eq!(key_problem("custom:prodAccess"), None);
        assert_eq!(key_problem("custom:a:b_1"), None);
        assert!(key_problem("prodAccess").is_some());
        assert!(key_problem("node:os").is_some());
        assert!(key_problem("custom:").is_some());
        assert!(key_problem("custom:a-b").is_some());
        assert!(key_problem("custom:tg_abc").is_some());
        assert!(key_problem("custom:TG_abc").is_some());
        assert_eq!(key_problem("custom:tgx"), None);
        assert!(key_problem(&format!("custom:{}", "a".repeat(122))).is_some());
        for ok in [json!(true), json!(80), json!("approved_2026.v1")] {
            assert_eq!(value_problem(&ok), None, "{ok}");
        }
        for bad in
            [json!("until friday"), json!(1.5), json!(1u64 << 53), json!(null), json!(["x"]), json!("x".repeat(51))]
        {
            assert!(value_problem(&bad).is_some(), "{bad}");
        }
    }
}
