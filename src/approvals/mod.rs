//! Approvals that are verified, not declared (`tailgrant approvals`, in a pull request's CI
//! run): every grant file the pull request adds or changes is approved, on the head commit,
//! by every approver it names, each mapped to a forge account through the config's `people`.
//!
//! What a pull request could forge is taken from where it cannot: the config (`people`, the
//! fragment globs, the approval policy) from the **base** revision; the grant files from the
//! head commit, by git, not from whatever the runner checked out; the approvals from the forge
//! API, per reviewer the latest review that is not a plain comment, counted only when it
//! approves the head commit. An approval never counts from the pull request's author, anyone
//! who committed to it, or anyone the grant benefits (the guardrails' own reading,
//! [`crate::check::approvers`], judged on the base and on the head, either side refusing).

pub(crate) mod client;
pub(crate) mod github;
pub(crate) mod gitlab;
mod merged;

use std::path::Path;

use jiff::Timestamp;

pub use client::{ForgeError, Options};
pub use merged::{Unverified, verify_merged};

use crate::check::approvers::{Judgement, judge};
use crate::finding::{Code, Finding, Location};
use crate::load::git::{Git, GitError};
use crate::load::view::{field, strings};
use crate::load::{FragmentFile, FragmentPaths, Repository, display_path};
use crate::model::people::Forge;
use crate::model::selector::login_problem;
use crate::model::{ApprovalPolicy, Config};
use crate::parse::SourceFile;
use crate::parse::Value;

/// Why `approvals` could not judge at all.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalsError {
    /// Not a pull-request CI run, or its environment is incomplete.
    #[error("{0}")]
    Environment(String),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Forge(#[from] ForgeError),
}

/// The CI run, from its environment.
#[derive(Debug, Clone)]
pub enum Ci {
    GitHub(github::Run),
    GitLab(gitlab::Run),
}

impl Ci {
    /// GitHub Actions when `GITHUB_EVENT_PATH` is set, GitLab CI when `CI_MERGE_REQUEST_IID` is.
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Ci, ApprovalsError> {
        let set = |k: &str| var(k).is_some_and(|v| !v.trim().is_empty());
        let run = if set("GITHUB_EVENT_PATH") {
            github::Run::from_env(var).map(Ci::GitHub)
        } else if set("CI_MERGE_REQUEST_IID") {
            gitlab::Run::from_env(var).map(Ci::GitLab)
        } else {
            Err("not a pull request's CI run: `tailgrant approvals` reads GitHub Actions' GITHUB_EVENT_PATH (on \
                 pull_request and pull_request_review events) or GitLab CI's CI_MERGE_REQUEST_IID (merge request pipelines)"
                .to_owned())
        };
        run.map_err(ApprovalsError::Environment)
    }
}

/// A commit id: 40 (SHA-1) or 64 (SHA-256) hex digits.
pub(crate) fn is_sha(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the forge says about a pull request, forge-neutral.
pub(crate) struct PullRequest {
    pub(crate) forge: Forge,
    pub(crate) number: u64,
    /// The commit under review, and the base revision.
    pub(crate) head: String,
    pub(crate) base: String,
    /// The account that opened it.
    pub(crate) author: String,
    /// Accounts that authored or committed one of its commits (GitHub links them).
    pub(crate) committers: Vec<String>,
    /// The e-mail addresses its commits carry.
    pub(crate) committer_emails: Vec<String>,
    /// Per reviewer account, what decides.
    pub(crate) decisions: Vec<(String, Decision)>,
    /// Why its approvals cannot be tied to the head at all, if they cannot.
    pub(crate) unbound: Vec<String>,
}

/// A reviewer's latest decisive review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// An approval of `commit` (`None`: the commit is gone).
    Approved {
        commit: Option<String>,
    },
    ChangesRequested,
    Dismissed,
    /// A review state tailgrant does not know: no approval.
    Other(String),
}

