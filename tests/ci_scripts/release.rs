//! The release's names agree everywhere they are written down: the targets the release
//! workflow builds, the targets the installer asks for, the archive names `cargo binstall`
//! expects, and the image the GitLab template pins.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::{bash, write_exe};

fn repo_file(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// The `target:` of every entry of the build matrix in release.yml.
fn release_targets() -> BTreeSet<String> {
    let workflow = repo_file(".github/workflows/release.yml");
    let targets: BTreeSet<String> = workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- { target: "))
        .map(|l| l.split(',').next().unwrap().trim().to_owned())
        .collect();
    assert!(targets.len() >= 5, "{targets:?}");
    targets
}

fn archive_name(version: &str, target: &str) -> String {
    let out = bash(Path::new("."), "package-release.sh", &["--name", version, target], &BTreeMap::new());
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout.trim().to_owned()
}

#[test]
fn the_installer_asks_only_for_targets_the_release_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let mut asked = BTreeSet::new();
    for (system, machine) in [
        ("Linux", "x86_64"),
        ("Linux", "aarch64"),
        ("Darwin", "x86_64"),
        ("Darwin", "arm64"),
        ("MINGW64_NT-10.0-20348", "x86_64"),
    ] {
        write_exe(
            tmp.path(),
            "bin/uname",
            &format!("case \"$1\" in -s) echo {system} ;; -m) echo {machine} ;; esac\n"),
        );
        let script = crate::script("install-tailgrant.sh");
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(". '{}'; target", script.display()))
            .env("PATH", format!("{}:{}", tmp.path().join("bin").display(), std::env::var("PATH").unwrap()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{system} {machine}: {}", String::from_utf8_lossy(&out.stderr));
        asked.insert(String::from_utf8(out.stdout).unwrap().trim().to_owned());
    }
    assert_eq!(asked, release_targets());
}

#[test]
fn the_release_counts_every_archive_it_builds() {
    let workflow = repo_file(".github/workflows/release.yml");
    let expected = format!("-eq {} ]", release_targets().len());
    assert!(workflow.contains(&expected), "SHA256SUMS is checked for {expected}");
}

#[test]
fn cargo_binstall_asks_for_the_archives_the_release_publishes() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let package = meta["packages"].as_array().unwrap().iter().find(|p| p["name"] == "tailgrant").unwrap();
    let binstall = &package["metadata"]["binstall"];
    let version = package["version"].as_str().unwrap();
    assert_eq!(binstall["bin-dir"], "{ bin }{ binary-ext }", "the binary is at the archive's top level");
    for target in release_targets() {
        let own = &binstall["overrides"][&target];
        let url = own["pkg-url"].as_str().or(binstall["pkg-url"].as_str()).unwrap();
        let fmt = own["pkg-fmt"].as_str().or(binstall["pkg-fmt"].as_str()).unwrap();
        let file = url
            .replace("{ repo }", "R")
            .replace("{ version }", version)
            .replace("{ name }", "tailgrant")
            .replace("{ target }", &target);
        let archive = archive_name(version, &target);
        assert_eq!(file, format!("R/releases/download/v{version}/{archive}"), "{target}");
        assert_eq!(fmt, if archive.ends_with(".zip") { "zip" } else { "tgz" }, "{target}");
    }
}

#[test]
fn the_gitlab_template_runs_the_pinned_image_of_this_version_and_compiles_nothing() {
    let template = repo_file("ci/gitlab/tailgrant.gitlab-ci.yml");
    let version = repo_file("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_owned())
        .unwrap();
    let image = template.lines().find_map(|l| l.trim().strip_prefix("TAILGRANT_IMAGE: ")).unwrap();
    assert!(image.ends_with(&format!("/tailgrant:{version}-ci")), "pinned to this version's CI image: {image}");
    let jobs: Vec<&str> = template.lines().filter(|l| l.starts_with("tailgrant-")).collect();
    assert_eq!(jobs, ["tailgrant-check:", "tailgrant-approvals:", "tailgrant-apply:", "tailgrant-prune:"]);
    for needed in [
        "junit: tailgrant-junit.xml",
        "resource_group: tailnet",
        "$TAILGRANT_SCHEDULE == \"prune\"",
        "prune --delete",
        "$CI_PIPELINE_SOURCE == \"merge_request_event\"",
        "tailgrant approvals",
    ] {
        assert!(template.contains(needed), "{needed}");
    }
    let scripts: Vec<&str> = template.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
    assert!(!scripts.iter().any(|l| l.contains("cargo ")), "no job compiles");
}
