//! A local simulator of the GitHub and GitLab REST endpoints that `tailgrant approvals` reads,
//! for tests: loopback only, port 0, state in memory, faults injected on request.
//!
//! GitHub (at the root, as `GITHUB_API_URL` points): a pull request, its reviews and its
//! commits (paginated with `per_page`/`page` and a `Link` header), and the pull requests of a
//! commit; and, for `tailgrant request` and `remind`, opening pull requests (one per head
//! branch: a second is GitHub's 422), listing them by head, requesting reviewers (collaborators
//! only, never the author), opening and listing issues (by state and labels) and commenting,
//! all only with a token that may write. GitLab (under `/api/v4`, as `CI_API_V4_URL` points): a merge request, its approvals
//! and commits, and the project's approval settings. Tokens are checked as the forges check
//! them, with their error bodies (401 bad credentials, 403 missing permission or scope, 404).
//!
//! It judges with its own simple logic (a list of reviews, a list of approvals that a push
//! clears when the project says so) and never calls tailgrant's code. Where a forge's exact
//! behaviour is unknown the choice made here is marked `[SIM]`.

mod github;
mod gitlab;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{Response, StatusCode, header};
use axum::middleware::Next;
use jiff::Timestamp;
use serde_json::Value;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// GitHub `pull-requests: read` (and `contents: read`); GitLab `read_api`.
    Read,
    /// A valid token without that permission: GitHub answers 403 "Resource not accessible by
    /// integration", GitLab 403 `insufficient_scope`.
    NoPermission,
    /// GitHub `contents`, `pull-requests` and `issues: write` (a request workflow's token):
    /// reads, and opens pull requests and issues, requests reviewers, comments.
    Write,
}

/// A commit of a pull request (or merge request).
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub sha: String,
    /// The GitHub accounts linked to the author and committer, when GitHub knows them.
    pub author: Option<String>,
    pub committer: Option<String>,
    pub author_email: String,
    pub committer_email: String,
}

impl Commit {
    /// A commit by one person, known on GitHub as `login`, with `email`.
    pub fn by(sha: &str, login: &str, email: &str) -> Commit {
        Commit {
            sha: sha.into(),
            author: Some(login.into()),
            committer: Some(login.into()),
            author_email: email.into(),
            committer_email: email.into(),
        }
    }
}

/// A GitHub review state, as the REST API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

impl ReviewState {
    fn as_str(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::Dismissed => "DISMISSED",
            ReviewState::Pending => "PENDING",
        }
    }
}

/// A review of a GitHub pull request.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub user: String,
    pub state: ReviewState,
    /// The commit reviewed (`null` when it was garbage collected).
    pub commit_id: Option<String>,
}

/// A GitHub pull request.
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    pub number: u64,
    pub author: String,
    pub head: String,
    pub base: String,
    pub base_ref: String,
    /// When merged: the merge (or squash) commit.
    pub merged: Option<String>,
    pub commits: Vec<Commit>,
    pub reviews: Vec<Review>,
    /// Files at the head, as the contents API gives them: (path, git blob id).
    pub files: Vec<(String, String)>,
}

/// A pull request opened through the API (`POST /repos/{owner}/{repo}/pulls`).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedPull {
    pub number: u64,
    pub title: String,
    pub body: String,
    /// The branch it merges (`head`), into `base`.
    pub head_ref: String,
    pub base_ref: String,
    /// Accounts review was requested from, in order.
    pub requested_reviewers: Vec<String>,
}

/// An issue (opened through the API or present from the start).
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub number: u64,
    pub author: String,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub open: bool,
}

/// A comment on an issue or pull request (GitHub keeps both in one list per number).
#[derive(Debug, Clone, PartialEq)]
pub struct IssueComment {
    pub number: u64,
    pub author: String,
    pub body: String,
}

/// GitLab's project-level approval settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GitLabSettings {
    pub reset_approvals_on_push: bool,
    pub disable_committers_approval: bool,
    pub author_approval: bool,
}

