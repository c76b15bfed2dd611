//! JUnit XML: one test case per policy test entry, so CI systems show test results as tests.

use crate::evaluate::run::{Outcome, TestResult};
use crate::finding::{Code, Finding};
use crate::pipeline::Report;

pub fn render(report: &Report) -> String {
    render_tailnets(&[(None, report)])
}

/// With several tailnets, each tailnet's suites named after it (`prod: policy tests`), in one
/// document, so that one CI step reports them all.
pub fn render_tailnets(reports: &[(Option<&str>, &Report)]) -> String {
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    let mut suites = String::new();
    for (tailnet, report) in reports {
        let s = suites_of(report, tailnet.map(|t| format!("{t}: ")).unwrap_or_default());
        tests += s.tests;
        failures += s.failures;
        errors += s.errors;
        skipped += s.skipped;
        suites.push_str(&s.xml);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"tailgrant\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n"
    ));
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

/// One report's suites, and their counts.
struct Suites {
    xml: String,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn suites_of(report: &Report, prefix: String) -> Suites {
    // The findings inside each entry: what made it fail or left it undecided.
    let inside = |r: &TestResult, f: &Finding| {
        f.location.file == r.location.file
            && r.location.span.start <= f.location.span.start
            && f.location.span.end <= r.location.span.end
    };
    let about = |r: &TestResult| -> Vec<&Finding> {
        report.findings.iter().filter(|f| inside(r, f) && (f.is_error() || f.code == Code::TestInconclusive)).collect()
    };
    let failed: Vec<&TestResult> = report.test_results.iter().filter(|r| r.outcome == Outcome::Fail).collect();
    // Errors that belong to no failing test entry are reported as a check that errs.
    let errors: Vec<&Finding> =
        report.findings.iter().filter(|f| f.is_error() && !failed.iter().any(|r| inside(r, f))).collect();
    let t = report.tests;
    let total = report.test_results.len();
    let mut out = String::new();
    out.push_str(&format!(
        "  <testsuite name=\"{}policy tests\" tests=\"{total}\" failures=\"{}\" skipped=\"{}\">\n",
        xml(&prefix),
        t.failed,
        t.inconclusive
    ));
    for r in &report.test_results {
        let head = format!(
            "    <testcase name=\"{}\" classname=\"{}\"",
            xml(&format!("{} {} (line {})", r.section, r.src, r.location.line)),
            xml(&r.location.file)
        );
        let found = about(r);
        match r.outcome {
            Outcome::Pass => out.push_str(&format!("{head}/>\n")),
            Outcome::Fail => {
                let message =
                    found.first().map_or("the test entry is malformed (see the check findings)", |f| &f.message);
                let code = found.first().map_or("TG301", |f| f.code.as_str());
                let body: Vec<String> = found
                    .iter()
                    .map(|f| {
                        format!(
                            "{}:{}:{}: {} {}\nhelp: {}",
                            f.location.file,
                            f.location.line,
                            f.location.column,
                            f.code.as_str(),
                            f.message,
                            f.help
                        )
                    })
                    .collect();
                out.push_str(&format!(
                    "{head}>\n      <failure type=\"{code}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(message),
                    xml(&body.join("\n"))
                ));
            }
            Outcome::Inconclusive => {
                let why = found.iter().find(|f| f.code == Code::TestInconclusive).map_or("", |f| &f.message);
                out.push_str(&format!("{head}>\n      <skipped message=\"{}\"/>\n    </testcase>\n", xml(why)));
            }
        }
    }
    out.push_str("  </testsuite>\n");
    if !errors.is_empty() {
        out.push_str(&format!(
            "  <testsuite name=\"{}policy checks\" tests=\"1\" errors=\"1\">\n    <testcase name=\"check\" classname=\"policy\">\n",
            xml(&prefix)
        ));
        for f in &errors {
            out.push_str(&format!(
                "      <error type=\"{}\" message=\"{}\">{}:{}:{}</error>\n",
                f.code.as_str(),
                xml(&f.message),
                xml(&f.location.file),
                f.location.line,
                f.location.column
            ));
        }
        out.push_str("    </testcase>\n  </testsuite>\n");
    }
    let errored = usize::from(!errors.is_empty());
    Suites { xml: out, tests: total + errored, failures: t.failed, errors: errored, skipped: t.inconclusive }
}

/// Text for an XML attribute or element: deceptive characters made visible (XML 1.0 forbids
/// most control characters outright), then the markup characters escaped.
fn xml(s: &str) -> String {
    let visible = crate::model::text::multi_line(s).replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}");
    visible.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
