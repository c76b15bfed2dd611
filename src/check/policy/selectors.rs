//! Selectors in context: is each name defined, well-formed, and allowed where it is used?

use super::Ctx;
use crate::finding::Code;
use crate::load::view::Origin;
use crate::model::rule::Sel;
use crate::model::selector::{AUTOGROUPS, ROLE_AUTOGROUPS, Selector, check_tag_name, classify};
use crate::parse::Value;

/// Where a selector appears; legality differs by place (Tailscale's "targets and selectors").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Src,
    Dst,
    SshSrc,
    SshDst,
    NodeAttrTarget,
    TagOwner,
    AutoApprover,
    Via,
    TestSrc,
    TestDst,
    SshTestSrc,
    SshTestDst,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Src => "a rule source",
            Place::Dst => "a rule destination",
            Place::SshSrc => "an SSH source",
            Place::SshDst => "an SSH destination",
            Place::NodeAttrTarget => "a nodeAttrs target",
            Place::TagOwner => "a tag owner",
            Place::AutoApprover => "an auto-approver",
            Place::Via => "a grant's via",
            Place::TestSrc => "a test source",
            Place::TestDst => "a test destination",
            Place::SshTestSrc => "an SSH test source",
            Place::SshTestDst => "an SSH test destination",
        }
    }
}

/// Checks one selector string at `place`, one check per code: well-formed, defined, and
/// allowed there. Returns the classification for rules that need more (ports, autogroup:self
/// pairing).
pub(super) fn check<'s>(
    ctx: &mut Ctx<'_, '_>,
    origin: Origin<'_>,
    at: &Value,
    raw: &'s str,
    place: Place,
) -> Selector<'s> {
    let text = surrounding_whitespace(ctx, origin, at, raw);
    judge(ctx, origin, at, text, classify(text), place)
}

/// [`check`] for a selector of a rule, classified when the rule was read.
pub(super) fn check_sel<'s>(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, sel: &'s Sel<'_>, place: Place) -> Selector<'s> {
    check_written(ctx, origin, &sel.raw(), sel, place)
}

/// [`check_sel`] for a selector cut out of a longer text (an ACL test destination's host),
/// `written` as it stands there, spaces and all.
pub(super) fn check_written<'s>(
    ctx: &mut Ctx<'_, '_>,
    origin: Origin<'_>,
    written: &str,
    sel: &'s Sel<'_>,
    place: Place,
) -> Selector<'s> {
    surrounding_whitespace(ctx, origin, sel.at, written);
    judge(ctx, origin, sel.at, &sel.text, sel.selector(), place)
}

/// Whether `text`, a selector `sel`, is well-formed, defined and allowed at `place`.
fn judge<'s>(
    ctx: &mut Ctx<'_, '_>,
    origin: Origin<'_>,
    at: &Value,
    text: &str,
    sel: Selector<'s>,
    place: Place,
) -> Selector<'s> {
    // A selector that is malformed or names nothing is not judged by where it stands.
    let judged = match &sel {
        Selector::Tag(_) => {
            let valid = !invalid_tag_name(ctx, origin, at, text);
            if valid {
                undefined_tag(ctx, origin, at, text);
            }
            valid
        }
        Selector::Group(name) => {
            undefined_group(ctx, origin, at, text, name);
            true
        }
        Selector::Autogroup(name) => {
            let known = !unknown_autogroup(ctx, origin, at, text, name);
            if known {
                legacy_autogroup(ctx, origin, at, name);
            }
            known
        }
        Selector::UserDomain(domain) => check_domain(ctx, origin, at, &format!("*@{domain}")),
        Selector::Ipset(_) => {
            undefined_ipset(ctx, origin, at, text);
            true
        }
        Selector::Host(name) => !undefined_host(ctx, origin, at, text, name, place),
        _ => true,
    };
    if judged && !ssh_source_address(ctx, origin, at, text, &sel, place) {
        not_allowed(ctx, origin, at, text, &sel, place);
    }
    sel
}

/// TG127 `whitespace-in-selector`: spaces around a selector. Returns the selector without them.
fn surrounding_whitespace<'s>(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, raw: &'s str) -> &'s str {
    let text = raw.trim();
    if text != raw {
        ctx.report(
            Code::WhitespaceInSelector,
            origin,
            at,
            format!("{raw:?} has spaces around it"),
            format!("write {text:?}"),
        );
    }
    text
}

/// TG102 `invalid-tag-name`: `tag:` then a letter, then letters, digits and dashes. Returns
/// whether the name was invalid.
fn invalid_tag_name(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, text: &str) -> bool {
    let Err(why) = check_tag_name(text) else { return false };
    ctx.report(
        Code::InvalidTagName,
        origin,
        at,
        format!("{text}: {why}"),
        "tag names are `tag:` then a letter, then letters, digits and dashes",
    );
    true
}

