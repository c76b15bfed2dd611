//! Fault injection: a fault names a route, which of its calls it hits, and what goes wrong.
//!
//! Besides an unreliable API (errors, delays, cut connections), the faults play a hostile or
//! broken server between the client and the API: redirects, HTML pages, bodies cut short,
//! bodies too large or too slow, and error bodies that quote the credentials back. They are
//! judged here by the simplest means (bytes and headers), never by tailgrant's code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
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
    Users,
    GetAttributes,
    SetAttribute,
    DeleteAttribute,
    BatchAttributes,
    GetSettings,
    PatchSettings,
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
            (&Method::GET, ["api", "v2", "tailnet", _, "users"]) => Route::Users,
            (&Method::GET, ["api", "v2", "device", _, "attributes"]) => Route::GetAttributes,
            (&Method::POST, ["api", "v2", "device", _, "attributes", _]) => Route::SetAttribute,
            (&Method::DELETE, ["api", "v2", "device", _, "attributes", _]) => Route::DeleteAttribute,
            (&Method::PATCH, ["api", "v2", "tailnet", _, "device-attributes"]) => Route::BatchAttributes,
            (&Method::GET, ["api", "v2", "tailnet", _, "settings"]) => Route::GetSettings,
            (&Method::PATCH, ["api", "v2", "tailnet", _, "settings"]) => Route::PatchSettings,
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
    /// Handle the request; on success replace the body with this one (`null`, ``, `{}`), as
    /// JSON when the answer had no content type.
    SuccessBody(String),
    /// Answer with this redirect status (307, 308…) and `Location`, without handling the
    /// request, as a hijacked or misconfigured endpoint would.
    Redirect { status: u16, location: String },
    /// Answer with exactly this status, content type and body, without handling the request
    /// (a proxy's HTML page, an object cut short such as `{oops`).
    Raw { status: u16, content_type: String, body: String },
    /// Handle the request (state changes), then send only the first half of its answer, framed
    /// as complete: only its content shows the cut.
    Truncated,
    /// Answer 200 with `bytes` of a policy-like comment, streamed in 64 KiB pieces made as they
    /// are sent (the simulator holds one piece), without handling the request. With
    /// `declare_length` the answer announces its size in `Content-Length`.
    Oversized { bytes: u64, declare_length: bool },
    /// Answer 401 quoting back what the request authenticated with: its `Authorization`
    /// header and its body (where the OAuth secret and the OIDC token travel).
    EchoCredentials,
    /// Handle the request, then send its answer one byte each `Duration`.
    SlowDrip(Duration),
    /// Handle the request, then replace its answer's `ETag` with this one (quoted, as the
    /// header carries it): a server vouching for a policy other than the one it sends.
    ForgedEtag(String),
}

impl FaultKind {
    /// A JSON error answer with the `{"message"}` body the API uses.
    pub fn status(status: u16, message: &str) -> FaultKind {
        FaultKind::Respond { status, body: serde_json::json!({ "message": message }).to_string(), retry_after: None }
    }

    /// A `200 text/html` sign-in page, as a captive portal or a proxy answers.
    pub fn html() -> FaultKind {
        FaultKind::Raw {
            status: 200,
            content_type: "text/html; charset=utf-8".into(),
            body: "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>…</form></body></html>\n"
                .into(),
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> FaultKind {
        FaultKind::Redirect { status, location: location.into() }
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
    {
        let mut s = lock(&state);
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
    }
    let resp = respond(&state, req, next).await;
    let mut s = lock(&state);
    s.in_flight -= 1;
    s.answers.push(format!("{line} {}", resp.status().as_u16()));
    drop(s);
    resp
}

async fn respond(state: &Shared, req: Request, next: Next) -> Response<Body> {
    let streamed = lock(state).streamed.clone();
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
            if !body.is_empty() && !parts.headers.contains_key(header::CONTENT_TYPE) {
                parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Response::from_parts(parts, Body::from(body))
        }
        FaultKind::Redirect { status, location } => Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::TEMPORARY_REDIRECT))
            .header(header::LOCATION, location)
            .body(Body::empty())
            .unwrap_or_default(),
        FaultKind::Raw { status, content_type, body } => Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap_or_default(),
        FaultKind::Truncated => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
        }
        FaultKind::Oversized { bytes, declare_length } => oversized(bytes, declare_length, streamed),
        FaultKind::EchoCredentials => {
            let auth =
                req.headers().get(header::AUTHORIZATION).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
            let message = format!(
                "bad credentials: {} {}",
                auth.unwrap_or_else(|| "(no Authorization header)".into()),
                String::from_utf8_lossy(&body)
            );
            json_response(401, serde_json::json!({ "message": message.trim_end() }).to_string())
        }
        FaultKind::SlowDrip(every) => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            let drip = futures_util::stream::unfold(0usize, move |at| {
                let bytes = bytes.clone();
                async move {
                    if at >= bytes.len() {
                        return None;
                    }
                    tokio::time::sleep(every).await;
                    Some((Ok::<Bytes, std::io::Error>(bytes.slice(at..at + 1)), at + 1))
                }
            });
            Response::from_parts(parts, Body::from_stream(drip))
        }
        FaultKind::ForgedEtag(etag) => {
            let mut resp = next.run(req).await;
            if let Ok(v) = HeaderValue::from_str(&etag) {
                resp.headers_mut().insert(header::ETAG, v);
            }
            resp
        }
    }
}

/// `bytes` of `// …` lines, made 64 KiB at a time as the client reads them; every byte made
/// is counted in `streamed`, so a test can see how much the client let through.
fn oversized(bytes: u64, declare_length: bool, streamed: Arc<AtomicU64>) -> Response<Body> {
    const PIECE: usize = 64 * 1024;
    let line = "// padding padding padding padding padding padding padding padding padding\n";
    let piece = Bytes::from(line.repeat(PIECE / line.len() + 1).into_bytes()).slice(..PIECE);
    let stream = futures_util::stream::unfold(0u64, move |sent| {
        let (piece, streamed) = (piece.clone(), streamed.clone());
        async move {
            if sent >= bytes {
                return None;
            }
            let n = (bytes - sent).min(PIECE as u64) as usize;
            streamed.fetch_add(n as u64, Ordering::Relaxed);
            Some((Ok::<Bytes, std::io::Error>(piece.slice(..n)), sent + n as u64))
        }
    });
    let mut resp = Response::builder().status(StatusCode::OK).header(header::CONTENT_TYPE, "application/hujson");
    if declare_length {
        resp = resp.header(header::CONTENT_LENGTH, bytes);
    }
    resp.body(Body::from_stream(stream)).unwrap_or_default()
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
