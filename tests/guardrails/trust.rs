//! Class 5: approval rights come only from trusted ground: the base and the permanent
//! fragments no guardrail covers. A grant file, pending or active, confers none.
use tailgrant::finding::Code;

use crate::support::*;

const ALICE_TO_DB: &str = r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}],"#;

fn dave_joins_dba(r: &Repo, path: &str, window: Option<(&str, &str)>) {
    let mut text =
        grant_by("dave@example.com", &["bob@example.com"], r#""groups": {"group:dba": ["dave@example.com"]},"#);
    match window {
        Some((from, to)) => {
            text = text.replace("2026-11-22T09:00:00Z", from).replace("2026-11-24T17:00:00Z", to);
        }
        None => {
            text = text
                .replace("\t\"notBefore\": \"2026-11-22T09:00:00Z\",\n", "")
                .replace("\t\"expires\": \"2026-11-24T17:00:00Z\",\n", "");
        }
    }
    r.write(path, text);
}

fn dave_approves(r: &Repo) {
    r.write("grants/alice.hujson", grant_by("alice@example.com", &["dave@example.com"], ALICE_TO_DB));
}

#[test]
fn a_pending_grant_file_lends_no_approval_rights() {
    let r = Repo::new();
    dave_joins_dba(&r, "grants/dave.hujson", Some(("2027-01-01T00:00:00Z", "2027-01-05T00:00:00Z")));
    dave_approves(&r);
    says(&refused(&r, Code::ApproverNotOwner), "dave@example.com does not own tag:prod-db");
}

#[test]
fn an_active_grant_file_lends_no_approval_rights() {
    let r = Repo::new();
    dave_joins_dba(&r, "grants/dave.hujson", Some(("2026-11-22T09:00:00Z", "2026-11-24T17:00:00Z")));
    dave_approves(&r);
    refused(&r, Code::ApproverNotOwner);
}

#[test]
fn a_time_bounded_team_file_lends_no_approval_rights() {
    let r = Repo::new();
    dave_joins_dba(&r, "teams/dave.hujson", Some(("2026-11-22T09:00:00Z", "2026-12-24T17:00:00Z")));
    dave_approves(&r);
    refused(&r, Code::ApproverNotOwner);
}

#[test]
fn a_permanent_team_file_is_trusted_ground() {
    let r = Repo::new();
    dave_joins_dba(&r, "teams/dave.hujson", None);
    dave_approves(&r);
    passes(&r);
}

#[test]
fn a_permanent_file_a_guardrail_covers_is_not_trusted() {
    let r = Repo::new();
    r.write(
        "tailgrant.hujson",
        r#"{"guardrails": [{"match": "grants/**", "approversMustOwnTags": true}, {"match": "teams/**", "requireDescription": true}]}"#,
    );
    dave_joins_dba(&r, "teams/dave.hujson", None);
    dave_approves(&r);
    refused(&r, Code::ApproverNotOwner);
}

#[test]
fn tag_owners_from_a_grant_file_lend_no_approval_rights() {
    let r = Repo::new();
    r.write(
        "tailgrant.hujson",
        r#"{"guardrails": [{"match": "grants/**", "approversMustOwnTags": true, "allowSections": ["grants", "tagOwners"]}]}"#,
    );
    r.write(
        "grants/tags.hujson",
        grant_by("dave@example.com", &["bob@example.com"], r#""tagOwners": {"tag:new": ["dave@example.com"]},"#),
    );
    r.write(
        "grants/alice.hujson",
        grant_by(
            "alice@example.com",
            &["dave@example.com"],
            r#""grants": [{"src": ["alice@example.com"], "dst": ["tag:new"], "ip": ["tcp:22"]}],"#,
        ),
    );
    refused(&r, Code::UnownedDestination);
}