/// What `approvals` found.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub(crate) forge: Forge,
    /// The pull request (GitHub) or merge request (GitLab) number.
    pub(crate) number: u64,
    pub(crate) head: String,
    pub(crate) base: String,
    pub(crate) files: Vec<FileVerdict>,
    pub findings: Vec<Finding>,
    /// The changed files as the head commit has them, for quoting in findings.
    pub(crate) sources: Vec<SourceFile>,
}

impl Verdict {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// A changed file as the head has it, by its display path.
    pub fn source(&self, path: &str) -> Option<&SourceFile> {
        self.sources.iter().find(|s| s.path == path)
    }
}

/// One changed grant file.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileVerdict {
    pub(crate) file: String,
    /// With `tailnets`: those it lands in (by the base's globs or the head's), each judged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tailnets: Vec<String>,
    /// The approvers it names, each with whether their approval counts.
    pub(crate) approvers: Vec<ApproverVerdict>,
    /// Everyone (logins) whose approval of the head counts for it.
    pub(crate) approved_by: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct ApproverVerdict {
    pub(crate) login: String,
    pub(crate) account: Option<String>,
    pub(crate) approved: bool,
}

/// Judges the pull request of `ci` for the policies directory `dir`, at `at`; with `tailnet`
/// (names as given to `--tailnet` or in TS_TAILNET: an entry of `tailnets`, or its tailnet for
/// the API), only the grant files that land in a tailnet one of them may mean.
pub async fn verify(
    dir: &Path,
    ci: &Ci,
    opts: Options,
    at: Timestamp,
    tailnet: &[String],
) -> Result<Verdict, ApprovalsError> {
    let git = Git::open(dir)?;
    let pr = match ci {
        Ci::GitHub(run) => {
            // Both commits must be here (checkout with the full history) before anything is asked.
            git.commit(run.head())?;
            git.commit(run.base())?;
            run.pull_request(&run.client(opts)?).await?
        }
        Ci::GitLab(run) => {
            let checked_out = git.commit("HEAD")?;
            let head = git.commit(run.head(&checked_out))?;
            run.pull_request(&run.client(opts)?, &head).await?
        }
    };
    // Each side as every tailnet it runs sees it: a grant file is judged against the base
    // policy of each tailnet it lands in, as the base revision has that policy.
    let mut bases = git.views(&pr.base, dir)?;
    let heads = git.views(&pr.head, dir)?;
    let lands = Lands::new(&bases, &heads);
    let diffed = git.changed(&pr.base, &pr.head)?;
    let changed = lands.to_judge(&diffed, &heads);
    let config = bases[0].config.clone();
    let watched: Vec<String> = changed.iter().chain(&lands.special).cloned().collect();
    let judge = Judge { git: &git, pr: &pr, config: &config, watched: &watched, at };
    let mut findings = Vec::new();
    let mut files = Vec::new();
    let mut sources = Vec::new();
    for rel in &changed {
        let shown = display_path(dir, rel);
        // The tailnets it lands in by the base's globs or the head's: a pull request that
        // widens the globs cannot slip a file past by it. Which of them the job is for is
        // read from both sides too: by the head's config alone a pull request could point
        // the name at another entry (one it adds, say) and out of the job that judges it.
        let names: Vec<Option<String>> = lands
            .names(rel)
            .into_iter()
            .filter(|n| tailnet.is_empty() || tailnet.iter().any(|t| lands.meant(n, t)))
            .collect();
        if names.is_empty() {
            continue;
        }
        let shown_names: Vec<String> = names.iter().flatten().cloned().collect();
        let at_head = names.iter().find_map(|n| {
            let h = heads.iter().find(|h| &h.tailnet == n)?;
            h.fragments.iter().find(|f| &f.doc.file.rel == rel).map(|f| (f, h))
        });
        let Some((f, _)) = at_head else {
            // It does not load at the head: its own findings say why, and nothing is approved.
            let head = &heads[0];
            sources.extend(head.rejected.iter().filter(|s| s.path == shown).cloned());
            let own: Vec<Finding> = head.findings.iter().filter(|f| f.location.file == shown).cloned().collect();
            if own.is_empty() {
                // A grant file by the base revision's globs that the head's config no longer
                // loads (an `exclude`, say): a later change to the globs would make it one
                // again without any approval, so it is refused now.
                findings.push(Finding::new(
                    Code::ApprovalsUnbound,
                    Location::file(&shown),
                    format!("{shown} is a grant file by the base revision's `fragments` globs, but the head's config does not load it; its approvals cannot be judged"),
                    "change the globs in their own pull request, without grant files in it",
                ));
            }
            findings.extend(own);
            files.push(FileVerdict {
                file: shown,
                tailnets: shown_names,
                approvers: Vec::new(),
                approved_by: Vec::new(),
            });
            continue;
        };
        let mut pairs = Vec::new();
        for n in &names {
            let head = heads.iter().find(|h| &h.tailnet == n);
            match (head, lands.paired(n)) {
                (Some(h), Some(b)) => pairs.push((h, b)),
                _ => findings.push(lands.unpaired(f, n.as_deref(), head.is_some())),
            }
        }
        sources.push(f.doc.file.clone());
        let mut verdict = judge.file(f, &pairs, &mut bases, &mut findings);
        verdict.tailnets = shown_names;
        files.push(verdict);
    }
    // The base's config decides everything here: if it does not load, nothing passes.
    let config_path = display_path(dir, crate::load::CONFIG_FILE);
    if !changed.is_empty() {
        let base = &bases[0];
        findings.extend(base.findings.iter().filter(|f| f.location.file == config_path && f.is_error()).cloned());
        sources.extend(
            base.config_doc
                .iter()
                .map(|d| d.file.clone())
                .chain(base.rejected.iter().filter(|s| s.path == config_path).cloned()),
        );
    }
    crate::finding::sort(&mut findings);
    Ok(Verdict {
        forge: pr.forge,
        number: pr.number,
        head: pr.head.clone(),
        base: pr.base.clone(),
        files,
        findings,
        sources,
    })
}

