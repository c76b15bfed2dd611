//! SSH rules: action, sources and destinations (and how they pair), users, checkPeriod.

use super::{Ctx, Place, selectors};
use crate::finding::Code;
use crate::load::view::{Entry, field, strings};
use crate::model::rule::{Kind, Rule, Section, Sel};
use crate::model::selector::{Selector, classify};

pub(super) fn check(ctx: &mut Ctx<'_, '_>) {
    let view = ctx.view;
    for (e, r) in view.rules(Section::Ssh) {
        rule(ctx, e, r);
    }
}

/// An SSH rule, one check per code.
fn rule(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    invalid_action(ctx, e, r);
    let dst: Vec<&Sel<'_>> = r.destinations.iter().map(|d| &d.sel).collect();
    for s in &r.sources {
        selectors::check_sel(ctx, e.origin, s, Place::SshSrc);
    }
    for d in &dst {
        selectors::check_sel(ctx, e.origin, d, Place::SshDst);
    }
    empty_rule(ctx, e, r.sources.is_empty(), dst.is_empty());
    pairing(ctx, e, &r.sources, &dst);
    invalid_users(ctx, e, r);
    invalid_check_period(ctx, e);
}

/// TG115 `invalid-action`: an SSH rule's action is `accept` or `check`, written in lower case.
fn invalid_action(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    let v = e.value;
    match r.action.map(|a| (a, a.as_str().unwrap_or_default())) {
        Some((_, a)) if matches!(a.trim(), "accept" | "check") => {}
        Some((at, a)) if !a.trim().is_empty() => {
            let help = if matches!(a.trim().to_ascii_lowercase().as_str(), "accept" | "check") {
                "values are case-sensitive: write \"accept\" or \"check\""
            } else {
                "SSH rules are \"accept\" or \"check\" (check asks the user to re-authenticate)"
            };
            ctx.report(Code::InvalidAction, e.origin, at, format!("{a:?} is not a valid action"), help);
        }
        other => {
            let at = other.map_or(v, |(at, _)| at);
            ctx.report(
                Code::InvalidAction,
                e.origin,
                at,
                "action must be specified".into(),
                "add \"action\": \"accept\" or \"check\"",
            );
        }
    }
}

/// TG126 `empty-rule`: a rule without sources or destinations allows nothing.
fn empty_rule(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, no_src: bool, no_dst: bool) {
    let v = e.value;
    if no_src || no_dst {
        let at = field(v, if no_src { "src" } else { "dst" }).unwrap_or(v);
        ctx.report(
            Code::EmptyRule,
            e.origin,
            at,
            "this SSH rule has no sources or no destinations, so it allows nothing".into(),
            "add them or remove the rule",
        );
    }
}

/// TG120 `invalid-ssh-users`: logins to allow must be listed, none empty or `*`; `acceptEnv` names
/// cannot be empty.
fn invalid_users(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, r: &Rule<'_>) {
    let v = e.value;
    match r.logins {
        Some(users) if !strings(users).is_empty() => {
            for (u, at) in strings(users) {
                if matches!(u.trim(), "" | "*") {
                    ctx.report(
                        Code::InvalidSshUsers,
                        e.origin,
                        at,
                        format!("user {u:?} is not valid"),
                        "name logins, or use autogroup:nonroot for any login but root",
                    );
                } else if let Selector::Localpart(expr) = classify(&u)
                    && expr.starts_with("*@")
                {
                    selectors::check_domain(ctx, e.origin, at, expr);
                }
            }
        }
        other => ctx.report(
            Code::InvalidSshUsers,
            e.origin,
            other.unwrap_or(v),
            "users must be specified".into(),
            "list the logins allowed, e.g. [\"autogroup:nonroot\"] or [\"root\"]",
        ),
    }
    if let Some(env) = field(v, "acceptEnv") {
        for (name, at) in strings(env) {
            if name.is_empty() {
                ctx.report(
                    Code::InvalidSshUsers,
                    e.origin,
                    at,
                    "acceptEnv values cannot be empty".into(),
                    "name the variables, patterns with * and ? are allowed",
                );
            }
        }
    }
}

