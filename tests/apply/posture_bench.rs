//! Posture mode at scale (`cargo test --release --test apply posture_bench -- --ignored
//! --nocapture`): 2,000 devices and 500 active grant files in the simulator. A no-change apply
//! makes a constant number of requests; a full reconcile reads each device once, at most
//! `READ_CONCURRENCY` at a time, through 429s. The figures go to stderr.

use std::collections::HashMap;
use std::time::Instant;

use tailgrant::apply::gates::READ_CONCURRENCY;
use tailscale_sim::{Fault, FaultKind, Route, Setup, fleet};

use crate::support::*;

const USERS: u32 = 999;
const GRANTS: u32 = 500;

fn summary(reqs: &[String]) -> String {
    let mut by: HashMap<String, usize> = HashMap::new();
    for r in reqs {
        let kind = match r.split('/').nth(3) {
            Some("device") => format!("{} /device/*/attributes", r.split(' ').next().unwrap_or("")),
            _ => r.clone(),
        };
        *by.entry(kind).or_default() += 1;
    }
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort();
    v.iter().map(|(k, n)| format!("{n} × {k}")).collect::<Vec<_>>().join(", ")
}

#[test]
#[ignore = "a benchmark: run it with --ignored --nocapture"]
fn posture_mode_at_two_thousand_devices_and_five_hundred_grants() {
    // 999 people with 2 devices each, and 2 tagged database servers: 2,000 devices.
    let devices = fleet(USERS, 2, 2, &["tag:prod-db"]);
    assert_eq!(devices.len(), 2000);
    let env = Env::with(Setup { devices, ..Setup::default() });
    env.write("policies/tailgrant.hujson", "{\"enforceExpiry\": \"posture\"}\n");
    for i in 0..GRANTS {
        let body =
            format!(r#""grants": [{{"src": ["user{i}@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}}],"#);
        let file = grant(&body)
            .replace("\"requester\":   \"alice@example.com\"", &format!("\"requester\":   \"user{i}@example.com\""));
        env.write(&format!("policies/grants/g{i:03}.hujson"), &file);
    }
    let timed = |args: &[&str]| {
        let before = env.sim.requests().len();
        let t = Instant::now();
        let r = env.run(args);
        let took = t.elapsed();
        assert_eq!(r.code, 0, "{}", r.transcript());
        let reqs = env.sim.requests()[before..].to_vec();
        (reqs, took)
    };

    // First apply: every device read once, one batch per grant file.
    let (reqs, took) = timed(&["apply", "--force"]);
    eprintln!("first apply: {} requests in {took:.2?}: {}", reqs.len(), summary(&reqs));
    let attrs = env.sim.all_attributes();
    assert_eq!(attrs.keys().filter(|(_, k)| k.starts_with("custom:tg_")).count(), (GRANTS * 2) as usize);

    // No change: the live policy's record says nothing changed: constant requests.
    let (reqs, took) = timed(&["apply"]);
    eprintln!("no-change apply: {} requests in {took:.2?}: {}", reqs.len(), summary(&reqs));
    assert_eq!(reqs.len(), 2, "{reqs:?}");

    // A full reconcile, with every read slowed a little (so reads overlap as they would over
    // a network) and 429s (Retry-After: 1) on 16 of them.
    env.sim.inject(Fault::times(Route::GetAttributes, 16, FaultKind::rate_limited("1")));
    env.sim.inject(Fault::times(Route::GetAttributes, 5000, FaultKind::Delay(std::time::Duration::from_millis(2))));
    let answered = env.sim.answers().len();
    let (reqs, took) = timed(&["apply", "--reconcile"]);
    eprintln!(
        "reconcile: {} requests in {took:.2?}, at most {} at once: {}",
        reqs.len(),
        env.sim.max_in_flight(),
        summary(&reqs)
    );
    let answers = &env.sim.answers()[answered..];
    let mut ok_reads: HashMap<&str, usize> = HashMap::new();
    for a in answers.iter().filter(|a| a.starts_with("GET /api/v2/device/") && a.ends_with(" 200")) {
        *ok_reads.entry(a.as_str()).or_default() += 1;
    }
    assert_eq!(ok_reads.len(), 2000, "every device read");
    assert!(ok_reads.values().all(|&n| n == 1), "and each once");
    assert_eq!(answers.iter().filter(|a| a.ends_with(" 429")).count(), 16, "the 429s were met, and retried");
    assert!(env.sim.max_in_flight() <= READ_CONCURRENCY + 1, "bounded: {}", env.sim.max_in_flight());
    assert!(
        !reqs.iter().any(|r| r.starts_with("PATCH") || r.starts_with("POST")),
        "nothing to change: {}",
        summary(&reqs)
    );
}
