//! Running the policy's `tests` and `sshTests`: each failing assertion is a finding at the
//! destination or login that failed, saying what was expected, what the policy does, and for
//! an unexpected accept, which rules allow it.

use serde_json::{Map, Value as Json};

use super::compile::{Compiled, SshOutcome};
use super::{Device, Proto, Tri};
use crate::check::view::{Entry, View, field, strings};
use crate::finding::{Code, Finding};
use crate::model::selector::{Selector, classify, parse_protocol, split_host_ports};
use crate::parse::Value;

/// How the tests went, per test entry: an entry fails if any assertion fails, and is
/// inconclusive if none fails but some cannot be decided offline.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub inconclusive: usize,
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    Pass,
    Inconclusive,
    Fail,
}

pub fn run(view: &View<'_>, policy: &Compiled, findings: &mut Vec<Finding>) -> Counts {
    let mut counts = Counts::default();
    for e in &view.tests {
        tally(&mut counts, acl_test(policy, *e, findings));
    }
    for e in &view.ssh_tests {
        tally(&mut counts, ssh_test(policy, *e, findings));
    }
    counts
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
    Some(match classify(text) {
        Selector::User(u) => vec![Device::User(u.to_ascii_lowercase())],
        Selector::Tag(_) => vec![Device::Tag(text.to_owned())],
        Selector::Group(_) => policy.groups.get(text)?.iter().map(|m| Device::User(m.clone())).collect(),
        Selector::Ip(ip) => vec![known(policy, ip)],
        Selector::Host(h) => vec![known(policy, policy.host(h)?.parse().ok()?)],
        Selector::Service(_) => vec![Device::Service(text.to_owned())],
        _ => return None,
    })
}

/// An address, resolved to its device when the devices file knows it.
fn known(policy: &Compiled, ip: std::net::IpAddr) -> Device {
    match policy.inventory.as_ref().and_then(|inv| inv.by_ip.get(&ip)) {
        Some(d) => Device::Known { ip, user: d.user.clone(), tags: d.tags.clone() },
        None => Device::Addr(ip),
    }
}

/// With a devices file, a test source that has no device fails on the control plane: say so.
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
        format!("{} has no device in the devices file, so Tailscale fails this test", missing.join(", ")),
        "test a source that has a device, or refresh the devices file",
    ));
    true
}

fn attrs(v: &Value) -> Option<Map<String, Json>> {
    let a = field(v, "srcPostureAttrs")?;
    serde_json::from_slice::<Json>(&a.to_json()).ok()?.as_object().cloned()
}

