//! Did a grant file open a destination, or give an identity access? Decided by the evaluator
//! behind `explain`, on the base policy of each revision the grant was in force at: the
//! policy with the grant against the policy without it, so access the base gives anyway is
//! not the grant's. A question that cannot be decided offline (a version that does not parse,
//! an address whose device is unknown, a revision without a base that loads) is
//! inconclusive, and the grant is listed: an audit never hides what it cannot rule out. While
//! a version does not parse, the last version that did is taken as in force (a repository
//! that does not check is never applied).
//!
//! Network access only: SSH rules need a network rule to port 22 as well, so the network
//! answer covers them; a grant that has only SSH rules is matched by its rules' selectors.

use std::collections::HashMap;
use std::path::Path;

use super::{AuditError, BaseState};
use crate::evaluate::compile::Compiled;
use crate::evaluate::{Device, Tri};
use crate::load::FragmentFile;
use crate::load::git::Object;
use crate::load::view::View;
use crate::model::Config;
use crate::model::rule::Classified;
use crate::parse::Document;

/// `--src` and `--dst`, checked once.
#[derive(Debug, Clone)]
pub(crate) struct Question {
    src: Option<String>,
    /// The destination as given (`HOST` or `HOST:PORT`), and split.
    dst: Option<(String, String, Option<u16>)>,
}

impl Question {
    pub(crate) fn parse(src: Option<&str>, dst: Option<&str>) -> Result<Option<Question>, AuditError> {
        if src.is_none() && dst.is_none() {
            return Ok(None);
        }
        let dst = match dst {
            None => None,
            Some(d) => {
                let (host, port) = crate::evaluate::explain::host_and_port(d)
                    .map_err(|why| AuditError::Destination(d.to_owned(), why))?;
                Some((d.to_owned(), host.trim().to_owned(), port))
            }
        };
        Ok(Some(Question { src: src.map(|s| s.trim().to_owned()), dst }))
    }
}

/// A version of a grant file in force during the period, and the base revisions (indices
/// into the walk's base states) in force while it was.
pub(crate) struct Span<'a> {
    pub(crate) fragment: &'a Result<FragmentFile, String>,
    pub(crate) bases: Vec<usize>,
}

/// Each base revision parsed and compiled once, shared by every grant evaluated against it.
pub(crate) struct Context<'a> {
    question: &'a Question,
    bases: Vec<Option<(Document, Compiled, &'a Config)>>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        question: &'a Question,
        states: &[BaseState],
        configs: &'a [Config],
        objects: &HashMap<&str, Object>,
        dir: &Path,
    ) -> Self {
        let mut by_blob: HashMap<&str, Option<Document>> = HashMap::new();
        let bases = states
            .iter()
            .map(|s| {
                let config = &configs[s.config];
                let blob = s.base.as_deref()?;
                let doc = by_blob
                    .entry(blob)
                    .or_insert_with(|| {
                        let Some(Object::Found(bytes)) = objects.get(blob) else { return None };
                        let rel = config.base.clone();
                        let file =
                            crate::load::read_source(crate::load::display_path(dir, &rel), rel, bytes.clone()).ok()?;
                        crate::load::parse_document(file).ok()
                    })
                    .clone()?;
                let without = Compiled::new(&View::of(config, Some(&doc), [], None));
                Some((doc, without, config))
            })
            .collect();
        Context { question, bases }
    }

    /// Whether any version of a life, in force during the period, opened what was asked.
    pub(crate) fn life(&self, spans: &[Span<'_>]) -> Tri {
        let mut answer = Tri::No;
        for span in spans {
            let Ok(fragment) = span.fragment else {
                answer = answer.or(Tri::Unknown);
                continue;
            };
            for &b in &span.bases {
                answer = answer.or(self.opens(b, fragment));
                if answer == Tri::Yes {
                    return answer;
                }
            }
        }
        answer
    }

    fn opens(&self, base: usize, fragment: &FragmentFile) -> Tri {
        let Some(Some((doc, without, config))) = self.bases.get(base) else { return Tri::Unknown };
        let with = Compiled::new(&View::of(config, Some(doc), [fragment], None));
        let q = self.question;
        let added_members = added_members(fragment);
        match (&q.src, &q.dst) {
            (Some(s), Some((d, _, _))) => gained(&with, without, s, d),
            (None, Some((d, host, port))) => {
                let devices = crate::evaluate::run::resolve(&with, host);
                let by_rules = Tri::any(
                    own_rules(&with)
                        .filter(|r| port_open(&r.ports, *port))
                        .map(|r| selector_covers(&with, &r.dst, host, devices.as_deref(), false)),
                );
                let by_ssh = Tri::any(own_ssh(&with).filter(|_| port.is_none_or(|p| p == 22)).flat_map(|r| {
                    r.dsts.iter().map(|sel| selector_covers(&with, sel, host, devices.as_deref(), false))
                }));
                let by_groups = Tri::any(added_members.iter().map(|m| gained(&with, without, m, d)));
                Tri::any([by_rules, by_ssh, by_groups])
            }
            (Some(s), None) => {
                let devices = crate::evaluate::run::resolve(&with, s);
                let covers = |sel: &Classified| selector_covers(&with, sel, s, devices.as_deref(), true);
                let by_rules = Tri::any(own_rules(&with).flat_map(|r| r.srcs.iter().map(covers)));
                let by_ssh = Tri::any(own_ssh(&with).flat_map(|r| r.srcs.iter().map(covers)));
                // Joining a group counts when the group is a source of some rule.
                let joined = added_groups(fragment, s);
                let used = with.rules.iter().flat_map(|r| &r.srcs).chain(with.ssh.iter().flat_map(|r| &r.srcs));
                let by_groups = Tri::from_bool(used.into_iter().any(|src| joined.iter().any(|g| **g == *src.text)));
                Tri::any([by_rules, by_ssh, by_groups])
            }
            (None, None) => Tri::Yes,
        }
    }
}

