//! The rendered file's header: a note for people and the hash that tells tailgrant whether the
//! live policy is still what it rendered.

use sha2::{Digest, Sha256};

use crate::model::text::{escape_reversibly, unescape};
use crate::parse::Bytes;

/// The header line that carries the body's hash.
pub const HEADER_HASH_PREFIX: &str = "// tailgrant-sha256: ";

/// A header line naming a posture attribute tailgrant set: `<key> <device>`.
pub(super) const POSTURE_PREFIX: &str = "// tailgrant-posture: ";

/// A header line, above the hash and so outside what it covers, where `apply` records the
/// digest of the posture-mode attributes it last made true (`apply::gates`). It is a hint
/// that lets a run with nothing to change skip reading every device: an edit to it can only
/// make apply read them all, or miss a change until the next full reconcile, which
/// `tailgrant status` reports either way.
pub(super) const APPLIED_PREFIX: &str = "// tailgrant-applied: ";

/// Placeholder the hash replaces once the body is known; same length as a hex SHA-256.
const UNSEALED: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Puts the header comment above the tree's own leading comments. It goes in before
/// formatting because comments change how Tailscale's formatter lays out a plain-JSON file
/// (trailing commas), and the rendered file must be a fixed point of that formatter.
///
/// `posture` lists the device posture attributes the active fragments set, as `(key, device)`.
/// They are recorded in the body, under the hash, because the API does not say who set an
/// attribute: the next apply reads them back from the live policy to know which attributes
/// are tailgrant's to remove.
pub(super) fn attach(tree: &mut crate::parse::Value, base_rel: &str, posture: &[(String, String)]) {
    let mut before = format!(
        "// Rendered by tailgrant from {base_rel} and the fragments active when it was applied.\n\
         // Edit those files in git, not this policy: tailgrant refuses to overwrite edits made elsewhere.\n\
         {HEADER_HASH_PREFIX}{UNSEALED}\n"
    );
    // Keys and device names come from fragments: escaped, so that neither can end the line
    // or lose its edges to the trimming that reads it back.
    // An attribute without a device can never be set (`TG055` refuses it): nothing to record.
    for (key, device) in posture.iter().filter(|(_, d)| !d.is_empty()) {
        let (key, device) = (field(key, true), field(device, false));
        before.push_str(&format!("{POSTURE_PREFIX}{key} {device}\n"));
    }
    let mut before = before.into_bytes();
    before.extend_from_slice(tree.before.trim_ascii_start());
    tree.before = Bytes::from_vec(before);
}

