//! The named definitions: groups, tag owners, hosts, IP sets, postures, auto-approvers and
//! node attributes.

use super::{Ctx, Place, selectors};
use crate::finding::Code;
use crate::load::view::{Named, strings};
use crate::model::power::Approves;
use crate::model::rule::{Kind, Section};
use crate::model::selector::{Selector, check_tag_name, classify, parse_cidr};

pub(super) fn check(ctx: &mut Ctx<'_, '_>) {
    groups(ctx);
    tag_owners(ctx);
    hosts(ctx);
    ipsets(ctx);
    postures(ctx);
    auto_approvers(ctx);
    node_attrs(ctx);
}

fn groups(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for g in &view.groups {
        require_prefix(ctx, g, "group", Code::InvalidGroupName);
        for m in &g.sels {
            match m.kind {
                Kind::Group => ctx.report(
                    Code::NestedGroup,
                    g.origin,
                    m.at,
                    format!("groups[{:?}]: {:?}: group members cannot be recursive", g.name, m.raw()),
                    "list that group's members here instead, or use both groups in the rules",
                ),
                Kind::User => {}
                _ => ctx.report(
                    Code::InvalidGroupMember,
                    g.origin,
                    m.at,
                    format!("group members must be users (user@domain), got: {:?}", m.raw()),
                    "tags, autogroups and addresses go in rules, not in groups",
                ),
            }
        }
    }
}

/// Names of groups, IP sets and postures carry their kind as a prefix (`group:eng`).
fn require_prefix(ctx: &mut Ctx<'_, '_>, def: &Named<'_>, kind: &str, code: Code) {
    if !def.name.starts_with(&format!("{kind}:")) {
        ctx.report(
            code,
            def.origin,
            def.key,
            format!("{kind} must start with '{kind}:', got: {:?}", def.name),
            format!("rename it to \"{kind}:{}\"", def.name),
        );
    }
}

fn tag_owners(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for t in &view.tag_owners {
        if let Err(why) = check_tag_name(&t.name) {
            ctx.report(
                Code::InvalidTagName,
                t.origin,
                t.key,
                format!("tagOwners[{:?}]: {why}", t.name),
                "tag names are `tag:` then a letter, then letters, digits and dashes",
            );
        }
        for owner in &t.sels {
            match owner.kind {
                Kind::User | Kind::Group | Kind::Tag | Kind::Autogroup | Kind::UserDomain => {
                    selectors::check_sel(ctx, t.origin, owner, Place::TagOwner);
                }
                _ => ctx.report(
                    Code::InvalidTagOwner,
                    t.origin,
                    owner.at,
                    format!("{:?} cannot own a tag", owner.raw()),
                    "tag owners are users, groups, tags and autogroups",
                ),
            }
        }
    }
}

fn hosts(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for h in &view.hosts {
        if h.name.contains('@') {
            ctx.report(
                Code::InvalidHost,
                h.origin,
                h.key,
                format!("host names cannot include an @, please change the name for {:?}", h.name),
                "names with @ are read as users",
            );
        }
        let Some(address) = h.sels.first() else { continue };
        // One address or prefix, without spaces around it.
        let value = address.raw();
        let ok = *value == *address.text && matches!(address.kind, Kind::Ip(_) | Kind::Cidr(..));
        if !ok {
            ctx.report(
                Code::InvalidHost,
                h.origin,
                h.value,
                format!("hostname contains invalid IP address: hostname {:?} address {value:?}", h.name),
                "a host is one IP address (100.64.0.5) or a CIDR (10.0.0.0/24)",
            );
        }
    }
}

fn ipsets(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for s in &view.ipsets {
        require_prefix(ctx, s, "ipset", Code::InvalidIpset);
        for (entry, at) in strings(s.value) {
            let target = match entry.split_once(' ') {
                Some(("add" | "remove", rest)) => rest.trim(),
                Some((op, _)) => {
                    ctx.report(
                        Code::InvalidIpset,
                        s.origin,
                        at,
                        format!("unknown ipset operation {op:?}"),
                        "operations are `add` and `remove`",
                    );
                    continue;
                }
                None => &*entry,
            };
            let sel = classify(target);
            let ok = match &sel {
                Selector::Ip(_) | Selector::Cidr(..) | Selector::Range => true,
                Selector::Autogroup("internet") => true,
                Selector::HostRef(h) => ctx.view.host(h).is_some(),
                Selector::Ipset(_) => ctx.view.ipset_defined(target),
                _ => false,
            };
            if !ok {
                ctx.report(
                    Code::InvalidIpset,
                    s.origin,
                    at,
                    format!("{target:?} cannot be part of an IP set"),
                    "IP sets hold addresses, CIDRs, ranges, host:NAME, ipset:NAME and autogroup:internet (all defined)",
                );
            }
        }
    }
}

