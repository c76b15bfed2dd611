//! A repository built for one case, checked through the library, and assertions on what the
//! check says about one fragment.
use std::path::{Path, PathBuf};

use tailgrant::finding::{Code, Finding, Severity};

/// The instant every case is checked at; `grant` fragments are active then.
pub const AT: &str = "2026-11-23T12:00:00Z";

/// A base with something of every kind a fragment can reach: tags owned by groups and by a
/// tag, host aliases, IP sets, a posture read by a gated rule, groups named only by node
/// attributes and auto-approvers, and rules that give groups access.
pub const BASE: &str = r#"{
	"groups": {
		"group:eng":     ["alice@example.com", "bob@example.com", "carol@example.com"],
		"group:dba":     ["bob@example.com"],
		"group:sre":     ["carol@example.com"],
		"group:netops":  ["nina@example.com"],
		"group:oncall":  [],
		"group:staging": ["erin@example.com"],
		"group:routers": [],
		"group:funnel":  [],
	},
	"tagOwners": {
		"tag:ci":      ["group:sre"],
		"tag:prod-db": ["group:dba", "tag:ci"],
		"tag:staging": ["group:eng"],
		"tag:web":     ["group:eng"],
		"tag:exit":    ["group:sre"],
	},
	"hosts": {
		"legacy":    "100.101.102.103",
		"corp":      "10.20.0.0/16",
		"wide":      "10.0.0.0/8",
		"office-pc": "192.168.1.20",
	},
	"ipsets": {
		"ipset:office": ["add 10.20.1.0/24"],
		"ipset:big":    ["add 10.0.0.0/8", "remove 10.1.0.0/16"],
	},
	"postures": {
		"posture:managed": ["custom:managed == true"],
	},
	"acls": [
		{"action": "accept", "src": ["group:staging"], "dst": ["tag:staging:*"]},
	],
	"grants": [
		{"src": ["group:dba"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"], "srcPosture": ["posture:managed"]},
	],
	"ssh": [
		{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self"], "users": ["autogroup:nonroot"]},
	],
	"nodeAttrs": [
		{"target": ["group:funnel"], "attr": ["funnel"]},
	],
	"autoApprovers": {
		"routes": {"10.30.0.0/16": ["group:routers"]},
	},
}
"#;

/// A grant file by alice, approved by bob (who owns `tag:prod-db` through `group:dba`), active
/// at `AT`, holding `body`.
pub fn grant(body: &str) -> String {
    grant_by("alice@example.com", &["bob@example.com"], body)
}

pub fn grant_by(requester: &str, approvers: &[&str], body: &str) -> String {
    let json = |s: &str| serde_json::to_string(s).unwrap();
    let approvers: Vec<String> = approvers.iter().map(|a| json(a)).collect();
    format!(
        "{{\n\t\"description\": \"Test access (T-1)\",\n\t\"requester\": {},\n\t\"approvers\": [{}],\n\t\
         \"notBefore\": \"2026-11-22T09:00:00Z\",\n\t\"expires\": \"2026-11-24T17:00:00Z\",\n\t{body}\n}}\n",
        json(requester),
        approvers.join(", ")
    )
}

/// A policies directory in a temporary directory.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    /// `BASE` and nothing else.
    pub fn new() -> Repo {
        Repo::with_base(BASE)
    }

    pub fn with_base(base: &str) -> Repo {
        let r = Repo { dir: tempfile::tempdir().unwrap() };
        r.write("policy.hujson", base);
        r
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Repo {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
        self
    }

    /// `BASE` with one grant file holding `body`.
    pub fn granting(body: &str) -> Repo {
        let r = Repo::new();
        r.write("grants/g.hujson", grant(body));
        r
    }

    pub fn findings(&self) -> Vec<Finding> {
        let repo = tailgrant::load::Repository::load(self.dir.path()).unwrap();
        tailgrant::pipeline::check(&repo, AT.parse().unwrap()).findings
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!("  {} {}:{}:{} {}", f.code.as_str(), f.location.file, f.location.line, f.location.column, f.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `check` refuses the case with `code` (at error level); returns the findings with that code.
#[track_caller]
pub fn refused(r: &Repo, code: Code) -> Vec<Finding> {
    let all = r.findings();
    let hits: Vec<Finding> = all.iter().filter(|f| f.code == code).cloned().collect();
    assert!(
        hits.iter().any(|f| f.severity == Severity::Error),
        "expected an error {} ({}), got:\n{}",
        code.as_str(),
        code.name(),
        show(&all)
    );
    hits
}

/// `check` warns with `code` and raises no error.
#[track_caller]
pub fn warned(r: &Repo, code: Code) -> Vec<Finding> {
    let all = r.findings();
    assert!(!all.iter().any(Finding::is_error), "expected no errors, got:\n{}", show(&all));
    let hits: Vec<Finding> = all.iter().filter(|f| f.code == code).cloned().collect();
    assert!(!hits.is_empty(), "expected a warning {}, got:\n{}", code.as_str(), show(&all));
    hits
}

/// `check` raises no error (warnings allowed, and listed in a failure).
#[track_caller]
pub fn passes(r: &Repo) {
    let all = r.findings();
    assert!(!all.iter().any(Finding::is_error), "expected no errors, got:\n{}", show(&all));
}

/// Each finding's message holds `text`.
#[track_caller]
pub fn says(hits: &[Finding], text: &str) {
    assert!(hits.iter().any(|f| f.message.contains(text)), "no message holds {text:?}:\n{}", show(hits));
}
