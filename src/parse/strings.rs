//! JSON string literals: validation, decoding, and the minimal encoding Tailscale's formatter
//! writes (only `"`, `\` and control characters are escaped).

/// Decodes a quoted JSON string literal. Lone surrogates become U+FFFD, as in Go.
/// Returns `None` if the literal is not a valid JSON string.
pub(crate) fn decode(lit: &[u8]) -> Option<String> {
    let inner = lit.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let text = std::str::from_utf8(inner).ok()?;
    if !text.contains('\\') {
        return (!text.bytes().any(|b| b < 0x20 || b == b'"')).then(|| text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\0'..='\x1f' => return None,
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '/' => out.push('/'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hi = hex4(&mut chars)?;
                    if (0xD800..0xDC00).contains(&hi) {
                        // A high surrogate pairs only with an immediately following \uDC00-\uDFFF.
                        let rest = chars.as_str();
                        if let Some(tail) = rest.strip_prefix("\\u") {
                            let mut look = tail.chars();
                            if let Some(lo) = hex4(&mut look).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                                chars = look;
                                continue;
                            }
                        }
                        out.push('\u{FFFD}');
                    } else {
                        out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                    }
                }
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// Encodes `s` as a JSON string literal the way Tailscale's HuJSON formatter does.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True if `lit` is one of the JSON literals: a string, a number, `true`, `false` or `null`.
pub(crate) fn is_valid_literal(lit: &[u8]) -> bool {
    match lit.first() {
        Some(b'"') => is_valid_string(lit),
        Some(b'-' | b'0'..=b'9') => is_number(lit),
        _ => matches!(lit, b"true" | b"false" | b"null"),
    }
}

/// Whether a quoted literal is a valid JSON string, without decoding it.
fn is_valid_string(lit: &[u8]) -> bool {
    let Some(inner) = lit.strip_prefix(b"\"").and_then(|l| l.strip_suffix(b"\"")) else { return false };
    if std::str::from_utf8(inner).is_err() {
        return false;
    }
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'"' | 0..=0x1f => return false,
            b'\\' => match inner.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                Some(b'u') if inner.len() >= i + 6 && inner[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit) => i += 6,
                _ => return false,
            },
            _ => i += 1,
        }
    }
    true
}

fn is_number(b: &[u8]) -> bool {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_surrogates() {
        assert_eq!(decode(br#""a\nb\u00e9\/""#).as_deref(), Some("a\nbé/"));
        assert_eq!(decode(br#""\ud83d\ude00""#).as_deref(), Some("😀"));
        assert_eq!(decode(br#""\ud83d x""#).as_deref(), Some("\u{FFFD} x"));
        assert_eq!(decode(br#""\x""#), None);
        assert_eq!(decode(b"\"a\tb\""), None, "raw control characters are not allowed");
    }

    #[test]
    fn validation_agrees_with_decoding() {
        for lit in [&br#""a""#[..], br#""\u00e9\n""#, br#""\x""#, b"\"a\tb\"", br#""\u12""#, br#""a\""#, b"\"\xff\""] {
            assert_eq!(is_valid_literal(lit), decode(lit).is_some(), "{}", String::from_utf8_lossy(lit));
        }
    }

    #[test]
    fn encodes_minimally() {
        assert_eq!(encode("a\"b\\c\u{1}é/<"), r#""a\"b\\c\u0001é/<""#);
    }

    #[test]
    fn numbers_follow_json() {
        for ok in ["0", "-1", "1.5e+3", "10", "0.0"] {
            assert!(is_valid_literal(ok.as_bytes()), "{ok}");
        }
        for bad in ["01", "+1", "1.", ".5", "1e", "-", "0x10", "NaN", "tru"] {
            assert!(!is_valid_literal(bad.as_bytes()), "{bad}");
        }
    }
}
