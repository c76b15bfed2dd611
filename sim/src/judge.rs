//! The simulator's own judgement of access, with device posture: may this device (a live one,
//! with its attributes as stored now, or the hypothetical device of a policy test, with its
//! `srcPostureAttrs`) reach HOST:PORT under this policy?
//!
//! It is deliberately simple and shares nothing with tailgrant: its own HuJSON reading, its
//! own selector and posture logic, after the documented rules (device posture KB: a posture
//! is a list of conditions that must all hold, a rule's `srcPosture` lists postures of which
//! one must hold and replaces `defaultSrcPosture`, an attribute that is not set fails every
//! condition). Where it does not understand something (addresses, autogroups beyond
//! `member`/`tagged`, `via`, operators it lacks) it answers "unknown" and judges nothing, so it
//! can only ever catch a real disagreement.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Who is asking: the identity of a device and its posture attributes.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The owner of an untagged device (a login).
    pub user: Option<String>,
    pub tags: Vec<String>,
    pub attrs: Map<String, Value>,
    /// Shared in from another tailnet: posture does not apply to it (nor does this judge).
    pub external: bool,
}

/// A policy, as far as the judge reads it.
pub struct Policy {
    groups: HashMap<String, Vec<String>>,
    postures: HashMap<String, Vec<String>>,
    default_posture: Vec<String>,
    rules: Vec<Rule>,
    tests: Vec<Value>,
}

struct Rule {
    srcs: Vec<String>,
    /// (host selector, ports) pairs; `None` ports: any.
    dsts: Vec<(String, Ports)>,
    posture: Option<Vec<String>>,
    /// Something in it the judge does not read (a `via`, an odd form): it never decides.
    opaque: bool,
}

#[derive(Clone)]
enum Ports {
    Any,
    Ranges(Vec<(u16, u16)>),
    Unknown,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(|s| s.trim().to_owned())).collect())
        .unwrap_or_default()
}

/// A policy field, matched without regard to case as the control plane matches keys.
fn get<'v>(o: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    o.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

fn ports(spec: &str) -> Ports {
    if spec == "*" {
        return Ports::Any;
    }
    let mut out = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        let range = match part.split_once('-') {
            Some((a, b)) => a.parse().ok().zip(b.parse().ok()),
            None => part.parse().ok().map(|p| (p, p)),
        };
        match range {
            Some(r) => out.push(r),
            None => return Ports::Unknown,
        }
    }
    Ports::Ranges(out)
}

