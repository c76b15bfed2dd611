//! GitHub: the pull request of a GitHub Actions run, its reviews and its commits
//! (`docs.github.com/rest/pulls`: reviews are listed in chronological order, 100 a page at
//! most; a pull request's commits, 250 at most).

use std::collections::HashMap;

use jiff::Timestamp;
use serde::Deserialize;

use super::client::{Client, ForgeError, Options};
use super::{Decision, PullRequest, is_sha};
use crate::http::escape;
use crate::model::people::Forge;

/// A GitHub repository and the token to read it, from GitHub Actions' environment.
#[derive(Debug, Clone)]
pub struct Repo {
    api: String,
    owner: String,
    repo: String,
    token: String,
}

/// A `pull_request` or `pull_request_review` run, from GitHub Actions' environment.
#[derive(Debug, Clone)]
pub struct Run {
    repo: Repo,
    number: u64,
    head: String,
    base: String,
    author: String,
}

/// A merged pull request, as `commits/{sha}/pulls` lists it.
#[derive(Debug, Clone)]
pub(crate) struct Merged {
    pub(crate) number: u64,
    pub(crate) head: String,
    pub(crate) base: String,
    pub(crate) author: String,
}

/// The largest event payload read (GitHub's are far smaller).
const MAX_EVENT_BYTES: u64 = 16 << 20;

