//! SARIF 2.1.0, for GitHub code scanning and other tools that read it.

use serde_json::{Value, json};

use crate::finding::{Code, Finding, Severity};
use crate::model::text::{multi_line, one_line};

pub fn render(findings: &[Finding]) -> String {
    render_tailnets(&[(None, findings)])
}

/// With several tailnets, one run per tailnet, each with its own category
/// (`automationDetails.id` `tailgrant/prod/`), which code scanning keeps apart.
pub fn render_tailnets(runs: &[(Option<&str>, &[Finding])]) -> String {
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs.iter().map(|(tailnet, findings)| run(*tailnet, findings)).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

fn run(tailnet: Option<&str>, findings: &[Finding]) -> Value {
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
    let mut run = json!({
        // Columns count characters here; every other output counts bytes, as Tailscale does.
        "columnKind": "unicodeCodePoints",
        "tool": {"driver": {
            "name": "tailgrant",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "results": results,
    });
    if let Some(t) = tailnet {
        run["automationDetails"] = json!({"id": format!("tailgrant/{}/", one_line(t))});
    }
    run
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
