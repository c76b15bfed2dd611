//! The README's samples are what a newcomer gets: run in order, in one copy of the example
//! repository (a git repository, as a clone is), each ```console block must print exactly what
//! it shows, and each ```sh block's tailgrant commands must succeed. The simulator
//! walkthrough runs against the in-process simulator: `http://127.0.0.1:8088` in the README
//! stands for its address. The `approvals` sample needs a pull request and a forge, so
//! `tests/approvals` runs it.
use crate::common::readme::{Block, blocks, matches, readme, run_merged, words};
use crate::support::TestRepo;

/// The address the README's simulator walkthrough uses.
const README_SIM: &str = "http://127.0.0.1:8088";

fn git(r: &TestRepo, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=Alice", "-c", "user.email=alice@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(r.dir.path())
        .env("GIT_AUTHOR_DATE", "2026-11-20T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-20T10:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The tailgrant arguments of a README command line: `tailgrant ARGS`, or `cargo run
/// [--release] -- ARGS` as the set-up section writes it. `None` for other programs.
fn tailgrant_args(command: &str) -> Option<Vec<String>> {
    let w = words(command);
    match w.first().map(String::as_str) {
        Some("tailgrant") => Some(w[1..].to_vec()),
        Some("cargo") if w.get(1).is_some_and(|c| c == "run") && !w.iter().any(|a| a == "-p") => {
            let at = w.iter().position(|a| a == "--")?;
            Some(w[at + 1..].to_vec())
        }
        _ => None,
    }
}

#[test]
fn readme_samples_print_what_they_show() {
    let text = readme();
    let all = blocks(&text);
    assert!(all.iter().filter(|b| b.console).count() >= 6, "the README's console samples were not found");
    let r = TestRepo::example();
    git(&r, &["init", "-q", "-b", "main"]);
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "-m", "Example repository"]);
    let mut failures = Vec::new();
    for block in &all {
        if block.steps.first().is_some_and(|s| s.command.starts_with("tailgrant approvals")) {
            continue;
        }
        run_block(&r, block, &mut failures);
    }
    assert!(failures.is_empty(), "README samples differ from what the commands print:\n\n{}", failures.join("\n\n"));
}

fn run_block(r: &TestRepo, block: &Block, failures: &mut Vec<String>) {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut sim: Option<tailscale_sim::Simulator> = None;
    for step in &block.steps {
        if let Some(vars) = step.command.strip_prefix("export ") {
            for (k, v) in words(vars).iter().filter_map(|kv| kv.split_once('=')) {
                let v = if k == "TS_API_URL" && v == README_SIM {
                    let s = sim.get_or_insert_with(|| {
                        tailscale_sim::Simulator::start(tailscale_sim::Setup::default()).expect("simulator starts")
                    });
                    s.url.clone()
                } else {
                    v.to_owned()
                };
                env.push((k.to_owned(), v));
            }
            continue;
        }
        // The renewal sample names the file the narrative's request wrote, which the example
        // does not hold (tests/approvals/request.rs runs request, renew and remind).
        if !block.console && step.command.starts_with("tailgrant renew ") {
            continue;
        }
        let Some(args) = tailgrant_args(&step.command) else {
            assert!(
                !block.console,
                "README line {}: the console sample runs `{}`, which this test cannot run",
                block.line, step.command
            );
            continue;
        };
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tailgrant"));
        cmd.current_dir(r.dir.path()).env("NO_COLOR", "1").env_remove("TAILGRANT_DIR");
        for v in ["TS_API_KEY", "TS_OAUTH_ID", "TS_OAUTH_SECRET", "TS_ID_TOKEN", "TS_TAILNET", "TS_API_URL"] {
            cmd.env_remove(v);
        }
        cmd.args(&args).envs(env.iter().map(|(k, v)| (k, v)));
        let (code, mut out) = run_merged(&mut cmd);
        if let Some(s) = &sim {
            out = out.replace(&s.url, README_SIM);
        }
        let printed_ok = !block.console || matches(&step.expected, &out);
        if code != step.exit || !printed_ok {
            failures.push(format!(
                "README line {}: `{}`\nexit {code} (the README says {})\n--- the README shows\n{}--- it prints\n{out}",
                block.line, step.command, step.exit, step.expected
            ));
        }
    }
}

/// The samples without `--at` (the simulator walkthrough: `apply` always renders at now) print
/// the same on any day only while every grant window in the example lies in the past: then the
/// policy at now is the policy at any later instant. A grant added to the example that ends in
/// the future breaks the README on the day it ends; this says so first.
#[test]
fn the_example_is_settled_so_samples_at_now_hold_on_any_later_day() {
    let r = TestRepo::example();
    let far = "--at=2100-01-01T00:00:00Z";
    assert_eq!(
        r.run(&["render"]).stdout,
        r.run(&["render", far]).stdout,
        "the policy at now is not the policy for good"
    );
    let now = r.run(&["check", "-q"]);
    assert_eq!(now.code, 0, "{}", now.transcript());
    assert_eq!(now.stdout, r.run(&["check", "-q", far]).stdout);
    assert!(now.stdout.contains("0 pending"), "{}", now.stdout);
}
