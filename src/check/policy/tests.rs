//! The shape of `tests` and `sshTests`: what the control plane rejects before running them.

use super::{Ctx, Place, selectors};
use crate::finding::{Code, Finding};
use crate::load::view::{Entry, field_key};
use crate::model::rule::{Kind, Sel};
use crate::model::selector::{Selector, parse_cidr, parse_protocol};
use crate::model::test::{AclTest, Source, SshTest, Target, TestDst, Written};
use crate::parse::Value;

pub(super) fn check(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for (e, t) in view.tests() {
        acl_test(ctx, e, t);
    }
    for (e, t) in view.ssh_tests() {
        ssh_test(ctx, e, t);
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
fn acl_test(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, t: &AclTest<'_>) {
    legacy_twins(ctx, e, &[("user", "src"), ("allow", "accept")]);
    if let Some(src) = test_source(ctx, e, &t.src) {
        selectors::check_sel(ctx, e.origin, src, Place::TestSrc);
    }
    test_protocol(ctx, e, t);
    test_without_destinations(ctx, e, t);
    for (_, dst) in t.assertions() {
        let Some(target) = destination_port(ctx, e, dst) else { continue };
        if destination_range(ctx, e, dst.at, target) {
            continue;
        }
        selectors::check_written(ctx, e.origin, &target.host, &target.sel, Place::TestDst);
    }
}

/// TG123 `invalid-test`: a test names its src (or its legacy `user`). Returns it when it does.
fn test_source<'t>(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, src: &'t Source<'_>) -> Option<&'t Sel<'t>> {
    named(ctx, e, src, "a test needs a src", "name the user, group, tag, host or IP the test is about")
}

/// The non-blank source a test names, or a TG123 finding with `message` and `help` at it (at
/// the test when the field is absent).
fn named<'t>(
    ctx: &mut Ctx<'_, '_>,
    e: Entry<'_>,
    src: &'t Source<'_>,
    message: &str,
    help: &str,
) -> Option<&'t Sel<'t>> {
    match &src.sel {
        Some(sel) if !sel.text.is_empty() => Some(sel),
        _ => {
            ctx.report(Code::InvalidTest, e.origin, src.at.unwrap_or(e.value), message.into(), help);
            None
        }
    }
}

/// TG114 `invalid-protocol`: a test's `proto` is a protocol name or number.
fn test_protocol(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, t: &AclTest<'_>) {
    if let Some(p) = &t.proto
        && let Err(why) = parse_protocol(&p.text)
    {
        ctx.report(Code::InvalidProtocol, e.origin, p.at, why, "use a protocol name such as tcp or udp, or its number");
    }
}

/// TG123 `invalid-test`: a test has destinations to accept or deny.
fn test_without_destinations(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, t: &AclTest<'_>) {
    none_written(
        ctx,
        e,
        t.accept.is_empty() && t.deny.is_empty(),
        "a test needs accept or deny destinations",
        "add \"accept\": [\"tag:web:443\"] or \"deny\": [...]",
    );
}

/// A TG123 finding with `message` and `help` on the test when it lists `none` of what it asserts.
fn none_written(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, none: bool, message: &str, help: &str) {
    if none {
        ctx.report(Code::InvalidTest, e.origin, e.value, message.into(), help);
    }
}

/// TG123 `invalid-test`: a test destination is one host and one port. Returns its host and
/// port when it is.
fn destination_port<'d>(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, dst: &'d TestDst<'_>) -> Option<&'d Target<'d>> {
    let Some(target) = &dst.target else {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            dst.at,
            format!("test destination {:?} has no port", dst.raw()),
            "write one host and one port, e.g. tag:web:443",
        );
        return None;
    };
    if let Err(port) = &target.port {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            dst.at,
            format!("test destination {:?} must name one port, not {port:?}", dst.raw()),
            "tests check one address and one port at a time: write one entry per port",
        );
        return None;
    }
    Some(target)
}

