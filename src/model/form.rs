//! The access request form (`.github/ISSUE_TEMPLATE/access-request.yml`) as GitHub writes a
//! submitted issue's body: one `### Label` heading per field, then the answer, `_No response_`
//! for an optional field left empty. The body is written by whoever opens the issue, so it is
//! read as strictly as a grant file: a heading the form does not have, a field given twice,
//! text outside the fields, a value that does not parse, or a character that hides or
//! reorders text is a finding at its line and column, and nothing is drafted.

use jiff::Timestamp;

use crate::finding::{Code, Finding, Location};
use crate::model::Duration;
use crate::model::draft::Draft;
use crate::model::selector::{parse_ports, split_host_ports};
use crate::model::text::is_deceptive;
use crate::parse::{SourceFile, Span};

/// The form's fields, by the label GitHub writes as the heading, and whether an answer is
/// required. The template's labels must be exactly these (a test compares them).
pub const FIELDS: &[(&str, bool)] = &[
    (DESTINATIONS, true),
    (PROTOCOL, false),
    (DURATION, false),
    (END_TIME, false),
    (REASON, true),
    (TICKET, false),
    (APPROVERS, true),
    (DEVICE, false),
    (POSTURE_ATTRIBUTE, false),
    (TAILNET, false),
];

const DESTINATIONS: &str = "Destinations";
const PROTOCOL: &str = "Protocol";
const DURATION: &str = "Duration";
const END_TIME: &str = "End time";
const REASON: &str = "Reason";
const TICKET: &str = "Ticket";
const APPROVERS: &str = "Approvers";
const DEVICE: &str = "Device";
const POSTURE_ATTRIBUTE: &str = "Posture attribute";
const TAILNET: &str = "Tailnet";

/// What GitHub writes for an optional field left empty.
const NO_RESPONSE: &str = "_No response_";

/// The protocols the form offers.
const PROTOCOLS: &[&str] = &["tcp", "udp", "sctp"];

/// How long the access lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Window {
    For(Duration),
    Until(Timestamp),
}

/// A request as the form gives it; the requester is not in it (that is the author).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `HOST:PORTS`, one per line of the form.
    pub(crate) dst: Vec<String>,
    pub(crate) proto: String,
    pub(crate) window: Window,
    /// The reason, with the ticket in parentheses when one is given.
    pub(crate) reason: String,
    pub(crate) approvers: Vec<String>,
    /// A device and the posture attribute to set on it (`true`) while the grant lasts.
    pub(crate) posture: Option<(String, String)>,
    /// With `tailnets`: which one the access is on, as written, and where.
    pub(crate) tailnet: Option<(String, Span)>,
}

impl Request {
    /// The grant file for `requester`, starting at `now`.
    pub fn draft(&self, requester: &str, now: Timestamp) -> Draft {
        let expires = match &self.window {
            Window::For(d) => now.checked_add(d.0).unwrap_or(now),
            Window::Until(t) => *t,
        };
        Draft {
            requester: requester.to_owned(),
            src: Vec::new(),
            approvers: self.approvers.clone(),
            dst: self.dst.clone(),
            proto: self.proto.clone(),
            reason: self.reason.clone(),
            not_before: now,
            expires,
            posture: self.posture.iter().cloned().collect(),
        }
    }
}

/// One answer: the heading's span and the answer's lines (text and span), blank lines at
/// either end left out.
struct Answer {
    heading: Span,
    lines: Vec<(String, Span)>,
}

impl Answer {
    fn is_empty(&self) -> bool {
        self.lines.is_empty() || (self.lines.len() == 1 && self.lines[0].0 == NO_RESPONSE)
    }

    /// The span of the whole answer, or of the heading when there is none.
    fn span(&self) -> Span {
        match (self.lines.first(), self.lines.last()) {
            (Some(a), Some(b)) => a.1.start..b.1.end,
            _ => self.heading.clone(),
        }
    }
}

