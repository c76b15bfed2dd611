//! `tailgrant apply` and `tailgrant import`, and the live side of `tailgrant diff --live`.

use std::path::Path;

use tailgrant::apply::{self, ApiError, ApplyError, ApplyOptions, Client, Credentials, LivePolicy};
use tailgrant::load::Repository;

use super::args::{ApiArgs, ApplyFormat, Common};
use super::{ExitStatus, err, fail, note, out};

/// The credential variables; with `tailnets`, each also with `_<NAME>` appended.
const CREDENTIALS: [&str; 4] = ["TS_API_KEY", "TS_OAUTH_ID", "TS_OAUTH_SECRET", "TS_ID_TOKEN"];

/// Where a run's credentials come from: one tailnet's own variables, or the plain ones.
/// `shared` is whether this run may use the plain ones: only a run for one tailnet may, so
/// that no key is ever sent to two tailnets.
fn credential_var(repo: &Repository, shared: bool) -> Result<impl Fn(&str) -> Option<String>, ExitStatus> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let suffix = repo.tailnet.as_deref().map(|n| n.to_ascii_uppercase().replace('-', "_"));
    let own = suffix.clone().filter(|s| CREDENTIALS.iter().any(|k| get(&format!("{k}_{s}")).is_some()));
    if let (Some(s), None, false) = (&suffix, &own, shared) {
        let name = repo.tailnet.as_deref().unwrap_or_default();
        return Err(fail(
            ExitStatus::Usage,
            format!(
                "no credentials for tailnet {name}: with --all each tailnet has its own (TS_API_KEY_{s}, or TS_OAUTH_ID_{s} with TS_OAUTH_SECRET_{s} or TS_ID_TOKEN_{s}); the plain TS_API_KEY would be sent to every tailnet, so it is not used"
            ),
        ));
    }
    Ok(move |k: &str| match &own {
        Some(s) => get(&format!("{k}_{s}")),
        None => get(k),
    })
}

/// A client from the flags, the environment's credentials and the repository's config.
fn client(repo: &Repository, api: &ApiArgs, common: &Common) -> Result<Client, ExitStatus> {
    client_for(repo, api, common, true)
}

fn client_for(repo: &Repository, api: &ApiArgs, common: &Common, shared: bool) -> Result<Client, ExitStatus> {
    let var = credential_var(repo, shared)?;
    let creds = Credentials::from_env(&var).map_err(|e| {
        let e = match repo.tailnet.as_deref() {
            Some(n) => {
                format!("{e} (tailnet {n}: its own variables end in _{})", n.to_ascii_uppercase().replace('-', "_"))
            }
            None => e.to_string(),
        };
        fail(ExitStatus::Usage, e)
    })?;
    // With `tailnets` the config names the tailnet (TS_TAILNET only selects the entry); the
    // tailnet's own TS_API_URL_<NAME> wins over --api-url.
    let (tailnet, base_url) = match repo.tailnet.as_deref() {
        Some(n) => {
            let url = std::env::var(format!("TS_API_URL_{}", n.to_ascii_uppercase().replace('-', "_"))).ok();
            (repo.config.tailnet.clone(), url.filter(|u| !u.trim().is_empty()).unwrap_or_else(|| api.api_url.clone()))
        }
        None => (
            common
                .tailnet
                .clone()
                .or_else(|| std::env::var("TS_TAILNET").ok().filter(|t| !t.is_empty()))
                .unwrap_or_else(|| repo.config.tailnet.clone()),
            api.api_url.clone(),
        ),
    };
    let opts = apply::Options {
        base_url,
        tailnet,
        request_timeout: api.net.timeout,
        retry_budget: api.net.retry_budget,
        min_backoff: api.net.backoff,
        max_response_bytes: api.net.max_response_size,
        ..apply::Options::default()
    };
    Client::new(opts, creds).map_err(|e| fail(ExitStatus::Usage, format_args!("{e}")))
}

