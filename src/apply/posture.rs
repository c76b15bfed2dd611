//! Device posture attributes: what the active fragments want set, what tailgrant set before
//! (recorded in the live policy's header), and the changes that take one to the other.
//! Attributes that tailgrant did not set are never touched.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::client::{Attributes, Device};
use crate::load::Repository;

/// An attribute an active fragment wants on a device.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wanted {
    /// The device as the fragment names it.
    pub(crate) device: String,
    pub(crate) key: String,
    pub(crate) value: Value,
    /// The fragment's expiry; `None` for a permanent fragment.
    pub(crate) expiry: Option<Timestamp>,
    /// The fragment's path in the repository.
    pub(crate) fragment: String,
    /// The comment sent with the change (audit log): the fragment that asks for it.
    pub(crate) comment: String,
    /// Approvers who may not own the device: the fragment's, when a guardrail forbids
    /// self-approval. `check` decides this only with a devices file; here the devices are known.
    pub(crate) approvers: Vec<String>,
}

/// One change to make.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub(crate) enum Change {
    Set { device: String, node_id: String, key: String, value: Value, expiry: Option<Timestamp>, comment: String },
    Remove { device: String, node_id: String, key: String },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Set { device, key, value, expiry: Some(e), .. } => {
                write!(f, "set {key}={value} on {device} until {e}")
            }
            Change::Set { device, key, value, expiry: None, .. } => {
                write!(f, "set {key}={value} on {device} (permanent)")
            }
            Change::Remove { device, key, .. } => write!(f, "remove {key} from {device}"),
        }
    }
}

/// Why the posture changes cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{fragment} sets {key} on device {device:?}, which is not in the tailnet (match by name, hostname, node ID or ID)"
    )]
    UnknownDevice { fragment: String, device: String, key: String },
    #[error(
        "{fragment} sets {key} on device {device:?}, which matches several devices: {matches}; name one by its node ID"
    )]
    Ambiguous { fragment: String, device: String, key: String, matches: String },
    #[error("{key} on {device:?} is set to different values by {first} and {second}")]
    Contradiction { device: String, key: String, first: String, second: String },
    #[error(
        "{fragment} sets {key} on device {device:?}, which belongs to {approver}, who approved it: nobody approves access to their own device; ask another owner to approve"
    )]
    ApproverOwnsDevice { fragment: String, device: String, key: String, approver: String },
    #[error(
        "{fragment} grants {granted}, and {user} is shared in from another tailnet (the tailnet's users list says so): posture does not apply to their devices, so the control plane could not end this access on time; grant tailnet members only, or use \"enforceExpiry\": \"schedule\""
    )]
    SharedInSource { fragment: String, granted: String, user: String },
}

/// What the fragments active at `at` want set.
pub(crate) fn wanted(repo: &Repository, at: Timestamp) -> Vec<Wanted> {
    let guardrails = crate::check::guardrail_matchers(&repo.config);
    let mut out = Vec::new();
    for f in repo.fragments.iter().filter(|f| f.fragment.status(at) == crate::model::Status::Active) {
        let forbids_self = guardrails.iter().any(|(m, g)| g.forbid_self_approval && m.is_match(&f.doc.file.rel));
        for a in &f.fragment.posture_attributes {
            let mut comment = format!("tailgrant: {}", f.doc.file.rel);
            if let Some(r) = &f.fragment.requester {
                comment.push_str(&format!(", requested by {r}"));
            }
            if !f.fragment.approvers.is_empty() {
                comment.push_str(&format!(", approved by {}", f.fragment.approvers.join(", ")));
            }
            // The API takes at most 200 characters; they reach its audit log and console.
            let comment: String = crate::model::text::one_line(&comment).chars().take(200).collect();
            out.push(Wanted {
                device: a.device.clone(),
                key: a.key.clone(),
                value: a.value.clone(),
                expiry: f.fragment.expires,
                fragment: f.doc.file.rel.clone(),
                comment,
                approvers: if forbids_self { f.fragment.approvers.clone() } else { Vec::new() },
            });
        }
    }
    out
}

/// The device a fragment's name refers to: node ID, legacy ID, hostname, MagicDNS name or its
/// first label, in that order of preference; names match case-insensitively. A name that
/// matches several devices is an error listing them ("name (node ID), ...").
pub(crate) fn resolve<'d>(devices: &'d [Device], name: &str) -> Result<Option<&'d Device>, String> {
    if let Some(d) = devices.iter().find(|d| d.node_id == name || (!d.id.is_empty() && d.id == name)) {
        return Ok(Some(d));
    }
    let first_label = |d: &Device| d.name.split('.').next().unwrap_or("").to_owned();
    let matches: Vec<&Device> = devices
        .iter()
        .filter(|d| {
            d.hostname.eq_ignore_ascii_case(name)
                || d.name.trim_end_matches('.').eq_ignore_ascii_case(name.trim_end_matches('.'))
                || first_label(d).eq_ignore_ascii_case(name)
        })
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(many.iter().map(|d| format!("{} ({})", d.name, d.node_id)).collect::<Vec<_>>().join(", ")),
    }
}

