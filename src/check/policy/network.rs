//! ACLs and grants: actions, sources, destinations with ports, protocols, `ip` and `app`.

use super::{Ctx, Place, selectors};
use crate::finding::Code;
use crate::load::view::{Entry, strings};
use crate::model::rule::{Rule, Section, Sel};
use crate::model::selector::{
    Selector, parse_ip_spec, parse_ports, parse_protocol, protocol_has_ports, split_host_ports,
};
use crate::parse::{Node, Object, Value};

pub(super) fn check(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for (e, r) in view.rules(Section::Acls) {
        acl(ctx, e, r);
    }
    for (e, r) in view.rules(Section::Grants) {
        grant(ctx, e, r);
    }
}

/// An ACL, one check per code.
fn acl(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    acl_action(ctx, e, r);
    super::tests::legacy_twins(ctx, e, &[("users", "src"), ("ports", "dst")]);
    sources(ctx, e, r, Place::Src);
    let proto = acl_protocol(ctx, e, r);
    let Some(dst) = r.dst_list else { return };
    // As written: TG113 and TG127 quote the `host:ports` text, spaces and all.
    let dsts = strings(dst);
    if dsts.is_empty() && r.src_list.is_some() {
        empty_destinations(ctx, e, dst, "rule");
    }
    let mut has_self = false;
    for (d, at) in dsts {
        let Some((host, ports)) = acl_ports(ctx, e, &d, at) else { continue };
        let sel = selectors::check(ctx, e.origin, at, host, Place::Dst);
        has_self |= sel == Selector::Autogroup("self");
        if ports != "*" {
            ports_of_a_portless_protocol(ctx, e, host, proto.as_ref());
        }
    }
    if has_self {
        self_sources(ctx, e, &r.sources, true);
    }
}

/// TG115 `invalid-action`: an ACL's action is `accept`, in lower case.
fn acl_action(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    let v = e.value;
    match r.action.map(|a| (a, a.as_str())) {
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
}

/// An ACL's `proto`: where it is written, its text, and its number when it has one.
type Proto<'v> = (&'v Value, String, Option<u8>);

/// TG114 `invalid-protocol`: `proto` is a protocol name or an IANA number.
fn acl_protocol<'v>(ctx: &mut Ctx<'_, '_>, e: Entry<'v>, r: &Rule<'v>) -> Option<Proto<'v>> {
    let (at, p) = r.proto.and_then(|p| Some((p, p.as_str()?)))?;
    let number = match parse_protocol(&p) {
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
    };
    Some((at, p, number))
}

/// TG113 `invalid-port`: an ACL destination is `host:ports`, the ports `*`, `N`, `N-M` or a
/// list of those. Returns the host and the ports when they are valid.
fn acl_ports<'d>(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, d: &'d str, at: &Value) -> Option<(&'d str, &'d str)> {
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
            return None;
        }
    };
    // The ports first, as Tailscale parses them first: `autogroup:self` without a port is
    // a bad port list ("self"), not an undefined host `autogroup` (capture acl-err03).
    if let Err(why) = parse_ports(ports) {
        ctx.report(
            Code::InvalidPort,
            e.origin,
            at,
            format!("dst={:?}: {why}", d.trim()),
            "ports are *, N, N-M or a comma list of those (a destination always has a port)",
        );
        return None;
    }
    Some((host, ports))
}

/// TG114 `invalid-protocol`: a protocol without ports (ICMP, GRE…) takes only `host:*`.
fn ports_of_a_portless_protocol(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, host: &str, proto: Option<&Proto<'_>>) {
    if let Some((at, p, Some(n))) = proto
        && !protocol_has_ports(*n)
    {
        ctx.report(
            Code::InvalidProtocol,
            e.origin,
            at,
            format!("protocol does not support specific ports: {p:?}, only \"*\" is allowed"),
            format!("write the destination as {host}:*"),
        );
    }
}

/// A grant, one check per code.
fn grant(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    sources(ctx, e, r, Place::Src);
    let (mut has_self, mut internet) = (false, false);
    if let Some(dst) = r.dst_list {
        if r.destinations.is_empty() && r.src_list.is_some() {
            empty_destinations(ctx, e, dst, "grant");
        }
        for d in &r.destinations {
            if all_addresses_cidr(ctx, e, &d.sel) {
                continue;
            }
            let sel = selectors::check_sel(ctx, e.origin, &d.sel, Place::Dst);
            has_self |= sel == Selector::Autogroup("self");
            internet |= sel == Selector::Autogroup("internet");
        }
    }
    grant_ip(ctx, e, r);
    grant_app(ctx, e, r, internet);
    grant_without_access(ctx, e, r);
    for t in &r.via {
        selectors::check_sel(ctx, e.origin, t, Place::Via);
    }
    if has_self {
        self_sources(ctx, e, &r.sources, false);
    }
}