/// Which of the base revision's views (name, tailnet for the API) judges what the head's view
/// `name` (for the API tailnet `api`) lets in: the same entry of `tailnets`, for the same
/// tailnet of the API; or, when the base revision runs no `tailnets` (the pull request
/// introduces them), its one view, if that is for the same tailnet of the API. `None`: no
/// policy the pull request cannot have written.
pub(crate) fn paired<'a>(
    base: impl Iterator<Item = (&'a Option<String>, &'a str)>,
    name: &Option<String>,
    api: &str,
) -> Option<usize> {
    let base: Vec<_> = base.collect();
    if let Some(i) = base.iter().position(|(b, _)| *b == name) {
        // An entry of `tailnets` kept by name but now for another tailnet of the API is
        // another tailnet: the base policy that judged its grants was for where they no
        // longer go (and a job that picks its tailnet by the API's name would apply them).
        return (name.is_none() || base[i].1.eq_ignore_ascii_case(api)).then_some(i);
    }
    match base.as_slice() {
        [(None, only)] if only.eq_ignore_ascii_case(api) => Some(0),
        _ => None,
    }
}

/// Where grant files land, on each side of a pull request: per view (a tailnet, or the one
/// view without `tailnets`), its name, the tailnet it is for the API, and the globs that pick
/// its grant files.
struct Lands {
    base: Vec<Side>,
    head: Vec<Side>,
    /// The config file and every base policy of either side: never grant files.
    special: Vec<String>,
}

struct Side {
    name: Option<String>,
    api: String,
    globs: FragmentPaths,
}

impl Lands {
    fn new(bases: &[Repository], heads: &[Repository]) -> Lands {
        let sides = |views: &[Repository]| {
            views
                .iter()
                .map(|r| Side {
                    name: r.tailnet.clone(),
                    api: r.config.tailnet.clone(),
                    globs: FragmentPaths::new(&r.config),
                })
                .collect::<Vec<_>>()
        };
        let mut special = vec![crate::load::CONFIG_FILE.to_owned()];
        for r in bases.iter().chain(heads) {
            let whole = std::iter::once(&r.config.base).chain(r.config.tailnets.values().map(|t| &t.base));
            special.extend(whole.map(|b| b.trim_start_matches("./").to_owned()));
        }
        Lands { base: sides(bases), head: sides(heads), special }
    }

