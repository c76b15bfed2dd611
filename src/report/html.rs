//! Self-contained HTML pages: the audit (`audit --format html`) and the current access
//! (`access --format html`). One file, no network: inline CSS, one inline script for the
//! filters (allowed by its hash in the page's Content-Security-Policy, so no other script can
//! run), no fonts or images. A timeline per destination, bars from `notBefore` to `expires`,
//! today and each removal marked; approvers on hover and in the table. Prints to PDF.
//!
//! Every string from a grant file or a commit is hostile. Pages are built as a tree of
//! [`Node`]s whose tag and attribute names are constants of this module; text and attribute
//! values are escaped when the tree is written (after [`one_line`] has made control, bidi and
//! invisible characters visible), so no string can open an element or an attribute.

use jiff::Timestamp;

use crate::audit::{Audit, GrantLife, RemovalStatus};
use crate::evaluate::access::{Access, AccessEntry};
use crate::model::text::one_line;

/// A piece of a page.
pub(crate) enum Node {
    Element {
        tag: &'static str,
        attrs: Vec<(&'static str, String)>,
        children: Vec<Node>,
    },
    Text(String),
    /// Markup written by this module (the style sheet, the script): never data.
    Trusted(&'static str),
}

/// `<tag>` with these attributes and children.
pub(crate) fn el(tag: &'static str, attrs: Vec<(&'static str, String)>, children: Vec<Node>) -> Node {
    Node::Element { tag, attrs, children }
}

pub(crate) fn text(s: impl Into<String>) -> Node {
    Node::Text(s.into())
}

/// Text for HTML text and attribute values alike: deceptive characters made visible, then
/// `& < > " '` as entities.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const VOID: [&str; 4] = ["meta", "input", "br", "col"];

impl Node {
    fn write(&self, out: &mut String) {
        match self {
            Node::Text(s) => out.push_str(&escape(s)),
            Node::Trusted(s) => out.push_str(s),
            Node::Element { tag, attrs, children } => {
                out.push('<');
                out.push_str(tag);
                for (name, value) in attrs {
                    out.push_str(&format!(" {name}=\"{}\"", escape(value)));
                }
                out.push('>');
                if VOID.contains(tag) {
                    return;
                }
                for c in children {
                    c.write(out);
                }
                out.push_str(&format!("</{tag}>"));
                if matches!(*tag, "div" | "section" | "tr" | "table" | "head" | "body" | "ul" | "li" | "p") {
                    out.push('\n');
                }
            }
        }
    }
}

fn a(name: &'static str, value: impl Into<String>) -> (&'static str, String) {
    (name, value.into())
}

const STYLE: &str = r#"
:root{--fg:#1d2430;--muted:#5b6575;--line:#d5dae2;--bg:#fff;--present:#2f6fdb;--early:#2a9d5c;--late:#d14343;--expired:#b7791f;--permanent:#6b5bd6}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:24px auto;max-width:1200px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.scope,.summary{color:var(--muted);margin:2px 0}
.filters{display:flex;gap:12px;align-items:center;margin:16px 0;padding:10px;border:1px solid var(--line);border-radius:6px;background:#f7f9fc}
.filters input{flex:1;padding:6px 8px;border:1px solid var(--line);border-radius:4px;font:inherit}
.filters select{padding:6px;font:inherit}
.legend span{display:inline-block;margin-right:12px;color:var(--muted);font-size:12px}
.legend i{position:static;display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.lane{display:grid;grid-template-columns:200px 1fr;gap:8px;align-items:start;margin:6px 0;break-inside:avoid}
.lane-name{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;padding-top:3px;overflow-wrap:anywhere}
.track{position:relative;border-left:1px solid var(--line);border-right:1px solid var(--line);background:repeating-linear-gradient(90deg,transparent 0 calc(25% - 1px),#eef1f5 calc(25% - 1px) 25%)}
.row{position:relative;height:22px;margin:3px 0}
.overstay{position:absolute;top:5px;height:12px;background:repeating-linear-gradient(45deg,var(--late) 0 3px,transparent 3px 6px);opacity:.7;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.bar{position:absolute;top:0;height:22px;border-radius:4px;color:#fff;font-size:12px;line-height:22px;padding:0 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-width:6px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.bar.present{background:var(--present)}.bar.early{background:var(--early)}.bar.late{background:var(--late)}.bar.expired-present{background:var(--expired)}.bar.permanent{background:var(--permanent)}
.removed{position:absolute;top:-2px;bottom:-2px;width:3px;margin-left:-1px;background:#111;border-radius:1px}
.today{position:absolute;top:0;bottom:0;width:2px;background:#e5484d;z-index:2}
.axis{display:grid;grid-template-columns:200px 1fr;gap:8px;color:var(--muted);font-size:11px}
.ticks{position:relative;height:16px}.ticks span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.ticks span:first-child{transform:none}.ticks span:last-child{transform:translateX(-100%)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f2f4f8;font-weight:600}
#grants td:first-child{min-width:200px}
td code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.status{font-weight:600}.status.late{color:var(--late)}.status.early{color:var(--early)}.status.expired-present{color:var(--expired)}
ul.history{margin:0;padding-left:16px;color:var(--muted);font-size:12px}
.problem{color:var(--late)}
footer{margin-top:24px;color:var(--muted);font-size:12px;overflow-wrap:anywhere}
[hidden]{display:none!important}
@media print{
body{margin:0;max-width:none;font-size:10pt}.filters{display:none}
h2{break-after:avoid}tr,.lane{break-inside:avoid}
.today,.removed,.legend i{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{color:inherit;text-decoration:none}
@page{size:A4 landscape;margin:12mm}
}
"#;

/// The filters: a text search and a status, over every element with `data-search`; and the
/// seal, which follows `</html>` as a comment, shown in the footer once the page is parsed.
const SCRIPT: &str = r#"(function(){
var q=document.getElementById('q'),s=document.getElementById('status');
function apply(){
var t=q.value.toLowerCase(),st=s.value;
document.querySelectorAll('[data-search]').forEach(function(e){
var ok=(!t||e.getAttribute('data-search').indexOf(t)>=0)&&(!st||e.getAttribute('data-status')===st);
e.hidden=!ok;});
document.querySelectorAll('.lane').forEach(function(l){l.hidden=!l.querySelector('.row:not([hidden])');});
}
q.addEventListener('input',apply);s.addEventListener('change',apply);
document.addEventListener('DOMContentLoaded',function(){
var c=document.lastChild,f=document.getElementById('seal');
if(f&&c&&c.nodeType===8){f.textContent=c.data.trim();}
});
})();"#;

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Only this module's script may run, and nothing may be loaded from anywhere.
fn content_security_policy() -> String {
    use sha2::{Digest, Sha256};
    let hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'"
    )
}

/// One bar of a timeline.
pub(crate) struct Bar {
    /// The destination whose lane it is in.
    pub(crate) lane: String,
    pub(crate) label: String,
    /// Shown on hover: file, requester, approvers, window.
    pub(crate) title: String,
    pub(crate) start: Timestamp,
    /// None: open (to the end of the axis).
    pub(crate) end: Option<Timestamp>,
    pub(crate) removed: Option<Timestamp>,
    /// A CSS class and the status filter's value.
    pub(crate) status: &'static str,
    pub(crate) search: String,
    pub(crate) file: String,
}

fn timeline(bars: &[Bar], now: Timestamp, since: Option<Timestamp>, until: Option<Timestamp>) -> Vec<Node> {
    if bars.is_empty() {
        return vec![el("p", vec![a("class", "summary")], vec![text("Nothing to show.")])];
    }
    let starts = bars.iter().map(|b| b.start).chain(since);
    let from = starts.min().unwrap_or(now);
    let ends = bars.iter().flat_map(|b| [b.end, b.removed]).flatten().chain([now]).chain(until);
    let mut to = ends.max().unwrap_or(now);
    if to <= from {
        to = from + jiff::SignedDuration::from_hours(24);
    }
    let span = to.duration_since(from).as_secs_f64();
    let pct = |t: Timestamp| (t.duration_since(from).as_secs_f64() / span * 100.0).clamp(0.0, 100.0);
    let mut lanes: Vec<(&str, Vec<&Bar>)> = Vec::new();
    for b in bars {
        match lanes.iter_mut().find(|(l, _)| *l == b.lane) {
            Some((_, v)) => v.push(b),
            None => lanes.push((&b.lane, vec![b])),
        }
    }
    lanes.sort_by(|x, y| x.0.cmp(y.0));
    let mut out = Vec::new();
    let ticks: Vec<Node> = (0..=4)
        .map(|i| {
            let t = from + jiff::SignedDuration::from_secs_f64(span * f64::from(i) / 4.0);
            el("span", vec![a("style", format!("left:{}%", i * 25))], vec![text(t.strftime("%Y-%m-%d").to_string())])
        })
        .collect();
    out.push(el(
        "div",
        vec![a("class", "axis")],
        vec![el("div", vec![], vec![]), el("div", vec![a("class", "ticks")], ticks)],
    ));
    for (lane, bars) in lanes {
        let mut track = vec![el(
            "div",
            vec![a("class", "today"), a("style", format!("left:{:.3}%", pct(now))), a("title", format!("now: {now}"))],
            vec![],
        )];
        for b in bars {
            let left = pct(b.start);
            let right = b.end.map_or(100.0, pct);
            let mut parts = vec![el(
                "div",
                vec![
                    a("class", format!("bar {}", b.status)),
                    a("style", format!("left:{left:.3}%;width:{:.3}%", (right - left).max(0.4))),
                    a("title", b.title.clone()),
                ],
                vec![text(&b.label)],
            )];
            if let Some(r) = b.removed {
                let at = pct(r);
                if at > right {
                    // Still in the repository after it expired: the overstay, hatched.
                    parts.push(el(
                        "div",
                        vec![
                            a("class", "overstay"),
                            a("style", format!("left:{right:.3}%;width:{:.3}%", at - right)),
                            a("title", format!("in the repository after it expired, until {r}")),
                        ],
                        vec![],
                    ));
                }
                parts.push(el(
                    "span",
                    vec![
                        a("class", "removed"),
                        a("style", format!("left:{at:.3}%")),
                        a("title", format!("removed {r}")),
                    ],
                    vec![],
                ));
            }
            track.push(el(
                "div",
                vec![
                    a("class", "row"),
                    a("data-search", b.search.to_lowercase()),
                    a("data-status", b.status),
                    a("data-file", b.file.clone()),
                ],
                parts,
            ));
        }
        out.push(el(
            "div",
            vec![a("class", "lane")],
            vec![
                el("div", vec![a("class", "lane-name")], vec![text(lane)]),
                el("div", vec![a("class", "track")], track),
            ],
        ));
    }
    out
}

fn legend(items: &[(&'static str, &'static str)]) -> Node {
    let spans = items
        .iter()
        .map(|(class, label)| {
            el("span", vec![], vec![el("i", vec![a("class", format!("bar {class}"))], vec![]), text(*label)])
        })
        .collect();
    el("p", vec![a("class", "legend")], spans)
}

fn filters(statuses: &[(&'static str, &'static str)]) -> Node {
    let mut options = vec![el("option", vec![a("value", "")], vec![text("every status")])];
    options.extend(statuses.iter().map(|(v, l)| el("option", vec![a("value", *v)], vec![text(*l)])));
    el(
        "div",
        vec![a("class", "filters")],
        vec![
            el(
                "input",
                vec![
                    a("id", "q"),
                    a("type", "search"),
                    a("placeholder", "Filter by file, person, destination or reason"),
                    a("aria-label", "filter"),
                ],
                vec![],
            ),
            el("select", vec![a("id", "status"), a("aria-label", "status")], options),
        ],
    )
}

fn page(title: &str, body: Vec<Node>) -> String {
    let head = el(
        "head",
        vec![],
        vec![
            el("meta", vec![a("charset", "utf-8")], vec![]),
            el(
                "meta",
                vec![a("http-equiv", "Content-Security-Policy"), a("content", content_security_policy())],
                vec![],
            ),
            el("meta", vec![a("name", "viewport"), a("content", "width=device-width, initial-scale=1")], vec![]),
            el("title", vec![], vec![text(title)]),
            el("style", vec![], vec![Node::Trusted(STYLE)]),
        ],
    );
    let mut body = body;
    body.push(el("script", vec![], vec![Node::Trusted(SCRIPT)]));
    let html = el("html", vec![a("lang", "en")], vec![head, el("body", vec![], body)]);
    let mut out = String::from("<!DOCTYPE html>\n");
    html.write(&mut out);
    out.push('\n');
    out
}

fn cell(children: Vec<Node>) -> Node {
    el("td", vec![], children)
}

fn row_of(texts: &[&str], header: bool) -> Node {
    let tag = if header { "th" } else { "td" };
    el("tr", vec![], texts.iter().map(|t| el(tag, vec![], vec![text(*t)])).collect())
}

fn status_of(g: &GrantLife) -> &'static str {
    match g.removal.status {
        RemovalStatus::Present => "present",
        RemovalStatus::PresentExpired => "expired-present",
        RemovalStatus::BeforeExpiry => "early",
        RemovalStatus::AfterExpiry => "late",
        RemovalStatus::Permanent | RemovalStatus::Unknown => "permanent",
    }
}

const AUDIT_STATUSES: [(&str, &str); 5] = [
    ("present", "present"),
    ("expired-present", "present past expiry"),
    ("early", "removed before expiry"),
    ("late", "removed after expiry"),
    ("permanent", "permanent, removed"),
];

/// The audit page, sealed like the other formats (the seal is a comment after `</html>`).
pub fn audit(a_: &Audit) -> String {
    use super::audit::{events, removal_text, scope, summary_text, window};
    let au = a_;
    let mut bars = Vec::new();
    for g in &au.grants {
        let start = g.not_before.unwrap_or(g.added.date);
        let end = g.expires.or(g.removed.as_ref().map(|r| r.commit.date));
        let title = format!(
            "{} — {} — approved by {} — {}",
            g.path,
            g.requester.as_deref().unwrap_or("no requester"),
            if g.approvers.is_empty() { "nobody".to_owned() } else { g.approvers.join(", ") },
            window(g)
        );
        let lanes =
            if g.destinations.is_empty() { vec!["(no destination)".to_owned()] } else { g.destinations.clone() };
        for lane in lanes {
            bars.push(Bar {
                lane,
                label: g.requester.clone().unwrap_or_else(|| g.path.clone()),
                title: title.clone(),
                start,
                end,
                removed: g.removed.as_ref().map(|r| r.commit.date),
                status: status_of(g),
                search: search_text(g),
                file: g.path.clone(),
            });
        }
    }
    let header = ["file", "requester", "opens", "approved by", "why", "window (UTC)", "history", "removal"];
    let mut rows = vec![row_of(&header, true)];
    for g in &au.grants {
        let history: Vec<Node> = events(g)
            .into_iter()
            .map(|(what, c)| {
                let pr = c.pull_request.as_deref().map(|p| format!(" {p}")).unwrap_or_default();
                let line = format!(
                    "{what} {} {} by {} <{}>{pr}",
                    c.date.strftime("%Y-%m-%d %H:%M"),
                    c.sha.get(..7).unwrap_or(&c.sha),
                    c.author,
                    c.author_email
                );
                el("li", vec![a("title", format!("{} — {}", c.sha, c.subject))], vec![text(line)])
            })
            .chain(g.problems.iter().map(|p| {
                el(
                    "li",
                    vec![a("class", "problem")],
                    vec![text(format!("does not parse at {}: {}", p.sha.get(..7).unwrap_or(&p.sha), p.message))],
                )
            }))
            .collect();
        rows.push(el(
            "tr",
            vec![a("data-search", search_text(g).to_lowercase()), a("data-status", status_of(g))],
            vec![
                cell(vec![el("code", vec![], vec![text(&g.path)])]),
                cell(vec![text(g.requester.as_deref().unwrap_or("—"))]),
                cell(vec![el("span", vec![a("class", "mono")], vec![text(g.destinations.join(", "))])]),
                cell(vec![text(if g.approvers.is_empty() { "—".to_owned() } else { g.approvers.join(", ") })]),
                cell(vec![text(g.description.as_deref().unwrap_or("—"))]),
                cell(vec![text(window(g))]),
                cell(vec![el("ul", vec![a("class", "history")], history)]),
                cell(vec![el(
                    "span",
                    vec![a("class", format!("status {}", status_of(g)))],
                    vec![text(removal_text(g))],
                )]),
            ],
        ));
    }
    let revisions = format!(
        "Revisions {}..{} ({} commits touching the policies directory); made at {}",
        au.revisions.first.as_deref().unwrap_or("none"),
        au.revisions.head,
        au.revisions.commits,
        au.at
    );
    let body = vec![
        el("h1", vec![], vec![text("Access audit")]),
        el("p", vec![a("class", "scope")], vec![text(scope(au))]),
        el("p", vec![a("class", "summary")], vec![text(summary_text(au))]),
        filters(&AUDIT_STATUSES),
        el("h2", vec![], vec![text("Timeline by destination")]),
        legend(&AUDIT_STATUSES),
        el("div", vec![a("id", "timeline")], timeline(&bars, au.at, au.period.since, Some(au.period.until))),
        el("h2", vec![], vec![text("Grant files")]),
        el("table", vec![a("id", "grants")], rows),
        el(
            "footer",
            vec![],
            vec![
                el("p", vec![], vec![text(revisions)]),
                el(
                    "p",
                    vec![],
                    vec![
                        text(
                            "Seal (SHA-256 of this file above its last line; check with head -n -1 FILE | sha256sum): ",
                        ),
                        el("span", vec![a("id", "seal"), a("class", "mono")], vec![text("see the file's last line")]),
                    ],
                ),
            ],
        ),
    ];
    super::audit::seal(page("Access audit", body), |h| format!("<!-- sha256: {h} -->"))
}

fn search_text(g: &GrantLife) -> String {
    format!(
        "{} {} {} {} {}",
        g.path,
        g.requester.as_deref().unwrap_or(""),
        g.approvers.join(" "),
        g.destinations.join(" "),
        g.description.as_deref().unwrap_or("")
    )
}

const ACCESS_STATUSES: [(&str, &str); 2] = [("present", "active"), ("permanent", "pending")];

/// The destination of an `access` line (`alice → tag:prod-db tcp:5432`, `bob joins group:x`).
fn access_lane(line: &str) -> String {
    if let Some((_, group)) = line.rsplit_once(" joins ") {
        return group.trim().to_owned();
    }
    let after = line.rsplit_once(" → ").map_or(line, |(_, d)| d).trim();
    let ssh = after.strip_prefix("ssh ");
    let first = ssh.unwrap_or(after).split([' ', ',']).next().unwrap_or(after);
    if ssh.is_some() { format!("ssh {first}") } else { first.to_owned() }
}

/// The `access` page: who holds what now, and what is pending.
pub fn access(acc: &Access) -> String {
    let mut bars = Vec::new();
    let entries = acc.active.iter().map(|e| (e, "present")).chain(acc.pending.iter().map(|e| (e, "permanent")));
    for (e, status) in entries.clone() {
        let title = access_title(e);
        let mut lanes: Vec<String> = e.grants.iter().map(|g| access_lane(g)).collect();
        lanes.dedup();
        if lanes.is_empty() {
            lanes.push("(no destination)".to_owned());
        }
        for lane in lanes {
            bars.push(Bar {
                lane,
                label: e.requester.clone().unwrap_or_else(|| e.file.clone()),
                title: title.clone(),
                start: e.since.unwrap_or(acc.at),
                end: e.until,
                removed: None,
                status,
                search: format!("{title} {}", e.grants.join(" ")),
                file: e.file.clone(),
            });
        }
    }
    let header = ["who", "what", "approved by", "why", "since (UTC)", "until (UTC)", "status"];
    let mut rows = vec![row_of(&header, true)];
    let when =
        |t: Option<Timestamp>, none: &str| t.map_or(none.to_owned(), |t| t.strftime("%Y-%m-%d %H:%M").to_string());
    for (e, status) in entries {
        let search = format!("{} {}", access_title(e), e.grants.join(" ")).to_lowercase();
        rows.push(el(
            "tr",
            vec![a("data-search", search), a("data-status", status)],
            vec![
                cell(vec![text(e.requester.as_deref().unwrap_or("—"))]),
                cell(vec![el("span", vec![a("class", "mono")], vec![text(e.grants.join("; "))])]),
                cell(vec![text(if e.approvers.is_empty() { "—".to_owned() } else { e.approvers.join(", ") })]),
                cell(vec![text(e.description.as_deref().unwrap_or("—"))]),
                cell(vec![text(when(e.since, "—"))]),
                cell(vec![text(when(e.until, "never"))]),
                cell(vec![text(if status == "present" { "active" } else { "pending" })]),
            ],
        ));
    }
    let body = vec![
        el("h1", vec![], vec![text("Access")]),
        el(
            "p",
            vec![a("class", "scope")],
            vec![text(format!("At {}: {} active, {} pending", acc.at, acc.active.len(), acc.pending.len()))],
        ),
        filters(&ACCESS_STATUSES),
        el("h2", vec![], vec![text("Timeline by destination")]),
        legend(&ACCESS_STATUSES),
        el("div", vec![a("id", "timeline")], timeline(&bars, acc.at, None, None)),
        el("h2", vec![], vec![text("Time-bounded access")]),
        el("table", vec![a("id", "grants")], rows),
    ];
    page("Access", body)
}

fn access_title(e: &AccessEntry) -> String {
    format!(
        "{} — {} — approved by {}",
        e.file,
        e.requester.as_deref().unwrap_or("no requester"),
        if e.approvers.is_empty() { "nobody".to_owned() } else { e.approvers.join(", ") }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        let node = el(
            "p",
            vec![a("title", "\" onmouseover=\"alert(1)")],
            vec![text("</p><script>alert(1)</script><img src=x onerror=alert(1)> \u{202e}evil")],
        );
        let mut out = String::new();
        node.write(&mut out);
        assert_eq!(
            out,
            "<p title=\"&quot; onmouseover=&quot;alert(1)\">&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; \\u{202E}evil</p>\n"
        );
    }

    #[test]
    fn base64_and_csp() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert!(content_security_policy().contains("script-src 'sha256-"));
    }

    #[test]
    fn access_lanes() {
        assert_eq!(access_lane("alice@example.com → tag:prod-db tcp:5432"), "tag:prod-db");
        assert_eq!(access_lane("a → tag:a, tag:b"), "tag:a");
        assert_eq!(access_lane("a → ssh tag:web as root"), "ssh tag:web");
        assert_eq!(access_lane("bob joins group:oncall"), "group:oncall");
    }
}
