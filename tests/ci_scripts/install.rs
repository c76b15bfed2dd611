//! `ci/install-tailgrant.sh`: the action installs a released archive only when the table
//! committed in the action vouches for it, and builds from source otherwise.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::server::Server;
use crate::{Out, bash, sha256_hex, write, write_exe};

const VERSION: &str = "9.9.9";
/// The fake build: writes a binary that reports the version, and leaves a mark that it ran.
const BUILD: &str = r#"printf '#!/bin/sh\n# built\necho "tailgrant 9.9.9"\n' > "$TAILGRANT_BUILD_OUT"; chmod +x "$TAILGRANT_BUILD_OUT"; echo built > "$BUILD_MARK""#;

/// A checkout of the action (just what the installer reads), a packed fake release of it, and
/// where things go.
struct Fixture {
    tmp: tempfile::TempDir,
    archive: String,
    archive_bytes: Vec<u8>,
    source_digest: String,
}

impl Fixture {
    fn new() -> Fixture {
        Self::releasing("echo \"tailgrant 9.9.9\"")
    }

    /// The released binary runs `script`.
    fn releasing(script: &str) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let action = tmp.path().join("action");
        write(&action, "Cargo.toml", format!("[package]\nname = \"tailgrant\"\nversion = \"{VERSION}\"\n"));
        write(&action, "Cargo.lock", "# lock\n");
        write(&action, "src/main.rs", "fn main() {}\n");
        let mut fixture =
            Fixture { tmp, archive: String::new(), archive_bytes: Vec::new(), source_digest: String::new() };
        let plan = fixture.run(&["plan"], &[]);
        assert_eq!(plan.code, 0, "{plan:?}");
        let field =
            |k: &str| plan.stdout.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).unwrap_or_default().to_owned();
        fixture.archive = field("archive");
        fixture.source_digest = field("digest");
        assert_eq!(field("version"), VERSION);
        assert_eq!(field("mode"), "build", "no table yet: {plan:?}");
        assert!(fixture.source_digest.len() == 64, "{plan:?}");

        // Pack the release with the release workflow's own packer.
        let bin = write_exe(fixture.tmp.path(), "release-bin/tailgrant", &format!("{script}\n"));
        let dist = fixture.path("dist");
        let target = field("target");
        let env = BTreeMap::new();
        let packed = bash(
            fixture.tmp.path(),
            "package-release.sh",
            &[VERSION, &target, bin.to_str().unwrap(), dist.to_str().unwrap()],
            &env,
        );
        assert_eq!(packed.code, 0, "{packed:?}");
        fixture.archive_bytes = std::fs::read(dist.join(&fixture.archive)).unwrap();
        let sidecar = std::fs::read_to_string(dist.join(format!("{}.sha256", fixture.archive))).unwrap();
        assert_eq!(sidecar, format!("{}  {}\n", sha256_hex(&fixture.archive_bytes), fixture.archive));
        fixture
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Writes the action's checksum table: the source digest and the archive's checksum.
    fn table(&self, source: &str, archive_sha: &str) {
        let text =
            format!("# test table\n{source}  source-v{VERSION}\n{archive_sha}  {archive}\n", archive = self.archive);
        write(&self.path("action"), "ci/release-checksums.txt", text);
    }

    fn good_table(&self) {
        self.table(&self.source_digest.clone(), &sha256_hex(&self.archive_bytes));
    }

    /// The release served at `/v9.9.9/ARCHIVE`.
    fn serve(&self) -> Server {
        Server::start(vec![(format!("/v{VERSION}/{}", self.archive), 200, self.archive_bytes.clone())])
    }

    fn run(&self, args: &[&str], extra: &[(&'static str, String)]) -> Out {
        let mut env = BTreeMap::from([
            ("TAILGRANT_ACTION_PATH", self.path("action").display().to_string()),
            ("TAILGRANT_INSTALL_DIR", self.path("bin").display().to_string()),
            ("TAILGRANT_BUILD_COMMAND", BUILD.to_owned()),
            ("BUILD_MARK", self.path("built").display().to_string()),
        ]);
        env.extend(extra.iter().cloned());
        bash(self.tmp.path(), "install-tailgrant.sh", args, &env)
    }

    fn install(&self, server: &Server) -> Out {
        self.run(&["install"], &[("TAILGRANT_DOWNLOAD_BASE", format!("{}/v{VERSION}", server.base))])
    }

    fn built(&self) -> bool {
        self.path("built").exists()
    }

    fn installed(&self) -> Option<String> {
        std::fs::read_to_string(self.path("bin/tailgrant")).ok()
    }
}

#[test]
fn a_release_whose_checksum_matches_the_table_is_installed_without_building() {
    let f = Fixture::new();
    f.good_table();
    let server = f.serve();
    let out = f.install(&server);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.trim(), f.path("bin/tailgrant").display().to_string(), "{out:?}");
    assert!(f.installed().unwrap().contains("echo \"tailgrant 9.9.9\""), "the released binary: {out:?}");
    assert!(!f.built(), "nothing was built: {out:?}");
    assert!(out.stderr.contains(&format!("installed {} (sha256 ", f.archive)), "{out:?}");
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, vec![format!("/v{VERSION}/{}", f.archive)]);
}

