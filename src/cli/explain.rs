//! `tailgrant explain`

use tailgrant::evaluate::Compiled;
use tailgrant::load::view::View;

use super::ExitStatus;
use super::args::{Common, ExplainFormat};

pub fn run(
    common: &Common,
    src: &str,
    dst: &str,
    proto: Option<&str>,
    attrs: &[String],
    format: ExplainFormat,
) -> ExitStatus {
    let mut posture = serde_json::Map::new();
    for a in attrs {
        let Some((k, v)) = a.split_once('=') else {
            super::err(&format!("error: --attr {a:?} is not KEY=VALUE, e.g. node:os=macos\n"));
            return ExitStatus::Usage;
        };
        // Numbers and booleans as themselves, anything else as a string.
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_owned()));
        posture.insert(k.to_owned(), value);
    }
    let repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    if repo.base.is_none() {
        return super::check::run(common, tailgrant::report::Format::Human);
    }
    let view = View::active(&repo, common.at());
    let policy = Compiled::new(&view);
    let attrs = (!posture.is_empty()).then_some(&posture);
    match tailgrant::evaluate::explain::explain(&policy, src, dst, proto, attrs) {
        Ok(e) => {
            match format {
                ExplainFormat::Human => super::out(&tailgrant::report::explain::human(&e)),
                ExplainFormat::Json => super::out(&(serde_json::to_string_pretty(&e).unwrap_or_default() + "\n")),
            }
            if e.verdict == "allowed" { ExitStatus::Clean } else { ExitStatus::Findings }
        }
        Err(err) => {
            super::err(&format!("error: {err}\n"));
            ExitStatus::Usage
        }
    }
}
