//! Class 10: trading the posture baseline. `defaultSrcPosture` gates every rule without a
//! `srcPosture` of its own, and a rule's own list replaces it: a grant file that writes one
//! can reach its destination from devices the baseline keeps out, while the reviewer reads a
//! posture being added.
use tailgrant::finding::Code;

use crate::support::*;

/// `BASE` with `posture:managed` as the tailnet's baseline, and a weaker posture beside it.
fn base() -> String {
    BASE.replacen(
        "\"postures\": {",
        "\"defaultSrcPosture\": [\"posture:managed\"],\n\t\"postures\": {\n\t\t\"posture:any-os\": [\"node:os IN ['macos', 'linux', 'windows']\"],",
        1,
    )
}

fn granting(base: &str, path: &str, body: &str) -> Repo {
    let r = Repo::with_base(base);
    r.write(path, grant(body));
    r
}

const TO_DB: &str = r#""src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]"#;

#[test]
fn a_rule_that_replaces_the_baseline_with_less_is_refused() {
    let base = base();
    for (posture, says_what) in [
        ("[]", "lists no posture"),
        (r#"["posture:any-os"]"#, "names posture:any-os, not in the default"),
        // Any one listed posture admits a device: adding the baseline to the list does not help.
        (r#"["posture:managed", "posture:any-os"]"#, "names posture:any-os"),
        (r#"[" posture:any-os "]"#, "names posture:any-os"),
    ] {
        for key in ["srcPosture", "SRCPOSTURE"] {
            let r = granting(&base, "grants/g.hujson", &format!(r#""grants": [{{{TO_DB}, "{key}": {posture}}}],"#));
            let hits = refused(&r, Code::PostureBaselineDropped);
            says(&hits, says_what);
            says(&hits, "replaces the policy's defaultSrcPosture (posture:managed)");
            assert!(hits.iter().all(|h| h.location.file.ends_with("grants/g.hujson")), "{key}: {posture}");
        }
    }
    // Not a list: the fragment does not decode, so it is refused before any rule is judged.
    let r = granting(&base, "grants/g.hujson", &format!(r#""grants": [{{{TO_DB}, "srcPosture": "posture:any-os"}}],"#));
    refused(&r, Code::InvalidValue);
}

#[test]
fn every_kind_of_rule_and_a_posture_of_the_fragments_own_are_judged() {
    let base = base();
    let acl = r#""acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:prod-db:5432"], "srcPosture": []}],"#;
    let ssh = r#""ssh": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:prod-db"], "users": ["postgres"], "srcPosture": ["posture:any-os"]}],"#;
    for body in [acl, ssh] {
        refused(&granting(&base, "grants/g.hujson", body), Code::PostureBaselineDropped);
    }
    // A posture the fragment defines for itself is as much outside the baseline.
    let own = format!(
        r#""postures": {{"posture:mine": ["node:os == 'linux'"]}}, "grants": [{{{TO_DB}, "srcPosture": ["posture:mine"]}}],"#
    );
    let hits = refused(&granting(&base, "grants/g.hujson", &own), Code::PostureBaselineDropped);
    says(&hits, "names posture:mine");
    // Two rules, two findings: one refusal does not hide the other.
    let two = format!(r#""grants": [{{{TO_DB}, "srcPosture": []}}, {{{TO_DB}, "srcPosture": ["posture:any-os"]}}],"#);
    assert_eq!(refused(&granting(&base, "grants/g.hujson", &two), Code::PostureBaselineDropped).len(), 2);
}

#[test]
fn a_rule_that_keeps_to_the_baseline_passes() {
    let base = base();
    // No list of its own: the default applies.
    passes(&granting(&base, "grants/g.hujson", &format!(r#""grants": [{{{TO_DB}}}],"#)));
    // The baseline itself, or a part of it, is no weaker.
    for posture in [r#"["posture:managed"]"#, r#"[" posture:managed"]"#] {
        let body = format!(r#""grants": [{{{TO_DB}, "srcPosture": {posture}}}],"#);
        let r = granting(&base, "grants/g.hujson", &body);
        assert!(!r.findings().iter().any(|f| f.code == Code::PostureBaselineDropped), "{posture}");
    }
    // Without a baseline, a rule's own posture only narrows its access.
    let body = format!(r#""grants": [{{{TO_DB}, "srcPosture": ["posture:managed"]}}],"#);
    passes(&granting(BASE, "grants/g.hujson", &body));
    let body = format!(r#""grants": [{{{TO_DB}, "srcPosture": []}}],"#);
    let r = granting(BASE, "grants/g.hujson", &body);
    assert!(!r.findings().iter().any(|f| f.code == Code::PostureBaselineDropped));
}

#[test]
fn a_file_no_guardrail_covers_is_trusted_with_the_baseline() {
    // teams/ is not guarded by default, and a permanent file there is trusted ground.
    let r = Repo::with_base(&base());
    r.write(
        "teams/db.hujson",
        format!("{{\n\t\"description\": \"DB team\",\n\t\"grants\": [{{{TO_DB}, \"srcPosture\": []}}],\n}}\n"),
    );
    assert!(!r.findings().iter().any(|f| f.code == Code::PostureBaselineDropped));
}
