//! Reading a policies directory from git, without touching the work tree.
//!
//! For `audit`, its history: one `git log` for every commit that touched the directory and
//! what it changed, and one `git cat-file --batch` process for the contents of the files and
//! commits asked for. Nothing spawns a process per commit, so a history of thousands of
//! commits reads in about a second.
//!
//! For `diff --against-git` and `approvals` ([`Git`]), the directory as of one revision, and
//! which files a pull request adds or changes: `approvals` must judge a pull request by its
//! base and head commits rather than by whatever is checked out.
//!
//! Only data that git writes length-delimited or NUL-separated is believed: paths come from
//! `-z` output, and commit authors, dates and messages from the raw commit objects, so a
//! commit message cannot forge a record.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::{LoadError, Repository, display_path};

/// A commit of the first-parent history, oldest first, with what it changed under the
/// policies directory (paths relative to it).
#[derive(Debug, Clone)]
pub(crate) struct LoggedCommit {
    pub(crate) sha: String,
    pub(crate) changes: Vec<Change>,
}

/// What one commit did to one file, against its first parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Added, or changed (`blob` is the new content).
    Written {
        path: String,
        blob: String,
        added: bool,
    },
    Deleted {
        path: String,
    },
    Renamed {
        from: String,
        to: String,
        blob: String,
    },
}

/// A commit object's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitMeta {
    pub(crate) author: String,
    pub(crate) author_email: String,
    /// The committer's time: when the commit landed on the branch (a merge, a rebase).
    pub(crate) committed: jiff::Timestamp,
    pub(crate) message: String,
}

/// Why git could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(String),
    #[error(
        "{} is not in a git repository with commits ({message}): the audit reads the policies directory's git history, so run it in a clone of the repository that holds them (with its full history: fetch-depth: 0 in CI)",
        dir.display()
    )]
    NotARepository { dir: PathBuf, message: String },
    #[error("git {command} failed: {message}")]
    Failed { command: String, message: String },
    #[error("git gave output tailgrant does not understand: {0}")]
    Malformed(String),
    #[error(
        "{0:?} is not a commit in this repository: check the name, or, in a shallow clone, fetch the history (actions/checkout with fetch-depth: 0)"
    )]
    NoCommit(String),
    #[error(
        "the git repository has no commits yet, so there is no {0} to compare with: commit the policies directory first, or compare with a saved policy (--against FILE)"
    )]
    NoCommits(String),
    #[error("cannot extract {dir} at {rev} (is it in that commit?)")]
    Extract { dir: String, rev: String },
    #[error("the policies directory as of {rev} does not load: {why}")]
    Load { rev: String, why: String },
}

fn spawn(e: std::io::Error) -> GitError {
    GitError::Spawn(e.to_string())
}

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    // The user's configuration must not change what is read: signatures and external diff
    // drivers print into the log.
    cmd.arg("-C").arg(dir).args(["-c", "log.showSignature=false", "-c", "core.quotePath=false"]);
    cmd.env_remove("GIT_EXTERNAL_DIFF").env("GIT_TERMINAL_PROMPT", "0");
    cmd
}

fn output(mut cmd: Command, what: &str) -> Result<Vec<u8>, GitError> {
    let out = cmd.stdin(Stdio::null()).output().map_err(spawn)?;
    if !out.status.success() {
        let message = crate::model::text::one_line(String::from_utf8_lossy(&out.stderr).trim()).into_owned();
        return Err(GitError::Failed { command: what.to_owned(), message });
    }
    Ok(out.stdout)
}

/// The commit `HEAD` names.
pub(crate) fn head(dir: &Path) -> Result<String, GitError> {
    let mut cmd = git(dir);
    cmd.args(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
    let out = cmd.stdin(Stdio::null()).output().map_err(spawn)?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let message = if message.is_empty() { "HEAD names no commit".to_owned() } else { message };
        return Err(GitError::NotARepository { dir: dir.to_path_buf(), message });
    }
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !is_object_id(&sha) {
        return Err(GitError::Malformed(format!("rev-parse HEAD gave {sha:?}")));
    }
    Ok(sha)
}

