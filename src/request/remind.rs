//! `tailgrant remind`, on a schedule: every active grant file that expires within the window
//! (default: the config's `warnBefore`) is announced to its requester, once per expiry, with
//! the `tailgrant renew` command that continues it: as a comment on the pull request that
//! last changed the file, or, when it came through none, in an issue of its own. A hidden
//! marker in each comment (a digest of the file's path and expiry) keeps a second run from
//! saying it again.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{RequestError, WRITE_PERMISSION};
use crate::approvals::client::{Client, Options};
use crate::approvals::github::Repo;
use crate::load::git::Git;
use crate::load::{FragmentFile, Repository};
use crate::model::Status;
use crate::model::people::Forge;
use crate::report::markdown;

/// The label of the issues `remind` opens (and looks in for its own markers).
pub(crate) const LABEL: &str = "tailgrant-reminder";

/// Where a reminder went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// A comment on this pull request.
    OnPull(u64),
    /// A new issue with this number.
    Issue(u64),
    /// Already said there by an earlier run.
    Already(u64),
}

/// One grant file that expires soon.
#[derive(Debug, Clone)]
pub struct Reminder {
    /// The file, as shown.
    pub file: String,
    pub expires: Timestamp,
    /// The requester's GitHub account, when `people` names one.
    pub account: Option<String>,
    pub posted: Posted,
}

/// The GitHub repository of a scheduled run, from `GITHUB_API_URL`, `GITHUB_REPOSITORY` and
/// `GITHUB_TOKEN`.
pub fn repo_from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Repo, RequestError> {
    Repo::from_env(var).map_err(RequestError::Environment)
}

