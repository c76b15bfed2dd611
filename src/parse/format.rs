//! Formatting exactly as Tailscale's HuJSON formatter (`hujson.Format`) does.
//!
//! Byte-identical output matters beyond looks: the control plane's ETag is the SHA-256 of the
//! formatted policy, so `apply` can only recognise a no-op if we format the same way. The
//! heuristics below are Tailscale's: tabs for indentation, an object or array is either all on
//! one line or one entry per line, it is expanded when the source had a newline inside it or a
//! line would pass 80 columns, expanded ones get trailing commas (unless the file is standard
//! JSON), at most one blank line in a row, and values in consecutive one-line members aligned.
//! `corpus` tests check every real-world file and Tailscale's own test vectors.

use super::ast::{Bytes, Node, Value, has_comment};
use super::parser::comment_len;
use crate::parallel::{chunk_ranges, par_chunks, par_chunks_ref};

const PUNCH_CARD_WIDTH: usize = 80;

/// Formats a parsed document in place.
pub fn format(v: &mut Value) {
    format_extra(&mut v.before, 0, Opts::default());
    let ws = whitespace_len(&v.before);
    v.before = Bytes::from_slice(&v.before[ws..]);
    let standard = v.is_standard();
    normalize(v);
    let mut expand = Vec::new();
    expand_composites(v, &mut expand);
    format_whitespace(v, 0, &expand, &mut 0, standard);
    align_object_values(v);
    format_extra(&mut v.after, 0, Opts::default());
    let kept = trim_end_space(&v.after).len();
    v.after.truncate(kept);
    v.after.push(b'\n');
}

/// The text `format` gives a value's contents (not its own extras) when the value sits
/// `depth` levels deep in a document that is not standard JSON. Formatting depends on nothing
/// else, so the entries merge adds to a long list are formatted this way, each on its own and
/// across cores, and spliced in as literals (see `merge`).
pub fn format_nested(mut v: Value, depth: usize) -> Vec<u8> {
    v.before.clear();
    v.after.clear();
    normalize(&mut v);
    let mut expand = Vec::new();
    expand_composites(&v, &mut expand);
    format_whitespace(&mut v, depth, &expand, &mut 0, false);
    align_object_values(&mut v);
    v.pack()
}

/// The depth `format` gives the entries of each list that is a member of the top-level object
/// `v` (already formatted), by member index. A top-level object laid out on one line puts them
/// one level higher, and a comment between a name and its list one level deeper.
pub fn member_list_entry_depth(v: &Value, member: usize) -> Option<usize> {
    let o = v.as_object()?;
    let m = o.members.get(member)?;
    let expanded = has_newline(&o.members.first()?.name.before);
    let offset = has_newline(&m.name.after) || has_newline(&m.value.before);
    Some(usize::from(expanded) + usize::from(offset) + 1)
}

/// Formats HuJSON text; the input must parse.
pub fn format_bytes(src: &[u8]) -> Result<Vec<u8>, super::parser::SyntaxError> {
    let mut v = super::parser::parse(src)?;
    format(&mut v);
    Ok(v.pack())
}

fn normalize(v: &mut Value) {
    match &mut v.node {
        Node::Literal(l) => {
            if l.first() == Some(&b'"')
                && l.contains(&b'\\')
                && let Some(s) = super::strings::decode(l)
            {
                *l = Bytes::from_slice(super::strings::encode(&s).as_bytes());
            }
        }
        Node::Object(o) => {
            if o.members.is_empty() {
                if !has_comment(&o.after) {
                    o.after.clear();
                }
                return;
            }
            let last = o.members.len() - 1;
            for (i, m) in o.members.iter_mut().enumerate() {
                if !has_comment(&m.name.after) {
                    m.name.after.clear();
                }
                if !has_comment(&m.value.after) {
                    m.value.after.clear();
                    if i == last {
                        o.trailing_comma = false;
                    }
                }
                normalize(&mut m.name);
                normalize(&mut m.value);
            }
        }
        Node::Array(a) => {
            if a.elements.is_empty() {
                if !has_comment(&a.after) {
                    a.after.clear();
                }
                return;
            }
            if a.elements.last().is_some_and(|e| !has_comment(&e.after)) {
                a.trailing_comma = false;
            }
            par_chunks(&mut a.elements, |_, _, chunk| {
                for e in chunk {
                    if !has_comment(&e.after) {
                        e.after.clear();
                    }
                    normalize(e);
                }
            });
        }
    }
}

/// Line-length statistics of a run of text: its first and last line, and whether it has more
/// than one.
#[derive(Clone, Copy, Default)]
struct LineStats {
    first: usize,
    last: usize,
    multiline: bool,
}

