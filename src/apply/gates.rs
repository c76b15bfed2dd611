//! Posture mode's attributes: every active time-bounded fragment's `custom:tg_<id>` on every
//! device of its sources, expiring with it, and no other `custom:tg_*` attribute anywhere.
//!
//! Which devices: a user's own (untagged) devices, a tag's devices, the members' devices of a
//! group the fragment names or adds people to, `autogroup:member`'s and `autogroup:tagged`'s,
//! a domain's users' (`user:*@domain`); never a device shared in from another tailnet, which
//! posture does not apply to. `check` has refused every other kind of source (`TG056`).
//!
//! Reading every device's attributes is one request per device (the device list does not
//! carry them: `GET /api/v2/tailnet/{tailnet}/devices` answers the documented `Device` fields,
//! and attributes are `GET /api/v2/device/{id}/attributes`), so `apply` reads them only when
//! something may have changed: the live policy records the digest of what was last made true (`merge::APPLIED_PREFIX`),
//! and when the repository and the device list give the same digest, nothing is read or sent.
//! A full reconcile (`--reconcile`, a changed digest, and always for `status`) reads each
//! device once, a few at a time.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::ApplyError;
use super::client::{ApiError, Attributes, Batch, Client, Device};
use crate::load::Repository;
use crate::load::view::View;
use crate::model::Status;
use crate::model::expiry::{EnforceExpiry, Gate, gate_id_of_key, is_gate_key};
use crate::model::selector::{Selector, classify};

/// Devices whose attributes are read at once.
pub const READ_CONCURRENCY: usize = 8;

/// Node IDs per batch request: a body stays well under a megabyte.
const BATCH_NODES: usize = 500;

/// One gated fragment's attribute, and the devices that should carry it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GateWant {
    /// The fragment's path in the repository.
    pub(crate) fragment: String,
    pub(crate) key: String,
    pub(crate) expiry: Timestamp,
    /// The audit log's comment: the fragment, its requester and approvers (≤ 200 characters).
    pub(crate) comment: String,
    /// Node IDs.
    pub(crate) nodes: BTreeSet<String>,
}

/// Whether apply must look after posture-mode attributes at all: in posture mode, or while
/// the live policy still shows gates from it (switching back to schedule mode removes them).
pub(crate) fn in_play(repo: &Repository, live: &str) -> bool {
    repo.config.enforce_expiry == EnforceExpiry::Posture
        || crate::merge::applied_digest(live).is_some()
        || crate::merge::fragment_labels(live).iter().any(|l| l.gate_key.is_some())
}

/// What the fragments active at `at` want, given the tailnet's devices; and warnings for
/// sources that have no device yet (they get the attribute at the first apply after one
/// joins; until then the access is off).
pub(crate) fn wanted(repo: &Repository, at: Timestamp, devices: &[Device]) -> (Vec<GateWant>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    if repo.config.enforce_expiry != EnforceExpiry::Posture {
        return (out, warnings);
    }
    let view = View::active(repo, at);
    for f in gated_active(repo, at) {
        let Some(gate) = Gate::of(repo.config.enforce_expiry, &f.doc.file.rel, &f.fragment) else { continue };
        let Some(expiry) = f.fragment.expires else { continue };
        let mut nodes = BTreeSet::new();
        for src in sources(&f.doc.tree) {
            let found = devices_of(&view, &src, devices);
            if found.is_empty() {
                warnings.push(format!(
                    "{}: {src} has no device in the tailnet yet; a device that joins gets {} at the next apply",
                    f.doc.file.rel,
                    gate.key()
                ));
            }
            nodes.extend(found.into_iter().map(|d| d.node_id.clone()));
        }
        out.push(GateWant { fragment: f.doc.file.rel.clone(), key: gate.key(), expiry, comment: comment(f), nodes });
    }
    (out, warnings)
}

/// Posture mode's gate holds only for the tailnet's own devices: a shared-in user passes it
/// whatever their attributes. `check` refuses the ones the repository's users file or
/// `externalUsers` name (`TG056`); this asks the tailnet itself (`GET /users`), so that a user
/// shared in since, or a repository without a users file, cannot keep access past its expiry.
/// The first source of an active gated fragment that is, or is a group holding, a shared-in
/// user is refused.
pub(crate) fn refuse_shared_in(
    repo: &Repository,
    at: Timestamp,
    users: &[crate::model::users::UserRecord],
) -> Result<(), super::PlanError> {
    let shared: BTreeSet<String> =
        users.iter().filter(|u| u.kind == "shared").map(|u| u.login_name.trim().to_ascii_lowercase()).collect();
    if shared.is_empty() {
        return Ok(());
    }
    let view = View::active(repo, at);
    for f in gated_active(repo, at) {
        for src in sources(&f.doc.tree) {
            let logins: Vec<String> = match classify(&src) {
                Selector::User(u) => vec![u.to_owned()],
                Selector::Group(_) => view.group_members(&src).iter().map(|m| m.trim().to_owned()).collect(),
                _ => Vec::new(),
            };
            if let Some(user) = logins.into_iter().find(|l| shared.contains(&l.to_ascii_lowercase())) {
                return Err(super::PlanError::SharedInSource { fragment: f.doc.file.rel.clone(), granted: src, user });
            }
        }
    }
    Ok(())
}