/// Every commit of `rev`'s first-parent history that changed something under `dir`, oldest
/// first. First parents only: each commit on that line is a state the branch was in, and a
/// merged pull request shows as its merge commit (diffed against the branch before it).
pub(crate) fn log(dir: &Path, rev: &str) -> Result<Vec<LoggedCommit>, GitError> {
    let mut cmd = git(dir);
    cmd.args([
        "log",
        "--first-parent",
        "-m",
        "-M",
        "--raw",
        "--no-abbrev",
        "-z",
        "--relative",
        "--reverse",
        "--no-color",
        "--format=%x01%H",
        rev,
        "--",
        ".",
    ]);
    parse_log(&output(cmd, "log")?)
}

/// Parses `git log --raw -z --format=%x01%H`: a commit is `\x01SHA`, then raw entries
/// `:MODE MODE OLD NEW STATUS` each followed by one path (two for renames and copies).
fn parse_log(out: &[u8]) -> Result<Vec<LoggedCommit>, GitError> {
    let mut commits: Vec<LoggedCommit> = Vec::new();
    let mut tokens = out.split(|b| *b == 0).map(|t| String::from_utf8_lossy(t).into_owned());
    let bad = |what: &str| GitError::Malformed(what.to_owned());
    while let Some(token) = tokens.next() {
        let token = token.trim_start_matches('\n');
        if token.is_empty() {
            continue;
        }
        if let Some(sha) = token.strip_prefix('\u{1}') {
            if !is_object_id(sha) {
                return Err(bad(&format!("a commit line {sha:?}")));
            }
            commits.push(LoggedCommit { sha: sha.to_owned(), changes: Vec::new() });
            continue;
        }
        let Some(raw) = token.strip_prefix(':') else { return Err(bad(&format!("an entry {token:?}"))) };
        let fields: Vec<&str> = raw.split(' ').collect();
        let [_, new_mode, _, new_blob, status] = fields[..] else {
            return Err(bad(&format!("a raw entry {raw:?}")));
        };
        let commit = commits.last_mut().ok_or_else(|| bad("an entry before any commit"))?;
        let mut path = || tokens.next().ok_or_else(|| bad("an entry without its path"));
        let blob = new_blob.to_owned();
        // A submodule (160000) has no content to read; record it as a deletion of a file.
        let gitlink = new_mode == "160000";
        let change = match status.as_bytes().first() {
            Some(b'A') if !gitlink => Change::Written { path: path()?, blob, added: true },
            Some(b'M' | b'T') if !gitlink => Change::Written { path: path()?, blob, added: false },
            Some(b'A' | b'M' | b'T' | b'D') => Change::Deleted { path: path()? },
            Some(b'R') => {
                let (from, to) = (path()?, path()?);
                if gitlink { Change::Deleted { path: from } } else { Change::Renamed { from, to, blob } }
            }
            Some(b'C') => Change::Written { path: (path()?, path()?).1, blob, added: true },
            _ => return Err(bad(&format!("a change status {status:?}"))),
        };
        commit.changes.push(change);
    }
    Ok(commits)
}

fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The largest file read from history; a larger one is reported, not parsed (no grant file
/// is anywhere near this).
pub(crate) const MAX_BLOB: u64 = 4 << 20;

/// What the object store holds for an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Object {
    Found(Vec<u8>),
    TooLarge(u64),
    Missing,
}

