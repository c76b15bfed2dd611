//! GitLab: the merge request of a merge-request pipeline, its approvals and commits
//! (`docs.gitlab.com/api/merge_request_approvals`, `merge_requests`). GitLab lists who
//! approved, not which commit they approved, so the approvals are bound to the head here: the
//! project must remove approvals when commits are added ("reset approvals on push"), and the
//! merge request's head must be the commit checked out, before and after the approvals are read.

use serde::Deserialize;

use super::client::{Client, ForgeError, Options};
use super::{Decision, PullRequest, is_sha};
use crate::http::escape;
use crate::model::people::Forge;

/// A merge-request pipeline, from GitLab CI's environment.
#[derive(Debug, Clone)]
pub struct Run {
    api: String,
    project: String,
    iid: u64,
    token: String,
    /// The source branch's head in a merged-results pipeline, where HEAD is a merge commit.
    source_sha: Option<String>,
    /// The merge base with the target branch.
    base: Option<String>,
}

impl Run {
    /// `CI_API_V4_URL`, `CI_PROJECT_ID`, `CI_MERGE_REQUEST_IID`, `GITLAB_TOKEN`, and
    /// `CI_MERGE_REQUEST_DIFF_BASE_SHA` and `CI_MERGE_REQUEST_SOURCE_BRANCH_SHA` when set.
    pub(crate) fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Run, String> {
        let get = |k: &str| var(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let need = |k: &str| get(k).ok_or_else(|| format!("{k} is not set"));
        let iid = need("CI_MERGE_REQUEST_IID")?;
        let iid = iid.parse().map_err(|_| format!("CI_MERGE_REQUEST_IID must be a number, not {iid:?}"))?;
        let token = need("GITLAB_TOKEN").map_err(|e| {
            format!("{e}: the CI job token cannot read merge request approvals; set a masked CI/CD variable GITLAB_TOKEN to a project access token with read_api")
        })?;
        let sha = |k: &str| -> Result<Option<String>, String> {
            match get(k) {
                Some(s) if !is_sha(&s) => Err(format!("{k} is not a commit id")),
                s => Ok(s),
            }
        };
        Ok(Run {
            api: need("CI_API_V4_URL")?,
            project: need("CI_PROJECT_ID")?,
            iid,
            token,
            source_sha: sha("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA")?,
            base: sha("CI_MERGE_REQUEST_DIFF_BASE_SHA")?,
        })
    }

    /// The head under review: the source branch's head when GitLab names it, else `checked_out`.
    pub(crate) fn head<'a>(&'a self, checked_out: &'a str) -> &'a str {
        self.source_sha.as_deref().unwrap_or(checked_out)
    }

    pub(crate) fn client(&self, opts: Options) -> Result<Client, ForgeError> {
        Client::new(Forge::GitLab, &self.api, &self.token, opts)
    }

    fn path(&self, rest: &str) -> String {
        format!("projects/{}/{rest}", escape(&self.project))
    }

    /// The merge request, with its approvals bound to `head` (the commit under review).
    pub(crate) async fn pull_request(&self, client: &Client, head: &str) -> Result<PullRequest, ForgeError> {
        let settings: Settings =
            client.object("reading the project's approval settings", &self.path("approvals")).await?;
        let mr_path = self.path(&format!("merge_requests/{}", self.iid));
        let before: MergeRequest = client.object("reading the merge request", &mr_path).await?;
        let approvals: Approvals =
            client.object("reading the merge request's approvals", &format!("{mr_path}/approvals")).await?;
        let commits: Vec<CommitJson> =
            client.list("listing the merge request's commits", &format!("{mr_path}/commits")).await?;
        let after: MergeRequest = client.object("reading the merge request", &mr_path).await?;
        let mut unbound = Vec::new();
        if !settings.reset_approvals_on_push {
            unbound.push(
                "the project keeps approvals when commits are added, so an approval may be of an earlier commit: turn on \
                 \"Remove all approvals when commits are added to the source branch\" (Settings → Merge requests → Approval settings)"
                    .to_owned(),
            );
        }
        if !settings.merge_requests_disable_committers_approval {
            unbound.push(
                "the project lets people who added commits approve: turn on \"Prevent approvals by users who add commits\" \
                 (Settings → Merge requests → Approval settings)"
                    .to_owned(),
            );
        }
        if !before.sha.eq_ignore_ascii_case(head) {
            unbound.push(format!(
                "the merge request's head is {}, not {}, the commit checked out; the pipeline for its head decides",
                short(&before.sha),
                short(head)
            ));
        } else if !after.sha.eq_ignore_ascii_case(&before.sha) {
            unbound.push(format!(
                "the merge request moved to {} while its approvals were read; re-run",
                short(&after.sha)
            ));
        }
        let decisions = approvals
            .approved_by
            .into_iter()
            .map(|a| (a.user.username, Decision::Approved { commit: Some(before.sha.clone()) }))
            .collect();
        let emails = commits.into_iter().flat_map(|c| [c.author_email, c.committer_email]).flatten().collect();
        Ok(PullRequest {
            forge: Forge::GitLab,
            number: self.iid,
            head: head.to_owned(),
            base: self.base.clone().unwrap_or(before.diff_refs.base_sha),
            author: before.author.username,
            committers: Vec::new(),
            committer_emails: emails,
            decisions,
            unbound,
        })
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

#[derive(Deserialize)]
struct Settings {
    reset_approvals_on_push: bool,
    #[serde(default)]
    merge_requests_disable_committers_approval: bool,
}

#[derive(Deserialize)]
struct MergeRequest {
    sha: String,
    author: User,
    diff_refs: DiffRefs,
}

#[derive(Deserialize)]
struct DiffRefs {
    base_sha: String,
}

#[derive(Deserialize)]
struct User {
    username: String,
}

#[derive(Deserialize)]
struct Approvals {
    approved_by: Vec<ApprovedBy>,
}

#[derive(Deserialize)]
struct ApprovedBy {
    user: User,
}

#[derive(Deserialize)]
struct CommitJson {
    #[serde(default)]
    author_email: Option<String>,
    #[serde(default)]
    committer_email: Option<String>,
}
