//! ACLs and grants: actions, sources, destinations with ports, protocols, `ip` and `app`.

use super::{Ctx, Place, selectors};
use crate::finding::Code;
use crate::load::view::{Entry, field, strings};
use crate::model::rule::{self, Section};
use crate::model::selector::{
    Selector, parse_ip_spec, parse_ports, parse_protocol, protocol_has_ports, split_host_ports,
};
use crate::parse::{Node, Object, Value};
use std::borrow::Cow;

pub fn check(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for e in &view.acls {
        acl(ctx, *e);
    }
    for e in &view.grants {
        grant(ctx, *e);
    }
}

fn acl(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    let v = e.value;
    match field(v, "action").map(|a| (a, a.as_str())) {
        Some((_, Some(a))) if a == "accept" => {}
        Some((at, Some(a))) => {
            let help = if a.eq_ignore_ascii_case("accept") {
                "values are case-sensitive: write \"accept\"".to_owned()
            } else {
                "ACLs only accept: anything no rule allows is denied".to_owned()
            };
            ctx.report(Code::InvalidAction, e.origin, at, format!("action={a:?} is not supported"), help);
        }
        _ => ctx.report(
            Code::InvalidAction,
            e.origin,
            v,
            "action must be specified".into(),
            "add \"action\": \"accept\"",
        ),
    }
    super::tests::legacy_twins(ctx, e, &[("users", "src"), ("ports", "dst")]);
    let src = rule::sources(Section::Acls, v);
    let dst = rule::destinations(Section::Acls, v);
    let sources = sources(ctx, e, src, Place::Src);
    let proto = field(v, "proto").and_then(|p| Some((p, p.as_str()?)));
    let proto_num = match &proto {
        Some((at, p)) => match parse_protocol(p) {
            Ok(n) => Some(n),
            Err(why) => {
                ctx.report(
                    Code::InvalidProtocol,
                    e.origin,
                    at,
                    why,
                    "use a protocol name such as tcp, udp, icmp, or its IANA number",
                );
                None
            }
        },
        None => None,
    };
    let mut has_self = false;
    let Some(dst) = dst else { return };
    let dsts = strings(dst);
    if dsts.is_empty() && src.is_some() {
        empty_destinations(ctx, e, dst, "rule");
    }
    for (d, at) in dsts {
        let (host, ports) = match split_host_ports(d.trim()) {
            Ok(hp) => hp,
            Err(why) => {
                ctx.report(
                    Code::InvalidPort,
                    e.origin,
                    at,
                    why,
                    "ACL destinations are host:ports, e.g. tag:web:443 or tag:web:*",
                );
                continue;
            }
        };
        // The ports first, as Tailscale parses them first: `autogroup:self` without a port is
        // a bad port list ("self"), not an undefined host `autogroup` (capture acl-err03).
        let parsed = parse_ports(ports);
        if let Err(why) = &parsed {
            ctx.report(
                Code::InvalidPort,
                e.origin,
                at,
                format!("dst={:?}: {why}", d.trim()),
                "ports are *, N, N-M or a comma list of those (a destination always has a port)",
            );
            continue;
        }
        let sel = selectors::check(ctx, e.origin, at, host, Place::Dst);
        has_self |= sel == Selector::Autogroup("self");
        match parsed {
            Err(_) => {}
            Ok(_) if ports != "*" => {
                if let (Some(n), Some((pat, p))) = (proto_num, &proto)
                    && !protocol_has_ports(n)
                {
                    ctx.report(
                        Code::InvalidProtocol,
                        e.origin,
                        pat,
                        format!("protocol does not support specific ports: {p:?}, only \"*\" is allowed"),
                        format!("write the destination as {host}:*"),
                    );
                }
            }
            Ok(_) => {}
        }
    }
    if has_self {
        self_sources(ctx, e, &sources, true);
    }
}

