//! Fault injection: a fault names a route, which of its calls it hits, and what goes wrong.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::middleware::Next;

use crate::{Shared, lock};

/// The endpoints, as faults and call counts name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    TokenExchange,
    GetPolicy,
    SetPolicy,
    Validate,
    Devices,
    GetAttributes,
    SetAttribute,
    DeleteAttribute,
    Other,
}

impl Route {
    pub fn of(method: &axum::http::Method, path: &str) -> Route {
        use axum::http::Method;
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method, segs.as_slice()) {
            (&Method::POST, ["api", "v2", "oauth", "token"]) => Route::Token,
            (&Method::POST, ["api", "v2", "oauth", "token-exchange"]) => Route::TokenExchange,
            (&Method::GET, ["api", "v2", "tailnet", _, "acl"]) => Route::GetPolicy,
            (&Method::POST, ["api", "v2", "tailnet", _, "acl"]) => Route::SetPolicy,
            (&Method::POST, ["api", "v2", "tailnet", _, "acl", "validate"]) => Route::Validate,
            (&Method::GET, ["api", "v2", "tailnet", _, "devices"]) => Route::Devices,
            (&Method::GET, ["api", "v2", "device", _, "attributes"]) => Route::GetAttributes,
            (&Method::POST, ["api", "v2", "device", _, "attributes", _]) => Route::SetAttribute,
            (&Method::DELETE, ["api", "v2", "device", _, "attributes", _]) => Route::DeleteAttribute,
            _ => Route::Other,
        }
    }
}

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status and body instead of handling the request. `retry_after` sets
    /// the header (delta-seconds or an HTTP-date, verbatim).
    Respond { status: u16, body: String, retry_after: Option<String> },
    /// A plain-text error body, as some endpoints send (`METHOD_NOT_ALLOWED`).
    PlainText { status: u16, body: String },
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Cut the connection without handling the request.
    DropBefore,
    /// Handle the request (state changes), then cut the connection before the body is sent.
    DropAfter,
    /// Handle the request, then change the policy as someone in the admin console would, so
    /// that a POST with the ETag just returned fails its If-Match.
    ConcurrentEdit,
    /// Handle the request; on success replace the body with this one (`null`, ``, `{}`).
    SuccessBody(String),
}

impl FaultKind {
    /// A JSON error answer with the `{"message"}` body the API uses.
    pub fn status(status: u16, message: &str) -> FaultKind {
        FaultKind::Respond { status, body: serde_json::json!({ "message": message }).to_string(), retry_after: None }
    }

    /// 429 with a `Retry-After` header.
    pub fn rate_limited(retry_after: &str) -> FaultKind {
        FaultKind::Respond {
            status: 429,
            body: r#"{"message":"rate limit exceeded"}"#.into(),
            retry_after: Some(retry_after.into()),
        }
    }
}

/// A fault on the `skip`+1-th to `skip`+`times`-th calls of `route` counted from when it is
/// injected.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub route: Route,
    pub skip: u32,
    pub times: u32,
    pub kind: FaultKind,
}

impl Fault {
    /// The next call of `route` fails this way.
    pub fn next(route: Route, kind: FaultKind) -> Fault {
        Fault { route, skip: 0, times: 1, kind }
    }

    /// The next `times` calls of `route` fail this way.
    pub fn times(route: Route, times: u32, kind: FaultKind) -> Fault {
        Fault { route, skip: 0, times, kind }
    }
}

/// The middleware: logs the request and applies the first matching fault.
pub(crate) async fn inject(AxState(state): AxState<Shared>, req: Request, next: Next) -> Response<Body> {
    let line = format!("{} {}", req.method(), req.uri().path());
    let resp = respond(&state, req, next).await;
    lock(&state).answers.push(format!("{line} {}", resp.status().as_u16()));
    resp
}

async fn respond(state: &Shared, req: Request, next: Next) -> Response<Body> {
    let route = Route::of(req.method(), req.uri().path());
    let fault = {
        let mut s = lock(state);
        s.log.push(format!("{} {}", req.method(), req.uri().path()));
        if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
            let auth = String::from_utf8_lossy(auth.as_bytes()).into_owned();
            s.auth_headers.push(auth);
        }
        *s.calls.entry(route).or_default() += 1;
        let pos = s.faults.iter().position(|f| f.route == route);
        match pos {
            Some(i) if s.faults[i].skip > 0 => {
                s.faults[i].skip -= 1;
                None
            }
            Some(i) => {
                s.faults[i].times -= 1;
                let kind = s.faults[i].kind.clone();
                if s.faults[i].times == 0 {
                    s.faults.remove(i);
                }
                Some(kind)
            }
            None => None,
        }
    };
    let Some(kind) = fault else { return next.run(req).await };
    match kind {
        FaultKind::Respond { status, body, retry_after } => {
            let mut resp = json_response(status, body);
            if let Some(ra) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                resp.headers_mut().insert(header::RETRY_AFTER, ra);
            }
            resp
        }
        FaultKind::PlainText { status, body } => Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(body))
            .unwrap_or_default(),
        FaultKind::Delay(d) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        FaultKind::DropBefore => dropped(),
        FaultKind::DropAfter => {
            let _ = next.run(req).await;
            dropped()
        }
        FaultKind::ConcurrentEdit => {
            let resp = next.run(req).await;
            let mut s = lock(state);
            s.policy = format!("// Edited in the admin console meanwhile.\n{}", s.policy);
            s.is_default = false;
            resp
        }
        FaultKind::SuccessBody(body) => {
            let resp = next.run(req).await;
            if !resp.status().is_success() {
                return resp;
            }
            let (mut parts, _) = resp.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(body))
        }
    }
}

pub(crate) fn json_response(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_default()
}

/// A response whose body fails after the headers: the client sees the connection cut.
fn dropped() -> Response<Body> {
    let stream = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault injected: connection dropped",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}
