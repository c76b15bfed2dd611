//! The Tailscale API client: the few endpoints apply needs, each request with a timeout and
//! retried with backoff and jitter on 429, 5xx and connection errors.
//!
//! POST `/acl` is retried too: it carries `If-Match`, so a retry after an attempt that did
//! land gets 412 rather than overwriting anything, and the caller re-reads to tell the two
//! apart (api-contract §1.5).

use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use jiff::Timestamp;
use reqwest::{Method, StatusCode, header};
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::auth::{Credentials, Secret};

/// Client settings. The defaults suit CI: a run gives up after about two minutes of retrying.
#[derive(Debug, Clone)]
pub struct Options {
    /// `https://api.tailscale.com`, or the simulator's address.
    pub base_url: String,
    /// `-` (the credential's own tailnet), the tailnet ID or its legacy name.
    pub tailnet: String,
    /// Per request, connecting included.
    pub request_timeout: Duration,
    /// Retries per request after the first attempt.
    pub max_retries: usize,
    /// The longest a request may spend waiting between retries, in all.
    pub retry_budget: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            base_url: "https://api.tailscale.com".into(),
            tailnet: "-".into(),
            request_timeout: Duration::from_secs(30),
            max_retries: 6,
            retry_budget: Duration::from_secs(120),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
        }
    }
}

/// What went wrong talking to the API, worded to say what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error(
        "{what}: 401 {message}: the API key or OAuth credentials are invalid or expired; create new ones and update the secret"
    )]
    Unauthorized { what: &'static str, message: String },
    #[error("{what}: 403 {message}: the credentials lack the OAuth scope `{scope}`; give the OAuth client that scope")]
    Forbidden { what: &'static str, scope: &'static str, message: String },
    #[error("{what}: 412 {message}: the policy changed meanwhile; re-run to see the change")]
    Changed { what: &'static str, message: String },
    #[error("{what}: {status} {message}")]
    Rejected { what: &'static str, status: u16, message: String, failures: Vec<TestFailure> },
    #[error(
        "{what}: 404 {message}: check the tailnet name (TS_TAILNET or `tailnet` in tailgrant.hujson; `-` is the credentials' own)"
    )]
    NotFound { what: &'static str, message: String },
    #[error(
        "{what}: {detail}; gave up after {attempts} attempts in {elapsed:?}; the API may be down or rate limiting: re-run later"
    )]
    Unavailable { what: &'static str, detail: String, attempts: usize, elapsed: Duration },
    #[error("{what}: unexpected answer: {detail}")]
    BadResponse { what: &'static str, detail: String },
    #[error("invalid API address {0:?}: TS_API_URL must be an http(s) URL")]
    BadUrl(String),
}

impl ApiError {
    /// True when the request may not have reached the server or failed there: worth re-running.
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::Unavailable { .. })
    }
}

/// One `data` entry of an ACL test failure: the test's `src` and what failed.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct TestFailure {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub errors: Vec<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The API's error body. Some endpoints answer plain text instead, kept as the message.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Vec<TestFailure>>,
}

fn error_body(bytes: &[u8]) -> ErrorBody {
    serde_json::from_slice::<ErrorBody>(bytes).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim();
        let shown: String = text.chars().take(300).collect();
        ErrorBody { message: if shown.is_empty() { "(empty body)".into() } else { shown }, data: None }
    })
}

/// The live policy: its HuJSON text and its ETag without the quotes.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePolicy {
    pub text: String,
    pub etag: String,
}

/// What `/acl/validate` said about a policy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validation {
    /// A message that is a failure (anything but "warning(s) found").
    pub error: Option<String>,
    pub failures: Vec<TestFailure>,
    pub warnings: Vec<String>,
}

impl Validation {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.failures.iter().all(|f| f.errors.is_empty())
    }
}

/// A device as `GET /devices` lists it; only the fields tailgrant matches on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    #[serde(default)]
    pub id: String,
    pub node_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub hostname: String,
}

/// A device's posture attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    pub values: Map<String, Value>,
    pub expiries: std::collections::BTreeMap<String, Timestamp>,
}

struct CachedToken {
    token: Secret,
    refresh_at: Instant,
}

pub struct Client {
    http: reqwest::Client,
    opts: Options,
    creds: Credentials,
    token: Mutex<Option<CachedToken>>,
}

/// One attempt's outcome: a response that will not get better by retrying, or a reason to
/// retry with an optional server-given delay.
enum Attempt {
    Done(StatusCode, header::HeaderMap, Vec<u8>),
    Retry { detail: String, after: Option<Duration> },
}

