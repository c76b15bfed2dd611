//! The config, validated where it is written. Loading keeps going on a config that decodes; this
//! is where a value that decodes but cannot mean what it says is found: a glob that does not
//! compile, a section name no policy has, an `owners` entry that names nothing, a guardrail
//! whose `match` covers no file. A config that fails open is worse than one that fails: every
//! such case is a finding that points at the value.

use crate::finding::{Code, Finding, Location};
use crate::load::Repository;
use crate::load::view::{View, field, strings};
use crate::model::people::Forge;
use crate::model::selector::{AUTOGROUPS, Selector, classify, login_problem};
use crate::model::shape;
use crate::parse::Document;
use crate::parse::Value;

pub(super) fn check(repo: &Repository, view: &View<'_>, findings: &mut Vec<Finding>) {
    let Some(doc) = &repo.config_doc else { return };
    let at = |v: &Value| Location::new(&doc.file, v.span());
    let mut report = |code: Code, v: &Value, message: String, help: &str| {
        findings.push(Finding::new(code, at(v), message, help));
    };
    for key in ["fragments", "exclude"] {
        for (pattern, v) in field(&doc.tree, key).map(strings).unwrap_or_default() {
            if let Err(e) = crate::load::glob(&pattern) {
                report(Code::InvalidGlob, v, format!("invalid glob `{pattern}` in {key}: {}", e.kind()), GLOB_HELP);
            }
        }
    }
    // With several tailnets a guardrail is used if it matches a file of any of them.
    let rels: Vec<&str> = repo
        .fragments
        .iter()
        .map(|f| f.doc.file.rel.as_str())
        .chain(repo.rejected.iter().map(|f| f.rel.as_str()))
        .chain(repo.reach.iter().map(|(rel, _)| rel.as_str()))
        .collect();
    for g in guardrails(doc) {
        let Some(m) = field(g, "match") else { continue };
        if let Some(pattern) = m.as_str() {
            match crate::load::glob(&pattern) {
                Err(e) => report(
                    Code::InvalidGlob,
                    m,
                    format!(
                        "invalid glob `{pattern}` in a guardrail's match: {}; the guardrail covers every fragment until it is fixed",
                        e.kind()
                    ),
                    GLOB_HELP,
                ),
                Ok(glob) => {
                    let glob = glob.compile_matcher();
                    if !rels.iter().any(|r| glob.is_match(r)) {
                        report(
                            Code::UnusedGuardrail,
                            m,
                            format!("this guardrail matches none of the {} fragment files", rels.len()),
                            "check the glob against the fragment paths (relative to the policies directory, `*` does not cross `/`)",
                        );
                    }
                }
            }
        }
        for (name, v) in field(g, "allowSections").map(strings).unwrap_or_default() {
            let known = name == "postureAttributes"
                || shape::MERGEABLE_SECTIONS.iter().any(|(s, _)| s.eq_ignore_ascii_case(&name));
            if !known {
                let sections: Vec<&str> =
                    shape::MERGEABLE_SECTIONS.iter().map(|(s, _)| *s).chain(["postureAttributes"]).collect();
                report(
                    Code::InvalidValue,
                    v,
                    format!("`{name}` is not a section a fragment can hold"),
                    &format!("allowSections takes: {}", sections.join(", ")),
                );
            }
        }
        if let Some(w) = field(g, "widestPrefix") {
            for (family, max) in [("ipv4", 32), ("ipv6", 128)] {
                if let Some(v) = field(w, family).filter(|v| {
                    std::str::from_utf8(&v.to_json())
                        .ok()
                        .and_then(|t| t.trim().parse::<u64>().ok())
                        .is_some_and(|n| n > max)
                }) {
                    report(
                        Code::InvalidValue,
                        v,
                        format!("a {family} prefix is at most {max} bits long"),
                        "write a prefix length, e.g. 16",
                    );
                }
            }
        }
    }
    tailnets(doc, findings);
    console_link(doc, findings);
    owners(doc, view, findings);
    people(doc, findings);
    enforce_expiry(doc, findings);
}