impl Policy {
    /// Reads a policy's text (HuJSON); `None` if it is not an object.
    pub fn parse(text: &str) -> Option<Policy> {
        let v = crate::hujson::parse(text).ok()?;
        let o = v.as_object()?;
        let named = |key: &str| -> HashMap<String, Vec<String>> {
            get(o, key)
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), strings(Some(v)))).collect())
                .unwrap_or_default()
        };
        let mut rules = Vec::new();
        for r in get(o, "acls").and_then(Value::as_array).into_iter().flatten() {
            let Some(r) = r.as_object() else { continue };
            let srcs = strings(get(r, "src").or_else(|| get(r, "users")));
            let mut opaque = get(r, "proto").is_some();
            let dsts = strings(get(r, "dst").or_else(|| get(r, "ports")))
                .iter()
                .filter_map(|d| {
                    let split = d.rsplit_once(':');
                    if split.is_none() {
                        opaque = true;
                    }
                    split.map(|(h, p)| (h.to_owned(), ports(p)))
                })
                .collect();
            rules.push(Rule { srcs, dsts, posture: get(r, "srcPosture").map(|p| strings(Some(p))), opaque });
        }
        for r in get(o, "grants").and_then(Value::as_array).into_iter().flatten() {
            let Some(r) = r.as_object() else { continue };
            // A grant with only `app` gives no network access.
            let Some(ips) = get(r, "ip") else { continue };
            let mut opaque = get(r, "via").is_some();
            let mut specs = Vec::new();
            for ip in strings(Some(ips)) {
                let (proto, p) = match ip.split_once(':') {
                    Some((proto, p)) => (Some(proto.to_owned()), p.to_owned()),
                    None => (None, ip.clone()),
                };
                if proto.as_deref().is_some_and(|p| p != "tcp" && p != "udp" && p != "*") {
                    opaque = true;
                }
                specs.push(ports(&p));
            }
            let dsts = strings(get(r, "dst"))
                .into_iter()
                .flat_map(|d| specs.iter().map(move |p| (d.clone(), p.clone())))
                .collect();
            rules.push(Rule {
                srcs: strings(get(r, "src")),
                dsts,
                posture: get(r, "srcPosture").map(|p| strings(Some(p))),
                opaque,
            });
        }
        Some(Policy {
            groups: named("groups"),
            postures: named("postures"),
            default_posture: strings(get(o, "defaultSrcPosture")),
            rules,
            tests: get(o, "tests").and_then(Value::as_array).cloned().unwrap_or_default(),
        })
    }

    fn src_matches(&self, sel: &str, s: &Source) -> Option<bool> {
        let user_is = |u: &str| s.user.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(u));
        if sel == "*" {
            return Some(true);
        }
        if sel.starts_with("group:") {
            return Some(self.groups.get(sel).is_some_and(|m| m.iter().any(|u| user_is(u))));
        }
        if sel.starts_with("tag:") {
            return Some(s.tags.iter().any(|t| t == sel));
        }
        match sel {
            "autogroup:member" | "autogroup:members" => return Some(s.user.is_some() && !s.external),
            "autogroup:tagged" => return Some(!s.tags.is_empty()),
            _ => {}
        }
        if sel.contains('@') && !sel.contains(':') {
            return Some(user_is(sel));
        }
        None
    }

    /// Whether a posture condition holds for these attributes; `None` for one it cannot read.
    fn condition(cond: &str, attrs: &Map<String, Value>) -> Option<bool> {
        let cond = cond.trim();
        for op in [" NOT IN ", " IN ", " == ", " != ", " >= ", " <= ", " > ", " < "] {
            let Some((attr, want)) = cond.split_once(op) else { continue };
            let Some(have) = attrs.get(attr.trim()) else { return Some(false) };
            let literal = |w: &str| -> Value {
                let w = w.trim();
                match w {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ if w.starts_with('\'') || w.starts_with('"') => {
                        Value::String(w[1..w.len().saturating_sub(1)].to_owned())
                    }
                    _ => w.parse::<i64>().map(Value::from).unwrap_or(Value::String(w.to_owned())),
                }
            };
            let list = || -> Vec<Value> {
                want.trim().trim_start_matches('[').trim_end_matches(']').split(',').map(literal).collect()
            };
            return match op.trim() {
                "==" => Some(*have == literal(want)),
                "!=" => Some(*have != literal(want)),
                "IN" => Some(list().contains(have)),
                "NOT IN" => Some(!list().contains(have)),
                _ => None,
            };
        }
        None
    }

    fn posture_holds(&self, required: &[String], attrs: &Map<String, Value>) -> Option<bool> {
        if required.is_empty() {
            return Some(true);
        }
        let mut unknown = false;
        for p in required {
            let Some(conds) = self.postures.get(p) else { continue };
            let mut all = Some(true);
            for c in conds {
                match Self::condition(c, attrs) {
                    Some(false) => {
                        all = Some(false);
                        break;
                    }
                    None => all = None,
                    Some(true) => {}
                }
            }
            match all {
                Some(true) => return Some(true),
                None => unknown = true,
                Some(false) => {}
            }
        }
        if unknown { None } else { Some(false) }
    }

    /// May `s` reach `host` on `port`? `None`: the judge cannot say.
    pub fn allows(&self, s: &Source, host: &str, port: u16) -> Option<bool> {
        let mut unknown = false;
        for r in &self.rules {
            let src = any(r.srcs.iter().map(|sel| self.src_matches(sel, s)));
            let dst = any(r.dsts.iter().map(|(h, p)| {
                let host_ok = if h == "*" || h == host {
                    Some(true)
                } else if h.starts_with("tag:") || (h.contains('@') && !h.contains(':')) {
                    Some(false)
                } else {
                    None
                };
                let port_ok = match p {
                    Ports::Any => Some(true),
                    Ports::Ranges(rs) => Some(rs.iter().any(|(a, b)| (*a..=*b).contains(&port))),
                    Ports::Unknown => None,
                };
                match (host_ok, port_ok) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                }
            }));
            if src == Some(false) || dst == Some(false) {
                continue;
            }
            let required = r.posture.as_deref().unwrap_or(&self.default_posture);
            let posture = if s.external { Some(true) } else { self.posture_holds(required, &s.attrs) };
            match (src, dst, posture, r.opaque) {
                (_, _, Some(false), _) => {}
                (Some(true), Some(true), Some(true), false) => return Some(true),
                _ => unknown = true,
            }
        }
        if unknown { None } else { Some(false) }
    }

    /// The policy's own `tests` (network tests only), judged: the failures, grouped by the
    /// test's source as the API's `data` groups them. Tests whose source or destinations the
    /// judge cannot read are left to the other checks.
    pub fn failed_tests(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.tests {
            let Some(t) = t.as_object() else { continue };
            let Some(src) = get(t, "src").or_else(|| get(t, "user")).and_then(Value::as_str) else { continue };
            if get(t, "proto").is_some() {
                continue;
            }
            let src = src.trim();
            let source = if src.starts_with("tag:") {
                Source { tags: vec![src.to_owned()], ..Source::default() }
            } else if src.contains('@') && !src.contains(':') {
                Source { user: Some(src.to_owned()), ..Source::default() }
            } else {
                continue;
            };
            let source = Source {
                attrs: get(t, "srcPostureAttrs").and_then(Value::as_object).cloned().unwrap_or_default(),
                ..source
            };
            let mut errors = Vec::new();
            for (key, want) in [("accept", true), ("allow", true), ("deny", false)] {
                for dst in strings(get(t, key)) {
                    let Some((host, port)) = dst.rsplit_once(':') else { continue };
                    let Ok(port) = port.parse::<u16>() else { continue };
                    match self.allows(&source, host, port) {
                        Some(got) if got != want => errors.push(format!(
                            "address {dst:?}: want: {}, got: {}",
                            if want { "Accept" } else { "Drop" },
                            if got { "Accept" } else { "Drop" }
                        )),
                        _ => {}
                    }
                }
            }
            if errors.is_empty() {
                continue;
            }
            match out.iter_mut().find(|(s, _)| s == src) {
                Some((_, e)) => e.extend(errors),
                None => out.push((src.to_owned(), errors)),
            }
        }
        out
    }
}