/// A GitLab merge request.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeRequest {
    pub iid: u64,
    pub author: String,
    pub sha: String,
    pub base: String,
    pub commits: Vec<Commit>,
    /// Usernames, in the order they approved.
    pub approved_by: Vec<String>,
}

/// What the simulated forges hold when the server starts.
#[derive(Debug, Clone)]
pub struct Setup {
    pub tokens: Vec<(String, Access)>,
    pub owner: String,
    pub repo: String,
    pub pulls: Vec<Pull>,
    pub project_id: u64,
    pub settings: GitLabSettings,
    pub merge_requests: Vec<MergeRequest>,
    /// GitHub accounts with access to the repository: review can be requested only from them.
    pub collaborators: Vec<String>,
    /// The account that a `Write` token acts as.
    pub bot: String,
    pub issues: Vec<Issue>,
    pub comments: Vec<IssueComment>,
    pub opened: Vec<OpenedPull>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            tokens: vec![
                ("ghs_simulatorTokenWithPullRequestsRead0".into(), Access::Read),
                ("ghs_simulatorTokenWithoutPermission000".into(), Access::NoPermission),
                ("glpat-simulatorReadApiToken0000".into(), Access::Read),
                ("glpat-simulatorNoScopeToken00000".into(), Access::NoPermission),
                ("ghs_simulatorTokenWithWriteAccess0000".into(), Access::Write),
            ],
            owner: "example".into(),
            repo: "tailnet".into(),
            pulls: Vec::new(),
            project_id: 42,
            settings: GitLabSettings {
                reset_approvals_on_push: true,
                disable_committers_approval: true,
                author_approval: false,
            },
            merge_requests: Vec::new(),
            collaborators: Vec::new(),
            bot: "github-actions[bot]".into(),
            issues: Vec::new(),
            comments: Vec::new(),
            opened: Vec::new(),
        }
    }
}

/// What goes wrong on a request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status and JSON body instead of handling the request.
    Respond { status: u16, body: String },
    /// A redirect to `location` (a client must not follow it with its token).
    Redirect { location: String },
    /// A 200 HTML page, as a proxy's login page would be.
    Html,
    /// A 200 JSON body of this many bytes.
    Oversized { bytes: usize },
    /// The answer as usual, but its `Link: rel="next"` points at `origin` instead (another
    /// host: a client must not send its token there).
    NextElsewhere { origin: String },
}

/// A fault: requests whose path contains `path` get `kind`, `times` times.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub path: String,
    pub times: u32,
    pub kind: FaultKind,
}

pub(crate) struct State {
    pub(crate) setup: Setup,
    pub(crate) url: String,
    faults: Vec<Fault>,
    log: Vec<String>,
    /// Every `Authorization` and `PRIVATE-TOKEN` header seen.
    auth_headers: Vec<String>,
    /// Set by a fault for the handler: the next-page origin to write.
    pub(crate) next_origin: Option<String>,
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(s: &Shared) -> MutexGuard<'_, State> {
    // A panicking handler must not wedge every later request.
    s.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) type Resp = Response<Body>;

