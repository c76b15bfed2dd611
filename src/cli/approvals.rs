//! `tailgrant approvals`

use std::io::IsTerminal;

use tailgrant::approvals::{self, ApprovalsError, Ci, Options};
use tailgrant::report;

use super::args::{ApprovalsFormat, Common, NetArgs};
use super::{ExitStatus, fail, out};

pub fn run(common: &Common, format: ApprovalsFormat, net: &NetArgs) -> ExitStatus {
    let ci = match Ci::from_env(&|k| std::env::var(k).ok()) {
        Ok(ci) => ci,
        Err(e) => return failure(&e),
    };
    let opts = options(net);
    let rt = match super::apply::runtime() {
        Ok(rt) => rt,
        Err(status) => return status,
    };
    // The names as given, not the entry the checkout's config resolves them to: that config
    // is the pull request's, and judging must not depend on it (`verify` reads both sides).
    let given: Vec<String> = match super::selected_tailnet(common) {
        Ok(Some(_)) => {
            let env = std::env::var("TS_TAILNET").ok().filter(|t| !t.trim().is_empty());
            common.tailnet.iter().cloned().chain(env).collect()
        }
        Ok(None) => Vec::new(),
        Err(status) => return status,
    };
    let verdict = match rt.block_on(approvals::verify(&common.dir, &ci, opts, common.at(), &given)) {
        Ok(v) => v,
        Err(e) => return failure(&e),
    };
    match format {
        ApprovalsFormat::Human => {
            let color = super::color(std::io::stdout().is_terminal());
            let mut text = report::human::findings(&verdict.findings, |p| verdict.source(p), color);
            text.push_str(&report::approvals::summary(&verdict));
            out(&text);
        }
        ApprovalsFormat::Json => out(&report::approvals::json(&verdict)),
        ApprovalsFormat::Github => {
            out(&report::github::render(&verdict.findings));
            out(&report::approvals::summary(&verdict));
        }
    }
    if verdict.has_errors() { ExitStatus::Findings } else { ExitStatus::Clean }
}

fn failure(e: &ApprovalsError) -> ExitStatus {
    let status = match e {
        ApprovalsError::Forge(approvals::ForgeError::BadUrl { .. }) => ExitStatus::Usage,
        ApprovalsError::Forge(_) => ExitStatus::Api,
        ApprovalsError::Environment(_) | ApprovalsError::Git(_) => ExitStatus::Usage,
    };
    fail(status, e)
}

/// The forge client's patience, from the flags.
pub fn options(net: &NetArgs) -> Options {
    Options {
        request_timeout: net.timeout,
        retry_budget: net.retry_budget,
        min_backoff: net.backoff,
        max_response_bytes: net.max_response_size,
    }
}
