//! What every API client of tailgrant does to the network the same way: the Tailscale client
//! (`apply`) and the forge clients (`approvals`) both hold credentials, so both trust nothing
//! they receive.
//!
//! - No redirect is followed: every request carries a credential, and a redirect would take it
//!   elsewhere. A 3xx is reported with the host it pointed at, nothing more of it.
//! - Answers are read chunk by chunk and never beyond a cap; a larger answer, or one that
//!   announces a larger `Content-Length`, stops the read.
//! - 429, 5xx and cut connections are retried with jittered exponential backoff, honouring
//!   `Retry-After` (seconds or an HTTP date), within a time budget per request.
//! - Server text is shown redacted and escaped ([`crate::redact::untrusted`]).
//!
//! Each client decides what an answer must look like; this module only fetches it.

use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use jiff::Timestamp;
use reqwest::{StatusCode, header};

use crate::redact;

/// How many characters of an unexpected body an error shows.
const SHOWN_CHARS: usize = 200;
/// How much of a body is looked at to show those characters.
pub(crate) const SHOWN_BYTES: usize = 4096;

/// One answer, its body read in full (within the cap).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// The media type without parameters, lowercased (`application/json`).
    pub(crate) fn media_type(&self) -> Option<String> {
        let v = self.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        Some(v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }

    pub(crate) fn is_json(&self) -> bool {
        self.media_type().is_some_and(|m| m == "application/json" || m.ends_with("+json"))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// A header's value as text, if it has one that is.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `200 text/html (27 bytes; body `<html>…`)`, the body redacted and escaped.
    pub(crate) fn described(&self, show_body: bool) -> String {
        let media = self.media_type().filter(|m| !m.is_empty());
        let media = media.map_or_else(|| "without a content type".to_owned(), |m| redact::untrusted(&m, 80));
        let n = self.body.len();
        let body = if n == 0 {
            String::new()
        } else if !show_body {
            "; body not shown, as it may hold a token".to_owned()
        } else {
            let prefix = String::from_utf8_lossy(&self.body[..n.min(SHOWN_BYTES)]);
            format!("; body `{}`", redact::untrusted(&prefix, SHOWN_CHARS))
        };
        format!("{} {media} ({n} bytes{body})", self.status.as_u16())
    }
}

/// An HTTP client that follows no redirect, with one timeout for connecting and one for the
/// whole exchange (it runs until the body's last byte, so a body that trickles in is cut off).
pub(crate) fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tailgrant/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// One attempt's outcome.
pub(crate) enum Attempt {
    /// An answer that will not get better by retrying.
    Done(Answer),
    /// Worth retrying, after the server's own delay if it gave one.
    Retry { detail: String, after: Option<Duration> },
    /// A redirect, to the host named (never followed).
    Redirected { status: u16, host: String },
    /// The answer is larger than the cap; nothing more was read.
    TooLarge,
}

/// Sends `req` once and reads its answer, never more than `limit` bytes of it. `message` says
/// what an answer worth retrying (429, 5xx) said, in the API's own error format.
pub(crate) async fn attempt(req: reqwest::RequestBuilder, limit: usize, message: fn(&Answer) -> String) -> Attempt {
    let mut resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return Attempt::Retry { detail: transport_error(&e), after: None },
    };
    let status = resp.status();
    if status.is_redirection() {
        return Attempt::Redirected { status: status.as_u16(), host: location_host(resp.url(), resp.headers()) };
    }
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Attempt::TooLarge;
    }
    let headers = resp.headers().clone();
    // Chunk by chunk, so that no more than the cap is ever held.
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() > limit => return Attempt::TooLarge,
            Ok(Some(chunk)) => {
                // Grow by doubling, but never past the cap.
                if body.capacity() < body.len() + chunk.len() {
                    let want = (body.capacity() * 2).max(body.len() + chunk.len()).min(limit);
                    body.reserve_exact(want - body.len());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Attempt::Retry { detail: transport_error(&e), after: None },
        }
    }
    let answer = Answer { status, headers, body };
    if matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504) {
        let after = answer.header(header::RETRY_AFTER.as_str()).and_then(retry_after);
        return Attempt::Retry { detail: format!("{} {}", status.as_u16(), message(&answer)), after };
    }
    Attempt::Done(answer)
}

/// How patient a client is with one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Patience {
    pub(crate) max_retries: usize,
    /// The longest a request may spend retrying, in all.
    pub(crate) budget: Duration,
    pub(crate) min_backoff: Duration,
    pub(crate) max_backoff: Duration,
}

/// Where retries take their time from: the real clock, or (in tests) a virtual one that a
/// sleep advances at once, so that a schedule of minutes is checked in no time.
#[derive(Clone, Default)]
pub(crate) enum Clock {
    #[default]
    Real,
    #[cfg(test)]
    Virtual(std::sync::Arc<std::sync::Mutex<Vec<Duration>>>),
}