/// One `git cat-file --batch` process, asked for many objects at a time.
pub(crate) struct ObjectReader {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl ObjectReader {
    pub(crate) fn start(dir: &Path) -> Result<Self, GitError> {
        let mut cmd = git(dir);
        cmd.args(["cat-file", "--batch"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(spawn)?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(BufReader::new).ok_or_else(|| GitError::Malformed("no output".into()))?;
        Ok(ObjectReader { child, stdin, stdout })
    }

    /// The objects `ids` name, in order. Requests are written by a second thread while the
    /// answers are read, so neither pipe can fill up and stall the other side.
    pub(crate) fn read(&mut self, ids: &[&str]) -> Result<Vec<Object>, GitError> {
        if let Some(bad) = ids.iter().find(|id| !is_object_id(id)) {
            return Err(GitError::Malformed(format!("asked for object {bad:?}")));
        }
        let stdin = self.stdin.as_mut().ok_or_else(|| GitError::Malformed("cat-file is closed".into()))?;
        let stdout = &mut self.stdout;
        std::thread::scope(|s| {
            let writer = s.spawn(move || -> std::io::Result<()> {
                let mut w = std::io::BufWriter::new(stdin);
                for id in ids {
                    w.write_all(id.as_bytes())?;
                    w.write_all(b"\n")?;
                }
                w.flush()
            });
            let objects = ids.iter().map(|id| read_object(stdout, id)).collect::<Result<Vec<_>, _>>();
            let written = writer.join().map_err(|_| GitError::Malformed("the writer thread panicked".into()))?;
            written.map_err(|e| GitError::Failed { command: "cat-file".into(), message: e.to_string() })?;
            objects
        })
    }
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        drop(self.stdin.take()); // end of input: cat-file exits
        let _ = self.child.wait();
    }
}

fn read_object(r: &mut impl BufRead, id: &str) -> Result<Object, GitError> {
    let failed = |e: std::io::Error| GitError::Failed { command: "cat-file".into(), message: e.to_string() };
    let mut header = String::new();
    if r.read_line(&mut header).map_err(failed)? == 0 {
        return Err(GitError::Malformed("cat-file ended early".into()));
    }
    let header = header.trim_end();
    if header.ends_with(" missing") {
        return Ok(Object::Missing);
    }
    let fields: Vec<&str> = header.split(' ').collect();
    let [sha, _kind, size] = fields[..] else { return Err(GitError::Malformed(format!("cat-file said {header:?}"))) };
    let size: u64 = size.parse().map_err(|_| GitError::Malformed(format!("cat-file said {header:?}")))?;
    if sha != id {
        return Err(GitError::Malformed(format!("cat-file answered {sha} for {id}")));
    }
    let object = if size > MAX_BLOB {
        std::io::copy(&mut r.by_ref().take(size), &mut std::io::sink()).map_err(failed)?;
        Object::TooLarge(size)
    } else {
        let mut buf = vec![0; size as usize];
        r.read_exact(&mut buf).map_err(failed)?;
        Object::Found(buf)
    };
    let mut newline = [0u8; 1];
    r.read_exact(&mut newline).map_err(failed)?;
    Ok(object)
}

/// Reads a raw commit object: the author and committer lines, then the message.
pub(crate) fn parse_commit(raw: &[u8]) -> Option<CommitMeta> {
    let text = String::from_utf8_lossy(raw);
    let (headers, message) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut author = None;
    let mut committed = None;
    for line in headers.lines() {
        if let Some(rest) = line.strip_prefix("author ") {
            author = ident(rest);
        } else if let Some(rest) = line.strip_prefix("committer ") {
            committed = ident(rest).map(|(_, _, t)| t);
        }
    }
    let (name, email, authored) = author?;
    Some(CommitMeta {
        author: name,
        author_email: email,
        committed: committed.unwrap_or(authored),
        message: message.to_owned(),
    })
}

/// `Name <email> 1700000000 +0100` into its parts (the time zone is not needed: instants).
fn ident(s: &str) -> Option<(String, String, jiff::Timestamp)> {
    let open = s.rfind('<')?;
    let close = open + s[open..].find('>')?;
    let name = s[..open].trim().to_owned();
    let email = s[open + 1..close].to_owned();
    let seconds: i64 = s[close + 1..].split_whitespace().next()?.parse().ok()?;
    Some((name, email, jiff::Timestamp::from_second(seconds).ok()?))
}

/// The pull or merge request a commit message names: GitHub's merge commits ("Merge pull
/// request #12 from …"), squash merges ("Title (#12)" on the first line) and GitLab's merge
/// commits ("See merge request group/project!12"). `#N` for GitHub, `!N` for GitLab.
pub(crate) fn pull_request(message: &str) -> Option<String> {
    let subject = message.lines().next().unwrap_or_default().trim();
    let number = |s: &str| -> Option<u64> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || digits.len() > 12 { None } else { digits.parse().ok() }
    };
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        return number(rest).map(|n| format!("#{n}"));
    }
    let squash = subject.strip_suffix(')').and_then(|s| s.rfind("(#").map(|i| &s[i + 2..]));
    if let Some(n) = squash.and_then(|open| number(open).filter(|n| n.to_string() == open)) {
        return Some(format!("#{n}"));
    }
    for line in message.lines() {
        if let Some(rest) = line.trim().strip_prefix("See merge request ") {
            let n = rest.rsplit_once('!').and_then(|(_, n)| number(n).filter(|v| v.to_string() == n.trim_end()));
            if let Some(n) = n {
                return Some(format!("!{n}"));
            }
        }
    }
    None
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
    pub(crate) fn commit(&self, rev: &str) -> Result<String, GitError> {
        if rev.starts_with('-') {
            return Err(GitError::NoCommit(rev.to_owned()));
        }
        self.git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).map_err(|_| {
            // A repository just made with `git init`: no revision exists yet, however spelt.
            if self.git(&["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).is_err() {
                GitError::NoCommits(rev.to_owned())
            } else {
                GitError::NoCommit(rev.to_owned())
            }
        })
    }

