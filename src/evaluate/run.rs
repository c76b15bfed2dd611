//! Running the policy's `tests` and `sshTests`: each failing assertion is a finding at the
//! destination or login that failed, saying what was expected, what the policy does, and for
//! an unexpected accept, which rules allow it.

use serde_json::{Map, Value as Json};

use super::compile::{Compiled, SshOutcome};
use super::{Device, Proto, Tri};
use crate::finding::{Code, Finding};
use crate::load::view::{Entry, View};
use crate::model::rule::Sel;
use crate::model::selector::{Selector, classify, parse_protocol};
use crate::model::test::{AclTest, SshTest, Target, TestDst, Written};
use crate::parse::Value;

/// How the tests went, per test entry: an entry fails if any assertion fails, and is
/// inconclusive if none fails but some cannot be decided offline.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub inconclusive: usize,
}

/// How one test entry went: the worst of its assertions.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
pub(crate) enum Outcome {
    Pass,
    Inconclusive,
    Fail,
}

/// One test entry and how it went, for reports that list tests one by one (JUnit).
#[derive(Debug, Clone)]
pub struct TestResult {
    /// The whole entry: findings about its assertions lie inside this span.
    pub(crate) location: crate::finding::Location,
    /// `tests` or `sshTests`.
    pub(crate) section: &'static str,
    /// The entry's source, as written.
    pub(crate) src: String,
    pub(crate) outcome: Outcome,
}

/// Runs every test entry; the counts and each entry's result, in the view's order.
pub fn run(view: &View<'_>, policy: &Compiled, findings: &mut Vec<Finding>) -> (Counts, Vec<TestResult>) {
    let mut counts = Counts::default();
    let mut results = Vec::with_capacity(view.tests.len() + view.ssh_tests.len());
    for (e, t) in view.tests() {
        let outcome = acl_test(policy, e, t, findings);
        results.push(result(&mut counts, e, "tests", t.src.sel.as_ref().map(|s| &*s.text), outcome));
    }
    for (e, t) in view.ssh_tests() {
        let outcome = ssh_test(policy, e, t, findings);
        // Labelled as before, by `src` or a `user` field, which an SSH test does not have.
        let legacy = crate::model::rule::test_source(e.value).and_then(|s| s.as_cow());
        results.push(result(&mut counts, e, "sshTests", legacy.as_deref().map(str::trim), outcome));
    }
    (counts, results)
}

/// One entry's result, counted.
fn result(counts: &mut Counts, e: Entry<'_>, section: &'static str, src: Option<&str>, o: Outcome) -> TestResult {
    tally(counts, o);
    let src = src.map_or_else(|| "?".to_owned(), str::to_owned);
    TestResult { location: e.origin.at(e.value), section, src, outcome: o }
}

