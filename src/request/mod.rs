//! Self-service access: an access request opened as a GitHub issue with the form
//! (`.github/ISSUE_TEMPLATE/access-request.yml`) becomes a grant file and a pull request whose
//! approvers are asked to review it (`tailgrant request`), and a grant about to expire is
//! announced to its requester with the command that renews it (`tailgrant remind`, [`remind`]).
//!
//! The issue's body is untrusted input, read as strictly as a grant file
//! ([`crate::model::form`]) and the grant file drafted from it is checked as `check` checks
//! the repository before anything is written or pushed. The requester is the issue's author,
//! mapped to a tailnet login by the config's `people`: never a login written in the form.
//! Whatever the request holds reaches GitHub only through [`crate::report::markdown`]'s
//! escaping, so it cannot forge the comment or mention anyone.
//!
//! This module sits above [`crate::report`]: it runs the whole flow (check, the comment's
//! text, the forge), which the CLI only starts.

pub mod remind;

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use crate::approvals::client::{Client, ForgeError, Options};
use crate::approvals::github::Repo;
use crate::finding::{Code, Finding, Location};
use crate::load::git::{Git, GitError};
use crate::load::{LoadError, Repository, display_path};
use crate::model::people::{Forge, login_of};
use crate::parse::SourceFile;
use crate::report::markdown;

/// What the token needs to open pull requests and comment, for a 403.
const WRITE_PERMISSION: &str = "`contents: write`, `pull-requests: write` and `issues: write` (give the job these `permissions`; a fine-grained token needs \"Contents\", \"Pull requests\" and \"Issues\" read and write access)";

/// Why a request could not be handled at all (as opposed to refused).
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Not an `issues` run, or its environment is incomplete.
    #[error("{0}")]
    Environment(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The checkout is not a git repository, or lacks the history.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The request's branch could not be committed or pushed.
    #[error("pushing the request's branch: {0}")]
    Push(GitError),
    #[error(transparent)]
    Forge(#[from] ForgeError),
    #[error("cannot write {path}: {why}")]
    Write { path: String, why: String },
}

/// An issue opened with the access request form, from GitHub Actions' `issues` event.
#[derive(Debug, Clone)]
pub struct IssueRun {
    repo: Repo,
    pub number: u64,
    /// The account that opened it.
    pub(crate) author: String,
    pub(crate) body: String,
    /// The branch pull requests go to: the repository's default branch.
    pub(crate) base: String,
}

#[derive(Deserialize)]
struct Event {
    issue: Option<EventIssue>,
    repository: Option<EventRepository>,
}

#[derive(Deserialize)]
struct EventIssue {
    number: u64,
    user: EventUser,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EventUser {
    login: String,
}

#[derive(Deserialize)]
struct EventRepository {
    default_branch: String,
}

/// The largest event payload read (an issue body is at most 65 536 characters).
const MAX_EVENT_BYTES: u64 = 1 << 20;

impl IssueRun {
    /// `GITHUB_API_URL`, `GITHUB_REPOSITORY`, `GITHUB_TOKEN`, and the `issues` payload at
    /// `GITHUB_EVENT_PATH`.
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<IssueRun, RequestError> {
        let env = RequestError::Environment;
        let repo = Repo::from_env(var).map_err(env)?;
        let path = var("GITHUB_EVENT_PATH").filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            env("GITHUB_EVENT_PATH is not set: `tailgrant request` runs in GitHub Actions on `issues` events".into())
        })?;
        let bytes = read_capped(&path).map_err(env)?;
        let event: Event = serde_json::from_slice(&bytes)
            .map_err(|e| env(format!("the event payload at GITHUB_EVENT_PATH does not decode: {e}")))?;
        let issue = event.issue.filter(|i| i.pull_request.is_none()).ok_or_else(|| {
            env("the event has no issue: run `tailgrant request` on `issues` events (opened, edited)".into())
        })?;
        let base = event.repository.map(|r| r.default_branch).filter(|b| !b.is_empty() && !b.starts_with('-'));
        let base = base.ok_or_else(|| env("the event names no repository default branch".into()))?;
        Ok(IssueRun {
            repo,
            number: issue.number,
            author: issue.user.login,
            body: issue.body.unwrap_or_default(),
            base,
        })
    }

    /// The branch a request's pull request comes from.
    pub(crate) fn branch(&self) -> String {
        format!("tailgrant/request-{}", self.number)
    }
}

