//! People on the forges: which forge, and what an account name there may look like. The
//! config's `people` maps each tailnet login to these accounts (`model::Accounts`).

use super::Accounts;

/// A forge that hosts the policy repository and its pull requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Forge {
    GitHub,
    GitLab,
}

impl Forge {
    /// `GitHub`, `GitLab`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
        }
    }

    /// The key in `people` entries: `github`, `gitlab`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Forge::GitHub => "github",
            Forge::GitLab => "gitlab",
        }
    }

    /// The person's account on this forge, if `people` names one.
    pub(crate) fn account(self, accounts: &Accounts) -> Option<&str> {
        match self {
            Forge::GitHub => accounts.github.as_deref(),
            Forge::GitLab => accounts.gitlab.as_deref(),
        }
    }

    /// Why `name` cannot be an account on this forge, if it cannot.
    pub(crate) fn account_problem(self, name: &str) -> Option<&'static str> {
        match self {
            Forge::GitHub => github_login_problem(name),
            Forge::GitLab => gitlab_username_problem(name),
        }
    }

    /// `pull request`, `merge request`.
    pub(crate) fn request(self) -> &'static str {
        match self {
            Forge::GitHub => "pull request",
            Forge::GitLab => "merge request",
        }
    }

    /// Whether two account names are the same account (both forges ignore case).
    pub(crate) fn same(a: &str, b: &str) -> bool {
        a.eq_ignore_ascii_case(b)
    }
}

/// The tailnet login that `people` maps `account` on `forge` to, if any (accounts compare
/// without regard to case, as the forges compare them).
pub(crate) fn login_of<'p>(
    people: &'p indexmap::IndexMap<String, Accounts>,
    forge: Forge,
    account: &str,
) -> Option<&'p str> {
    people
        .iter()
        .find(|(_, a)| forge.account(a).is_some_and(|mine| Forge::same(mine, account)))
        .map(|(login, _)| login.as_str())
}

/// GitHub logins: 1 to 39 letters, digits and single hyphens, neither first nor last.
fn github_login_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() || s.len() > 39 {
        Some("is not 1 to 39 characters long")
    } else if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Some("holds characters other than letters, digits and hyphens")
    } else if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        Some("has a hyphen at the start or end, or two in a row")
    } else {
        None
    }
}

/// GitLab usernames: letters, digits, `_`, `.` and `-`, up to 255; not starting with `-` or
/// `.`, not ending with `.`, `.git` or `.atom` (older accounts may start with `_`).
fn gitlab_username_problem(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    if s.is_empty() || s.len() > 255 {
        Some("is not 1 to 255 characters long")
    } else if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
        Some("holds characters other than letters, digits, `_`, `.` and `-`")
    } else if s.starts_with(['-', '.']) || s.ends_with('.') || lower.ends_with(".git") || lower.ends_with(".atom") {
        Some("starts with `-` or `.`, or ends with `.`, `.git` or `.atom`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Forge;

    #[test]
    fn account_grammars() {
        for ok in ["alice-gh", "a", "Bob42", "x-y-z", &"a".repeat(39)] {
            assert_eq!(Forge::GitHub.account_problem(ok), None, "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "a_b", "a.b", "@alice", "al ice", &"a".repeat(40), "alice\n"] {
            assert!(Forge::GitHub.account_problem(bad).is_some(), "{bad:?}");
        }
        for ok in ["alice", "a.b", "a_b-c", "_legacy", "x1"] {
            assert_eq!(Forge::GitLab.account_problem(ok), None, "{ok}");
        }
        for bad in ["", "-a", ".a", "a.", "repo.git", "feed.ATOM", "a b", "a/b", "ünï", "@bob"] {
            assert!(Forge::GitLab.account_problem(bad).is_some(), "{bad:?}");
        }
    }
}
