//! The shape of `tests` and `sshTests`: what the control plane rejects before running them.

use super::{Ctx, Place, selectors};
use crate::finding::{Code, Finding};
use crate::load::view::{Entry, field, field_key, strings};
use crate::model::rule;
use crate::model::selector::{Selector, classify, parse_cidr, parse_protocol, split_host_ports};
use crate::parse::Value;

pub(super) fn check(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for e in &view.tests {
        acl_test(ctx, *e);
    }
    for e in &view.ssh_tests {
        ssh_test(ctx, *e);
    }
}

/// Legacy field names Tailscale still reads, one check per code.
pub(super) fn legacy_twins(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, twins: &[(&str, &str)]) {
    for &(legacy, now) in twins {
        let Some(key) = field_key(e.value, legacy) else { continue };
        match field_key(e.value, now) {
            Some(current) => legacy_beside_current(ctx, e, key, current, legacy, now),
            None => legacy_name(ctx, e, key, legacy, now),
        }
    }
}

/// TG002 `duplicate-key`: a legacy field name beside the current one is an error, since which
/// of the two Tailscale reads is not documented (a reviewer reads one, the control plane may
/// read the other).
fn legacy_beside_current(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, key: &Value, current: &Value, legacy: &str, now: &str) {
    ctx.findings.push(
        Finding::new(
            Code::DuplicateKey,
            e.origin.at(key),
            format!("\"{legacy}\" is the legacy name of \"{now}\", which this entry has too"),
            format!("keep one: merge the lists into \"{now}\""),
        )
        .related(e.origin.at(current), "the current name"),
    );
}

/// TG125 `legacy-spelling`: a legacy field name alone still works, a warning.
fn legacy_name(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, key: &Value, legacy: &str, now: &str) {
    ctx.report(
        Code::LegacySpelling,
        e.origin,
        key,
        format!("\"{legacy}\" is the legacy name of \"{now}\""),
        format!("write \"{now}\""),
    );
}

/// A test, one check per code.
fn acl_test(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    legacy_twins(ctx, e, &[("user", "src"), ("allow", "accept")]);
    if let Some((at, src)) = test_source(ctx, e) {
        selectors::check(ctx, e.origin, at, &src, Place::TestSrc);
    }
    test_protocol(ctx, e);
    let lists: Vec<_> = ["accept", "allow", "deny"].into_iter().filter_map(|k| field(e.value, k)).collect();
    test_without_destinations(ctx, e, &lists);
    for list in lists {
        for (dst, at) in strings(list) {
            let Some(host) = destination_port(ctx, e, at, &dst) else { continue };
            if destination_range(ctx, e, at, host) {
                continue;
            }
            selectors::check(ctx, e.origin, at, host, Place::TestDst);
        }
    }
}

/// TG123 `invalid-test`: a test names its src (or its legacy `user`). Returns it when it does.
fn test_source<'v>(ctx: &mut Ctx<'_, '_>, e: Entry<'v>) -> Option<(&'v Value, String)> {
    named(
        ctx,
        e,
        rule::test_source(e.value),
        "a test needs a src",
        "name the user, group, tag, host or IP the test is about",
    )
}

/// The non-blank string a test names at `found`, or a TG123 finding with `message` and `help`
/// at it (at the test when the field is absent).
fn named<'v>(
    ctx: &mut Ctx<'_, '_>,
    e: Entry<'v>,
    found: Option<&'v Value>,
    message: &str,
    help: &str,
) -> Option<(&'v Value, String)> {
    match found.map(|s| (s, s.as_str())) {
        Some((at, Some(text))) if !text.trim().is_empty() => Some((at, text)),
        other => {
            ctx.report(Code::InvalidTest, e.origin, other.map_or(e.value, |(at, _)| at), message.into(), help);
            None
        }
    }
}

/// TG114 `invalid-protocol`: a test's `proto` is a protocol name or number.
fn test_protocol(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    if let Some(p) = field(e.value, "proto")
        && let Some(name) = p.as_str()
        && let Err(why) = parse_protocol(&name)
    {
        ctx.report(Code::InvalidProtocol, e.origin, p, why, "use a protocol name such as tcp or udp, or its number");
    }
}

/// TG123 `invalid-test`: a test has destinations to accept or deny.
fn test_without_destinations(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, lists: &[&Value]) {
    all_empty(
        ctx,
        e,
        lists,
        "a test needs accept or deny destinations",
        "add \"accept\": [\"tag:web:443\"] or \"deny\": [...]",
    );
}

/// A TG123 finding with `message` and `help` on the test when none of its `lists` holds a string.
fn all_empty(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, lists: &[&Value], message: &str, help: &str) {
    if lists.iter().all(|l| strings(l).is_empty()) {
        ctx.report(Code::InvalidTest, e.origin, e.value, message.into(), help);
    }
}

/// TG123 `invalid-test`: a test destination is one host and one port. Returns the host when it is.
fn destination_port<'d>(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &Value, dst: &'d str) -> Option<&'d str> {
    let Ok((host, port)) = split_host_ports(dst.trim()) else {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            at,
            format!("test destination {dst:?} has no port"),
            "write one host and one port, e.g. tag:web:443",
        );
        return None;
    };
    // Port 0 is accepted: real policies use it in ICMP tests, where the port means nothing.
    let single_port = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok();
    if !single_port {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            at,
            format!("test destination {dst:?} must name one port, not {port:?}"),
            "tests check one address and one port at a time: write one entry per port",
        );
        return None;
    }
    Some(host)
}

