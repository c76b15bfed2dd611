//! The rendered file's header: a note for people and the hash that tells tailgrant whether the
//! live policy is still what it rendered.

use sha2::{Digest, Sha256};

/// The header line that carries the body's hash.
pub const HEADER_HASH_PREFIX: &str = "// tailgrant-sha256: ";

/// Prepends the header to a formatted body; returns the file and the body's hash.
pub fn prepend(base_rel: &str, body: &str) -> (String, String) {
    let hash = sha256_hex(body.as_bytes());
    let text = format!(
        "// Rendered by tailgrant from {base_rel} and the fragments active when it was applied.\n\
         // Edit those files in git, not this policy: tailgrant refuses to overwrite edits made elsewhere.\n\
         {HEADER_HASH_PREFIX}{hash}\n{body}"
    );
    (text, hash)
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
        let (text, hash) = prepend("policy.hujson", "{\"acls\": []}\n");
        assert_eq!(verify_header(&text), HeaderState::Intact { hash });
        let edited = text.replace("[]", "[1]");
        assert!(matches!(verify_header(&edited), HeaderState::Edited { .. }));
        assert_eq!(verify_header("{}\n"), HeaderState::Missing);
    }
}