fn acl_test(policy: &Compiled, e: Entry<'_>, findings: &mut Vec<Finding>) -> Outcome {
    let v = e.value;
    let Some((src_text, src_at)) = field(v, "src").or_else(|| field(v, "user")).and_then(|s| Some((s.as_str()?, s)))
    else {
        return Outcome::Fail;
    };
    let Some(srcs) = resolve(policy, &src_text) else { return Outcome::Fail };
    if without_device(policy, e, src_at, &srcs, findings) {
        return Outcome::Fail;
    }
    if srcs.is_empty() {
        findings.push(Finding::new(
            Code::TestSourceEmpty,
            e.origin.at(src_at),
            format!("{} has no members, so this test checks nobody", src_text.trim()),
            "add members to the group, or test a user",
        ));
        return Outcome::Fail;
    }
    let proto = match field(v, "proto").and_then(|p| p.as_str()) {
        None => Proto::TcpOrUdp,
        Some(p) => match parse_protocol(p.trim()) {
            Ok(n) => Proto::Number(n),
            Err(_) => return Outcome::Fail,
        },
    };
    let proto_text = field(v, "proto").and_then(|p| p.as_str()).map_or(String::new(), |p| format!(" (protocol {p:?})"));
    let attrs = attrs(v);
    let mut worst = Outcome::Pass;
    for (key, want) in [("accept", true), ("allow", true), ("deny", false)] {
        for (dst_text, at) in field(v, key).map(strings).unwrap_or_default() {
            let Ok((host, port)) = split_host_ports(dst_text.trim()) else { return Outcome::Fail };
            let Ok(port) = port.parse::<u16>() else { return Outcome::Fail };
            let pairs: Vec<(Device, Device)> = if host == "autogroup:self" {
                srcs.iter().map(|s| (s.clone(), s.clone())).collect()
            } else {
                let Some(dsts) = resolve(policy, host) else { return Outcome::Fail };
                srcs.iter().flat_map(|s| dsts.iter().map(move |d| (s.clone(), d.clone()))).collect()
            };
            let verdicts: Vec<_> =
                pairs.iter().map(|(s, d)| (s, d, policy.allowed(s, d, proto, port, attrs.as_ref()))).collect();
            let describe = |s: &Device| {
                if srcs.len() > 1 { format!("{} (member {s})", src_text.trim()) } else { src_text.trim().to_owned() }
            };
            // An accept fails on any pair that is denied, a deny on any pair that is allowed;
            // otherwise a pair that cannot be decided makes the assertion inconclusive.
            let failure = if want {
                verdicts.iter().find(|(_, _, v)| v.allowed == Tri::No).map(|(s, _, _)| {
                    Finding::new(
                        Code::TestFailed,
                        e.origin.at(at),
                        format!(
                            "address {:?}{proto_text} from {}: want: Accept, got: Drop",
                            dst_text.trim(),
                            describe(s)
                        ),
                        "no rule in force allows this: add a grant (or fix the test if the access is meant to be gone)",
                    )
                })
            } else {
                verdicts.iter().find(|(_, _, v)| v.allowed == Tri::Yes).map(|(s, _, verdict)| {
                    let mut f = Finding::new(
                        Code::TestFailed,
                        e.origin.at(at),
                        format!("address {:?}{proto_text} from {}: want: Drop, got: Accept", dst_text.trim(), describe(s)),
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
            };
            let outcome = if let Some(f) = failure {
                findings.push(f);
                Outcome::Fail
            } else if let Some((s, d, _)) = verdicts.iter().find(|(_, _, v)| v.allowed == Tri::Unknown) {
                findings.push(inconclusive(e, at, &dst_text, &describe(s), d));
                Outcome::Inconclusive
            } else {
                Outcome::Pass
            };
            worst = worst.max(outcome);
        }
    }
    worst
}

fn inconclusive(e: Entry<'_>, at: &Value, dst: &str, src: &str, d: &Device) -> Finding {
    let why = match d {
        Device::Addr(ip) => format!("which device has {ip} is not in the repository"),
        _ => format!("the source {src} is an address whose device is not in the repository"),
    };
    Finding::new(
        Code::TestInconclusive,
        e.origin.at(at),
        format!("address {:?} from {src}: cannot be decided offline: {why}", dst.trim()),
        "test by identity (a user, group or tag) rather than by address, so the verdict does not depend on live devices",
    )
}

fn ssh_test(policy: &Compiled, e: Entry<'_>, findings: &mut Vec<Finding>) -> Outcome {
    let v = e.value;
    let Some(src_at) = field(v, "src") else { return Outcome::Fail };
    let Some(src_text) = src_at.as_str() else { return Outcome::Fail };
    let Some(srcs) = resolve(policy, &src_text) else { return Outcome::Fail };
    if without_device(policy, e, src_at, &srcs, findings) {
        return Outcome::Fail;
    }
    let attrs = attrs(v);
    let mut worst = Outcome::Pass;
    for (dst_text, dst_at) in field(v, "dst").map(strings).unwrap_or_default() {
        let Some(dsts) = resolve(policy, &dst_text) else { return Outcome::Fail };
        for (key, want) in [("accept", SshOutcome::Accept), ("check", SshOutcome::Check), ("deny", SshOutcome::Deny)] {
            for (login, at) in field(v, key).map(strings).unwrap_or_default() {
                let mut outcome = Outcome::Pass;
                for s in &srcs {
                    for d in &dsts {
                        let (certain, rule, got) = policy.ssh_outcome(s, d, &login, attrs.as_ref());
                        if certain == Tri::Unknown {
                            if outcome == Outcome::Pass {
                                findings.push(inconclusive(e, dst_at, &dst_text, src_text.trim(), d));
                                outcome = Outcome::Inconclusive;
                            }
                        } else if got != want && outcome != Outcome::Fail {
                            let mut f = Finding::new(
                                Code::SshTestFailed,
                                e.origin.at(at),
                                format!("src {:?}, dst {:?}, ssh user {login:?}: want: {want:?} got: {got:?}", src_text.trim(), dst_text.trim())
                                    .replace("Accept", "\"accept\"")
                                    .replace("Check", "\"check\"")
                                    .replace("Deny", "\"deny\""),
                                match got {
                                    SshOutcome::Deny => "no SSH rule matches this source, destination and login: add one to \"ssh\"".to_owned(),
                                    _ => "the first matching SSH rule (check rules come first) decides; it is marked below".to_owned(),
                                },
                            );
                            if let Some(r) = rule {
                                let src = &policy.sources[policy.ssh[r].source];
                                f = f.related(src.location.clone(), format!("this rule decides ({got})"));
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