    /// The base revision's view of the head's view `name`: the same tailnet of `tailnets`;
    /// or, when the base revision runs no `tailnets` (the pull request introduces them), its
    /// one view, if that is for the same tailnet of the API.
    fn paired(&self, name: &Option<String>) -> Option<usize> {
        let head = self.head.iter().find(|h| &h.name == name)?;
        paired(self.base.iter().map(|b| (&b.name, b.api.as_str())), name, &head.api)
    }

    /// Whether `given` (an entry's name, or its tailnet for the API, as `--tailnet` takes it)
    /// may mean the tailnet `name`, by the head's config or the base revision's.
    fn meant(&self, name: &Option<String>, given: &str) -> bool {
        let is = |s: &Side| s.name.as_deref() == Some(given) || s.api.eq_ignore_ascii_case(given);
        self.head.iter().chain(&self.base).filter(|s| &s.name == name).any(is)
            || self.paired(name).is_some_and(|b| is(&self.base[b]))
    }

    /// The tailnets `rel` lands in by the base's globs or the head's, in the head's order.
    fn names(&self, rel: &str) -> Vec<Option<String>> {
        if self.special.iter().any(|s| s == rel) {
            return Vec::new();
        }
        let mut out: Vec<Option<String>> = Vec::new();
        for h in &self.head {
            let before = self.paired(&h.name).is_some_and(|b| self.base[b].globs.matches(rel));
            if (h.globs.matches(rel) || before) && !out.contains(&h.name) {
                out.push(h.name.clone());
            }
        }
        // A tailnet the head no longer runs, that the file landed in.
        for b in &self.base {
            let kept = self.head.iter().any(|h| self.paired(&h.name).is_some_and(|i| self.base[i].name == b.name));
            if !kept && b.globs.matches(rel) && !out.contains(&b.name) {
                out.push(b.name.clone());
            }
        }
        out
    }

    /// The grant files to judge: every one the pull request adds, changes or removes, and
    /// every unchanged one it makes land in a tailnet it did not land in before (by changing
    /// the globs): that is new access, and nobody approved it for there.
    fn to_judge(&self, changed: &[String], heads: &[Repository]) -> Vec<String> {
        let mut out: Vec<String> = changed.iter().filter(|rel| !self.names(rel).is_empty()).cloned().collect();
        for h in heads {
            let before = self.paired(&h.tailnet).map(|b| &self.base[b].globs);
            let new = h.fragments.iter().map(|f| &f.doc.file.rel).filter(|rel| before.is_none_or(|g| !g.matches(rel)));
            out.extend(new.cloned());
        }
        out.sort();
        out.dedup();
        out
    }

    /// A file that lands in tailnet `name` on one side only: the base revision does not run
    /// it (so no trusted base policy judges the grant), or the head no longer does.
    fn unpaired(&self, f: &FragmentFile, name: Option<&str>, at_head: bool) -> Finding {
        let what = name.map_or("the repository's one tailnet".to_owned(), |n| format!("tailnet {n}"));
        let (message, help) = if at_head {
            (
                format!(
                    "this grant file lands in {what}, which the base revision's tailgrant.hujson does not run, so no base policy it can trust says who owns what there"
                ),
                "add the tailnet in its own pull request, with globs that match no grant file yet, merged first; then the grant files for it",
            )
        } else {
            (
                format!(
                    "this grant file lands in {what} by the base revision's globs, which the head's tailgrant.hujson no longer runs; its approvals cannot be judged there"
                ),
                "change `tailnets` in its own pull request, without grant files in it",
            )
        };
        let top = Location::new(&f.doc.file, f.doc.tree.span().start..f.doc.tree.span().start + 1);
        Finding::new(Code::ApprovalsUnbound, top, message, help)
    }
}

struct Judge<'a> {
    git: &'a Git,
    pr: &'a PullRequest,
    /// The base revision's config.
    config: &'a Config,
    /// The files whose change after an approval makes it stale (with `acceptEarlierCommit`):
    /// the grant files judged, the config, and the base policies.
    watched: &'a [String],
    at: Timestamp,
}