/// Whether any fragment active at `at` is gated.
pub(crate) fn any_active(repo: &Repository, at: Timestamp) -> bool {
    gated_active(repo, at).next().is_some()
}

/// The fragments active at `at` whose rules posture mode gates.
fn gated_active(repo: &Repository, at: Timestamp) -> impl Iterator<Item = &crate::load::FragmentFile> {
    repo.fragments.iter().filter(move |f| {
        f.fragment.status(at) == Status::Active
            && Gate::of(repo.config.enforce_expiry, &f.doc.file.rel, &f.fragment).is_some()
    })
}

/// The sources of a fragment's rules, and the people it adds to groups.
fn sources(tree: &crate::parse::Value) -> BTreeSet<String> {
    crate::model::rule::fragment_sources(tree).into_iter().map(|(s, _)| s.trim().to_owned()).collect()
}

/// The tailnet's own devices a source stands for.
fn devices_of<'d>(view: &View<'_>, src: &str, devices: &'d [Device]) -> Vec<&'d Device> {
    let own = |d: &&Device| !d.is_external;
    let users_devices = |login: &str| -> Vec<&'d Device> {
        devices.iter().filter(own).filter(|d| d.tags.is_empty() && d.user.trim().eq_ignore_ascii_case(login)).collect()
    };
    match classify(src) {
        Selector::User(u) => users_devices(u),
        Selector::Group(_) => view.group_members(src).iter().flat_map(|m| users_devices(m.trim())).collect(),
        Selector::Tag(_) => devices.iter().filter(own).filter(|d| d.tags.iter().any(|t| t == src)).collect(),
        Selector::Autogroup("member" | "members") => devices.iter().filter(own).filter(|d| d.tags.is_empty()).collect(),
        Selector::Autogroup("tagged") => devices.iter().filter(own).filter(|d| !d.tags.is_empty()).collect(),
        Selector::UserDomain(domain) => devices
            .iter()
            .filter(own)
            .filter(|d| {
                d.tags.is_empty() && d.user.rsplit_once('@').is_some_and(|(_, u)| u.eq_ignore_ascii_case(domain))
            })
            .collect(),
        // Refused by check (TG056): nothing to mark.
        _ => Vec::new(),
    }
}

/// `tailgrant: grants/x.hujson, requested by …, approved by …`, on one line, at most the
/// API's 200 characters.
fn comment(f: &crate::load::FragmentFile) -> String {
    let mut c = format!("tailgrant: {}", f.doc.file.rel);
    if let Some(r) = &f.fragment.requester {
        c.push_str(&format!(", requested by {r}"));
    }
    if !f.fragment.approvers.is_empty() {
        c.push_str(&format!(", approved by {}", f.fragment.approvers.join(", ")));
    }
    crate::model::text::one_line(&c).chars().take(200).collect()
}

/// The digest of what `wanted` makes true: every (node, key, expiry).
pub(crate) fn digest(wanted: &[GateWant]) -> String {
    let mut lines: Vec<String> =
        wanted.iter().flat_map(|w| w.nodes.iter().map(move |n| format!("{n} {} {}\n", w.key, w.expiry))).collect();
    lines.sort();
    crate::merge::sha256_hex(lines.concat().as_bytes())
}

/// Why an attribute is removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "reason")]
pub(crate) enum Why {
    /// Its fragment ended (expired or removed), or the device is no longer one of its sources.
    Ended { fragment: String },
    /// No fragment of the repository or the live policy explains it: set by someone else.
    Unexplained,
}

/// One attribute to remove.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Removal {
    pub(crate) node_id: String,
    pub(crate) device: String,
    pub(crate) key: String,
    #[serde(flatten)]
    pub(crate) why: Why,
}

/// One fragment's attribute to set on devices that lack it (or carry another expiry).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Setting {
    pub(crate) fragment: String,
    pub(crate) key: String,
    pub(crate) expiry: Timestamp,
    pub(crate) comment: String,
    /// (node ID, device name).
    pub(crate) devices: Vec<(String, String)>,
}