fn read_capped(path: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read GITHUB_EVENT_PATH {path}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_EVENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read GITHUB_EVENT_PATH: {e}"))?;
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        return Err("the event payload at GITHUB_EVENT_PATH is larger than 1 MiB".into());
    }
    Ok(bytes)
}

/// What became of a request.
#[derive(Debug)]
pub enum Outcome {
    /// A pull request with the grant file, review requested from `reviewers` (GitHub accounts).
    Opened { pull: u64, file: String, reviewers: Vec<String> },
    /// Refused: the findings, commented on the issue.
    Refused { findings: Vec<Finding>, sources: Vec<SourceFile> },
}

/// Handles the request `run` for the policies directory `dir` at `at`: a pull request, or the
/// findings commented on the issue.
pub async fn handle(
    dir: &Path,
    run: &IssueRun,
    opts: Options,
    at: Timestamp,
    tailnet: Option<&str>,
) -> Result<Outcome, RequestError> {
    let client = run.repo.client(opts)?;
    let body = SourceFile::new(format!("issue #{}", run.number), format!("issue-{}.md", run.number), run.body.clone());
    let mut repo = Repository::load(dir)?;
    let drafted = match on_tailnet(&repo, &body, tailnet) {
        Ok(None) => draft(&mut repo, &body, &run.author, at),
        Ok(Some(name)) => {
            repo = Repository::load_tailnet(dir, Some(&name))?;
            draft(&mut repo, &body, &run.author, at)
        }
        Err(f) => Err(vec![*f]),
    };
    let Drafted { rel, text, reviewers, expires, requester } = match drafted {
        Ok(x) => x,
        Err(findings) => {
            let mut sources = vec![body];
            sources.extend(findings.iter().filter_map(|f| repo.source(&f.location.file)).cloned());
            let comment = refusal(&findings, &sources);
            post_comment(&run.repo, &client, run.number, &comment).await?;
            return Ok(Outcome::Refused { findings, sources });
        }
    };
    let file = display_path(&repo.dir, &rel);
    let path = repo.dir.join(&rel);
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| crate::write_atomically(&path, text.as_bytes()));
    written.map_err(|e| RequestError::Write { path: file.clone(), why: e.to_string() })?;
    let summary = format!("Access request #{}: {requester} until {expires}", run.number);
    let git = Git::open(&repo.dir)?;
    git.publish(&rel, &run.branch(), &summary).map_err(RequestError::Push)?;
    let pull_body = format!(
        "Closes #{}. Opened by tailgrant from the access request of @{} ({}).\n\n{}\n\n{}",
        run.number,
        run.author,
        markdown::text(&requester),
        markdown::code(&file),
        markdown::code_block("hujson", &text),
    );
    let (pull, new) = open_pull(&run.repo, &client, &run.branch(), &run.base, &summary, &pull_body).await?;
    if !reviewers.is_empty() {
        let path = run.repo.path(&format!("pulls/{pull}/requested_reviewers"));
        let _: serde_json::Value = client
            .write(
                "requesting review from the approvers",
                reqwest::Method::POST,
                &path,
                &json!({"reviewers": reviewers}),
                WRITE_PERMISSION,
            )
            .await?;
    }
    // The approvers are mentioned when the pull request is opened; a re-run for an edit names
    // them without a mention, so that editing the issue over and over pings nobody (a new
    // approver is notified by the review request itself).
    let asked: Vec<String> =
        reviewers.iter().map(|r| if new { format!("@{r}") } else { markdown::text(&format!("@{r}")) }).collect();
    let note = format!(
        "{} #{pull} with {}; review requested from {}. The access starts once it is approved, merged and applied.",
        if new { "Opened" } else { "Updated" },
        markdown::code(&file),
        asked.join(", ")
    );
    post_comment(&run.repo, &client, run.number, &note).await?;
    Ok(Outcome::Opened { pull, file, reviewers })
}

