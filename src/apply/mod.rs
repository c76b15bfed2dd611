//! Apply: push the rendered policy to the tailnet through the Tailscale API, safely
//! (README, `tailgrant apply`).
//!
//! The order matters for convergence. Nothing is written until the rendered policy passed
//! check, the live policy is known to be tailgrant's own (its header hash matches its body),
//! and the server validated the new one. Posture attributes of fragments no longer active
//! are removed *before* the policy is posted: the record of what tailgrant set lives in the
//! live policy's header, so removing first means a failed run leaves that record in place for
//! the next run. New attributes are set after the post. Every step is idempotent, so re-running
//! after any failure converges.

pub mod auth;
pub(crate) mod client;
pub mod gates;
pub(crate) mod posture;
pub mod status;

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::load::Repository;
use crate::merge::{HeaderState, applied_digest, recorded_posture, verify_header, with_applied_digest};
use crate::model::expiry::EnforceExpiry;
use crate::pipeline::Report;
pub use auth::{AuthError, Credentials};
pub use client::{ApiError, Client, ConsoleLock, LivePolicy, Options, TestFailure};
pub(crate) use posture::{Change, PlanError};

/// What `apply` did (or, with `dry_run`, would do) to the policy file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase", tag = "result")]
pub(crate) enum PolicyStep {
    /// The live policy already is the rendered one (its ETag is the rendered file's hash).
    Unchanged,
    /// Dry run: it would be posted.
    WouldPost,
    /// Posted; the new ETag when the answer carried one.
    Posted { etag: Option<String> },
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    pub(crate) policy: PolicyStep,
    pub(crate) posture: Vec<Change>,
    /// Posture mode's attributes (`enforceExpiry: "posture"`).
    pub(crate) gates: GateOutcome,
    pub warnings: Vec<String>,
    /// The live policy as read before any change.
    #[serde(skip)]
    pub(crate) live_before: String,
    #[serde(skip)]
    pub(crate) rendered: String,
    pub(crate) dry_run: bool,
    /// `consoleLink`: what apply did about the admin console's policy-editor lock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) console: Option<ConsoleStep>,
}

/// The admin console's lock, kept on and pointing at `consoleLink`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConsoleStep {
    pub(crate) link: String,
    /// The settings fields sent (or, dry, to send): only those that differed; none when the
    /// lock was already on and pointing there.
    pub(crate) sent: Vec<String>,
}

/// Why apply stopped. Each variant says what was (not) written.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("check found errors; nothing was sent")]
    Findings(Box<Report>),
    #[error("{}", drift_message(.state))]
    Drift { live: String, rendered: String, state: HeaderState },
    #[error("the tailnet refused the policy: {message}; nothing was written")]
    Invalid { message: String, failures: Vec<TestFailure> },
    #[error(
        "the live policy changed between reading and writing it (412); nothing was overwritten: re-run to see the change"
    )]
    Conflict,
    #[error("{0}; nothing was written")]
    Posture(#[from] PlanError),
    /// The write was sent but its answer cannot be believed: it may or may not have landed.
    #[error("{0}; the policy may have been written all the same: re-run, which finds out and converges")]
    Unconfirmed(ApiError),
    #[error("{0}")]
    Api(#[from] ApiError),
}

fn drift_message(state: &HeaderState) -> String {
    match state {
        HeaderState::Missing => "the live policy was not written by tailgrant (it has no tailgrant header) \
             and is not the base policy in git; nothing was written. Run `tailgrant import` to make it \
             the base policy in a pull request (apply then adopts it), or `tailgrant apply --force` to \
             replace it"
            .into(),
        _ => "the live policy was edited outside tailgrant since it last applied (its header hash no longer \
             matches its body); nothing was written. Run `tailgrant import` to turn the edit into a pull \
             request, or `tailgrant apply --force` to discard it"
            .into(),
    }
}

/// What apply did about posture mode's attributes.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateOutcome {
    /// The repository is in posture mode.
    pub(crate) enabled: bool,
    /// Every device's attributes were read: the repository or the devices changed since the
    /// last apply (or `--reconcile` asked). Otherwise nothing needed reading.
    pub(crate) reconciled: bool,
    /// The changes made (or, dry, to make): attributes set, and removed with the reason.
    pub(crate) plan: gates::GatePlan,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Everything but writing.
    pub dry_run: bool,
    /// Overwrite a live policy that tailgrant did not write or that was edited since.
    pub force: bool,
    /// Posture mode: read every device's attributes even when the live policy's record says
    /// nothing changed, and fix what differs (attributes removed or added by someone else).
    pub reconcile: bool,
}