impl Client {
    pub fn new(opts: Options, creds: Credentials) -> Result<Client, ApiError> {
        let url = opts.base_url.trim_end_matches('/');
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ApiError::BadUrl(opts.base_url.clone()));
        }
        let http = reqwest::Client::builder()
            .timeout(opts.request_timeout)
            .connect_timeout(opts.request_timeout)
            .user_agent(concat!("tailgrant/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::BadUrl(format!("{}: {e}", opts.base_url)))?;
        let opts = Options { base_url: url.to_owned(), ..opts };
        Ok(Client { http, opts, creds, token: Mutex::new(None) })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v2/{path}", self.opts.base_url)
    }

    fn tailnet_url(&self, rest: &str) -> String {
        self.url(&format!("tailnet/{}/{rest}", escape(&self.opts.tailnet)))
    }

    /// Sends a request built by `build`, retrying per the options. `auth` adds the bearer
    /// token; a 401 with OAuth credentials gets one fresh token and one more try.
    async fn send(
        &self,
        what: &'static str,
        auth: bool,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(StatusCode, header::HeaderMap, Vec<u8>), ApiError> {
        let started = Instant::now();
        let mut backoff = backon::ExponentialBuilder::default()
            .with_min_delay(self.opts.min_backoff)
            .with_max_delay(self.opts.max_backoff)
            .with_max_times(self.opts.max_retries)
            .with_jitter()
            .build();
        let mut attempts = 0;
        let mut refreshed = false;
        let api_key = matches!(self.creds, Credentials::ApiKey(_));
        loop {
            attempts += 1;
            let mut req = build(&self.http);
            if auth {
                req = req.bearer_auth(Box::pin(self.token(false)).await?.expose());
            }
            match Self::attempt(req).await {
                Attempt::Done(status, ..) if status == StatusCode::UNAUTHORIZED && auth && !api_key && !refreshed => {
                    // The cached token may have been revoked or expired early: one fresh try.
                    refreshed = true;
                    Box::pin(self.token(true)).await?;
                }
                Attempt::Done(status, headers, body) => return Ok((status, headers, body)),
                Attempt::Retry { detail, after } => {
                    // The server's own Retry-After wins over the schedule, within the budget.
                    let delay = backoff.next().map(|d| after.unwrap_or(d));
                    match delay {
                        Some(d) if started.elapsed() + d <= self.opts.retry_budget => tokio::time::sleep(d).await,
                        _ => {
                            let detail = match delay {
                                Some(d) => format!("{detail} (asked to wait {d:?}, beyond the retry budget)"),
                                None => detail,
                            };
                            return Err(ApiError::Unavailable { what, detail, attempts, elapsed: started.elapsed() });
                        }
                    }
                }
            }
        }
    }

    async fn attempt(req: reqwest::RequestBuilder) -> Attempt {
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry { detail: transport_error(&e), after: None },
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return Attempt::Retry { detail: transport_error(&e), after: None },
        };
        if matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504) {
            let after = headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry_after);
            let message = error_body(&body).message;
            return Attempt::Retry { detail: format!("{} {message}", status.as_u16()), after };
        }
        Attempt::Done(status, headers, body)
    }

    /// A bearer token: the API key itself, or an OAuth token fetched when there is none
    /// cached, it is about to expire, or `fresh` asks for a new one.
    async fn token(&self, fresh: bool) -> Result<Secret, ApiError> {
        if let Credentials::ApiKey(k) = &self.creds {
            return Ok(k.clone());
        }
        let mut cached = self.token.lock().await;
        if !fresh && let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.token.clone());
        }
        let (path, form): (&str, Vec<(&str, &str)>) = match &self.creds {
            Credentials::OAuth { client_id, secret } => (
                "oauth/token",
                vec![
                    ("client_id", client_id),
                    ("client_secret", secret.expose()),
                    ("grant_type", "client_credentials"),
                ],
            ),
            Credentials::IdToken { client_id, id_token } => {
                ("oauth/token-exchange", vec![("client_id", client_id), ("jwt", id_token.expose())])
            }
            Credentials::ApiKey(_) => unreachable!("returned above"),
        };
        let url = self.url(path);
        let what = "getting an OAuth token";
        let (status, _, body) = self.send(what, false, |http| http.post(&url).form(&form)).await?;
        if !status.is_success() {
            let e = error_body(&body);
            return Err(match status.as_u16() {
                401 | 400 => ApiError::Unauthorized {
                    what,
                    message: format!("{} (TS_OAUTH_ID, TS_OAUTH_SECRET or TS_ID_TOKEN is wrong)", e.message),
                },
                403 => ApiError::Forbidden { what, scope: "the ones requested", message: e.message },
                s => ApiError::Rejected { what, status: s, message: e.message, failures: vec![] },
            });
        }
        #[derive(Deserialize)]
        struct TokenBody {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let t: TokenBody = serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadResponse { what, detail: format!("token body: {e}") })?;
        let lifetime = Duration::from_secs(t.expires_in.unwrap_or(3600));
        // Refresh five minutes early, or at half-life for short-lived tokens.
        let margin = Duration::from_secs(300).min(lifetime / 2);
        let token = Secret::new(t.access_token);
        *cached = Some(CachedToken { token: token.clone(), refresh_at: Instant::now() + lifetime - margin });
        Ok(token)
    }

    /// Maps a non-success answer to an error that says what to do.
    fn refuse(what: &'static str, scope: &'static str, status: StatusCode, body: &[u8]) -> ApiError {
        let e = error_body(body);
        match status.as_u16() {
            401 => ApiError::Unauthorized { what, message: e.message },
            403 => ApiError::Forbidden { what, scope, message: e.message },
            404 => ApiError::NotFound { what, message: e.message },
            412 => ApiError::Changed { what, message: e.message },
            s => ApiError::Rejected { what, status: s, message: e.message, failures: e.data.unwrap_or_default() },
        }
    }

    /// `GET /acl` as HuJSON, with its ETag.
    pub async fn policy(&self) -> Result<LivePolicy, ApiError> {
        let what = "reading the live policy";
        let url = self.tailnet_url("acl");
        let (status, headers, body) =
            self.send(what, true, |h| h.get(&url).header(header::ACCEPT, "application/hujson")).await?;
        if !status.is_success() {
            return Err(Self::refuse(what, "policy_file:read", status, &body));
        }
        let etag = headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(shuck)
            .ok_or(ApiError::BadResponse { what, detail: "no ETag header".into() })?;
        let text = String::from_utf8(body)
            .map_err(|_| ApiError::BadResponse { what, detail: "the policy is not UTF-8".into() })?;
        Ok(LivePolicy { text, etag })
    }

    /// `POST /acl/validate` with comment-free JSON. The answer is 200 even when tests fail.
    pub async fn validate(&self, json: Vec<u8>) -> Result<Validation, ApiError> {
        let what = "validating the policy";
        let url = self.tailnet_url("acl/validate");
        let (status, _, body) = self
            .send(what, true, |h| h.post(&url).header(header::CONTENT_TYPE, "application/json").body(json.clone()))
            .await?;
        if matches!(status.as_u16(), 401 | 403 | 404) {
            return Err(Self::refuse(what, "policy_file:read", status, &body));
        }
        if !status.is_success() && status.as_u16() != 400 {
            return Err(Self::refuse(what, "policy_file:read", status, &body));
        }
        // Pass is an empty body, `{}`, `null` or an empty message; 200 and 400 read the same.
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Validation::default());
        }
        let e = error_body(&body);
        let failures = e.data.unwrap_or_default();
        let warnings = failures.iter().flat_map(|f| f.warnings.iter().map(|w| format!("{}: {w}", f.user))).collect();
        let error = match e.message.trim() {
            "" | "warning(s) found" | "null" | "{}" => None,
            m => Some(m.to_owned()),
        };
        Ok(Validation { error, failures, warnings })
    }

    /// `POST /acl` with the exact HuJSON and `If-Match: "<etag>"`. Returns the new ETag when
    /// the answer carries one.
    pub async fn set_policy(&self, hujson: &str, etag: &str) -> Result<Option<String>, ApiError> {
        let what = "writing the policy";
        let url = self.tailnet_url("acl");
        let if_match = format!("\"{}\"", shuck(etag));
        let body = hujson.to_owned();
        let (status, headers, resp) = self
            .send(what, true, |h| {
                h.post(&url)
                    .header(header::CONTENT_TYPE, "application/hujson")
                    .header(header::ACCEPT, "application/hujson")
                    .header(header::IF_MATCH, &if_match)
                    .body(body.clone())
            })
            .await?;
        if !status.is_success() {
            return Err(Self::refuse(what, "policy_file", status, &resp));
        }
        Ok(headers.get(header::ETAG).and_then(|v| v.to_str().ok()).map(shuck))
    }

    /// `GET /devices`; any envelope but `{"devices": [...]}` is an error.
    pub async fn devices(&self) -> Result<Vec<Device>, ApiError> {
        let what = "listing devices";
        let url = self.tailnet_url("devices");
        let (status, _, body) = self.send(what, true, |h| h.get(&url)).await?;
        if !status.is_success() {
            return Err(Self::refuse(what, "devices:core:read", status, &body));
        }
        #[derive(Deserialize)]
        struct Envelope {
            devices: Vec<Device>,
        }
        serde_json::from_slice::<Envelope>(&body)
            .map(|e| e.devices)
            .map_err(|e| ApiError::BadResponse { what, detail: format!("expected {{\"devices\": [...]}}: {e}") })
    }

    /// `GET /device/{id}/attributes`.
    pub async fn attributes(&self, node_id: &str) -> Result<Attributes, ApiError> {
        let what = "reading posture attributes";
        let url = self.url(&format!("device/{}/attributes", escape(node_id)));
        let (status, _, body) = self.send(what, true, |h| h.get(&url)).await?;
        if !status.is_success() {
            return Err(Self::refuse(what, "devices:posture_attributes:read", status, &body));
        }
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            attributes: Option<Map<String, Value>>,
            #[serde(default)]
            expiries: Option<Map<String, Value>>,
        }
        let b: Body = serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadResponse { what, detail: format!("attributes body: {e}") })?;
        let expiries = b
            .expiries
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.parse::<Timestamp>().ok()?)))
            .collect();
        Ok(Attributes { values: b.attributes.unwrap_or_default(), expiries })
    }

    /// `POST /device/{id}/attributes/{key}`; the success body (`null`, `{}`, an object) is ignored.
    pub async fn set_attribute(
        &self,
        node_id: &str,
        key: &str,
        value: &Value,
        expiry: Option<Timestamp>,
        comment: &str,
    ) -> Result<(), ApiError> {
        let what = "setting a posture attribute";
        let url = self.url(&format!("device/{}/attributes/{}", escape(node_id), escape(key)));
        let mut body = serde_json::json!({ "value": value, "comment": comment });
        if let Some(e) = expiry {
            body["expiry"] = Value::String(e.to_string());
        }
        let (status, _, resp) = self.send(what, true, |h| h.post(&url).json(&body)).await?;
        if !status.is_success() {
            return Err(Self::refuse(what, "devices:posture_attributes", status, &resp));
        }
        Ok(())
    }

    /// `DELETE /device/{id}/attributes/{key}`; a 404 means it is already gone.
    pub async fn delete_attribute(&self, node_id: &str, key: &str) -> Result<(), ApiError> {
        let what = "removing a posture attribute";
        let url = self.url(&format!("device/{}/attributes/{}", escape(node_id), escape(key)));
        let (status, _, resp) = self.send(what, true, |h| h.request(Method::DELETE, &url)).await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(Self::refuse(what, "devices:posture_attributes", status, &resp))
    }
}

