//! The pipeline: loading has produced a [`Repository`]; this runs the stages over it at an
//! instant (the rules and guardrails in [`check`], the render in [`merge`], the policy's tests
//! in [`evaluate`]) and gathers what they found into one [`Report`]. It is the only module that
//! knows all three stages, so none of them imports another.

use jiff::Timestamp;
use serde::Serialize;

use crate::check;
use crate::evaluate;
use crate::finding::{self, Code, Finding};
use crate::load::Repository;
use crate::load::view::View;
use crate::merge::{self, Rendered};
use crate::model::Status;

/// What `check` found.
#[derive(Debug)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub(crate) fragments: FragmentCounts,
    pub tests: TestCounts,
    /// Each test entry run, in order (what `tests` counts).
    pub(crate) test_results: Vec<evaluate::run::TestResult>,
    /// The policy rendered at the instant checked, when asked for (`check_and_render`) and
    /// the base loaded.
    pub rendered: Option<Rendered>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub(crate) struct FragmentCounts {
    pub(crate) active: usize,
    pub(crate) expired: usize,
    pub(crate) pending: usize,
}

/// Test results, per test entry (a `tests` or `sshTests` item).
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct TestCounts {
    pub passed: usize,
    pub failed: usize,
    /// Tests that cannot be decided offline (they hinge on which device has an address).
    pub inconclusive: usize,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// True when some input could not be read at all (exit code 2 rather than 1).
    pub fn has_unreadable_input(&self) -> bool {
        self.findings.iter().any(|f| f.code == Code::Unreadable)
    }
}

/// Checks the repository as it stands at `at`. The merge runs for its findings only; nothing
/// is rendered.
pub fn check(repo: &Repository, at: Timestamp) -> Report {
    run(repo, at, false)
}

/// Checks the repository and renders the policy at `at` (side by side), as `render` and
/// `apply` need both.
pub fn check_and_render(repo: &Repository, at: Timestamp) -> Report {
    run(repo, at, true)
}

fn run(repo: &Repository, at: Timestamp, render: bool) -> Report {
    let mut findings = repo.findings.clone();
    let mut fragments = FragmentCounts::default();
    for f in &repo.fragments {
        match f.fragment.status(at) {
            Status::Active => fragments.active += 1,
            Status::Expired => fragments.expired += 1,
            Status::Pending => fragments.pending += 1,
        }
        check::fragment(f, at, &repo.config, &mut findings);
    }

    // What the rules check, and what the tests that may break later are judged against:
    // built once, for both threads.
    let view = View::build(repo, at);
    // Rendering, the rules and the tests are independent: run them side by side.
    let (merged, (tests, test_results)) = std::thread::scope(|scope| {
        let merged = scope.spawn(move || {
            if render {
                merge::render(repo, at).map(|r| (r.findings.clone(), Some(r)))
            } else {
                merge::findings(repo, at).map(|f| (f, None))
            }
        });
        let union = &view;
        let tests = scope.spawn(move || {
            let mut found = Vec::new();
            let (counts, results) = {
                // Tests run against the policy in force: the base and the active fragments.
                // Dropped before the next pass, which compiles a policy of its own.
                let active = View::active(repo, at);
                let compiled = evaluate::Compiled::new(&active);
                evaluate::run::run(&active, &compiled, &mut found)
            };
            evaluate::run::time_bombs(repo, union, at, &mut found);
            let counts = TestCounts { passed: counts.passed, failed: counts.failed, inconclusive: counts.inconclusive };
            ((counts, results), found)
        });
        check::repository(repo, &view, at, &mut findings);
        let ((tests, test_results), found) = rejoin(tests);
        findings.extend(found);
        (rejoin(merged), (tests, test_results))
    });
    let rendered = merged.and_then(|(merge_findings, rendered)| {
        findings.extend(merge_findings);
        rendered
    });
    finding::sort(&mut findings);
    findings.dedup();
    Report { findings, fragments, tests, test_results, rendered }
}

/// A thread's result; a panic there is re-raised here rather than losing its findings.
fn rejoin<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Where a grant file drafted at `rel` (relative to the policies directory) is written: with
/// `tailnets`, a path where it lands in the tailnet `repo` was loaded for and in no other, so
/// that a request for staging never reaches prod (`Err` says why there is none).
pub fn place_new_file(repo: &Repository, rel: &str) -> Result<String, String> {
    let Some(tailnet) = repo.tailnet.as_deref() else { return Ok(rel.to_owned()) };
    repo.landing.place(tailnet, rel).ok_or_else(|| {
        format!(
            "no path of tailnet {tailnet}'s `fragments` globs names a directory where a grant file lands in {tailnet} alone; add one such as \"grants/{tailnet}/*.hujson\" to its `fragments` in tailgrant.hujson"
        )
    })
}

/// A grant file about to be written, judged before it is: the repository is checked at `at`
/// with the file in it, at the first free path of `rel` (`x.hujson`, `x-2.hujson`, …). Gives
/// the path chosen (relative to the policies directory) and the errors that concern the file;
/// the file stays in `repo`, so that [`Repository::source`] quotes it. `Err` when the text is
/// not a grant file at all (tailgrant wrote it, so that is a bug), with why.
pub fn check_new_file(
    repo: &mut Repository,
    rel: &str,
    text: &str,
    at: Timestamp,
) -> Result<(String, Vec<Finding>), String> {
    let mut chosen = rel.to_owned();
    let mut n = 2;
    while repo.dir.join(&chosen).exists() || repo.fragments.iter().any(|f| f.doc.file.rel == chosen) {
        chosen = rel.replace(".hujson", &format!("-{n}.hujson"));
        n += 1;
    }
    // A free path that lands elsewhere than the one asked for would change the grant's reach.
    if repo.landing.lands(&chosen) != repo.landing.lands(rel) {
        return Err(format!("{chosen} would land in other tailnets than {rel}; remove or rename what is at {rel}"));
    }
    let display = crate::load::display_path(&repo.dir, &chosen);
    let file = crate::load::read_source(display.clone(), chosen.clone(), text.as_bytes().to_vec())
        .map_err(|(f, _)| f.message)?;
    let doc = crate::load::parse_document(file).map_err(|(f, _)| f.message)?;
    let mut decoded = Vec::new();
    let fragment =
        crate::model::decode::decode::<crate::model::FragmentSchema>(&doc, crate::model::shape::FRAGMENT, &mut decoded)
            .ok_or_else(|| decoded.first().map_or("invalid grant".to_owned(), |f| f.message.clone()))?;
    repo.fragments.push(crate::load::FragmentFile { doc, fragment: fragment.into() });
    let report = check(repo, at);
    let mine = report
        .findings
        .into_iter()
        .filter(|f| f.is_error() && (f.location.file == display || f.related.iter().any(|(l, _)| l.file == display)))
        .collect();
    Ok((chosen, mine))
}