/// Tests that pass now but will fail on their own: a `deny` (or an SSH outcome) that a pending
/// fragment's rule breaks once it starts, and a pending fragment's own tests, judged at the
/// instant it starts. Tailscale refuses a policy whose tests fail, so either would stop every
/// later `apply` (`TG306`). `already` holds the locations of assertions failing now. `union`
/// is the base with every fragment active or pending at `at` (`View::build`), the view `check`
/// reads too, so that one is built for both.
pub(crate) fn time_bombs(
    repo: &crate::load::Repository,
    union: &View<'_>,
    at: jiff::Timestamp,
    findings: &mut Vec<Finding>,
) {
    use crate::model::Status;
    let pending: Vec<&crate::load::FragmentFile> =
        repo.fragments.iter().filter(|f| f.fragment.status(at) == Status::Pending).collect();
    if pending.is_empty() {
        return;
    }
    let failing_now: Vec<crate::finding::Location> = findings
        .iter()
        .filter(|f| matches!(f.code, Code::TestFailed | Code::SshTestFailed))
        .map(|f| f.location.clone())
        .collect();
    let some = |f: fn(&crate::model::Fragment) -> bool| pending.iter().any(|p| f(&p.fragment));
    let (net, ssh) = (some(|f| f.has_network_rules), some(|f| f.has_ssh_rules));
    // Active tests against everything in force or pending: rules only add, so what fails there
    // and not now fails once some pending fragment starts. Only a `deny` can start failing when
    // network rules are added, and only an SSH test when SSH rules are.
    let affected = |t: &Test<'_, '_>| match t {
        Test::Acl(t) => net && !t.deny.is_empty(),
        Test::Ssh(_) => ssh,
    };
    let policy = if tests(union).any(|(_, t)| affected(&t)) { Some(Compiled::new(union)) } else { None };
    for (e, t) in tests(union).filter(|(_, t)| policy.is_some() && affected(t)) {
        let Some(policy) = &policy else { break };
        if e.origin.fragment.is_some_and(|f| f.fragment.status(at) == Status::Pending) {
            continue;
        }
        let test_ends = e.origin.fragment.and_then(|f| f.fragment.expires);
        for f in scratch(policy, e, &t) {
            if failing_now.contains(&f.location) {
                continue;
            }
            // The earliest pending rule among those that decide it.
            let start = f
                .related
                .iter()
                .filter_map(|(loc, _)| policy.sources.iter().find(|s| &s.location == loc))
                .filter_map(|s| Some((s.window.0.filter(|nb| *nb > at)?, s)))
                .min_by_key(|(nb, _)| *nb);
            let Some((nb, src)) = start else { continue };
            if test_ends.is_some_and(|end| end <= nb) {
                continue;
            }
            let what = src.fragment.as_deref().and_then(|l| l.split(", ").next()).unwrap_or("a pending fragment");
            findings.push(later(f, format!("from {nb}, when {what} starts")));
        }
    }
    // At the instant each pending fragment with tests of its own or group members starts (a
    // few distinct instants): its own tests; and, when one adds people to groups, every test
    // in force then. A member added is no rule, so the pass above cannot name it; any rule
    // naming the group reaches them from then on.
    let adds_members = |f: &crate::load::FragmentFile| f.fragment.groups.iter().flatten().any(|(_, m)| !m.is_empty());
    let mut starts: Vec<jiff::Timestamp> = pending
        .iter()
        .filter(|f| f.fragment.has_tests || adds_members(f))
        .filter_map(|f| f.fragment.not_before)
        .collect();
    starts.sort();
    starts.dedup();
    for nb in starts.into_iter().take(MAX_FUTURE_INSTANTS) {
        let then = View::active(repo, nb);
        let policy = Compiled::new(&then);
        let starts_then = |f: &crate::load::FragmentFile| {
            f.fragment.not_before == Some(nb) && f.fragment.status(at) == Status::Pending
        };
        let joining = pending.iter().find(|f| starts_then(f) && adds_members(f)).map(|f| f.doc.file.rel.as_str());
        for (e, t) in tests(&then) {
            let own = e.origin.fragment.is_some_and(starts_then);
            let in_force_now = e.origin.fragment.is_none_or(|f| f.fragment.status(at) == Status::Active);
            let when = match (own, joining) {
                (true, _) => format!("when this file starts at {nb}"),
                (false, Some(rel)) if in_force_now => format!("from {nb}, when {rel} starts and adds group members"),
                _ => continue,
            };
            for f in scratch(&policy, e, &t) {
                let reported = findings.iter().any(|g| g.code == Code::TestFailsLater && g.location == f.location);
                if own || (!failing_now.contains(&f.location) && !reported) {
                    findings.push(later(f, when.clone()));
                }
            }
        }
    }
}

/// Pending fragments are judged at no more than this many distinct start instants per check.
const MAX_FUTURE_INSTANTS: usize = 32;

/// A test entry of either kind.
enum Test<'t, 'a> {
    Acl(&'t AclTest<'a>),
    Ssh(&'t SshTest<'a>),
}

/// Every test entry of `view`, `tests` first.
fn tests<'t, 'a>(view: &'t View<'a>) -> impl Iterator<Item = (Entry<'a>, Test<'t, 'a>)> {
    let acl = view.tests().map(|(e, t)| (e, Test::Acl(t)));
    acl.chain(view.ssh_tests().map(|(e, t)| (e, Test::Ssh(t))))
}

/// The failures of one test entry against `policy`.
fn scratch(policy: &Compiled, e: Entry<'_>, t: &Test<'_, '_>) -> Vec<Finding> {
    let mut found = Vec::new();
    match t {
        Test::Acl(t) => acl_test(policy, e, t, &mut found),
        Test::Ssh(t) => ssh_test(policy, e, t, &mut found),
    };
    found.retain(|f| matches!(f.code, Code::TestFailed | Code::SshTestFailed));
    found
}