/// `enforceExpiry`: one of the two modes. Anything else would leave it unclear whether the
/// control plane ends access on time, so it is an error rather than a fallback.
fn enforce_expiry(doc: &Document, findings: &mut Vec<Finding>) {
    let Some(v) = field(&doc.tree, "enforceExpiry") else { return };
    // A value that is not a string does not decode: the decoder reports it.
    let Some(mode) = v.as_str() else { return };
    if !matches!(mode.as_str(), "schedule" | "posture") {
        findings.push(Finding::new(
            Code::InvalidValue,
            Location::new(&doc.file, v.span()),
            format!("enforceExpiry {mode:?} is neither \"schedule\" nor \"posture\""),
            "\"schedule\": the next apply after a grant expires removes it; \"posture\": the control plane ends it on time (README, Posture mode)",
        ));
    }
}

/// `tailnets`: each name short enough to read and to name environment variables by, each
/// tailnet named explicitly for the API (`-` would let any tailnet's credentials write it) and
/// named once, each glob one that compiles.
fn tailnets(doc: &Document, findings: &mut Vec<Finding>) {
    let Some(map) = field(&doc.tree, "tailnets").and_then(|o| o.as_object()) else { return };
    let at = |v: &Value| Location::new(&doc.file, v.span());
    let mut seen: Vec<String> = Vec::new();
    for m in &map.members {
        let Some(name) = m.name.as_str() else { continue };
        if name.is_empty()
            || name.len() > 32
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            findings.push(Finding::new(
                Code::InvalidValue,
                at(&m.name),
                format!("{name:?} is not a tailnet name tailgrant can use"),
                "name each tailnet with up to 32 letters, digits, - and _ (e.g. prod, staging): --tailnet takes it and TS_API_KEY_<NAME> carries its key",
            ));
        }
        if let Some(v) = field(&m.value, "tailnet")
            && let Some(t) = v.as_str()
        {
            if t.trim().is_empty() || t.trim() == "-" {
                findings.push(Finding::new(
                    Code::InvalidValue,
                    at(v),
                    format!("tailnet {name} is {t:?}: with several tailnets each is named for the API"),
                    "write the tailnet's ID or name (Settings > General in the admin console), so that a key for another tailnet is refused rather than used",
                ));
            } else if seen.iter().any(|s| s.eq_ignore_ascii_case(t.trim())) {
                findings.push(Finding::new(
                    Code::InvalidValue,
                    at(v),
                    format!("the tailnet {t} is named by two entries of `tailnets`"),
                    "one entry per tailnet: two would overwrite each other's policy",
                ));
            } else {
                seen.push(t.trim().to_owned());
            }
        }
        for key in ["fragments", "exclude"] {
            for (pattern, v) in field(&m.value, key).map(strings).unwrap_or_default() {
                if let Err(e) = crate::load::glob(&pattern) {
                    findings.push(Finding::new(
                        Code::InvalidGlob,
                        at(v),
                        format!("invalid glob `{pattern}` in tailnet {name}'s {key}: {}", e.kind()),
                        GLOB_HELP,
                    ));
                }
            }
        }
    }
}

/// `consoleLink`: an `https://` URL, as the admin console links to it.
fn console_link(doc: &Document, findings: &mut Vec<Finding>) {
    let Some(v) = field(&doc.tree, "consoleLink") else { return };
    let Some(link) = v.as_str() else { return };
    let ok = link.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty() && !rest.starts_with('/') && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    if !ok {
        findings.push(Finding::new(
            Code::InvalidValue,
            Location::new(&doc.file, v.span()),
            format!("consoleLink {:?} is not an https:// URL", crate::model::text::one_line(&link)),
            "write the repository's address, e.g. https://github.com/example/policies",
        ));
    }
}

const GLOB_HELP: &str = "globs use `*`, `**`, `?`, `[abc]` and `{a,b}`, relative to the policies directory";

fn guardrails(doc: &Document) -> Vec<&Value> {
    field(&doc.tree, "guardrails").and_then(|g| g.as_array()).map(|a| a.elements.iter().collect()).unwrap_or_default()
}