/// TG121 `invalid-check-period`: a Go duration up to 168h, or `always`.
fn invalid_check_period(ctx: &mut Ctx<'_, '_>, e: Entry<'_>) {
    let v = e.value;
    if let Some(cp) = field(v, "checkPeriod")
        && let Some(text) = cp.as_str()
        && text != "always"
    {
        match parse_go_duration(&text) {
            None => ctx.report(
                Code::InvalidCheckPeriod,
                e.origin,
                cp,
                format!("time: invalid duration {text:?}"),
                "write a duration such as 12h or 30m, or \"always\"",
            ),
            Some(secs) if secs < 0.0 => ctx.report(
                Code::InvalidCheckPeriod,
                e.origin,
                cp,
                format!("checkPeriod {text} must be a positive duration"),
                "write a duration such as 12h",
            ),
            Some(secs) if secs > 168.0 * 3600.0 => ctx.report(
                Code::InvalidCheckPeriod,
                e.origin,
                cp,
                format!("checkPeriod {text} is above the max (168h)"),
                "at most 168h (a week)",
            ),
            Some(_) => {}
        }
    }
}

/// TG122 `invalid-ssh-rule`: tags cannot SSH to devices people own; a user destination needs that user as the only source.
fn pairing(ctx: &mut Ctx<'_, '_>, e: Entry<'_>, src: &[Sel<'_>], dst: &[&Sel<'_>]) {
    let tagged_src = src.iter().find(|s| matches!(s.selector(), Selector::Tag(_) | Selector::Autogroup("tagged")));
    let user_owned_dst = dst
        .iter()
        .find(|d| matches!(d.selector(), Selector::User(_) | Selector::Autogroup("self" | "member" | "members")));
    if let (Some(s), Some(d)) = (tagged_src, user_owned_dst) {
        ctx.report(
            Code::InvalidSshRule,
            e.origin,
            s.at,
            format!("tags in an SSH source cannot reach user-owned devices ({} → {})", s.raw(), d.raw()),
            "split the rule: tagged sources may only reach tagged destinations",
        );
    }
    // autogroup:self "if the source contains only users or groups" (Tailscale's SSH docs; the
    // ACL siblings acl-s05/s06/sf04/sf05 are captured rejections).
    if dst.iter().any(|d| d.selector() == Selector::Autogroup("self"))
        && let Some(s) = src.iter().find(|s| {
            // Tags are TG122's (tags cannot reach user-owned devices); people of every kind,
            // roles included, are fine (accepted real-world policies pair roles with self).
            matches!(s.kind, Kind::Ip(_) | Kind::Cidr(..) | Kind::Host | Kind::Ipset | Kind::Wildcard)
        })
    {
        ctx.report(
            Code::InvalidSelfDestination,
            e.origin,
            s.at,
            format!("autogroup:self can only be used with users, groups, or supported autogroups (not {})", s.text),
            "give autogroup:self a rule whose sources are people; reach other devices by tag",
        );
    }
    for d in dst {
        if d.kind == Kind::User {
            let u = &d.text;
            let only_that_user = src.len() == 1 && src[0].text == *u;
            if !only_that_user {
                ctx.report(
                    Code::InvalidSshRule,
                    e.origin,
                    d.at,
                    format!("a user destination ({u}) requires the source to be only that same user"),
                    "use autogroup:self to let each user reach their own devices",
                );
            }
        }
    }
}

/// Seconds in a Go duration string (`1h30m`, `90s`, `-5m`, `1.5h`), or `None` if it is not one.
pub(super) fn parse_go_duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Some(if neg { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("12h"), Some(43200.0));
        assert_eq!(parse_go_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_go_duration("0s"), Some(0.0));
        assert_eq!(parse_go_duration("-1m"), Some(-60.0));
        assert_eq!(parse_go_duration("168h0m1s"), Some(604801.0));
        assert_eq!(parse_go_duration("abc"), None);
        assert_eq!(parse_go_duration("2w"), None);
        assert_eq!(parse_go_duration("12"), None);
    }
}
