//! GitHub's REST endpoints for pull requests, as `docs.github.com/rest/pulls` documents them.

// Early returns carry the finished error response; its size does not matter in a test server.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::{Access, Pull, Resp, Shared, State, access, json, lock, page, stamp};

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/repos/{owner}/{repo}/pulls/{number}", get(pull).patch(writes::update_pull))
        .route("/repos/{owner}/{repo}/pulls/{number}/reviews", get(reviews))
        .route("/repos/{owner}/{repo}/pulls/{number}/commits", get(commits))
        .route("/repos/{owner}/{repo}/commits/{sha}/pulls", get(pulls_of_commit))
        .route("/repos/{owner}/{repo}/contents/{*path}", get(contents))
        .route("/repos/{owner}/{repo}/pulls", post(writes::open_pull).get(writes::list_pulls))
        .route("/repos/{owner}/{repo}/pulls/{number}/requested_reviewers", post(writes::request_reviewers))
        .route("/repos/{owner}/{repo}/issues", post(writes::open_issue).get(writes::list_issues))
        .route("/repos/{owner}/{repo}/issues/{number}/comments", post(writes::comment).get(writes::comments))
}

pub(crate) fn message(status: u16, msg: &str) -> Resp {
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
        Some(Access::Read | Access::Write)
            if !owner.eq_ignore_ascii_case(&s.setup.owner) || !repo.eq_ignore_ascii_case(&s.setup.repo) =>
        {
            Err(message(404, "Not Found"))
        }
        Some(Access::Read | Access::Write) => Ok(s),
    }
}

