//! `tailgrant explain`

use tailgrant::evaluate::Compiled;
use tailgrant::evaluate::explain::Names;
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
            return super::fail(ExitStatus::Usage, format!("--attr {a:?} is not KEY=VALUE, e.g. node:os=macos"));
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
    // A name the policy does not define is a typo far more often than a question: refuse it,
    // with the closest name it does define, rather than answer "denied".
    let names = Names::of(&View::with(&repo, |_| true));
    let host = match tailgrant::evaluate::explain::host_and_port(dst) {
        Ok((h, _)) => h,
        Err(why) => return super::fail(ExitStatus::Usage, why),
    };
    for asked in [src, host] {
        if let Some(e) = names.undefined(asked, &policy) {
            return super::fail(ExitStatus::Usage, e);
        }
    }
    match tailgrant::evaluate::explain::explain(&policy, src, dst, proto, attrs) {
        Ok(mut e) => {
            if e.verdict != "allowed" {
                let everything = Compiled::new(&View::with(&repo, |_| true));
                e.out_of_force =
                    tailgrant::evaluate::explain::out_of_force(&everything, src, dst, proto, attrs, common.at());
            }
            match format {
                ExplainFormat::Human => super::out(&tailgrant::report::explain::human(&e)),
                ExplainFormat::Json => super::out(&(serde_json::to_string_pretty(&e).unwrap_or_default() + "\n")),
            }
            if e.verdict == "allowed" { ExitStatus::Clean } else { ExitStatus::Findings }
        }
        Err(e) => super::fail(ExitStatus::Usage, e),
    }
}