fn postures(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for p in &view.postures {
        require_prefix(ctx, p, "posture", Code::InvalidPosture);
        for cond in &p.conditions {
            if !posture_condition_ok(&cond.text) {
                ctx.report(
                    Code::InvalidPosture,
                    p.origin,
                    cond.at,
                    format!("posture condition {:?} is not `attribute OPERATOR value`", cond.text),
                    "for example \"node:os IN ['macos', 'linux']\" or \"custom:managed == true\"",
                );
            }
        }
    }
    // Every srcPosture and defaultSrcPosture reference names a defined posture.
    let rules = [Section::Acls, Section::Grants, Section::Ssh].into_iter().flat_map(|s| view.rules(s));
    let lists = rules.filter_map(|(e, r)| Some((e.origin, r.src_posture.as_deref()?)));
    let lists: Vec<_> = lists.chain(view.default_src_posture.iter().map(|d| (d.origin, &d.postures[..]))).collect();
    for (origin, list) in lists {
        for p in list {
            match p.kind {
                Kind::Posture if view.posture_defined(&p.text) => {}
                Kind::Posture => ctx.report(
                    Code::InvalidPosture,
                    origin,
                    p.at,
                    format!("posture not found: {:?}", p.raw()),
                    "define it in postures",
                ),
                _ => ctx.report(
                    Code::InvalidPosture,
                    origin,
                    p.at,
                    format!("{:?} is not a posture", p.raw()),
                    "srcPosture lists posture:NAME entries",
                ),
            }
        }
    }
}

/// `ATTR OP VALUE`, or a bare attribute (read as "is true").
fn posture_condition_ok(cond: &str) -> bool {
    let cond = cond.trim();
    let attr_ok = |a: &str| a.contains(':') && !a.contains(' ') && !a.is_empty();
    for op in [" NOT IN ", " IN ", "==", "!=", "<=", ">=", "<", ">"] {
        if let Some((attr, value)) = cond.split_once(op) {
            return attr_ok(attr.trim()) && !value.trim().is_empty();
        }
    }
    attr_ok(cond)
}

fn auto_approvers(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for (e, lists) in view.auto_approvers() {
        // The first spelling of each key, as the shape check reads it: routes and services are
        // maps of lists, exitNode a list. Routes first, then exit nodes, then services.
        let read = |approves: Approves, map: bool| {
            lists.iter().filter(move |l| l.approves == approves && l.first_spelling && l.entry.is_some() == map)
        };
        for r in read(Approves::Routes, true) {
            let Some(key) = r.entry else { continue };
            let Some(route) = key.as_str() else { continue };
            if parse_cidr(&route).is_none() {
                ctx.report(
                    Code::InvalidAutoApprover,
                    e.origin,
                    key,
                    format!("route {route:?} is not a CIDR"),
                    "write routes as CIDRs, e.g. 10.0.0.0/8",
                );
            }
            for approver in &r.approvers {
                selectors::check_sel(ctx, e.origin, approver, Place::AutoApprover);
            }
        }
        for l in read(Approves::ExitNode, false).chain(read(Approves::Services, true)) {
            for approver in &l.approvers {
                selectors::check_sel(ctx, e.origin, approver, Place::AutoApprover);
            }
        }
    }
}

fn node_attrs(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for (e, na) in view.node_attrs() {
        for t in &na.targets {
            selectors::check_sel(ctx, e.origin, t, Place::NodeAttrTarget);
        }
        for (cidr, at) in &na.ip_pool {
            let at = *at;
            let Some((ip, len)) = parse_cidr(cidr) else {
                ctx.report(
                    Code::InvalidNodeAttr,
                    e.origin,
                    at,
                    format!("ipPool {cidr:?} is not a CIDR"),
                    "write it like 100.80.0.0/16",
                );
                continue;
            };
            let inside_cgnat = matches!(ip, std::net::IpAddr::V4(v4) if (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64) && len >= 10);
            let reserved = matches!(ip, std::net::IpAddr::V4(v4) if v4.octets()[0] == 100 && v4.octets()[1] == 100 && v4.octets()[2] == 100);
            if !inside_cgnat || reserved {
                ctx.report(
                    Code::InvalidNodeAttr,
                    e.origin,
                    at,
                    format!("IPPool({cidr}): network must lie in 100.64.0.0/10, outside the reserved 100.100.100.0/24"),
                    "choose a range such as 100.80.0.0/16",
                );
            }
        }
        if let Some(app) = na.app {
            super::network::check_capabilities(ctx, e.origin, app, false);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn posture_conditions() {
        for ok in
            ["node:os IN ['macos', 'linux']", "custom:managed == true", "node:tsVersion >= '1.60'", "node:tsAutoUpdate"]
        {
            assert!(super::posture_condition_ok(ok), "{ok}");
        }
        for bad in ["", "os is mac", "== true"] {
            assert!(!super::posture_condition_ok(bad), "{bad}");
        }
    }
}