/// Decides which objects and arrays are expanded, recording one flag per composite in
/// pre-order (the order `format_whitespace` visits them in).
fn expand_composites(v: &Value, flags: &mut Vec<bool>) -> LineStats {
    if let Node::Literal(l) = &v.node {
        return LineStats { first: l.len(), last: l.len(), multiline: false };
    }
    let idx = flags.len();
    flags.push(false);

    let mut expand = false;
    let mut line = 0usize;
    let mut lines = Vec::new();
    let mut update = |s: LineStats, line: &mut usize| {
        *line += s.first;
        if s.multiline {
            lines.push(*line);
            *line = s.last;
        }
    };
    let (last_after, comp_after, first_before): (Option<&[u8]>, &[u8], &[u8]) = match &v.node {
        Node::Object(o) => {
            line += 1;
            for m in &o.members {
                expand |= has_newline(&m.name.before);
                update(extra_stats(&m.name.before), &mut line);
                update(expand_composites(&m.name, flags), &mut line);
                update(extra_stats(&m.name.after), &mut line);
                line += 2;
                update(extra_stats(&m.value.before), &mut line);
                update(expand_composites(&m.value, flags), &mut line);
                update(extra_stats(&m.value.after), &mut line);
                line += 2;
            }
            line += 1;
            let first = o.members.first().map_or(&o.after[..], |m| &m.name.before[..]);
            (o.members.last().map(|m| &m.value.after[..]), &o.after[..], first)
        }
        Node::Array(a) => {
            line += 1;
            // Each element's statistics and flags depend on the element alone, so long arrays
            // are measured in parallel and folded in order.
            let chunks = par_chunks_ref(&a.elements, |chunk| {
                let mut chunk_flags = Vec::new();
                let stats: Vec<_> = chunk.iter().map(|e| expand_composites(e, &mut chunk_flags)).collect();
                (stats, chunk_flags)
            });
            let mut stats = chunks.iter().flat_map(|(s, _)| s.iter().copied());
            for e in &a.elements {
                expand |= has_newline(&e.before);
                update(extra_stats(&e.before), &mut line);
                update(stats.next().unwrap_or_default(), &mut line);
                update(extra_stats(&e.after), &mut line);
                line += 2;
            }
            for (_, f) in &chunks {
                flags.extend_from_slice(f);
            }
            line += 1;
            let first = a.elements.first().map_or(&a.after[..], |e| &e.before[..]);
            (a.elements.last().map(|e| &e.after[..]), &a.after[..], first)
        }
        Node::Literal(_) => unreachable!("literals returned above"),
    };
    if let Some(last_after) = last_after {
        expand |= has_newline(last_after);
    }
    expand |= has_newline(comp_after);
    lines.push(line);
    let mut stats = LineStats { first: lines[0], last: lines[lines.len() - 1], multiline: lines.len() > 1 };
    expand |= lines.iter().any(|&l| l > PUNCH_CARD_WIDTH);
    if expand {
        stats = LineStats { first: 1 + extra_stats(first_before).first, last: 1, multiline: true };
        flags[idx] = true;
    }
    stats
}

fn extra_stats(b: &[u8]) -> LineStats {
    // Approximate width of the comments on one line, each padded by a space.
    fn width(mut b: &[u8]) -> usize {
        let mut n = 0;
        loop {
            b = &b[whitespace_len(b)..];
            if b.starts_with(b"//") {
                return n + 1 + b.len();
            } else if b.starts_with(b"/*") {
                match comment_len(b) {
                    Some(nc) if nc > 0 => {
                        n += 1 + nc;
                        b = &b[nc..];
                    }
                    _ => return n + 1 + b.len(),
                }
            } else {
                return if n > 0 { n + 1 } else { n };
            }
        }
    }
    match (b.iter().position(|&c| c == b'\n'), b.iter().rposition(|&c| c == b'\n')) {
        (Some(first), Some(last)) => {
            LineStats { first: width(&b[..first]), last: width(&b[last + 1..]), multiline: true }
        }
        _ => {
            let n = width(b);
            LineStats { first: n, last: n, multiline: false }
        }
    }
}