/// The repository, a client for its tailnet and a runtime to drive it.
fn connect(common: &Common, api: &ApiArgs) -> Result<(Repository, Client, tokio::runtime::Runtime), ExitStatus> {
    let repo = super::load(common)?;
    let client = client(&repo, api, common)?;
    Ok((repo, client, runtime()?))
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, ExitStatus> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(ExitStatus::Usage, format_args!("cannot start the HTTP runtime: {e}")))
}

fn api_failure(e: &ApiError, api: &ApiArgs) -> ExitStatus {
    let status = match e {
        ApiError::BadUrl { .. } => ExitStatus::Usage,
        ApiError::Changed { .. } => ExitStatus::Refused,
        _ => ExitStatus::Api,
    };
    match e {
        // Nothing answered: the address is the first suspect, so name it and where it came from.
        ApiError::Unavailable { detail, .. } if detail.starts_with("cannot connect") => fail(
            status,
            format!(
                "{e}\n  the API address is {} (--api-url, or TS_API_URL)",
                tailgrant::model::text::one_line(&api.api_url)
            ),
        ),
        _ => fail(status, e),
    }
}

/// The live policy, for `diff --live`.
pub fn fetch_live(repo: &Repository, api: &ApiArgs, common: &Common) -> Result<LivePolicy, ExitStatus> {
    let client = client(repo, api, common)?;
    runtime()?.block_on(client.policy()).map_err(|e| api_failure(&e, api))
}

/// `tailgrant apply`: one tailnet; with several `tailnets`, the one --tailnet names, or with
/// --all each in turn, each reported, the exit status the worst of them.
pub fn run_all(common: &Common, api: &ApiArgs, opts: ApplyOptions, all: bool, format: ApplyFormat) -> ExitStatus {
    let tailnets = Repository::tailnets(&common.dir);
    if !all && tailnets.len() > 1 {
        match super::selected_tailnet(common) {
            Err(s) => return s,
            Ok(None) => {
                let names: Vec<&str> = tailnets.iter().map(|(n, _)| n.as_str()).collect();
                return fail(
                    ExitStatus::Usage,
                    format!(
                        "apply changes one tailnet at a time: name it with --tailnet NAME ({}), or apply each in turn with --all",
                        names.join(", ")
                    ),
                );
            }
            Ok(Some(_)) => {}
        }
    }
    if !all || tailnets.is_empty() {
        if all {
            note("note: --all: tailgrant.hujson runs one tailnet\n");
        }
        return run(common, api, opts, format, None);
    }
    if std::env::var("TS_TAILNET").is_ok_and(|t| !t.trim().is_empty()) {
        return fail(
            ExitStatus::Usage,
            "--all applies every tailnet, but TS_TAILNET binds this environment to one; run --tailnet NAME in each tailnet's environment, or unset TS_TAILNET",
        );
    }
    let mut worst = ExitStatus::Clean;
    let mut results = Vec::new();
    for (name, api_name) in &tailnets {
        note(&format!("tailgrant: tailnet {name} ({api_name})\n"));
        let one = Common { tailnet: Some(name.clone()), ..common.clone() };
        let status = run(&one, api, opts, format, Some(name));
        worst = worst.max_with(status);
        results.push(format!("tailnet {name} ({api_name}): {}", outcome(status)));
    }
    out(&format!("{}\n", results.join("\n")));
    worst
}

fn outcome(s: ExitStatus) -> &'static str {
    match s {
        ExitStatus::Clean => "applied (or nothing to change)",
        ExitStatus::Findings => "not applied: findings",
        ExitStatus::Usage => "not applied: usage error or unreadable input",
        ExitStatus::Api => "API or network failure",
        ExitStatus::Refused => "refused: drift or a change made meanwhile",
    }
}

