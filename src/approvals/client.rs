//! The forge API client: GET requests with a token, the shared hardening of [`crate::http`]
//! (no redirects, a size cap, retries within a budget, server text redacted and escaped), JSON
//! answers validated before anything in them is believed, and pagination that follows `Link:
//! rel="next"` only to the API's own address, since the token goes with every page.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::http::{self, Answer, Attempt, Retries, UrlProblem, shown_url};
use crate::model::people::Forge;
use crate::redact;

/// How the client treats the network.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub request_timeout: Duration,
    pub retry_budget: Duration,
    pub min_backoff: Duration,
    pub max_response_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            request_timeout: Duration::from_secs(30),
            retry_budget: Duration::from_secs(120),
            min_backoff: Duration::from_millis(500),
            max_response_bytes: 16 << 20,
        }
    }
}

/// The most pages read of one list: 10 000 reviews or commits at 100 a page. A longer list is
/// an error rather than a partial answer.
const MAX_PAGES: usize = 100;

/// What went wrong talking to the forge, worded to say what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForgeError {
    #[error("{what}: 401 {message}: {token} is missing, invalid or expired")]
    Unauthorized { what: &'static str, token: &'static str, message: String },
    #[error("{what}: 403 {message}: {token} lacks the permission {permission}")]
    Forbidden { what: &'static str, token: &'static str, permission: &'static str, message: String },
    #[error("{what}: 404 {message}: {hint}")]
    NotFound { what: &'static str, message: String, hint: &'static str },
    #[error("{what}: {status} {message}")]
    Rejected { what: &'static str, status: u16, message: String },
    #[error(
        "{what}: {detail}; gave up after {attempts} attempts in {}; {}", crate::http::shown_duration(.elapsed), crate::http::after_giving_up(.detail, "the forge")
    )]
    Unavailable { what: &'static str, detail: String, attempts: usize, elapsed: Duration },
    #[error("{what}: unexpected answer: {detail}")]
    BadResponse { what: &'static str, detail: String },
    #[error(
        "{what}: the forge answered {status}, a redirect to {host}; tailgrant follows no redirect, since it would carry the token there"
    )]
    Redirected { what: &'static str, status: u16, host: String },
    #[error(
        "{what}: the answer is larger than {limit} bytes; stopped reading (raise --max-response-size if this is real)"
    )]
    TooLarge { what: &'static str, limit: usize },
    #[error(
        "{what}: the next page is at {host}, not at the API's own address; it was not requested, since the token would go there"
    )]
    ForeignPage { what: &'static str, host: String },
    #[error("{what}: more than {MAX_PAGES} pages; refusing to judge a partial list")]
    TooManyPages { what: &'static str },
    #[error("invalid API address {url}: {why}")]
    BadUrl { url: String, why: String },
}

pub(crate) struct Client {
    http: reqwest::Client,
    forge: Forge,
    base: reqwest::Url,
    token: String,
    opts: Options,
}

impl Client {
    /// A client for the API at `base` (`GITHUB_API_URL`, `CI_API_V4_URL`), with `token`, which
    /// is registered with [`redact`] at once.
    pub(crate) fn new(forge: Forge, base: &str, token: &str, opts: Options) -> Result<Client, ForgeError> {
        redact::register(token);
        let base = base.trim().trim_end_matches('/');
        let var = match forge {
            Forge::GitHub => "GITHUB_API_URL",
            Forge::GitLab => "CI_API_V4_URL",
        };
        let why = match http::url_problem(base) {
            None => None,
            Some(UrlProblem::NotHttp) => Some(format!("{var} must be an http(s) URL")),
            Some(UrlProblem::Credentials) => Some(format!("{var} must not hold a user name or password")),
            Some(UrlProblem::QueryOrFragment) => Some(format!("{var} must not hold a query or a fragment")),
            Some(UrlProblem::PlainHttp) => Some(format!(
                "{var}: plain http reaches only loopback (a local simulator): the token would cross the network unencrypted"
            )),
        };
        let bad = |why: String| ForgeError::BadUrl { url: shown_url(base), why };
        if let Some(why) = why {
            return Err(bad(why));
        }
        let parsed =
            reqwest::Url::parse(&format!("{base}/")).map_err(|_| bad(format!("{var} must be an http(s) URL")))?;
        let http = http::client(opts.request_timeout).map_err(|_| bad("cannot build an HTTP client for it".into()))?;
        Ok(Client { http, forge, base: parsed, token: token.to_owned(), opts })
    }

    fn token_name(&self) -> &'static str {
        match self.forge {
            Forge::GitHub => "GITHUB_TOKEN",
            Forge::GitLab => "GITLAB_TOKEN",
        }
    }

    /// The address of `path` (relative, without a leading `/`) under the API.
    fn url(&self, path: &str) -> Result<reqwest::Url, ForgeError> {
        self.base.join(path).map_err(|_| ForgeError::BadUrl { url: shown_url(path), why: "not a path".into() })
    }

    /// One GET, retried as [`crate::http`] retries.
    async fn get(&self, what: &'static str, url: &reqwest::Url) -> Result<Answer, ForgeError> {
        self.send(what, reqwest::Method::GET, url, None).await
    }

    /// A write: `body` sent with `method` to `path`, answered 200 or 201 with a JSON value,
    /// decoded as `T`. Retried like a read on 429, 5xx and cut connections: the writes made
    /// (a pull request, a review request, a comment, an issue) are either idempotent or
    /// looked for before they are made again. `permission` is what the token needs, for a 403.
    pub(crate) async fn write<T: DeserializeOwned>(
        &self,
        what: &'static str,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
        permission: &'static str,
    ) -> Result<T, ForgeError> {
        let a = self.send(what, method, &self.url(path)?, Some(body)).await?;
        if a.status.as_u16() != 201 {
            self.refuse_as(what, &a, permission)?;
        }
        decode(what, &a, "a JSON object")
    }

    async fn send(
        &self,
        what: &'static str,
        method: reqwest::Method,
        url: &reqwest::Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ForgeError> {
        let mut retries = Retries::new(http::Patience {
            max_retries: 6,
            budget: self.opts.retry_budget,
            min_backoff: self.opts.min_backoff,
            max_backoff: Duration::from_secs(20),
        });
        let limit = self.opts.max_response_bytes;
        loop {
            retries.attempts += 1;
            let mut req = self.http.request(method.clone(), url.clone()).header(header::ACCEPT, self.accept());
            if let Some(body) = body {
                req = req.json(body);
            }
            let req = match self.forge {
                Forge::GitHub => req.bearer_auth(&self.token).header("X-GitHub-Api-Version", "2022-11-28"),
                Forge::GitLab => req.header("PRIVATE-TOKEN", &self.token),
            };
            match http::attempt(req, limit, message).await {
                // GitHub's secondary rate limit is a 403 with no requests left: wait like a 429.
                Attempt::Done(a)
                    if a.status == StatusCode::FORBIDDEN && a.header("x-ratelimit-remaining") == Some("0") =>
                {
                    let after = a.header("retry-after").and_then(http::retry_after);
                    if let Err(detail) = retries.wait(format!("403 {} (rate limited)", message(&a)), after).await {
                        return Err(self.unavailable(what, detail, &retries));
                    }
                }
                Attempt::Done(a) => return Ok(a),
                Attempt::Redirected { status, host } => return Err(ForgeError::Redirected { what, status, host }),
                Attempt::TooLarge => return Err(ForgeError::TooLarge { what, limit }),
                Attempt::Retry { detail, after } => {
                    if let Err(detail) = retries.wait(detail, after).await {
                        return Err(self.unavailable(what, detail, &retries));
                    }
                }
            }
        }
    }

    fn unavailable(&self, what: &'static str, detail: String, r: &Retries) -> ForgeError {
        ForgeError::Unavailable { what, detail, attempts: r.attempts, elapsed: r.elapsed() }
    }

    fn accept(&self) -> &'static str {
        match self.forge {
            Forge::GitHub => "application/vnd.github+json",
            Forge::GitLab => "application/json",
        }
    }

    /// A JSON object or value at `path`, decoded as `T` after the status and content type are
    /// checked.
    pub(crate) async fn object<T: DeserializeOwned>(&self, what: &'static str, path: &str) -> Result<T, ForgeError> {
        let a = self.get(what, &self.url(path)?).await?;
        self.refuse(what, &a)?;
        decode(what, &a, "a JSON object")
    }

    /// Every item of the list at `path`, page after page.
    pub(crate) async fn list<T: DeserializeOwned>(&self, what: &'static str, path: &str) -> Result<Vec<T>, ForgeError> {
        let mut url = self.url(path)?;
        url.query_pairs_mut().append_pair("per_page", "100");
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let a = self.get(what, &url).await?;
            self.refuse(what, &a)?;
            let page: Vec<T> = decode(what, &a, "a JSON array")?;
            items.extend(page);
            match next_page(&a) {
                None => return Ok(items),
                Some(next) => url = self.same_origin(what, &next)?,
            }
        }
        Err(ForgeError::TooManyPages { what })
    }

    /// The next page's address, if it is under the API's own address; anything else is refused
    /// without being requested.
    fn same_origin(&self, what: &'static str, next: &str) -> Result<reqwest::Url, ForgeError> {
        let host = |u: &reqwest::Url| {
            let port = u.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
            redact::untrusted(&format!("{}://{}{port}", u.scheme(), u.host_str().unwrap_or("")), 100)
        };
        let url = self.base.join(next.trim()).map_err(|_| ForgeError::BadResponse {
            what,
            detail: format!("the next page's address `{}` does not parse", redact::untrusted(next, 100)),
        })?;
        let same = url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
            && url.path().starts_with(self.base.path())
            && url.username().is_empty()
            && url.password().is_none();
        if same { Ok(url) } else { Err(ForgeError::ForeignPage { what, host: host(&url) }) }
    }

    /// An error for any answer but 200, worded with the permission the token needs to read.
    fn refuse(&self, what: &'static str, a: &Answer) -> Result<(), ForgeError> {
        let permission = match self.forge {
            Forge::GitHub => {
                "`pull-requests: read` (give the job `permissions: {contents: read, pull-requests: read}`; a fine-grained token needs \"Pull requests\" read access)"
            }
            Forge::GitLab => {
                "`read_api` (a project access token with the read_api scope and at least the Reporter role)"
            }
        };
        self.refuse_as(what, a, permission)
    }

    /// An error for any answer but 200, naming `permission` for a 403.
    fn refuse_as(&self, what: &'static str, a: &Answer, permission: &'static str) -> Result<(), ForgeError> {
        let token = self.token_name();
        let message = message(a);
        let (_, hint) = match self.forge {
            Forge::GitHub => (
                "`pull-requests: read` (give the job `permissions: {contents: read, pull-requests: read}`; a fine-grained token needs \"Pull requests\" read access)",
                "check GITHUB_REPOSITORY and the pull request number; a token of another repository sees nothing here",
            ),
            Forge::GitLab => (
                "`read_api` (a project access token with the read_api scope and at least the Reporter role)",
                "check CI_PROJECT_ID and CI_MERGE_REQUEST_IID; the token's project must be this one",
            ),
        };
        match a.status.as_u16() {
            200 => Ok(()),
            401 => Err(ForgeError::Unauthorized { what, token, message }),
            403 => Err(ForgeError::Forbidden { what, token, permission, message }),
            404 => Err(ForgeError::NotFound { what, message, hint }),
            s if s >= 400 => Err(ForgeError::Rejected { what, status: s, message }),
            _ => Err(ForgeError::BadResponse { what, detail: format!("expected 200, got {}", a.described(true)) }),
        }
    }
}

