//! The shape of `tests` and `sshTests`: what the control plane rejects before running them.

use super::{Ctx, Place, selectors};
use crate::finding::Code;
use crate::load::view::{Entry, field, field_key, strings};
use crate::model::selector::{Selector, classify, parse_cidr, parse_protocol, split_host_ports};

pub fn check(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for e in &view.tests {
        acl_test(ctx, *e);
    }
    for e in &view.ssh_tests {
        ssh_test(ctx, *e);
    }
}

/// Legacy field names Tailscale still reads: a warning alone, and an error beside the current
/// name, since which of the two Tailscale reads is not documented (a reviewer reads one, the
/// control plane may read the other).
pub(super) fn legacy_twins(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, twins: &[(&str, &str)]) {
    let v = e.value;
    for &(legacy, now) in twins {
        let Some(key) = field_key(v, legacy) else { continue };
        if let Some(current) = field_key(v, now) {
            ctx.findings.push(
                crate::finding::Finding::new(
                    Code::DuplicateKey,
                    e.origin.at(key),
                    format!("\"{legacy}\" is the legacy name of \"{now}\", which this entry has too"),
                    format!("keep one: merge the lists into \"{now}\""),
                )
                .related(e.origin.at(current), "the current name"),
            );
        } else {
            ctx.report(
                Code::LegacySpelling,
                e.origin,
                key,
                format!("\"{legacy}\" is the legacy name of \"{now}\""),
                format!("write \"{now}\""),
            );
        }
    }
}

fn acl_test(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    let v = e.value;
    legacy_twins(ctx, e, &[("user", "src"), ("allow", "accept")]);
    match crate::model::rule::test_source(v).map(|s| (s, s.as_str())) {
        Some((at, Some(src))) if !src.trim().is_empty() => {
            selectors::check(ctx, e.origin, at, &src, Place::TestSrc);
        }
        other => ctx.report(
            Code::InvalidTest,
            e.origin,
            other.map_or(v, |(at, _)| at),
            "a test needs a src".into(),
            "name the user, group, tag, host or IP the test is about",
        ),
    }
    if let Some(p) = field(v, "proto")
        && let Some(name) = p.as_str()
        && let Err(why) = parse_protocol(&name)
    {
        ctx.report(Code::InvalidProtocol, e.origin, p, why, "use a protocol name such as tcp or udp, or its number");
    }
    let lists: Vec<_> = ["accept", "allow", "deny"].into_iter().filter_map(|k| field(v, k)).collect();
    if lists.iter().all(|l| strings(l).is_empty()) {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            v,
            "a test needs accept or deny destinations".into(),
            "add \"accept\": [\"tag:web:443\"] or \"deny\": [...]",
        );
    }
    for list in lists {
        for (dst, at) in strings(list) {
            test_destination(ctx, e, at, &dst);
        }
    }
}

fn test_destination(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, at: &crate::parse::Value, dst: &str) {
    let Ok((host, port)) = split_host_ports(dst.trim()) else {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            at,
            format!("test destination {dst:?} has no port"),
            "write one host and one port, e.g. tag:web:443",
        );
        return;
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
        return;
    }
    match classify(host) {
        Selector::Cidr(..) => {
            ctx.report(
                Code::InvalidTest,
                e.origin,
                at,
                format!("test destination {host:?} is a CIDR"),
                "tests name one address: a user, tag, host or IP (even /32 is rejected)",
            );
            return;
        }
        Selector::Host(name) => {
            if let Some(value) = ctx.view.host(name)
                && parse_cidr(value).is_some_and(|(ip, len)| len < if ip.is_ipv4() { 32 } else { 128 })
            {
                ctx.report(
                    Code::InvalidTest,
                    e.origin,
                    at,
                    format!("test destination {name:?} is a host whose value {value:?} covers more than one address"),
                    "test a single address inside that range instead",
                );
                return;
            }
        }
        _ => {}
    }
    selectors::check(ctx, e.origin, at, host, Place::TestDst);
}

fn ssh_test(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    let v = e.value;
    match field(v, "src").map(|s| (s, s.as_str())) {
        Some((at, Some(src))) if !src.trim().is_empty() => {
            if let Selector::Autogroup(_) | Selector::Wildcard = classify(&src) {
                ctx.report(
                    Code::InvalidTest,
                    e.origin,
                    at,
                    format!("SSH tests src contains disallowed element {src:?}"),
                    "name one user, tag, host or IP",
                );
            } else {
                selectors::check(ctx, e.origin, at, &src, Place::SshTestSrc);
            }
        }
        other => ctx.report(
            Code::InvalidTest,
            e.origin,
            other.map_or(v, |(at, _)| at),
            "an SSH test needs a src".into(),
            "name the user the test is about",
        ),
    }
    for (dst, at) in field(v, "dst").map(strings).unwrap_or_default() {
        let sel = classify(&dst);
        match sel {
            Selector::Tag(name) if name.contains(':') => ctx.report(
                Code::InvalidTest,
                e.origin,
                at,
                format!("SSH tests dst contains unknown tag {dst:?}"),
                "SSH test destinations have no port: write the tag alone",
            ),
            Selector::Ip(std::net::IpAddr::V6(_)) => ctx.report(
                Code::InvalidTest,
                e.origin,
                at,
                format!("SSH test destination {dst:?} is a bare IPv6 address, which Tailscale's test runner fails"),
                "name the device by tag or host alias instead",
            ),
            Selector::Cidr(..) | Selector::Autogroup("internet") => ctx.report(
                Code::InvalidTest,
                e.origin,
                at,
                format!("SSH tests dst contains disallowed element {dst:?}"),
                "name one device: a tag, user, host or IP address",
            ),
            // A host alias for a range is the range: refused like a CIDR (sshtest-malformed-dst-cidr).
            Selector::Host(h)
                if ctx.view.host(h).is_some_and(|v| {
                    crate::model::selector::parse_cidr(v)
                        .is_some_and(|(ip, len)| len < if ip.is_ipv4() { 32 } else { 128 })
                }) =>
            {
                ctx.report(
                    Code::InvalidTest,
                    e.origin,
                    at,
                    format!("SSH tests dst contains disallowed element {dst:?} (a host alias for a range)"),
                    "name one device: a tag, user, host or IP address",
                );
            }
            _ => {
                selectors::check(ctx, e.origin, at, &dst, Place::SshTestDst);
            }
        }
    }
    if field(v, "dst").is_none_or(|d| strings(d).is_empty()) {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            field(v, "dst").unwrap_or(v),
            "an SSH test needs a dst".into(),
            "name the device the test is about: a tag, user, host or IP",
        );
    }
    let lists: Vec<_> = ["accept", "check", "deny"].into_iter().filter_map(|k| field(v, k)).collect();
    if lists.iter().all(|l| strings(l).is_empty()) {
        ctx.report(
            Code::InvalidTest,
            e.origin,
            v,
            "an SSH test needs accept, check or deny logins".into(),
            "add \"accept\": [\"root\"] or similar",
        );
    }
    for list in lists {
        for (login, at) in strings(list) {
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
    }
}
