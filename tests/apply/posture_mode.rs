//! `"enforceExpiry": "posture"` end to end: the real binary against the simulator, whose own
//! judge (sim/src/judge.rs, sharing nothing with tailgrant) says who may reach what, with the
//! attributes it holds at its own clock.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use serde_json::json;
use tailgrant::model::expiry::Gate;
use tailscale_sim::{Fault, FaultKind, Route, Setup, device};

use crate::support::*;

const POSTURE: &str = "{\n\t\"enforceExpiry\": \"posture\",\n}\n";
const ALICE_LAPTOP: &str = "n2SIMCNTRL";
const ALICE_PHONE: &str = "n5SIMCNTRL";
const BOB_LAPTOP: &str = "n3SIMCNTRL";
const CAROL_LAPTOP: &str = "n4SIMCNTRL";

/// The demo tailnet plus alice's phone and a tagged web server: several users, several tags.
fn setup() -> Setup {
    let mut s = Setup::default();
    s.devices.push(device(5, "alice-phone", "alice@example.com", &[]));
    s.devices.push(device(6, "web-1", "ci@example.com", &["tag:web"]));
    s
}

fn alice_grant() -> String {
    grant(
        r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],
	"tests": [{"src": "alice@example.com", "accept": ["tag:prod-db:5432"]}],"#,
    )
}

fn key() -> String {
    Gate::for_path("grants/alice.hujson").key()
}