    /// Paths (relative to the policies directory) of the files under it that `head` adds or
    /// changes since its merge base with `base` (`git diff base...head`). Renames and copies
    /// count as additions of the new path (`--no-renames`); deleted files are left out.
    pub(crate) fn changed(&self, base: &str, head: &str) -> Result<Vec<String>, GitError> {
        let range = format!("{}...{}", self.commit(base)?, self.commit(head)?);
        let out =
            self.git(&["diff", "--name-only", "-z", "--no-renames", "--diff-filter=AMT", &range, "--", self.here()])?;
        Ok(self.relative(&out))
    }

    /// Whether any of `rels` (relative to the policies directory) differs between two commits.
    pub(crate) fn differ(&self, from: &str, to: &str, rels: &[String]) -> Result<bool, GitError> {
        let (from, to) = (self.commit(from)?, self.commit(to)?);
        let paths: Vec<String> = rels.iter().map(|r| format!("{}{r}", self.prefix)).collect();
        let mut args = vec!["diff", "--name-only", "--no-renames", &from, &to, "--"];
        args.extend(paths.iter().map(String::as_str));
        Ok(!self.git(&args)?.is_empty())
    }

    /// The last commit before or at `rev` that changed `rel` (added or modified it), if any.
    pub(crate) fn last_change(&self, rev: &str, rel: &str) -> Result<Option<String>, GitError> {
        let path = format!("{}{rel}", self.prefix);
        let out = self.git(&["log", "-1", "--format=%H", &self.commit(rev)?, "--", &path])?;
        Ok(Some(out).filter(|s| !s.is_empty()))
    }

    /// Commits the file `rel` (relative to the policies directory) on top of the commit checked
    /// out, on the branch `branch` (made or moved there), and pushes that branch to `origin`,
    /// replacing what it held: a request's branch always holds exactly its one commit. The
    /// commit is made as `tailgrant`; the push uses the checkout's credentials (GitHub
    /// Actions' `actions/checkout` keeps the job's token for it).
    pub(crate) fn publish(&self, rel: &str, branch: &str, message: &str) -> Result<String, GitError> {
        if branch.starts_with('-') || message.starts_with('-') {
            return Err(GitError::Malformed(format!("{branch:?}")));
        }
        let path = format!("{}{rel}", self.prefix);
        self.git(&["checkout", "-q", "-B", branch])?;
        self.git(&["add", "--", &path])?;
        self.git(&[
            "-c",
            "user.name=tailgrant",
            "-c",
            "user.email=tailgrant@users.noreply.github.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            message,
            "--",
            &path,
        ])?;
        self.git(&["push", "-q", "--force", "origin", &format!("HEAD:refs/heads/{branch}")])?;
        self.commit("HEAD")
    }

    /// Whether `rel` differs in the work tree (or the index) from the commit checked out.
    pub(crate) fn dirty(&self, rel: &str) -> Result<bool, GitError> {
        let path = format!("{}{rel}", self.prefix);
        let out = self.git(&["status", "--porcelain", "--", &path])?;
        Ok(!out.is_empty())
    }

    /// The git blob id of `rel` at `rev`, if it is there.
    pub(crate) fn blob(&self, rev: &str, rel: &str) -> Result<Option<String>, GitError> {
        let spec = format!("{}:{}{rel}", self.commit(rev)?, self.prefix);
        Ok(self.git(&["rev-parse", "--verify", "--quiet", &spec]).ok())
    }

