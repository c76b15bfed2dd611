//! Class 1: strings from a grant file cannot change the rendered policy's structure or what
//! reviewers see. (The property test in `tests/properties.rs` holds the renderer to it for
//! arbitrary strings; these are the refusals `check` adds.)
use tailgrant::finding::Code;

use crate::support::*;

const RULE: &str = r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#;

#[test]
fn an_approver_that_carries_a_rule_is_not_a_login() {
    let injected = r#"bob@example.com\n{\"action\": \"accept\", \"src\": [\"alice@example.com\"], \"dst\": [\"tag:prod-web:*\"]},\n//"#;
    let r = Repo::new();
    r.write("grants/g.hujson", grant(RULE).replace(r#""bob@example.com""#, &format!("\"{injected}\"")));
    let hits = refused(&r, Code::InvalidPerson);
    says(&hits, "is not a person's login");
    // And the string's line break is refused as text too.
    refused(&r, Code::DeceptiveText);
}

#[test]
fn requesters_and_approvers_in_other_spellings_are_refused() {
    for (requester, approver) in [
        ("alice@example.com\r", "bob@example.com"),
        ("alice@example.com", "bob@example.com\u{2028}"),
        ("alice@example.com", "b\u{200b}ob@example.com"),
        ("alice@example.com", "bob@example.com, carol@example.com"),
        ("alice@example.com", "bob@example.com // approved"),
        ("alice@example.com", "\"bob@example.com\""),
        ("alice@example.com", "user:*@example.com"),
        ("alice@example.com", "group:dba"),
        ("alice@example.com", "bób@example.com"),
        ("*@example.com", "bob@example.com"),
    ] {
        let r = Repo::new();
        r.write("grants/g.hujson", grant_by(requester, &[approver], RULE));
        let hits = refused(&r, Code::InvalidPerson);
        assert!(!hits.is_empty(), "{requester:?} / {approver:?}");
    }
}

#[test]
fn a_description_with_a_line_break_or_bidi_control_is_refused() {
    for desc in ["Debug\\nSee INC-1", "Debug \\u202e INC-1", "Debug\\u0007"] {
        let r = Repo::new();
        r.write("grants/g.hujson", grant(RULE).replace("Test access (T-1)", desc));
        refused(&r, Code::DeceptiveText);
    }
}

#[test]
fn bidi_and_control_characters_in_comments_are_refused() {
    for comment in ["// grant \u{202e}moc.elpmaxe@eve", "/* \u{2066}x\u{2069} */", "// \x1b[2Jcleared", "// ok\rEVIL"] {
        let r = Repo::new();
        r.write("grants/g.hujson", grant(&format!("{comment}\n\t{RULE}")));
        refused(&r, Code::DeceptiveText);
    }
}

#[test]
fn logins_and_text_people_really_write_pass() {
    let r = Repo::new();
    let body = format!("// Débogage de la réplication — voir INC-4211 ✅\n\t{RULE}");
    r.write(
        "grants/2026-11-22-o'brien+ops(1).hujson".replace('\'', "").as_str(),
        grant_by("o'brien+ops@example.com", &["bob@example.com"], &body)
            .replace("Test access (T-1)", "Réplication lente sur prod-db (INC-4211)"),
    );
    passes(&r);
}

#[test]
fn file_names_that_cannot_be_shown_safely_are_not_loaded() {
    for name in [
        "grants/a\nb.hujson",
        "grants/a\u{202e}b.hujson",
        "grants/a,b.hujson",
        "grants/a b.hujson",
        "grants/x\n{/g.hujson",
    ] {
        let r = Repo::new();
        r.write(name, grant(RULE));
        let hits = refused(&r, Code::UnsafeFileName);
        assert_eq!(hits.len(), 1, "{name:?}");
        // Not loaded: nothing of it is merged.
        let repo = tailgrant::load::Repository::load(r.root()).unwrap();
        assert!(repo.fragments.is_empty(), "{name:?} was loaded");
    }
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_not_loaded() {
    use std::os::unix::ffi::OsStrExt;
    let r = Repo::new();
    std::fs::create_dir_all(r.path("grants")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"g\xff.hujson");
    std::fs::write(r.path("grants").join(name), grant(RULE)).unwrap();
    refused(&r, Code::UnsafeFileName);
}

#[test]
fn a_device_name_with_a_line_break_is_refused() {
    let r = Repo::granting(
        r#""postureAttributes": [{"device": "laptop\n// tailgrant-posture: custom:x victim", "key": "custom:x", "value": true}],"#,
    );
    refused(&r, Code::InvalidPostureAttribute);
}

#[test]
fn tailgrants_own_posture_keys_cannot_be_set_by_hand() {
    for key in ["custom:tg_abc123", "custom:TG_abc123", "custom:Tg_x"] {
        let r = Repo::granting(&format!(
            r#""postureAttributes": [{{"device": "alice-laptop", "key": "{key}", "value": true}}],"#
        ));
        refused(&r, Code::InvalidPostureAttribute);
    }
}

#[test]
fn fillers_and_format_controls_are_refused_too() {
    for c in ['\u{3164}', '\u{206a}', '\u{115f}', '\u{1bca0}', '\u{180b}', '\u{2062}'] {
        let r = Repo::new();
        r.write("grants/g.hujson", grant(&format!("// {c}\n\t{RULE}")));
        refused(&r, Code::DeceptiveText);
    }
}

#[test]
fn a_selector_in_lookalike_letters_is_refused() {
    let r =
        Repo::granting(r#""grants": [{"src": ["аlice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#);
    says(&refused(&r, Code::DeceptiveText), "Greek or Cyrillic");
    // Prose in another script is fine.
    let r = Repo::new();
    r.write("grants/g.hujson", grant(RULE).replace("Test access (T-1)", "Отладка репликации (INC-4211)"));
    passes(&r);
}

/// An ACL with both the legacy and the current name of a field: which one Tailscale reads is
/// not documented, so a reviewer could read one while the control plane reads the other.
#[test]
fn legacy_and_current_names_together_are_refused() {
    let r = Repo::granting(
        r#""acls": [{"action": "accept", "src": ["alice@example.com"], "users": ["autogroup:member"], "dst": ["tag:prod-db:5432"]}],"#,
    );
    says(&refused(&r, Code::DuplicateKey), "\"users\" is the legacy name of \"src\"");
    let r = Repo::granting(
        r#""acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:prod-db:5432"], "ports": ["tag:prod-db:*"]}],"#,
    );
    refused(&r, Code::DuplicateKey);
    // A legacy name alone is a warning.
    let r = Repo::granting(
        r#""acls": [{"action": "accept", "users": ["alice@example.com"], "dst": ["tag:prod-db:5432"]}],"#,
    );
    warned(&r, Code::LegacySpelling);
}
