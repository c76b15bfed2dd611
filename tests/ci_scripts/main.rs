//! The scripts behind the GitHub Action (`ci/*.sh`), run with bash as the action runs them,
//! against a local HTTP server on loopback that plays GitHub: a fake release for the installer,
//! the OIDC token endpoint for workload identity. Fake `tailgrant`, `gh` and build commands are
//! shell scripts, so nothing here compiles or reaches outside the machine.
#![cfg(unix)]

mod comment;
mod install;
mod release;
mod run;
mod server;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a run of a script gave.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// The repository's own copy of a script.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ci").join(name)
}

/// Runs `bash SCRIPT ARGS` in `cwd` with only `env` (plus PATH and HOME), so nothing from the
/// environment of the test run leaks in (no GITHUB_* of a real CI run, no TS_* credentials).
pub fn bash(cwd: &Path, name: &str, args: &[&str], env: &BTreeMap<&str, String>) -> Out {
    let mut cmd = Command::new("bash");
    cmd.arg(script(name)).args(args).current_dir(cwd).env_clear();
    cmd.env("PATH", env.get("PATH").cloned().unwrap_or_else(|| std::env::var("PATH").unwrap()));
    cmd.env("HOME", std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()));
    for (k, v) in env {
        if *k != "PATH" {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().expect("bash runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Writes `rel` under `root`, creating its directories.
pub fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, contents).unwrap();
    p
}

/// Writes an executable shell script.
pub fn write_exe(root: &Path, rel: &str, body: &str) -> PathBuf {
    let p = write(root, rel, format!("#!/bin/sh\n{body}"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