/// The tailnet a request is for: the one its "Tailnet" field names, or the one this run is
/// for (`--tailnet`, TS_TAILNET), or the config's only one; `None` without `tailnets`. Both
/// naming different tailnets, a name the config does not run, or several tailnets and none
/// named: the finding that refuses the request.
fn on_tailnet(repo: &Repository, body: &SourceFile, run_for: Option<&str>) -> Result<Option<String>, Box<Finding>> {
    let asked = crate::model::form::read(body).ok().and_then(|r| r.tailnet);
    let tailnets = &repo.config.tailnets;
    let names = || tailnets.keys().cloned().collect::<Vec<_>>().join(", ");
    let at = |span: Option<&crate::parse::Span>| Location::new(body, span.cloned().unwrap_or(0..0));
    let refuse =
        |span, message: String, help: String| Box::new(Finding::new(Code::InvalidRequest, at(span), message, help));
    let Some((written, span)) = asked else {
        return match (run_for, tailnets.len()) {
            (Some(t), _) => Ok(Some(t.to_owned())),
            (None, 0) => Ok(None),
            (None, 1) => Ok(tailnets.keys().next().cloned()),
            (None, _) => Err(refuse(
                None,
                format!("this repository runs several tailnets ({}), and the request does not say which", names()),
                "edit the issue: name the tailnet in its \"Tailnet\" field".into(),
            )),
        };
    };
    let shown = crate::model::text::one_line(&written).into_owned();
    if tailnets.is_empty() {
        if written.eq_ignore_ascii_case(&repo.config.tailnet) {
            return Ok(None);
        }
        return Err(refuse(
            Some(&span),
            format!(
                "the request is for tailnet {shown}, but this repository runs one tailnet, {}",
                repo.config.tailnet
            ),
            "edit the issue: leave \"Tailnet\" empty".into(),
        ));
    }
    let found = tailnets.iter().find(|(n, t)| n.as_str() == written || t.tailnet.eq_ignore_ascii_case(&written));
    let Some((name, _)) = found else {
        return Err(refuse(
            Some(&span),
            format!("the request is for tailnet {shown}, which this repository does not run"),
            format!("edit the issue: name one of {} in \"Tailnet\"", names()),
        ));
    };
    match run_for {
        Some(t) if t != name => Err(refuse(
            Some(&span),
            format!("the request is for tailnet {name}, but this run is for tailnet {t}"),
            format!("open the request where requests for {name} are handled, or name {t}"),
        )),
        _ => Ok(Some(name.clone())),
    }
}

/// A grant file drafted from a request.
struct Drafted {
    /// Its path, relative to the policies directory, and its text.
    rel: String,
    text: String,
    /// The approvers' GitHub accounts.
    reviewers: Vec<String>,
    expires: Timestamp,
    requester: String,
}

/// The grant file for the request, or every finding that refuses it.
fn draft(repo: &mut Repository, body: &SourceFile, author: &str, at: Timestamp) -> Result<Drafted, Vec<Finding>> {
    let requester = requester_of(repo, author).map_err(|f| vec![*f]);
    let request = crate::model::form::read(body);
    let (requester, request) = match (requester, request) {
        (Ok(r), Ok(q)) => (r, q),
        (r, q) => return Err(r.err().into_iter().flatten().chain(q.err().into_iter().flatten()).collect()),
    };
    let draft = request.draft(&requester, at);
    let text = draft.render().map_err(|e| {
        vec![Finding::new(Code::InvalidRequest, Location::file(&body.path), e, "fix the request in the issue")]
    })?;
    // An approver without a GitHub account can be asked by nobody, and `tailgrant approvals`
    // would refuse the pull request for it (TG403): say so now.
    let mut findings = Vec::new();
    let mut reviewers = Vec::new();
    for a in &request.approvers {
        match repo.config.people.get(a).and_then(|p| Forge::GitHub.account(p)) {
            Some(account) => reviewers.push(account.to_owned()),
            None => findings.push(Finding::new(
                Code::ApproverWithoutAccount,
                Location::file(&body.path),
                format!("approver {} has no GitHub account in `people`, so nobody can be asked to review, and no review would count", crate::model::text::one_line(a)),
                "name approvers listed in `people` in tailgrant.hujson, or ask the policy's owners to add them",
            )),
        }
    }
    let invalid = |e: String| {
        vec![Finding::new(Code::InvalidRequest, Location::file(&body.path), e, "fix the request in the issue")]
    };
    let rel = crate::pipeline::place_new_file(repo, &draft.rel_path()).map_err(invalid)?;
    let (rel, mut mine) = crate::pipeline::check_new_file(repo, &rel, &text, at).map_err(invalid)?;
    findings.append(&mut mine);
    findings.extend(unguarded(repo, &rel).map(|f| *f));
    if findings.is_empty() {
        Ok(Drafted { rel, text, reviewers, expires: draft.expires, requester })
    } else {
        Err(findings)
    }
}