    /// The policies directory as of `rev`, as each tailnet its config runs at that revision
    /// sees it, in the config's order; without `tailnets`, the one view [`Git::load`] gives
    /// (its `tailnet` is `None`). Never empty. Files are shown under `shown`.
    pub(crate) fn views(&self, rev: &str, shown: &Path) -> Result<Vec<Repository>, GitError> {
        let tmp =
            tempfile::tempdir().map_err(|e| GitError::Spawn(format!("cannot create a temporary directory: {e}")))?;
        let dir = self.extract(rev, tmp.path())?;
        let names: Vec<Option<String>> = match Repository::tailnets(&dir) {
            t if t.is_empty() => vec![None],
            t => t.into_iter().map(|(name, _)| Some(name)).collect(),
        };
        names
            .iter()
            .map(|name| {
                let mut repo = Repository::load_tailnet(&dir, name.as_deref())
                    .map_err(|e: LoadError| GitError::Load { rev: rev.to_owned(), why: e.to_string() })?;
                repo.relabel(shown);
                Ok(repo)
            })
            .collect()
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
            .map_err(spawn)?;
        let stdout = archive.stdout.take().ok_or_else(|| GitError::Spawn("git archive gave no output".into()))?;
        let tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(into)
            .stdin(stdout)
            .status()
            .map_err(|e| GitError::Spawn(format!("cannot run tar: {e}")))?;
        let status = archive.wait().map_err(spawn)?;
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

/// `git ARGS` in `dir`, its output as text.
fn run(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let mut cmd = git(dir);
    cmd.args(args);
    let out = output(cmd, &args.join(" "))?;
    Ok(String::from_utf8_lossy(&out).trim_end_matches('\n').to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn log_entries() {
        let z = "0000000000000000000000000000000000000000";
        let out = format!(
            "\u{1}{A}\0\n:000000 100644 {z} {B} A\0grants/a b.hujson\0:100644 100644 {B} {B} R100\0grants/a\0grants/c\0\
             \u{1}{B}\0\n:100644 000000 {B} {z} D\0policy.hujson\0:100644 100644 {B} {A} M\0x\nfake\0"
        );
        let commits = parse_log(out.as_bytes()).unwrap();
        assert_eq!(commits.len(), 2);
        assert_eq!(
            commits[0].changes,
            [
                Change::Written { path: "grants/a b.hujson".into(), blob: B.into(), added: true },
                Change::Renamed { from: "grants/a".into(), to: "grants/c".into(), blob: B.into() },
            ]
        );
        // A newline in a path is part of the path, not a new record.
        assert_eq!(commits[1].changes[1], Change::Written { path: "x\nfake".into(), blob: A.into(), added: false });
        assert!(parse_log(b"\x01nothex\0").is_err());
        assert!(parse_log(format!(":000000 100644 {z} {B} A\0p\0").as_bytes()).is_err());
    }

    #[test]
    fn commit_objects() {
        let raw = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 1\nauthor Carol <c@x.com> 1790000000 +0200\n\
                   committer Dan <d@x.com> 1790000100 -0500\n\nSubject\n\nbody\n";
        let c = parse_commit(raw.as_bytes()).unwrap();
        assert_eq!((c.author.as_str(), c.author_email.as_str()), ("Carol", "c@x.com"));
        assert_eq!(c.committed.as_second(), 1790000100);
        assert_eq!(c.message, "Subject\n\nbody\n");
    }

    #[test]
    fn pull_request_numbers() {
        assert_eq!(pull_request("Merge pull request #12 from alice/prod-db\n\nx").as_deref(), Some("#12"));
        assert_eq!(pull_request("Grant alice prod-db (#345)\n").as_deref(), Some("#345"));
        assert_eq!(pull_request("Grant\n\nSee merge request infra/tailnet!77\n").as_deref(), Some("!77"));
        for none in ["Grant alice", "fix (#12) later", "(#12x)", "Merge pull request #", "See merge request x!y"] {
            assert_eq!(pull_request(none), None, "{none}");
        }
    }
}
