//! How a time-bounded fragment's access ends (`enforceExpiry` in the config), and the names
//! posture mode gives each such fragment: its attribute key, the posture that reads it, and
//! the postures that fold a rule's baseline posture in.
//!
//! In posture mode the control plane ends the access by itself: the fragment's rules are gated
//! on `custom:tg_<id> == true`, and apply sets that attribute with the fragment's expiry, which
//! Tailscale removes when it passes (the API's set-attribute `expiry`: "Tailscale will
//! automatically remove the attribute within a few minutes after the specified time"; device
//! posture, tailscale.com/kb/1288: an unset attribute matches no posture). Everything here is
//! pure: the same path always gives the same names, so render, check, apply and status agree
//! without sharing state.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fragment::Fragment;

/// `enforceExpiry`: what ends a time-bounded fragment's access.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EnforceExpiry {
    /// It drops out of the rendered policy, so the next `apply` removes it (apply runs on a
    /// schedule).
    #[default]
    Schedule,
    /// The control plane ends it on time: the fragment's rules are gated on a posture
    /// attribute that `apply` sets with the fragment's expiry.
    Posture,
    /// Any other string: `check` refuses it where it is written (TG004), so nothing is
    /// rendered or applied in a mode nobody chose.
    Unrecognized,
}

impl<'de> Deserialize<'de> for EnforceExpiry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match String::deserialize(d)?.as_str() {
            "schedule" => EnforceExpiry::Schedule,
            "posture" => EnforceExpiry::Posture,
            _ => EnforceExpiry::Unrecognized,
        })
    }
}

impl JsonSchema for EnforceExpiry {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EnforceExpiry".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["schedule", "posture"],
            "description": "`schedule`: a time-bounded fragment drops out of the rendered policy and the next apply removes it. `posture`: its rules are gated on a device posture attribute that apply sets with the fragment's expiry, so the control plane ends the access on time."
        })
    }
}

/// The prefix of every attribute key tailgrant sets for posture mode (`custom:tg_<id>`).
/// Keys are unique without regard to case, so it is matched that way.
pub(crate) const KEY_PREFIX: &str = "custom:tg_";

/// The prefix of the postures posture mode generates.
pub(crate) const POSTURE_PREFIX: &str = "posture:tg_";

/// Hex digits of the path's SHA-256 in an id: 64 bits, so that no grant file can be named to
/// share another's id (a second preimage), and `custom:tg_` + id is 26 characters, well under
/// the API's 50.
const ID_HEX: usize = 16;

/// A time-bounded fragment's gate in posture mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gate {
    /// Lowercase hex, from the fragment's path.
    pub(crate) id: String,
}

impl Gate {
    /// The gate of the fragment at `rel` (its path relative to the policies directory), when
    /// the mode is posture and the fragment expires; `None` otherwise.
    pub(crate) fn of(mode: EnforceExpiry, rel: &str, fragment: &Fragment) -> Option<Gate> {
        (mode == EnforceExpiry::Posture && fragment.expires.is_some()).then(|| Gate::for_path(rel))
    }

    /// The gate for a path, whatever the mode.
    pub fn for_path(rel: &str) -> Gate {
        let hex = hex_sha256(rel.as_bytes());
        Gate { id: hex[..ID_HEX].to_owned() }
    }

    /// `custom:tg_<id>`.
    pub fn key(&self) -> String {
        format!("{KEY_PREFIX}{}", self.id)
    }

    /// `custom:tg_<id> == true`.
    pub(crate) fn condition(&self) -> String {
        format!("{} == true", self.key())
    }

    /// `posture:tg_<id>`: the posture of a rule that had no posture requirement.
    pub(crate) fn posture(&self) -> String {
        format!("{POSTURE_PREFIX}{}", self.id)
    }