/// TG101 `undefined-tag`: a tag is defined in tagOwners.
fn undefined_tag(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, text: &str) {
    if ctx.view.tag_defined(text) {
        return;
    }
    let help = match closest(text, ctx.view.tag_owners.iter().map(|t| t.name.as_str())) {
        Some(near) => format!("did you mean {near}? Otherwise define {text} in tagOwners"),
        None => format!("define {text} in tagOwners, with who may apply it"),
    };
    ctx.report(Code::UndefinedTag, origin, at, format!("tag not found: {text:?}"), help);
}

/// TG104 `undefined-group`: a group is defined in groups, unless it is synced from an identity
/// provider (`group:x@domain`), which is not in the file.
fn undefined_group(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, text: &str, name: &str) {
    if name.contains('@') || ctx.view.group_defined(text) {
        return;
    }
    let help = match closest(text, ctx.view.groups.iter().map(|g| g.name.as_str())) {
        Some(near) => format!("did you mean {near}?"),
        None => format!("define {text} in groups"),
    };
    ctx.report(Code::UndefinedGroup, origin, at, format!("group not found: {text:?}"), help);
}

/// TG112 `unknown-autogroup`: an autogroup is one Tailscale has. Returns whether it was unknown.
fn unknown_autogroup(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, text: &str, name: &str) -> bool {
    if AUTOGROUPS.contains(&name) {
        return false;
    }
    let help = match closest(name, AUTOGROUPS.iter().copied()) {
        Some(near) => format!("did you mean autogroup:{near}?"),
        None => format!("known autogroups: {}", AUTOGROUPS.join(", ")),
    };
    ctx.report(Code::UnknownAutogroup, origin, at, format!("unknown autogroup {text:?}"), help);
    true
}

/// TG125 `legacy-spelling`: `autogroup:members` still works, a warning.
fn legacy_autogroup(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, name: &str) {
    if name == "members" {
        ctx.report(
            Code::LegacySpelling,
            origin,
            at,
            "autogroup:members is a legacy spelling".into(),
            "write autogroup:member",
        );
    }
}

/// TG110 `invalid-ipset`: an ipset is defined in ipsets.
fn undefined_ipset(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, text: &str) {
    if !ctx.view.ipset_defined(text) {
        ctx.report(Code::InvalidIpset, origin, at, format!("ipset not found: {text:?}"), "define it in ipsets");
    }
}

/// TG108 `undefined-host` and TG131 `undefined-host-in-rule`: a name without a prefix is a host
/// alias defined in hosts (tag owners are checked on their own). Returns whether it was not.
fn undefined_host(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, text: &str, name: &str, place: Place) -> bool {
    if matches!(place, Place::TagOwner) || ctx.view.host(name).is_some() {
        return false;
    }
    // In a rule's sources and destinations Tailscale has accepted such rules and dropped
    // them (#5532); elsewhere the captures show it refuses (`invalid dst`, tests-failed).
    let code = if matches!(place, Place::Src | Place::Dst) { Code::UndefinedHostInRule } else { Code::UndefinedHost };
    ctx.report(
        code,
        origin,
        at,
        format!("{text:?} is not defined in hosts"),
        "names without a prefix are host aliases: define it in hosts, or write tag:NAME, group:NAME or a user@domain",
    );
    true
}

/// TG130 `ssh-source-address`: an address as an SSH source. No capture, document or issue shows
/// Tailscale refusing it (headscale does); a warning, since SSH authorises people and tags, not
/// addresses. Returns whether it was one.
fn ssh_source_address(
    ctx: &mut Ctx<'_, '_>,
    origin: Origin<'_>,
    at: &Value,
    text: &str,
    sel: &Selector<'_>,
    place: Place,
) -> bool {
    if place != Place::SshSrc
        || !matches!(sel, Selector::Ip(_) | Selector::Cidr(..) | Selector::Host(_) | Selector::Wildcard)
    {
        return false;
    }
    ctx.report(
        Code::SshSourceAddress,
        origin,
        at,
        format!("{text:?} is an address as an SSH source; Tailscale SSH authorises users, groups and tags"),
        help_for(place),
    );
    true
}

/// TG111 `selector-not-allowed`: `user:*@D` and `localpart:*@D` must name one of the tailnet's
/// domains, when the config says which they are. Returns false when it reported a finding.
/// Only the `*@DOMAIN` form is a domain expression: other `localpart:` strings are taken
/// as literal logins, and the comparison is case-sensitive (the recorded answers show both).
pub(super) fn check_domain(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, expr: &str) -> bool {
    let Some(domain) = expr.strip_prefix("*@").or_else(|| (!expr.contains('@')).then_some(expr)) else { return true };
    if domain.is_empty() || ctx.view.domains.is_empty() || ctx.view.domains.iter().any(|d| d == domain) {
        return true;
    }
    ctx.report(
        Code::SelectorNotAllowed,
        origin,
        at,
        format!("{domain} is not associated with this Tailnet and cannot be used in user:*@<domain> expressions"),
        format!("the tailnet's domains (tailgrant.hujson \"domains\") are: {}", ctx.view.domains.join(", ")),
    );
    false
}

