//! Who may approve a fragment, judged by the guardrails' own rules, for `tailgrant approvals`:
//! that command knows who approved a pull request, and asks here whether each approval can
//! count. Nobody approves access that reaches them (`forbidSelfApproval`: the requester, anyone
//! a source, group or tag of the fragment may cover), and ownership of what it opens comes from
//! trusted ground only (`approversMustOwnTags`).

use jiff::Timestamp;

use crate::finding::Location;
use crate::load::Repository;

/// What the guardrails say about a fragment's possible approvers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judgement {
    /// Candidates whose approval never counts, and why.
    pub(crate) conflicts: Vec<Conflict>,
    /// Everything the fragment opens, each with the candidates who own it.
    pub(crate) destinations: Vec<Destination>,
}

/// A candidate who gets something from the fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub(crate) person: String,
    /// `requested this access`, `receives this access: bob@example.com is a source of its rules`.
    pub(crate) why: String,
}

/// A destination the fragment opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    /// As the policy names it, without ports (`tag:prod-db`, `10.0.0.0/16`).
    pub(crate) dst: String,
    /// Where the fragment opens it.
    pub(crate) at: Location,
    /// The candidates who own it; empty when none does (or no one can: `check` says `TG212`).
    pub(crate) owners: Vec<String>,
}

impl Judgement {
    /// Why `person` may not approve, if they may not.
    pub(crate) fn conflict(&self, person: &str) -> Option<&str> {
        self.conflicts.iter().find(|c| c.person.eq_ignore_ascii_case(person)).map(|c| c.why.as_str())
    }
}

/// Judges `candidates` (logins) as approvers of the fragment at `rel` (relative to the policies
/// directory) in `repo`, at `at`. `None` when `repo` holds no fragment there that loaded.
pub(crate) fn judge(repo: &Repository, at: Timestamp, rel: &str, candidates: &[String]) -> Option<Judgement> {
    super::guardrails::judge(repo, at, rel, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example repository: alice asks for tag:prod-db, which group:dba (bob) owns, and
    /// tag:ci, whose owner group:sre (carol) can so create tag:prod-db devices too.
    #[test]
    fn the_requester_and_beneficiaries_conflict_and_owners_are_named() {
        let repo = Repository::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policies"))).unwrap();
        let people: Vec<String> =
            ["alice@example.com", "bob@example.com", "carol@example.com"].map(String::from).to_vec();
        let at = "2026-11-23T12:00:00Z".parse().unwrap();
        let j = judge(&repo, at, "grants/2026-11-22-alice-prod-db.hujson", &people).unwrap();
        assert_eq!(j.conflict("ALICE@example.com"), Some("requested this access"));
        assert_eq!(j.conflict("bob@example.com"), None);
        assert_eq!(j.conflict("carol@example.com"), None);
        let db = j.destinations.iter().find(|d| d.dst == "tag:prod-db").unwrap();
        assert_eq!(db.owners, ["bob@example.com", "carol@example.com"]);
        assert!(judge(&repo, at, "grants/nothing-here.hujson", &people).is_none());
    }
}
