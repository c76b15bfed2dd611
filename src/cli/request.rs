//! `tailgrant request` and `tailgrant remind`: the self-service flow in GitHub Actions.

use tailgrant::request::remind::Posted;
use tailgrant::request::{self, IssueRun, Outcome, RequestError};

use super::args::{Common, NetArgs};
use super::{ExitStatus, err, fail, out};

pub fn run(common: &Common, net: &NetArgs) -> ExitStatus {
    let run = match IssueRun::from_env(&|k| std::env::var(k).ok()) {
        Ok(r) => r,
        Err(e) => return failure(&e),
    };
    let rt = match super::apply::runtime() {
        Ok(rt) => rt,
        Err(status) => return status,
    };
    let tailnet = match super::selected_tailnet(common) {
        Ok(t) => t,
        Err(status) => return status,
    };
    let handled = request::handle(&common.dir, &run, super::approvals::options(net), common.at(), tailnet.as_deref());
    match rt.block_on(handled) {
        Ok(Outcome::Opened { pull, file, reviewers }) => {
            out(&format!("{file}: opened pull request #{pull}; review requested from {}\n", reviewers.join(", ")));
            ExitStatus::Clean
        }
        Ok(Outcome::Refused { findings, sources }) => {
            let text = tailgrant::report::human::findings(
                &findings,
                |p| sources.iter().find(|s| s.path == p),
                super::stderr_color(),
            );
            err(&text);
            fail(
                ExitStatus::Findings,
                format_args!("request #{} refused; the findings are commented on the issue", run.number),
            )
        }
        Err(e) => failure(&e),
    }
}

pub fn remind(common: &Common, within: Option<jiff::SignedDuration>, net: &NetArgs) -> ExitStatus {
    let views = match super::load_each(common) {
        Ok(v) => v,
        Err(s) => return s,
    };
    let gh = match request::remind::repo_from_env(&|k| std::env::var(k).ok()) {
        Ok(g) => g,
        Err(e) => return failure(&e),
    };
    let rt = match super::apply::runtime() {
        Ok(rt) => rt,
        Err(status) => return status,
    };
    match rt.block_on(request::remind::remind(&views, &gh, super::approvals::options(net), common.at(), within)) {
        Ok(reminders) => {
            for r in reminders {
                let whom = r.account.map_or("the requester".to_owned(), |a| format!("@{a}"));
                let line = match r.posted {
                    Posted::OnPull(n) => format!("reminded {whom} on pull request #{n}"),
                    Posted::Issue(n) => format!("opened issue #{n} for {whom}"),
                    Posted::Already(n) => format!("already reminded on #{n}"),
                };
                out(&format!("{}: expires {}; {line}\n", r.file, r.expires));
            }
            ExitStatus::Clean
        }
        Err(e) => failure(&e),
    }
}

fn failure(e: &RequestError) -> ExitStatus {
    let status = match e {
        RequestError::Forge(tailgrant::approvals::ForgeError::BadUrl { .. }) => ExitStatus::Usage,
        RequestError::Environment(_) | RequestError::Load(_) => ExitStatus::Usage,
        // A push that failed is the network's or the token's, like an API call; a checkout
        // that is no git repository (or lacks the history) is the job's setup.
        RequestError::Push(_) | RequestError::Forge(_) => ExitStatus::Api,
        RequestError::Git(_) => ExitStatus::Usage,
        RequestError::Write { .. } => ExitStatus::Usage,
    };
    fail(status, e)
}