/// What a full reconcile found to do.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GatePlan {
    pub(crate) set: Vec<Setting>,
    pub(crate) remove: Vec<Removal>,
}

impl GatePlan {
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }

    /// The attributes no fragment explains.
    pub(crate) fn unexplained(&self) -> impl Iterator<Item = &Removal> {
        self.remove.iter().filter(|r| r.why == Why::Unexplained)
    }
}

/// Which fragment each gate id stands for: the repository's fragments (whatever their status
/// or mode) and the ones the live policy's labels name.
pub(crate) fn known_ids(repo: &Repository, live: &str) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for l in crate::merge::fragment_labels(live) {
        if let Some(id) = l.gate_key.as_deref().and_then(gate_id_of_key) {
            ids.insert(id, l.path);
        }
    }
    for f in &repo.fragments {
        ids.insert(Gate::for_path(&f.doc.file.rel).id, f.doc.file.rel.clone());
    }
    ids
}

/// The changes that make the devices carry exactly `wanted`; `current` holds every device's
/// attributes by node ID.
pub(crate) fn plan(
    wanted: &[GateWant],
    devices: &[Device],
    current: &BTreeMap<String, Attributes>,
    known: &HashMap<String, String>,
) -> GatePlan {
    let name = |node: &str| devices.iter().find(|d| d.node_id == node).map_or(node.to_owned(), |d| d.name.clone());
    let mut plan = GatePlan::default();
    let mut wanted_slots: BTreeSet<(String, String)> = BTreeSet::new();
    for w in wanted {
        let mut todo = Vec::new();
        for n in &w.nodes {
            wanted_slots.insert((n.clone(), w.key.to_ascii_lowercase()));
            let have = current.get(n);
            let value_ok = have.and_then(|a| a.values.get(&w.key)) == Some(&Value::Bool(true));
            let expiry_ok = have.and_then(|a| a.expiries.get(&w.key)) == Some(&w.expiry);
            if !(value_ok && expiry_ok) {
                todo.push((n.clone(), name(n)));
            }
        }
        if !todo.is_empty() {
            plan.set.push(Setting {
                fragment: w.fragment.clone(),
                key: w.key.clone(),
                expiry: w.expiry,
                comment: w.comment.clone(),
                devices: todo,
            });
        }
    }
    for (node, attrs) in current {
        for key in attrs.values.keys().filter(|k| is_gate_key(k)) {
            if wanted_slots.contains(&(node.clone(), key.to_ascii_lowercase())) {
                continue;
            }
            let why = match gate_id_of_key(key).and_then(|id| known.get(&id)) {
                Some(fragment) => Why::Ended { fragment: fragment.clone() },
                None => Why::Unexplained,
            };
            plan.remove.push(Removal { node_id: node.clone(), device: name(node), key: key.clone(), why });
        }
    }
    plan
}

/// Reads every device's attributes: each once, [`READ_CONCURRENCY`] at a time.
pub(crate) async fn read_all(client: &Client, devices: &[Device]) -> Result<BTreeMap<String, Attributes>, ApiError> {
    let nodes: Vec<String> = devices.iter().filter(|d| !d.is_external).map(|d| d.node_id.clone()).collect();
    client.attributes_of(&nodes, READ_CONCURRENCY).await
}

/// Removes what `plan` removes: in batches, or device by device where the tailnet has no
/// batch endpoint (`batch` turns false once it says so).
pub(crate) async fn remove(client: &Client, plan: &GatePlan, batch: &mut bool) -> Result<(), ApplyError> {
    if plan.remove.is_empty() {
        return Ok(());
    }
    let comment = if plan.unexplained().next().is_some() {
        "tailgrant: removing posture-mode attributes of ended grant files, and ones no grant file explains"
    } else {
        "tailgrant: removing posture-mode attributes of ended grant files"
    };
    let pairs: Vec<(String, String)> = plan.remove.iter().map(|r| (r.node_id.clone(), r.key.clone())).collect();
    send(client, &pairs, Op::Delete, comment, batch).await
}