/// `owners`: each key names a destination that can be opened, each owner a login or a group
/// the base policy defines (groups only confer ownership from trusted files).
fn owners(doc: &Document, view: &View<'_>, findings: &mut Vec<Finding>) {
    let Some(map) = field(&doc.tree, "owners").and_then(|o| o.as_object()) else { return };
    let at = |v: &Value| Location::new(&doc.file, v.span());
    for m in &map.members {
        let Some(key) = m.name.as_str() else { continue };
        let problem = match classify(&key) {
            _ if key == super::guardrails::NODE_ATTRS || key == super::guardrails::AUTO_APPROVERS => None,
            Selector::Ip(_)
            | Selector::Cidr(..)
            | Selector::Wildcard
            | Selector::UserDomain(_)
            | Selector::Service(_) => None,
            Selector::Autogroup(a) if AUTOGROUPS.contains(&a) => None,
            Selector::Autogroup(_) => Some(format!("`{key}` is not an autogroup Tailscale knows")),
            Selector::Tag(_) if !view.tag_defined(&key) => Some(format!("{key} is not defined in tagOwners")),
            Selector::Group(g) if !g.contains('@') && !view.group_defined(&key) => {
                Some(format!("{key} is not defined in the base policy"))
            }
            Selector::Ipset(_) if !view.ipset_defined(&key) => Some(format!("{key} is not defined in the base policy")),
            Selector::Host(h) if view.host(h).is_none() => {
                Some(format!("`{key}` is not a host alias the base policy defines"))
            }
            Selector::Tag(_) | Selector::Group(_) | Selector::Ipset(_) | Selector::Host(_) => None,
            _ => Some(format!("`{key}` is not something a fragment can open")),
        };
        if let Some(message) = problem {
            findings.push(Finding::new(
                Code::InvalidValue,
                at(&m.name),
                message,
                "owners keys are destinations: a CIDR or address, a host alias, ipset:, group:, tag:, autogroup:, user:*@domain, svc:, *, or section:nodeAttrs / section:autoApprovers",
            ));
        }
        for (o, v) in strings(&m.value) {
            let bad = match classify(&o) {
                Selector::Group(g) if g.contains('@') || view.group_defined(o.trim()) => None,
                Selector::Group(_) => Some(format!("{o} is not defined in the base policy")),
                _ if login_problem(o.trim()).is_none() => None,
                _ => Some(format!("`{o}` is neither a login nor a group")),
            };
            if let Some(message) = bad {
                findings.push(Finding::new(
                    Code::InvalidValue,
                    at(v),
                    message,
                    "owners are people's logins (alice@example.com) or groups of the base policy",
                ));
            }
        }
    }
}

/// `people`: each key one person's login, each account a name the forge allows, and no
/// account mapped to two logins (one approval would then count as two people's).
fn people(doc: &Document, findings: &mut Vec<Finding>) {
    let Some(map) = field(&doc.tree, "people").and_then(|o| o.as_object()) else { return };
    let at = |v: &Value| Location::new(&doc.file, v.span());
    const HELP: &str = "people maps tailnet logins to forge accounts: {\"alice@example.com\": {\"github\": \"alice-gh\", \"gitlab\": \"alice\"}}";
    let mut logins: Vec<String> = Vec::new();
    let mut accounts: Vec<(Forge, String, String)> = Vec::new();
    for m in &map.members {
        let Some(login) = m.name.as_str() else { continue };
        if let Some(problem) = login_problem(&login) {
            findings.push(Finding::new(
                Code::InvalidValue,
                at(&m.name),
                format!("{login:?} is not a person's login: it {problem}"),
                HELP,
            ));
        } else if logins.iter().any(|l| l.eq_ignore_ascii_case(&login)) {
            findings.push(Finding::new(Code::InvalidValue, at(&m.name), format!("{login} is listed twice"), HELP));
        }
        logins.push(login.clone());
        for forge in [Forge::GitHub, Forge::GitLab] {
            let Some(v) = field(&m.value, forge.key()) else { continue };
            let Some(name) = v.as_str() else { continue }; // the decoder says it is not a string
            let message = if let Some(problem) = forge.account_problem(&name) {
                format!("{name:?} is not a {} account name: it {problem}", forge.name())
            } else if let Some((_, _, other)) = accounts.iter().find(|(f, a, _)| *f == forge && Forge::same(a, &name)) {
                format!("the {} account {name} is mapped to both {other} and {login}", forge.name())
            } else {
                accounts.push((forge, name.clone(), login.clone()));
                continue;
            };
            findings.push(Finding::new(
                Code::InvalidValue,
                at(v),
                message,
                format!("write the {} user name without the @; one account is one person", forge.name()),
            ));
        }
    }
}