fn run(common: &Common, api: &ApiArgs, opts: ApplyOptions, format: ApplyFormat, of_all: Option<&str>) -> ExitStatus {
    if common.at.is_some() && !opts.dry_run {
        return fail(ExitStatus::Usage, "apply renders at now; --at is only for rehearsals with --dry-run");
    }
    let (mut repo, client, rt) = match super::load(common).and_then(|repo| {
        let client = client_for(&repo, api, common, of_all.is_none())?;
        Ok((repo, client, runtime()?))
    }) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let unverified = match verify_merged(&mut repo, api, &rt, common.at()) {
        Ok(u) => u,
        Err(s) => return s,
    };
    let mut progress = |step: &str| note(&format!("tailgrant: {step}\n"));
    let result = rt.block_on(apply::apply(&repo, common.at(), &client, opts, &mut progress));
    match result {
        Ok(applied) => {
            for w in &applied.warnings {
                note(&format!("warning: {w}\n"));
            }
            out(&match format {
                ApplyFormat::Human => tailgrant::report::apply::summary(&applied),
                ApplyFormat::Json => serde_json::to_string_pretty(&applied).unwrap_or_default() + "\n",
            });
            if unverified.is_empty() {
                ExitStatus::Clean
            } else {
                fail(ExitStatus::Findings, "applied without the unverified grant files above (TG408)")
            }
        }
        Err(e) => refusal(&repo, e, api),
    }
}

/// With `approvals.verifyOnApply`: the active grant files whose approvals do not verify are
/// reported and left out of `repo`. A forge that cannot be asked stops apply before anything is
/// sent (exit 3), so that unverified access is never applied.
fn verify_merged(
    repo: &mut Repository,
    api: &ApiArgs,
    rt: &tokio::runtime::Runtime,
    at: jiff::Timestamp,
) -> Result<tailgrant::approvals::Unverified, ExitStatus> {
    let opts = super::approvals::options(&api.net);
    let var = |k: &str| std::env::var(k).ok();
    let u = rt.block_on(tailgrant::approvals::verify_merged(repo, &var, opts, at)).map_err(|e| {
        let status = match e {
            tailgrant::approvals::ApprovalsError::Forge(_) => ExitStatus::Api,
            _ => ExitStatus::Usage,
        };
        fail(status, format_args!("{e}; nothing was sent"))
    })?;
    let color = super::stderr_color();
    err(&tailgrant::report::human::findings(&u.findings, |p| repo.source(p), color));
    u.deactivate(repo);
    Ok(u)
}

fn refusal(repo: &Repository, e: ApplyError, api: &ApiArgs) -> ExitStatus {
    match e {
        ApplyError::Findings(report) => {
            let color = super::stderr_color();
            for f in report.findings.iter().filter(|f| f.is_error()) {
                err(&tailgrant::report::human::finding(f, repo.source(&f.location.file), color));
            }
            let status = if report.has_unreadable_input() { ExitStatus::Usage } else { ExitStatus::Findings };
            fail(status, "not applied: fix the errors above (`tailgrant check` lists them all); nothing was sent")
        }
        ApplyError::Drift { ref live, ref rendered, .. } => {
            let status = fail(ExitStatus::Refused, &e);
            err("What applying would overwrite (live → rendered):\n");
            err(&tailgrant::report::apply::live_diff(live, rendered));
            status
        }
        ApplyError::Invalid { ref failures, .. } => {
            let status = fail(ExitStatus::Findings, &e);
            err(&tailgrant::report::apply::failures(failures));
            status
        }
        ApplyError::Conflict => fail(ExitStatus::Refused, format_args!("{e}")),
        ApplyError::Posture(_) => fail(ExitStatus::Findings, format_args!("{e}")),
        ApplyError::Unconfirmed(_) => fail(ExitStatus::Api, format_args!("{e}")),
        ApplyError::Api(e) => api_failure(&e, api),
    }
}

