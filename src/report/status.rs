//! `tailgrant status` for people and scripts, and the posture-mode lines of `apply`'s summary.
//! Paths, keys and device names come from the live tailnet (the server's text): every one is
//! escaped and capped before it is printed.

use crate::apply::GateOutcome;
use crate::apply::gates::Why;
use crate::apply::status::{AttributeState, PastExpiry, Status, Verdict, past};
use crate::redact::untrusted;

fn text(s: &str) -> String {
    untrusted(s, 200)
}

fn devices(list: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut shown: Vec<String> = list.iter().take(SHOWN).map(|d| text(d)).collect();
    if list.len() > SHOWN {
        shown.push(format!("and {} more", list.len() - SHOWN));
    }
    shown.join(", ")
}

fn fragment_line(p: &PastExpiry, what: &str) -> String {
    let expires = p.expires.map_or("permanent".to_owned(), |e| e.to_string());
    let mut line = format!("  {}: {what} (expires {expires}", text(&p.fragment));
    if p.seconds_past > 0 {
        line.push_str(&format!(", {} ago", past(p.seconds_past)));
    }
    line.push(')');
    match &p.gate_key {
        Some(k) if p.devices.is_empty() => line.push_str(&format!("; no device holds {}", text(k))),
        Some(k) => line.push_str(&format!("; {} still on {}", text(k), devices(&p.devices))),
        None => line.push_str("; its rules are in the live policy until the next apply"),
    }
    line.push('\n');
    line
}

fn attribute_line(a: &AttributeState) -> String {
    let from = a.fragment.as_deref().map_or(String::new(), |f| format!(" ({})", text(f)));
    let until = a.expiry.map_or(String::new(), |e| format!(", expires {e}"));
    format!("  {} on {}{from}{until}: {}\n", text(&a.key), text(&a.device), a.why)
}

pub fn human(s: &Status) -> String {
    let mut out = String::new();
    let mode = match s.enforce_expiry {
        crate::model::expiry::EnforceExpiry::Posture => "posture (the control plane ends access on time)",
        _ => "schedule (apply removes expired access)",
    };
    out.push_str(&format!("status at {} — enforceExpiry: {mode}\n", s.at));
    out.push_str(match (s.header, s.drift) {
        ("edited", _) => {
            "policy: DRIFT: edited outside tailgrant since it last applied (tailgrant import, or apply --force)\n"
        }
        ("missing", true) => "policy: DRIFT: not written by tailgrant (tailgrant import, or apply --force)\n",
        ("missing", false) => "policy: the base policy, not yet applied by tailgrant\n",
        _ if s.policy_current => "policy: what the repository renders now\n",
        _ => "policy: written by tailgrant, but not what the repository renders now: apply is due\n",
    });
    match s.console.as_ref().map(|c| (c, c.problem())) {
        Some((_, Some(problem))) => out.push_str(&format!("warning: {problem}\n")),
        Some((c, None)) => {
            out.push_str(&format!("admin console: locked, pointing at {}\n", crate::model::text::one_line(&c.link)))
        }
        None => {}
    }
    for p in &s.live_past_expiry {
        out.push_str(&fragment_line(p, "LIVE PAST ITS EXPIRY"));
    }
    for p in &s.revoked_but_live {
        out.push_str(&fragment_line(p, "LIVE, but no longer in the repository"));
    }
    for p in &s.inert {
        out.push_str(&fragment_line(p, "ended by the control plane; its rules match no device"));
    }
    if !s.unexplained.is_empty() {
        out.push_str(&format!("posture-mode attributes no active grant file explains ({}):\n", s.unexplained.len()));
        s.unexplained.iter().for_each(|a| out.push_str(&attribute_line(a)));
    }
    if !s.missing.is_empty() {
        out.push_str(&format!(
            "devices missing their attribute ({}; their access is off until the next apply):\n",
            s.missing.len()
        ));
        s.missing.iter().for_each(|a| out.push_str(&attribute_line(a)));
    }
    out.push_str(&format!(
        "{}; {} devices' attributes read\n",
        match s.verdict() {
            Verdict::InSync => "in sync",
            Verdict::LivePastExpiry => "NOT IN SYNC: access is live that the repository does not grant now",
            Verdict::Drift => "NOT IN SYNC: drift",
        },
        s.devices_read
    ));
    out
}

/// The same as JSON, with strings as the server sent them (JSON escapes what needs it).
pub fn json(s: &Status) -> String {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        let verdict = match s.verdict() {
            Verdict::InSync => "in-sync",
            Verdict::LivePastExpiry => "live-past-expiry",
            Verdict::Drift => "drift",
        };
        o.insert("verdict".into(), verdict.into());
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// `apply`'s lines about posture mode's attributes.
pub(crate) fn gates(g: &GateOutcome, dry_run: bool) -> String {
    if !g.enabled && g.plan.is_empty() && !g.reconciled {
        return String::new();
    }
    let verb = if dry_run { "would " } else { "" };
    let mut out = String::new();
    for s in &g.plan.set {
        let names: Vec<String> = s.devices.iter().map(|(_, d)| d.clone()).collect();
        out.push_str(&format!(
            "posture mode: {verb}set {}=true until {} on {} ({})\n",
            s.key,
            s.expiry,
            devices(&names),
            text(&s.fragment)
        ));
    }
    for r in &g.plan.remove {
        let why = match &r.why {
            Why::Ended { fragment } => format!("{} ended", text(fragment)),
            Why::Unexplained => "UNEXPLAINED: no grant file sets it".to_owned(),
        };
        out.push_str(&format!("posture mode: {verb}remove {} from {} ({why})\n", text(&r.key), text(&r.device)));
    }
    if g.plan.is_empty() {
        out.push_str(if g.reconciled {
            "posture mode: every device's attributes read; nothing to change\n"
        } else {
            "posture mode: unchanged since the last apply (the devices and grant files give the digest it recorded)\n"
        });
    }
    out
}
