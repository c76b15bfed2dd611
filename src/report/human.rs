//! Findings for people: the source line with the span underlined, the help, and a summary.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

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
    Renderer::new(color).finding(f, source)
}

/// Every finding, each followed by a blank line, quoting the file `source` gives for its path.
/// Rendered across cores in chunks (each finding is laid out on its own), joined in order.
pub fn findings<'a>(
    findings: &[Finding],
    source: impl Fn(&str) -> Option<&'a SourceFile> + Sync,
    color: bool,
) -> String {
    crate::parallel::par_chunks_ref(findings, |chunk| {
        let mut renderer = Renderer::new(color);
        let mut text = String::new();
        for f in chunk {
            text.push_str(&renderer.finding(f, source(&f.location.file)));
            text.push('\n');
        }
        text
    })
    .concat()
}

/// miette's graphical handler, set up once for many findings, with the help lines it has laid
/// out: most findings of a run share their help text (every expired grant file's says the
/// same), and wrapping it is a third of a finding's cost.
struct Renderer {
    handler: GraphicalReportHandler,
    /// What the handler writes for a diagnostic with an empty message and nothing else: the
    /// part of a help-only diagnostic's output that is not its help.
    bare: String,
    helps: HashMap<String, String>,
}

impl Renderer {
    fn new(color: bool) -> Self {
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
        let mut bare = String::new();
        if handler.render_report(&mut bare, &MietteDiagnostic::new("")).is_err() {
            bare.clear();
        }
        Renderer { handler, bare, helps: HashMap::new() }
    }

    fn finding(&mut self, f: &Finding, source: Option<&SourceFile>) -> String {
        let mut help = multi_line(&f.help).into_owned();
        let mut labels = Vec::new();
        let span = f.location.span.clone();
        labels.push(LabeledSpan::new_primary_with_span(Some(f.code.name().to_owned()), span.start..span.end));
        for (loc, label) in &f.related {
            if loc.file == f.location.file {
                labels
                    .push(LabeledSpan::new_with_span(Some(one_line(label).into_owned()), loc.span.start..loc.span.end));
            } else {
                help.push_str(&format!("\n{}: {}:{}:{}", one_line(label), one_line(&loc.file), loc.line, loc.column));
            }
        }
        let file = one_line(&f.location.file);
        let diag = MietteDiagnostic::new(format!("{}: {}", f.code.as_str(), multi_line(&f.message))).with_severity(
            match f.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
        );
        let mut out = String::new();
        let rendered = match source {
            Some(src) if span.end <= src.text.len() && line_len(&src.text, span.start) <= MAX_SNIPPET_LINE => {
                let quoted = Excerpt::around(src, labels.iter().map(|l| l.offset()..l.offset() + l.len()));
                let diag = Quoted { diag: diag.with_labels(labels), source: quoted };
                self.render(&mut out, &diag, help)
            }
            // A file that cannot be read has no line to point at (it may not exist): its message
            // names it.
            _ if f.code == crate::finding::Code::Unreadable => self.render(&mut out, &diag, help),
            _ => {
                // No snippet to mark related places in: list them all with their positions.
                let mut help =
                    format!("{}\n  at {file}:{}:{}", multi_line(&f.help), f.location.line, f.location.column);
                for (loc, label) in &f.related {
                    help.push_str(&format!(
                        "\n{}: {}:{}:{}",
                        one_line(label),
                        one_line(&loc.file),
                        loc.line,
                        loc.column
                    ));
                }
                self.render(&mut out, &diag, help)
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

    /// `diag` as the handler renders it with `help`. The help is written last (after the
    /// message and the snippets; nothing follows it, as a finding has no related diagnostics
    /// and the handler no footer), so the output is the diagnostic without help followed by
    /// the help's lines, which are the same for every diagnostic with that help.
    fn render(&mut self, out: &mut String, diag: &dyn Diagnostic, help: String) -> std::fmt::Result {
        self.handler.render_report(out, diag)?;
        if let Some(lines) = self.helps.get(&help) {
            out.push_str(lines);
            return Ok(());
        }
        let mut alone = String::new();
        self.handler.render_report(&mut alone, &MietteDiagnostic::new("").with_help(help.clone()))?;
        let Some(lines) = alone.strip_prefix(&self.bare) else {
            return Err(std::fmt::Error);
        };
        out.push_str(lines);
        self.helps.insert(help, lines.to_owned());
        Ok(())
    }
}

/// A diagnostic with the source it points into (what `miette::Report::with_source_code`
/// builds, without the report's hook and backtrace machinery, which rendering does not use).
#[derive(Debug)]
struct Quoted<'a> {
    diag: MietteDiagnostic,
    source: Excerpt<'a>,
}

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.diag.fmt(f)
    }
}

