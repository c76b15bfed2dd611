//! Findings for people: the source line with the span underlined, the help, and a summary.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use crate::finding::{Finding, Severity};
use crate::model::text::{multi_line, one_line, same_length_placeholder};
use crate::parse::SourceFile;
use crate::pipeline::Report;

/// Renders one finding with a snippet of `source`, if there is one.
///
/// Everything shown is escaped for a terminal (`model::text`): messages quote strings from
/// files, and the quoted lines are the files' own, so neither may carry control characters,
/// bidi controls or a carriage return that would rewrite what the terminal shows.
pub fn finding(f: &Finding, source: Option<&SourceFile>, color: bool) -> String {
    let mut help = multi_line(&f.help).into_owned();
    let mut labels = Vec::new();
    let span = f.location.span.clone();
    labels.push(LabeledSpan::new_primary_with_span(Some(f.code.name().to_owned()), span.start..span.end));
    for (loc, label) in &f.related {
        if loc.file == f.location.file {
            labels.push(LabeledSpan::new_with_span(Some(one_line(label).into_owned()), loc.span.start..loc.span.end));
        } else {
            help.push_str(&format!("\n{}: {}:{}:{}", one_line(label), one_line(&loc.file), loc.line, loc.column));
        }
    }
    let file = one_line(&f.location.file);
    let diag = MietteDiagnostic::new(format!("{}: {}", f.code.as_str(), multi_line(&f.message)))
        .with_severity(match f.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
        .with_help(help);
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    let rendered = match source {
        Some(src) if span.end <= src.text.len() && line_len(&src.text, span.start) <= MAX_SNIPPET_LINE => {
            let diag = diag.with_labels(labels);
            let text = same_length_placeholder(&src.text).into_owned();
            let report = miette::Report::new(diag).with_source_code(NamedSource::new(one_line(&src.path), text));
            handler.render_report(&mut out, report.as_ref())
        }
        // A file that cannot be read has no line to point at (it may not exist): its message
        // names it.
        _ if f.code == crate::finding::Code::Unreadable => handler.render_report(&mut out, &diag),
        _ => {
            // No snippet to mark related places in: list them all with their positions.
            let mut help = format!("{}\n  at {file}:{}:{}", multi_line(&f.help), f.location.line, f.location.column);
            for (loc, label) in &f.related {
                help.push_str(&format!("\n{}: {}:{}:{}", one_line(label), one_line(&loc.file), loc.line, loc.column));
            }
            let diag = diag.with_help(help);
            handler.render_report(&mut out, &diag)
        }
    };
    if rendered.is_err() {
        out = format!(
            "{file}:{}:{}: {} {}\n",
            f.location.line,
            f.location.column,
            f.code.as_str(),
            multi_line(&f.message)
        );
    }
    out
}

/// Every finding, each followed by a blank line, quoting the file `source` gives for its path.
/// Rendered across cores in chunks (each finding is laid out on its own), joined in order.
pub fn findings<'a>(
    findings: &[Finding],
    source: impl Fn(&str) -> Option<&'a SourceFile> + Sync,
    color: bool,
) -> String {
    crate::parallel::par_chunks_ref(findings, |chunk| {
        let mut text = String::new();
        for f in chunk {
            text.push_str(&finding(f, source(&f.location.file), color));
            text.push('\n');
        }
        text
    })
    .concat()
}

/// Lines longer than this are not quoted (a minified or generated file would flood the
/// terminal); the finding still names file, line and column.
const MAX_SNIPPET_LINE: usize = 300;

fn line_len(text: &str, offset: usize) -> usize {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    end - start
}

/// The closing summary line of `check`.
pub fn summary(report: &Report) -> String {
    let errors = report.findings.iter().filter(|f| f.is_error()).count();
    let warnings = report.findings.len() - errors;
    let fr = report.fragments;
    let t = report.tests;
    let mut tests = format!("tests: {} passed, {} failed", t.passed, t.failed);
    if t.inconclusive > 0 {
        tests.push_str(&format!(", {} inconclusive", t.inconclusive));
    }
    format!(
        "{} {}, {} {}; fragments: {} active, {} expired, {} pending; {tests}\n",
        errors,
        plural(errors, "error"),
        warnings,
        plural(warnings, "warning"),
        fr.active,
        fr.expired,
        fr.pending
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Location};

    fn located(file: &str, line: usize) -> Location {
        Location { file: file.to_owned(), span: 10..12, line, column: 3, char_column: 3 }
    }

    #[test]
    fn without_a_snippet_every_related_place_is_listed() {
        let f = Finding::new(Code::ConflictingDefinition, located("grants/a.hujson", 4), "two owners", "pick one")
            .related(located("grants/a.hujson", 9), "defined again here")
            .related(located("policy.hujson", 2), "first defined here");
        let out = finding(&f, None, false);
        assert!(out.contains("defined again here: grants/a.hujson:9:3"), "{out}");
        assert!(out.contains("first defined here: policy.hujson:2:3"), "{out}");
        assert!(out.contains("at grants/a.hujson:4:3"), "{out}");
    }

    #[test]
    fn with_a_snippet_places_in_other_files_go_in_the_help() {
        let src = SourceFile::new("grants/a.hujson".into(), "a.hujson".into(), "{\n  \"x\": 1,\n}\n".into());
        let f = Finding::new(Code::ConflictingDefinition, located("grants/a.hujson", 2), "two owners", "pick one")
            .related(located("policy.hujson", 2), "first defined here");
        let out = finding(&f, Some(&src), false);
        assert!(out.contains("first defined here: policy.hujson:2:3"), "{out}");
    }
}