/// Reads a submitted form. Every problem is a finding (`TG501`, `TG211`) located in `file`.
pub fn read(file: &SourceFile) -> Result<Request, Vec<Finding>> {
    let mut findings = Vec::new();
    let text = &file.text;
    // Characters that hide or reorder text are refused wherever they are, as in a grant file.
    for (i, c) in text.char_indices() {
        if is_deceptive(c) || (c == '\r' && text.as_bytes().get(i + 1) != Some(&b'\n')) {
            findings.push(Finding::new(
                Code::DeceptiveText,
                Location::new(file, i..i + c.len_utf8()),
                format!("U+{:04X} hides or reorders text, so reviewers may not read what the request says", c as u32),
                "edit the issue and delete the character (search for it by its code point), or open a new request",
            ));
        }
    }
    let answers = split(file, &mut findings);
    let find = |label: &str| answers.iter().find(|(l, _)| l == label).map(|(_, a)| a);
    let bad = |span: Span, message: String, help: &str| {
        Finding::new(Code::InvalidRequest, Location::new(file, span), message, help)
    };
    for (label, required) in FIELDS {
        if *required && find(label).is_none_or(Answer::is_empty) {
            let at = find(label).map_or(0..0, Answer::span);
            findings.push(bad(
                at,
                format!("the request has no answer for \"{label}\""),
                "edit the issue and fill in every required field of the form",
            ));
        }
    }
    let given = |label: &str| find(label).filter(|a| !a.is_empty());
    let one_line = |label: &str, findings: &mut Vec<Finding>| -> Option<(String, Span)> {
        let a = given(label)?;
        if a.lines.len() > 1 {
            findings.push(bad(a.span(), format!("\"{label}\" takes one line"), "edit the issue: write it on one line"));
        }
        a.lines.first().cloned()
    };

    let mut dst = Vec::new();
    for (line, span) in given(DESTINATIONS).map(|a| a.lines.as_slice()).unwrap_or_default() {
        // One a line: a comma belongs to the port list (`tag:web:80,443`).
        for d in line.split_whitespace() {
            let parsed = split_host_ports(d).and_then(|(_, ports)| parse_ports(ports).map(|_| ()));
            match parsed {
                Ok(()) => dst.push(d.to_owned()),
                Err(e) => findings.push(bad(
                    span.clone(),
                    format!("destination {:?} is not HOST:PORTS: {e}", crate::model::text::one_line(d)),
                    "write one destination a line as HOST:PORTS, e.g. tag:prod-db:5432 or tag:web:80,443",
                )),
            }
        }
    }

    let proto = match one_line(PROTOCOL, &mut findings) {
        None => "tcp".to_owned(),
        Some((p, span)) => {
            let p = p.to_ascii_lowercase();
            if !PROTOCOLS.contains(&p.as_str()) {
                findings.push(bad(
                    span,
                    format!("protocol {:?} is not one the form offers", crate::model::text::one_line(&p)),
                    "choose tcp, udp or sctp",
                ));
            }
            p
        }
    };

    let duration = one_line(DURATION, &mut findings);
    let end = one_line(END_TIME, &mut findings);
    let window = match (duration, end) {
        (Some((d, span)), None) => match d.parse::<Duration>() {
            Ok(d) if d.0.is_positive() => Some(Window::For(d)),
            Ok(_) => {
                findings.push(bad(span, "the duration is zero".into(), "write how long, e.g. 8h or 2d"));
                None
            }
            Err(e) => {
                findings.push(bad(
                    span,
                    crate::model::text::one_line(&e).into_owned(),
                    "write how long, e.g. 8h or 2d",
                ));
                None
            }
        },
        (None, Some((t, span))) => match t.parse::<Timestamp>() {
            Ok(t) => Some(Window::Until(t)),
            Err(_) => {
                findings.push(bad(
                    span,
                    format!("{:?} is not an RFC 3339 instant", crate::model::text::one_line(&t)),
                    "write it like 2026-11-23T17:00:00Z",
                ));
                None
            }
        },
        (Some((_, a)), Some((_, b))) => {
            findings.push(bad(
                a.start..b.end,
                "the request gives both a duration and an end time".into(),
                "keep one of them: \"Duration\" (e.g. 8h) or \"End time\"",
            ));
            None
        }
        (None, None) => {
            findings.push(bad(
                0..0,
                "the request says neither how long nor until when".into(),
                "fill in \"Duration\" (e.g. 8h) or \"End time\" (e.g. 2026-11-23T17:00:00Z)",
            ));
            None
        }
    };

    // Prose: its lines joined, so that the description stays on one line.
    let reason = given(REASON)
        .map(|a| a.lines.iter().map(|(l, _)| l.trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let reason = match one_line(TICKET, &mut findings) {
        Some((t, _)) => format!("{reason} ({})", t.trim()),
        None => reason,
    };

    let approvers: Vec<String> = given(APPROVERS)
        .map(|a| {
            a.lines
                .iter()
                .flat_map(|(l, _)| l.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();

    let posture = match (one_line(DEVICE, &mut findings), one_line(POSTURE_ATTRIBUTE, &mut findings)) {
        (None, None) => None,
        (Some((d, _)), Some((k, _))) => Some((d, k)),
        (Some((_, span)), None) | (None, Some((_, span))) => {
            findings.push(bad(
                span,
                "a device needs a posture attribute, and a posture attribute a device".into(),
                "fill in both \"Device\" and \"Posture attribute\" (e.g. custom:prodAccess), or neither",
            ));
            None
        }
    };

    let tailnet = one_line(TAILNET, &mut findings).map(|(t, span)| (t.trim().to_owned(), span));

    match window {
        Some(window) if findings.is_empty() => Ok(Request { dst, proto, window, reason, approvers, posture, tailnet }),
        _ => {
            crate::finding::sort(&mut findings);
            Err(findings)
        }
    }
}

/// The body's answers by label. Text before the first heading, a heading the form does not
/// have, and a field given twice are findings.
fn split(file: &SourceFile, findings: &mut Vec<Finding>) -> Vec<(String, Answer)> {
    let mut answers: Vec<(String, Answer)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut offset = 0;
    for raw in file.text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches('\n').trim_end_matches('\r');
        let span = start..start + line.len();
        if let Some(label) = line.strip_prefix("### ") {
            let label = label.trim();
            let known = FIELDS.iter().any(|(l, _)| *l == label);
            let again = answers.iter().any(|(l, _)| l == label);
            if !known || again {
                let message = if again {
                    format!("\"{}\" is answered twice", crate::model::text::one_line(label))
                } else {
                    format!("\"{}\" is not a field of the access request form", crate::model::text::one_line(label))
                };
                findings.push(Finding::new(
                    Code::InvalidRequest,
                    Location::new(file, span),
                    message,
                    "open the request with the form (New issue → Access request) and do not edit its headings",
                ));
                current = None;
                continue;
            }
            answers.push((label.to_owned(), Answer { heading: span, lines: Vec::new() }));
            current = Some(answers.len() - 1);
            continue;
        }
        match current {
            Some(i) => answers[i].1.lines.push((line.trim().to_owned(), span)),
            None if line.trim().is_empty() => {}
            None if answers.is_empty() => {
                findings.push(Finding::new(
                    Code::InvalidRequest,
                    Location::new(file, span),
                    "text before the form's first field".to_owned(),
                    "open the request with the form (New issue → Access request); it starts with ### Destinations",
                ));
                // Once is enough: the rest is the same mistake (a placeholder, dropped below).
                answers.push((String::new(), Answer { heading: 0..0, lines: Vec::new() }));
            }
            // Lines under a refused heading: already reported with it.
            None => {}
        }
    }
    answers.retain(|(l, _)| !l.is_empty());
    for (_, a) in &mut answers {
        while a.lines.first().is_some_and(|(l, _)| l.is_empty()) {
            a.lines.remove(0);
        }
        while a.lines.last().is_some_and(|(l, _)| l.is_empty()) {
            a.lines.pop();
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("issue.md".into(), "issue.md".into(), text.into())
    }

    const GOOD: &str = "### Destinations\n\ntag:prod-db:5432\ntag:web:80,443\n\n### Protocol\n\ntcp\n\n\
        ### Duration\n\n8h\n\n### End time\n\n_No response_\n\n### Reason\n\nDebug replication lag\non prod-db\n\n\
        ### Ticket\n\nINC-4211\n\n### Approvers\n\nbob@example.com, carol@example.com\n\n### Device\n\n_No response_\n\n\
        ### Posture attribute\n\n_No response_\n";

    fn codes(text: &str) -> Vec<(String, usize, String)> {
        match read(&file(text)) {
            Ok(r) => panic!("read: {r:?}"),
            Err(f) => f.into_iter().map(|f| (f.code.as_str().to_owned(), f.location.line, f.message)).collect(),
        }
    }

    #[test]
    fn every_field() {
        let r = read(&file(GOOD)).unwrap();
        assert_eq!(r.dst, ["tag:prod-db:5432", "tag:web:80,443"]);
        assert_eq!(r.proto, "tcp");
        assert_eq!(r.window, Window::For("8h".parse().unwrap()));
        assert_eq!(r.reason, "Debug replication lag on prod-db (INC-4211)");
        assert_eq!(r.approvers, ["bob@example.com", "carol@example.com"]);
        assert_eq!(r.posture, None);
        // CRLF line ends, as a browser may send them, read the same.
        assert_eq!(read(&file(&GOOD.replace('\n', "\r\n"))).unwrap(), r);
        let until = GOOD
            .replace("### Duration\n\n8h", "### Duration\n\n_No response_")
            .replace("### End time\n\n_No response_", "### End time\n\n2026-11-23T17:00:00Z")
            .replace("### Device\n\n_No response_", "### Device\n\nalice-laptop")
            .replace("### Posture attribute\n\n_No response_", "### Posture attribute\n\ncustom:prodAccess")
            .replace("### Protocol\n\ntcp", "### Protocol\n\nUDP");
        let r = read(&file(&until)).unwrap();
        assert_eq!(r.window, Window::Until("2026-11-23T17:00:00Z".parse().unwrap()));
        assert_eq!(r.posture, Some(("alice-laptop".into(), "custom:prodAccess".into())));
        assert_eq!(r.proto, "udp");
        let d = r.draft("alice@example.com", "2026-11-23T09:00:00Z".parse().unwrap());
        assert_eq!(d.expires.to_string(), "2026-11-23T17:00:00Z");
    }

    #[test]
    fn missing_and_malformed_values() {
        let no_dst = GOOD.replace("tag:prod-db:5432\ntag:web:80,443", "_No response_");
        assert_eq!(codes(&no_dst), [("TG501".into(), 3, "the request has no answer for \"Destinations\"".into())]);
        let no_approvers = GOOD.replace("### Approvers\n\nbob@example.com, carol@example.com\n\n", "");
        assert!(codes(&no_approvers)[0].2.contains("\"Approvers\""));
        let port = GOOD.replace("tag:prod-db:5432", "tag:prod-db");
        assert_eq!(codes(&port)[0].1, 3);
        assert!(codes(&port)[0].2.contains("not HOST:PORTS"));
        let both = GOOD.replace("### End time\n\n_No response_", "### End time\n\n2026-11-23T17:00:00Z");
        assert!(codes(&both)[0].2.contains("both a duration and an end time"));
        let neither = GOOD.replace("### Duration\n\n8h", "### Duration\n\n_No response_");
        assert!(codes(&neither)[0].2.contains("neither how long"));
        for (bad, needle) in [("8 parsecs", "not a duration"), ("0h", "zero"), ("3mo", "months")] {
            let c = codes(&GOOD.replace("### Duration\n\n8h", &format!("### Duration\n\n{bad}")));
            assert!(c[0].2.contains(needle), "{bad}: {c:?}");
        }
        let t = codes(
            &GOOD.replace("8h", "_No response_").replace("### End time\n\n_No response_", "### End time\n\nFriday"),
        );
        assert!(t[0].2.contains("RFC 3339"), "{t:?}");
        let proto = codes(&GOOD.replace("### Protocol\n\ntcp", "### Protocol\n\nicmp"));
        assert!(proto[0].2.contains("protocol"), "{proto:?}");
        let two_lines = codes(&GOOD.replace("### Ticket\n\nINC-4211", "### Ticket\n\nINC-1\nINC-2"));
        assert!(two_lines[0].2.contains("one line"), "{two_lines:?}");
        let half = codes(&GOOD.replace("### Device\n\n_No response_", "### Device\n\nalice-laptop"));
        assert!(half[0].2.contains("posture attribute"), "{half:?}");
        assert!(codes("")[0].2.contains("no answer"));
    }

    #[test]
    fn a_body_that_is_not_the_form_is_refused() {
        let extra = GOOD.replace("### Ticket", "### Source\n\n*\n\n### Ticket");
        let c = codes(&extra);
        assert_eq!(c[0].0, "TG501");
        assert!(c[0].2.contains("\"Source\" is not a field"), "{c:?}");
        let twice = format!("{GOOD}\n### Approvers\n\neve@example.com\n");
        assert!(codes(&twice).iter().any(|c| c.2.contains("answered twice")), "{:?}", codes(&twice));
        let before = format!("Please approve quickly!\n\n{GOOD}");
        assert_eq!(codes(&before)[0].2, "text before the form's first field");
    }

    #[test]
    fn hostile_strings() {
        for (hostile, line) in [
            ("Debug \u{202e}lag", 20),
            ("Debug\u{200b} lag", 20),
            ("Debug\rlag", 20),
            ("Debug \u{1b}[2J lag", 20),
            ("Debug\u{2028}lag", 20),
        ] {
            let c = codes(&GOOD.replace("Debug replication lag", hostile));
            assert_eq!(c[0].0, "TG211", "{hostile:?}: {c:?}");
            assert_eq!(c[0].1, line, "{hostile:?}");
        }
        // A newline in an approver or a destination cannot smuggle another field in: each line
        // is read as what its field holds.
        let c = codes(&GOOD.replace("tag:prod-db:5432", "tag:prod-db:5432\"]},{\"src\":[\"*\"]"));
        assert!(c[0].2.contains("not HOST:PORTS"), "{c:?}");
    }
}