/// Sets what `plan` sets: one batch per fragment (its comment names the fragment), or device
/// by device where the tailnet has no batch endpoint.
pub(crate) async fn set(client: &Client, plan: &GatePlan, batch: &mut bool) -> Result<(), ApplyError> {
    for s in &plan.set {
        let pairs: Vec<(String, String)> = s.devices.iter().map(|(n, _)| (n.clone(), s.key.clone())).collect();
        send(client, &pairs, Op::Set { expiry: s.expiry }, &s.comment, batch).await?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Op {
    Delete,
    Set { expiry: Timestamp },
}

/// Sends the changes to `pairs` (node ID, key) as batches of [`BATCH_NODES`] devices; where
/// the tailnet has no batch endpoint, one request per change, a few at a time.
async fn send(
    client: &Client,
    pairs: &[(String, String)],
    op: Op,
    comment: &str,
    batch: &mut bool,
) -> Result<(), ApplyError> {
    if *batch {
        let mut nodes: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        for (n, k) in pairs {
            let change = match op {
                Op::Delete => Value::Null,
                Op::Set { expiry } => json!({ "value": true, "expiry": expiry.to_string() }),
            };
            nodes.entry(n).or_default().insert(k.clone(), change);
        }
        let entries: Vec<(&str, Map<String, Value>)> = nodes.into_iter().collect();
        for (i, chunk) in entries.chunks(BATCH_NODES).enumerate() {
            let body: Map<String, Value> =
                chunk.iter().map(|(n, m)| ((*n).to_owned(), Value::Object(m.clone()))).collect();
            match client.patch_attributes(&body, comment).await? {
                Batch::Done => {}
                Batch::Unsupported if i == 0 => {
                    *batch = false;
                    break;
                }
                // It took batches a moment ago: a refusal now is not a missing endpoint.
                Batch::Unsupported => {
                    return Err(ApplyError::Api(ApiError::BadResponse {
                        what: "updating posture attributes in a batch",
                        detail: "the batch endpoint went away in the middle of the run".into(),
                    }));
                }
            }
        }
        if *batch {
            return Ok(());
        }
    }
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    stream::iter(pairs)
        .map(|(n, k)| async move {
            match op {
                Op::Delete => client.delete_attribute(n, k).await,
                Op::Set { expiry } => client.set_attribute(n, k, &Value::Bool(true), Some(expiry), comment).await,
            }
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect::<()>()
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(node: &str, user: &str, tags: &[&str]) -> Device {
        Device {
            node_id: node.into(),
            name: format!("{node}.ts.net"),
            user: user.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Device::default()
        }
    }

    fn attrs(pairs: &[(&str, Value, Option<&str>)]) -> Attributes {
        let mut a = Attributes::default();
        for (k, v, e) in pairs {
            a.values.insert(k.to_string(), v.clone());
            if let Some(e) = e {
                a.expiries.insert(k.to_string(), e.parse().unwrap());
            }
        }
        a
    }

    #[test]
    fn plans_sets_for_what_is_missing_and_removals_with_their_reason() {
        let devices = [
            device("n1", "alice@example.com", &[]),
            device("n2", "alice@example.com", &[]),
            device("n3", "bob@example.com", &[]),
        ];
        let exp: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        let w = GateWant {
            fragment: "grants/a.hujson".into(),
            key: "custom:tg_aaaaaaaaaaaaaaaa".into(),
            expiry: exp,
            comment: "tailgrant: grants/a.hujson".into(),
            nodes: ["n1".to_owned(), "n2".into()].into(),
        };
        let mut current = BTreeMap::new();
        current.insert(
            "n1".to_owned(),
            attrs(&[("custom:tg_aaaaaaaaaaaaaaaa", json!(true), Some("2026-12-01T00:00:00Z"))]),
        );
        current.insert(
            "n2".to_owned(),
            attrs(&[("custom:tg_aaaaaaaaaaaaaaaa", json!(true), Some("2026-11-01T00:00:00Z"))]),
        );
        current.insert(
            "n3".to_owned(),
            attrs(&[
                ("custom:tg_bbbbbbbbbbbbbbbb", json!(true), None),
                ("custom:TG_cccc", json!(true), None),
                ("custom:other", json!(true), None),
            ]),
        );
        let known: HashMap<String, String> = [("bbbbbbbbbbbbbbbb".to_owned(), "grants/old.hujson".to_owned())].into();
        let p = plan(std::slice::from_ref(&w), &devices, &current, &known);
        assert_eq!(p.set.len(), 1);
        assert_eq!(
            p.set[0].devices,
            [("n2".to_owned(), "n2.ts.net".to_owned())],
            "n1 already has it, n2's expiry differs"
        );
        let removed: Vec<(&str, &str, &Why)> =
            p.remove.iter().map(|r| (r.node_id.as_str(), r.key.as_str(), &r.why)).collect();
        assert_eq!(
            removed,
            [
                ("n3", "custom:tg_bbbbbbbbbbbbbbbb", &Why::Ended { fragment: "grants/old.hujson".into() }),
                ("n3", "custom:TG_cccc", &Why::Unexplained),
            ],
            "attributes outside tailgrant's namespace are never touched"
        );
        assert_eq!(p.unexplained().count(), 1);
        let mut w2 = w.clone();
        w2.nodes.insert("n3".into());
        assert_ne!(digest(&[w]), digest(&[w2]), "a new device changes the digest");
    }
}
