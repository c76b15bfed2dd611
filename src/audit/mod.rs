//! Audit: every grant file's life from the git history of the policies directory — which
//! commit added it, changed it and removed it, when and by whom, what it said (requester,
//! approvers, window), and whether it was removed before or after it expired. With a
//! destination or an identity, only the grants that opened that destination or gave that
//! identity access during the period, decided by the evaluator behind `explain` on the
//! revisions the grant was in force at ([`reach`]).
//!
//! The history is the first-parent line of `HEAD`: each of its commits is a state the branch
//! was in. Times are committer times, when a change landed on the branch.

mod reach;

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

use crate::evaluate::Tri;
use crate::load::git::{self, Change, CommitMeta, GitError, Object, ObjectReader};
use crate::load::{CONFIG_FILE, FragmentFile, FragmentPaths};
use crate::model::{Config, Fragment, shape};

/// What to audit.
#[derive(Debug, Clone)]
pub struct Query {
    /// The start of the period; none: from the first commit.
    pub since: Option<Timestamp>,
    /// The end of the period; none: `at`.
    pub until: Option<Timestamp>,
    /// Now, for grants still present ("expired 3d ago") and the page's "today" mark.
    pub at: Timestamp,
    /// Only grants that opened this destination (`HOST` or `HOST:PORT`, as `explain` takes).
    pub dst: Option<String>,
    /// Only grants that gave this identity access.
    pub src: Option<String>,
    /// With `tailnets`: only grant files that landed in this one, judged by its base policy.
    pub tailnet: Option<Audited>,
}

/// The tailnet an audit is of: its name in `tailnets`, and its tailnet for the API.
#[derive(Debug, Clone)]
pub struct Audited {
    pub name: String,
    pub api: String,
}

/// Why an audit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("the period is empty: --since {since} is after --until {until}")]
    EmptyPeriod { since: Timestamp, until: Timestamp },
    #[error("--dst {0:?}: {1}")]
    Destination(String, String),
}

/// The audit report's data (the JSON form; `schemas/audit.schema.json`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "tailgrant audit report")]
pub struct Audit {
    /// The version of this format; changes that break readers increase it.
    pub(crate) format_version: u32,
    /// The policies directory, as given.
    pub(crate) dir: String,
    pub(crate) revisions: Revisions,
    pub(crate) period: Period,
    /// The instant the report was made for (`--at`, default now).
    pub(crate) at: Timestamp,
    pub(crate) filter: Filter,
    /// Grant files that existed during the period (and, with a filter, matched it), in the
    /// order they were added.
    pub(crate) grants: Vec<GrantLife>,
    pub(crate) summary: Summary,
}

/// The commits the report was made from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Revisions {
    /// The oldest commit that touched the policies directory (none: no commit did).
    pub(crate) first: Option<String>,
    /// `HEAD` when the report was made: the history read is `first` up to this commit.
    pub(crate) head: String,
    /// How many first-parent commits touched the policies directory.
    pub(crate) commits: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Period {
    pub(crate) since: Option<Timestamp>,
    pub(crate) until: Timestamp,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Filter {
    pub(crate) dst: Option<String>,
    pub(crate) src: Option<String>,
    /// With `tailnets`: the one audited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tailnet: Option<String>,
}

/// One grant file from the commit that added it to the one that removed it. A file deleted
/// and later added again at the same path is two lives; a rename continues one.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GrantLife {
    /// Its last path (the policies directory joined with the path in the repository).
    pub(crate) path: String,
    /// Earlier paths, when it was renamed.
    pub(crate) former_paths: Vec<String>,
    /// From the last version that parsed (none parsed: all empty).
    pub(crate) requester: Option<String>,
    pub(crate) approvers: Vec<String>,
    pub(crate) description: Option<String>,
    pub(crate) not_before: Option<Timestamp>,
    /// None: permanent.
    pub(crate) expires: Option<Timestamp>,
    /// What the last version that parsed opens, as written: each rule's destination hosts
    /// (`tag:prod-db`, `ssh tag:web`) and the groups it adds members to (`group:oncall`).
    pub(crate) destinations: Vec<String>,
    pub(crate) added: CommitRef,
    /// Every later commit that changed or renamed it, oldest first.
    pub(crate) changes: Vec<ChangeRef>,
    /// None: still present at `HEAD`.
    pub(crate) removed: Option<RemovalRef>,
    pub(crate) removal: Removal,
    /// Versions that did not parse or decode: each is reported, none stops the audit.
    pub(crate) problems: Vec<Problem>,
    /// With a filter: `matched`, or `inconclusive` when it could not be decided offline (a
    /// version that does not parse, an address whose device is unknown) — listed, never
    /// hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) filter_match: Option<FilterMatch>,
}