/// TG123 `invalid-test`: a test destination is one address, not a CIDR (even a /32) nor a
/// host alias for a range. Returns whether it was one of those.
fn destination_range(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &Value, target: &Target<'_>) -> bool {
    let host = &target.host;
    let (message, help) = match target.sel.selector() {
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
fn ssh_test(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, t: &SshTest<'_>) {
    if let Some(src) = named(ctx, e, &t.src, "an SSH test needs a src", "name the user the test is about")
        && !ssh_source_not_one_identity(ctx, e, src)
    {
        selectors::check_sel(ctx, e.origin, src, Place::SshTestSrc);
    }
    for dst in &t.dst {
        let sel = dst.selector();
        if !(ssh_destination_port(ctx, e, dst, &sel)
            || ssh_destination_ipv6(ctx, e, dst, &sel)
            || ssh_destination_not_one_device(ctx, e, dst, &sel))
        {
            selectors::check_sel(ctx, e.origin, dst, Place::SshTestDst);
        }
    }
    ssh_test_without_destinations(ctx, e, t);
    ssh_test_without_logins(ctx, e, t);
    for login in t.accept.iter().chain(&t.check).chain(&t.deny) {
        empty_login(ctx, e, login);
    }
}

/// TG123 `invalid-test`: an SSH test's src is one identity, not `*` or an autogroup. Returns
/// whether it was one of those.
fn ssh_source_not_one_identity(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, src: &Sel<'_>) -> bool {
    if !matches!(src.kind, Kind::Autogroup | Kind::Wildcard) {
        return false;
    }
    ctx.report(
        Code::InvalidTest,
        e.origin,
        src.at,
        format!("SSH tests src contains disallowed element {:?}", src.raw()),
        "name one user, tag, host or IP",
    );
    true
}

/// TG123 `invalid-test`: an SSH test destination has no port; Tailscale reads `tag:x:22` as an
/// unknown tag. Returns whether it had one.
fn ssh_destination_port(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, dst: &Sel<'_>, sel: &Selector<'_>) -> bool {
    if !matches!(sel, Selector::Tag(name) if name.contains(':')) {
        return false;
    }
    ctx.report(
        Code::InvalidTest,
        e.origin,
        dst.at,
        format!("SSH tests dst contains unknown tag {:?}", dst.raw()),
        "SSH test destinations have no port: write the tag alone",
    );
    true
}

/// TG123 `invalid-test`: an SSH test destination is not a bare IPv6 address, which Tailscale's
/// test runner fails. Returns whether it was one.
fn ssh_destination_ipv6(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, dst: &Sel<'_>, sel: &Selector<'_>) -> bool {
    if !matches!(sel, Selector::Ip(std::net::IpAddr::V6(_))) {
        return false;
    }
    ctx.report(
        Code::InvalidTest,
        e.origin,
        dst.at,
        format!("SSH test destination {:?} is a bare IPv6 address, which Tailscale's test runner fails", dst.raw()),
        "name the device by tag or host alias instead",
    );
    true
}

/// TG123 `invalid-test`: an SSH test destination is one device, not a CIDR, the internet, or a
/// host alias for a range (refused like a CIDR: sshtest-malformed-dst-cidr). Returns whether it
/// was one of those.
fn ssh_destination_not_one_device(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, dst: &Sel<'_>, sel: &Selector<'_>) -> bool {
    let message = match sel {
        Selector::Cidr(..) | Selector::Autogroup("internet") => {
            format!("SSH tests dst contains disallowed element {:?}", dst.raw())
        }
        Selector::Host(h) if ctx.view.host(h).is_some_and(is_range) => {
            format!("SSH tests dst contains disallowed element {:?} (a host alias for a range)", dst.raw())
        }
        _ => return false,
    };
    ctx.report(Code::InvalidTest, e.origin, dst.at, message, "name one device: a tag, user, host or IP address");
    true
}

/// TG123 `invalid-test`: an SSH test names the devices it is about.
fn ssh_test_without_destinations(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, t: &SshTest<'_>) {
    if t.dst.is_empty() {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            t.dst_list.unwrap_or(e.value),
            "an SSH test needs a dst".into(),
            "name the device the test is about: a tag, user, host or IP",
        );
    }
}

/// TG123 `invalid-test`: an SSH test has logins to accept, check or deny.
fn ssh_test_without_logins(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, t: &SshTest<'_>) {
    let none = t.accept.is_empty() && t.check.is_empty() && t.deny.is_empty();
    none_written(
        ctx,
        e,
        none,
        "an SSH test needs accept, check or deny logins",
        "add \"accept\": [\"root\"] or similar",
    );
}

/// TG123 `invalid-test`: an SSH test login is not empty.
fn empty_login(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, login: &Written<'_>) {
    if login.text.is_empty() {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            login.at,
            "an SSH test login cannot be empty".into(),
            "name the login, e.g. root",
        );
    }
}