/// An ETag without its one pair of quotes (and without a weak marker).
pub fn shuck(etag: &str) -> String {
    let e = etag.trim();
    let e = e.strip_prefix("W/").unwrap_or(e);
    e.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(e).to_owned()
}

/// Path-escapes one segment the way Go's `url.PathEscape` does (`@` and `:` stay).
fn escape(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@:!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Retry-After` as delta-seconds or an HTTP-date.
pub fn retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let wait = at.duration_since(Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// A transport error without anything that could carry a secret: reqwest's message plus the
/// kind, never the request.
fn transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "connection cut while reading the answer"
    } else {
        "request failed"
    };
    let mut detail = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_lose_exactly_one_pair_of_quotes() {
        assert_eq!(shuck("\"abc\""), "abc");
        assert_eq!(shuck("abc"), "abc");
        assert_eq!(shuck("W/\"abc\""), "abc");
        assert_eq!(shuck("\"\"abc\"\""), "\"abc\"");
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let soon = Timestamp::now() + jiff::SignedDuration::from_secs(30);
        let http_date = jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&soon).unwrap();
        let d = retry_after(&http_date).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30), "{d:?}");
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn segments_escape_like_go() {
        assert_eq!(escape("alice@example.com"), "alice@example.com");
        assert_eq!(escape("custom:prodAccess"), "custom:prodAccess");
        assert_eq!(escape("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn error_bodies_json_or_text() {
        assert_eq!(error_body(br#"{"message":"API token invalid"}"#).message, "API token invalid");
        assert_eq!(error_body(b"METHOD_NOT_ALLOWED").message, "METHOD_NOT_ALLOWED");
        assert_eq!(error_body(b"").message, "(empty body)");
        let e = error_body(br#"{"message":"test(s) failed","data":[{"user":"a@b","errors":["x"]}]}"#);
        assert_eq!(e.data.unwrap()[0].errors, ["x"]);
    }
}