/// `tailgrant status`: reads the live tailnet and reports; changes nothing.
pub fn status(common: &Common, api: &ApiArgs, format: ApplyFormat) -> ExitStatus {
    let (repo, client, rt) = match connect(common, api) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let mut progress = |step: &str| note(&format!("tailgrant: {step}\n"));
    match rt.block_on(tailgrant::apply::status::status(&repo, common.at(), &client, &mut progress)) {
        Ok(st) => {
            out(&match format {
                ApplyFormat::Human => tailgrant::report::status::human(&st),
                ApplyFormat::Json => tailgrant::report::status::json(&st),
            });
            match st.verdict() {
                tailgrant::apply::status::Verdict::InSync => ExitStatus::Clean,
                tailgrant::apply::status::Verdict::LivePastExpiry => ExitStatus::Findings,
                tailgrant::apply::status::Verdict::Drift => ExitStatus::Refused,
            }
        }
        Err(ApplyError::Api(e)) => api_failure(&e, api),
        Err(e) => refusal(&repo, e, api),
    }
}

pub fn import(common: &Common, api: &ApiArgs, output: Option<&Path>) -> ExitStatus {
    let (repo, client, rt) = match connect(common, api) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let (base, live) = match rt.block_on(apply::import(&client)) {
        Ok(x) => x,
        Err(e) => return api_failure(&e, api),
    };
    let target = output.map(Path::to_path_buf).unwrap_or_else(|| common.dir.join(&repo.config.base));
    if let Err(e) = tailgrant::write_atomically(&target, base.as_bytes()) {
        return fail(ExitStatus::Usage, format_args!("cannot write {}: {e}", target.display()));
    }
    let rendered_by_us = tailgrant::merge::verify_header(&live.text) != tailgrant::merge::HeaderState::Missing;
    let stripped = if rendered_by_us { " (tailgrant's header and merged fragment entries removed)" } else { "" };
    out(&format!("imported the live policy (ETag \"{}\") into {}{stripped}\n", live.etag, target.display()));
    ExitStatus::Clean
}

/// `tailgrant snapshot`: the live devices and users, written where the config reads them.
pub fn snapshot(common: &Common, api: &ApiArgs, devices: Option<&Path>, users: Option<&Path>) -> ExitStatus {
    let (repo, client, rt) = match connect(common, api) {
        Ok(x) => x,
        Err(s) => return s,
    };
    let configured = |rel: &Option<String>| rel.as_ref().map(|r| common.dir.join(r));
    let devices = devices.map(Path::to_path_buf).or_else(|| configured(&repo.config.devices));
    let users = users.map(Path::to_path_buf).or_else(|| configured(&repo.config.users));
    if devices.is_none() && users.is_none() {
        return fail(
            ExitStatus::Usage,
            "nothing to write: name --devices FILE and/or --users FILE, or set \"devices\" and \"users\" in tailgrant.hujson",
        );
    }
    // Sorted, with only the fields tests read, so that a pull request shows what changed.
    let write = |path: &Path, json: serde_json::Value, what: String| -> ExitStatus {
        let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
        match tailgrant::write_atomically(path, text.as_bytes()) {
            Ok(()) => {
                out(&format!("wrote {what} to {}\n", path.display()));
                ExitStatus::Clean
            }
            Err(e) => fail(ExitStatus::Usage, format_args!("cannot write {}: {e}", path.display())),
        }
    };
    let mut status = ExitStatus::Clean;
    if let Some(path) = &devices {
        let mut list = match rt.block_on(client.device_records()) {
            Ok(l) => l,
            Err(e) => return api_failure(&e, api),
        };
        list.sort_by(|a, b| (&a.name, &a.node_id).cmp(&(&b.name, &b.node_id)));
        let n = list.len();
        let json = serde_json::json!({ "devices": list });
        status = write(path, json, format!("{n} devices"));
    }
    if let Some(path) = &users {
        let mut list = match rt.block_on(client.users()) {
            Ok(l) => l,
            Err(e) => return api_failure(&e, api),
        };
        list.sort_by(|a, b| a.login_name.cmp(&b.login_name));
        let n = list.len();
        let json = serde_json::json!({ "users": list });
        let wrote = write(path, json, format!("{n} users"));
        if wrote != ExitStatus::Clean {
            status = wrote;
        }
    }
    status
}