/// TG119 `all-addresses-cidr`: a grant destination of every address written as a /0, in any
/// spelling: `::0/0`, `1.2.3.4/0`, or a host alias for one (the captured rejections
/// grant-v04/v05/v08 are of `0.0.0.0/0` and `::/0`; the rest is the same prefix written
/// otherwise). Returns whether it was one.
fn all_addresses_cidr(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, d: &Sel<'_>) -> bool {
    let zero = |s: &str| crate::model::selector::parse_cidr(s).is_some_and(|(_, len)| len == 0);
    let alias_zero = match d.selector() {
        Selector::Host(h) => ctx.view.host(h).is_some_and(zero),
        _ => false,
    };
    if !(zero(&d.text) || alias_zero) {
        return false;
    }
    ctx.report(
        Code::AllAddressesCidr,
        e.origin,
        d.at,
        format!("dst {:?}: to allow all IP addresses, use \"*\" or \"autogroup:internet\"", d.text),
        "write \"*\" for every address, or \"autogroup:internet\" for the internet through exit nodes",
    );
    true
}

/// TG113 `invalid-port` and TG114 `invalid-protocol`: each `ip` entry is `*`, `PORTS`,
/// `PROTO:PORTS` or `PROTO:*`.
fn grant_ip(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    for (spec, at) in r.ip.map(strings).unwrap_or_default() {
        if let Err(why) = parse_ip_spec(&spec) {
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
}

fn app_object<'v>(r: &Rule<'v>) -> Option<(&'v Value, &'v Object)> {
    let app = r.app?;
    match &app.node {
        Node::Object(o) => Some((app, o)),
        _ => None,
    }
}

/// TG118 `invalid-app-capability`: capability names, and no app grants to the internet.
fn grant_app(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>, internet: bool) {
    let Some((app, o)) = app_object(r) else { return };
    check_capabilities(ctx, e.origin, o, true);
    if internet && !o.members.is_empty() {
        ctx.report(
            Code::InvalidAppCapability,
            e.origin,
            app,
            "cannot use app grants with autogroup:internet".into(),
            "grant app capabilities to devices, not to the internet",
        );
    }
}

/// TG116 `grant-without-access`: a grant needs `ip` or `app`.
fn grant_without_access(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    let v = e.value;
    let ip = r.ip;
    let no_ip = ip.map(strings).unwrap_or_default().is_empty();
    let no_app = app_object(r).is_none_or(|(_, o)| o.members.is_empty());
    if no_ip && no_app {
        let at = ip.or(r.app).unwrap_or(v);
        ctx.report(
            Code::GrantWithoutAccess,
            e.origin,
            at,
            "ip and app can not both be empty".into(),
            "add \"ip\": [\"tcp:443\"] (or the ports needed), or app capabilities",
        );
    }
}

/// TG126 `empty-rule`: a rule with sources but no destinations is accepted by Tailscale, but it allows nothing.
fn empty_destinations(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, dst: &Value, what: &str) {
    ctx.report(
        Code::EmptyRule,
        e.origin,
        dst,
        format!("this {what} has no destinations, so it allows nothing"),
        format!("add destinations or remove the {what}"),
    );
}

/// Checks each source.
fn sources(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>, place: Place) {
    let Some(src) = r.src_list else { return };
    if r.sources.is_empty() {
        ctx.report(
            Code::EmptyRule,
            e.origin,
            src,
            "this rule has no sources, so it allows nothing".into(),
            "add sources or remove the rule",
        );
    }
    for s in &r.sources {
        selectors::check_sel(ctx, e.origin, s, place);
    }
}

/// TG117 `invalid-self-destination`: `autogroup:self` as a destination only makes sense for sources that are people.
fn self_sources(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, sources: &[Sel<'_>], acl: bool) {
    for s in sources {
        let ok = match s.selector() {
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
                s.at,
                format!(
                    "autogroup:self can only be used with users, groups, or supported autogroups, not {:?}",
                    s.raw()
                ),
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
pub(super) fn check_capabilities(
    ctx: &mut Ctx<'_, '_>,
    origin: crate::load::view::Origin<'_>,
    app: &Object,
    grant: bool,
) {
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
