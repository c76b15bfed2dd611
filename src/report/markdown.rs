//! Markdown for pull-request comments, built so that no string from a grant file can change
//! the comment's structure: a backtick cannot close a code span, a `|` cannot open a table
//! cell, a line break cannot start a heading or a fake "approved" line, `@name` cannot notify
//! anyone, and HTML stays text.

use crate::model::text::{multi_line, one_line};

/// Inline text (a table cell, a list item): one line, Markdown and HTML punctuation escaped.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            // `:` for emoji shortcodes (a fake ✅), `#` for headings, `$` for math, `.` and `:`
            // so that no bare URL or `www.` name becomes a link, the rest for emphasis, links,
            // code and tables.
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '#' | '|' | '~' | '>' | ':' | '$' | '.' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            // An entity renders as `@` but notifies nobody.
            '@' => out.push_str("&#64;"),
            _ => out.push(c),
        }
    }
    out
}

/// A code span, for use inside a table: fenced with more backticks than the text holds in a
/// row, padded when it starts or ends with one, and `|` escaped (GitHub's tables split on it
/// even inside code spans, and unescape `\|` there).
pub fn code(s: &str) -> String {
    let s = one_line(s).replace('|', "\\|");
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A fenced code block of `lang`, with a fence longer than any run of backticks in `body`, so
/// the body cannot close it.
pub(crate) fn code_block(lang: &str, body: &str) -> String {
    let body = multi_line(body);
    let fence = "`".repeat((longest_run(&body, '`') + 1).max(3));
    let newline = if body.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{lang}\n{body}{newline}{fence}\n")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_cannot_escape_their_place() {
        assert_eq!(code("tag:prod-db:5432"), "`tag:prod-db:5432`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a\nb"), "`a\\u{000A}b`");
        let t = text("bob@example.com\n### Approved by security | <img src=x> [x](y)");
        assert!(!t.contains('\n') && !t.contains('@') && !t.contains('<'), "{t}");
        assert!(t.contains("\\|") && t.contains("\\#") && t.contains("\\["), "{t}");
        let block = code_block("diff", "+ ```\n+ </details>\n");
        assert!(block.starts_with("````diff\n") && block.ends_with("\n````\n"), "{block}");
    }
}