impl std::error::Error for Quoted<'_> {}

impl Diagnostic for Quoted<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diag.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.diag.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diag.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diag.url()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.diag.labels()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
}

/// The lines of a file around the places a finding marks, with deceptive characters replaced
/// (`same_length_placeholder`), as miette reads them: quoting a line should not cost a pass
/// over the whole file (a base policy runs to megabytes, and each of thousands of findings
/// quotes it). miette reads a span by counting lines from the start of what it is given, so
/// the excerpt starts a few lines before the first mark and ends a few lines after the last,
/// and what it reads is moved back to the file's offsets and line numbers. A read that would
/// reach beyond the excerpt's margin is served from the whole file instead.
#[derive(Debug)]
struct Excerpt<'a> {
    name: String,
    file: &'a SourceFile,
    /// Byte offset in the file where `text` starts (a line start).
    start: usize,
    /// Lines of the file before `start`.
    lines_before: usize,
    text: Cow<'a, str>,
    whole: OnceLock<Cow<'a, str>>,
}

/// Lines the excerpt holds beyond the marks on each side: miette reads one line of context
/// around a span (`context_lines`), and needs to see the line break that ends it.
const EXCERPT_MARGIN: usize = 4;

impl<'a> Excerpt<'a> {
    fn around(file: &'a SourceFile, spans: impl Iterator<Item = Range<usize>>) -> Self {
        let text = &file.text;
        let (lo, hi) = spans.fold((text.len(), 0), |(lo, hi), s| (lo.min(s.start), hi.max(s.end)));
        let (lo, hi) = (lo.min(text.len()), hi.clamp(lo.min(text.len()), text.len()));
        let bytes = text.as_bytes();
        // Back from the first mark over the line break ending each earlier line, then to the
        // start of the line reached.
        let start = newlines(&bytes[..lo]).rev().nth(EXCERPT_MARGIN).map_or(0, |i| i + 1);
        // On from the last mark to just after the margin's last line break.
        let from = hi.saturating_sub(1).min(text.len());
        let end = newlines(&bytes[from..]).nth(EXCERPT_MARGIN).map_or(text.len(), |i| from + i + 1);
        Excerpt {
            name: one_line(&file.path).into_owned(),
            file,
            start,
            lines_before: file.position(start).0 - 1,
            text: same_length_placeholder(&text[start..end]),
            whole: OnceLock::new(),
        }
    }

    /// Whether miette reads `span` with this much context in the excerpt exactly as in the
    /// whole file: the span lies inside it, with more line breaks than the context on each
    /// side, or the excerpt reaches the file's edge on that side.
    fn holds(&self, span: &SourceSpan, before: usize, after: usize) -> bool {
        let Some(offset) = span.offset().checked_sub(self.start) else { return false };
        let bytes = self.text.as_bytes();
        let end = offset + span.len();
        if end > bytes.len() {
            return false;
        }
        let at_start = self.start == 0;
        let at_end = self.start + bytes.len() == self.file.text.len();
        let last = end.saturating_sub(1);
        (at_start || newlines(&bytes[..offset]).count() > before + 1)
            && (at_end || newlines(&bytes[(last + 1).min(bytes.len())..]).count() > after + 1)
    }
}