/// A tailnet in posture mode with alice's grant applied.
fn applied() -> Env {
    let env = Env::with(setup());
    env.write("policies/tailgrant.hujson", POSTURE);
    env.write("policies/grants/alice.hujson", &alice_grant());
    let r = env.run(&["apply", "--force"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    env
}

/// Every `custom:tg_*` attribute in the tailnet, as (node, key).
fn gate_attributes(env: &Env) -> BTreeSet<(String, String)> {
    env.sim.all_attributes().into_keys().filter(|(_, k)| k.starts_with("custom:tg_")).collect()
}

fn expires(env: &Env) -> jiff::Timestamp {
    tailgrant::load::Repository::load(&env.path("policies")).unwrap().fragments[0].fragment.expires.unwrap()
}

#[test]
fn an_active_grant_puts_the_attribute_on_both_of_its_users_devices_and_nowhere_else() {
    let env = applied();
    let want: BTreeSet<(String, String)> = [(ALICE_LAPTOP.to_owned(), key()), (ALICE_PHONE.to_owned(), key())].into();
    assert_eq!(gate_attributes(&env), want);
    for node in [ALICE_LAPTOP, ALICE_PHONE] {
        let a = &env.sim.attributes(node)[&key()];
        assert_eq!(a.value, json!(true));
        assert_eq!(a.expiry, Some(expires(&env)), "the attribute expires with its grant file");
    }
    assert_eq!(first_set_comment(&env).as_deref(), Some(ALICE_GRANT_COMMENT));
    // Policy first, then the attributes, in one batch.
    let reqs = env.sim.requests();
    let post = reqs.iter().position(|r| r.starts_with("POST") && r.ends_with("/acl")).unwrap();
    let patch = reqs.iter().position(|r| r.starts_with("PATCH") && r.ends_with("/device-attributes")).unwrap();
    assert!(post < patch, "{reqs:?}");
    assert_eq!(reqs.iter().filter(|r| r.starts_with("POST /api/v2/device/")).count(), 0, "no per-device writes");
    // The simulator's own judge: alice's devices reach the database, carol's do not.
    assert_eq!(env.sim.allows(ALICE_LAPTOP, "tag:prod-db", 5432), Some(true));
    assert_eq!(env.sim.allows(ALICE_PHONE, "tag:prod-db", 5432), Some(true));
    assert_eq!(env.sim.allows(CAROL_LAPTOP, "tag:prod-db", 5432), Some(false));
    // The live policy records what was set, above its hash.
    assert!(env.sim.policy().0.contains("// tailgrant-applied: "), "{}", env.sim.policy().0);
}

#[test]
fn the_control_plane_ends_the_access_at_expiry_with_no_apply() {
    let env = applied();
    let requests = env.sim.request_count();
    env.sim.advance_clock(SignedDuration::from_hours(47));
    assert_eq!(env.sim.allows(ALICE_LAPTOP, "tag:prod-db", 5432), Some(true), "an hour before expiry");
    env.sim.advance_clock(SignedDuration::from_hours(2));
    assert_eq!(env.sim.allows(ALICE_LAPTOP, "tag:prod-db", 5432), Some(false), "the attribute expired");
    assert_eq!(env.sim.allows(ALICE_PHONE, "tag:prod-db", 5432), Some(false));
    assert!(gate_attributes(&env).is_empty());
    assert_eq!(env.sim.request_count(), requests, "no apply ran");
    // The gated rule is still in the live policy, and matches no device: status is in sync.
    let at = format!("--at={}", hours(49));
    let r = env.run(&["status", &at]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.contains("ended by the control plane; its rules match no device"), "{}", r.stdout);
    // Someone puts the attribute back by hand, with no expiry: the access is live again, and
    // status says so, with the device.
    env.sim.set_attribute(ALICE_LAPTOP, &key(), json!(true), None);
    assert_eq!(env.sim.allows(ALICE_LAPTOP, "tag:prod-db", 5432), Some(true));
    let r = env.run(&["status", &at]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("grants/alice.hujson: LIVE PAST ITS EXPIRY"), "{}", r.stdout);
    assert!(r.stdout.contains("1h 0m ago"), "{}", r.stdout);
    assert!(r.stdout.contains("still on alice-laptop.tail1234.ts.net"), "{}", r.stdout);
}

#[test]
fn a_deleted_grant_file_loses_its_attribute_before_the_policy_changes() {
    let env = applied();
    let before = env.sim.requests().len();
    env.remove("policies/grants/alice.hujson");
    let r = env.run(&["apply"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(gate_attributes(&env).is_empty());
    assert!(r.stdout.contains("remove custom:tg_"), "{}", r.stdout);
    assert!(r.stdout.contains("grants/alice.hujson ended"), "{}", r.stdout);
    let reqs = &env.sim.requests()[before..];
    let patch = reqs.iter().position(|r| r.starts_with("PATCH")).unwrap();
    let post = reqs.iter().position(|r| r.starts_with("POST") && r.ends_with("/acl")).unwrap();
    assert!(patch < post, "attributes first on removal: {reqs:?}");
    assert_eq!(env.sim.allows(ALICE_LAPTOP, "tag:prod-db", 5432), Some(false));
}

#[test]
fn a_device_that_joins_gets_the_attribute_at_the_next_apply() {
    let env = applied();
    env.sim.add_device(device(7, "alice-tablet", "alice@example.com", &[]));
    assert_eq!(env.sim.allows("n7SIMCNTRL", "tag:prod-db", 5432), Some(false), "fail closed until apply runs");
    let audit = env.sim.audit().len();
    let r = env.run(&["apply"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(env.sim.attributes("n7SIMCNTRL").contains_key(&key()));
    let new: Vec<_> = env.sim.audit()[audit..].iter().filter(|e| e.action == "posture.set").cloned().collect();
    assert_eq!(new.len(), 1, "only the new device is written: {new:?}");
    assert_eq!(new[0].target, format!("n7SIMCNTRL/{}", key()));
    assert_eq!(env.sim.allows("n7SIMCNTRL", "tag:prod-db", 5432), Some(true));
}

#[test]
fn applying_again_sends_nothing_and_reads_three_things() {
    let env = applied();
    let before = env.sim.requests().len();
    let r = env.run(&["apply"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.contains("policy: unchanged"), "{}", r.stdout);
    assert!(r.stdout.contains("posture mode: unchanged since the last apply"), "{}", r.stdout);
    let reqs = &env.sim.requests()[before..];
    assert_eq!(
        reqs,
        ["GET /api/v2/tailnet/-/acl", "GET /api/v2/tailnet/-/devices", "GET /api/v2/tailnet/-/users"],
        "no attribute read per device, nothing written"
    );
}

#[test]
fn a_cidr_source_is_refused_before_any_request() {
    let env = Env::with(setup());
    env.write("policies/tailgrant.hujson", POSTURE);
    env.write(
        "policies/grants/alice.hujson",
        &grant(r#""grants": [{"src": ["alice@example.com", "10.20.0.0/24"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    let r = env.run(&["apply", "--force"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stderr.contains("TG056"), "{}", r.stderr);
    assert!(r.stderr.contains("10.20.0.0/24 is an address"), "{}", r.stderr);
    assert!(env.sim.requests().is_empty(), "{:?}", env.sim.requests());
}

#[test]
fn a_user_the_tailnet_lists_as_shared_in_is_refused_before_any_write() {
    // The repository has no users file, so check cannot know; the tailnet's users list can.
    let env = Env::with(setup());
    env.write("policies/tailgrant.hujson", POSTURE);
    env.write(
        "policies/grants/pat.hujson",
        &grant(r#""grants": [{"src": ["pat@partner.example"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    let repo = tailgrant::load::Repository::load(&env.path("policies")).unwrap();
    let report = tailgrant::pipeline::check(&repo, jiff::Timestamp::now());
    assert!(!report.has_errors(), "{:?}", report.findings);
    let r = env.run(&["apply", "--force"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stderr.contains("pat@partner.example is shared in from another tailnet"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
    let writes: Vec<String> = env.sim.requests().into_iter().filter(|r| !r.starts_with("GET")).collect();
    assert!(writes.is_empty(), "{writes:?}");
    // So is a group that holds them.
    env.write(
        "policies/policy.hujson",
        &BASE.replace("\"group:dba\": [", "\"group:partners\": [\"pat@partner.example\"],\n\t\t\"group:dba\": ["),
    );
    env.write(
        "policies/grants/pat.hujson",
        &grant(r#""grants": [{"src": ["group:partners"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    let r = env.run(&["apply", "--force"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stderr.contains("grants group:partners, and pat@partner.example is shared in"), "{}", r.stderr);
    // The same grant for a member of the tailnet applies (a_cidr_source… and the others).
    env.write(
        "policies/grants/pat.hujson",
        &grant(r#""grants": [{"src": ["carol@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
    );
    let r = env.run(&["apply", "--force"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(env.sim.allows(CAROL_LAPTOP, "tag:prod-db", 5432), Some(true));
}

#[test]
fn status_exit_codes_for_each_state() {
    // 0: in sync.
    let env = applied();
    let r = env.run(&["status"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.contains("in sync"), "{}", r.stdout);
    let r = env.run(&["status", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["verdict"], "in-sync");
    assert_eq!(v["devicesRead"], 6);

    // 1: an attribute no grant file explains (someone set it out of band).
    env.sim.set_attribute(BOB_LAPTOP, "custom:tg_feedfacefeedface", json!(true), None);
    let r = env.run(&["status", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["unexplained"][0]["key"], "custom:tg_feedfacefeedface", "{v}");
    assert_eq!(v["unexplained"][0]["device"], "bob-laptop.tail1234.ts.net");
    // A plain apply trusts its record and leaves it; a full reconcile removes it and says so.
    let r = env.run(&["apply"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(env.sim.attributes(BOB_LAPTOP).contains_key("custom:tg_feedfacefeedface"));
    let r = env.run(&["apply", "--reconcile"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(r.stdout.contains("remove custom:tg_feedfacefeedface from bob-laptop"), "{}", r.stdout);
    assert!(r.stdout.contains("UNEXPLAINED"), "{}", r.stdout);
    assert!(!env.sim.attributes(BOB_LAPTOP).contains_key("custom:tg_feedfacefeedface"));
    assert_eq!(env.run(&["status"]).code, 0);

    // 1: in schedule mode, a grant whose expiry has passed while no apply ran.
    let sched = Env::with(setup());
    sched.write("policies/grants/alice.hujson", &alice_grant());
    sched.adopt();
    let at = format!("--at={}", hours(50));
    let r = sched.run(&["status", &at]);
    assert_eq!(r.code, 1, "{}", r.transcript());
    assert!(r.stdout.contains("grants/alice.hujson: LIVE PAST ITS EXPIRY"), "{}", r.stdout);
    assert!(r.stdout.contains("2h 0m ago"), "for how long: {}", r.stdout);

    // 4: drift.
    let (live, _) = env.sim.policy();
    env.sim.set_policy(&live.replace("\"tcp:5432\"", "\"tcp:5432\", \"tcp:22\""));
    let r = env.run(&["status"]);
    assert_eq!(r.code, 4, "{}", r.transcript());
    assert!(r.stdout.contains("DRIFT"), "{}", r.stdout);

    // 3: the API fails.
    env.sim.inject(Fault::times(Route::GetPolicy, 50, FaultKind::status(500, "internal server error")));
    let r = env.run(&["status"]);
    assert_eq!(r.code, 3, "{}", r.transcript());
}

#[test]
fn a_plan_without_custom_attributes_is_said_clearly() {
    let env = Env::with(Setup { custom_attributes: false, ..setup() });
    env.write("policies/tailgrant.hujson", POSTURE);
    env.write("policies/grants/alice.hujson", &alice_grant());
    let r = env.run(&["apply", "--force"]);
    assert_eq!(r.code, 3, "{}", r.transcript());
    assert!(r.stderr.contains("its plan does not have them"), "{}", r.stderr);
    assert!(r.stderr.contains("\"enforceExpiry\": \"schedule\""), "{}", r.stderr);
    assert!(gate_attributes(&env).is_empty());
    assert_eq!(env.sim.allows(ALICE_LAPTOP, "tag:prod-db", 5432), Some(false), "fail closed: the rule is gated");
}

#[test]
fn without_the_batch_endpoint_it_writes_device_by_device() {
    let env = Env::with(Setup { batch_endpoint: false, ..setup() });
    env.write("policies/tailgrant.hujson", POSTURE);
    env.write("policies/grants/alice.hujson", &alice_grant());
    let r = env.run(&["apply", "--force"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert_eq!(gate_attributes(&env).len(), 2);
    let posts = env.sim.requests().iter().filter(|r| r.starts_with("POST /api/v2/device/")).count();
    assert_eq!(posts, 2, "{:?}", env.sim.requests());
    // And back to schedule mode: the attributes go, attributes first.
    env.write("policies/tailgrant.hujson", "{}\n");
    let r = env.run(&["apply"]);
    assert_eq!(r.code, 0, "{}", r.transcript());
    assert!(gate_attributes(&env).is_empty());
    assert_eq!(env.sim.allows(ALICE_LAPTOP, "tag:prod-db", 5432), Some(true), "schedule mode: the rule is plain");
}

#[test]
fn the_simulators_validation_judges_posture_in_tests() {
    // Straight to /acl/validate: the simulator's own judge decides the tests, posture included
    // (its message has no "from", tailgrant's has).
    let env = Env::with(setup());
    let policy = |attrs: &str| {
        format!(
            r#"{{"tagOwners": {{"tag:prod-db": ["bob@example.com"]}},
"postures": {{"posture:gate": ["custom:tg_x == true"]}},
"grants": [{{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"], "srcPosture": ["posture:gate"]}}],
"tests": [{{"src": "alice@example.com", "accept": ["tag:prod-db:5432"]{attrs}}}]}}"#
        )
    };
    let opts = tailgrant::apply::Options { base_url: env.sim.url.clone(), ..tailgrant::apply::Options::default() };
    let client = tailgrant::apply::Client::new(
        opts,
        tailgrant::apply::Credentials::ApiKey(tailgrant::apply::auth::Secret::new(API_KEY)),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let v = rt.block_on(client.validate(policy("").into_bytes())).unwrap();
    assert!(!v.passed());
    assert_eq!(v.failures[0].errors, ["address \"tag:prod-db:5432\": want: Accept, got: Drop"], "{v:?}");
    let v = rt.block_on(client.validate(policy(r#", "srcPostureAttrs": {"custom:tg_x": true}"#).into_bytes())).unwrap();
    assert!(v.passed(), "{v:?}");
}