fn grant(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    let v = e.value;
    let src = field(v, "src");
    let sources = sources(ctx, e, src, Place::Src);
    let mut has_self = false;
    let mut internet = false;
    if let Some(dst) = field(v, "dst") {
        let dsts = strings(dst);
        if dsts.is_empty() && src.is_some() {
            empty_destinations(ctx, e, dst, "grant");
        }
        for (d, at) in dsts {
            // Every spelling of a /0: `::0/0`, `1.2.3.4/0`, or a host alias for one (the captured
            // rejections grant-v04/v05/v08 are of `0.0.0.0/0` and `::/0`; the rest is the same
            // prefix written otherwise).
            let zero = |s: &str| crate::model::selector::parse_cidr(s).is_some_and(|(_, len)| len == 0);
            let alias_zero = match crate::model::selector::classify(d.trim()) {
                Selector::Host(h) => ctx.view.host(h).is_some_and(zero),
                _ => false,
            };
            if zero(d.trim()) || alias_zero {
                ctx.report(
                    Code::AllAddressesCidr,
                    e.origin,
                    at,
                    format!("dst {:?}: to allow all IP addresses, use \"*\" or \"autogroup:internet\"", d.trim()),
                    "write \"*\" for every address, or \"autogroup:internet\" for the internet through exit nodes",
                );
                continue;
            }
            let sel = selectors::check(ctx, e.origin, at, &d, Place::Dst);
            has_self |= sel == Selector::Autogroup("self");
            internet |= sel == Selector::Autogroup("internet");
        }
    }
    let ip = field(v, "ip");
    let ips = ip.map(strings).unwrap_or_default();
    for (spec, at) in &ips {
        if let Err(why) = parse_ip_spec(spec) {
            let code = if why.contains("port") && !why.contains("protocol does not") {
                Code::InvalidPort
            } else {
                Code::InvalidProtocol
            };
            ctx.report(
                code,
                e.origin,
                at,
                why,
                "ip entries are *, PORTS, PROTO:PORTS or PROTO:*, e.g. tcp:443 or icmp:*",
            );
        }
    }
    let app = field(v, "app");
    let app_obj = app.and_then(|a| match &a.node {
        Node::Object(o) => Some(o),
        _ => None,
    });
    if let Some(o) = app_obj {
        check_capabilities(ctx, e.origin, o, true);
        if internet && !o.members.is_empty() {
            ctx.report(
                Code::InvalidAppCapability,
                e.origin,
                app.unwrap_or(v),
                "cannot use app grants with autogroup:internet".into(),
                "grant app capabilities to devices, not to the internet",
            );
        }
    }
    let app_empty = app_obj.is_none_or(|o| o.members.is_empty());
    if ips.is_empty() && app_empty {
        let at = ip.or(app).unwrap_or(v);
        ctx.report(
            Code::GrantWithoutAccess,
            e.origin,
            at,
            "ip and app can not both be empty".into(),
            "add \"ip\": [\"tcp:443\"] (or the ports needed), or app capabilities",
        );
    }
    if let Some(via) = field(v, "via") {
        for (t, at) in strings(via) {
            selectors::check(ctx, e.origin, at, &t, Place::Via);
        }
    }
    if has_self {
        self_sources(ctx, e, &sources, false);
    }
}

/// A rule with sources but no destinations: accepted by Tailscale, but it allows nothing.
fn empty_destinations(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, dst: &Value, what: &str) {
    ctx.report(
        Code::EmptyRule,
        e.origin,
        dst,
        format!("this {what} has no destinations, so it allows nothing"),
        format!("add destinations or remove the {what}"),
    );
}

/// Checks each source and returns them for the autogroup:self pairing rule.
fn sources<'v>(
    ctx: &mut Ctx<'_, '_>,
    e: Entry<'v>,
    src: Option<&'v Value>,
    place: Place,
) -> Vec<(Cow<'v, str>, &'v Value)> {
    let Some(src) = src else { return Vec::new() };
    let list = strings(src);
    if list.is_empty() {
        ctx.report(
            Code::EmptyRule,
            e.origin,
            src,
            "this rule has no sources, so it allows nothing".into(),
            "add sources or remove the rule",
        );
    }
    for (s, at) in &list {
        selectors::check(ctx, e.origin, at, s, place);
    }
    list
}

/// `autogroup:self` as a destination only makes sense for sources that are people.
fn self_sources(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, sources: &[(Cow<'_, str>, &Value)], acl: bool) {
    for (s, at) in sources {
        let ok = match crate::model::selector::classify(s) {
            Selector::User(_) | Selector::Group(_) | Selector::UserDomain(_) => true,
            Selector::Autogroup(a) => {
                matches!(a, "member" | "members") || crate::model::selector::ROLE_AUTOGROUPS.contains(&a)
            }
            // The control plane accepts `*` with autogroup:self in ACLs, not in grants.
            Selector::Wildcard => acl,
            _ => false,
        };
        if !ok {
            ctx.report(
                Code::InvalidSelfDestination,
                e.origin,
                at,
                format!("autogroup:self can only be used with users, groups, or supported autogroups, not {s:?}"),
                "put this source in a separate rule without autogroup:self",
            );
        }
    }
}

/// The `tailscale.com/` capabilities the control plane lets policies grant.
const GRANTABLE_TAILSCALE_CAPS: &[&str] = &[
    "drive",
    "relay",
    "webui",
    "kubernetes",
    "tsidp",
    "secrets",
    "tailsql",
    "golink",
    "file-sharing-target",
    "debug-peer",
];

/// Capability names are `domain/path`; in grants, Tailscale's own domain is reserved (node
/// attributes use some of its capabilities, such as `tailscale.com/app-connectors`).
pub fn check_capabilities(ctx: &mut Ctx<'_, '_>, origin: crate::load::view::Origin<'_>, app: &Object, grant: bool) {
    for m in &app.members {
        let Some(name) = m.name.as_str() else { continue };
        if name.contains("://") || !name.contains('/') || name.starts_with('/') {
            ctx.report(
                Code::InvalidAppCapability,
                origin,
                &m.name,
                format!("capability name must have the form {{domain}}/{{path}}, got {name:?}"),
                "write it without a scheme, e.g. example.com/cap/dashboard",
            );
        } else if grant && let Some(rest) = name.strip_prefix("tailscale.com/") {
            let cap = rest.strip_prefix("cap/").unwrap_or(rest);
            if !GRANTABLE_TAILSCALE_CAPS.contains(&cap) {
                ctx.report(
                    Code::InvalidAppCapability,
                    origin,
                    &m.name,
                    format!("capability name must not be in the tailscale.com domain: {name:?}"),
                    "Tailscale reserves its own capabilities; only a few (drive, relay, webui, kubernetes, …) can be granted",
                );
            }
        }
    }
}
