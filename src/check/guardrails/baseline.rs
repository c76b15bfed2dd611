//! TG214: a guarded fragment's rule may not trade the tailnet's posture baseline for its own.
//!
//! `defaultSrcPosture` gates every rule that has no `srcPosture` of its own, and a rule's own
//! list replaces the default instead of adding to it (device posture docs). So a grant file
//! that writes `"srcPosture": ["posture:any-os"]`, or an empty list, reaches its destination
//! from devices the baseline keeps out, and the reviewer sees only a posture being *added*.
//! A rule's list is provably no weaker when every posture in it is one of the default's:
//! a device meeting any of them meets the baseline. Anything else is refused.

use super::Guard;
use crate::finding::{Code, Location};
use crate::model::rule::Section;

impl Guard<'_, '_> {
    pub(super) fn posture_baseline(&mut self) {
        // The baseline comes from trusted ground only: a fragment that wrote its own default
        // (refused by TG003) must not widen what its rules may name.
        let defaults = &self.ground.trusted.default_src_posture;
        let Some(first) = defaults.iter().find(|d| !d.postures.is_empty()) else { return };
        let baseline: Vec<&str> = defaults.iter().flat_map(|d| &d.postures).map(|p| &*p.text).collect();
        let named = baseline.join(", ");
        let related = first.origin.at(first.postures[0].at);
        let rel = &self.f.doc.file.rel;
        let mut found = Vec::new();
        for section in [Section::Acls, Section::Grants, Section::Ssh] {
            for (entry, rule) in self.view.rules(section) {
                if entry.origin.file.rel != *rel {
                    continue;
                }
                let (Some(own), Some(list)) = (&rule.src_posture, rule.src_posture_list) else { continue };
                let at = Location::new(&self.f.doc.file, list.span());
                let outside: Vec<&str> = own.iter().map(|p| &*p.text).filter(|p| !baseline.contains(p)).collect();
                let why = if own.is_empty() {
                    "lists no posture".to_owned()
                } else if outside.is_empty() {
                    continue;
                } else {
                    format!("names {}, not in the default", outside.join(", "))
                };
                found.push((at, why));
            }
        }
        for (at, why) in found {
            self.report(
                Code::PostureBaselineDropped,
                at,
                format!(
                    "this rule's own srcPosture {why}; it replaces the policy's defaultSrcPosture ({named}), so \
                     devices that meet none of those could use this access"
                ),
                format!(
                    "remove srcPosture so that the default applies, or list only postures of the default ({named}); \
                     another posture belongs in the base policy, in its own reviewed pull request"
                ),
            )
            .related
            .push((related.clone(), "the tailnet's baseline".into()));
        }
    }
}
