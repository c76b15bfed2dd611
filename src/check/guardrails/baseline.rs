//! TG214: a guarded fragment's rule may not trade the tailnet's posture baseline for its own.
//!
//! `defaultSrcPosture` gates every rule that has no `srcPosture` of its own, and a rule's own
//! list replaces the default instead of adding to it (device posture docs). So a grant file
//! that writes `"srcPosture": ["posture:any-os"]`, or an empty list, reaches its destination
//! from devices the baseline keeps out, and the reviewer sees only a posture being *added*.
//! A rule's list is provably no weaker when every posture in it is one of the default's, or a
//! trusted posture that requires all the conditions of one of them: a device meeting any of
//! them meets the baseline. Anything else is refused.
//!
//! Some sources no posture holds at all: addresses (traffic through a subnet router), `*`,
//! shared-in users. A guarded fragment that names one, as a rule's source or as a member it
//! adds to a group, escapes the baseline whatever its rules say, and is refused too.

use super::Guard;
use crate::check::expiry::outside_posture;
use crate::finding::{Code, Location};
use crate::model::expiry::Gate;
use crate::model::rule::{Section, fragment_sources};

/// What a finding says to do, by what it found.
const POSTURE_HELP: &str = "remove srcPosture so that the default applies, or list only postures that hold the default's \
     conditions; another posture belongs in the base policy, in its own reviewed pull request";
const SOURCE_HELP: &str = "name the tailnet's people, tags or groups who need the access; access from an address or \
     a shared-in user belongs in the base policy, in its own reviewed pull request";

impl Guard<'_, '_> {
    pub(super) fn posture_baseline(&mut self) {
        // The baseline, and the postures that may stand in for it, come from trusted ground
        // only: a fragment that wrote its own default (refused by TG003) or its own posture
        // must not widen what its rules may name.
        let trusted = self.ground.trusted;
        let defaults = &trusted.default_src_posture;
        let Some(first) = defaults.iter().find(|d| !d.postures.is_empty()) else { return };
        let baseline: Vec<&str> = defaults.iter().flat_map(|d| &d.postures).map(|p| &*p.text).collect();
        let named = baseline.join(", ");
        let related = first.origin.at(first.postures[0].at);
        let rel = &self.f.doc.file.rel;
        // Each trusted definition of a posture, as the set of its conditions' texts.
        let definitions = |name: &str| -> Vec<Vec<&str>> {
            trusted
                .postures
                .iter()
                .filter(|n| n.name == name)
                .map(|n| n.conditions.iter().map(|c| c.text.trim()).collect())
                .collect()
        };
        // A posture is no weaker than the baseline when it is one of its postures, or when
        // every definition of it requires all the conditions of one of them (a posture's
        // conditions must all hold).
        let holds_baseline = |p: &str| {
            if baseline.contains(&p) {
                return true;
            }
            let mine = definitions(p);
            !mine.is_empty()
                && mine.iter().all(|have| {
                    baseline.iter().any(|b| {
                        let theirs = definitions(b);
                        !theirs.is_empty() && theirs.iter().all(|need| need.iter().all(|c| have.contains(c)))
                    })
                })
        };
        let mut found = Vec::new();
        for section in [Section::Acls, Section::Grants, Section::Ssh] {
            for (entry, rule) in self.view.rules(section) {
                if entry.origin.file.rel != *rel {
                    continue;
                }
                let (Some(own), Some(list)) = (&rule.src_posture, rule.src_posture_list) else { continue };
                let at = Location::new(&self.f.doc.file, list.span());
                let weaker: Vec<&str> = own.iter().map(|p| &*p.text).filter(|p| !holds_baseline(p)).collect();
                let why = if own.is_empty() {
                    "this rule's own srcPosture lists no posture".to_owned()
                } else if weaker.is_empty() {
                    continue;
                } else {
                    format!(
                        "this rule's own srcPosture names {}, which does not hold the default's conditions",
                        weaker.join(", ")
                    )
                };
                found.push((at, why, POSTURE_HELP));
            }
        }
        // A posture of the fragment's own whose name is a trusted posture's but for case or
        // blanks (one of the baseline's, or one that may stand in for it): whichever of the two
        // the control plane takes for a rule's reference, what it requires is no longer the
        // repository's to prove.
        for p in self.view.postures.iter().filter(|p| p.origin.file.rel == *rel) {
            let name = p.name.trim();
            let like = |t: &str| t.trim().eq_ignore_ascii_case(name);
            if baseline.iter().any(|b| like(b)) || trusted.postures.iter().any(|t| like(&t.name)) {
                let at = Location::new(&self.f.doc.file, p.key.span());
                let why = format!("this fragment defines {:?}, named like a trusted posture", p.name);
                found.push((at, why, POSTURE_HELP));
            }
        }
        // Posture mode refuses these sources in a time-bounded fragment already (TG056).
        let gated = Gate::of(self.view.enforce_expiry, rel, &self.f.fragment).is_some();
        for (src, v) in fragment_sources(&self.f.doc.tree).into_iter().filter(|_| !gated) {
            if let Some(why) = outside_posture(self.view, &src) {
                found.push((Location::new(&self.f.doc.file, v.span()), format!("source {why}"), SOURCE_HELP));
            }
        }
        for (at, why, help) in found {
            self.report(
                Code::PostureBaselineDropped,
                at,
                format!(
                    "{why}; the policy's defaultSrcPosture ({named}) would not hold this access, so devices \
                     that meet none of those could use it"
                ),
                help,
            )
            .related
            .push((related.clone(), "the tailnet's baseline".into()));
        }
    }
}