fn later(f: Finding, when: String) -> Finding {
    Finding {
        code: Code::TestFailsLater,
        severity: Code::TestFailsLater.default_severity(),
        message: format!("{when}, this test fails: {}; Tailscale then refuses every policy that holds it", f.message),
        help: "a test must hold for as long as it is in force: end or change the fragment that breaks it, or the test"
            .into(),
        ..f
    }
}

fn tally(c: &mut Counts, o: Outcome) {
    match o {
        Outcome::Pass => c.passed += 1,
        Outcome::Inconclusive => c.inconclusive += 1,
        Outcome::Fail => c.failed += 1,
    }
}

/// The devices a test source or destination stands for. `None`: malformed or undefined,
/// which the rulebook has already reported.
pub fn resolve(policy: &Compiled, text: &str) -> Option<Vec<Device>> {
    let text = text.trim();
    devices(policy, text, classify(text))
}

/// [`resolve`] for a selector read with its test.
fn resolve_sel(policy: &Compiled, sel: &Sel<'_>) -> Option<Vec<Device>> {
    devices(policy, &sel.text, sel.selector())
}

/// The devices `sel`, classified from the trimmed `text`, stands for.
fn devices(policy: &Compiled, text: &str, sel: Selector<'_>) -> Option<Vec<Device>> {
    Some(match sel {
        Selector::User(u) => vec![Device::User(u.to_ascii_lowercase())],
        Selector::Tag(_) => vec![Device::Tag(text.to_owned())],
        Selector::Group(_) => policy.groups.get(text)?.iter().map(|m| Device::User(m.clone())).collect(),
        Selector::Ip(ip) => vec![known(policy, ip)],
        Selector::Host(h) => vec![known(policy, policy.host(h)?.parse().ok()?)],
        Selector::Service(_) => vec![Device::Service(text.to_owned())],
        _ => return None,
    })
}

/// The device a test's source stands for: a group is one unnamed member of it (evidence in
/// README "How tests are evaluated"), anything else as [`resolve`] reads it.
pub fn resolve_test_source(policy: &Compiled, text: &str) -> Option<Vec<Device>> {
    let text = text.trim();
    source_devices(policy, text, classify(text))
}

/// [`resolve_test_source`] for a source read with its test.
fn source_devices(policy: &Compiled, text: &str, sel: Selector<'_>) -> Option<Vec<Device>> {
    match sel {
        Selector::Group(g) if policy.groups.contains_key(text) || g.contains('@') => {
            Some(vec![Device::Member(text.to_owned())])
        }
        _ => devices(policy, text, sel),
    }
}

/// An address, resolved to its device when the devices file knows it.
fn known(policy: &Compiled, ip: std::net::IpAddr) -> Device {
    match policy.inventory.as_ref().and_then(|inv| inv.by_ip.get(&ip)) {
        Some(d) => Device::Known { ip, user: d.user.clone(), tags: d.tags.clone() },
        None => Device::Addr(ip),
    }
}

/// Whether a test entry has only keys its kind has and at least one assertion: a test with a
/// `dst` key, or with nothing to assert, is refused by Tailscale (terraform-provider-tailscale
/// #89; captures policytest-malformed-test-missing-accept-and-deny) and is never a pass.
fn shaped(known_fields: bool, assertions: &[usize]) -> bool {
    known_fields && assertions.iter().any(|n| *n > 0)
}

/// A test from a group with no members checks an unnamed member of it, as any group source
/// does; say so, since the group may be empty by mistake.
fn empty_group(policy: &Compiled, e: Entry<'_>, at: &Value, src: &str, findings: &mut Vec<Finding>) {
    if policy.groups.get(src.trim()).is_some_and(|m| m.is_empty()) {
        findings.push(Finding::new(
            Code::TestSourceEmpty,
            e.origin.at(at),
            format!("{} has no members; the test is about any member it may have", src.trim()),
            "add members to the group, or test a user",
        ));
    }
}

/// With a devices file, a test source that has no device: Tailscale's answer for one is not
/// settled (#2859 failed such tests in 2021, #4416 and USA-RedDragon/tailscale-acls pass them),
/// so say so and judge the test as for any identity.
fn without_device(policy: &Compiled, e: Entry<'_>, at: &Value, srcs: &[Device], findings: &mut Vec<Finding>) -> bool {
    let Some(inv) = &policy.inventory else { return false };
    let missing: Vec<String> = srcs
        .iter()
        .filter(|d| match d {
            Device::User(u) => !inv.users.contains(u),
            Device::Tag(t) => !inv.tags.contains(t),
            Device::Addr(_) => true,
            _ => false,
        })
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        return false;
    }
    findings.push(Finding::new(
        Code::TestSourceWithoutDevice,
        e.origin.at(at),
        format!("{} has no device in the devices file; Tailscale may fail this test", missing.join(", ")),
        "test a source that has a device, or refresh the devices file (`tailgrant snapshot`)",
    ));
    true
}

