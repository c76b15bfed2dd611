//! Text that reads differently from what it is (`TG211`). A bidi override in a comment can make
//! a reviewer read `"src": ["alice@example.com"]` where the file grants someone else, a
//! zero-width character makes two logins look the same, and control characters rewrite
//! terminals and logs. Guarded fragments may hold none of them, written raw or as `\u` escapes.

use crate::finding::{Code, Finding, Location};
use crate::load::FragmentFile;
use crate::model::text::{breaks_line, is_deceptive};
use crate::parse::{Node, Value};

pub(crate) fn check(f: &FragmentFile, findings: &mut Vec<Finding>) {
    let text = &f.doc.file.text;
    // Nearly every grant file is plain ASCII: then only control bytes and a lone carriage
    // return can hide anything, and escapes in strings are looked at below.
    let plain = text.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t');
    let mut raw = Vec::new();
    for (i, c) in text.char_indices().filter(|_| !plain) {
        // A carriage return alone sends a terminal back to overwrite the line.
        if is_deceptive(c) || (c == '\r' && text.as_bytes().get(i + 1) != Some(&b'\n')) {
            raw.push(i..i + c.len_utf8());
        }
    }
    for span in &raw {
        let c = text[span.clone()].chars().next().unwrap_or_default();
        findings.push(finding(f, span.clone(), c));
    }
    // Escaped in a string: the file shows `\u202e`, the policy holds the character.
    let mut escaped = Vec::new();
    strings(&f.doc.tree, &mut escaped);
    for (v, c) in escaped {
        if !raw.iter().any(|s| s.start >= v.span().start && s.end <= v.span().end) {
            findings.push(finding(f, v.span(), c));
        }
    }
    // A login or selector that mixes Latin with lookalike letters (the description is prose);
    // plain ASCII cannot, and escapes were looked at above.
    let mut disguised = Vec::new();
    if !plain || text.contains("\\u") {
        lookalikes(&f.doc.tree, &mut disguised);
    }
    for v in disguised {
        findings.push(Finding::new(
            Code::DeceptiveText,
            Location::new(&f.doc.file, v.span()),
            "this mixes Latin letters with Greek or Cyrillic ones that look the same, so it may not be who or what it reads as".to_owned(),
            "write logins and selectors in one script (retype the name rather than pasting it)",
        ));
    }
}

/// String values (not the description, which is prose) that mix lookalike scripts.
fn lookalikes<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match &v.node {
        Node::Literal(_) => {
            if v.as_cow().is_some_and(|s| crate::model::text::mixes_lookalike_scripts(&s)) {
                out.push(v);
            }
        }
        Node::Object(o) => {
            for m in &o.members {
                if !m.name.key_eq_ci("description") {
                    lookalikes(&m.value, out);
                }
            }
        }
        Node::Array(a) => a.elements.iter().for_each(|e| lookalikes(e, out)),
    }
}

fn finding(f: &FragmentFile, span: crate::parse::Span, c: char) -> Finding {
    Finding::new(
        Code::DeceptiveText,
        Location::new(&f.doc.file, span),
        format!("U+{:04X} {} hides or reorders text, so reviewers may not read what the file says", c as u32, name(c)),
        "delete the character (editors may not show it: search for it by its code point)",
    )
}

fn name(c: char) -> &'static str {
    match c {
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            "(a bidirectional control)"
        }
        '\u{2028}' | '\u{2029}' => "(a line or paragraph separator)",
        '\u{e0000}'..='\u{e007f}' => "(an invisible tag character)",
        '\r' => "(a carriage return)",
        '\n' | '\t' => "(a line break or tab inside a string)",
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' => "(a control character)",
        _ => "(an invisible formatting character)",
    }
}

/// String literals (keys and values) whose decoded text holds a deceptive character.
fn strings<'v>(v: &'v Value, out: &mut Vec<(&'v Value, char)>) {
    match &v.node {
        // Raw characters were found in the text; only an escape can hide one more.
        Node::Literal(raw) if raw.contains(&b'\\') => {
            // Values are single-line: an escaped newline or tab has no business in a login, a
            // selector or a description, and would end up in one-line places like labels.
            if let Some(c) = v.as_cow().and_then(|s| s.chars().find(|&c| breaks_line(c))) {
                out.push((v, c));
            }
        }
        Node::Literal(_) => {}
        Node::Object(o) => {
            for m in &o.members {
                strings(&m.name, out);
                strings(&m.value, out);
            }
        }
        Node::Array(a) => a.elements.iter().for_each(|e| strings(e, out)),
    }
}
