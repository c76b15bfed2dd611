//! A git repository with a base branch and a pull-request branch, a forge simulator, and the
//! binary run with the CI environment.

use std::path::{Path, PathBuf};
use std::process::Command;

use forge_sim::{Commit, GitLabSettings, MergeRequest, Pull, Setup, Simulator};

pub use crate::common::Run;

pub const GITHUB_TOKEN: &str = "ghs_simulatorTokenWithPullRequestsRead0";
pub const GITHUB_TOKEN_WITHOUT_PERMISSION: &str = "ghs_simulatorTokenWithoutPermission000";
pub const GITLAB_TOKEN: &str = "glpat-simulatorReadApiToken0000";
pub const GITLAB_TOKEN_WITHOUT_SCOPE: &str = "glpat-simulatorNoScopeToken00000";

pub const BASE_POLICY: &str = r#"// Test base policy.
{
	"groups": {
		"group:eng": ["alice@example.com", "bob@example.com", "carol@example.com"],
		"group:dba": ["bob@example.com"],
	},
	"tagOwners": {
		"tag:prod-db": ["group:dba"],
		"tag:web":     ["group:eng"],
	},
	"grants": [
		{"src": ["group:dba"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]},
	],
}
"#;

/// The base config: who is who on each forge, and `extra` config keys.
pub fn config(extra: &str) -> String {
    format!(
        r#"{{
	"people": {{
		"alice@example.com": {{"github": "alice-gh", "gitlab": "alice"}},
		"bob@example.com":   {{"github": "bob-gh",   "gitlab": "bob"}},
		"carol@example.com": {{"github": "carol-gh", "gitlab": "carol"}},
		"dave@example.com":  {{"github": "dave-gh",  "gitlab": "dave"}},
	}},
	{extra}
}}
"#
    )
}

/// A grant file: `requester` asks for tag:prod-db, naming `approvers`; `note` varies the text.
pub fn grant(requester: &str, approvers: &[&str], note: &str) -> String {
    let approvers: Vec<String> = approvers.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        r#"{{
	"description": "Debug replication lag (INC-4211){note}",
	"requester":   "{requester}",
	"approvers":   [{}],
	"notBefore":   "2026-11-22T09:00:00Z",
	"expires":     "2026-11-29T17:00:00Z",
	"grants": [
		{{"src": ["{requester}"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}},
	],
}}
"#,
        approvers.join(", ")
    )
}

pub const GRANT: &str = "policies/grants/2026-11-22-alice-prod-db.hujson";

/// A git repository in a temporary directory, its commits made with fixed names and dates so
/// that commit ids (and so snapshots) do not change from run to run.
pub struct Repo {
    pub dir: tempfile::TempDir,
    tick: std::cell::Cell<u32>,
}

impl Repo {
    /// `main` with the base policy and `config`, then the branch `pr` checked out.
    pub fn new(config: &str) -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap(), tick: std::cell::Cell::new(0) };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write("policies/policy.hujson", BASE_POLICY);
        repo.write("policies/tailgrant.hujson", config);
        repo.write("README.md", "policies\n");
        repo.commit("base");
        repo.git(&["checkout", "-q", "-b", "pr"]);
        repo
    }

    /// `main` with `files` (path, text), then the branch `pr` checked out.
    pub fn with(files: &[(&str, &str)]) -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap(), tick: std::cell::Cell::new(0) };
        repo.git(&["init", "-q", "-b", "main"]);
        for (rel, text) in files {
            repo.write(rel, text);
        }
        repo.commit("base");
        repo.git(&["checkout", "-q", "-b", "pr"]);
        repo
    }

    /// `main` with the project's example `policies/` except `leave_out`, then the branch `pr`
    /// checked out.
    pub fn example(leave_out: &str) -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap(), tick: std::cell::Cell::new(0) };
        repo.git(&["init", "-q", "-b", "main"]);
        let example = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["policies", "policies/grants", "policies/teams"] {
            for e in std::fs::read_dir(example.join(dir)).unwrap() {
                let p = e.unwrap().path();
                let rel = format!("{dir}/{}", p.file_name().unwrap().to_string_lossy());
                if p.is_file() && rel != leave_out {
                    repo.write(&rel, &std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        repo.commit("base");
        repo.git(&["checkout", "-q", "-b", "pr"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        crate::common::write(self.path(), rel, text);
    }

    pub fn git(&self, args: &[&str]) -> String {
        let t = self.tick.get();
        let date = format!("2026-11-22T10:{:02}:00Z", t % 60);
        let out = Command::new("git")
            .current_dir(self.path())
            .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
            .args(args)
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@example.com")
            .env("GIT_COMMITTER_NAME", "Alice")
            .env("GIT_COMMITTER_EMAIL", "alice@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Commits everything; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.tick.set(self.tick.get() + 1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.rev("HEAD")
    }

    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev])
    }

    /// The base branch's commit.
    pub fn base(&self) -> String {
        self.rev("main")
    }
}

/// A pull request #7 by `author` (GitHub account) from `base` to `head`, whose commits are
/// `commits`.
pub fn pull(author: &str, base: &str, head: &str, commits: Vec<Commit>) -> Pull {
    Pull {
        number: 7,
        author: author.into(),
        head: head.into(),
        base: base.into(),
        base_ref: "main".into(),
        merged: None,
        commits,
        reviews: Vec::new(),
        files: Vec::new(),
    }
}

pub fn github(pulls: Vec<Pull>) -> Simulator {
    Simulator::start(Setup { pulls, ..Setup::default() }).unwrap()
}

/// A merge request !3 by `author` (GitLab username) at `head`.
pub fn gitlab(
    author: &str,
    base: &str,
    head: &str,
    commits: Vec<Commit>,
    settings: Option<GitLabSettings>,
) -> Simulator {
    let mr = MergeRequest {
        iid: 3,
        author: author.into(),
        sha: head.into(),
        base: base.into(),
        commits,
        approved_by: Vec::new(),
    };
    let mut setup = Setup { merge_requests: vec![mr], ..Setup::default() };
    if let Some(s) = settings {
        setup.settings = s;
    }
    Simulator::start(setup).unwrap()
}

/// The `pull_request` event payload GitHub Actions writes to GITHUB_EVENT_PATH.
pub fn event(dir: &Path, base: &str, head: &str, author: &str) -> PathBuf {
    let path = dir.join("event.json");
    let payload = serde_json::json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "user": {"login": author},
            "head": {"sha": head, "ref": "pr"},
            "base": {"sha": base, "ref": "main"},
        },
    });
    std::fs::write(&path, payload.to_string()).unwrap();
    path
}