fn format_whitespace(v: &mut Value, depth: usize, flags: &[bool], next: &mut usize, standard: bool) {
    if matches!(v.node, Node::Literal(_)) {
        return;
    }
    let expand = flags[*next];
    *next += 1;
    let leading = |i: usize| Opts {
        ensure_leading_newline: expand,
        remove_leading_empty_lines: i == 0,
        append_space_if_empty: i != 0,
        ..Opts::default()
    };
    let inner = Opts { remove_leading_empty_lines: true, remove_trailing_empty_lines: true, ..Opts::default() };
    let child_depth = depth + usize::from(expand);
    let len = match &mut v.node {
        Node::Object(o) => {
            for (i, m) in o.members.iter_mut().enumerate() {
                format_extra(&mut m.name.before, depth + 1, leading(i));
                format_extra(&mut m.name.after, depth + 2, inner);
                format_extra(&mut m.value.before, depth + 2, Opts { append_space_if_empty: true, ..inner });
                let offset = usize::from(has_newline(&m.name.after) || has_newline(&m.value.before));
                format_whitespace(&mut m.value, child_depth + offset, flags, next, standard);
                format_extra(&mut m.value.after, depth + 2, inner);
            }
            o.members.len()
        }
        Node::Array(a) => {
            // Where each chunk's flags start: flags are in pre-order, one per composite.
            let ranges: Vec<_> = chunk_ranges(a.elements.len()).collect();
            let mut starts = vec![*next];
            for r in &ranges[..ranges.len().saturating_sub(1)] {
                let last = starts[starts.len() - 1];
                starts.push(last + a.elements[r.clone()].iter().map(composites).sum::<usize>());
            }
            let ends = par_chunks(&mut a.elements, |k, first, chunk| {
                let mut next = starts[k];
                for (j, e) in chunk.iter_mut().enumerate() {
                    format_extra(&mut e.before, depth + 1, leading(first + j));
                    format_whitespace(e, child_depth, flags, &mut next, standard);
                    format_extra(&mut e.after, depth + 2, inner);
                }
                next
            });
            *next = ends.last().copied().unwrap_or(*next);
            a.elements.len()
        }
        Node::Literal(_) => return,
    };
    let Some((last_after, after, _)) = tail(v) else { return };
    format_extra(
        after,
        depth + 1,
        Opts {
            ensure_trailing_newline: expand,
            remove_leading_empty_lines: len == 0,
            remove_trailing_empty_lines: true,
            unindent_last_line: true,
            ..Opts::default()
        },
    );
    let surrounded_comma = last_after.is_some_and(|l| !l.is_empty()) && !after.is_empty();
    if !expand && !surrounded_comma {
        set_trailing_comma(v, false);
    } else if expand && !standard {
        set_trailing_comma(v, true);
    }
}

/// The parts of an object or array that trailing commas concern: the last value's extra, the
/// extra before the closing bracket, and the trailing-comma flag.
type Tail<'a> = (Option<&'a mut Bytes>, &'a mut Bytes, &'a mut bool);

fn tail(v: &mut Value) -> Option<Tail<'_>> {
    match &mut v.node {
        Node::Object(o) => {
            Some((o.members.last_mut().map(|m| &mut m.value.after), &mut o.after, &mut o.trailing_comma))
        }
        Node::Array(a) => Some((a.elements.last_mut().map(|e| &mut e.after), &mut a.after, &mut a.trailing_comma)),
        Node::Literal(_) => None,
    }
}

/// Adds or removes the comma after the last entry, moving the last value's extra to the
/// closing bracket when the comma goes.
pub(crate) fn set_trailing_comma(v: &mut Value, on: bool) {
    let Some((Some(last_after), after, trailing)) = tail(v) else { return };
    if on {
        *trailing = true;
    } else if *trailing {
        let mut moved = std::mem::take(last_after);
        moved.append(after);
        *after = moved;
        *trailing = false;
    }
}

#[derive(Clone, Copy, Default)]
struct Opts {
    ensure_leading_newline: bool,
    ensure_trailing_newline: bool,
    remove_leading_empty_lines: bool,
    remove_trailing_empty_lines: bool,
    unindent_last_line: bool,
    append_space_if_empty: bool,
}