/// The forges' error bodies: GitHub's `{"message"}`, GitLab's `{"message"}` or
/// `{"error", "error_description"}`; anything else as (escaped, redacted) text.
fn message(a: &Answer) -> String {
    let v: Option<serde_json::Value> = serde_json::from_slice(&a.body).ok();
    let pick =
        |k: &str| v.as_ref().and_then(|v| v.get(k)).and_then(|m| m.as_str()).map(str::trim).filter(|m| !m.is_empty());
    // GitHub's 422 says what failed in `errors[].message`.
    let details: Vec<&str> = v
        .as_ref()
        .and_then(|v| v.get("errors"))
        .and_then(|e| e.as_array())
        .map(|e| e.iter().filter_map(|x| x.get("message").and_then(|m| m.as_str())).collect())
        .unwrap_or_default();
    let text = match (pick("message"), pick("error"), pick("error_description")) {
        (Some(m), _, _) if !details.is_empty() => format!("{m}: {}", details.join("; ")),
        (Some(m), _, _) => m.to_owned(),
        (None, Some(e), Some(d)) => format!("{e}: {d}"),
        (None, Some(e), None) => e.to_owned(),
        _ => {
            let t = String::from_utf8_lossy(&a.body[..a.body.len().min(http::SHOWN_BYTES)]).trim().to_owned();
            if t.is_empty() { "(empty body)".to_owned() } else { t }
        }
    };
    redact::untrusted(&text, 300)
}