/// What explain says about `src` → `dst` with the grant, unless the base allows it anyway.
fn gained(with: &Compiled, without: &Compiled, src: &str, dst: &str) -> Tri {
    let verdict = |p: &Compiled| match crate::evaluate::explain::explain(p, src, dst, None, None) {
        Ok(e) if e.verdict == "allowed" => Tri::Yes,
        Ok(e) if e.verdict == "unknown" => Tri::Unknown,
        _ => Tri::No,
    };
    if verdict(without) == Tri::Yes { Tri::No } else { verdict(with) }
}

/// Whether a rule's selector covers what was asked: through the evaluator's matching when the
/// question names devices, by spelling otherwise (`autogroup:internet`, `*`).
fn selector_covers(policy: &Compiled, sel: &Classified, asked: &str, devices: Option<&[Device]>, as_src: bool) -> Tri {
    if *sel.text == *asked {
        return Tri::Yes;
    }
    match devices {
        Some(devs) if !devs.is_empty() => Tri::any(devs.iter().map(|d| policy.matches_sel(sel, d, as_src, None))),
        _ => Tri::No,
    }
}

fn port_open(ports: &[(u16, u16)], port: Option<u16>) -> bool {
    port.is_none_or(|p| ports.iter().any(|&(lo, hi)| lo <= p && p <= hi))
}

fn own_rules(p: &Compiled) -> impl Iterator<Item = &crate::evaluate::compile::NetRule> {
    p.rules.iter().filter(|r| p.sources[r.source].fragment.is_some())
}

fn own_ssh(p: &Compiled) -> impl Iterator<Item = &crate::evaluate::compile::SshRule> {
    p.ssh.iter().filter(|r| p.sources[r.source].fragment.is_some())
}

/// Everyone the grant adds to a group.
fn added_members(f: &FragmentFile) -> Vec<String> {
    let mut out: Vec<String> = f.fragment.groups.iter().flatten().flat_map(|(_, m)| m.iter().cloned()).collect();
    out.sort();
    out.dedup();
    out
}

/// The groups the grant adds `who` to.
fn added_groups(f: &FragmentFile, who: &str) -> Vec<String> {
    f.fragment
        .groups
        .iter()
        .flatten()
        .filter(|(_, members)| members.iter().any(|m| m.trim().eq_ignore_ascii_case(who)))
        .map(|(g, _)| g.clone())
        .collect()
}