fn attrs(a: Option<&Value>) -> Option<Map<String, Json>> {
    serde_json::from_slice::<Json>(&a?.to_json()).ok()?.as_object().cloned()
}

fn acl_test(policy: &Compiled, e: Entry<'_>, t: &AclTest<'_>, findings: &mut Vec<Finding>) -> Outcome {
    let Some(src) = &t.src.sel else { return Outcome::Fail };
    let Some(srcs) = source_devices(policy, &src.text, src.selector()) else { return Outcome::Fail };
    if !shaped(t.known_fields, &[t.accept.len(), t.deny.len()]) {
        return Outcome::Fail; // the rulebook says why (TG003, TG123)
    }
    without_device(policy, e, src.at, &srcs, findings);
    empty_group(policy, e, src.at, &src.text, findings);
    let proto = match &t.proto {
        None => Proto::TcpOrUdp,
        Some(p) => match parse_protocol(p.text.trim()) {
            Ok(n) => Proto::Number(n),
            Err(_) => return Outcome::Fail,
        },
    };
    let proto_text = t.proto.as_ref().map_or(String::new(), |p| format!(" (protocol {:?})", p.text));
    let attrs = super::gates::test_attrs(policy.enforce_expiry, &e, attrs(t.src_posture_attrs));
    let mut worst = Outcome::Pass;
    for (want, dst) in t.assertions() {
        let Some(target) = &dst.target else { return Outcome::Fail };
        // What the check refuses as not one port in digits is read as a number here if it
        // parses as one (`+22`), as it always was: the check's error stops the policy anyway.
        let Ok(port) = target.port.clone().or_else(|p| p.parse::<u16>()) else { return Outcome::Fail };
        let pairs: Vec<(Device, Device)> = if target.host == "autogroup:self" {
            srcs.iter().map(|s| (s.clone(), s.clone())).collect()
        } else {
            let Some(dsts) = resolve_sel(policy, &target.sel) else { return Outcome::Fail };
            srcs.iter().flat_map(|s| dsts.iter().map(move |d| (s.clone(), d.clone()))).collect()
        };
        let verdicts: Vec<_> =
            pairs.iter().map(|(s, d)| (s, d, policy.allowed(s, d, proto, port, attrs.as_ref()))).collect();
        let describe = |s: &Device| {
            if srcs.len() > 1 { format!("{} (member {s})", src.text) } else { src.text.clone().into_owned() }
        };
        // An accept fails on any pair that is denied, a deny on any pair that is allowed;
        // otherwise a pair that cannot be decided makes the assertion inconclusive.
        let (at, dst_text) = (dst.at, dst.raw());
        let failure = if want {
            accept_failed(e, at, &dst_text, &proto_text, &verdicts, describe)
        } else {
            deny_failed(policy, e, at, &dst_text, &proto_text, &verdicts, describe)
        };
        let outcome = if let Some(f) = failure {
            findings.push(f);
            Outcome::Fail
        } else if let Some(f) = want.then(|| passes_only_until(policy, e, at, &dst_text, &verdicts)).flatten() {
            findings.push(f);
            Outcome::Fail
        } else if let Some((s, d, _)) = verdicts.iter().find(|(_, _, v)| v.allowed == Tri::Unknown) {
            findings.push(inconclusive(e, at, &dst_text, &describe(s), d));
            Outcome::Inconclusive
        } else {
            Outcome::Pass
        };
        if outcome == Outcome::Pass && policy.group_tests_per_member {
            let assertion = Assertion { src, dst, target, proto, port, want };
            per_member(policy, e, &assertion, attrs.as_ref(), findings);
        }
        worst = worst.max(outcome);
    }
    worst
}

