//! `tailgrant status`: the live tailnet against the repository at an instant, read only.
//!
//! What it reports, and why each matters:
//! - **drift**: the live policy was edited outside tailgrant (as `apply` defines it), so
//!   nothing below can be trusted to be what git says;
//! - **access live past its expiry**, from the labels of the live policy (so a grant file
//!   deleted from git is still seen): in schedule mode until the next apply removes it, in
//!   posture mode only while some device still carries the fragment's attribute;
//! - **access the repository no longer grants** (a grant file removed before it expired, or
//!   posture-mode attributes no active grant file explains, or ones that outlive their file);
//! - **devices missing their attribute** in posture mode (their access is off until the next
//!   apply: fail closed, reported so that nobody wonders why).

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::client::Client;
use super::{ApplyError, gates};
use crate::load::Repository;
use crate::merge::{HeaderState, verify_header};
use crate::model::Status as FragmentStatus;
use crate::model::expiry::{EnforceExpiry, gate_id_of_key, is_gate_key};

/// Everything `status` found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub(crate) at: Timestamp,
    pub(crate) enforce_expiry: EnforceExpiry,
    /// `intact`, `edited` (drift), `missing` (not written by tailgrant; drift unless it is the
    /// base policy being adopted).
    pub(crate) header: &'static str,
    pub(crate) drift: bool,
    /// The live body is what the repository renders now (otherwise an apply is due).
    pub(crate) policy_current: bool,
    /// Fragments whose access is live past their expiry.
    pub(crate) live_past_expiry: Vec<PastExpiry>,
    /// Fragments the live policy holds that the repository no longer grants at all (removed
    /// before their expiry), with access still live.
    pub(crate) revoked_but_live: Vec<PastExpiry>,
    /// Expired (or removed) fragments whose gated rules are still in the live policy but match
    /// no device: the control plane ended them; the next apply removes the rules.
    pub(crate) inert: Vec<PastExpiry>,
    /// Posture-mode attributes that no active grant file explains, or that outlive it.
    pub(crate) unexplained: Vec<AttributeState>,
    /// Devices that lack the attribute an active grant file gives them (or carry it with an
    /// earlier expiry).
    pub(crate) missing: Vec<AttributeState>,
    /// How many devices' attributes were read.
    pub(crate) devices_read: usize,
    /// With `consoleLink`: the admin console's policy-editor lock as the tailnet holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) console: Option<ConsoleState>,
}

/// The admin console's lock against `consoleLink`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConsoleState {
    pub(crate) link: String,
    pub(crate) lock: super::client::ConsoleLock,
}

impl ConsoleState {
    /// What is wrong with the lock, if anything: the next apply sets it.
    pub(crate) fn problem(&self) -> Option<String> {
        let link = crate::model::text::one_line(&self.link);
        if !self.lock.on {
            Some(format!(
                "the admin console's policy editor is NOT locked (aclsExternallyManagedOn is off): anyone with access can edit the policy there; the next apply locks it and points it at {link}"
            ))
        } else if self.lock.link.as_deref() != Some(self.link.as_str()) {
            Some(format!("the admin console's policy editor points elsewhere than {link}; the next apply fixes it"))
        } else {
            None
        }
    }
}

/// A fragment that the live policy's labels name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PastExpiry {
    pub(crate) fragment: String,
    pub(crate) expires: Option<Timestamp>,
    /// How long past the expiry it is (0 for a file removed before it expired).
    pub(crate) seconds_past: i64,
    /// Posture mode: the attribute its rules are gated on, and the devices that hold it.
    pub(crate) gate_key: Option<String>,
    pub(crate) devices: Vec<String>,
}

/// One posture-mode attribute on one device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttributeState {
    pub(crate) device: String,
    pub(crate) node_id: String,
    pub(crate) key: String,
    /// The grant file it belongs to, when one is known (in the repository or the live labels).
    pub(crate) fragment: Option<String>,
    /// What the device carries: its expiry (`None` when it never expires, or is absent).
    pub(crate) expiry: Option<Timestamp>,
    /// Why it is listed.
    pub(crate) why: &'static str,
}

/// What `status` concludes, in the order of its exit codes' precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    InSync,
    /// Access is live past its expiry or unexplained (exit 1): this outranks drift, since it is
    /// access nobody approved for now.
    LivePastExpiry,
    /// The live policy was edited elsewhere (exit 4).
    Drift,
}

impl Status {
    pub fn verdict(&self) -> Verdict {
        if !self.live_past_expiry.is_empty() || !self.revoked_but_live.is_empty() || !self.unexplained.is_empty() {
            Verdict::LivePastExpiry
        } else if self.drift {
            Verdict::Drift
        } else {
            Verdict::InSync
        }
    }
}

