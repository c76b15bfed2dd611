//! GitHub's REST endpoints for pull requests, as `docs.github.com/rest/pulls` documents them.

// Early returns carry the finished error response; its size does not matter in a test server.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};

use crate::{Access, Pull, Resp, Shared, State, access, json, lock, page, stamp};

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/repos/{owner}/{repo}/pulls/{number}", get(pull))
        .route("/repos/{owner}/{repo}/pulls/{number}/reviews", get(reviews))
        .route("/repos/{owner}/{repo}/pulls/{number}/commits", get(commits))
        .route("/repos/{owner}/{repo}/commits/{sha}/pulls", get(pulls_of_commit))
        .route("/repos/{owner}/{repo}/contents/{*path}", get(contents))
}

fn message(status: u16, msg: &str) -> Resp {
    json(
        status,
        &json!({"message": msg, "documentation_url": "https://docs.github.com/rest", "status": status.to_string()}),
    )
}

/// The repository's state if the request may read it, or the answer GitHub gives: 401 for a
/// missing or unknown token, 403 for one without `pull-requests: read`, 404 for another
/// repository.
fn authorize<'s>(s: &'s State, headers: &HeaderMap, owner: &str, repo: &str) -> Result<&'s State, Resp> {
    match access(s, headers) {
        None => Err(message(401, "Bad credentials")),
        Some(Access::NoPermission) => Err(message(403, "Resource not accessible by integration")),
        Some(Access::Read)
            if !owner.eq_ignore_ascii_case(&s.setup.owner) || !repo.eq_ignore_ascii_case(&s.setup.repo) =>
        {
            Err(message(404, "Not Found"))
        }
        Some(Access::Read) => Ok(s),
    }
}

/// `f`'s answer for an authorized request, else the refusal.
fn answer(st: &Shared, h: &HeaderMap, owner: &str, repo: &str, f: impl FnOnce(&State) -> Resp) -> Resp {
    let s = lock(st);
    match authorize(&s, h, owner, repo) {
        Ok(s) => f(s),
        Err(e) => e,
    }
}

/// `f`'s answer about pull request `number`, for an authorized request.
fn about(
    st: &Shared,
    h: &HeaderMap,
    owner: &str,
    repo: &str,
    number: &str,
    f: impl FnOnce(&State, Pull) -> Resp,
) -> Resp {
    answer(st, h, owner, repo, |s| match find(s, number) {
        Ok(p) => f(s, p),
        Err(e) => e,
    })
}

fn user(login: &str) -> Value {
    // [SIM] ids derived from the name, stable across calls.
    let id: u64 = login.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)) % 1_000_000_000;
    json!({"login": login, "id": id, "type": "User", "site_admin": false})
}

fn pull_json(s: &State, p: &Pull) -> Value {
    let repo = format!("{}/{}", s.setup.owner, s.setup.repo);
    json!({
        "url": format!("{}/repos/{repo}/pulls/{}", s.url, p.number),
        "id": 1000 + p.number,
        "number": p.number,
        "state": if p.merged.is_some() { "closed" } else { "open" },
        "title": format!("Pull request {}", p.number),
        "user": user(&p.author),
        "head": {"ref": format!("pr-{}", p.number), "sha": p.head, "user": user(&p.author)},
        "base": {"ref": p.base_ref, "sha": p.base, "repo": {"full_name": repo}},
        "merged_at": p.merged.as_ref().map(|_| stamp(1000)),
        "merge_commit_sha": p.merged,
    })
}

fn find(s: &State, number: &str) -> Result<Pull, Resp> {
    let n: u64 = number.parse().map_err(|_| message(404, "Not Found"))?;
    s.setup.pulls.iter().find(|p| p.number == n).cloned().ok_or_else(|| message(404, "Not Found"))
}

type Params = Path<(String, String, String)>;

async fn pull(AxState(st): AxState<Shared>, Path((o, r, n)): Params, h: HeaderMap) -> Resp {
    about(&st, &h, &o, &r, &n, |s, p| json(200, &pull_json(s, &p)))
}

async fn reviews(
    AxState(st): AxState<Shared>,
    Path((o, r, n)): Params,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Resp {
    about(&st, &h, &o, &r, &n, |s, p| {
        // Chronological, as documented; a pending review has no submitted_at.
        let items = p
            .reviews
            .iter()
            .enumerate()
            .map(|(i, rv)| {
                json!({
                    "id": 80_000 + i,
                    "user": user(&rv.user),
                    "body": "",
                    "state": rv.state.as_str(),
                    "commit_id": rv.commit_id,
                    "submitted_at": (rv.state != crate::ReviewState::Pending).then(|| stamp(i)),
                    "author_association": "MEMBER",
                })
            })
            .collect();
        page(s, items, &q, &format!("/repos/{o}/{r}/pulls/{n}/reviews"), 30)
    })
}

fn commit_json(c: &crate::Commit) -> Value {
    json!({
        "sha": c.sha,
        "commit": {
            "author": {"name": "someone", "email": c.author_email, "date": stamp(0)},
            "committer": {"name": "someone", "email": c.committer_email, "date": stamp(0)},
            "message": "change",
        },
        "author": c.author.as_deref().map(user),
        "committer": c.committer.as_deref().map(user),
        "parents": [],
    })
}

async fn commits(
    AxState(st): AxState<Shared>,
    Path((o, r, n)): Params,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Resp {
    about(&st, &h, &o, &r, &n, |s, p| {
        // At most 250 commits, as documented.
        let items = p.commits.iter().take(250).map(commit_json).collect();
        page(s, items, &q, &format!("/repos/{o}/{r}/pulls/{n}/commits"), 30)
    })
}

/// Merged pull requests that introduced the commit (its merge commit or one of its commits);
/// for a commit not on the default branch, open ones too (as documented).
async fn pulls_of_commit(
    AxState(st): AxState<Shared>,
    Path((o, r, sha)): Params,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Resp {
    answer(&st, &h, &o, &r, |s| {
        let items = s
            .setup
            .pulls
            .iter()
            .filter(|p| p.merged.as_deref() == Some(sha.as_str()) || p.commits.iter().any(|c| c.sha == sha))
            .map(|p| pull_json(s, p))
            .collect();
        page(s, items, &q, &format!("/repos/{o}/{r}/commits/{sha}/pulls"), 30)
    })
}

/// A file at a pull request's head, by `?ref=` (the head's commit id): its blob id.
async fn contents(
    AxState(st): AxState<Shared>,
    Path((o, r, path)): Params,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Resp {
    answer(&st, &h, &o, &r, |s| {
        let rev = q.get("ref").cloned().unwrap_or_default();
        let found = s.setup.pulls.iter().filter(|p| p.head == rev).flat_map(|p| &p.files).find(|(p, _)| *p == path);
        match found {
            Some((p, blob)) => {
                json(200, &json!({"type": "file", "path": p, "sha": blob, "name": p.rsplit('/').next()}))
            }
            None => message(404, "Not Found"),
        }
    })
}
