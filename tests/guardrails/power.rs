//! Class 6: power that is not a tag. A posture attribute opens what the postures that read it
//! gate; a group opens what every section that names it gives; where nothing can be owned
//! (node attributes, auto-approvers), only the config's `owners` can allow it.
use tailgrant::finding::Code;

use crate::support::*;

fn sets(key: &str) -> String {
    format!(r#""postureAttributes": [{{"device": "alice-laptop", "key": "{key}", "value": true}}],"#)
}

#[test]
fn a_posture_attribute_opens_what_its_posture_gates() {
    let r = Repo::new();
    r.write("grants/g.hujson", grant_by("alice@example.com", &["nina@example.com"], &sets("custom:managed")));
    let hits = refused(&r, Code::ApproverNotOwner);
    says(&hits, "nina@example.com does not own tag:prod-db");
    says(&hits, "by setting custom:managed, which posture:managed reads");
    // Keys match without regard to case, as the API makes them unique that way.
    let r = Repo::new();
    r.write("grants/g.hujson", grant_by("alice@example.com", &["nina@example.com"], &sets("custom:MANAGED")));
    refused(&r, Code::ApproverNotOwner);
    // bob owns tag:prod-db: he may approve it.
    passes(&Repo::granting(&sets("custom:managed")));
    // An attribute no posture reads opens nothing.
    let r = Repo::new();
    r.write("grants/g.hujson", grant_by("alice@example.com", &["nina@example.com"], &sets("custom:unrelated")));
    passes(&r);
}

#[test]
fn a_default_posture_attribute_opens_every_ungated_rule() {
    let base = BASE.replacen("\"postures\": {", "\"defaultSrcPosture\": [\"posture:managed\"],\n\t\"postures\": {", 1);
    // The ACL to tag:staging has no posture of its own: the default now gates it, so setting
    // the attribute opens tag:staging too, which nina does not own.
    let r = Repo::with_base(&base);
    r.write("grants/g.hujson", grant_by("alice@example.com", &["nina@example.com"], &sets("custom:managed")));
    let hits = refused(&r, Code::ApproverNotOwner);
    says(&hits, "does not own tag:staging");
    // bob owns both tag:staging (group:eng) and tag:prod-db (group:dba).
    let r = Repo::with_base(&base);
    r.write("grants/g.hujson", grant(&sets("custom:managed")));
    passes(&r);
}

#[test]
fn joining_a_group_named_by_node_attributes_or_auto_approvers_is_refused() {
    for group in ["group:funnel", "group:routers"] {
        let r = Repo::granting(&format!(r#""groups": {{"{group}": ["alice@example.com"]}},"#));
        refused(&r, Code::UnownedDestination);
    }
}

#[test]
fn configured_owners_allow_those_powers() {
    let r = Repo::granting(r#""groups": {"group:routers": ["alice@example.com"]},"#);
    r.write("tailgrant.hujson", r#"{"owners": {"section:autoApprovers": ["group:dba"]}}"#);
    passes(&r);
    let r = Repo::granting(r#""groups": {"group:funnel": ["alice@example.com"]},"#);
    r.write("tailgrant.hujson", r#"{"owners": {"section:nodeAttrs": ["group:netops"]}}"#);
    refused(&r, Code::ApproverNotOwner);
}

#[test]
fn joining_a_group_that_owns_a_tag_opens_the_tag() {
    let r = Repo::new();
    r.write(
        "grants/g.hujson",
        grant_by("alice@example.com", &["nina@example.com"], r#""groups": {"group:sre": ["alice@example.com"]},"#),
    );
    let hits = refused(&r, Code::ApproverNotOwner);
    says(&hits, "tag:ci");
    says(&hits, "which owns it");
}

#[test]
fn joining_a_group_used_nowhere_passes() {
    passes(&Repo::granting(r#""groups": {"group:oncall": ["alice@example.com"]},"#));
}

#[test]
fn a_fragments_own_node_attributes_need_an_owner_when_the_config_allows_them() {
    let r = Repo::granting(r#""nodeAttrs": [{"target": ["alice@example.com"], "attr": ["funnel"]}],"#);
    r.write("tailgrant.hujson", r#"{"guardrails": [{"match": "grants/**", "approversMustOwnTags": true}]}"#);
    refused(&r, Code::UnownedDestination);
}
