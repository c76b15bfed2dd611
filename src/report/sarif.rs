//! SARIF 2.1.0, for GitHub code scanning and other tools that read it.

use serde_json::{Value, json};

use crate::finding::{Code, Finding, Severity};
use crate::model::text::{multi_line, one_line};

pub fn render(findings: &[Finding]) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.name(),
                "shortDescription": {"text": c.summary()},
                "fullDescription": {"text": c.doc_text()},
                "help": {"text": c.doc_text()},
                "defaultConfiguration": {"level": level(c.default_severity())},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": level(f.severity),
                "message": {"text": multi_line(&format!("{}\nhelp: {}", f.message, f.help))},
                "locations": [location(&f.location.file, f.location.line, f.location.char_column)],
            });
            if !f.related.is_empty() {
                result["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, (l, msg))| {
                        let mut loc = location(&l.file, l.line, l.char_column);
                        loc["id"] = json!(i);
                        loc["message"] = json!({"text": one_line(msg)});
                        loc
                    })
                    .collect();
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            // Columns count characters here; every other output counts bytes, as Tailscale does.
            "columnKind": "unicodeCodePoints",
            "tool": {"driver": {
                "name": "tailgrant",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn location(file: &str, line: usize, column: usize) -> Value {
    json!({"physicalLocation": {
        "artifactLocation": {"uri": one_line(file)},
        "region": {"startLine": line, "startColumn": column},
    }})
}