pub(crate) fn json(status: u16, body: &Value) -> Resp {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

/// A page of `items` as both forges paginate: `per_page` (default 30 on GitHub, 20 on GitLab;
/// at most 100) and `page` (from 1), with `Link: <…>; rel="next"` while more follow.
pub(crate) fn page(
    s: &State,
    items: Vec<Value>,
    query: &std::collections::HashMap<String, String>,
    path: &str,
    default_per_page: usize,
) -> Resp {
    let per_page = query.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(default_per_page).clamp(1, 100);
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
    let start = (page - 1).saturating_mul(per_page);
    let shown: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
    let mut resp = json(200, &Value::Array(shown));
    let last = items.len().div_ceil(per_page).max(1);
    if page < last {
        let origin = s.next_origin.clone().unwrap_or_else(|| s.url.clone());
        let link = |p: usize, rel: &str| format!("<{origin}{path}?per_page={per_page}&page={p}>; rel=\"{rel}\"");
        let value = format!("{}, {}", link(page + 1, "next"), link(last, "last"));
        if let Ok(v) = value.parse() {
            resp.headers_mut().insert(header::LINK, v);
        }
        if let Ok(v) = (page + 1).to_string().parse() {
            resp.headers_mut().insert("x-next-page", v);
        }
    }
    resp
}

/// The token a request carries: `Authorization: Bearer|token T` or GitLab's `PRIVATE-TOKEN`.
pub(crate) fn token(headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(t) = headers.get("private-token").and_then(|v| v.to_str().ok()) {
        return Some(t.trim().to_owned());
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, t) = auth.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")).then(|| t.trim().to_owned())
}

pub(crate) fn access(s: &State, headers: &axum::http::HeaderMap) -> Option<Access> {
    let t = token(headers)?;
    s.setup.tokens.iter().find(|(k, _)| *k == t).map(|(_, a)| *a)
}

/// Records the request and plays the first fault queued for its path.
async fn inject(AxState(state): AxState<Shared>, req: Request, next: Next) -> Resp {
    let path = req.uri().path().to_owned();
    let shown = req.uri().path_and_query().map_or(path.clone(), |p| p.to_string());
    let fault = {
        let mut s = lock(&state);
        s.log.push(format!("{} {shown}", req.method()));
        for h in ["authorization", "private-token"] {
            if let Some(v) = req.headers().get(h).and_then(|v| v.to_str().ok()) {
                s.auth_headers.push(format!("{h}: {v}"));
            }
        }
        s.next_origin = None;
        let hit = s.faults.iter_mut().find(|f| f.times > 0 && path.contains(&f.path));
        hit.map(|f| {
            f.times -= 1;
            f.kind.clone()
        })
    };
    match fault {
        None => next.run(req).await,
        Some(FaultKind::Respond { status, body }) => {
            json(status, &serde_json::from_str(&body).unwrap_or(Value::String(body)))
        }
        Some(FaultKind::Redirect { location }) => Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, location)
            .body(Body::empty())
            .unwrap_or_default(),
        Some(FaultKind::Html) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from("<html><body>Sign in to continue</body></html>"))
            .unwrap_or_default(),
        Some(FaultKind::Oversized { bytes }) => {
            let mut body = String::from("[");
            while body.len() + 3 < bytes {
                body.push_str("{},");
            }
            body.push_str("{}]");
            json_text(body)
        }
        Some(FaultKind::NextElsewhere { origin }) => {
            lock(&state).next_origin = Some(origin);
            next.run(req).await
        }
    }
}

