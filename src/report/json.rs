//! The JSON form of a check report (DESIGN §3).

use serde::Serialize;

use crate::check::{FragmentCounts, Report, TestCounts};
use crate::finding::{Finding, Severity};

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: Vec<JsonFinding<'a>>,
    tests: TestCounts,
    fragments: FragmentCounts,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    help: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

pub fn finding(f: &Finding) -> serde_json::Value {
    serde_json::to_value(convert(f)).unwrap_or_default()
}

fn convert(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        code: f.code.as_str(),
        name: f.code.name(),
        severity: f.severity,
        message: &f.message,
        help: &f.help,
        file: &f.location.file,
        line: f.location.line,
        column: f.location.column,
        related: f
            .related
            .iter()
            .map(|(l, m)| JsonRelated { file: &l.file, line: l.line, column: l.column, message: m })
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