const CI_VARS: &[&str] = &[
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_PATH",
    "GITHUB_API_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_TOKEN",
    "CI_API_V4_URL",
    "CI_PROJECT_ID",
    "CI_MERGE_REQUEST_IID",
    "GITLAB_TOKEN",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
];

/// `tailgrant approvals --dir policies ARGS` in the repository, with exactly `vars` of the CI
/// environment, short timeouts and quick backoff.
pub fn approvals(repo: &Repo, args: &[&str], vars: &[(&str, String)]) -> Run {
    let mut cmd = crate::common::tailgrant(repo.path());
    cmd.args(["approvals", "--dir", "policies", "--timeout", "2s", "--retry-budget", "3s", "--backoff", "10ms"])
        .args(args);
    for v in CI_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    crate::common::run(&mut cmd)
}

/// The GitHub Actions environment of pull request #7 against `sim`, with `token`.
pub fn github_env(sim: &Simulator, event: &Path, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GITHUB_ACTIONS", "true".into()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_API_URL", sim.url.clone()),
        ("GITHUB_REPOSITORY", "example/tailnet".into()),
        ("GITHUB_TOKEN", token.into()),
    ]
}

/// The GitLab CI environment of merge request !3 against `sim`, with `token`.
pub fn gitlab_env(sim: &Simulator, base: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CI_API_V4_URL", sim.gitlab_url()),
        ("CI_PROJECT_ID", "42".into()),
        ("CI_MERGE_REQUEST_IID", "3".into()),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.into()),
        ("GITLAB_TOKEN", token.into()),
    ]
}

/// A commit by `who` (their GitHub account `who-gh`, e-mail `who@example.com`).
pub fn by(sha: &str, who: &str) -> Commit {
    Commit::by(sha, &format!("{who}-gh"), &format!("{who}@example.com"))
}

/// The output with the repository's commit ids replaced by names, for snapshots.
pub fn named(text: &str, names: &[(&str, &str)]) -> String {
    let mut t = text.to_owned();
    for (sha, name) in names {
        t = t.replace(sha, name).replace(&sha[..7], name);
    }
    t
}

/// [`approvals`] with `--format json`, its findings as lines `TGnnn file:line:column message`
/// in `stdout` (messages unwrapped, unlike the human form).
pub fn approvals_json(repo: &Repo, args: &[&str], vars: &[(&str, String)]) -> Run {
    let mut all = vec!["--format", "json"];
    all.extend(args);
    let mut r = approvals(repo, &all, vars);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&r.stdout) {
        let line = |f: &serde_json::Value| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            format!("{} {}:{}:{} {}\n", s("code"), s("file"), f["line"], f["column"], s("message"))
        };
        r.stdout = v["findings"].as_array().into_iter().flatten().map(line).collect();
    }
    r
}
