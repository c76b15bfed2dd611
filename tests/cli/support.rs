//! A throw-away repository and a way to run the real binary in it.
use std::path::{Path, PathBuf};

pub struct TestRepo {
    pub dir: tempfile::TempDir,
}

pub use crate::common::Run;

/// A small valid base policy for repositories built in tests.
pub const BASE: &str = r#"// Test base policy.
{
	"groups": {
		"group:eng": ["alice@example.com", "bob@example.com"],
		"group:dba": ["bob@example.com"],
	},
	"tagOwners": {
		"tag:prod-db": ["group:dba"],
	},
	"hosts": {
		"db": "100.64.0.1",
	},
	"grants": [
		{"src": ["group:dba"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]},
	],
}
"#;

impl TestRepo {
    /// A repository with `BASE` as its policy and no fragments.
    pub fn new() -> Self {
        let r = TestRepo { dir: tempfile::tempdir().unwrap() };
        r.write("policies/policy.hujson", BASE);
        r
    }

    /// A copy of the project's example `policies/`.
    pub fn example() -> Self {
        let r = TestRepo { dir: tempfile::tempdir().unwrap() };
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"), &r.path("policies"));
        r
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        crate::common::write(self.dir.path(), rel, contents);
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Runs `tailgrant ARGS` in the repository's root, without colour.
    pub fn run(&self, args: &[&str]) -> Run {
        crate::common::run(crate::common::tailgrant(self.dir.path()).args(args))
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A fragment that passes every check, valid on 2026-11-23.
pub fn grant(body: &str) -> String {
    format!(
        r#"{{
	"description": "Test access (T-1)",
	"requester":   "alice@example.com",
	"approvers":   ["bob@example.com"],
	"notBefore":   "2026-11-22T09:00:00Z",
	"expires":     "2026-11-24T17:00:00Z",
	{body}
}}
"#
    )
}

pub const AT: &str = "--at=2026-11-23T12:00:00Z";