/// Reminds the requester of every guarded grant file of `views` (the repository as each
/// tailnet reminded of sees it) active at `at` that expires within `within` (default: the
/// config's `warnBefore`).
pub async fn remind(
    views: &[Repository],
    gh: &Repo,
    opts: Options,
    at: Timestamp,
    within: Option<SignedDuration>,
) -> Result<Vec<Reminder>, RequestError> {
    let Some(repo) = views.first() else { return Ok(Vec::new()) };
    let within = within.unwrap_or(repo.config.warn_before.0);
    let rules = crate::check::guardrail_matchers(&repo.config);
    // A grant file in several tailnets is one grant to its requester: one reminder.
    let mut due: Vec<&FragmentFile> = views
        .iter()
        .flat_map(|r| &r.fragments)
        .filter(|f| f.fragment.status(at) == Status::Active && rules.iter().any(|(m, _)| m.is_match(&f.doc.file.rel)))
        .filter(|f| f.fragment.expires.is_some_and(|e| e.duration_since(at) <= within))
        .collect();
    due.sort_by(|a, b| a.doc.file.rel.cmp(&b.doc.file.rel));
    due.dedup_by(|a, b| a.doc.file.rel == b.doc.file.rel);
    let mut out = Vec::new();
    if due.is_empty() {
        return Ok(out);
    }
    let client = gh.client(opts)?;
    let git = Git::open(&repo.dir)?;
    for f in due {
        let Some(expires) = f.fragment.expires else { continue };
        let account = f
            .fragment
            .requester
            .as_ref()
            .and_then(|r| repo.config.people.get(r))
            .and_then(|a| Forge::GitHub.account(a))
            .map(str::to_owned);
        let marker = marker(&f.doc.file.rel, expires);
        let body = text(f, expires, at, account.as_deref(), &marker);
        let pull = match git.last_change("HEAD", &f.doc.file.rel)? {
            Some(commit) => gh.merged_pulls(&client, &commit).await?.first().map(|m| m.number),
            None => None,
        };
        let posted = match pull {
            Some(n) => {
                let comments: Vec<Body> = client
                    .list("reading the pull request's comments", &gh.path(&format!("issues/{n}/comments")))
                    .await?;
                if comments.iter().any(|c| c.body.as_deref().is_some_and(|b| b.contains(&marker))) {
                    Posted::Already(n)
                } else {
                    comment(gh, &client, n, &body).await?;
                    Posted::OnPull(n)
                }
            }
            None => {
                // Closed ones too: a reminder the requester closed was said, and is not said again.
                let said: Vec<Numbered> = client
                    .list("listing reminder issues", &gh.path(&format!("issues?state=all&labels={LABEL}")))
                    .await?;
                match said.iter().find(|i| i.body.as_deref().is_some_and(|b| b.contains(&marker))) {
                    Some(i) => Posted::Already(i.number),
                    None => {
                        let title = format!("Access from {} expires at {expires}", f.doc.file.path);
                        let issue: Numbered = client
                            .write(
                                "opening a reminder issue",
                                reqwest::Method::POST,
                                &gh.path("issues"),
                                &json!({"title": crate::model::text::one_line(&title), "body": body, "labels": [LABEL]}),
                                WRITE_PERMISSION,
                            )
                            .await?;
                        Posted::Issue(issue.number)
                    }
                }
            }
        };
        out.push(Reminder { file: f.doc.file.path.clone(), expires, account, posted });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    body: Option<String>,
}

#[derive(Deserialize)]
struct Numbered {
    number: u64,
    #[serde(default)]
    body: Option<String>,
}

async fn comment(gh: &Repo, client: &Client, n: u64, body: &str) -> Result<(), RequestError> {
    let _: serde_json::Value = client
        .write(
            "commenting on the pull request",
            reqwest::Method::POST,
            &gh.path(&format!("issues/{n}/comments")),
            &json!({"body": body}),
            WRITE_PERMISSION,
        )
        .await?;
    Ok(())
}

/// `<!-- tailgrant-reminder HEX -->`: which file and expiry a comment was about, as a digest,
/// so that no file name can end the HTML comment.
fn marker(rel: &str, expires: Timestamp) -> String {
    let digest = Sha256::digest(format!("{rel}\n{expires}").as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("<!-- tailgrant-reminder {hex} -->")
}

/// The reminder's Markdown. Everything from the grant file is escaped; the only mention is
/// the requester's account from `people` (trusted config, its grammar checked).
fn text(f: &FragmentFile, expires: Timestamp, at: Timestamp, account: Option<&str>, marker: &str) -> String {
    let who = match (account, &f.fragment.requester) {
        (Some(a), _) => format!("@{a}"),
        (None, Some(r)) => format!("{} (no GitHub account in `people`)", markdown::text(r)),
        (None, None) => "The requester".to_owned(),
    };
    let left = expires.duration_since(at);
    let left = format!("{}h {:02}m", left.as_hours(), (left.as_mins() % 60).max(0));
    // The renewal lasts as long as the original window, at most what was asked for.
    let length = f.fragment.not_before.map_or(SignedDuration::from_hours(8), |nb| expires.duration_since(nb));
    let length = crate::model::Duration(length.max(SignedDuration::from_hours(1)));
    let path = &f.doc.file.path;
    let arg = shell_word(path);
    format!(
        "{marker}\n{who}: your access from {} expires at **{expires}** (in {left}).\n\n\
         To keep it, write the follow-up grant file and open a pull request with it; it is reviewed and approved like the first:\n\n{}\n\
         Nothing to do if you no longer need it: the access ends by itself.\n",
        markdown::code(path),
        markdown::code_block("sh", &format!("tailgrant renew {arg} --for {length}")),
    )
}

/// `path` as one shell word. Single quotes keep everything literal but a quote itself, which
/// closes, is escaped and reopens: the command copied from the comment names exactly this file.
fn shell_word(path: &str) -> String {
    if path.chars().all(|c| c.is_ascii_alphanumeric() || "._/+=@-".contains(c)) {
        path.to_owned()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_is_one_shell_word_whatever_it_holds() {
        assert_eq!(super::shell_word("grants/a.hujson"), "grants/a.hujson");
        assert_eq!(super::shell_word("grants/o'brien; rm -rf ~.hujson"), r"'grants/o'\''brien; rm -rf ~.hujson'");
        assert_eq!(super::shell_word("grants/$(id).hujson"), "'grants/$(id).hujson'");
    }
}