/// The offsets of the line feeds in `bytes`.
fn newlines(bytes: &[u8]) -> impl DoubleEndedIterator<Item = usize> + '_ {
    bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i)
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        if !self.holds(span, before, after) {
            let whole = self.whole.get_or_init(|| same_length_placeholder(&self.file.text));
            let read = SourceCode::read_span(&**whole, span, before, after)?;
            return Ok(Box::new(MietteSpanContents::new_named(
                self.name.clone(),
                read.data(),
                *read.span(),
                read.line(),
                read.column(),
                read.line_count(),
            )));
        }
        let local = SourceSpan::new((span.offset() - self.start).into(), span.len());
        let read = SourceCode::read_span(&*self.text, &local, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            read.data(),
            SourceSpan::new((read.span().offset() + self.start).into(), read.span().len()),
            read.line() + self.lines_before,
            read.column(),
            read.line_count() + self.lines_before,
        )))
    }
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
    use proptest::prelude::*;

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

    /// Text with the line breaks, carriage returns and deceptive characters that line
    /// counting and the placeholders treat specially, and a mark's span at character
    /// boundaries in it.
    fn text_and_spans() -> impl Strategy<Value = (String, Vec<Range<usize>>)> {
        let piece =
            prop::sample::select(vec!["\n", "\n", "\r\n", "\r", "ab", " ", "\t", "\u{202e}", "\u{e9}", "\x1b", "\n\n"]);
        (prop::collection::vec(piece, 0..60), prop::collection::vec((any::<usize>(), 0usize..12), 1..3)).prop_map(
            |(pieces, marks)| {
                let text: String = pieces.concat();
                let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
                let spans = marks
                    .into_iter()
                    .map(|(at, len)| {
                        let a = at % bounds.len();
                        bounds[a]..bounds[(a + len).min(bounds.len() - 1)]
                    })
                    .collect();
                (text, spans)
            },
        )
    }

    proptest::proptest! {
        /// miette reads a span from an excerpt exactly as it reads it from the whole file, with
        /// any context asked for (a context wider than the excerpt's margin reads the file).
        #[test]
        fn an_excerpt_reads_as_the_whole_file((text, spans) in text_and_spans(), before in 0usize..7, after in 0usize..7) {
            let src = SourceFile::new("grants/a.hujson".into(), "a.hujson".into(), text.clone());
            let excerpt = Excerpt::around(&src, spans.iter().cloned());
            let whole = miette::NamedSource::new("grants/a.hujson", same_length_placeholder(&text).into_owned());
            for span in &spans {
                let span = SourceSpan::from(span.clone());
                let read = |s: &dyn SourceCode| {
                    s.read_span(&span, before, after).map(|c| {
                        (c.data().to_vec(), *c.span(), c.line(), c.column(), c.line_count(), c.name().map(str::to_owned))
                    })
                };
                proptest::prop_assert_eq!(
                    format!("{:?}", read(&excerpt)),
                    format!("{:?}", read(&whole)),
                    "{:?} in {:?}",
                    span,
                    text
                );
            }
        }

        /// A run of findings, some sharing their help, renders as miette renders each alone
        /// with the whole file as its source.
        #[test]
        fn findings_render_as_miette_renders_them_with_the_whole_file(
            cases in prop::collection::vec((text_and_spans(), 0usize..3, any::<bool>()), 1..6),
        ) {
            let helps = ["pick one", "", "delete the file (`tailgrant prune --delete`), or renew it with a new expiry in a new pull request, or\nask again"];
            let mut renderer = Renderer::new(false);
            for ((text, spans), help, related) in cases {
                let src = SourceFile::new("grants/a.hujson".into(), "a.hujson".into(), text);
                let mut f = Finding::new(
                    Code::ConflictingDefinition,
                    Location::new(&src, spans[0].clone()),
                    "two owners of the same name, which is one too many for anyone to follow",
                    helps[help],
                );
                if related {
                    for s in &spans[1..] {
                        f = f.related(Location::new(&src, s.clone()), "defined again here");
                    }
                }
                let labels: Vec<_> = std::iter::once(LabeledSpan::new_primary_with_span(
                    Some(f.code.name().to_owned()),
                    f.location.span.clone(),
                ))
                .chain(f.related.iter().map(|(l, label)| LabeledSpan::new_with_span(Some(label.clone()), l.span.clone())))
                .collect();
                let diag = MietteDiagnostic::new(format!("{}: {}", f.code.as_str(), f.message))
                    .with_severity(match f.severity {
                        Severity::Error => miette::Severity::Error,
                        Severity::Warning => miette::Severity::Warning,
                    })
                    .with_help(f.help.clone())
                    .with_labels(labels);
                let report = miette::Report::new(diag).with_source_code(miette::NamedSource::new(
                    src.path.clone(),
                    same_length_placeholder(&src.text).into_owned(),
                ));
                let mut expected = String::new();
                renderer.handler.render_report(&mut expected, report.as_ref()).unwrap();
                proptest::prop_assert_eq!(renderer.finding(&f, Some(&src)), expected);
            }
        }
    }
}
