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
    pub fragments: FragmentCounts,
    pub tests: TestCounts,
    /// The policy rendered at the instant checked, when asked for (`check_and_render`) and
    /// the base loaded.
    pub rendered: Option<Rendered>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct FragmentCounts {
    pub active: usize,
    pub expired: usize,
    pub pending: usize,
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

    // Rendering, the rules and the tests are independent: run them side by side.
    let (merged, tests) = std::thread::scope(|scope| {
        let merged = scope.spawn(move || {
            if render {
                merge::render(repo, at).map(|r| (r.findings.clone(), Some(r)))
            } else {
                merge::findings(repo, at).map(|f| (f, None))
            }
        });
        let tests = scope.spawn(|| {
            // Tests run against the policy in force: the base and the active fragments.
            let active = View::active(repo, at);
            let compiled = evaluate::Compiled::new(&active);
            let mut found = Vec::new();
            let counts = evaluate::run::run(&active, &compiled, &mut found);
            evaluate::run::time_bombs(repo, at, &mut found);
            (TestCounts { passed: counts.passed, failed: counts.failed, inconclusive: counts.inconclusive }, found)
        });
        let view = View::build(repo, at);
        check::repository(repo, &view, at, &mut findings);
        let (tests, found) = rejoin(tests);
        findings.extend(found);
        (rejoin(merged), tests)
    });
    let rendered = merged.and_then(|(merge_findings, rendered)| {
        findings.extend(merge_findings);
        rendered
    });
    finding::sort(&mut findings);
    findings.dedup();
    Report { findings, fragments, tests, rendered }
}

/// A thread's result; a panic there is re-raised here rather than losing its findings.
fn rejoin<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}
