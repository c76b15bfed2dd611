//! The HTML pages opened in headless Chromium (Debian's `chromium`, which `.ci/run`
//! installs): the rendered DOM has the grant bars with the right labels, the script ran (the
//! seal is shown), hostile strings from grant files and commits stay text, and a screenshot
//! lands in the test output (`target/tmp/audit-screenshot.png`; with `TAILGRANT_UPDATE=1`
//! also `docs/audit.png`, the README's picture).
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::audit::{commit, grant_file, history};
use crate::support::TestRepo;

const AT: &str = "--at=2026-11-01T00:00:00Z";

/// The browser, or `None` outside CI when it cannot be had. In CI its absence fails.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the page tests: .ci/run installs Debian's chromium (apt-get install chromium)"
        );
        eprintln!("SKIPPED: no chromium on PATH; install Debian's `chromium` to run the page tests");
    }
    found
}

/// Runs Chromium headless on `page` with `args`, closed network and a fresh profile, and
/// returns its standard output. Killed after a minute.
fn browse(browser: &Path, page: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        // Nothing inherited: a browser left behind must not read or write the test's streams.
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("chromium did not finish in a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// The opening tag of the element with `marker` in it, and the text right after it.
fn element_text<'d>(dom: &'d str, marker: &str) -> Vec<(&'d str, &'d str)> {
    dom.match_indices(marker)
        .filter_map(|(i, _)| {
            let open = dom[..i].rfind('<')?;
            let close = i + dom[i..].find('>')?;
            let text_end = close + 1 + dom[close + 1..].find('<')?;
            Some((&dom[open..=close], &dom[close + 1..text_end]))
        })
        .collect()
}

#[test]
fn the_audit_page_has_a_bar_per_grant_and_destination() {
    let Some(browser) = chromium() else { return };
    let r = history();
    let run = r.run(&["audit", AT, "--format", "html", "-o", "audit.html"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let page = r.path("audit.html");
    assert_eq!(tailgrant::report::audit::verify(&std::fs::read(&page).unwrap()), Some(true));
    let dom = browse(&browser, &page, &["--dump-dom"]);
    let bars = element_text(&dom, "class=\"bar ");
    let labelled: Vec<(String, &str)> = bars
        .iter()
        .filter(|(tag, _)| tag.starts_with("<div"))
        .map(|(tag, text)| (tag.split('"').nth(1).unwrap().to_owned(), *text))
        .collect();
    assert_eq!(
        labelled,
        [
            ("bar expired-present".to_owned(), "frank@example.com"),
            ("bar late".to_owned(), "alice@example.com"),
            ("bar expired-present".to_owned(), "erin@example.com"),
            ("bar early".to_owned(), "dave@example.com"),
        ],
        "lanes in order: group:dba, tag:prod-db (alice, erin), tag:web"
    );
    let lanes: Vec<&str> = element_text(&dom, "class=\"lane-name\"").into_iter().map(|(_, t)| t).collect();
    assert_eq!(lanes, ["group:dba", "tag:prod-db", "tag:web"]);
    assert!(dom.contains("title=\"policies/grants/alice-prod-db.hujson — alice@example.com — approved by bob@example.com, carol@example.com"), "approvers on hover");
    assert_eq!(dom.matches("class=\"today\"").count(), 3, "today marked in every lane");
    assert_eq!(dom.matches("class=\"removed\"").count(), 2, "alice's and dave's removals");
    assert_eq!(dom.matches("class=\"overstay\"").count(), 1, "alice stayed after expiry");
    let seal = element_text(&dom, "id=\"seal\"");
    assert!(seal[0].1.starts_with("sha256: "), "the script showed the seal: {seal:?}");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("audit-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    browse(&browser, &page, &[&format!("--screenshot={}", shot.display()), "--window-size=1400,900"]);
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot");
    if std::env::var_os("TAILGRANT_UPDATE").is_some() {
        std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/audit.png"), &png).unwrap();
    }
}

/// Strings an attacker controls: file content, file names and commit messages.
const HOSTILE: [&str; 4] = [
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\" onmouseover=\"alert(1)\" x=\"",
    "admin\u{202e}moc.elpmaxe@eve",
];

#[test]
fn hostile_strings_stay_text_in_both_pages() {
    let Some(browser) = chromium() else { return };
    let r = TestRepo::new();
    let body = format!(
        "\"grants\": [{{\"src\": [\"alice@example.com\"], \"dst\": [{}], \"ip\": [\"tcp:5432\"]}}],",
        serde_json::to_string(HOSTILE[0]).unwrap()
    );
    let j = |s: &str| serde_json::to_string(s).unwrap();
    let file = grant_file(
        HOSTILE[0],
        &format!("{}, {}", j(HOSTILE[2]), j(HOSTILE[3])),
        HOSTILE[1],
        "2026-10-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
        &body,
    );
    // `check` refuses such a file name (TG010), but history holds what was committed.
    r.write("policies/grants/<img src=x onerror=alert(1)>.hujson", &file);
    r.write("policies/grants/hostile.hujson", &file);
    commit(r.dir.path(), "2026-10-01T00:00:00Z", "Mallory", "<svg onload=alert(1)> (#1)");
    for (args, out) in [
        (vec!["audit", AT, "--format", "html", "-o", "page.html"], "page.html"),
        (vec!["access", "--at=2026-10-15T00:00:00Z", "--format", "html", "-o", "access.html"], "access.html"),
    ] {
        let run = r.run(&args);
        assert_eq!(run.code, 0, "{}", run.transcript());
        let dom = browse(&browser, &r.path(out), &["--dump-dom"]);
        let elements = elements(&dom);
        for (name, attrs) in &elements {
            assert!(ELEMENTS.contains(&name.as_str()), "{out}: an injected <{name}> in the DOM:\n{dom}");
            for a in attrs {
                assert!(ATTRIBUTES.contains(&a.as_str()), "{out}: an injected attribute {a} on <{name}>:\n{dom}");
            }
        }
        assert_eq!(elements.iter().filter(|(n, _)| n == "script").count(), 1, "only the page's own script");
        assert!(dom.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), "{out} shows it as text:\n{dom}");
        assert!(dom.contains("\\u{202E}"), "{out}: the bidi override is made visible");
        assert!(element_text(&dom, "class=\"bar ").iter().any(|(_, t)| t.contains("&lt;/script&gt;")), "{out}: a bar");
    }
}

/// The elements and attributes the pages are made of: anything else in the DOM was injected.
const ELEMENTS: [&str; 25] = [
    "script", "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "div", "span", "i", "input", "select",
    "option", "table", "tbody", "tr", "th", "td", "code", "ul", "li", "footer",
];
const ATTRIBUTES: [&str; 16] = [
    "lang",
    "charset",
    "http-equiv",
    "content",
    "name",
    "class",
    "style",
    "title",
    "data-search",
    "data-status",
    "data-file",
    "id",
    "type",
    "placeholder",
    "aria-label",
    "value",
];

/// Every element of a serialized DOM, with its attribute names. In Chromium's serialization
/// `<` is escaped in text and `"` in attribute values, so outside `<script>` and `<style>`
/// every `<` opens a tag and every `"` after `=` delimits a value.
fn elements(dom: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let mut r = &rest[name.len()..];
        let mut attrs = Vec::new();
        loop {
            r = r.trim_start();
            if let Some(after) = r.strip_prefix('>') {
                r = after;
                break;
            }
            let attr: String = r.chars().take_while(|c| !c.is_whitespace() && *c != '=' && *c != '>').collect();
            assert!(!attr.is_empty(), "cannot read the tag at {:?}", &r[..r.len().min(80)]);
            r = &r[attr.len()..];
            if let Some(v) = r.strip_prefix("=\"") {
                let end = v.find('"').expect("a closed attribute value");
                r = &v[end + 1..];
            }
            attrs.push(attr.to_ascii_lowercase());
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}>");
            r = &r[r.find(&close).expect("a closed raw-text element")..];
        }
        out.push((name.to_ascii_lowercase(), attrs));
        rest = r;
    }
    out
}
