//! The simulator's own reading of HuJSON (JSON with comments and trailing commas), written
//! here rather than borrowed from tailgrant, so that nothing the simulator answers is computed
//! by the code under test: what it parses, the syntax error it reports and the ETag it hashes.
//!
//! One scanner splits a text into its pieces; `standardize` turns it into JSON for
//! `serde_json` (positions kept, so a syntax error names the line and column of the original),
//! and `layout_free` is what the ETag hashes.

use sha2::{Digest, Sha256};

/// A piece of HuJSON text, as the scanner meets it.
enum Piece<'t> {
    /// A string literal, quotes and escapes included (an unterminated one runs to the end).
    Str(&'t str),
    /// A `//` comment (without its newline) or a `/* */` comment, and whether it is closed (a
    /// `//` by a newline, as Go's HuJSON parser wants it too).
    Comment { text: &'t str, closed: bool },
    /// A comma, and whether it is trailing: after a value, with only space and comments
    /// between it and a closing bracket (`[,]` has none, and is an error).
    Comma { trailing: bool },
    /// A run of white space.
    Space(&'t str),
    /// Any other byte run: punctuation, numbers, literals.
    Other(&'t str),
}

/// Where the comment at `i` ends, and whether it is closed; `None` when none starts there.
fn comment_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    match (b.get(i), b.get(i + 1)) {
        (Some(b'/'), Some(b'/')) => {
            Some(b[i..].iter().position(|&c| c == b'\n').map_or((b.len(), false), |n| (i + n, true)))
        }
        (Some(b'/'), Some(b'*')) => {
            let rest = &b[i + 2..];
            Some(rest.windows(2).position(|w| w == b"*/").map_or((b.len(), false), |n| (i + 2 + n + 2, true)))
        }
        _ => None,
    }
}

fn scan<'t>(text: &'t str, mut piece: impl FnMut(Piece<'t>)) {
    let b = text.as_bytes();
    let mut i = 0;
    // Whether the last token was a value (or the end of one), which a comma may trail.
    let mut after_value = false;
    while i < b.len() {
        let start = i;
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            after_value = true;
            piece(Piece::Str(&text[start..i]));
        } else if let Some((end, closed)) = comment_end(b, i) {
            i = end;
            piece(Piece::Comment { text: &text[start..i], closed });
        } else if b[i] == b',' {
            let mut j = i + 1;
            loop {
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                match comment_end(b, j) {
                    Some((end, _)) => j = end,
                    None => break,
                }
            }
            i += 1;
            piece(Piece::Comma { trailing: after_value && matches!(b.get(j), Some(b']' | b'}')) });
            after_value = false;
        } else if b[i].is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            piece(Piece::Space(&text[start..i]));
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'"' | b',' | b'/') {
                i += 1;
            }
            // A lone `/` that starts no comment is a byte of its own (and a syntax error).
            i = i.max(start + 1);
            after_value = !matches!(b[i - 1], b'[' | b'{' | b':');
            piece(Piece::Other(&text[start..i]));
        }
    }
}

/// HuJSON to JSON: comments and trailing commas become spaces (a comment's newlines stay), so
/// every other byte keeps its line and column.
pub fn standardize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Byte for byte, so that a multi-byte character in a comment keeps the columns after it.
    let blank = |out: &mut String, s: &str| out.extend(s.bytes().map(|c| if c == b'\n' { '\n' } else { ' ' }));
    scan(text, |p| match p {
        Piece::Str(s) | Piece::Space(s) | Piece::Other(s) => out.push_str(s),
        Piece::Comment { text, closed: true } => blank(&mut out, text),
        // Left as it is, so that the JSON parser fails where it starts.
        Piece::Comment { text, closed: false } => out.push_str(text),
        Piece::Comma { trailing: true } => out.push(' '),
        Piece::Comma { trailing: false } => out.push(','),
    });
    out
}

/// The text without its layout: no white space between tokens, no trailing commas, comments
/// kept (a line comment without trailing blanks, and ended by a newline). Two texts that differ
/// only in layout, as Tailscale's formatter would make them agree, give the same string.
fn layout_free(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    scan(text, |p| match p {
        Piece::Str(s) | Piece::Other(s) => out.push_str(s),
        Piece::Comment { text, .. } if text.starts_with("//") => {
            out.push_str(text.trim_end());
            out.push('\n');
        }
        Piece::Comment { text, .. } => out.push_str(text),
        Piece::Comma { trailing } => {
            if !trailing {
                out.push(',');
            }
        }
        Piece::Space(_) => {}
    });
    out
}

/// The policy parsed, or where and why it does not parse: `hujson: line N, column M: …` as the
/// control plane words it, with serde_json's reason after it ([SIM]: Tailscale's differ).
pub fn parse(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(&standardize(text))
        .map_err(|e| format!("hujson: line {}, column {}: {}", e.line(), e.column(), reason(&e)))
}

/// serde_json's message without the " at line N column M" it appends.
fn reason(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

/// The ETag's hash: SHA-256 of the text without its layout when it parses (the real one hashes
/// `hujson.Format(text)`, which agrees on what is layout), of the bytes as they are otherwise.
/// tailgrant only echoes the ETag, so this need be no closer to Tailscale's than that.
pub fn etag_of(text: &str) -> String {
    let canonical = if parse(text).is_ok() { layout_free(text) } else { text.to_owned() };
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_trailing_commas_become_space_in_place() {
        let text = "{\"a\": [1, 2, /* é\n */ ], // y\n \"b\": \"//,]\",}";
        let json = standardize(text);
        assert_eq!(json, "{\"a\": [1, 2       \n    ],     \n \"b\": \"//,]\" }");
        assert_eq!(json.len(), text.len(), "every byte keeps its place");
    }

    #[test]
    fn a_syntax_error_names_the_original_line_and_column() {
        let e = parse("{\n  /* one\n two */ \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert!(e.starts_with("hujson: line 4, column 7: expected `:`"), "{e}");
        assert!(parse("{\"a\": [1, 2,], // fine\n}").is_ok());
        assert!(parse("{\"a\": 1,,}").is_err());
        assert!(parse("{\"a\": / 1}").is_err());
        // What Go's HuJSON parser refuses too: a comma after no value, an unclosed comment.
        for bad in [
            "{\"a\": [,]}",
            "{,}",
            "{\"a\": [ /* c */ , ]}",
            "{\"a\": 1} /* open",
            "{\"a\": 1} // no newline",
            "{\"a\": [1,,]}",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("{\"a\": [1, /* c */ ], \"b\": {\"c\": 2,},} // end\n").is_ok());
    }

    #[test]
    fn the_etag_ignores_layout_and_nothing_else() {
        let base = "{\n\t// who may reach the db\n\t\"acls\": [\n\t\t{\"src\": [\"a\"]},\n\t],\n}\n";
        let relaid = "{ // who may reach the db   \n \"acls\": [{\"src\":[\"a\"]}]}";
        assert_eq!(etag_of(base), etag_of(relaid));
        assert_eq!(etag_of(base).len(), 64);
        for other in [
            base.replace("who", "what"),
            base.replace("[\"a\"]", "[\"a \"]"),
            base.replace("// who may reach the db", "/* who may reach the db */"),
            base.replace("\t// who may reach the db\n", ""),
        ] {
            assert_ne!(etag_of(base), etag_of(&other), "{other}");
        }
        // Unparseable text is hashed as it is: its layout counts.
        assert_ne!(etag_of("{oops"), etag_of("{ oops"));
    }
}
