//! The HuJSON parser. It accepts exactly what Tailscale's parser accepts (RFC 8259 JSON plus
//! `//` and `/* */` comments and one trailing comma per object or array) and reports errors
//! with the same reasons and positions, so a user sees what the control plane would say.

use super::ast::{Array, Bytes, Member, Node, Object, Value};
use super::strings::is_valid_literal;

/// Deeper nesting is refused instead of risking the stack. serde_json, which decodes the
/// standardised text, has the same limit; real policies nest fewer than ten levels.
pub const MAX_DEPTH: usize = 128;

/// A syntax error at a byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SyntaxError {
    pub offset: usize,
    pub reason: String,
}

/// Parses a whole HuJSON document. Offsets in spans are byte offsets into `src`.
pub fn parse(src: &[u8]) -> Result<Value, SyntaxError> {
    // Values keep 32-bit offsets. No policy comes near this (Tailscale's limit is a megabyte).
    if u32::try_from(src.len()).is_err() {
        return Err(SyntaxError { offset: 0, reason: "the file is 4 GiB or larger".to_owned() });
    }
    let mut p = Parser { b: src, depth: 0 };
    let (v, n) = p.value_with_extra(0).map_err(|e| e.into_syntax())?;
    if n < src.len() {
        return Err(SyntaxError { offset: n, reason: invalid_character(&src[n..], "after top-level value") });
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    depth: usize,
}

/// Internal error: a closing bracket where a value should start is not an error for the
/// enclosing array or object (it ends it), so it travels up with the extra seen before it.
enum Fail {
    Close { bracket: u8, offset: usize, before: Bytes },
    Syntax(SyntaxError),
}

impl Fail {
    fn into_syntax(self) -> SyntaxError {
        match self {
            Fail::Syntax(e) => e,
            Fail::Close { bracket, offset, .. } => {
                SyntaxError { offset, reason: format!("invalid character '{}' at start of value", bracket as char) }
            }
        }
    }
}

fn err(offset: usize, reason: impl Into<String>) -> Fail {
    Fail::Syntax(SyntaxError { offset, reason: reason.into() })
}

impl Parser<'_> {
    fn value_with_extra(&mut self, n0: usize) -> Result<(Value, usize), Fail> {
        let n = self.extra(n0)?;
        let before = Bytes::from_slice(&self.b[n0..n]);
        let (node, end) = match self.trimmed(n) {
            Ok(r) => r,
            Err(Fail::Close { bracket, offset, .. }) => return Err(Fail::Close { bracket, offset, before }),
            Err(e) => return Err(e),
        };
        let m = self.extra(end)?;
        Ok((Value::parsed(before, n..end, node, Bytes::from_slice(&self.b[end..m])), m))
    }

    fn trimmed(&mut self, n: usize) -> Result<(Node, usize), Fail> {
        let b = self.b;
        let Some(&c) = b.get(n) else {
            return Err(err(n, "parsing value: unexpected EOF"));
        };
        match c {
            b'{' | b'[' => {
                if self.depth >= MAX_DEPTH {
                    return Err(err(n, format!("nested deeper than {MAX_DEPTH} levels")));
                }
                self.depth += 1;
                let r = if c == b'{' { self.object(n + 1) } else { self.array(n + 1) };
                self.depth -= 1;
                // A stray closing bracket inside this value is an error here, not the end of an
                // enclosing value.
                r.map_err(|e| Fail::Syntax(e.into_syntax()))
            }
            b'}' | b']' => Err(Fail::Close { bracket: c, offset: n, before: Bytes::new() }),
            b'"' => {
                let mut i = n + 1;
                let mut escaped = false;
                loop {
                    let Some(&ch) = b.get(i) else {
                        return Err(err(i, "parsing string: unexpected EOF"));
                    };
                    if escaped {
                        escaped = false;
                    } else if ch == b'\\' {
                        escaped = true;
                    } else if ch == b'"' {
                        break;
                    }
                    i += 1;
                }
                let lit = &b[n..=i];
                if !is_valid_literal(lit) {
                    return Err(err(n, format!("invalid literal: {}", String::from_utf8_lossy(lit))));
                }
                Ok((Node::Literal(Bytes::from_slice(lit)), i + 1))
            }
            _ => {
                let mut i = n;
                while i < b.len() && (matches!(b[i], b'-' | b'+' | b'.') || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                let lit = &b[n..i];
                if lit.is_empty() {
                    return Err(err(n, invalid_character(&b[n..], "at start of value")));
                }
                if !is_valid_literal(lit) {
                    return Err(err(n, format!("invalid literal: {}", String::from_utf8_lossy(lit))));
                }
                Ok((Node::Literal(Bytes::from_slice(lit)), i))
            }
        }
    }

    fn object(&mut self, mut n: usize) -> Result<(Node, usize), Fail> {
        let b = self.b;
        let mut obj = Object::default();
        loop {
            let (name, m) = match self.value_with_extra(n) {
                Ok(r) => r,
                Err(Fail::Close { bracket: b'}', offset, before }) => {
                    obj.trailing_comma = !obj.members.is_empty();
                    obj.after = before;
                    obj.members.shrink_to_fit();
                    return Ok((Node::Object(Box::new(obj)), offset + 1));
                }
                Err(e) => return Err(e),
            };
            if !matches!(&name.node, Node::Literal(l) if l.first() == Some(&b'"')) {
                return Err(err(
                    name.span().start,
                    invalid_character(&b[name.span().start..], "at start of object name"),
                ));
            }
            n = m;
            match b.get(n) {
                None => return Err(err(n, "parsing object after name: unexpected EOF")),
                Some(b':') => n += 1,
                Some(_) => return Err(err(n, invalid_character(&b[n..], "after object name"))),
            }
            let (value, m) = self.value_with_extra(n).map_err(|e| Fail::Syntax(e.into_syntax()))?;
            n = m;
            obj.members.push(Member { name, value });
            match b.get(n) {
                None => return Err(err(n, "parsing object after value: unexpected EOF")),
                Some(b',') => n += 1,
                Some(b'}') => {
                    let last = obj.members.last_mut().map(|m| std::mem::take(&mut m.value.after));
                    obj.after = last.unwrap_or_default();
                    obj.members.shrink_to_fit();
                    return Ok((Node::Object(Box::new(obj)), n + 1));
                }
                Some(_) => {
                    return Err(err(n, invalid_character(&b[n..], "after object value (expecting ',' or '}')")));
                }
            }
        }
    }

    fn array(&mut self, mut n: usize) -> Result<(Node, usize), Fail> {
        let b = self.b;
        let mut arr = Array::default();
        loop {
            let (value, m) = match self.value_with_extra(n) {
                Ok(r) => r,
                Err(Fail::Close { bracket: b']', offset, before }) => {
                    arr.trailing_comma = !arr.elements.is_empty();
                    arr.after = before;
                    arr.elements.shrink_to_fit();
                    return Ok((Node::Array(Box::new(arr)), offset + 1));
                }
                Err(e) => return Err(e),
            };
            n = m;
            arr.elements.push(value);
            match b.get(n) {
                None => return Err(err(n, "parsing array after value: unexpected EOF")),
                Some(b',') => n += 1,
                Some(b']') => {
                    let last = arr.elements.last_mut().map(|v| std::mem::take(&mut v.after));
                    arr.after = last.unwrap_or_default();
                    arr.elements.shrink_to_fit();
                    return Ok((Node::Array(Box::new(arr)), n + 1));
                }
                Some(_) => {
                    return Err(err(n, invalid_character(&b[n..], "after array value (expecting ',' or ']')")));
                }
            }
        }
    }

    /// Consumes whitespace and comments from `n`; returns where they end.
    fn extra(&self, mut n: usize) -> Result<usize, Fail> {
        let b = self.b;
        while n < b.len() {
            match b[n] {
                b' ' | b'\t' | b'\r' | b'\n' => n += 1,
                b'/' => match comment_len(&b[n..]) {
                    Some(0) => return Ok(n),
                    None => return Err(err(n, "parsing comment: unexpected EOF")),
                    Some(len) => {
                        if std::str::from_utf8(&b[n..n + len]).is_err() {
                            return Err(err(n, "invalid UTF-8 in comment"));
                        }
                        n += len;
                    }
                },
                _ => return Ok(n),
            }
        }
        Ok(n)
    }
}

/// Length of the comment at the start of `b`: `Some(0)` if there is none, `None` if it is not
/// terminated. A `//` comment ends with its newline, which it includes.
pub(crate) fn comment_len(b: &[u8]) -> Option<usize> {
    let end: &[u8] = if b.starts_with(b"//") {
        b"\n"
    } else if b.starts_with(b"/*") {
        b"*/"
    } else {
        return Some(0);
    };
    let body = &b[2..];
    body.windows(end.len()).position(|w| w == end).map(|i| 2 + i + end.len())
}

fn invalid_character(rest: &[u8], place: &str) -> String {
    let what = match std::str::from_utf8(&rest[..rest.len().min(4)])
        .ok()
        .or_else(|| std::str::from_utf8(&rest[..utf8_prefix_len(rest)]).ok())
        .and_then(|s| s.chars().next())
    {
        None => format!("'\\x{:02x}'", rest.first().copied().unwrap_or(0)),
        Some('\'') => "'\\''".to_owned(),
        Some(c) if is_printable(c) => format!("'{c}'"),
        Some(c) if (c as u32) <= 0xFFFF => format!("'\\u{:04x}'", c as u32),
        Some(c) => format!("'\\U{:08x}'", c as u32),
    };
    format!("invalid character {what} {place}")
}

fn utf8_prefix_len(b: &[u8]) -> usize {
    match std::str::from_utf8(&b[..b.len().min(4)]) {
        Ok(s) => s.len(),
        Err(e) => e.valid_up_to(),
    }
}

/// An approximation of Go's `unicode.IsPrint`, good for error messages.
fn is_printable(c: char) -> bool {
    let u = c as u32;
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || (0xE000..=0xF8FF).contains(&u)
        || u >= 0xF0000
        || matches!(u, 0xFEFF | 0xFFFE | 0xFFFF | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064))
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(src: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // Tailscale's hujson counts the column in bytes.
    (line, 1 + offset - line_start)
}

/// True when `src` holds nothing but whitespace and comments (Tailscale's parser then fails
/// with "unexpected EOF"; tailgrant names the real problem).
pub fn is_blank(src: &[u8]) -> bool {
    let p = Parser { b: src, depth: 0 };
    matches!(p.extra(0), Ok(n) if n == src.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(src: &str) -> String {
        let e = parse(src.as_bytes()).unwrap_err();
        let (l, c) = line_column(src.as_bytes(), e.offset);
        format!("{l}:{c}: {}", e.reason)
    }

    #[test]
    fn round_trips_bytes() {
        let src = "// head\n{ \"a\" /*x*/ : [1, 2, ], // c\n \"b\": {\"c\": null,},\n}\n";
        assert_eq!(parse(src.as_bytes()).unwrap().pack(), src.as_bytes());
    }

    #[test]
    fn errors_match_tailscale() {
        assert_eq!(reason("{,}"), "1:2: invalid character ',' at start of value");
        assert_eq!(reason("[,]"), "1:2: invalid character ',' at start of value");
        assert_eq!(reason("null//"), "1:5: parsing comment: unexpected EOF");
        assert_eq!(reason("[1 2]"), "1:4: invalid character '2' after array value (expecting ',' or ']')");
        assert_eq!(reason("{\"a\" 1}"), "1:6: invalid character '1' after object name");
        assert_eq!(reason("{\"a\":1"), "1:7: parsing object after value: unexpected EOF");
        assert_eq!(reason("{null:1}"), "1:2: invalid character 'n' at start of object name");
        assert_eq!(reason("'a'"), "1:1: invalid character '\\'' at start of value");
        assert_eq!(reason("\u{feff}{}"), "1:1: invalid character '\\ufeff' at start of value");
        assert_eq!(reason("{} x"), "1:4: invalid character 'x' after top-level value");
        assert_eq!(reason("[1,,]"), "1:4: invalid character ',' at start of value");
        assert_eq!(reason(""), "1:1: parsing value: unexpected EOF");
        assert_eq!(reason("+1"), "1:1: invalid literal: +1");
        assert_eq!(reason("{[}"), "1:3: invalid character '}' at start of value");
        assert_eq!(reason("[[}"), "1:3: invalid character '}' at start of value");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let src = "[".repeat(100_000);
        assert!(parse(src.as_bytes()).unwrap_err().reason.contains("nested deeper"));
    }

    #[test]
    fn spans_point_at_values() {
        let src = b"{\n  \"a\": \"tag:x\",\n}";
        let v = parse(src).unwrap();
        let m = &v.as_object().unwrap().members[0];
        assert_eq!(&src[m.value.span()], b"\"tag:x\"");
        assert_eq!(line_column(src, m.value.span().start), (2, 8));
    }
}