impl Repo {
    /// `GITHUB_API_URL` (default `https://api.github.com`), `GITHUB_REPOSITORY`, `GITHUB_TOKEN`.
    pub(crate) fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Repo, String> {
        let need = |k: &str| var(k).filter(|v| !v.trim().is_empty()).ok_or_else(|| format!("{k} is not set"));
        let api =
            var("GITHUB_API_URL").filter(|v| !v.trim().is_empty()).unwrap_or_else(|| "https://api.github.com".into());
        let repository = need("GITHUB_REPOSITORY")?;
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| format!("GITHUB_REPOSITORY must be OWNER/REPO, not {repository:?}"))?;
        let token = need("GITHUB_TOKEN").map_err(|e| {
            format!("{e}: pass the job's token, e.g. `env: GITHUB_TOKEN: ${{{{ github.token }}}}`, with `permissions: pull-requests: read`")
        })?;
        Ok(Repo { api, owner: owner.to_owned(), repo: repo.to_owned(), token })
    }

    /// `OWNER`
    pub(crate) fn owner(&self) -> &str {
        &self.owner
    }

    /// `repos/OWNER/REPO/rest`, each part escaped.
    pub(crate) fn path(&self, rest: &str) -> String {
        format!("repos/{}/{}/{rest}", escape(&self.owner), escape(&self.repo))
    }

    pub(crate) fn client(&self, opts: Options) -> Result<Client, ForgeError> {
        Client::new(Forge::GitHub, &self.api, &self.token, opts)
    }

    /// Pull request `m`, judged at its head: its author, committers and reviews; and its live
    /// head, which may have moved on.
    async fn judged(&self, client: &Client, m: &Merged) -> Result<(PullRequest, String), ForgeError> {
        let n = m.number;
        let live: Pull = client.object("reading the pull request", &self.path(&format!("pulls/{n}"))).await?;
        let reviews: Vec<ReviewJson> =
            client.list("listing the pull request's reviews", &self.path(&format!("pulls/{n}/reviews"))).await?;
        let commits: Vec<CommitJson> =
            client.list("listing the pull request's commits", &self.path(&format!("pulls/{n}/commits"))).await?;
        let mut unbound = Vec::new();
        if commits.len() >= 250 {
            // The endpoint lists 250 commits at most: the committers beyond are unknown.
            unbound.push("the pull request has 250 commits or more, and GitHub lists only 250: its committers cannot all be known".into());
        }
        let mut committers: Vec<String> = Vec::new();
        let mut emails = Vec::new();
        for c in &commits {
            committers.extend(c.author.iter().chain(&c.committer).map(|u| u.login.clone()));
            emails.extend(c.commit.author.iter().chain(&c.commit.committer).filter_map(|p| p.email.clone()));
        }
        let pr = PullRequest {
            forge: Forge::GitHub,
            number: n,
            head: m.head.clone(),
            base: m.base.clone(),
            author: if live.user.login.is_empty() { m.author.clone() } else { live.user.login },
            committers,
            committer_emails: emails,
            decisions: decisions(reviews),
            unbound,
        };
        Ok((pr, live.head.sha))
    }

    /// The merged pull requests that brought `sha` into the repository.
    pub(crate) async fn merged_pulls(&self, client: &Client, sha: &str) -> Result<Vec<Merged>, ForgeError> {
        let pulls: Vec<CommitPull> =
            client.list("listing the pull requests of a commit", &self.path(&format!("commits/{sha}/pulls"))).await?;
        Ok(pulls
            .into_iter()
            .filter(|p| p.merged_at.is_some() && is_sha(&p.head.sha) && is_sha(&p.base.sha))
            .map(|p| Merged { number: p.number, head: p.head.sha, base: p.base.sha, author: p.user.login })
            .collect())
    }

    /// The pull request `m`, judged at its head: its reviews and commits.
    pub(crate) async fn merged(&self, client: &Client, m: &Merged) -> Result<PullRequest, ForgeError> {
        self.judged(client, m).await.map(|(pr, _)| pr)
    }

    /// The git blob id of `path` (relative to the repository's top) at `rev`, by the contents
    /// API; `None` when it is not there.
    pub(crate) async fn blob(&self, client: &Client, path: &str, rev: &str) -> Result<Option<String>, ForgeError> {
        let segments: Vec<String> = path.split('/').map(escape).collect();
        let what = "reading a grant file at a pull request's head";
        match client.object::<Content>(what, &self.path(&format!("contents/{}?ref={rev}", segments.join("/")))).await {
            Ok(c) if c.kind == "file" && is_sha(&c.sha) => Ok(Some(c.sha)),
            Ok(_) => Ok(None),
            Err(ForgeError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Run {
    /// The repository, and the `pull_request` of the payload at `GITHUB_EVENT_PATH`.
    pub(crate) fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Run, String> {
        let repo = Repo::from_env(var)?;
        let path = var("GITHUB_EVENT_PATH").filter(|v| !v.trim().is_empty()).ok_or("GITHUB_EVENT_PATH is not set")?;
        let event = read_event(&path)?;
        let pr = event.pull_request.ok_or_else(|| {
            "the event has no pull_request: run `tailgrant approvals` on `pull_request` and `pull_request_review` events"
                .to_owned()
        })?;
        for (what, sha) in [("head", &pr.head.sha), ("base", &pr.base.sha)] {
            if !is_sha(sha) {
                return Err(format!("the event's pull_request.{what}.sha is not a commit id"));
            }
        }
        Ok(Run { repo, number: pr.number, head: pr.head.sha, base: pr.base.sha, author: pr.user.login })
    }

    pub(crate) fn head(&self) -> &str {
        &self.head
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn client(&self, opts: Options) -> Result<Client, ForgeError> {
        self.repo.client(opts)
    }

    /// The pull request as the API has it now: its author, commits and reviews, judged at the
    /// event's head.
    pub(crate) async fn pull_request(&self, client: &Client) -> Result<PullRequest, ForgeError> {
        let m = Merged {
            number: self.number,
            head: self.head.clone(),
            base: self.base.clone(),
            author: self.author.clone(),
        };
        let (mut pr, live_head) = self.repo.judged(client, &m).await?;
        if !live_head.eq_ignore_ascii_case(&self.head) {
            pr.unbound.push(format!(
                "the pull request's head moved to {} after this run's event (for {}); the run for the new head decides",
                short(&live_head),
                short(&self.head)
            ));
        }
        Ok(pr)
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

fn read_event(path: &str) -> Result<Event, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read GITHUB_EVENT_PATH {path}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_EVENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read GITHUB_EVENT_PATH: {e}"))?;
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        return Err("the event payload at GITHUB_EVENT_PATH is larger than 16 MiB".into());
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("the event payload at GITHUB_EVENT_PATH does not decode: {e}"))
}

#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    pull_request: Option<EventPull>,
}

#[derive(Deserialize)]
struct EventPull {
    number: u64,
    head: Sha,
    base: Sha,
    user: User,
}

#[derive(Deserialize)]
struct Sha {
    sha: String,
}

#[derive(Deserialize, Clone)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct Pull {
    head: Sha,
    user: User,
}

#[derive(Deserialize)]
struct CommitPull {
    number: u64,
    head: Sha,
    base: Sha,
    user: User,
    #[serde(default)]
    merged_at: Option<Timestamp>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(rename = "type")]
    kind: String,
    sha: String,
}

#[derive(Deserialize)]
struct ReviewJson {
    id: u64,
    /// `null` for a deleted account.
    user: Option<UserWithId>,
    state: String,
    commit_id: Option<String>,
    /// Absent or `null` for a pending review.
    #[serde(default)]
    submitted_at: Option<Timestamp>,
}

#[derive(Deserialize)]
struct UserWithId {
    login: String,
    id: u64,
}

#[derive(Deserialize)]
struct CommitJson {
    commit: GitCommit,
    author: Option<User>,
    committer: Option<User>,
}

#[derive(Deserialize)]
struct GitCommit {
    author: Option<Person>,
    committer: Option<Person>,
}

#[derive(Deserialize)]
struct Person {
    email: Option<String>,
}

/// Per reviewer, the latest review that is not a plain comment (nor pending) decides.
fn decisions(mut reviews: Vec<ReviewJson>) -> Vec<(String, Decision)> {
    reviews.retain(|r| r.submitted_at.is_some() && r.user.is_some());
    // Chronological as documented; sorted again so that the order never depends on that.
    reviews.sort_by_key(|r| (r.submitted_at, r.id));
    let mut latest: HashMap<u64, (String, Decision)> = HashMap::new();
    let mut order = Vec::new();
    for r in reviews {
        let Some(user) = r.user else { continue };
        let decision = match r.state.as_str() {
            "COMMENTED" | "PENDING" => continue,
            "APPROVED" => Decision::Approved { commit: r.commit_id.filter(|c| is_sha(c)) },
            "CHANGES_REQUESTED" => Decision::ChangesRequested,
            "DISMISSED" => Decision::Dismissed,
            // A state this code does not know is no approval.
            other => Decision::Other(crate::redact::untrusted(other, 40)),
        };
        if !latest.contains_key(&user.id) {
            order.push(user.id);
        }
        latest.insert(user.id, (user.login, decision));
    }
    order.into_iter().filter_map(|id| latest.remove(&id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(id: u64, user: (&str, u64), state: &str, commit: &str, at: Option<&str>) -> ReviewJson {
        ReviewJson {
            id,
            user: Some(UserWithId { login: user.0.into(), id: user.1 }),
            state: state.into(),
            commit_id: Some(commit.into()),
            submitted_at: at.map(|t| t.parse().unwrap()),
        }
    }

    #[test]
    fn the_latest_review_that_is_not_a_comment_decides() {
        let (a, b) = ("a".repeat(40), "b".repeat(40));
        let bob = ("bob-gh", 1);
        let carol = ("carol-gh", 2);
        let got = decisions(vec![
            review(1, bob, "APPROVED", &a, Some("2026-01-01T10:00:00Z")),
            review(2, bob, "COMMENTED", &b, Some("2026-01-01T11:00:00Z")),
            review(3, carol, "APPROVED", &a, Some("2026-01-01T10:00:00Z")),
            review(4, carol, "CHANGES_REQUESTED", &b, Some("2026-01-01T12:00:00Z")),
            review(5, carol, "APPROVED", &b, None), // pending
        ]);
        assert_eq!(
            got,
            [
                ("bob-gh".to_owned(), Decision::Approved { commit: Some(a.clone()) }),
                ("carol-gh".to_owned(), Decision::ChangesRequested)
            ]
        );
        // Out of order on the wire: time decides, not position.
        let got = decisions(vec![
            review(9, bob, "DISMISSED", &a, Some("2026-01-02T10:00:00Z")),
            review(8, bob, "APPROVED", &b, Some("2026-01-03T10:00:00Z")),
        ]);
        assert_eq!(got, [("bob-gh".to_owned(), Decision::Approved { commit: Some(b) })]);
        let got = decisions(vec![review(1, bob, "SOMETHING_NEW", &a, Some("2026-01-02T10:00:00Z"))]);
        assert!(matches!(got[0].1, Decision::Other(_)));
    }
}