/// Why an approval does not count.
enum Missing {
    NoAccount,
    NotIndependent(String),
    Stale(Option<String>),
    ChangesRequested,
    Dismissed,
    Other(String),
    None,
}

impl Judge<'_> {
    fn policy(&self) -> &ApprovalPolicy {
        &self.config.approvals
    }

    /// The login `people` maps to a forge account, if any.
    fn login_of(&self, account: &str) -> Option<&str> {
        let forge = self.pr.forge;
        self.config
            .people
            .iter()
            .find(|(_, a)| forge.account(a).is_some_and(|x| Forge::same(x, account)))
            .map(|(login, _)| login.as_str())
    }

    /// The forge account `people` gives a login, if any.
    fn account_of(&self, login: &str) -> Option<&str> {
        let forge = self.pr.forge;
        self.config.people.iter().find(|(l, _)| l.eq_ignore_ascii_case(login)).and_then(|(_, a)| forge.account(a))
    }

    /// Whether an approval of `commit` is an approval of the head: it is the head, or (with
    /// `acceptEarlierCommit`) no grant file, nor the config or a base policy, changed between it
    /// and the head.
    fn binds(&self, commit: &Option<String>) -> bool {
        let Some(c) = commit else { return false };
        if c.eq_ignore_ascii_case(&self.pr.head) {
            return true;
        }
        self.policy().accept_earlier_commit
            && self.git.commit(c).is_ok()
            && self.git.differ(c, &self.pr.head, self.watched).is_ok_and(|differ| !differ)
    }

    /// Why `account` (of `login`) cannot approve this file at all, if they cannot.
    fn independence(&self, login: &str, account: &str, judgement: &[Judgement]) -> Option<String> {
        if Forge::same(account, &self.pr.author) {
            return Some(format!("opened the {}", self.pr.forge.request()));
        }
        let committed = self.pr.committers.iter().any(|c| Forge::same(c, account))
            || self.pr.committer_emails.iter().any(|e| e.trim().eq_ignore_ascii_case(login));
        if committed {
            return Some(format!("committed to the {}", self.pr.forge.request()));
        }
        judgement.iter().find_map(|j| j.conflict(login)).map(str::to_owned)
    }

    /// Why `login`'s approval does not count for this file, or `None` when it does.
    fn missing(&self, login: &str, judgement: &[Judgement]) -> Option<Missing> {
        let Some(account) = self.account_of(login) else { return Some(Missing::NoAccount) };
        if let Some(why) = self.independence(login, account, judgement) {
            return Some(Missing::NotIndependent(why));
        }
        let decision = self.pr.decisions.iter().find(|(a, _)| Forge::same(a, account)).map(|(_, d)| d);
        match decision {
            Some(Decision::Approved { commit }) if self.binds(commit) => None,
            Some(Decision::Approved { commit }) => Some(Missing::Stale(commit.clone())),
            Some(Decision::ChangesRequested) => Some(Missing::ChangesRequested),
            Some(Decision::Dismissed) => Some(Missing::Dismissed),
            Some(Decision::Other(s)) => Some(Missing::Other(s.clone())),
            None => Some(Missing::None),
        }
    }

    /// Judges one changed grant file (as the head has it) in each tailnet it lands in: a pair
    /// of the head's view of that tailnet and the index of the base revision's in `bases`.
    fn file(
        &self,
        f: &FragmentFile,
        pairs: &[(&Repository, usize)],
        bases: &mut [Repository],
        findings: &mut Vec<Finding>,
    ) -> FileVerdict {
        let loc = |v: &Value| Location::new(&f.doc.file, v.span());
        let top = Location::new(&f.doc.file, f.doc.tree.span().start..f.doc.tree.span().start + 1);
        let named: Vec<(String, &Value)> = field(&f.doc.tree, "approvers")
            .map(strings)
            .unwrap_or_default()
            .into_iter()
            .map(|(a, v)| (a.trim().to_owned(), v))
            .filter(|(a, _)| login_problem(a).is_none()) // `check` reports the others (TG209)
            .collect();
        let request = self.pr.forge.request();
        if !self.pr.unbound.is_empty() {
            for why in &self.pr.unbound {
                findings.push(Finding::new(
                    Code::ApprovalsUnbound,
                    top.clone(),
                    format!("no approval of this {request} can count: {why}"),
                    "fix what is named, then re-run the check",
                ));
            }
            let approvers = named
                .iter()
                .map(|(l, _)| ApproverVerdict {
                    login: l.clone(),
                    account: self.account_of(l).map(str::to_owned),
                    approved: false,
                })
                .collect();
            return FileVerdict {
                file: f.doc.file.path.clone(),
                tailnets: Vec::new(),
                approvers,
                approved_by: Vec::new(),
            };
        }
        // Everyone whose approval might count: the approvers named, and whoever approved.
        let mut candidates: Vec<String> = named.iter().map(|(l, _)| l.clone()).collect();
        for (account, d) in &self.pr.decisions {
            if let (Decision::Approved { .. }, Some(login)) = (d, self.login_of(account))
                && !candidates.iter().any(|c| c.eq_ignore_ascii_case(login))
            {
                candidates.push(login.to_owned());
            }
        }
        // Per tailnet, the head's judgement and the base's.
        let per_tailnet: Vec<(Option<&str>, Vec<Judgement>)> = pairs
            .iter()
            .map(|&(head, base)| (head.tailnet.as_deref(), self.judgements(f, head, &mut bases[base], &candidates)))
            .collect();
        let judgements: Vec<Judgement> = per_tailnet.iter().flat_map(|(_, j)| j).cloned().collect();
        let approved_by: Vec<String> =
            candidates.iter().filter(|c| self.missing(c, &judgements).is_none()).cloned().collect();
        let mut approvers = Vec::new();
        for (login, at) in &named {
            let account = self.account_of(login).map(str::to_owned);
            let missing = self.missing(login, &judgements);
            approvers.push(ApproverVerdict {
                login: login.clone(),
                account: account.clone(),
                approved: missing.is_none(),
            });
            if let Some(m) = missing {
                findings.push(self.finding(m, login, account.as_deref(), loc(at)));
            }
        }
        self.policy_findings(f, &per_tailnet, &approved_by, top, findings);
        FileVerdict { file: f.doc.file.path.clone(), tailnets: Vec::new(), approvers, approved_by }
    }

    /// The guardrails' judgement on the head, and on the base with this file added: an
    /// approval must pass on both.
    fn judgements(
        &self,
        f: &FragmentFile,
        head: &Repository,
        base: &mut Repository,
        people: &[String],
    ) -> Vec<Judgement> {
        let rel = &f.doc.file.rel;
        let mut out: Vec<Judgement> = judge(head, self.at, rel, people).into_iter().collect();
        let at = base.fragments.partition_point(|g| g.doc.file.rel < *rel);
        let replaced = base.fragments.get(at).is_some_and(|g| &g.doc.file.rel == rel);
        let saved = if replaced {
            Some(std::mem::replace(&mut base.fragments[at], f.clone()))
        } else {
            base.fragments.insert(at, f.clone());
            None
        };
        out.extend(judge(base, self.at, rel, people));
        match saved {
            Some(g) => base.fragments[at] = g,
            None => {
                base.fragments.remove(at);
            }
        }
        out
    }

    fn finding(&self, m: Missing, login: &str, account: Option<&str>, at: Location) -> Finding {
        let forge = self.pr.forge.name();
        let who = match account {
            Some(a) => format!("{login} ({forge} @{a})"),
            None => login.to_owned(),
        };
        let head = &self.pr.head[..self.pr.head.len().min(7)];
        let request = self.pr.forge.request();
        let ask = format!("ask them to approve the {request}");
        let (code, message, help) = match m {
            Missing::NoAccount => (
                Code::ApproverWithoutAccount,
                format!(
                    "{login} has no {forge} account in `people` (as the base revision's tailgrant.hujson has it), so no review can be theirs"
                ),
                format!(
                    "add \"people\": {{\"{login}\": {{\"{}\": \"NAME\"}}}} to tailgrant.hujson in its own {request}, merged first; a mapping this {request} adds does not count",
                    self.pr.forge.key()
                ),
            ),
            Missing::NotIndependent(why) => (
                Code::ApprovalNotIndependent,
                format!("{who} {why}, so their approval does not count"),
                "name an approver who did not write the change and gets nothing from it".to_owned(),
            ),
            Missing::Stale(commit) => {
                let what = commit.as_deref().map_or("a commit that no longer exists".to_owned(), |c| {
                    format!("commit {}", &c[..c.len().min(7)])
                });
                (
                    Code::ApprovalStale,
                    format!(
                        "{who} approved {what}, not {head}, the head of the {request}; its grant files, or what decides where they land, changed since"
                    ),
                    format!("{ask} again, on its latest commit"),
                )
            }
            Missing::ChangesRequested => (
                Code::ApprovalMissing,
                format!("{who} requested changes and has not approved commit {head} since"),
                format!("{ask} once their concerns are addressed"),
            ),
            Missing::Dismissed => (
                Code::ApprovalMissing,
                format!("{who}'s approval was dismissed; they have not approved commit {head}"),
                format!("{ask} again"),
            ),
            Missing::Other(state) => (
                Code::ApprovalMissing,
                format!("{who}'s latest review is {state}, not an approval of commit {head}"),
                ask,
            ),
            Missing::None => (
                Code::ApprovalMissing,
                format!("{who} has not approved commit {head}"),
                format!("{ask}; an approval by someone else does not count for them"),
            ),
        };
        Finding::new(code, at, message, help)
    }

    /// `approvals.minimum` and `approvals.requireOwnerApproval`.
    fn policy_findings(
        &self,
        f: &FragmentFile,
        per_tailnet: &[(Option<&str>, Vec<Judgement>)],
        approved_by: &[String],
        top: Location,
        findings: &mut Vec<Finding>,
    ) {
        let request = self.pr.forge.request();
        let minimum = self.policy().minimum as usize;
        if approved_by.len() < minimum {
            let at = crate::load::view::field_key(&f.doc.tree, "approvers")
                .map_or(top, |k| Location::new(&f.doc.file, k.span()));
            findings.push(Finding::new(
                Code::TooFewApprovals,
                at,
                format!(
                    "{} of the at least {minimum} approvals the config requires count{}",
                    approved_by.len(),
                    if approved_by.is_empty() { String::new() } else { format!(" ({})", approved_by.join(", ")) }
                ),
                format!(
                    "more people listed in `people` approve the head of the {request}; the author, committers and whoever the grant benefits do not count"
                ),
            ));
        }
        if !self.policy().require_owner_approval {
            return;
        }
        // In each tailnet the file lands in, each destination it opens there has an owner
        // among those who approved, by both the head's and the base's judgement.
        let mut seen: Vec<&str> = Vec::new();
        for (tailnet, judgements) in per_tailnet {
            seen.clear();
            let there = tailnet.map(|t| format!(" in tailnet {t}")).unwrap_or_default();
            for d in judgements.iter().flat_map(|j| &j.destinations) {
                if seen.contains(&d.dst.as_str()) {
                    continue;
                }
                seen.push(&d.dst);
                let owner = approved_by.iter().find(|a| {
                    judgements.iter().all(|j| {
                        j.destinations
                            .iter()
                            .find(|e| e.dst == d.dst)
                            .is_none_or(|e| e.owners.iter().any(|o| o.eq_ignore_ascii_case(a)))
                    })
                });
                if owner.is_some() {
                    continue;
                }
                findings.push(Finding::new(
                    Code::OwnerApprovalMissing,
                    d.at.clone(),
                    format!("no one who approved owns {}{there}, which this file opens", d.dst),
                    format!(
                        "an owner of {}{there} approves the {request} (ownership as {} and team files give it)",
                        d.dst,
                        if there.is_empty() { "the base policy" } else { "that tailnet's base policy" }
                    ),
                ));
            }
        }
    }
}