/// Reads the live policy, the devices and every device's attributes (each once, a few at a
/// time), and compares them with the repository at `at`.
pub async fn status(
    repo: &Repository,
    at: Timestamp,
    client: &Client,
    progress: &mut dyn FnMut(&str),
) -> Result<Status, ApplyError> {
    let rendered = crate::merge::render(repo, at);
    progress("reading the live policy");
    let live = client.policy().await?;
    let state = verify_header(&live.text);
    let (header, drift) = match &state {
        HeaderState::Intact { .. } => ("intact", false),
        HeaderState::Edited { .. } => ("edited", true),
        HeaderState::Missing => ("missing", !super::is_base(repo, &live.text)),
    };
    let policy_current = matches!(&state, HeaderState::Intact { hash }
        if rendered.as_ref().is_some_and(|r| &r.body_hash == hash));
    progress("reading devices");
    let devices = client.devices().await?;
    let labels = crate::merge::fragment_labels(&live.text);
    let gated_live = labels.iter().any(|l| l.gate_key.is_some());
    let posture_mode = repo.config.enforce_expiry == EnforceExpiry::Posture;
    let current = if posture_mode || gated_live {
        progress("reading every device's posture attributes");
        gates::read_all(client, &devices).await?
    } else {
        BTreeMap::new()
    };
    let (wants, _) = gates::wanted(repo, at, &devices);
    let known = gates::known_ids(repo, &live.text);
    let name = |node: &str| devices.iter().find(|d| d.node_id == node).map_or(node.to_owned(), |d| d.name.clone());

    // Who holds each posture-mode key, lowercased.
    let mut holders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (node, attrs) in &current {
        for (k, v) in &attrs.values {
            if is_gate_key(k) && v == &serde_json::Value::Bool(true) {
                holders.entry(k.to_ascii_lowercase()).or_default().push(name(node));
            }
        }
    }
    let active: BTreeSet<&str> = repo
        .fragments
        .iter()
        .filter(|f| f.fragment.status(at) == FragmentStatus::Active)
        .map(|f| f.doc.file.rel.as_str())
        .collect();

    let mut st = Status {
        at,
        enforce_expiry: repo.config.enforce_expiry,
        header,
        drift,
        policy_current,
        live_past_expiry: Vec::new(),
        revoked_but_live: Vec::new(),
        inert: Vec::new(),
        unexplained: Vec::new(),
        missing: Vec::new(),
        devices_read: current.len(),
        console: None,
    };
    if let Some(link) = &repo.config.console_link {
        progress("reading the admin console's policy-editor lock");
        st.console = Some(ConsoleState { link: link.clone(), lock: client.console_lock().await? });
    }
    for l in labels.iter().filter(|l| !active.contains(l.path.as_str())) {
        let past = l.expires.filter(|e| *e <= at);
        // Labels are per entry; a permanent fragment no longer in the repository was removed.
        let devices = l.gate_key.as_ref().map(|k| holders.get(&k.to_ascii_lowercase()).cloned().unwrap_or_default());
        let entry = PastExpiry {
            fragment: l.path.clone(),
            expires: l.expires,
            seconds_past: past.map_or(0, |e| at.duration_since(e).as_secs().max(0)),
            gate_key: l.gate_key.clone(),
            devices: devices.clone().unwrap_or_default(),
        };
        match (past, devices) {
            (_, Some(d)) if d.is_empty() => st.inert.push(entry),
            (Some(_), _) => st.live_past_expiry.push(entry),
            (None, _) => st.revoked_but_live.push(entry),
        }
    }
    // Posture-mode attributes against what the active grant files want.
    let mut wanted: BTreeMap<(String, String), &gates::GateWant> = BTreeMap::new();
    for w in &wants {
        for n in &w.nodes {
            wanted.insert((n.clone(), w.key.to_ascii_lowercase()), w);
        }
    }
    for (node, attrs) in &current {
        for key in attrs.values.keys().filter(|k| is_gate_key(k)) {
            let expiry = attrs.expiries.get(key).copied();
            let fragment = gate_id_of_key(key).and_then(|id| known.get(&id).cloned());
            let state = |why| AttributeState {
                device: name(node),
                node_id: node.clone(),
                key: key.clone(),
                fragment: fragment.clone(),
                expiry,
                why,
            };
            match wanted.get(&(node.clone(), key.to_ascii_lowercase())) {
                None => st.unexplained.push(state("no active grant file gives this device this attribute")),
                Some(w) if expiry.is_none_or(|e| e > w.expiry) => {
                    st.unexplained.push(state("it outlives its grant file's expiry"));
                }
                Some(w) if expiry.is_some_and(|e| e < w.expiry) => {
                    st.missing.push(state("it expires before its grant file does"));
                }
                Some(_) => {}
            }
        }
    }
    for ((node, key), w) in &wanted {
        let present = current.get(node).is_some_and(|a| a.values.keys().any(|k| k.eq_ignore_ascii_case(key)));
        if !present {
            st.missing.push(AttributeState {
                device: name(node),
                node_id: node.clone(),
                key: w.key.clone(),
                fragment: Some(w.fragment.clone()),
                expiry: None,
                why: "missing: the next apply sets it",
            });
        }
    }
    Ok(st)
}

/// For reports: how long, in words.
pub(crate) fn past(seconds: i64) -> String {
    crate::check::human_duration(SignedDuration::from_secs(seconds))
}