/// A commit, as an auditor needs it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommitRef {
    pub(crate) sha: String,
    /// When the commit landed on the branch (committer time).
    pub(crate) date: Timestamp,
    pub(crate) author: String,
    pub(crate) author_email: String,
    /// The pull request (`#12`, GitHub) or merge request (`!12`, GitLab) its message names.
    pub(crate) pull_request: Option<String>,
    /// The message's first line.
    pub(crate) subject: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChangeRef {
    #[serde(flatten)]
    pub(crate) commit: CommitRef,
    pub(crate) kind: ChangeKind,
    /// The path before a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum ChangeKind {
    Modified,
    Renamed,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RemovalRef {
    #[serde(flatten)]
    pub(crate) commit: CommitRef,
    pub(crate) how: RemovedHow,
    /// Where a rename took it (out of the fragment globs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) to: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum RemovedHow {
    Deleted,
    /// Renamed to a path the fragment globs do not match.
    RenamedAway,
    /// The config's globs stopped matching it.
    NoLongerMatched,
}

/// Whether the file was removed before or after it expired.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Removal {
    pub(crate) status: RemovalStatus,
    /// How long before expiry it was removed (`beforeExpiry`), how long after
    /// (`afterExpiry`), or how long ago it expired (`presentExpired`, counted to `at`).
    pub(crate) seconds: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum RemovalStatus {
    /// Still present at HEAD and not expired at `at` (or permanent).
    Present,
    /// Still present at HEAD although it has expired.
    PresentExpired,
    /// Removed before its expiry.
    BeforeExpiry,
    /// Removed at or after its expiry.
    AfterExpiry,
    /// Removed; it had no expiry.
    Permanent,
    /// Removed; no version parsed, so its expiry is unknown.
    Unknown,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Problem {
    pub(crate) sha: String,
    pub(crate) path: String,
    /// The finding, as `check` reports it: `TG001 3:5: message`.
    pub(crate) message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum FilterMatch {
    Matched,
    Inconclusive,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    pub(crate) grants: usize,
    pub(crate) present: usize,
    pub(crate) present_expired: usize,
    pub(crate) removed_before_expiry: usize,
    pub(crate) removed_after_expiry: usize,
    pub(crate) removed_permanent: usize,
    pub(crate) unparsable_versions: usize,
}

/// One version of a grant file: the commit that wrote it and the content.
#[derive(Debug, Clone)]
struct Version {
    commit: usize,
    path: String,
    blob: String,
}

/// A life as the walk records it, commits by index.
#[derive(Debug, Clone)]
struct Life {
    versions: Vec<Version>,
    renames: Vec<(usize, String)>,
    removed: Option<(usize, RemovedHow, Option<String>)>,
}

/// The base policy and config in force from a commit on.
#[derive(Debug, Clone)]
struct BaseState {
    commit: usize,
    base: Option<String>,
    config: usize,
}

/// What the walk over the history found.
struct Walked {
    lives: Vec<Life>,
    bases: Vec<BaseState>,
    configs: Vec<Config>,
}

/// Makes the audit of the policies directory `dir`.
pub fn audit(dir: &Path, q: &Query) -> Result<Audit, AuditError> {
    let until = q.until.unwrap_or(q.at);
    if let Some(since) = q.since.filter(|s| *s > until) {
        return Err(AuditError::EmptyPeriod { since, until });
    }
    let question = reach::Question::parse(q.src.as_deref(), q.dst.as_deref())?;
    let head = git::head(dir)?;
    let logged = git::log(dir, &head)?;
    let mut reader = ObjectReader::start(dir)?;
    let shas: Vec<&str> = logged.iter().map(|c| c.sha.as_str()).collect();
    let commits: Vec<CommitMeta> = reader
        .read(&shas)?
        .into_iter()
        .zip(&shas)
        .map(|(o, sha)| {
            match o {
                Object::Found(raw) => git::parse_commit(&raw),
                _ => None,
            }
            .ok_or_else(|| GitError::Malformed(format!("commit {sha} cannot be read")))
        })
        .collect::<Result<_, _>>()?;
    let changes: Vec<&[Change]> = logged.iter().map(|c| c.changes.as_slice()).collect();
    let walked = walk(&changes, &mut reader, q.tailnet.as_ref())?;

    let since = q.since;
    let date = |i: usize| commits[i].committed;
    let in_period = |l: &Life| {
        let added = date(l.versions[0].commit);
        added <= until && l.removed.as_ref().is_none_or(|(r, _, _)| since.is_none_or(|s| date(*r) > s))
    };
    let lives: Vec<&Life> = walked.lives.iter().filter(|l| in_period(l)).collect();

    // Every version of those files, and the base revisions a filter needs, in one batch.
    let mut wanted: Vec<&str> = lives.iter().flat_map(|l| l.versions.iter().map(|v| v.blob.as_str())).collect();
    if question.is_some() {
        wanted.extend(walked.bases.iter().filter_map(|b| b.base.as_deref()));
    }
    wanted.sort_unstable();
    wanted.dedup();
    let objects: HashMap<&str, Object> = wanted.iter().copied().zip(reader.read(&wanted)?).collect();
    drop(reader);

    let display = |rel: &str| crate::load::display_path(dir, rel);
    // Per life, per version, in the same order.
    let parsed: Vec<Vec<Result<FragmentFile, String>>> = lives
        .iter()
        .map(|l| l.versions.iter().map(|v| parse_fragment(display(&v.path), &v.path, &objects[&*v.blob])).collect())
        .collect();

    let matches: Vec<Option<Tri>> = match &question {
        None => vec![None; lives.len()],
        Some(question) => {
            let ctx = reach::Context::new(question, &walked.bases, &walked.configs, &objects, dir);
            use rayon::prelude::*;
            lives
                .par_iter()
                .zip(&parsed)
                .map(|(l, p)| Some(ctx.life(&version_spans(l, &date, since, until, &walked.bases, p))))
                .collect()
        }
    };

    let commit_ref = |i: usize| {
        let c = &commits[i];
        CommitRef {
            sha: logged[i].sha.clone(),
            date: c.committed,
            author: c.author.clone(),
            author_email: c.author_email.clone(),
            pull_request: git::pull_request(&c.message),
            subject: c.message.lines().next().unwrap_or_default().to_owned(),
        }
    };
    let mut grants = Vec::new();
    for ((life, matched), parsed) in lives.iter().zip(matches).zip(&parsed) {
        if matched == Some(Tri::No) {
            continue;
        }
        let versions: Vec<(&Version, &Result<FragmentFile, String>)> = life.versions.iter().zip(parsed).collect();
        let last_file = versions.iter().rev().find_map(|(_, p)| p.as_ref().ok());
        let last = last_file.map(|f| &f.fragment);
        let empty = Fragment::default();
        let frag = last.unwrap_or(&empty);
        let problems = versions
            .iter()
            .filter_map(|(v, p)| {
                let message = p.as_ref().err()?.clone();
                Some(Problem { sha: logged[v.commit].sha.clone(), path: display(&v.path), message })
            })
            .collect();
        let changes = life.versions[1..]
            .iter()
            .map(|v| {
                let from = life.renames.iter().find(|(c, _)| *c == v.commit).map(|(_, from)| display(from));
                let kind = if from.is_some() { ChangeKind::Renamed } else { ChangeKind::Modified };
                ChangeRef { commit: commit_ref(v.commit), kind, from }
            })
            .collect();
        let removed = life.removed.as_ref().map(|(c, how, to)| RemovalRef {
            commit: commit_ref(*c),
            how: *how,
            to: to.as_deref().map(display),
        });
        let removal = removal(last.is_some(), frag.expires, life.removed.as_ref().map(|(c, _, _)| date(*c)), q.at);
        let mut former: Vec<String> = life.renames.iter().map(|(_, from)| display(from)).collect();
        former.dedup();
        grants.push(GrantLife {
            path: display(life.versions.last().map_or("", |v| v.path.as_str())),
            former_paths: former,
            requester: frag.requester.clone(),
            approvers: frag.approvers.clone(),
            description: frag.description.clone(),
            not_before: frag.not_before,
            expires: frag.expires,
            destinations: destinations(frag, last_file.map(|f| &f.doc.tree)),
            added: commit_ref(life.versions[0].commit),
            changes,
            removed,
            removal,
            problems,
            filter_match: matched.map(|t| if t == Tri::Yes { FilterMatch::Matched } else { FilterMatch::Inconclusive }),
        });
    }
    let summary = summarize(&grants);
    Ok(Audit {
        format_version: 1,
        dir: dir.to_string_lossy().into_owned(),
        revisions: Revisions { first: logged.first().map(|c| c.sha.clone()), head, commits: logged.len() },
        period: Period { since, until },
        at: q.at,
        filter: Filter { dst: q.dst.clone(), src: q.src.clone(), tailnet: q.tailnet.as_ref().map(|t| t.name.clone()) },
        grants,
        summary,
    })
}

/// The destinations a fragment names, without ports, deduplicated in order: each rule's in
/// either spelling (an ACL's `dst` and its legacy `ports`: with both, either may be the one
/// Tailscale read), then the groups it adds to.
fn destinations(f: &Fragment, tree: Option<&crate::parse::Value>) -> Vec<String> {
    use crate::model::rule::{self, Section};
    let host = |d: &str| match crate::model::selector::split_host_ports(d.trim()) {
        Ok((h, _)) => h.to_owned(),
        Err(_) => d.trim().to_owned(),
    };
    let mut out: Vec<String> = Vec::new();
    let mut add = |d: String| {
        if !out.contains(&d) {
            out.push(d);
        }
    };
    for section in [Section::Acls, Section::Grants, Section::Ssh] {
        let rules = tree.and_then(|t| rule::section(t, section)).unwrap_or_default();
        for r in rules {
            let named = rule::every_destination(section, r).filter_map(|v| v.as_array()).flat_map(|a| &a.elements);
            for d in named.filter_map(|d| d.as_cow()) {
                add(match section {
                    Section::Acls => host(&d),
                    Section::Grants => d.trim().to_owned(),
                    Section::Ssh => format!("ssh {}", d.trim()),
                });
            }
        }
    }
    for (g, _) in f.groups.iter().flatten() {
        add(g.clone());
    }
    out
}

fn summarize(grants: &[GrantLife]) -> Summary {
    let mut s = Summary { grants: grants.len(), ..Summary::default() };
    for g in grants {
        match g.removal.status {
            RemovalStatus::Present => s.present += 1,
            RemovalStatus::PresentExpired => s.present_expired += 1,
            RemovalStatus::BeforeExpiry => s.removed_before_expiry += 1,
            RemovalStatus::AfterExpiry => s.removed_after_expiry += 1,
            RemovalStatus::Permanent | RemovalStatus::Unknown => s.removed_permanent += 1,
        }
        s.unparsable_versions += g.problems.len();
    }
    s
}

fn removal(parsed: bool, expires: Option<Timestamp>, removed: Option<Timestamp>, at: Timestamp) -> Removal {
    let secs = |a: Timestamp, b: Timestamp| Some(a.duration_since(b).as_secs());
    let (status, seconds) = match (removed, expires) {
        (None, Some(e)) if e <= at => (RemovalStatus::PresentExpired, secs(at, e)),
        (None, _) => (RemovalStatus::Present, None),
        (Some(_), None) if !parsed => (RemovalStatus::Unknown, None),
        (Some(_), None) => (RemovalStatus::Permanent, None),
        (Some(r), Some(e)) if r < e => (RemovalStatus::BeforeExpiry, secs(e, r)),
        (Some(r), Some(e)) => (RemovalStatus::AfterExpiry, secs(r, e)),
    };
    Removal { status, seconds }
}

/// Parses one version with the loader's own steps; a version that does not parse or decode
/// gives its first error as `check` would word it.
fn parse_fragment(path: String, rel: &str, object: &Object) -> Result<FragmentFile, String> {
    let bytes = match object {
        Object::Found(b) => b.clone(),
        Object::TooLarge(n) => return Err(format!("{n} bytes, larger than the {} bytes read", git::MAX_BLOB)),
        Object::Missing => return Err("its content is missing from the repository".to_owned()),
    };
    let first = |f: &crate::finding::Finding| {
        format!("{} {}:{}: {}", f.code.as_str(), f.location.line, f.location.column, f.message)
    };
    let file = crate::load::read_source(path, rel.to_owned(), bytes).map_err(|(f, _)| first(&f))?;
    let doc = crate::load::parse_document(file).map_err(|(f, _)| first(&f))?;
    let mut findings = Vec::new();
    match crate::model::decode::decode::<crate::model::FragmentSchema>(&doc, shape::FRAGMENT, &mut findings) {
        Some(fragment) => Ok(FragmentFile { doc, fragment: fragment.into() }),
        None => Err(findings.first().map(first).unwrap_or_else(|| "does not decode".to_owned())),
    }
}

/// Replays the history: which files are grant files (by the config in force at each commit),
/// when each was added, changed, renamed and removed, and which base policy was in force.
fn walk(commits: &[&[Change]], reader: &mut ObjectReader, tailnet: Option<&Audited>) -> Result<Walked, GitError> {
    let mut files: HashMap<String, String> = HashMap::new();
    let mut live: HashMap<String, usize> = HashMap::new();
    let mut lives: Vec<Life> = Vec::new();
    let mut configs = vec![as_tailnet(Config::default(), tailnet)];
    let mut paths = FragmentPaths::new(&configs[0]);
    let mut bases: Vec<BaseState> = Vec::new();
    let base_rel = |c: &Config| c.base.trim_start_matches("./").replace('\\', "/");
    // No base policy is a grant file, whichever tailnet it is the base of.
    let mut not_grants: Vec<String> = Vec::new();
    for (i, changes) in commits.iter().enumerate() {
        for change in *changes {
            match change {
                Change::Written { path, blob, .. } => {
                    files.insert(path.clone(), blob.clone());
                }
                Change::Deleted { path } => {
                    files.remove(path);
                }
                Change::Renamed { from, to, blob } => {
                    files.remove(from);
                    files.insert(to.clone(), blob.clone());
                }
            }
        }
        let config_changed = changes.iter().any(|c| match c {
            Change::Written { path, .. } | Change::Deleted { path } => path == CONFIG_FILE,
            Change::Renamed { from, to, .. } => from == CONFIG_FILE || to == CONFIG_FILE,
        });
        if config_changed {
            let read = read_config(files.get(CONFIG_FILE), reader)?;
            not_grants = read.tailnets.values().map(|t| t.base.trim_start_matches("./").replace('\\', "/")).collect();
            configs.push(as_tailnet(read, tailnet));
            paths = FragmentPaths::new(configs.last().unwrap_or(&configs[0]));
        }
        let config = configs.len() - 1;
        let base = base_rel(&configs[config]);
        let is_grant =
            |p: &str| p != CONFIG_FILE && p != base && !not_grants.iter().any(|b| b == p) && paths.matches(p);
        let start = |lives: &mut Vec<Life>, live: &mut HashMap<String, usize>, path: &str, blob: &str| {
            live.insert(path.to_owned(), lives.len());
            let version = Version { commit: i, path: path.to_owned(), blob: blob.to_owned() };
            lives.push(Life { versions: vec![version], renames: Vec::new(), removed: None });
        };
        for change in *changes {
            match change {
                Change::Written { path, blob, .. } if is_grant(path) => match live.get(path) {
                    Some(&l) => lives[l].versions.push(Version { commit: i, path: path.clone(), blob: blob.clone() }),
                    None => start(&mut lives, &mut live, path, blob),
                },
                Change::Written { .. } => {}
                Change::Deleted { path } => {
                    if let Some(l) = live.remove(path) {
                        lives[l].removed = Some((i, RemovedHow::Deleted, None));
                    }
                }
                Change::Renamed { from, to, blob } => match (live.remove(from), is_grant(to)) {
                    (Some(l), true) => {
                        lives[l].versions.push(Version { commit: i, path: to.clone(), blob: blob.clone() });
                        lives[l].renames.push((i, from.clone()));
                        live.insert(to.clone(), l);
                    }
                    (Some(l), false) => lives[l].removed = Some((i, RemovedHow::RenamedAway, Some(to.clone()))),
                    (None, true) => start(&mut lives, &mut live, to, blob),
                    (None, false) => {}
                },
            }
        }
        if config_changed {
            let mut gone: Vec<String> = live.keys().filter(|p| !is_grant(p)).cloned().collect();
            gone.sort();
            for p in gone {
                if let Some(l) = live.remove(&p) {
                    lives[l].removed = Some((i, RemovedHow::NoLongerMatched, None));
                }
            }
            let mut new: Vec<(&String, &String)> =
                files.iter().filter(|(p, _)| is_grant(p) && !live.contains_key(*p)).collect();
            new.sort();
            for (p, blob) in new {
                start(&mut lives, &mut live, p, blob);
            }
        }
        let state = BaseState { commit: i, base: files.get(&base).cloned(), config };
        if bases.last().is_none_or(|b| b.base != state.base || b.config != state.config) {
            bases.push(state);
        }
    }
    Ok(Walked { lives, bases, configs })
}

/// The config of a revision as the audited tailnet sees it: that tailnet's base and globs.
/// A revision that ran other tailnets only lands nothing in it (an entry renamed since is found
/// by its tailnet for the API); one that ran no `tailnets` was the audited tailnet if it
/// named the same tailnet for the API, or none (`-`, the key's own tailnet, which may have
/// been this one: an audit reports what it cannot rule out).
fn as_tailnet(c: Config, tailnet: Option<&Audited>) -> Config {
    let Some(t) = tailnet else { return c };
    let elsewhere = |c: Config| Config { fragments: Vec::new(), ..c };
    if !c.tailnets.is_empty() {
        // The entry that ran this tailnet of the API, under whatever name it had then (an
        // entry renamed since ran it all the same); else the entry of its name.
        let by_api = c.tailnets.iter().find(|(_, e)| e.tailnet.eq_ignore_ascii_case(&t.api)).map(|(n, _)| n.clone());
        return match by_api.as_deref().or(Some(t.name.as_str())).and_then(|n| c.for_tailnet(n)) {
            Some(mine) => mine,
            None => elsewhere(c),
        };
    }
    if c.tailnet == "-" || c.tailnet.eq_ignore_ascii_case(&t.api) { c } else { elsewhere(c) }
}

/// The config at a revision; one that does not load counts as the defaults, as `check` does.
fn read_config(blob: Option<&String>, reader: &mut ObjectReader) -> Result<Config, GitError> {
    let Some(blob) = blob else { return Ok(Config::default()) };
    let Some(Object::Found(bytes)) = reader.read(&[blob.as_str()])?.pop() else { return Ok(Config::default()) };
    let config = crate::load::read_source(CONFIG_FILE.into(), CONFIG_FILE.into(), bytes)
        .ok()
        .and_then(|f| crate::load::parse_document(f).ok())
        .and_then(|doc| crate::model::decode::decode::<Config>(&doc, shape::CONFIG, &mut Vec::new()));
    Ok(config.unwrap_or_default())
}

/// The stretches of time each version of a life was in force within the period and its own
/// window, with the base revisions in force meanwhile.
fn version_spans<'a>(
    life: &Life,
    date: &(dyn Fn(usize) -> Timestamp + Sync),
    since: Option<Timestamp>,
    until: Timestamp,
    bases: &[BaseState],
    parsed: &'a [Result<FragmentFile, String>],
) -> Vec<reach::Span<'a>> {
    let mut out = Vec::new();
    let mut in_force: Option<&'a Result<FragmentFile, String>> = None;
    for (n, v) in life.versions.iter().enumerate() {
        let end_commit = life.versions.get(n + 1).map(|w| w.commit).or(life.removed.as_ref().map(|r| r.0));
        let (from, to) = (date(v.commit), end_commit.map(date));
        let Some(this) = parsed.get(n) else { continue };
        // A repository that does not check is never applied, so while a version does not
        // parse the last one that did stays in force; with none before it, nobody can say.
        let fragment = match (this, in_force) {
            (Err(_), Some(previous)) => previous,
            _ => this,
        };
        if this.is_ok() {
            in_force = Some(this);
        }
        let (nb, exp) = match fragment {
            Ok(f) => (f.fragment.not_before, f.fragment.expires),
            Err(_) => (None, None),
        };
        // [from, to) ∩ [notBefore, expires) ∩ [since, until]
        let lo = [Some(from), nb, since].into_iter().flatten().max().unwrap_or(from);
        let hi = [to, exp].into_iter().flatten().min();
        let open = hi.is_none_or(|h| lo < h) && lo <= until;
        if !open {
            continue;
        }
        // The base revision in force when the version was written, and any that followed
        // while it was in force.
        let first = bases.partition_point(|b| b.commit <= v.commit).saturating_sub(1);
        let last = end_commit.map_or(bases.len(), |e| bases.partition_point(|b| b.commit < e));
        let states: Vec<usize> = (first..last.max(first + 1)).filter(|&b| b < bases.len()).collect();
        out.push(reach::Span { fragment, bases: states });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_before_or_after_expiry() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let (exp, at) = (Some(t("2026-10-05T00:00:00Z")), t("2026-11-01T00:00:00Z"));
        let r = |removed: Option<&str>, expires| {
            let r = removal(true, expires, removed.map(t), at);
            (r.status, r.seconds)
        };
        assert_eq!(r(Some("2026-10-04T23:00:00Z"), exp), (RemovalStatus::BeforeExpiry, Some(3600)));
        assert_eq!(r(Some("2026-10-05T00:00:00Z"), exp), (RemovalStatus::AfterExpiry, Some(0)));
        assert_eq!(r(Some("2026-10-06T00:00:00Z"), exp), (RemovalStatus::AfterExpiry, Some(86400)));
        assert_eq!(r(None, exp), (RemovalStatus::PresentExpired, Some(27 * 86400)));
        assert_eq!(r(None, Some(t("2026-12-01T00:00:00Z"))), (RemovalStatus::Present, None));
        assert_eq!(r(Some("2026-10-06T00:00:00Z"), None), (RemovalStatus::Permanent, None));
        assert_eq!(removal(false, None, Some(at), at).status, RemovalStatus::Unknown);
    }

    #[test]
    fn destinations_in_every_spelling() {
        let tree = crate::parse::parse(
            br#"{"ACLs": [{"action": "accept", "src": ["a@example.com"], "dst": ["tag:a:22"], "ports": ["tag:b:443"]},
                         {"action": "accept", "users": ["a@example.com"], "Ports": ["tag:c:*", "[fd7a::1]:80"]}],
                 "grants": [{"src": ["a@example.com"], "Dst": [" tag:d "], "ip": ["tcp:1"]}],
                 "ssh": [{"action": "accept", "src": ["a@example.com"], "dst": ["tag:a"], "users": ["root"]}]}"#,
        )
        .unwrap();
        let mut groups = crate::model::policy::NamedLists::new();
        groups.insert("group:g".to_owned(), vec!["a@example.com".to_owned()]);
        let f = Fragment { groups: Some(groups), ..Fragment::default() };
        assert_eq!(
            destinations(&f, Some(&tree)),
            ["tag:a", "tag:b", "tag:c", "fd7a::1", "tag:d", "ssh tag:a", "group:g"],
        );
        assert_eq!(destinations(&f, None), ["group:g"]);
    }
}