impl Clock {
    /// The time since `started`: for a virtual clock, the sleeps so far.
    fn elapsed(&self, started: Instant) -> Duration {
        match self {
            Clock::Real => started.elapsed(),
            #[cfg(test)]
            Clock::Virtual(slept) => slept.lock().map(|s| s.iter().sum()).unwrap_or_default(),
        }
    }

    async fn sleep(&self, d: Duration) {
        match self {
            Clock::Real => tokio::time::sleep(d).await,
            #[cfg(test)]
            Clock::Virtual(slept) => {
                if let Ok(mut s) = slept.lock() {
                    s.push(d);
                }
            }
        }
    }
}

/// The retries of one request: the backoff schedule and what is left of the budget.
pub(crate) struct Retries {
    started: Instant,
    clock: Clock,
    backoff: backon::ExponentialBackoff,
    budget: Duration,
    pub(crate) attempts: usize,
}

impl Retries {
    pub(crate) fn new(p: Patience) -> Retries {
        let backoff = backon::ExponentialBuilder::default()
            .with_min_delay(p.min_backoff)
            .with_max_delay(p.max_backoff)
            .with_max_times(p.max_retries)
            .with_jitter()
            .build();
        Retries { started: Instant::now(), clock: Clock::Real, backoff, budget: p.budget, attempts: 0 }
    }

    #[cfg(test)]
    fn with_clock(p: Patience, clock: Clock) -> Retries {
        Retries { clock, ..Retries::new(p) }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.clock.elapsed(self.started)
    }

    /// Waits before the next attempt after a retryable failure (`after` is the server's own
    /// delay, which wins over the schedule), or gives up: then `Err` with the detail to report.
    pub(crate) async fn wait(&mut self, detail: String, after: Option<Duration>) -> Result<(), String> {
        let delay = self.backoff.next().map(|d| after.unwrap_or(d));
        match delay {
            // Checked: a hostile Retry-After may be near u64::MAX seconds.
            Some(d) if self.elapsed().checked_add(d).is_some_and(|t| t <= self.budget) => {
                self.clock.sleep(d).await;
                Ok(())
            }
            // Only a Retry-After is the server asking; otherwise it is tailgrant's own backoff.
            Some(d) if after.is_some() => {
                Err(format!("{detail} (asked to wait {}, beyond the retry budget)", shown_duration(&d)))
            }
            Some(d) => Err(format!(
                "{detail} (the next try, in {}, would pass the retry budget of {})",
                shown_duration(&d),
                shown_duration(&self.budget)
            )),
            None => Err(detail),
        }
    }
}

/// A duration in an error message, to the millisecond (`1.948s`, not `1.948260069s`).
pub(crate) fn shown_duration(d: &Duration) -> String {
    format!("{:?}", Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
}

/// What to do once the retries of a request to `service` ("the API", "the forge") are spent:
/// when nothing answered at all, the address is the first suspect, not the service's load.
pub(crate) fn after_giving_up(detail: &str, service: &str) -> String {
    if detail.starts_with("cannot connect") {
        "nothing answered at that address: check it, and that it can be reached from here".to_owned()
    } else {
        format!("{service} may be down or rate limiting: re-run later")
    }
}

/// What is wrong with an API address, if anything: it must be an http(s) URL without
/// credentials, query or fragment, and plain http only to loopback (a simulator), since the
/// credentials would otherwise cross the network in the clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    NotHttp,
    Credentials,
    QueryOrFragment,
    PlainHttp,
}

pub(crate) fn url_problem(url: &str) -> Option<UrlProblem> {
    let Ok(parsed) = reqwest::Url::parse(url) else { return Some(UrlProblem::NotHttp) };
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none_or(str::is_empty) {
        Some(UrlProblem::NotHttp)
    } else if !parsed.username().is_empty() || parsed.password().is_some() {
        Some(UrlProblem::Credentials)
    } else if parsed.query().is_some() || parsed.fragment().is_some() {
        Some(UrlProblem::QueryOrFragment)
    } else if parsed.scheme() == "http" && !is_loopback(parsed.host_str().unwrap_or("")) {
        Some(UrlProblem::PlainHttp)
    } else {
        None
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost"),
    }
}

/// An address for an error message: redacted and escaped.
pub(crate) fn shown_url(url: &str) -> String {
    format!("`{}`", redact::untrusted(url, 200))
}

/// Where a redirect pointed: its host (and port), nothing else of it (no path, no query, no
/// user name), since those may carry secrets.
pub(crate) fn location_host(from: &reqwest::Url, headers: &header::HeaderMap) -> String {
    let Some(location) = headers.get(header::LOCATION) else { return "nowhere (no Location header)".into() };
    let Ok(location) = location.to_str() else { return "an unreadable Location".into() };
    match from.join(location.trim()) {
        Ok(u) => match u.host_str() {
            Some(h) => {
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                redact::untrusted(&format!("{h}{port}"), 100)
            }
            None => "a Location without a host".into(),
        },
        Err(_) => "an unparsable Location".into(),
    }
}

