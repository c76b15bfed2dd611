//! The JSON form of a check report (README, `tailgrant check`: the fields are stable).

use std::borrow::Cow;

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::model::text::{multi_line, one_line};
use crate::pipeline::{FragmentCounts, Report, TestCounts};

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: Vec<JsonFinding<'a>>,
    tests: TestCounts,
    fragments: FragmentCounts,
}

/// Messages and paths are human text: escaped as for every other output, so a consumer that
/// shows them (a dashboard, a bot) cannot be made to show something else.
#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: Cow<'a, str>,
    help: Cow<'a, str>,
    file: Cow<'a, str>,
    line: usize,
    column: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: Cow<'a, str>,
    line: usize,
    column: usize,
    message: Cow<'a, str>,
}

pub fn finding(f: &Finding) -> serde_json::Value {
    serde_json::to_value(convert(f)).unwrap_or_default()
}

fn convert(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        code: f.code.as_str(),
        name: f.code.name(),
        severity: f.severity,
        message: multi_line(&f.message),
        help: multi_line(&f.help),
        file: one_line(&f.location.file),
        line: f.location.line,
        column: f.location.column,
        related: f
            .related
            .iter()
            .map(|(l, m)| JsonRelated { file: one_line(&l.file), line: l.line, column: l.column, message: one_line(m) })
            .collect(),
    }
}

pub fn render(report: &Report) -> String {
    let r = JsonReport {
        findings: report.findings.iter().map(convert).collect(),
        tests: report.tests,
        fragments: report.fragments,
    };
    serde_json::to_string_pretty(&r).unwrap_or_default() + "\n"
}