fn format_extra(b: &mut Bytes, depth: usize, opts: Opts) {
    if b.contains(&b'\r') {
        let unified = replace(&replace(&replace(b, b"\r\n", b"\n"), b"\n\r", b"\n"), b"\r", b" ");
        *b = Bytes::from_slice(&unified);
    }
    let mut input: &[u8] = b;
    // Most extras are empty or a newline and indentation: do not allocate up front.
    let mut out = if input.is_empty() { Vec::new() } else { Vec::with_capacity(input.len() + depth + 2) };
    if opts.ensure_leading_newline && !has_newline(input) {
        out.push(b'\n');
    }
    while !input.is_empty() {
        let n = whitespace_len(input);
        if n > 0 {
            let nl = input[..n].iter().filter(|&&c| c == b'\n').count().min(2);
            out.extend(std::iter::repeat_n(b'\n', nl));
            input = &input[n..];
            continue;
        }
        let Some(mut n) = comment_len(input).filter(|&n| n > 0) else {
            return; // not a comment: leave the extra as it is
        };
        if out.last() == Some(&b'\n') {
            indent(&mut out, depth);
        } else {
            out.push(b' ');
        }
        let comment = &input[..n];
        if comment.starts_with(b"//") || !has_newline(comment) {
            out.extend_from_slice(trim_end_space(comment));
            if comment.starts_with(b"//") {
                n -= 1; // the newline is handled as whitespace
            }
            input = &input[n..];
            continue;
        }
        format_block_comment(comment, depth, &mut out);
        input = &input[n..];
    }
    if opts.ensure_trailing_newline && out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    if opts.remove_leading_empty_lines {
        let extra = out.iter().take_while(|&&c| c == b'\n').count().saturating_sub(1);
        out.drain(..extra);
    }
    if opts.remove_trailing_empty_lines {
        let extra = out.iter().rev().take_while(|&&c| c == b'\n').count().saturating_sub(1);
        out.truncate(out.len() - extra);
    }
    if out.last() == Some(&b'\n') {
        let d = if opts.unindent_last_line { depth.saturating_sub(1) } else { depth };
        indent(&mut out, d);
    } else if !out.is_empty() {
        out.push(b' ');
    }
    if opts.append_space_if_empty && out.is_empty() {
        out.push(b' ');
    }
    if b.as_slice() != out.as_slice() {
        *b = Bytes::from_slice(&out);
    }
}

/// Re-indents a multi-line block comment: the lines' common leading whitespace is replaced by
/// the current indentation, and ` * ` continuation lines stay aligned.
fn format_block_comment(comment: &[u8], depth: usize, out: &mut Vec<u8>) {
    let mut lines: Vec<Vec<u8>> = comment.split(|&c| c == b'\n').map(|l| trim_end_space(l).to_vec()).collect();
    let first_line = lines.iter().skip(1).find(|l| !l.is_empty()).cloned().unwrap_or_default();
    let has_empty_line = lines.iter().any(Vec::is_empty);
    let mut common: &[u8] = &first_line;
    let mut replace_at = None;
    for (i, line) in lines.iter().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        if line.ends_with(b"*/") && whitespace_len(line) + 2 == line.len() {
            replace_at = Some(i);
            break;
        }
        if let Some(j) = (0..line.len().min(common.len())).find(|&j| line[j] != common[j]) {
            common = &common[..j];
        }
    }
    let prefix_len = whitespace_len(common);
    if let Some(i) = replace_at {
        let mut l = common[..prefix_len].to_vec();
        l.extend_from_slice(b"*/");
        lines[i] = l;
    }
    let star_aligned = !has_empty_line && common.len() > prefix_len && common[prefix_len] == b'*';
    out.extend_from_slice(&lines[0]);
    out.push(b'\n');
    for line in &lines[1..] {
        if !line.is_empty() {
            indent(out, depth);
            if star_aligned {
                out.push(b' ');
            }
            out.extend_from_slice(&line[prefix_len.min(line.len())..]);
        }
        out.push(b'\n');
    }
    while out.last() == Some(&b'\n') {
        out.pop();
    }
}

/// Pads the space after the colon of consecutive single-line members so their values line up.
fn align_object_values(v: &mut Value) {
    match &mut v.node {
        Node::Literal(_) => {}
        Node::Object(o) => {
            let mut rows: Vec<(usize, usize)> = Vec::new();
            fn flush(rows: &mut Vec<(usize, usize)>, members: &mut [super::ast::Member]) {
                let max = rows.iter().map(|r| r.1).max().unwrap_or(0);
                for &(i, len) in rows.iter() {
                    members[i].value.before.extend(std::iter::repeat_n(b' ', max - len));
                }
                rows.clear();
            }
            for i in 0..o.members.len() {
                let m = &o.members[i];
                if !has_newline(&m.name.before)
                    || has_newline(&m.name.after)
                    || has_newline(&m.value.before)
                    || value_has_newline(&m.value, false)
                    || has_newline(&m.value.after)
                {
                    flush(&mut rows, &mut o.members);
                    continue;
                }
                if m.name.before.iter().filter(|&&c| c == b'\n').count() > 1 {
                    flush(&mut rows, &mut o.members);
                }
                let m = &o.members[i];
                let name_len = match &m.name.node {
                    Node::Literal(l) => l.len(),
                    _ => 0,
                };
                rows.push((i, name_len + m.name.after.len() + 1 + m.value.before.len()));
            }
            flush(&mut rows, &mut o.members);
            for m in &mut o.members {
                align_object_values(&mut m.name);
                align_object_values(&mut m.value);
            }
        }
        Node::Array(a) => {
            par_chunks(&mut a.elements, |_, _, chunk| chunk.iter_mut().for_each(align_object_values));
        }
    }
}