/// A posture line's field, escaped so that nothing in it can end the line, split it (a key is
/// split off at the first space) or be lost to trimming at its edges.
fn field(s: &str, is_key: bool) -> String {
    let e = escape_reversibly(s);
    let n = e.chars().count();
    let mut out = String::with_capacity(e.len());
    for (i, c) in e.chars().enumerate() {
        let edge = i == 0 || i + 1 == n;
        if c.is_whitespace() && (is_key || edge) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Fills in the hash of the body (everything after the hash line) in a formatted file.
pub(super) fn seal(text: String) -> (String, String) {
    let marker = format!("{HEADER_HASH_PREFIX}{UNSEALED}\n");
    let Some(at) = text.find(&marker) else {
        let hash = sha256_hex(text.as_bytes());
        return (text, hash);
    };
    let hash = sha256_hex(&text.as_bytes()[at + marker.len()..]);
    let mut sealed = text;
    let start = at + HEADER_HASH_PREFIX.len();
    sealed.replace_range(start..start + UNSEALED.len(), &hash);
    (sealed, hash)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a policy's text is one tailgrant rendered and nobody has edited since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderState {
    /// No tailgrant header: never applied by tailgrant, or the header was removed.
    Missing,
    /// The body hashes to the header's hash.
    Intact { hash: String },
    /// The body was changed after tailgrant wrote it.
    Edited { recorded: String, actual: String },
}

/// The posture attributes a rendered policy records, as `(key, device)`.
pub fn recorded_posture(text: &str) -> Vec<(String, String)> {
    text.lines()
        .take_while(|l| l.starts_with("//"))
        .filter_map(|l| l.strip_prefix(POSTURE_PREFIX))
        .filter_map(|rest| rest.trim_end_matches(['\r', '\n']).split_once(' '))
        .map(|(k, d)| (unescape(k).into_owned(), unescape(d.trim()).into_owned()))
        .collect()
}

/// Removes tailgrant's header lines from the comments before a rendered policy.
pub(super) fn detach(tree: &mut crate::parse::Value) {
    let before = String::from_utf8_lossy(&tree.before).into_owned();
    let mut rest = before.as_str();
    while let Some(line) = rest.split_inclusive('\n').next() {
        let ours = [
            "// Rendered by tailgrant from ",
            "// Edit those files in git, not this policy:",
            HEADER_HASH_PREFIX,
            POSTURE_PREFIX,
            APPLIED_PREFIX,
        ]
        .iter()
        .any(|p| line.starts_with(p));
        if !ours {
            break;
        }
        rest = &rest[line.len()..];
    }
    tree.before = Bytes::from_slice(rest.trim_start_matches('\n').as_bytes());
}

/// The digest a policy's header records, if it records one.
pub fn applied_digest(text: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.starts_with("//"))
        .find_map(|l| l.strip_prefix(APPLIED_PREFIX))
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A rendered policy with `digest` recorded above its hash line (in place of any recorded).
pub fn with_applied_digest(text: &str, digest: &str) -> String {
    let mut out = String::with_capacity(text.len() + APPLIED_PREFIX.len() + digest.len() + 1);
    let mut header = true;
    for line in text.split_inclusive('\n') {
        if header && line.starts_with(APPLIED_PREFIX) {
            continue;
        }
        if header && line.starts_with(HEADER_HASH_PREFIX) {
            out.push_str(&format!("{APPLIED_PREFIX}{digest}\n"));
            header = false;
        }
        if !line.starts_with("//") {
            header = false;
        }
        out.push_str(line);
    }
    out
}

pub fn verify_header(text: &str) -> HeaderState {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !line.starts_with("//") {
            break;
        }
        offset += line.len();
        if let Some(rest) = line.strip_prefix(HEADER_HASH_PREFIX) {
            let recorded = rest.trim().to_owned();
            let actual = sha256_hex(&text.as_bytes()[offset..]);
            return if recorded == actual {
                HeaderState::Intact { hash: actual }
            } else {
                HeaderState::Edited { recorded, actual }
            };
        }
    }
    HeaderState::Missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_edits() {
        let mut tree = crate::parse::parse(b"{\"acls\": []}").unwrap();
        attach(&mut tree, "policy.hujson", &[("custom:a".into(), "laptop".into())]);
        crate::parse::format(&mut tree);
        let (text, hash) = seal(String::from_utf8(tree.pack()).unwrap());
        assert_eq!(verify_header(&text), HeaderState::Intact { hash });
        assert_eq!(recorded_posture(&text), [("custom:a".to_owned(), "laptop".to_owned())]);
        let edited = text.replace("[]", "[1]");
        assert!(matches!(verify_header(&edited), HeaderState::Edited { .. }));
        assert_eq!(verify_header("{}\n"), HeaderState::Missing);
    }

    /// A device name cannot end its header line: it is escaped and read back as it was.
    #[test]
    fn posture_lines_round_trip_hostile_names() {
        let posture = [
            ("custom:a".to_owned(), "Alice's MacBook Pro".to_owned()),
            ("custom:b".to_owned(), "x\n// tailgrant-posture: custom:victim db\n{".to_owned()),
            ("custom:c".to_owned(), "back\\slash\u{202e}".to_owned()),
        ];
        let mut tree = crate::parse::parse(b"{\"acls\": []}").unwrap();
        attach(&mut tree, "policy.hujson", &posture);
        crate::parse::format(&mut tree);
        let (text, _) = seal(String::from_utf8(tree.pack()).unwrap());
        assert_eq!(recorded_posture(&text), posture);
        assert_eq!(text.lines().filter(|l| l.starts_with(POSTURE_PREFIX)).count(), 3, "{text}");
        assert!(crate::parse::parse(text.as_bytes()).unwrap().as_object().unwrap().members.len() == 1);
    }
}