/// TG301 for an `accept` assertion: the first pair no rule in force lets through.
fn accept_failed(
    e: Entry<'_>,
    at: &Value,
    dst: &str,
    proto: &str,
    verdicts: &[(&Device, &Device, super::Verdict)],
    describe: impl Fn(&Device) -> String,
) -> Option<Finding> {
    verdicts.iter().find(|(_, _, v)| v.allowed == Tri::No).map(|(s, _, _)| {
        Finding::new(
            Code::TestFailed,
            e.origin.at(at),
            format!("address {:?}{proto} from {}: want: Accept, got: Drop", dst.trim(), describe(s)),
            "no rule in force allows this: add a grant (or fix the test if the access is meant to be gone)",
        )
    })
}

/// TG301 for a `deny` assertion: the first pair some rule allows, with every rule that does.
fn deny_failed(
    policy: &Compiled,
    e: Entry<'_>,
    at: &Value,
    dst: &str,
    proto: &str,
    verdicts: &[(&Device, &Device, super::Verdict)],
    describe: impl Fn(&Device) -> String,
) -> Option<Finding> {
    verdicts.iter().find(|(_, _, v)| v.allowed == Tri::Yes).map(|(s, _, verdict)| {
        let mut f = Finding::new(
            Code::TestFailed,
            e.origin.at(at),
            format!("address {:?}{proto} from {}: want: Drop, got: Accept", dst.trim(), describe(s)),
            format!(
                "{} rule(s) allow it (listed here): narrow them, or drop the deny if the access is intended",
                verdict.by.len()
            ),
        );
        for &r in &verdict.by {
            let src = &policy.sources[policy.rules[r].source];
            let label = match &src.fragment {
                Some(frag) => format!("allowed by this rule ({frag})"),
                None => "allowed by this rule".to_owned(),
            };
            if !f.related.iter().any(|(l, _)| l == &src.location) {
                f = f.related(src.location.clone(), label);
            }
        }
        f
    })
}

/// The stricter reading of a test from a group, on request (config `groupTestsPerMember`): each
/// named member, as a user of their own, would also pass the assertion. A member who would not
/// is a warning (`TG307`): the test holds for the group as Tailscale reads it, yet says nothing
/// about that person (xorkevin/wiki's `group:users deny tag:server:22`, whose only member an
/// admin group lets through).
fn per_member(
    policy: &Compiled,
    e: Entry<'_>,
    a: &Assertion<'_, '_>,
    attrs: Option<&Map<String, Json>>,
    findings: &mut Vec<Finding>,
) {
    let Some(members) = policy.groups.get(&*a.src.text) else { return };
    for m in members {
        let member = Device::User(m.clone());
        let dsts = if a.target.host == "autogroup:self" {
            vec![member.clone()]
        } else {
            resolve_sel(policy, &a.target.sel).unwrap_or_default()
        };
        let wrong = dsts.iter().any(|d| {
            let got = policy.allowed(&member, d, a.proto, a.port, attrs).allowed;
            if a.want { got == Tri::No } else { got == Tri::Yes }
        });
        if wrong {
            let (wanted, got) = if a.want { ("Accept", "Drop") } else { ("Drop", "Accept") };
            findings.push(Finding::new(
                Code::GroupMemberDiffers,
                e.origin.at(a.dst.at),
                format!(
                    "address {:?} from {m}, a member of {}: want: {wanted}, got: {got}; the test holds for the group, not for {m}",
                    a.dst.raw().trim(),
                    a.src.text
                ),
                "test the member by name too, or narrow the rules that treat them apart from the group",
            ));
        }
    }
}

/// One assertion of an ACL test, as it was judged.
struct Assertion<'t, 'a> {
    src: &'t Sel<'a>,
    dst: &'t TestDst<'a>,
    target: &'t Target<'a>,
    proto: Proto,
    port: u16,
    want: bool,
}