/// How many objects and arrays a value holds, itself included: its share of the
/// expansion flags.
fn composites(v: &Value) -> usize {
    match &v.node {
        Node::Literal(_) => 0,
        Node::Object(o) => 1 + o.members.iter().map(|m| composites(&m.name) + composites(&m.value)).sum::<usize>(),
        Node::Array(a) => 1 + a.elements.iter().map(composites).sum::<usize>(),
    }
}

fn value_has_newline(v: &Value, check_extra: bool) -> bool {
    if check_extra && (has_newline(&v.before) || has_newline(&v.after)) {
        return true;
    }
    match &v.node {
        Node::Literal(_) => false,
        Node::Object(o) => {
            o.members.iter().any(|m| value_has_newline(&m.name, true) || value_has_newline(&m.value, true))
        }
        Node::Array(a) => a.elements.iter().any(|e| value_has_newline(e, true)),
    }
}

fn has_newline(b: &[u8]) -> bool {
    b.contains(&b'\n')
}

fn whitespace_len(b: &[u8]) -> usize {
    b.iter().take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')).count()
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    out.extend(std::iter::repeat_n(b'\t', depth));
}

/// Trims trailing Unicode white space, as Go's `unicode.IsSpace` defines it (the same set as
/// Rust's `char::is_whitespace`).
fn trim_end_space(b: &[u8]) -> &[u8] {
    match std::str::from_utf8(b) {
        Ok(s) => s.trim_end().as_bytes(),
        Err(_) => {
            let n = b.iter().rev().take_while(|c| c.is_ascii_whitespace() || **c == 0x0b).count();
            &b[..b.len() - n]
        }
    }
}

fn replace(b: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_bytes;

    #[test]
    fn long_arrays_format_the_same_in_parallel() {
        // Entries of every shape the formatter treats differently: one-line and expanded,
        // commented, long enough to pass 80 columns, nested, aligned members, blank lines.
        let entry = |i: usize| match i % 6 {
            0 => format!("{{\"src\": [\"user{i}@example.com\"], \"dst\": [\"tag:a\"], \"ip\": [\"tcp:{i}\"]}}"),
            1 => format!("// entry {i}\n{{\n\"src\":\"u{i}\",\n\"accept\":[\"tag:b:{i}\"],}}"),
            2 => format!("[{i}, [{i}, {{\"x\": [1,\n2]}}], /* c */ \"{}\"]", "y".repeat(i % 90)),
            3 => format!("\n\n{{\"a\": 1, \"bbb\": {{\"c\": [{i}]}}, /* t */}}"),
            4 => format!("\"{i}\" /* trailing */"),
            _ => format!("{{\"long\": \"{}\", \"n\": null}}", "z".repeat(i % 120)),
        };
        let body = |n: usize, sep: &str| (0..n).map(entry).collect::<Vec<_>>().join(sep);
        // Lengths that put a different kind of entry first in the second half of each array.
        let doc = format!(
            "// big\n{{\"grants\": [\n{}\n], \"tests\": [{}], \"a\": [{}], \"b\": [{}]}}",
            body(3001, ",\n"),
            body(3000, ", "),
            body(3005, ",\n"),
            body(3003, ","),
        );
        let parallel = format_bytes(doc.as_bytes()).unwrap();
        crate::parallel::SEQUENTIAL.set(true);
        let sequential = format_bytes(doc.as_bytes()).unwrap();
        crate::parallel::SEQUENTIAL.set(false);
        assert!(parallel == sequential, "parallel formatting differs");
        assert_eq!(format_bytes(&parallel).unwrap(), parallel, "and is a fixed point");
    }

    fn fmt(s: &str) -> String {
        String::from_utf8(format_bytes(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn expands_and_adds_trailing_commas() {
        assert_eq!(fmt("{\"a\":1,\n\"bb\":[1,2,]}"), "{\n\t\"a\":  1,\n\t\"bb\": [1, 2],\n}\n");
    }

    #[test]
    fn standard_json_stays_standard() {
        assert_eq!(fmt("{\n\"a\": 1}"), "{\n\t\"a\": 1\n}\n");
    }

    #[test]
    fn is_idempotent_on_comments() {
        let once = fmt("// top\n{ // a\n  \"a\": /* b */ 1, /* c\n   * d\n   */\n}");
        assert_eq!(fmt(&once), once);
    }
}