fn json_text(body: String) -> Resp {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_default()
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    /// `http://127.0.0.1:<port>`: `GITHUB_API_URL`; `CI_API_V4_URL` is this plus `/api/v4`.
    pub url: String,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Simulator {
    /// Starts a simulator on `127.0.0.1`, on a port the system picks.
    pub fn start(setup: Setup) -> std::io::Result<Simulator> {
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let state: Shared = Arc::new(Mutex::new(State {
            setup,
            url: url.clone(),
            faults: Vec::new(),
            log: Vec::new(),
            auth_headers: Vec::new(),
            next_origin: None,
        }));
        let app = github::routes()
            .merge(gitlab::routes())
            .fallback(|| async { json(404, &serde_json::json!({"message": "Not Found"})) })
            .layer(axum::middleware::from_fn_with_state(state.clone(), inject))
            .with_state(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("forge-sim".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return eprintln!("forge-sim: cannot start a runtime: {e}"),
            };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
                if let Err(e) = serve.await {
                    eprintln!("forge-sim: {e}");
                }
            });
        })?;
        Ok(Simulator { url, state, stop: Some(stop), thread: Some(thread) })
    }

    /// `CI_API_V4_URL`.
    pub fn gitlab_url(&self) -> String {
        format!("{}/api/v4", self.url)
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.state).faults.push(fault);
    }

    /// `METHOD path?query` of every request received, in order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state).log.clone()
    }

    /// Every credential header received (`authorization: …`, `private-token: …`).
    pub fn auth_headers(&self) -> Vec<String> {
        lock(&self.state).auth_headers.clone()
    }

    /// Adds a review to pull request `number`, as submitted now.
    pub fn review(&self, number: u64, user: &str, state: ReviewState, commit_id: &str) {
        self.with_pull(number, |p| {
            p.reviews.push(Review { user: user.into(), state, commit_id: Some(commit_id.into()) })
        });
    }

    /// Dismisses `user`'s approvals of pull request `number`, as a maintainer (or GitHub's
    /// "dismiss stale approvals" on a push) does: the reviews' state becomes DISMISSED.
    pub fn dismiss(&self, number: u64, user: &str) {
        self.with_pull(number, |p| {
            for r in p.reviews.iter_mut().filter(|r| r.user == user && r.state == ReviewState::Approved) {
                r.state = ReviewState::Dismissed;
            }
        });
    }

    /// A push to pull request `number`: `commit` is its new head.
    pub fn push(&self, number: u64, commit: Commit) {
        self.with_pull(number, |p| {
            p.head = commit.sha.clone();
            p.commits.push(commit);
        });
    }

    /// Marks pull request `number` merged by `commit`.
    pub fn merge(&self, number: u64, commit: &str) {
        self.with_pull(number, |p| p.merged = Some(commit.into()));
    }

    fn with_pull(&self, number: u64, f: impl FnOnce(&mut Pull)) {
        let mut s = lock(&self.state);
        if let Some(p) = s.setup.pulls.iter_mut().find(|p| p.number == number) {
            f(p);
        }
    }

    /// `user` approves merge request `iid` (at its current head).
    pub fn approve(&self, iid: u64, user: &str) {
        self.with_mr(iid, |m, _| m.approved_by.push(user.into()));
    }

    /// A push to merge request `iid`: a new head, which clears the approvals when the project
    /// resets approvals on push.
    pub fn push_mr(&self, iid: u64, commit: Commit) {
        self.with_mr(iid, |m, settings| {
            m.sha = commit.sha.clone();
            m.commits.push(commit);
            if settings.reset_approvals_on_push {
                m.approved_by.clear();
            }
        });
    }

    /// The pull requests opened through the API.
    pub fn opened(&self) -> Vec<OpenedPull> {
        lock(&self.state).setup.opened.clone()
    }

    /// Every issue, those opened through the API included.
    pub fn issues(&self) -> Vec<Issue> {
        lock(&self.state).setup.issues.clone()
    }

    /// Closes issue `number`, as its author or a maintainer does.
    pub fn close_issue(&self, number: u64) {
        if let Some(i) = lock(&self.state).setup.issues.iter_mut().find(|i| i.number == number) {
            i.open = false;
        }
    }

    /// Every comment posted, in order.
    pub fn comments(&self) -> Vec<IssueComment> {
        lock(&self.state).setup.comments.clone()
    }

    pub fn set_gitlab_settings(&self, settings: GitLabSettings) {
        lock(&self.state).setup.settings = settings;
    }

    fn with_mr(&self, iid: u64, f: impl FnOnce(&mut MergeRequest, GitLabSettings)) {
        let mut s = lock(&self.state);
        let settings = s.setup.settings;
        if let Some(m) = s.setup.merge_requests.iter_mut().find(|m| m.iid == iid) {
            f(m, settings);
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Seconds since an arbitrary start, for ids and timestamps that increase.
pub(crate) fn stamp(i: usize) -> String {
    let base: Timestamp = "2026-11-22T09:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
    (base + jiff::SignedDuration::from_secs(60 * i as i64)).to_string()
}