/// TG123 `invalid-test`: a test destination is one address, not a CIDR (even a /32) nor a
/// host alias for a range. Returns whether it was one of those.
fn destination_range(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &Value, host: &str) -> bool {
    let (message, help) = match classify(host) {
        Selector::Cidr(..) => (
            format!("test destination {host:?} is a CIDR"),
            "tests name one address: a user, tag, host or IP (even /32 is rejected)",
        ),
        Selector::Host(name) => match ctx.view.host(name).filter(|value| is_range(value)) {
            Some(value) => (
                format!("test destination {name:?} is a host whose value {value:?} covers more than one address"),
                "test a single address inside that range instead",
            ),
            None => return false,
        },
        _ => return false,
    };
    ctx.report(Code::InvalidTest, e.origin, at, message, help);
    true
}

/// Whether a host alias's value is a prefix of more than one address.
fn is_range(value: &str) -> bool {
    parse_cidr(value).is_some_and(|(ip, len)| len < if ip.is_ipv4() { 32 } else { 128 })
}

/// An SSH test, one check per code.
fn ssh_test(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    if let Some((at, src)) = ssh_test_source(ctx, e)
        && !ssh_source_not_one_identity(ctx, e, at, &src)
    {
        selectors::check(ctx, e.origin, at, &src, Place::SshTestSrc);
    }
    for (dst, at) in field(e.value, "dst").map(strings).unwrap_or_default() {
        let sel = classify(&dst);
        if !(ssh_destination_port(ctx, e, at, &dst, &sel)
            || ssh_destination_ipv6(ctx, e, at, &dst, &sel)
            || ssh_destination_not_one_device(ctx, e, at, &dst, &sel))
        {
            selectors::check(ctx, e.origin, at, &dst, Place::SshTestDst);
        }
    }
    ssh_test_without_destinations(ctx, e);
    let lists: Vec<_> = ["accept", "check", "deny"].into_iter().filter_map(|k| field(e.value, k)).collect();
    ssh_test_without_logins(ctx, e, &lists);
    for list in lists {
        for (login, at) in strings(list) {
            empty_login(ctx, e, at, &login);
        }
    }
}

/// TG123 `invalid-test`: an SSH test names its src. Returns it when it does.
fn ssh_test_source<'v>(ctx: &mut Ctx<'_, '_>, e: Entry<'v>) -> Option<(&'v Value, String)> {
    named(ctx, e, field(e.value, "src"), "an SSH test needs a src", "name the user the test is about")
}

/// TG123 `invalid-test`: an SSH test's src is one identity, not `*` or an autogroup. Returns
/// whether it was one of those.
fn ssh_source_not_one_identity(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &Value, src: &str) -> bool {
    if !matches!(classify(src), Selector::Autogroup(_) | Selector::Wildcard) {
        return false;
    }
    ctx.report(
        Code::InvalidTest,
        e.origin,
        at,
        format!("SSH tests src contains disallowed element {src:?}"),
        "name one user, tag, host or IP",
    );
    true
}

/// TG123 `invalid-test`: an SSH test destination has no port; Tailscale reads `tag:x:22` as an
/// unknown tag. Returns whether it had one.
fn ssh_destination_port(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &Value, dst: &str, sel: &Selector<'_>) -> bool {
    if !matches!(sel, Selector::Tag(name) if name.contains(':')) {
        return false;
    }
    ctx.report(
        Code::InvalidTest,
        e.origin,
        at,
        format!("SSH tests dst contains unknown tag {dst:?}"),
        "SSH test destinations have no port: write the tag alone",
    );
    true
}

/// TG123 `invalid-test`: an SSH test destination is not a bare IPv6 address, which Tailscale's
/// test runner fails. Returns whether it was one.
fn ssh_destination_ipv6(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &Value, dst: &str, sel: &Selector<'_>) -> bool {
    if !matches!(sel, Selector::Ip(std::net::IpAddr::V6(_))) {
        return false;
    }
    ctx.report(
        Code::InvalidTest,
        e.origin,
        at,
        format!("SSH test destination {dst:?} is a bare IPv6 address, which Tailscale's test runner fails"),
        "name the device by tag or host alias instead",
    );
    true
}

/// TG123 `invalid-test`: an SSH test destination is one device, not a CIDR, the internet, or a
/// host alias for a range (refused like a CIDR: sshtest-malformed-dst-cidr). Returns whether it
/// was one of those.
fn ssh_destination_not_one_device(
    ctx: &mut Ctx<'_, '_>,
    e: Entry<'_>,
    at: &Value,
    dst: &str,
    sel: &Selector<'_>,
) -> bool {
    let message = match sel {
        Selector::Cidr(..) | Selector::Autogroup("internet") => {
            format!("SSH tests dst contains disallowed element {dst:?}")
        }
        Selector::Host(h) if ctx.view.host(h).is_some_and(is_range) => {
            format!("SSH tests dst contains disallowed element {dst:?} (a host alias for a range)")
        }
        _ => return false,
    };
    ctx.report(Code::InvalidTest, e.origin, at, message, "name one device: a tag, user, host or IP address");
    true
}

/// TG123 `invalid-test`: an SSH test names the devices it is about.
fn ssh_test_without_destinations(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    let dst = field(e.value, "dst");
    if dst.is_none_or(|d| strings(d).is_empty()) {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            dst.unwrap_or(e.value),
            "an SSH test needs a dst".into(),
            "name the device the test is about: a tag, user, host or IP",
        );
    }
}

/// TG123 `invalid-test`: an SSH test has logins to accept, check or deny.
fn ssh_test_without_logins(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, lists: &[&Value]) {
    all_empty(ctx, e, lists, "an SSH test needs accept, check or deny logins", "add \"accept\": [\"root\"] or similar");
}

/// TG123 `invalid-test`: an SSH test login is not empty.
fn empty_login(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &Value, login: &str) {
    if login.is_empty() {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            at,
            "an SSH test login cannot be empty".into(),
            "name the login, e.g. root",
        );
    }
}