/// Renders the repository at `at` and makes the tailnet match it; then, with `consoleLink`,
/// keeps the admin console's policy editor locked and pointing there. `progress` hears about
/// each step as it happens (CI logs show where a slow run is).
pub async fn apply(
    repo: &Repository,
    at: Timestamp,
    client: &Client,
    opts: ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Applied, ApplyError> {
    let mut applied = apply_policy(repo, at, client, opts, progress).await?;
    if let Some(link) = &repo.config.console_link {
        progress("reading the admin console's policy-editor lock");
        let lock = client.console_lock().await?;
        let fields = lock.patch_for(link);
        if !fields.is_empty() && !opts.dry_run {
            progress("locking the admin console's policy editor");
            client.patch_settings(&fields).await?;
        }
        applied.console = Some(ConsoleStep { link: link.clone(), sent: fields.keys().cloned().collect() });
    }
    Ok(applied)
}

async fn apply_policy(
    repo: &Repository,
    at: Timestamp,
    client: &Client,
    opts: ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Applied, ApplyError> {
    let report = crate::pipeline::check_and_render(repo, at);
    if report.has_errors() || report.tests.failed > 0 {
        return Err(ApplyError::Findings(Box::new(report)));
    }
    let Some(rendered) = report.rendered.as_ref().map(|r| r.text.clone()) else {
        return Err(ApplyError::Findings(Box::new(report)));
    };
    progress("reading the live policy");
    let live = client.policy().await?;
    let state = verify_header(&live.text);
    let drifted = match &state {
        HeaderState::Intact { .. } => false,
        // Not written by tailgrant: fine only if it is exactly the base policy in git, as right
        // after `tailgrant import` adopted it.
        HeaderState::Missing => !is_base(repo, &live.text),
        HeaderState::Edited { .. } => true,
    };
    // A live copy that is the rendered file as Tailscale formats it is no drift, whatever its
    // layout: nothing of it would be overwritten.
    if drifted && !is_ours(&live, &rendered) && !opts.force {
        return Err(ApplyError::Drift { live: live.text, rendered, state });
    }

    let wanted = posture::wanted(repo, at);
    let recorded = recorded_posture(&live.text);
    let gates_in_play = gates::in_play(repo, &live.text);
    let devices = if gates_in_play || !(wanted.is_empty() && recorded.is_empty()) {
        progress("reading devices");
        client.devices().await?
    } else {
        Vec::new()
    };
    let (changes, mut warnings) = if wanted.is_empty() && recorded.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        progress("reading the posture attributes of the devices fragments name");
        plan_posture(client, &devices, &wanted, &recorded).await?
    };

    // Posture mode: the attributes that gate time-bounded fragments, and the digest of them
    // the policy records once they are all set.
    let posture_mode = repo.config.enforce_expiry == EnforceExpiry::Posture;
    let mut gate = GateOutcome { enabled: posture_mode, ..GateOutcome::default() };
    let mut target = rendered.clone();
    if gates_in_play {
        if posture_mode && gates::any_active(repo, at) {
            // Shared-in users pass every posture: ask the tailnet who they are (one request).
            progress("reading users (posture does not apply to shared-in ones)");
            gates::refuse_shared_in(repo, at, &client.users().await?)?;
        }
        let (wants, w) = gates::wanted(repo, at, &devices);
        warnings.extend(w);
        let digest = gates::digest(&wants);
        if posture_mode {
            target = with_applied_digest(&rendered, &digest);
        }
        let recorded_digest = match state {
            HeaderState::Intact { .. } => applied_digest(&live.text),
            _ => None,
        };
        if opts.reconcile || !posture_mode || recorded_digest.as_deref() != Some(digest.as_str()) {
            progress("reading every device's posture attributes (posture mode)");
            let current = gates::read_all(client, &devices).await?;
            gate.reconciled = true;
            gate.plan = gates::plan(&wants, &devices, &current, &gates::known_ids(repo, &live.text));
        }
    }
    let policy_changed = !is_ours(&live, &target);
    // The live body is the rendered one, whatever digest its header records.
    let body_same = matches!(&state, HeaderState::Intact { hash }
        if report.rendered.as_ref().is_some_and(|r| &r.body_hash == hash));

    let mut applied = Applied {
        policy: if policy_changed { PolicyStep::WouldPost } else { PolicyStep::Unchanged },
        posture: changes.clone(),
        gates: gate.clone(),
        warnings: Vec::new(),
        live_before: live.text.clone(),
        rendered: target.clone(),
        dry_run: opts.dry_run,
        console: None,
    };
    if !policy_changed && changes.is_empty() && gate.plan.is_empty() {
        applied.warnings = warnings;
        return Ok(applied);
    }
    if policy_changed {
        progress("validating the policy with the tailnet");
        // The rendered file always parses; were it not to, the server should say so, not
        // receive an empty body (which reads as a pass).
        let json = crate::parse::parse(target.as_bytes())
            .map(|t| t.standardize())
            .unwrap_or_else(|_| target.as_bytes().to_vec());
        let v = client.validate(json).await?;
        warnings.extend(v.warnings.iter().cloned());
        if !v.passed() {
            return Err(ApplyError::Invalid {
                message: v.error.clone().unwrap_or_else(|| "test(s) failed".into()),
                failures: v.failures,
            });
        }
    }
    if opts.dry_run {
        applied.warnings = warnings;
        return Ok(applied);
    }
    // Removals first: until the post lands, the live policy still records them (its header,
    // or its gated rules' labels).
    let mut batch = true;
    if !gate.plan.remove.is_empty() {
        progress(&format!("removing {} posture-mode attributes", gate.plan.remove.len()));
        gates::remove(client, &gate.plan, &mut batch).await?;
    }
    for c in &changes {
        if let Change::Remove { node_id, key, .. } = c {
            progress(&c.to_string());
            client.delete_attribute(node_id, key).await?;
        }
    }
    // The policy next. While posture-mode attributes remain to be set it goes without the
    // digest, so that a run cut short in between claims nothing and the next one reconciles.
    let mut live_text = live.text.clone();
    let mut etag = live.etag.clone();
    if !body_same || (gate.plan.set.is_empty() && live_text != target) {
        let text = if gate.plan.set.is_empty() { &target } else { &rendered };
        progress("writing the policy");
        let step = post(client, text, &etag, progress).await?;
        etag = posted_etag(client, &step).await?;
        live_text = text.clone();
        applied.policy = step;
    }
    for c in &changes {
        if let Change::Set { node_id, key, value, expiry, comment, .. } = c {
            progress(&c.to_string());
            client.set_attribute(node_id, key, value, *expiry, comment).await?;
        }
    }
    if !gate.plan.set.is_empty() {
        let n: usize = gate.plan.set.iter().map(|s| s.devices.len()).sum();
        progress(&format!("setting posture-mode attributes on {n} devices"));
        gates::set(client, &gate.plan, &mut batch).await?;
    }
    if live_text != target {
        progress("recording the attributes set in the policy's header");
        applied.policy = post(client, &target, &etag, progress).await?;
    }
    applied.warnings = warnings;
    Ok(applied)
}

/// The ETag after a post: from its answer, or read again when the answer carried none.
async fn posted_etag(client: &Client, step: &PolicyStep) -> Result<String, ApplyError> {
    match step {
        PolicyStep::Posted { etag: Some(e) } => Ok(e.clone()),
        _ => Ok(client.policy().await?.etag),
    }
}

/// Posts the policy conditionally. A 412 can mean someone else wrote meanwhile, or that an
/// earlier attempt of ours landed and only its answer was lost: re-read to tell which.
async fn post(
    client: &Client,
    rendered: &str,
    etag: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<PolicyStep, ApplyError> {
    match client.set_policy(rendered, etag).await {
        Ok(etag) => Ok(PolicyStep::Posted { etag }),
        Err(ApiError::Changed { .. }) => {
            progress("the policy changed meanwhile: re-reading it to see whether the change is ours");
            let now = client.policy().await?;
            if is_ours(&now, rendered) {
                Ok(PolicyStep::Posted { etag: Some(now.etag) })
            } else {
                Err(ApplyError::Conflict)
            }
        }
        // Only the API's own `{"message"}` is a refusal of the policy; a 400 page from anything
        // else stays an API failure.
        Err(ApiError::Rejected { message, failures, status: 400, structured: true, .. }) => {
            Err(ApplyError::Invalid { message, failures })
        }
        Err(e @ (ApiError::BadResponse { .. } | ApiError::TooLarge { .. })) => Err(ApplyError::Unconfirmed(e)),
        Err(e) => Err(e.into()),
    }
}

/// Whether `text` is the repository's base policy, up to formatting.
fn is_base(repo: &Repository, text: &str) -> bool {
    let formatted = |t: &str| crate::parse::format_bytes(t.as_bytes()).ok();
    let base = repo.base.as_ref().and_then(|b| formatted(&b.file.text));
    base.is_some() && base == formatted(text)
}

/// Whether the live policy is the rendered one, whatever its layout: its text as Tailscale
/// formats it (which the rendered file already is). Decided from the text, never from the
/// server's ETag, so that a server's word alone can neither wave an edit through nor wave a
/// change off (a revocation left unposted while apply reports the policy unchanged).
fn is_ours(live: &LivePolicy, rendered: &str) -> bool {
    live.text == rendered || crate::parse::format_bytes(live.text.as_bytes()).is_ok_and(|f| f == rendered.as_bytes())
}

async fn plan_posture(
    client: &Client,
    devices: &[client::Device],
    wanted: &[posture::Wanted],
    recorded: &[(String, String)],
) -> Result<(Vec<Change>, Vec<String>), ApplyError> {
    let mut nodes: Vec<String> = Vec::new();
    for name in wanted.iter().map(|w| &w.device).chain(recorded.iter().map(|(_, d)| d)) {
        if let Ok(Some(d)) = posture::resolve(devices, name)
            && !nodes.contains(&d.node_id)
        {
            nodes.push(d.node_id.clone());
        }
    }
    let mut current = BTreeMap::new();
    for n in nodes {
        let attrs = client.attributes(&n).await?;
        current.insert(n, attrs);
    }
    Ok(posture::plan(wanted, recorded, devices, &current)?)
}

/// Fetches the live policy for `import`: the text, minus what tailgrant itself merged into it
/// (its header and the entries labelled with a fragment), so that it can become the base.
/// The client only hands over a policy that parsed into an object; what is returned is
/// checked again, so that nothing else can ever land in the base file.
pub async fn import(client: &Client) -> Result<(String, LivePolicy), ApiError> {
    let live = client.policy().await?;
    let is_policy = |t: &str| crate::parse::parse(t.as_bytes()).is_ok_and(|v| v.as_object().is_some());
    match crate::merge::unmerge(&live.text) {
        Some(base) if is_policy(&base) => Ok((base, live)),
        _ => Err(ApiError::BadResponse {
            what: "importing the live policy",
            detail: "it does not parse as a policy object once tailgrant's entries are removed".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::sha256_hex;

    #[test]
    fn the_live_policy_is_ours_by_its_text_whatever_its_etag() {
        let rendered = "{}\n";
        let by_text = LivePolicy { text: rendered.into(), etag: "hashed-some-other-way".into() };
        let by_layout = LivePolicy { text: "{ }".into(), etag: "x".into() };
        let by_etag_alone = LivePolicy { text: "{\"acls\": []}\n".into(), etag: sha256_hex(rendered.as_bytes()) };
        assert!(is_ours(&by_text, rendered));
        assert!(is_ours(&by_layout, rendered));
        assert!(!is_ours(&by_etag_alone, rendered));
    }
}