/// Three-valued "any": true if one is, false if all are, otherwise unknown.
fn any(items: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for m in items {
        match m {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown { None } else { Some(false) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POLICY: &str = r#"// a policy
{
	"groups": {"group:dba": ["bob@example.com"]},
	"postures": {
		"posture:gate": ["custom:tg_x == true"],
		"posture:mdm":  ["custom:managed == true", "node:os IN ['macos', 'linux']"],
	},
	"defaultSrcPosture": ["posture:mdm"],
	"grants": [
		{"src": ["group:dba"], "dst": ["tag:db"], "ip": ["tcp:5432"], "srcPosture": []},
		{"src": ["alice@example.com"], "dst": ["tag:db"], "ip": ["tcp:5432"], "srcPosture": ["posture:gate"]}, // gated
		/* default posture */ {"src": ["carol@example.com"], "dst": ["tag:web"], "ip": ["443"],},
	],
	"tests": [
		{"src": "alice@example.com", "accept": ["tag:db:5432"], "srcPostureAttrs": {"custom:tg_x": true}},
		{"src": "alice@example.com", "accept": ["tag:db:5432"]},
	],
}
"#;

    #[test]
    fn posture_decides_with_its_own_logic() {
        let p = Policy::parse(POLICY).unwrap();
        let alice = |attrs: Value| Source {
            user: Some("alice@example.com".into()),
            attrs: attrs.as_object().unwrap().clone(),
            ..Source::default()
        };
        assert_eq!(p.allows(&alice(json!({"custom:tg_x": true})), "tag:db", 5432), Some(true));
        assert_eq!(p.allows(&alice(json!({})), "tag:db", 5432), Some(false), "an unset attribute fails the condition");
        assert_eq!(p.allows(&alice(json!({"custom:tg_x": false})), "tag:db", 5432), Some(false));
        let bob = Source { user: Some("bob@example.com".into()), ..Source::default() };
        assert_eq!(p.allows(&bob, "tag:db", 5432), Some(true), "an empty srcPosture requires nothing");
        let carol = |attrs: Value| Source {
            user: Some("carol@example.com".into()),
            attrs: attrs.as_object().unwrap().clone(),
            ..Source::default()
        };
        assert_eq!(p.allows(&carol(json!({"custom:managed": true, "node:os": "linux"})), "tag:web", 443), Some(true));
        assert_eq!(
            p.allows(&carol(json!({"custom:managed": true, "node:os": "windows"})), "tag:web", 443),
            Some(false)
        );
        assert_eq!(
            p.failed_tests(),
            [("alice@example.com".to_owned(), vec!["address \"tag:db:5432\": want: Accept, got: Drop".to_owned()])]
        );
    }

    #[test]
    fn what_it_cannot_read_it_does_not_judge() {
        let p =
            Policy::parse(r#"{"acls": [{"action": "accept", "src": ["10.0.0.0/8"], "dst": ["tag:db:22"]}]}"#).unwrap();
        let alice = Source { user: Some("alice@example.com".into()), ..Source::default() };
        assert_eq!(p.allows(&alice, "tag:db", 22), None);
        assert_eq!(p.allows(&alice, "tag:db", 23), Some(false));
    }
}