/// TG111 `selector-not-allowed`: a kind of selector Tailscale refuses at this place.
fn not_allowed(ctx: &mut Ctx<'_, '_>, origin: Origin<'_>, at: &Value, text: &str, sel: &Selector<'_>, place: Place) {
    let Err(why) = allowed(sel, place) else { return };
    let message = if why.is_empty() {
        format!("{text:?} is not allowed as {}", place.describe())
    } else {
        format!("{text:?} is not allowed as {}: {why}", place.describe())
    };
    ctx.report(Code::SelectorNotAllowed, origin, at, message, help_for(place));
}

/// Whether Tailscale accepts this kind of selector at this place. Where the docs and the
/// recorded control-plane answers disagree, the recorded answers win.
fn allowed(sel: &Selector<'_>, place: Place) -> Result<(), &'static str> {
    use Place::*;
    let ok = match sel {
        Selector::Wildcard => matches!(place, Src | Dst | NodeAttrTarget),
        Selector::User(_) => !matches!(place, Via),
        Selector::Group(_) => !matches!(place, SshDst | Via),
        Selector::Tag(_) => true,
        Selector::Autogroup(a) => match *a {
            "member" | "members" => {
                matches!(place, Src | Dst | SshSrc | SshDst | NodeAttrTarget | TagOwner | AutoApprover)
            }
            "tagged" => matches!(place, Src | Dst | SshSrc | SshDst | NodeAttrTarget | TagOwner | AutoApprover),
            "self" => {
                return match place {
                    Src | SshSrc => Err("autogroup:self is only valid as a destination"),
                    Dst | SshDst | TestDst | SshTestDst => Ok(()),
                    _ => Err("autogroup:self is only valid as a destination"),
                };
            }
            "internet" => {
                return match place {
                    Dst => Ok(()),
                    _ => Err("autogroup:internet can only be used in ACL and grant destinations"),
                };
            }
            "danger-all" => {
                return match place {
                    Src => Ok(()),
                    _ => Err("autogroup:danger-all can only be used as a rule source"),
                };
            }
            "shared" => matches!(place, Src),
            "nonroot" => return Err("autogroup:nonroot is only valid in an SSH rule's users"),
            a if ROLE_AUTOGROUPS.contains(&a) => {
                matches!(place, Src | Dst | SshSrc | NodeAttrTarget | TagOwner | AutoApprover)
            }
            _ => true, // unknown autogroups are reported on their own
        },
        Selector::UserDomain(_) => !matches!(place, SshDst | Via),
        Selector::Ip(_) => matches!(place, Src | Dst | NodeAttrTarget | TestSrc | TestDst | SshTestSrc | SshTestDst),
        Selector::Cidr(..) => matches!(place, Src | Dst | NodeAttrTarget),
        Selector::Host(_) => matches!(place, Src | Dst | NodeAttrTarget | TestSrc | TestDst | SshTestSrc | SshTestDst),
        Selector::Ipset(_) => matches!(place, Src | Dst),
        Selector::Service(_) => matches!(place, Dst | AutoApprover | TestDst),
        Selector::Posture(_) => return Err("postures belong in srcPosture"),
        Selector::Range => return Err("address ranges are only valid inside ipsets"),
        Selector::HostRef(_) => return Err("host: references are only valid inside ipsets"),
        Selector::Localpart(_) => return Err("localpart: is only valid in an SSH rule's users"),
    };
    if ok {
        Ok(())
    } else if place == Place::Via {
        Err("via can only be a tag")
    } else {
        Err("")
    }
}

/// What each place accepts: the help of TG111 and TG130.
fn help_for(place: Place) -> &'static str {
    match place {
        Place::SshDst => {
            "SSH destinations are tags, autogroup:self, autogroup:tagged or a user (with that user as the only source)"
        }
        Place::SshSrc => "SSH sources are users, groups, tags and autogroups, not addresses",
        Place::TagOwner => "tag owners are users, groups, tags and autogroups",
        Place::TestSrc | Place::SshTestSrc => "test sources are one user, group, tag, host or IP address",
        Place::TestDst | Place::SshTestDst => "test destinations name one address: a user, tag, host or IP",
        Place::Via => "via lists the tags of the routers traffic must go through",
        _ => "see Tailscale's \"targets and selectors\" documentation for what each place accepts",
    }
}

/// The candidate most like `name`, if it is close enough to be the intended one.
pub(super) fn closest<'c>(name: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