#[test]
fn a_release_whose_checksum_differs_is_refused_and_not_replaced_by_a_build() {
    let f = Fixture::new();
    let wrong = sha256_hex(b"something else");
    f.table(&f.source_digest, &wrong);
    let server = f.serve();
    let out = f.install(&server);
    assert_eq!(out.code, 1, "{out:?}");
    let actual = sha256_hex(&f.archive_bytes);
    assert!(
        out.stderr.contains(&format!("checksum mismatch for {}", f.archive))
            && out.stderr.contains(&format!("expected {wrong}"))
            && out.stderr.contains(&format!("got {actual}"))
            && out.stderr.contains("refusing to install it"),
        "{out:?}"
    );
    assert_eq!(f.installed(), None, "nothing installed");
    assert!(!f.built(), "a mismatch is not papered over with a build");
}

#[test]
fn a_version_without_a_release_in_the_table_is_built_from_source_and_says_so() {
    let f = Fixture::new();
    let server = f.serve();
    let out = f.install(&server);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(f.built(), "{out:?}");
    assert!(f.installed().unwrap().contains("# built"));
    assert!(out.stderr.contains("building tailgrant 9.9.9 from source"), "{out:?}");
    assert!(out.stderr.contains("has no release for"), "the reason is in the log: {out:?}");
    assert!(server.requests().is_empty(), "nothing downloaded without a table entry");
}

#[test]
fn a_release_missing_from_the_server_falls_back_to_a_build() {
    let f = Fixture::new();
    f.good_table();
    let server = Server::start(vec![]);
    let out = f.install(&server);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("(HTTP 404): building from source instead"), "{out:?}");
    assert!(f.built() && f.installed().unwrap().contains("# built"), "{out:?}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_source_that_differs_from_the_release_is_built_even_with_the_same_version() {
    let f = Fixture::new();
    f.good_table();
    write(&f.path("action"), "src/main.rs", "fn main() { /* changed after the release */ }\n");
    let server = f.serve();
    let out = f.install(&server);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("this source is not the source of release v9.9.9"), "{out:?}");
    assert!(f.built() && server.requests().is_empty(), "{out:?}");
}

#[test]
fn a_build_restored_from_the_cache_is_reused_only_for_the_same_source() {
    let f = Fixture::new();
    let server = f.serve();
    assert_eq!(f.install(&server).code, 0);
    std::fs::remove_file(f.path("built")).unwrap();
    let again = f.install(&server);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(!f.built() && again.stderr.contains("using the build of this source from the cache"), "{again:?}");

    write(&f.path("action"), "src/lib.rs", "// new file\n");
    let changed = f.install(&server);
    assert_eq!(changed.code, 0, "{changed:?}");
    assert!(f.built(), "another source is built anew: {changed:?}");
}

#[test]
fn a_binary_that_is_not_the_declared_version_is_refused() {
    let f = Fixture::releasing("echo \"tailgrant 1.0.0\"");
    f.good_table();
    let server = f.serve();
    let out = f.install(&server);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("reports \"tailgrant 1.0.0\", expected \"tailgrant 9.9.9\""), "{out:?}");
}

#[test]
fn the_download_base_can_only_be_overridden_with_a_loopback_address() {
    let f = Fixture::new();
    f.good_table();
    for base in ["https://example.com/releases", "http://127.0.0.1.example.com/x", "http://10.0.0.1:8080"] {
        let out = f.run(&["install"], &[("TAILGRANT_DOWNLOAD_BASE", base.to_owned())]);
        assert_eq!(out.code, 1, "{base}: {out:?}");
        assert!(out.stderr.contains("TAILGRANT_DOWNLOAD_BASE must be a loopback URL"), "{base}: {out:?}");
        assert_eq!(f.installed(), None);
    }
}

#[test]
fn without_the_actions_repository_there_is_no_download_but_a_build() {
    let f = Fixture::new();
    f.good_table();
    let out = f.run(&["install"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("the action's repository is unknown"), "{out:?}");
    assert!(f.built());
}

#[test]
fn a_table_listing_an_archive_twice_is_an_error() {
    let f = Fixture::new();
    let sha = sha256_hex(&f.archive_bytes);
    let text = format!("{}  source-v{VERSION}\n{sha}  {a}\n{sha}  {a}\n", f.source_digest, a = f.archive);
    write(&f.path("action"), "ci/release-checksums.txt", text);
    let out = f.run(&["plan"], &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains(&format!("lists {} more than once", f.archive)), "{out:?}");
}

#[test]
fn the_source_digest_is_what_the_release_workflow_records() {
    let f = Fixture::new();
    let out = f.run(&["digest"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.trim(), f.source_digest);
    // Name and content of each file count: a renamed file changes it.
    std::fs::rename(f.path("action/src/main.rs"), f.path("action/src/other.rs")).unwrap();
    let renamed = f.run(&["digest"], &[]);
    assert_ne!(renamed.stdout.trim(), f.source_digest);
}
