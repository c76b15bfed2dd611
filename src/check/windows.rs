//! A fragment's validity window: it must be able to become active, and people should hear
//! about expiry before it happens.

use jiff::Timestamp;

use crate::finding::{Code, Finding, Location};
use crate::load::FragmentFile;
use crate::model::{Config, Status};
use crate::parse::Span;

pub(super) fn check(f: &FragmentFile, at: Timestamp, config: &Config, findings: &mut Vec<Finding>) {
    let frag = &f.fragment;
    let at_key = |key: &str| -> Location {
        let span: Span = f.doc.tree.as_object().and_then(|o| o.get_ci(key)).map_or(0..0, |m| m.value.span());
        Location::new(&f.doc.file, span)
    };
    if let (Some(nb), Some(exp)) = (frag.not_before, frag.expires)
        && nb >= exp
    {
        findings.push(
            Finding::new(
                Code::InvalidWindow,
                at_key("expires"),
                format!("expires ({exp}) is not after notBefore ({nb}), so the fragment is never active"),
                "set expires later than notBefore",
            )
            .related(at_key("notBefore"), "notBefore"),
        );
        return;
    }
    let Some(exp) = frag.expires else { return };
    match frag.status(at) {
        Status::Expired => findings.push(Finding::new(
            Code::Expired,
            at_key("expires"),
            format!("expired at {exp}; it contributes nothing"),
            "delete the file (`tailgrant prune --delete`), or renew it with a new expiry in a new pull request",
        )),
        Status::Active if exp.duration_since(at) <= warn_window(frag.not_before, exp, config) => {
            let left = exp.duration_since(at);
            findings.push(Finding::new(
                Code::ExpiresSoon,
                at_key("expires"),
                format!("expires at {exp}, in {}", human_duration(left)),
                "if the access is still needed, open a pull request that extends it",
            ));
        }
        _ => {}
    }
}

/// How long before `expires` TG054 warns: the config's `warnBefore`, but never more than the
/// last quarter of the fragment's own window, so that a short grant does not warn the moment
/// it is written (an 8-hour grant warns in its last 2 hours).
fn warn_window(not_before: Option<Timestamp>, expires: Timestamp, config: &Config) -> jiff::SignedDuration {
    match not_before {
        Some(nb) => config.warn_before.0.min(expires.duration_since(nb) / 4),
        None => config.warn_before.0,
    }
}

/// `2d 3h`, `5h 10m`, `42m`.
pub(crate) fn human_duration(d: jiff::SignedDuration) -> String {
    let mins = d.as_secs().max(0) / 60;
    let (days, hours, mins) = (mins / 1440, mins / 60 % 24, mins % 60);
    match (days, hours) {
        (0, 0) => format!("{mins}m"),
        (0, h) => format!("{h}h {mins}m"),
        (d, h) => format!("{d}d {h}h"),
    }
}