fn decode<T: DeserializeOwned>(what: &'static str, a: &Answer, expected: &str) -> Result<T, ForgeError> {
    let bad = |why: String| ForgeError::BadResponse {
        what,
        detail: format!("expected 200 with {expected}, got {}{why}", a.described(true)),
    };
    if !a.is_json() {
        return Err(bad(String::new()));
    }
    serde_json::from_slice(&a.body)
        .map_err(|e| bad(format!(", which does not decode: {}", redact::untrusted(&e.to_string(), 300))))
}

/// The `rel="next"` address of a `Link` header (RFC 8288), as both forges paginate.
fn next_page(a: &Answer) -> Option<String> {
    let link = a.header("link")?;
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "rel=\"next\"" || p == "rel=next" || p.starts_with("rel=\"next ") || p.contains(" next\"")
        });
        is_next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(headers: &[(&'static str, &str)], body: &str) -> Answer {
        let mut h = header::HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, header::HeaderValue::from_str(v).unwrap());
        }
        Answer { status: StatusCode::OK, headers: h, body: body.as_bytes().to_vec() }
    }

    #[test]
    fn link_headers() {
        let a = answer(
            &[(
                "link",
                "<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\"",
            )],
            "",
        );
        assert_eq!(next_page(&a).as_deref(), Some("https://api.github.com/x?page=2"));
        let a = answer(&[("link", "<https://api.github.com/x?page=1>; rel=\"prev\"")], "");
        assert_eq!(next_page(&a), None);
        assert_eq!(next_page(&answer(&[], "")), None);
    }

    #[test]
    fn next_pages_stay_at_the_api() {
        let c =
            Client::new(Forge::GitHub, "https://api.github.com", "ghs_unitTokenForLinks", Options::default()).unwrap();
        assert!(c.same_origin("w", "https://api.github.com/repos/a/b/pulls/1/reviews?page=2").is_ok());
        for bad in [
            "https://evil.example/repos?page=2",
            "http://api.github.com/x",
            "https://api.github.com:8443/x",
            "https://u:p@api.github.com/x",
        ] {
            let e = c.same_origin("w", bad).unwrap_err().to_string();
            assert!(e.contains("not at the API's own address"), "{bad}: {e}");
            assert!(!e.contains("u:p"), "{e}");
        }
        let c =
            Client::new(Forge::GitLab, "https://gitlab.example/api/v4", "glpat-unitToken", Options::default()).unwrap();
        assert!(c.same_origin("w", "https://gitlab.example/api/v4/projects/1/merge_requests/2/commits?page=2").is_ok());
        assert!(c.same_origin("w", "https://gitlab.example/other/x").is_err());
    }

    #[test]
    fn error_bodies_and_addresses() {
        let a = answer(&[], r#"{"error":"insufficient_scope","error_description":"needs more"}"#);
        assert_eq!(message(&a), "insufficient_scope: needs more");
        let a = answer(&[], r#"{"message":"Bad credentials ghs_unitTokenForLinks\u001b[2J"}"#);
        let _c =
            Client::new(Forge::GitHub, "https://api.github.com", "ghs_unitTokenForLinks", Options::default()).unwrap();
        assert_eq!(message(&a), "Bad credentials [redacted]\\u{001B}[2J");
        let e = Client::new(Forge::GitHub, "http://api.github.com", "ghs_unitTokenForLinks", Options::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("plain http reaches only loopback"), "{e}");
    }
}