/// The tailnet login `people` maps the GitHub account `author` to, or the finding that says
/// it maps none.
pub fn requester_of(repo: &Repository, author: &str) -> Result<String, Box<Finding>> {
    login_of(&repo.config.people, Forge::GitHub, author).map(str::to_owned).ok_or_else(|| {
        Box::new(Finding::new(
            Code::UnknownRequester,
            Location::file(&display_path(&repo.dir, crate::load::CONFIG_FILE)),
            format!(
                "the GitHub account {} that opened the request is not in `people`, so whom the access is for is unknown",
                crate::model::text::one_line(author)
            ),
            "ask the policy's owners to add you to `people` in tailgrant.hujson (your tailnet login and GitHub account), then open the request again",
        ))
    })
}

/// The finding that refuses a request whose grant file would go to `rel` (relative to the
/// policies directory) when no guardrail covers that path: such a file is trusted, limited in
/// nothing (what, how long, who approves), and a request's author is not trusted.
pub fn unguarded(repo: &Repository, rel: &str) -> Option<Box<Finding>> {
    let rules = crate::check::guardrail_matchers(&repo.config);
    if rules.iter().any(|(m, _)| m.is_match(rel)) {
        return None;
    }
    Some(Box::new(Finding::new(
        Code::InvalidRequest,
        Location::file(&display_path(&repo.dir, crate::load::CONFIG_FILE)),
        format!(
            "no guardrail covers {}, where the request's grant file would go, so nothing would limit what it grants, for how long, or who approves it",
            crate::model::text::one_line(rel)
        ),
        "ask the policy's owners to cover grants/ with a guardrail in tailgrant.hujson (the default guardrail does)",
    )))
}

/// The comment that refuses a request: the findings as `check` prints them, in a block no
/// string of the request can close.
pub(crate) fn refusal(findings: &[Finding], sources: &[SourceFile]) -> String {
    let source = |p: &str| sources.iter().find(|s| s.path == p);
    let text = crate::report::human::findings(findings, source, false);
    format!(
        "tailgrant cannot turn this request into a grant file:\n\n{}\nEdit the issue to fix it: the request is read again on every edit.\n",
        markdown::code_block("text", &text)
    )
}

async fn post_comment(repo: &Repo, client: &Client, number: u64, body: &str) -> Result<(), ForgeError> {
    let _: serde_json::Value = client
        .write(
            "commenting on the issue",
            reqwest::Method::POST,
            &repo.path(&format!("issues/{number}/comments")),
            &json!({"body": body}),
            WRITE_PERMISSION,
        )
        .await?;
    Ok(())
}

#[derive(Deserialize)]
struct PullNumber {
    number: u64,
}

/// Opens the pull request from `branch` to `base`, or finds the one already open for it (the
/// issue was edited, and the branch pushed again) and gives it `title` and `body`: they show
/// the grant file, and must show the one the branch now holds, not the first version's.
/// Gives its number, and whether it was opened now.
async fn open_pull(
    repo: &Repo,
    client: &Client,
    branch: &str,
    base: &str,
    title: &str,
    body: &str,
) -> Result<(u64, bool), ForgeError> {
    let created: Result<PullNumber, ForgeError> = client
        .write(
            "opening the pull request",
            reqwest::Method::POST,
            &repo.path("pulls"),
            &json!({"title": title, "head": branch, "base": base, "body": body}),
            WRITE_PERMISSION,
        )
        .await;
    match created {
        Ok(p) => Ok((p.number, true)),
        Err(ForgeError::Rejected { status: 422, .. }) => {
            let head = format!("{}:{branch}", repo.owner());
            let mut url = repo.path("pulls?state=open&head=");
            url.push_str(&crate::http::escape(&head));
            let open: Vec<PullNumber> = client.list("finding the request's open pull request", &url).await?;
            let Some(p) = open.first() else { return created.map(|p| (p.number, true)) };
            let _: serde_json::Value = client
                .write(
                    "updating the pull request's description",
                    reqwest::Method::PATCH,
                    &repo.path(&format!("pulls/{}", p.number)),
                    &json!({"title": title, "body": body}),
                    WRITE_PERMISSION,
                )
                .await?;
            Ok((p.number, false))
        }
        Err(e) => Err(e),
    }
}