/// The changes that make the devices carry exactly `wanted`, removing what tailgrant set
/// before (`recorded`, as `(key, device)`) and nobody wants any more. `current` holds the
/// attributes of every device involved, by node ID.
pub(crate) fn plan(
    wanted: &[Wanted],
    recorded: &[(String, String)],
    devices: &[Device],
    current: &BTreeMap<String, Attributes>,
) -> Result<(Vec<Change>, Vec<String>), PlanError> {
    let mut warnings = Vec::new();
    // (node, key) → the wanted attribute; later expiry wins for equal values.
    let mut want: BTreeMap<(String, String), (&Device, Wanted)> = BTreeMap::new();
    for w in wanted {
        let resolved = resolve(devices, &w.device).map_err(|matches| PlanError::Ambiguous {
            fragment: w.fragment.clone(),
            device: w.device.clone(),
            key: w.key.clone(),
            matches,
        })?;
        let Some(d) = resolved else {
            return Err(PlanError::UnknownDevice {
                fragment: w.fragment.clone(),
                device: w.device.clone(),
                key: w.key.clone(),
            });
        };
        // A tagged device has no owner's identity; an untagged one is its user's.
        if d.tags.is_empty()
            && let Some(a) = w.approvers.iter().find(|a| a.trim().eq_ignore_ascii_case(d.user.trim()))
        {
            return Err(PlanError::ApproverOwnsDevice {
                fragment: w.fragment.clone(),
                device: w.device.clone(),
                key: w.key.clone(),
                approver: a.clone(),
            });
        }
        let slot = (d.node_id.clone(), w.key.clone());
        match want.get_mut(&slot) {
            Some((_, prev)) if prev.value != w.value => {
                return Err(PlanError::Contradiction {
                    device: w.device.clone(),
                    key: w.key.clone(),
                    first: prev.fragment.clone(),
                    second: w.fragment.clone(),
                });
            }
            Some((_, prev)) => {
                // The longer-lived grant decides when the attribute lapses.
                prev.expiry = match (prev.expiry, w.expiry) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            None => {
                want.insert(slot, (d, w.clone()));
            }
        }
    }
    let mut changes = Vec::new();
    for ((node, key), (_, w)) in &want {
        let have = current.get(node);
        let same_value = have.and_then(|a| a.values.get(key)) == Some(&w.value);
        let same_expiry = have.and_then(|a| a.expiries.get(key)).copied() == w.expiry;
        if !(same_value && same_expiry) {
            changes.push(Change::Set {
                device: w.device.clone(),
                node_id: node.clone(),
                key: key.clone(),
                value: w.value.clone(),
                expiry: w.expiry,
                comment: w.comment.clone(),
            });
        }
    }
    let mut seen = BTreeSet::new();
    for (key, device) in recorded {
        let d = match resolve(devices, device) {
            Ok(Some(d)) => d,
            Ok(None) => {
                warnings
                    .push(format!("{key} was set on {device:?}, which is no longer in the tailnet; nothing to remove"));
                continue;
            }
            Err(matches) => {
                warnings.push(format!(
                    "{key} was set on {device:?}, which now matches several devices ({matches}); left in place"
                ));
                continue;
            }
        };
        let slot = (d.node_id.clone(), key.clone());
        if want.contains_key(&slot) || !seen.insert(slot) {
            continue;
        }
        if current.get(&d.node_id).is_some_and(|a| a.values.contains_key(key)) {
            changes.push(Change::Remove { device: device.clone(), node_id: d.node_id.clone(), key: key.clone() });
        }
    }
    Ok((changes, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn device(node: &str, host: &str) -> Device {
        Device {
            id: format!("1{node}"),
            node_id: node.into(),
            name: format!("{host}.tail1.ts.net"),
            hostname: host.into(),
            user: format!("{}@example.com", host.split('-').next().unwrap_or(host)),
            tags: Vec::new(),
            is_external: false,
        }
    }

    fn want(device: &str, key: &str, value: Value, expiry: Option<&str>, from: &str) -> Wanted {
        Wanted {
            device: device.into(),
            key: key.into(),
            value,
            expiry: expiry.map(|e| e.parse().unwrap()),
            fragment: from.into(),
            comment: format!("tailgrant: {from}"),
            approvers: Vec::new(),
        }
    }

    /// An approver's own untagged device is refused before anything is written; a tagged
    /// device has no owner's identity, and someone else's device is fine.
    #[test]
    fn an_attribute_on_an_approvers_device_is_refused() {
        let mut ds = vec![device("nA", "alice-laptop"), device("nB", "bob-laptop")];
        let mut w = want("bob-laptop", "custom:a", json!(true), None, "grants/x.hujson");
        w.approvers = vec!["Bob@example.com".into()];
        let err = plan(&[w.clone()], &[], &ds, &BTreeMap::new()).unwrap_err();
        assert!(matches!(err, PlanError::ApproverOwnsDevice { .. }), "{err}");
        assert!(err.to_string().contains("belongs to Bob@example.com, who approved it"), "{err}");
        w.device = "alice-laptop".into();
        assert!(plan(&[w.clone()], &[], &ds, &BTreeMap::new()).is_ok());
        ds[1].tags = vec!["tag:kiosk".into()];
        w.device = "bob-laptop".into();
        assert!(plan(&[w], &[], &ds, &BTreeMap::new()).is_ok());
    }

    #[test]
    fn devices_resolve_by_any_name() {
        let ds = [device("nA", "alice-laptop"), device("nB", "bob-laptop")];
        assert_eq!(resolve(&ds, "nA").unwrap().unwrap().node_id, "nA");
        assert_eq!(resolve(&ds, "1nB").unwrap().unwrap().node_id, "nB");
        assert_eq!(resolve(&ds, "Alice-Laptop").unwrap().unwrap().node_id, "nA");
        assert_eq!(resolve(&ds, "bob-laptop.tail1.ts.net").unwrap().unwrap().node_id, "nB");
        assert_eq!(resolve(&ds, "carol").unwrap(), None);
        let twins = [device("n1", "db"), device("n2", "db")];
        assert!(resolve(&twins, "db").unwrap_err().contains(", "));
        // The refusal names the fragment to fix and every device the name matches.
        let wanted = [want("db", "custom:a", json!(true), None, "grants/db.hujson")];
        let err = plan(&wanted, &[], &twins, &BTreeMap::new()).unwrap_err().to_string();
        assert!(err.starts_with("grants/db.hujson sets custom:a on device \"db\""), "{err}");
        assert!(err.contains("(n1)") && err.contains("(n2)") && err.contains("node ID"), "{err}");
    }

    #[test]
    fn sets_what_is_missing_and_removes_only_what_tailgrant_set() {
        let ds = [device("nA", "alice-laptop"), device("nB", "bob-laptop")];
        let mut current = BTreeMap::new();
        let mut a = Attributes::default();
        a.values.insert("custom:old".into(), json!(true));
        a.values.insert("custom:other".into(), json!(true)); // someone else's
        a.values.insert("custom:same".into(), json!(true));
        a.expiries.insert("custom:same".into(), "2026-12-01T00:00:00Z".parse().unwrap());
        current.insert("nA".to_owned(), a);
        let wanted = [
            want("alice-laptop", "custom:same", json!(true), Some("2026-12-01T00:00:00Z"), "grants/a.hujson"),
            want("bob-laptop", "custom:new", json!(true), Some("2026-12-02T00:00:00Z"), "grants/b.hujson"),
        ];
        let recorded =
            [("custom:old".to_owned(), "alice-laptop".to_owned()), ("custom:same".into(), "alice-laptop".into())];
        let (changes, warnings) = plan(&wanted, &recorded, &ds, &current).unwrap();
        assert!(warnings.is_empty());
        let shown: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            shown,
            ["set custom:new=true on bob-laptop until 2026-12-02T00:00:00Z", "remove custom:old from alice-laptop"]
        );
    }

    #[test]
    fn a_changed_expiry_is_a_change_and_contradictions_are_refused() {
        let ds = [device("nA", "alice-laptop")];
        let mut current = BTreeMap::new();
        let mut a = Attributes::default();
        a.values.insert("custom:x".into(), json!(true));
        current.insert("nA".to_owned(), a);
        let w = [want("nA", "custom:x", json!(true), Some("2026-12-01T00:00:00Z"), "g/a")];
        assert_eq!(plan(&w, &[], &ds, &current).unwrap().0.len(), 1);
        let w2 = [w[0].clone(), want("alice-laptop", "custom:x", json!(false), None, "g/b")];
        assert!(matches!(plan(&w2, &[], &ds, &current), Err(PlanError::Contradiction { .. })));
        let unknown = [want("ghost", "custom:x", json!(true), None, "g/c")];
        let e = plan(&unknown, &[], &ds, &current).unwrap_err();
        assert_eq!(
            e.to_string(),
            "g/c sets custom:x on device \"ghost\", which is not in the tailnet (match by name, hostname, node ID or ID)"
        );
    }
}
