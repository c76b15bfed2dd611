//! JUnit XML: one test case per policy test entry, so CI systems show test results as tests.

use crate::finding::Code;
use crate::pipeline::Report;

pub fn render(report: &Report) -> String {
    let failures: Vec<_> = report
        .findings
        .iter()
        .filter(|f| matches!(f.code, Code::TestFailed | Code::SshTestFailed | Code::TestSourceEmpty))
        .collect();
    let inconclusive: Vec<_> = report.findings.iter().filter(|f| f.code == Code::TestInconclusive).collect();
    let errors: Vec<_> =
        report.findings.iter().filter(|f| f.is_error() && !failures.iter().any(|x| std::ptr::eq(*x, *f))).collect();
    let t = report.tests;
    let total = t.passed + t.failed + t.inconclusive;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"tailgrant\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        total + usize::from(!errors.is_empty()),
        t.failed,
        usize::from(!errors.is_empty()),
        t.inconclusive
    ));
    out.push_str(&format!(
        "  <testsuite name=\"policy tests\" tests=\"{total}\" failures=\"{}\" skipped=\"{}\">\n",
        t.failed, t.inconclusive
    ));
    for f in &failures {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}:{}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
            xml(&f.message),
            xml(&f.location.file),
            f.location.line,
            f.code.as_str(),
            xml(&f.message),
            xml(&format!("{}:{}:{}: {}\nhelp: {}", f.location.file, f.location.line, f.location.column, f.message, f.help))
        ));
    }
    for f in &inconclusive {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"{}:{}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
            xml(&f.message),
            xml(&f.location.file),
            f.location.line,
            xml(&f.help)
        ));
    }
    let passed = t.passed;
    if passed > 0 {
        out.push_str(&format!("    <testcase name=\"{passed} passing test entries\" classname=\"policy\"/>\n"));
    }
    out.push_str("  </testsuite>\n");
    if !errors.is_empty() {
        out.push_str("  <testsuite name=\"policy checks\" tests=\"1\" errors=\"1\">\n    <testcase name=\"check\" classname=\"policy\">\n");
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
    out.push_str("</testsuites>\n");
    out
}

/// Text for an XML attribute or element: deceptive characters made visible (XML 1.0 forbids
/// most control characters outright), then the markup characters escaped.
fn xml(s: &str) -> String {
    let visible = crate::model::text::multi_line(s).replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}");
    visible.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
