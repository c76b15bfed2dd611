//! What the CLI and apply test binaries share: running the real binary in a directory, and
//! writing the files it reads.
use std::path::Path;

#[allow(dead_code)] // each test binary runs its own part of the README
pub mod readme;

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr together, as a snapshot or a failure message shows them.
    pub fn transcript(&self) -> String {
        format!("exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// `tailgrant` run in `dir`, without colour and without a policies directory from the
/// environment; callers add arguments and variables.
pub fn tailgrant(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("tailgrant").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TAILGRANT_DIR");
    cmd
}

/// Runs `cmd` to the end.
pub fn run(cmd: &mut assert_cmd::Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes `rel` under `root`, creating its directories.
pub fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, contents).unwrap();
}

/// `tailgrant new` as most tests draft it: carol asks for tag:prod-db:5432 for 8h, approved
/// by bob, for `reason`; `extra` goes after `new` (an `--at`, a `--tailnet`).
#[allow(dead_code)] // not every test binary drafts a grant
pub fn new_for_carol<'a>(extra: &[&'a str], reason: &'a str) -> Vec<&'a str> {
    let mut args = vec!["new"];
    args.extend(extra);
    args.extend([
        "--requester",
        "carol@example.com",
        "--approver",
        "bob@example.com",
        "--dst",
        "tag:prod-db:5432",
        "--for",
        "8h",
        "--reason",
        reason,
    ]);
    args
}
