//! The HuJSON syntax tree.
//!
//! Every value keeps the exact bytes around it (whitespace and comments, called *extra*), so
//! `pack()` reproduces the input byte for byte and edits keep comments. The shape follows
//! Tailscale's own `hujson` package, which is what makes the formatter byte-identical to theirs:
//! a value has extra *before* it and extra *after* it (up to the next `:`, `,` or closing
//! bracket), and an object or array has extra before its closing bracket.

use std::ops::Range;

pub(crate) use super::bytes::Bytes;

/// Byte range of a value in the source it was parsed from. Synthesised values have an empty
/// span at 0.
pub(crate) type Span = Range<usize>;

// A policy tree has hundreds of thousands of values, most of them small, so a value is kept
// small: 56 bytes (extras and literals in 16 bytes each, offsets in 32 bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub(crate) before: Bytes,
    /// Where the value is, as [`Value::span`] gives it. The parser refuses files of 4 GiB and
    /// more, so offsets fit.
    start: u32,
    end: u32,
    pub(crate) node: Node,
    pub(crate) after: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// `null`, `true`, `false`, a number or a string, exactly as written (strings with quotes).
    Literal(Bytes),
    // Boxed: most values are literals, and a literal's value should not be as large as an
    // object's (the tree holds hundreds of thousands of values).
    Object(Box<Object>),
    Array(Box<Array>),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Object {
    pub members: Vec<Member>,
    /// Extra before the closing `}`.
    pub(crate) after: Bytes,
    /// Whether a comma follows the last member. When false, the last value's `after` is empty:
    /// its extra belongs to `after` here.
    pub(crate) trailing_comma: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: Value,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Array {
    pub elements: Vec<Value>,
    pub(crate) after: Bytes,
    pub(crate) trailing_comma: bool,
}

impl Value {
    /// A value with no surrounding extra, for values built by tailgrant rather than parsed.
    pub(crate) fn new(node: Node) -> Self {
        Value { before: Bytes::new(), start: 0, end: 0, node, after: Bytes::new() }
    }

    /// A value parsed at `span` of its source (whose length the parser has checked).
    pub(super) fn parsed(before: Bytes, span: Span, node: Node, after: Bytes) -> Self {
        let offset = |n: usize| u32::try_from(n).expect("the parser refuses sources of 4 GiB and more");
        Value { before, start: offset(span.start), end: offset(span.end), node, after }
    }

    /// This value's place and extras around another node.
    pub(crate) fn with_node(&self, node: Node) -> Self {
        Value { before: self.before.clone(), start: self.start, end: self.end, node, after: self.after.clone() }
    }

    /// Byte range of the value in the source it was parsed from.
    pub(crate) fn span(&self) -> Span {
        self.start as usize..self.end as usize
    }

    pub(crate) fn string(s: &str) -> Self {
        Value::new(Node::Literal(Bytes::from_slice(super::strings::encode(s).as_bytes())))
    }

    pub fn as_object(&self) -> Option<&Object> {
        match &self.node {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    pub(crate) fn as_object_mut(&mut self) -> Option<&mut Object> {
        match &mut self.node {
            Node::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Array> {
        match &self.node {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    pub(crate) fn as_array_mut(&mut self) -> Option<&mut Array> {
        match &mut self.node {
            Node::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The decoded string, borrowed when it has no escapes (the common case for keys).
    pub(crate) fn as_cow(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.node {
            Node::Literal(l) if l.first() == Some(&b'"') => {
                let inner = &l[1..l.len().saturating_sub(1).max(1)];
                if !inner.contains(&b'\\') {
                    // Literals were validated when parsed; invalid UTF-8 never gets here.
                    return std::str::from_utf8(inner).ok().map(std::borrow::Cow::Borrowed);
                }
                super::strings::decode(l).map(std::borrow::Cow::Owned)
            }
            _ => None,
        }
    }

    /// Whether this is a string literal equal to `key` ignoring ASCII case, without decoding
    /// it when it has no escapes (how policy keys are looked up, many times per file).
    pub(crate) fn key_eq_ci(&self, key: &str) -> bool {
        match &self.node {
            Node::Literal(l) if l.len() >= 2 && l[0] == b'"' => {
                let inner = &l[1..l.len() - 1];
                if inner.contains(&b'\\') {
                    self.as_cow().is_some_and(|s| s.eq_ignore_ascii_case(key))
                } else {
                    inner.eq_ignore_ascii_case(key.as_bytes())
                }
            }
            _ => false,
        }
    }

    /// The decoded string, if this value is a string literal.
    pub fn as_str(&self) -> Option<String> {
        match &self.node {
            Node::Literal(l) if l.first() == Some(&b'"') => super::strings::decode(l),
            _ => None,
        }
    }

    /// What kind of JSON value this is, as a user would name it in an error message.
    pub(crate) fn kind_name(&self) -> &'static str {
        match &self.node {
            Node::Object(_) => "an object",
            Node::Array(_) => "a list",
            Node::Literal(l) => match l.first() {
                Some(b'"') => "a string",
                Some(b'n') => "null",
                Some(b't' | b'f') => "a boolean",
                _ => "a number",
            },
        }
    }

    /// The bytes of this value with all its extra, exactly as they would be written.
    pub fn pack(&self) -> Vec<u8> {
        // Sized up front: a rendered policy runs to megabytes, and growing by doubling would
        // copy it several times over.
        let len = self.packed_len();
        let mut out = Vec::with_capacity(len);
        self.pack_into(&mut out);
        debug_assert_eq!(out.len(), len);
        out
    }

    /// The length of `pack()`'s output.
    fn packed_len(&self) -> usize {
        let inner = match &self.node {
            Node::Literal(l) => l.len(),
            Node::Object(o) => {
                let commas = o.members.len().saturating_sub(1) + usize::from(o.trailing_comma && !o.members.is_empty());
                let members: usize = o.members.iter().map(|m| m.name.packed_len() + 1 + m.value.packed_len()).sum();
                2 + members + commas + o.after.len()
            }
            Node::Array(a) => {
                let commas =
                    a.elements.len().saturating_sub(1) + usize::from(a.trailing_comma && !a.elements.is_empty());
                2 + a.elements.iter().map(Value::packed_len).sum::<usize>() + commas + a.after.len()
            }
        };
        self.before.len() + inner + self.after.len()
    }

    fn pack_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.before);
        match &self.node {
            Node::Literal(l) => out.extend_from_slice(l),
            Node::Object(o) => {
                out.push(b'{');
                for (i, m) in o.members.iter().enumerate() {
                    m.name.pack_into(out);
                    out.push(b':');
                    m.value.pack_into(out);
                    if i + 1 < o.members.len() || o.trailing_comma {
                        out.push(b',');
                    }
                }
                out.extend_from_slice(&o.after);
                out.push(b'}');
            }
            Node::Array(a) => {
                out.push(b'[');
                for (i, e) in a.elements.iter().enumerate() {
                    e.pack_into(out);
                    if i + 1 < a.elements.len() || a.trailing_comma {
                        out.push(b',');
                    }
                }
                out.extend_from_slice(&a.after);
                out.push(b']');
            }
        }
        out.extend_from_slice(&self.after);
    }

    /// Standard JSON of this value alone: no comments, no trailing commas, no extra.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = self.clone();
        v.minimize();
        v.pack()
    }

    fn minimize(&mut self) {
        self.before.clear();
        self.after.clear();
        match &mut self.node {
            Node::Literal(_) => {}
            Node::Object(o) => {
                for m in &mut o.members {
                    m.name.minimize();
                    m.value.minimize();
                }
                o.after.clear();
                o.trailing_comma = false;
            }
            Node::Array(a) => {
                for e in &mut a.elements {
                    e.minimize();
                }
                a.after.clear();
                a.trailing_comma = false;
            }
        }
    }

    /// The same bytes with every comment and trailing comma replaced by spaces, so that byte
    /// offsets (and so line and column) of the standard JSON are those of the source.
    pub(crate) fn standardize(&self) -> Vec<u8> {
        let mut out = self.pack();
        self.blank_nonstandard(&mut out, 0);
        out
    }

    /// Walks the value as `pack` lays it out from `at` and blanks comments and trailing commas
    /// in `out`. Returns the offset after the value.
    fn blank_nonstandard(&self, out: &mut [u8], mut at: usize) -> usize {
        at = blank_extra(out, at, self.before.len());
        match &self.node {
            Node::Literal(l) => at += l.len(),
            Node::Object(o) => {
                at += 1;
                for (i, m) in o.members.iter().enumerate() {
                    at = m.name.blank_nonstandard(out, at) + 1;
                    at = m.value.blank_nonstandard(out, at);
                    if i + 1 < o.members.len() {
                        at += 1;
                    } else if o.trailing_comma {
                        out[at] = b' ';
                        at += 1;
                    }
                }
                at = blank_extra(out, at, o.after.len()) + 1;
            }
            Node::Array(a) => {
                at += 1;
                for (i, e) in a.elements.iter().enumerate() {
                    at = e.blank_nonstandard(out, at);
                    if i + 1 < a.elements.len() {
                        at += 1;
                    } else if a.trailing_comma {
                        out[at] = b' ';
                        at += 1;
                    }
                }
                at = blank_extra(out, at, a.after.len()) + 1;
            }
        }
        blank_extra(out, at, self.after.len())
    }

    /// Every comment in the value, in order, as written.
    pub fn comments(&self) -> Vec<String> {
        let mut extras: Vec<&[u8]> = Vec::new();
        self.collect_extras(&mut extras);
        let mut out = Vec::new();
        for mut e in extras {
            while !e.is_empty() {
                match super::parser::comment_len(e) {
                    Some(n) if n > 0 => {
                        out.push(String::from_utf8_lossy(&e[..n]).into_owned());
                        e = &e[n..];
                    }
                    _ => e = &e[1..],
                }
            }
        }
        out
    }

    fn collect_extras<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        out.push(&self.before);
        match &self.node {
            Node::Literal(_) => {}
            Node::Object(o) => {
                for m in &o.members {
                    m.name.collect_extras(out);
                    m.value.collect_extras(out);
                }
                out.push(&o.after);
            }
            Node::Array(a) => {
                a.elements.iter().for_each(|e| e.collect_extras(out));
                out.push(&a.after);
            }
        }
        out.push(&self.after);
    }

    /// True when the value has no comments and no trailing commas anywhere.
    pub(crate) fn is_standard(&self) -> bool {
        if has_comment(&self.before) || has_comment(&self.after) {
            return false;
        }
        match &self.node {
            Node::Literal(_) => true,
            Node::Object(o) => {
                !o.trailing_comma
                    && !has_comment(&o.after)
                    && o.members.iter().all(|m| m.name.is_standard() && m.value.is_standard())
            }
            Node::Array(a) => !a.trailing_comma && !has_comment(&a.after) && a.elements.iter().all(Value::is_standard),
        }
    }
}

fn blank_extra(out: &mut [u8], at: usize, len: usize) -> usize {
    for b in &mut out[at..at + len] {
        if !matches!(*b, b' ' | b'\t' | b'\r' | b'\n') {
            *b = b' ';
        }
    }
    at + len
}

/// True if the extra holds anything but whitespace.
pub(crate) fn has_comment(extra: &[u8]) -> bool {
    extra.iter().any(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

impl Object {
    /// The member whose name equals `key` ignoring ASCII case, as Tailscale matches policy keys.
    pub(crate) fn get_ci(&self, key: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name.key_eq_ci(key))
    }

    pub(crate) fn get_ci_mut(&mut self, key: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.name.key_eq_ci(key))
    }

    /// The member named exactly `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name.as_cow().as_deref() == Some(key))
    }
}
