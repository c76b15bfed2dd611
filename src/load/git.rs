//! The policies directory as of a git revision, read with the git CLI without touching the
//! work tree: for `diff --against-git`, and for `approvals`, which must judge a pull request
//! by its base and head commits rather than by whatever is checked out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{LoadError, Repository, display_path};

/// Why git could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(String),
    #[error("git {args}: {stderr}")]
    Failed { args: String, stderr: String },
    #[error("{0:?} is not a commit in this repository (a shallow clone? check out with the full history)")]
    NoCommit(String),
    #[error("cannot extract {dir} at {rev} (is it in that commit?)")]
    Extract { dir: String, rev: String },
    #[error("the policies directory as of {rev} does not load: {why}")]
    Load { rev: String, why: String },
}

/// The git repository that holds a policies directory.
#[derive(Debug, Clone)]
pub struct Git {
    /// The work tree's top level.
    top: PathBuf,
    /// The policies directory relative to `top`, with a trailing `/` (empty at the top).
    prefix: String,
}

impl Git {
    /// The repository holding `dir`.
    pub fn open(dir: &Path) -> Result<Git, GitError> {
        let prefix = run(dir, &["rev-parse", "--show-prefix"])?;
        let top = run(dir, &["rev-parse", "--show-toplevel"])?;
        Ok(Git { top: PathBuf::from(top), prefix })
    }

    /// The policies directory relative to the repository's top, with a trailing `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn git(&self, args: &[&str]) -> Result<String, GitError> {
        run(&self.top, args)
    }

    /// The full commit id `rev` names, or an error saying it is not there.
    pub fn commit(&self, rev: &str) -> Result<String, GitError> {
        if rev.starts_with('-') {
            return Err(GitError::NoCommit(rev.to_owned()));
        }
        self.git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
            .map_err(|_| GitError::NoCommit(rev.to_owned()))
    }

    /// Paths (relative to the policies directory) of the files under it that `head` adds or
    /// changes since its merge base with `base` (`git diff base...head`). Renames and copies
    /// count as additions of the new path (`--no-renames`); deleted files are left out.
    pub fn changed(&self, base: &str, head: &str) -> Result<Vec<String>, GitError> {
        let range = format!("{}...{}", self.commit(base)?, self.commit(head)?);
        let out =
            self.git(&["diff", "--name-only", "-z", "--no-renames", "--diff-filter=AMT", &range, "--", self.here()])?;
        Ok(self.relative(&out))
    }

    /// Whether any of `rels` (relative to the policies directory) differs between two commits.
    pub fn differ(&self, from: &str, to: &str, rels: &[String]) -> Result<bool, GitError> {
        let (from, to) = (self.commit(from)?, self.commit(to)?);
        let paths: Vec<String> = rels.iter().map(|r| format!("{}{r}", self.prefix)).collect();
        let mut args = vec!["diff", "--name-only", "--no-renames", &from, &to, "--"];
        args.extend(paths.iter().map(String::as_str));
        Ok(!self.git(&args)?.is_empty())
    }

    /// The last commit before or at `rev` that changed `rel` (added or modified it), if any.
    pub fn last_change(&self, rev: &str, rel: &str) -> Result<Option<String>, GitError> {
        let path = format!("{}{rel}", self.prefix);
        let out = self.git(&["log", "-1", "--format=%H", &self.commit(rev)?, "--", &path])?;
        Ok(Some(out).filter(|s| !s.is_empty()))
    }

    /// Whether `rel` differs in the work tree (or the index) from the commit checked out.
    pub fn dirty(&self, rel: &str) -> Result<bool, GitError> {
        let path = format!("{}{rel}", self.prefix);
        let out = self.git(&["status", "--porcelain", "--", &path])?;
        Ok(!out.is_empty())
    }

    /// The git blob id of `rel` at `rev`, if it is there.
    pub fn blob(&self, rev: &str, rel: &str) -> Result<Option<String>, GitError> {
        let spec = format!("{}:{}{rel}", self.commit(rev)?, self.prefix);
        Ok(self.git(&["rev-parse", "--verify", "--quiet", &spec]).ok())
    }

    /// The policies directory as of `rev`, loaded as a repository whose files are shown under
    /// `shown` (the directory the user named), not under the temporary copy.
    pub fn load(&self, rev: &str, shown: &Path) -> Result<Repository, GitError> {
        let tmp =
            tempfile::tempdir().map_err(|e| GitError::Spawn(format!("cannot create a temporary directory: {e}")))?;
        let dir = self.extract(rev, tmp.path())?;
        let mut repo = Repository::load(&dir)
            .map_err(|e: LoadError| GitError::Load { rev: rev.to_owned(), why: e.to_string() })?;
        repo.relabel(shown);
        Ok(repo)
    }

    /// Extracts the policies directory as of `rev` into `into` with `git archive`. Returns the
    /// extracted policies directory.
    pub fn extract(&self, rev: &str, into: &Path) -> Result<PathBuf, GitError> {
        let commit = self.commit(rev)?;
        let mut archive = Command::new("git")
            .arg("-C")
            .arg(&self.top)
            .args(["archive", "--format=tar", &commit, "--", self.here()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| GitError::Spawn(e.to_string()))?;
        let stdout = archive.stdout.take().ok_or_else(|| GitError::Spawn("git archive gave no output".into()))?;
        let tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(into)
            .stdin(stdout)
            .status()
            .map_err(|e| GitError::Spawn(format!("cannot run tar: {e}")))?;
        let status = archive.wait().map_err(|e| GitError::Spawn(e.to_string()))?;
        if !status.success() || !tar.success() {
            let dir = if self.prefix.is_empty() { ".".to_owned() } else { self.prefix.clone() };
            return Err(GitError::Extract { dir, rev: rev.to_owned() });
        }
        Ok(into.join(&self.prefix))
    }

    /// The policies directory as a pathspec.
    fn here(&self) -> &str {
        if self.prefix.is_empty() { "." } else { &self.prefix }
    }

    /// `-z` output of paths relative to the top, made relative to the policies directory.
    fn relative(&self, out: &str) -> Vec<String> {
        out.split('\0')
            .filter_map(|p| p.strip_prefix(self.prefix.as_str()))
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn run(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| GitError::Spawn(e.to_string()))?;
    if !out.status.success() {
        let stderr = crate::redact::untrusted(String::from_utf8_lossy(&out.stderr).trim(), 500);
        return Err(GitError::Failed { args: args.join(" "), stderr });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_owned())
}

impl Repository {
    /// Shows every file (and every finding's location) under `shown` instead of the directory
    /// the repository was loaded from: a revision is read from a temporary copy, but its files
    /// are the user's.
    fn relabel(&mut self, shown: &Path) {
        let old = display_path(&self.dir, "");
        let new = display_path(shown, "");
        let fix = |p: &mut String| {
            if let Some(rest) = p.strip_prefix(&old) {
                *p = format!("{new}{rest}");
            }
        };
        let files = self
            .base
            .iter_mut()
            .map(|d| &mut d.file)
            .chain(self.fragments.iter_mut().map(|f| &mut f.doc.file))
            .chain(self.config_doc.iter_mut().map(|d| &mut d.file))
            .chain(self.rejected.iter_mut());
        for f in files {
            fix(&mut f.path);
        }
        for f in &mut self.findings {
            fix(&mut f.location.file);
            for (l, _) in &mut f.related {
                fix(&mut l.file);
            }
        }
        self.dir = shown.to_path_buf();
    }
}