/// `f`'s answer for an authorized request, else the refusal.
pub(crate) fn answer(st: &Shared, h: &HeaderMap, owner: &str, repo: &str, f: impl FnOnce(&State) -> Resp) -> Resp {
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

pub(crate) fn user(login: &str) -> Value {
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

/// What opens pull requests and issues, requests reviewers and comments
/// (`docs.github.com/rest/pulls`, `/rest/issues`): only with a `Write` token; a read token
/// gets GitHub's 403. Issues and pull requests share one sequence of numbers, as on GitHub.
mod writes {
    use super::*;
    use crate::{IssueComment, OpenedPull};

    type Repo = Path<(String, String)>;

    /// `f`'s answer for a request whose token may write and whose body is a JSON object.
    fn writing(
        st: &Shared,
        h: &HeaderMap,
        owner: &str,
        repo: &str,
        body: &[u8],
        f: impl FnOnce(&mut State, serde_json::Map<String, Value>) -> Resp,
    ) -> Resp {
        let mut s = lock(st);
        if let Err(e) = authorize(&s, h, owner, repo) {
            return e;
        }
        if crate::access(&s, h) != Some(Access::Write) {
            return message(403, "Resource not accessible by integration");
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) => f(&mut s, o),
            _ => message(400, "Problems parsing JSON"),
        }
    }

    fn next_number(s: &State) -> u64 {
        let pulls = s.setup.pulls.iter().map(|p| p.number);
        let opened = s.setup.opened.iter().map(|p| p.number);
        let issues = s.setup.issues.iter().map(|i| i.number);
        pulls.chain(opened).chain(issues).max().unwrap_or(0) + 1
    }

    fn invalid(msg: &str) -> Resp {
        json(
            422,
            &json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": msg}],
                    "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request", "status": "422"}),
        )
    }

    fn text(o: &serde_json::Map<String, Value>, k: &str) -> Option<String> {
        o.get(k).and_then(Value::as_str).map(str::to_owned)
    }

    fn opened_json(s: &State, p: &OpenedPull) -> Value {
        let repo = format!("{}/{}", s.setup.owner, s.setup.repo);
        json!({
            "url": format!("{}/repos/{repo}/pulls/{}", s.url, p.number),
            "html_url": format!("https://github.com/{repo}/pull/{}", p.number),
            "number": p.number,
            "state": "open",
            "title": p.title,
            "body": p.body,
            "user": user(&s.setup.bot),
            "head": {"ref": p.head_ref, "label": format!("{}:{}", s.setup.owner, p.head_ref)},
            "base": {"ref": p.base_ref},
            "requested_reviewers": p.requested_reviewers.iter().map(|r| user(r)).collect::<Vec<_>>(),
        })
    }

    pub(super) async fn open_pull(
        AxState(st): AxState<Shared>,
        Path((o, r)): Repo,
        h: HeaderMap,
        body: axum::body::Bytes,
    ) -> Resp {
        writing(&st, &h, &o, &r, &body, |s, b| {
            let (Some(title), Some(head), Some(base)) = (text(&b, "title"), text(&b, "head"), text(&b, "base")) else {
                return invalid("title, head and base are required");
            };
            // `head` may be `owner:branch`.
            let head_ref = head.split_once(':').map_or(head.clone(), |(_, b)| b.to_owned());
            if s.setup.opened.iter().any(|p| p.head_ref == head_ref && p.base_ref == base) {
                return invalid(&format!("A pull request already exists for {}:{head_ref}.", s.setup.owner));
            }
            let p = OpenedPull {
                number: next_number(s),
                title,
                body: text(&b, "body").unwrap_or_default(),
                head_ref,
                base_ref: base,
                requested_reviewers: Vec::new(),
            };
            let out = opened_json(s, &p);
            s.setup.opened.push(p);
            json(201, &out)
        })
    }

    /// `title` and `body` of a pull request opened through the API, as `PATCH
    /// /repos/{owner}/{repo}/pulls/{number}` updates them (other fields are not simulated).
    pub(super) async fn update_pull(
        AxState(st): AxState<Shared>,
        Path((o, r, n)): Params,
        h: HeaderMap,
        body: axum::body::Bytes,
    ) -> Resp {
        writing(&st, &h, &o, &r, &body, |s, b| {
            let Some(i) = n.parse::<u64>().ok().and_then(|n| s.setup.opened.iter().position(|p| p.number == n)) else {
                return message(404, "Not Found");
            };
            if let Some(title) = text(&b, "title") {
                s.setup.opened[i].title = title;
            }
            if let Some(body) = text(&b, "body") {
                s.setup.opened[i].body = body;
            }
            let p = s.setup.opened[i].clone();
            json(200, &opened_json(s, &p))
        })
    }

    /// `?head=owner:branch&state=open`, as documented; other filters are not simulated.
    pub(super) async fn list_pulls(
        AxState(st): AxState<Shared>,
        Path((o, r)): Repo,
        Query(q): Query<HashMap<String, String>>,
        h: HeaderMap,
    ) -> Resp {
        answer(&st, &h, &o, &r, |s| {
            let head = q.get("head").map(|h| h.split_once(':').map_or(h.as_str(), |(_, b)| b).to_owned());
            let items = s
                .setup
                .opened
                .iter()
                .filter(|p| head.as_ref().is_none_or(|h| *h == p.head_ref))
                .map(|p| opened_json(s, p))
                .collect();
            page(s, items, &q, &format!("/repos/{o}/{r}/pulls"), 30)
        })
    }

    pub(super) async fn request_reviewers(
        AxState(st): AxState<Shared>,
        Path((o, r, n)): Params,
        h: HeaderMap,
        body: axum::body::Bytes,
    ) -> Resp {
        writing(&st, &h, &o, &r, &body, |s, b| {
            let Some(i) = n.parse::<u64>().ok().and_then(|n| s.setup.opened.iter().position(|p| p.number == n)) else {
                return message(404, "Not Found");
            };
            let Some(wanted) = b.get("reviewers").and_then(Value::as_array) else {
                return invalid("reviewers is required");
            };
            let wanted: Vec<String> = wanted.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            let bot = s.setup.bot.clone();
            for w in &wanted {
                if w.eq_ignore_ascii_case(&bot) {
                    return invalid("Review cannot be requested from pull request author.");
                }
                if !s.setup.collaborators.iter().any(|c| c.eq_ignore_ascii_case(w)) {
                    let repo = format!("{}/{}", s.setup.owner, s.setup.repo);
                    return invalid(&format!(
                        "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {repo} repository."
                    ));
                }
            }
            let p = &mut s.setup.opened[i];
            for w in wanted {
                if !p.requested_reviewers.iter().any(|x| x.eq_ignore_ascii_case(&w)) {
                    p.requested_reviewers.push(w);
                }
            }
            let p = s.setup.opened[i].clone();
            json(201, &opened_json(s, &p))
        })
    }

    fn issue_json(s: &State, i: &crate::Issue) -> Value {
        let repo = format!("{}/{}", s.setup.owner, s.setup.repo);
        json!({
            "number": i.number,
            "html_url": format!("https://github.com/{repo}/issues/{}", i.number),
            "title": i.title,
            "body": i.body,
            "user": user(&i.author),
            "state": if i.open { "open" } else { "closed" },
            "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
        })
    }

    pub(super) async fn open_issue(
        AxState(st): AxState<Shared>,
        Path((o, r)): Repo,
        h: HeaderMap,
        body: axum::body::Bytes,
    ) -> Resp {
        writing(&st, &h, &o, &r, &body, |s, b| {
            let Some(title) = text(&b, "title") else { return invalid("title is required") };
            let labels = b
                .get("labels")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            let issue = crate::Issue {
                number: next_number(s),
                author: s.setup.bot.clone(),
                title,
                body: text(&b, "body").unwrap_or_default(),
                labels,
                open: true,
            };
            let out = issue_json(s, &issue);
            s.setup.issues.push(issue);
            json(201, &out)
        })
    }

    /// `?state=open|closed|all` (default open) and `?labels=a,b` (all of them), as documented.
    pub(super) async fn list_issues(
        AxState(st): AxState<Shared>,
        Path((o, r)): Repo,
        Query(q): Query<HashMap<String, String>>,
        h: HeaderMap,
    ) -> Resp {
        answer(&st, &h, &o, &r, |s| {
            let state = q.get("state").map_or("open", String::as_str);
            let labels: Vec<&str> = q.get("labels").map(|l| l.split(',').collect()).unwrap_or_default();
            let items = s
                .setup
                .issues
                .iter()
                .filter(|i| state == "all" || (state == "open") == i.open)
                .filter(|i| labels.iter().all(|l| i.labels.iter().any(|x| x == l)))
                .map(|i| issue_json(s, i))
                .collect();
            page(s, items, &q, &format!("/repos/{o}/{r}/issues"), 30)
        })
    }

    fn exists(s: &State, n: u64) -> bool {
        s.setup.pulls.iter().any(|p| p.number == n)
            || s.setup.opened.iter().any(|p| p.number == n)
            || s.setup.issues.iter().any(|i| i.number == n)
    }

    pub(super) async fn comment(
        AxState(st): AxState<Shared>,
        Path((o, r, n)): Params,
        h: HeaderMap,
        body: axum::body::Bytes,
    ) -> Resp {
        writing(&st, &h, &o, &r, &body, |s, b| {
            let Some(n) = n.parse::<u64>().ok().filter(|n| exists(s, *n)) else { return message(404, "Not Found") };
            let Some(text) = text(&b, "body").filter(|t| !t.is_empty()) else { return invalid("body is required") };
            let c = IssueComment { number: n, author: s.setup.bot.clone(), body: text };
            let id = 90_000 + s.setup.comments.len();
            let out = json!({"id": id, "body": c.body, "user": user(&c.author), "created_at": stamp(id)});
            s.setup.comments.push(c);
            json(201, &out)
        })
    }

    pub(super) async fn comments(
        AxState(st): AxState<Shared>,
        Path((o, r, n)): Params,
        Query(q): Query<HashMap<String, String>>,
        h: HeaderMap,
    ) -> Resp {
        answer(&st, &h, &o, &r, |s| {
            let Some(n) = n.parse::<u64>().ok().filter(|n| exists(s, *n)) else { return message(404, "Not Found") };
            let items = s
                .setup
                .comments
                .iter()
                .enumerate()
                .filter(|(_, c)| c.number == n)
                .map(
                    |(i, c)| json!({"id": 90_000 + i, "body": c.body, "user": user(&c.author), "created_at": stamp(i)}),
                )
                .collect();
            page(s, items, &q, &format!("/repos/{o}/{r}/issues/{n}/comments"), 30)
        })
    }
}