    /// The postures that replace a rule's posture requirement `alternatives` (its own
    /// `srcPosture`, or else `defaultSrcPosture`; any one of them suffices). A rule's own
    /// `srcPosture` replaces the default rather than adding to it (device posture docs), so
    /// the gate cannot simply be listed beside them: each alternative becomes a posture with
    /// its conditions and the gate's, and all are listed. Without alternatives it is the
    /// gate's posture alone.
    ///
    /// `conditions_of` gives a posture's conditions; for one that is not defined the generated
    /// posture has none (`None`), so that it matches nothing rather than drop the baseline
    /// (`check` reports the undefined posture).
    pub(crate) fn fold(
        &self,
        alternatives: &[String],
        conditions_of: impl Fn(&str) -> Option<Vec<String>>,
    ) -> Vec<(String, Option<Vec<String>>)> {
        if alternatives.is_empty() {
            return vec![(self.posture(), Some(vec![self.condition()]))];
        }
        let mut out: Vec<(String, Option<Vec<String>>)> = Vec::new();
        for alt in alternatives {
            let name = self.folded_name(alt);
            if out.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let conditions = conditions_of(alt).map(|mut c| {
                c.push(self.condition());
                c
            });
            out.push((name, conditions));
        }
        out
    }

    /// `posture:tg_<id>_<name>` for the alternative `posture:<name>` when the name is plain
    /// (letters, digits, `-`, `_`, at most 40), else `posture:tg_<id>_h<8 hex of the name>`.
    fn folded_name(&self, alternative: &str) -> String {
        let name = alternative.trim().strip_prefix("posture:").unwrap_or(alternative.trim());
        let plain = !name.is_empty()
            && name.len() <= 40
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if plain {
            format!("{}_{name}", self.posture())
        } else {
            format!("{}_h{}", self.posture(), &hex_sha256(alternative.as_bytes())[..8])
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `key` is in tailgrant's posture-mode namespace (`custom:tg_…`, any case).
pub(crate) fn is_gate_key(key: &str) -> bool {
    key.get(..KEY_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(KEY_PREFIX))
}

/// The gate id of a key in tailgrant's namespace, lowercased.
pub(crate) fn gate_id_of_key(key: &str) -> Option<String> {
    is_gate_key(key).then(|| key[KEY_PREFIX.len()..].to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expiring() -> Fragment {
        Fragment { expires: Some("2026-12-01T00:00:00Z".parse().unwrap()), ..Fragment::default() }
    }

    #[test]
    fn only_time_bounded_fragments_in_posture_mode_are_gated() {
        let rel = "grants/2026-11-22-alice-prod-db.hujson";
        assert!(Gate::of(EnforceExpiry::Schedule, rel, &expiring()).is_none());
        assert!(Gate::of(EnforceExpiry::Posture, rel, &Fragment::default()).is_none(), "permanent");
        let g = Gate::of(EnforceExpiry::Posture, rel, &expiring()).unwrap();
        assert_eq!(g, Gate::for_path(rel), "stable: from the path alone");
        assert_ne!(g, Gate::for_path("grants/other.hujson"));
        let key = g.key();
        assert!(key.len() <= 50, "{key}");
        assert!(key.strip_prefix("custom:").unwrap().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        assert_eq!(key, key.to_ascii_lowercase(), "one spelling, so no case-insensitive clash");
        assert_eq!(g.condition(), format!("{key} == true"));
        assert!(is_gate_key(&key) && is_gate_key("CUSTOM:TG_x") && !is_gate_key("custom:tgx"));
        assert_eq!(gate_id_of_key(&key.to_uppercase()).as_deref(), Some(g.id.as_str()));
    }

    #[test]
    fn baseline_alternatives_are_folded_in_one_posture_each() {
        let g = Gate::for_path("grants/a.hujson");
        assert_eq!(g.fold(&[], |_| None), [(g.posture(), Some(vec![g.condition()]))]);
        let defs = |p: &str| match p {
            "posture:mdm" => Some(vec!["custom:managed == true".to_owned()]),
            "posture:corp laptops" => Some(vec!["node:os == 'macos'".to_owned()]),
            _ => None,
        };
        let alts = ["posture:mdm".to_owned(), "posture:corp laptops".into(), "posture:gone".into()];
        let folded = g.fold(&alts, defs);
        assert_eq!(folded.len(), 3);
        assert_eq!(folded[0].0, format!("{}_mdm", g.posture()));
        assert_eq!(folded[0].1, Some(vec!["custom:managed == true".to_owned(), g.condition()]));
        assert!(folded[1].0.starts_with(&format!("{}_h", g.posture())), "{}", folded[1].0);
        assert_eq!(folded[2].1, None, "an undefined posture folds into one that matches nothing");
        assert_eq!(g.fold(&["posture:mdm".into(), "posture:mdm".into()], defs).len(), 1);
    }
}
