//! Class 10: trading the posture baseline. `defaultSrcPosture` gates every rule without a
//! `srcPosture` of its own, and a rule's own list replaces it: a grant file that writes one
//! can reach its destination from devices the baseline keeps out, while the reviewer reads a
//! posture being added.
use tailgrant::finding::Code;

use crate::support::*;

/// `BASE` with `posture:managed` as the tailnet's baseline, a weaker posture beside it, and a
/// stricter one (the baseline's condition and one more).
fn base() -> String {
    BASE.replacen(
        "\"postures\": {",
        "\"defaultSrcPosture\": [\"posture:managed\"],\n\t\"postures\": {\n\t\t\"posture:any-os\": [\"node:os IN ['macos', 'linux', 'windows']\"],\n\t\t\"posture:managed-linux\": [\"node:os == 'linux'\", \"custom:managed == true\"],",
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
        (r#"["posture:any-os"]"#, "names posture:any-os, which does not hold the default's conditions"),
        // Any one listed posture admits a device: adding the baseline to the list does not help.
        (r#"["posture:managed", "posture:any-os"]"#, "names posture:any-os"),
        (r#"[" posture:any-os "]"#, "names posture:any-os"),
    ] {
        for key in ["srcPosture", "SRCPOSTURE"] {
            let r = granting(&base, "grants/g.hujson", &format!(r#""grants": [{{{TO_DB}, "{key}": {posture}}}],"#));
            let hits = refused(&r, Code::PostureBaselineDropped);
            says(&hits, says_what);
            says(&hits, "the policy's defaultSrcPosture (posture:managed) would not hold this access");
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
    // The baseline itself, a base posture that requires its conditions and more, or both.
    for posture in [
        r#"["posture:managed"]"#,
        r#"[" posture:managed"]"#,
        r#"["posture:managed-linux"]"#,
        r#"["posture:managed-linux", "posture:managed", "posture:managed"]"#,
    ] {
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

#[test]
fn a_posture_of_the_fragments_own_does_not_stand_in_for_the_baseline_whatever_its_conditions() {
    // Stricter on paper, but the fragment wrote it: only trusted definitions count.
    let body = format!(
        r#""postures": {{"posture:mine": ["custom:managed == true", "node:os == 'linux'"]}}, "grants": [{{{TO_DB}, "srcPosture": ["posture:mine"]}}],"#
    );
    let hits = refused(&granting(&base(), "grants/g.hujson", &body), Code::PostureBaselineDropped);
    says(&hits, "names posture:mine");
}

#[test]
fn a_source_no_posture_holds_escapes_the_baseline_and_is_refused() {
    let base = base();
    for (src, says_what) in [
        ("192.168.1.20", "192.168.1.20 is an address"),
        ("10.20.0.0/24", "10.20.0.0/24 is an address"),
        ("office-pc", "office-pc is a host alias"),
        ("ipset:office", "ipset:office is a set of addresses"),
        ("autogroup:shared", "autogroup:shared is users shared in"),
        ("*", "`*` matches every address"),
        ("autogroup:danger-all", "autogroup:danger-all matches every address"),
    ] {
        let body = format!(r#""grants": [{{"src": ["{src}"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}}],"#);
        let hits = refused(&granting(&base, "grants/g.hujson", &body), Code::PostureBaselineDropped);
        says(&hits, says_what);
        // Even under a rule that names the baseline itself.
        let body = format!(
            r#""acls": [{{"action": "accept", "src": ["{src}"], "dst": ["tag:prod-db:5432"], "srcPosture": ["posture:managed"]}}],"#
        );
        refused(&granting(&base, "grants/g.hujson", &body), Code::PostureBaselineDropped);
    }
    // A user shared in from another tailnet, as a source or added to a group a rule names.
    let shared = |body: &str| {
        let r = granting(&base, "grants/g.hujson", body);
        r.write("tailgrant.hujson", "{\"externalUsers\": [\"partner@othercorp.com\"]}\n");
        r
    };
    let hits = refused(
        &shared(r#""grants": [{"src": ["Partner@othercorp.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#),
        Code::PostureBaselineDropped,
    );
    says(&hits, "Partner@othercorp.com is shared in from another tailnet");
    let hits = refused(&shared(r#""groups": {"group:dba": ["partner@othercorp.com"]},"#), Code::PostureBaselineDropped);
    says(&hits, "shared in from another tailnet");
}

#[test]
fn sources_of_the_tailnet_pass_under_the_baseline() {
    let base = base();
    for src in ["alice@example.com", "group:eng", "tag:ci", "autogroup:member", "autogroup:admin"] {
        let body = format!(r#""grants": [{{"src": ["{src}"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}}],"#);
        let r = granting(&base, "grants/g.hujson", &body);
        assert!(!r.findings().iter().any(|f| f.code == Code::PostureBaselineDropped), "{src}");
    }
    // Without a baseline an address source is no escape (approvers judge it as before).
    let body = r#""grants": [{"src": ["192.168.1.20"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#;
    let r = granting(BASE, "grants/g.hujson", body);
    assert!(!r.findings().iter().any(|f| f.code == Code::PostureBaselineDropped));
}

#[test]
fn a_posture_named_like_the_baselines_is_refused_where_postures_may_be_written() {
    // A config that lets grant files define postures (TG203 refuses them by default).
    let config = r#"{"guardrails": [{"match": "grants/**", "allowSections": ["grants", "postures"]}]}"#;
    for name in ["posture:managed ", "posture:Managed", "posture:managed\\u0020"] {
        let body = format!(
            r#""postures": {{"{name}": ["node:os == 'linux'"]}}, "grants": [{{{TO_DB}, "srcPosture": ["posture:managed"]}}],"#
        );
        let r = granting(&base(), "grants/g.hujson", &body);
        r.write("tailgrant.hujson", config);
        let hits = refused(&r, Code::PostureBaselineDropped);
        says(&hits, "named like a trusted posture");
    }
    // Nor like a posture that may stand in for the baseline.
    for name in ["posture:Managed-Linux", "posture:managed-linux "] {
        let body = format!(
            r#""postures": {{"{name}": ["node:os == 'linux'"]}}, "grants": [{{{TO_DB}, "srcPosture": ["posture:managed-linux"]}}],"#
        );
        let r = granting(&base(), "grants/g.hujson", &body);
        r.write("tailgrant.hujson", config);
        says(&refused(&r, Code::PostureBaselineDropped), "named like a trusted posture");
    }
    // A posture of another name, under the same config, is judged by what the rule lists.
    let body = format!(
        r#""postures": {{"posture:extra": ["node:os == 'linux'"]}}, "grants": [{{{TO_DB}, "srcPosture": ["posture:managed"]}}],"#
    );
    let r = granting(&base(), "grants/g.hujson", &body);
    r.write("tailgrant.hujson", config);
    assert!(!r.findings().iter().any(|f| f.code == Code::PostureBaselineDropped));
}

#[test]
fn in_posture_mode_a_time_bounded_fragment_is_refused_once_and_a_permanent_one_by_this_rule() {
    let body = r#""grants": [{"src": ["192.168.1.20"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#;
    let r = granting(&base(), "grants/g.hujson", body);
    r.write("tailgrant.hujson", "{\"enforceExpiry\": \"posture\"}\n");
    // The gate's own check says why (TG056), and TG214 does not say it again.
    refused(&r, Code::PostureBypassingSource);
    assert!(!r.findings().iter().any(|f| f.code == Code::PostureBaselineDropped));
    // A permanent grant file is not gated, so TG214 judges it.
    let r = Repo::with_base(&base());
    r.write("tailgrant.hujson", "{\"enforceExpiry\": \"posture\"}\n");
    r.write(
        "grants/g.hujson",
        format!("{{\n\t\"description\": \"Test access (T-1)\",\n\t\"requester\": \"alice@example.com\",\n\t\"approvers\": [\"bob@example.com\"],\n\t{body}\n}}\n"),
    );
    says(&refused(&r, Code::PostureBaselineDropped), "192.168.1.20 is an address");
}