/// An `accept` that holds now only thanks to rules of fragments that expire before the test
/// itself does: when they do, the test fails, and since Tailscale refuses a policy whose tests
/// fail, every later apply stops (and access that has expired stays live). `None` when the test
/// holds for as long as it is in force.
fn passes_only_until(
    policy: &Compiled,
    e: Entry<'_>,
    at: &Value,
    dst: &str,
    verdicts: &[(&Device, &Device, super::Verdict)],
) -> Option<Finding> {
    let test_ends = e.origin.fragment.and_then(|f| f.fragment.expires);
    for (_, _, v) in verdicts {
        // The latest end among the rules that allow it; a permanent rule never ends.
        let mut ends = None;
        for &r in &v.by {
            match policy.sources[policy.rules[r].source].window.1 {
                None => return None,
                Some(t) => ends = ends.max(Some((t, r))),
            }
        }
        let Some((until, rule)) = ends else { continue };
        if test_ends.is_some_and(|t| t <= until) {
            continue;
        }
        let src = &policy.sources[policy.rules[rule].source];
        // The label is "path, expires …": the path names it.
        let what = src.fragment.as_deref().and_then(|l| l.split(", ").next()).unwrap_or("the fragment");
        return Some(
            Finding::new(
                Code::TestFailsLater,
                e.origin.at(at),
                format!(
                    "address {:?} is allowed only until {until}, when {what} ends: from then this test fails, and Tailscale refuses every policy that holds it",
                    dst.trim()
                ),
                format!("assert only what this file grants (put the test in the file that grants it), or end this file by {until}"),
            )
            .related(src.location.clone(), "the last rule that allows it"),
        );
    }
    None
}

fn inconclusive(e: Entry<'_>, at: &Value, dst: &str, src: &str, d: &Device) -> Finding {
    let why = match d {
        Device::Addr(ip) => format!("which device has {ip} is not in the repository"),
        _ if src.parse::<std::net::IpAddr>().is_ok() => format!("which device has {src} is not in the repository"),
        _ if src.starts_with("group:") => format!(
            "what {src}'s members are beyond the group (members of the tailnet? holding a role? at which addresses?) is not in the repository"
        ),
        _ => format!(
            "whether {src} is a member of the tailnet, is shared in or holds a role, or which addresses its devices have, is not in the repository (add a users file: `tailgrant snapshot`)"
        ),
    };
    Finding::new(
        Code::TestInconclusive,
        e.origin.at(at),
        format!("address {:?} from {src}: cannot be decided offline: {why}", dst.trim()),
        "test by identity (a user, group or tag) rather than by address, so the verdict does not depend on live devices",
    )
}

fn ssh_test(policy: &Compiled, e: Entry<'_>, t: &SshTest<'_>, findings: &mut Vec<Finding>) -> Outcome {
    let Some(src) = &t.src.sel else { return Outcome::Fail };
    let Some(srcs) = source_devices(policy, &src.text, src.selector()) else { return Outcome::Fail };
    if !shaped(t.known_fields, &[t.accept.len(), t.check.len(), t.deny.len()]) || t.dst.is_empty() {
        return Outcome::Fail; // the rulebook says why (TG003, TG123)
    }
    without_device(policy, e, src.at, &srcs, findings);
    empty_group(policy, e, src.at, &src.text, findings);
    let attrs = super::gates::test_attrs(policy.enforce_expiry, &e, attrs(t.src_posture_attrs));
    let mut worst = Outcome::Pass;
    for dst in &t.dst {
        let Some(dsts) = resolve_sel(policy, dst) else { return Outcome::Fail };
        let (dst_at, dst_text) = (dst.at, dst.raw());
        for (logins, want) in
            [(&t.accept, SshOutcome::Accept), (&t.check, SshOutcome::Check), (&t.deny, SshOutcome::Deny)]
        {
            for Written { text: login, at } in logins {
                let mut outcome = Outcome::Pass;
                for s in &srcs {
                    for d in &dsts {
                        let (certain, rule, got) = policy.ssh_outcome(s, d, login, attrs.as_ref());
                        if certain == Tri::Unknown {
                            if outcome == Outcome::Pass {
                                findings.push(inconclusive(e, dst_at, &dst_text, &src.text, d));
                                outcome = Outcome::Inconclusive;
                            }
                        } else if got != want && outcome != Outcome::Fail {
                            let mut f = Finding::new(
                                Code::SshTestFailed,
                                e.origin.at(at),
                                format!("src {:?}, dst {:?}, ssh user {login:?}: want: \"{want}\" got: \"{got}\"", src.text, dst.text),
                                match got {
                                    SshOutcome::Deny => "no SSH rule matches this source, destination and login: add one to \"ssh\"".to_owned(),
                                    _ => "the first matching SSH rule (check rules come first) decides: see the place marked \"this rule decides\"".to_owned(),
                                },
                            );
                            if let Some(r) = rule {
                                let decides = &policy.sources[policy.ssh[r].source];
                                f = f.related(decides.location.clone(), format!("this rule decides ({got})"));
                            }
                            findings.push(f);
                            outcome = Outcome::Fail;
                        }
                    }
                }
                worst = worst.max(outcome);
            }
        }
    }
    worst
}
