//! `apply` with `approvals.verifyOnApply`: for every active grant file, the commit that last
//! changed it must have come through a merged pull request whose approvals verify as
//! `tailgrant approvals` verifies them (on that pull request's head, with `people` from its
//! base), and the file must be what that head held. A file that does not is left inactive
//! (`TG408`): an administrator's merge without review, or a push straight to the branch, grants
//! nothing. GitHub only (`GET /repos/{owner}/{repo}/commits/{sha}/pulls`).

use jiff::Timestamp;

use super::client::Options;
use super::github::{Merged, Repo};
use super::{ApprovalsError, Judge};
use crate::finding::{Code, Finding, Location};
use crate::load::git::Git;
use crate::load::{FragmentFile, Repository};
use crate::model::Status;

/// The active grant files that did not verify, each with its finding.
#[derive(Debug, Default)]
pub struct Unverified {
    pub findings: Vec<Finding>,
    rels: Vec<String>,
}

impl Unverified {
    pub fn is_empty(&self) -> bool {
        self.rels.is_empty()
    }

    /// Leaves the unverified files out of `repo`, so that they contribute nothing.
    pub fn deactivate(&self, repo: &mut Repository) {
        repo.fragments.retain(|f| !self.rels.contains(&f.doc.file.rel));
    }
}

/// Verifies the active grant files (fragments a guardrail covers) of `repo`, checked out in a
/// GitHub Actions run whose environment `var` reads.
pub async fn verify_merged(
    repo: &Repository,
    var: &dyn Fn(&str) -> Option<String>,
    opts: Options,
    at: Timestamp,
) -> Result<Unverified, ApprovalsError> {
    let rules = crate::check::guardrail_matchers(&repo.config);
    let grants: Vec<&FragmentFile> = repo
        .fragments
        .iter()
        .filter(|f| f.fragment.status(at) == Status::Active && rules.iter().any(|(m, _)| m.is_match(&f.doc.file.rel)))
        .collect();
    let mut out = Unverified::default();
    if !repo.config.approvals.verify_on_apply || grants.is_empty() {
        return Ok(out);
    }
    let gh = Repo::from_env(var).map_err(|e| {
        ApprovalsError::Environment(format!("approvals.verifyOnApply reads the pull requests on GitHub: {e}"))
    })?;
    let client = gh.client(opts)?;
    let git = Git::open(&repo.dir)?;
    for f in grants {
        if let Some(why) = unverified(&git, &gh, &client, repo, f, at).await? {
            let top = Location::new(&f.doc.file, f.doc.tree.span().start..f.doc.tree.span().start + 1);
            out.findings.push(Finding::new(
                Code::UnverifiedGrant,
                top,
                format!("{why}; it is left inactive"),
                "submit the grant file in a pull request and have the approvers it names approve its head",
            ));
            out.rels.push(f.doc.file.rel.clone());
        }
    }
    Ok(out)
}

/// Why `f` is not verified, or `None` when it is.
async fn unverified(
    git: &Git,
    gh: &Repo,
    client: &super::client::Client,
    repo: &Repository,
    f: &FragmentFile,
    at: Timestamp,
) -> Result<Option<String>, ApprovalsError> {
    let rel = &f.doc.file.rel;
    if git.dirty(rel)? {
        return Ok(Some("it differs from the commit checked out".into()));
    }
    let Some(commit) = git.last_change("HEAD", rel)? else {
        return Ok(Some("it is not committed".into()));
    };
    let short = &commit[..commit.len().min(7)];
    let pulls = gh.merged_pulls(client, &commit).await?;
    if pulls.is_empty() {
        return Ok(Some(format!(
            "the commit that last changed it ({short}) came through no merged pull request: it was pushed, or merged without one"
        )));
    }
    let here = git.blob("HEAD", rel)?;
    let mut why = None;
    for m in &pulls {
        match verdict(git, gh, client, repo, f, m, here.as_deref(), at).await? {
            None => return Ok(None),
            Some(reason) => {
                why.get_or_insert(format!(
                    "the commit that last changed it ({short}) came through pull request #{}, {reason}",
                    m.number
                ));
            }
        }
    }
    Ok(why)
}

/// Why pull request `m` does not vouch for `f`, or `None` when it does.
#[allow(clippy::too_many_arguments)]
async fn verdict(
    git: &Git,
    gh: &Repo,
    client: &super::client::Client,
    repo: &Repository,
    f: &FragmentFile,
    m: &Merged,
    here: Option<&str>,
    at: Timestamp,
) -> Result<Option<String>, ApprovalsError> {
    let path = format!("{}{}", git.prefix(), f.doc.file.rel);
    let there = gh.blob(client, &path, &m.head).await?;
    if there.is_none() || there.as_deref() != here {
        return Ok(Some("whose head does not hold the file as it is now".into()));
    }
    let Ok(mut bases) = git.views(&m.base, &repo.dir) else {
        return Ok(Some(format!(
            "whose base commit {} is not in this clone (check out with the full history)",
            &m.base[..7]
        )));
    };
    // Judged against this tailnet's base policy as that pull request's base revision had it.
    let views = bases.iter().map(|b| (&b.tailnet, b.config.tailnet.as_str()));
    let Some(base) = super::paired(views, &repo.tailnet, &repo.config.tailnet) else {
        let name = repo.tailnet.as_deref().unwrap_or("the repository's tailnet");
        return Ok(Some(format!(
            "whose base revision does not run tailnet {name}, so no policy it did not write judged it"
        )));
    };
    let pr = gh.merged(client, m).await?;
    let config = bases[base].config.clone();
    let watched = [
        f.doc.file.rel.clone(),
        crate::load::CONFIG_FILE.to_owned(),
        repo.config.base.trim_start_matches("./").to_owned(),
    ];
    let judge = Judge { git, pr: &pr, config: &config, watched: &watched, at };
    let mut findings = Vec::new();
    judge.file(f, &[(repo, base)], &mut bases, &mut findings);
    Ok(findings.iter().find(|x| x.is_error()).map(|x| format!("whose approvals do not verify: {}", x.message)))
}
