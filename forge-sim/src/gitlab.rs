//! GitLab's REST endpoints for merge requests and their approvals, as
//! `docs.gitlab.com/api/merge_requests` and `merge_request_approvals` document them.

// Early returns carry the finished error response; its size does not matter in a test server.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};

use crate::{Access, MergeRequest, Resp, Shared, State, access, json, lock, page, stamp};

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v4/projects/{id}/approvals", get(settings))
        .route("/api/v4/projects/{id}/merge_requests/{iid}", get(merge_request))
        .route("/api/v4/projects/{id}/merge_requests/{iid}/approvals", get(approvals))
        .route("/api/v4/projects/{id}/merge_requests/{iid}/commits", get(commits))
}

/// 401 for a missing or unknown token, 403 for one without `read_api`, 404 for another
/// project; with GitLab's error bodies.
fn authorize<'s>(s: &'s State, headers: &HeaderMap, id: &str) -> Result<&'s State, Resp> {
    match access(s, headers) {
        None => Err(json(401, &json!({"message": "401 Unauthorized"}))),
        // [SIM] a GitHub write token is no GitLab token with read_api.
        Some(Access::NoPermission | Access::Write) => Err(json(
            403,
            &json!({
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": "api read_api",
            }),
        )),
        Some(Access::Read) if id != s.setup.project_id.to_string() => {
            Err(json(404, &json!({"message": "404 Project Not Found"})))
        }
        Some(Access::Read) => Ok(s),
    }
}

fn find(s: &State, iid: &str) -> Result<MergeRequest, Resp> {
    let n: u64 = iid.parse().map_err(|_| json(404, &json!({"message": "404 Not found"})))?;
    s.setup
        .merge_requests
        .iter()
        .find(|m| m.iid == n)
        .cloned()
        .ok_or_else(|| json(404, &json!({"message": "404 Not found"})))
}

fn user(name: &str) -> Value {
    json!({"id": name.len(), "username": name, "name": name, "state": "active"})
}

async fn settings(AxState(st): AxState<Shared>, Path(id): Path<String>, h: HeaderMap) -> Resp {
    let s = lock(&st);
    match authorize(&s, &h, &id) {
        Ok(s) => {
            let c = s.setup.settings;
            json(
                200,
                &json!({
                    "approvals_before_merge": 0,
                    "reset_approvals_on_push": c.reset_approvals_on_push,
                    "disable_overriding_approvers_per_merge_request": false,
                    "merge_requests_author_approval": c.author_approval,
                    "merge_requests_disable_committers_approval": c.disable_committers_approval,
                    "require_password_to_approve": false,
                }),
            )
        }
        Err(e) => e,
    }
}

type Params = Path<(String, String)>;

async fn merge_request(AxState(st): AxState<Shared>, Path((id, iid)): Params, h: HeaderMap) -> Resp {
    let s = lock(&st);
    let s = match authorize(&s, &h, &id) {
        Ok(s) => s,
        Err(e) => return e,
    };
    match find(s, &iid) {
        Ok(m) => json(
            200,
            &json!({
                "id": 5000 + m.iid,
                "iid": m.iid,
                "project_id": s.setup.project_id,
                "state": "opened",
                "author": user(&m.author),
                "sha": m.sha,
                "diff_refs": {"base_sha": m.base, "head_sha": m.sha, "start_sha": m.base},
            }),
        ),
        Err(e) => e,
    }
}

async fn approvals(AxState(st): AxState<Shared>, Path((id, iid)): Params, h: HeaderMap) -> Resp {
    let s = lock(&st);
    let s = match authorize(&s, &h, &id) {
        Ok(s) => s,
        Err(e) => return e,
    };
    match find(s, &iid) {
        Ok(m) => json(
            200,
            &json!({
                "id": 5000 + m.iid,
                "iid": m.iid,
                "project_id": s.setup.project_id,
                "approved": !m.approved_by.is_empty(),
                "approvals_required": 0,
                "approvals_left": 0,
                "approved_by": m.approved_by.iter().map(|u| json!({"user": user(u)})).collect::<Vec<_>>(),
            }),
        ),
        Err(e) => e,
    }
}

async fn commits(
    AxState(st): AxState<Shared>,
    Path((id, iid)): Params,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Resp {
    let s = lock(&st);
    let s = match authorize(&s, &h, &id) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let m = match find(s, &iid) {
        Ok(m) => m,
        Err(e) => return e,
    };
    // Newest first, as GitLab lists them.
    let items = m
        .commits
        .iter()
        .rev()
        .map(|c| {
            json!({
                "id": c.sha,
                "short_id": &c.sha[..c.sha.len().min(8)],
                "title": "change",
                "author_name": "someone",
                "author_email": c.author_email,
                "committer_name": "someone",
                "committer_email": c.committer_email,
                "created_at": stamp(0),
            })
        })
        .collect();
    page(s, items, &q, &format!("/api/v4/projects/{id}/merge_requests/{iid}/commits"), 20)
}