/// Path-escapes one segment the way Go's `url.PathEscape` does (`@` and `:` stay).
pub(crate) fn escape(segment: &str) -> String {
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
pub(crate) fn retry_after(v: &str) -> Option<Duration> {
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
    redact::untrusted(&detail, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after("18446744073709551615"),
            Some(Duration::from_secs(u64::MAX)),
            "checked where it is used"
        );
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let soon = Timestamp::now() + jiff::SignedDuration::from_secs(30);
        let http_date = jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&soon).unwrap();
        let d = retry_after(&http_date).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30), "{d:?}");
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn giving_up_says_what_to_do() {
        assert_eq!(shown_duration(&Duration::from_nanos(1_948_260_069)), "1.948s");
        assert_eq!(shown_duration(&Duration::from_secs(3600)), "3600s");
        assert_eq!(shown_duration(&Duration::from_secs(u64::MAX)), format!("{:?}", Duration::from_millis(u64::MAX)));
        let refused = after_giving_up("cannot connect: tcp connect error: Connection refused", "the API");
        assert!(refused.starts_with("nothing answered at that address"), "{refused}");
        assert_eq!(
            after_giving_up("503 unavailable", "the forge"),
            "the forge may be down or rate limiting: re-run later"
        );
    }

    /// The schedule on a virtual clock: the server's delay wins over the backoff, the backoff
    /// grows within its bounds, and the budget counts every wait.
    #[tokio::test]
    async fn retries_wait_as_told_and_stop_at_the_budget() {
        let slept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let patience = Patience {
            max_retries: 10,
            budget: Duration::from_secs(120),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
        };
        let mut r = Retries::with_clock(patience, Clock::Virtual(slept.clone()));
        r.wait("429".into(), Some(Duration::from_secs(30))).await.unwrap();
        assert_eq!(*slept.lock().unwrap(), [Duration::from_secs(30)], "Retry-After is honoured as sent");
        while r.wait("503".into(), None).await.is_ok() {}
        let waits = slept.lock().unwrap().clone();
        // Jitter adds up to the delay again: each backoff lies in [min, 2 × max].
        assert!(
            waits[1..].iter().all(|d| *d >= Duration::from_millis(500) && *d <= Duration::from_secs(40)),
            "{waits:?}"
        );
        assert!(waits.iter().sum::<Duration>() <= Duration::from_secs(120), "within the budget: {waits:?}");
        assert!(waits.len() <= 10, "at most max_retries waits: {waits:?}");
    }

    #[tokio::test]
    async fn only_a_retry_after_is_the_server_asking() {
        let patience = Patience {
            max_retries: 5,
            budget: Duration::from_millis(1),
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(2),
        };
        let ours = Retries::new(patience).wait("cannot connect".into(), None).await.unwrap_err();
        assert!(ours.starts_with("cannot connect (the next try, in "), "{ours}");
        assert!(ours.ends_with(", would pass the retry budget of 1ms)"), "{ours}");
        let theirs = Retries::new(patience).wait("429".into(), Some(Duration::from_secs(60))).await.unwrap_err();
        assert_eq!(theirs, "429 (asked to wait 60s, beyond the retry budget)");
    }

    #[test]
    fn segments_escape_like_go() {
        assert_eq!(escape("alice@example.com"), "alice@example.com");
        assert_eq!(escape("custom:prodAccess"), "custom:prodAccess");
        assert_eq!(escape("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn addresses_are_checked() {
        for ok in ["https://api.github.com", "https://proxy.example/x", "http://127.0.0.1:8088", "http://[::1]:1"] {
            assert_eq!(url_problem(ok), None, "{ok}");
        }
        assert_eq!(url_problem("http://localhost:8088"), None);
        assert_eq!(url_problem("http://api.github.com"), Some(UrlProblem::PlainHttp));
        assert_eq!(url_problem("ftp://x"), Some(UrlProblem::NotHttp));
        assert_eq!(url_problem("api.github.com"), Some(UrlProblem::NotHttp));
        assert_eq!(url_problem("https://x/?a=1"), Some(UrlProblem::QueryOrFragment));
        assert_eq!(url_problem("https://tok:pw@x"), Some(UrlProblem::Credentials));
    }

    #[test]
    fn redirect_locations_show_only_the_host() {
        let from = reqwest::Url::parse("http://127.0.0.1:1234/api/v2/oauth/token").unwrap();
        let mut h = header::HeaderMap::new();
        assert_eq!(location_host(&from, &h), "nowhere (no Location header)");
        h.insert(
            header::LOCATION,
            header::HeaderValue::from_static("https://user:pw@evil.example:8443/x?token=tskey-1"),
        );
        assert_eq!(location_host(&from, &h), "evil.example:8443");
        h.insert(header::LOCATION, header::HeaderValue::from_static("/elsewhere?secret=1"));
        assert_eq!(location_host(&from, &h), "127.0.0.1:1234");
    }
}
