//! Characters that make text read differently from what it is, and the escapes that make them
//! visible. Strings from grant files reach comments in the rendered policy, pull-request
//! comments, annotations and terminals; a newline there can start a live rule, a bidi control
//! can make a reviewer read `alice` where the file says `eve`, and an escape sequence can
//! rewrite a terminal. Every output that carries such text escapes it with these functions, so
//! safety does not depend on every caller remembering a check.

use std::borrow::Cow;

/// Characters that hide or reorder text: controls (C0 but tab, C1, DEL), line and paragraph
/// separators, bidi embeddings, overrides, isolates and marks, and invisible format characters
/// (zero-width spaces and joiners, word joiners, deprecated format controls, the byte-order
/// mark, soft hyphens, Hangul and Mongolian fillers that render as nothing, shorthand format
/// controls, the Unicode tag block used to smuggle invisible ASCII).
pub(crate) fn is_deceptive(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0b'..='\x0c' | '\x0e'..='\x1f' | '\x7f'..='\u{9f}'
        | '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}'
        | '\u{3164}' | '\u{feff}' | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}'
        | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e007f}')
}

/// Whether `s` mixes Latin letters with Greek or Cyrillic ones, the scripts whose letters pass
/// for Latin (`аlice` with a Cyrillic `а`): in a login or selector, that is a disguise.
pub(crate) fn mixes_lookalike_scripts(s: &str) -> bool {
    let latin = s.chars().any(|c| c.is_ascii_alphabetic());
    let lookalike =
        s.chars().any(|c| matches!(c, '\u{370}'..='\u{3ff}' | '\u{400}'..='\u{52f}' | '\u{1f00}'..='\u{1fff}'));
    latin && lookalike
}

/// Like [`is_deceptive`], and line breaks and tabs too: for text that must stay on one line.
pub(crate) fn breaks_line(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t') || is_deceptive(c)
}

/// `s` with every character that would hide, reorder or break it written as `\u{XXXX}`, for
/// one-line output (a table cell, an annotation title, a message). Not reversible: use
/// [`escape_reversibly`] where the text is read back.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape_where(s, breaks_line, false)
}

/// `s` with deceptive characters written as `\u{XXXX}`, line breaks and tabs kept: for
/// multi-line output such as a quoted source snippet or a diff. A carriage return is kept only
/// before a line feed: alone, it sends a terminal back to overwrite the line.
pub(crate) fn multi_line(s: &str) -> Cow<'_, str> {
    let lone_cr = |s: &str| s.match_indices('\r').any(|(i, _)| s.as_bytes().get(i + 1) != Some(&b'\n'));
    if !s.chars().any(is_deceptive) && !lone_cr(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if is_deceptive(c) || (c == '\r' && chars.peek() != Some(&'\n')) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` on one line with `\` doubled and every line-breaking or deceptive character as
/// `\u{XXXX}`, so that [`unescape`] gives `s` back: for text tailgrant writes into the rendered
/// policy's comments and reads again (labels, the header's posture lines).
pub(crate) fn escape_reversibly(s: &str) -> Cow<'_, str> {
    escape_where(s, breaks_line, true)
}

/// A path as a label or header shows it: [`escape_reversibly`], and commas too, so that a
/// file named `x, expires soon.hujson` cannot pass for a label's own `, expires ` field when
/// the label is read back.
pub(crate) fn escape_path(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| breaks_line(c) || c == ',', true)
}

/// The inverse of [`escape_reversibly`] and [`escape_path`]. A backslash not followed by `\` or a well-formed
/// `u{...}` is kept as it is.
pub(crate) fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        if let Some(after) = tail.strip_prefix('\\') {
            out.push('\\');
            rest = after;
            continue;
        }
        let decoded = tail.strip_prefix("u{").and_then(|t| {
            let end = t.find('}')?;
            let c = char::from_u32(u32::from_str_radix(&t[..end], 16).ok()?)?;
            Some((c, &t[end + 1..]))
        });
        match decoded {
            Some((c, after)) => {
                out.push(c);
                rest = after;
            }
            None => {
                out.push('\\');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn escape_where(s: &str, unsafe_char: impl Fn(char) -> bool, backslash: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| unsafe_char(c) || (backslash && c == '\\')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if backslash && c == '\\' {
            out.push_str("\\\\");
        } else if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with each deceptive character replaced by placeholder bytes of the same length, so
/// byte offsets into it stay valid: for quoting a file's lines under a finding's span.
pub(crate) fn same_length_placeholder(text: &str) -> Cow<'_, str> {
    let lone_cr = |i: usize| text.as_bytes().get(i + 1) != Some(&b'\n');
    if !text.char_indices().any(|(i, c)| is_deceptive(c) || (c == '\r' && lone_cr(i))) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if is_deceptive(c) || (c == '\r' && lone_cr(i)) {
            match c.len_utf8() {
                3 => out.push('\u{FFFD}'),
                n => out.extend(std::iter::repeat_n('?', n)),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deceptive_characters() {
        for c in
            ['\0', '\x1b', '\x7f', '\u{85}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{2028}', '\u{feff}', '\u{e0041}']
        {
            assert!(is_deceptive(c), "{:04X}", c as u32);
        }
        for c in ['\u{2062}', '\u{206a}', '\u{3164}', '\u{1bca1}', '\u{180b}'] {
            assert!(is_deceptive(c), "{:04X}", c as u32);
        }
        assert!(mixes_lookalike_scripts("\u{430}lice@example.com"));
        assert!(!mixes_lookalike_scripts("алиса@пример.рф") && !mixes_lookalike_scripts("alice@example.com"));
        for c in ['a', 'é', 'Ж', '€', '\u{fe0f}', '😀', ' '] {
            assert!(!is_deceptive(c), "{:04X}", c as u32);
        }
        assert!(!is_deceptive('\n') && breaks_line('\n') && breaks_line('\t'));
    }

    #[test]
    fn escapes_are_visible_and_reversible() {
        assert_eq!(one_line("bob@example.com"), "bob@example.com");
        assert_eq!(one_line("bob\n{\"action\"}"), "bob\\u{000A}{\"action\"}");
        assert_eq!(one_line("a\u{202e}b"), "a\\u{202E}b");
        assert_eq!(multi_line("a\nb\x1b[2J"), "a\nb\\u{001B}[2J");
        assert_eq!(multi_line("ok\r\nfine\rEVIL"), "ok\r\nfine\\u{000D}EVIL");
        for s in ["plain", "back\\slash", "new\nline", "\\u{41}", "tab\there\u{2029}", "\\", "é\u{e0041}"] {
            let e = escape_reversibly(s);
            assert!(!e.chars().any(breaks_line), "{e}");
            assert_eq!(unescape(&e), s, "{s:?} via {e:?}");
        }
        assert_eq!(unescape("a\\qb\\u{zz}"), "a\\qb\\u{zz}");
    }

    #[test]
    fn placeholders_keep_offsets() {
        let text = "a\u{202e}b\x1bc\u{61c}d\r\ne\rf";
        let p = same_length_placeholder(text);
        assert_eq!(p.len(), text.len());
        assert_eq!(p, "a\u{FFFD}b?c??d\r\ne?f");
    }
}
