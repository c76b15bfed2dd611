//! Check: the rules and guardrails, over one fragment or over the whole policy at an instant.
//! [`crate::pipeline`] runs them beside the merge and the tests and gathers the findings.

pub(crate) mod approvers;
mod config;
mod expiry;
mod guardrails;
mod policy;
mod posture;
mod windows;

pub(crate) use windows::human_duration;

pub(crate) use guardrails::matchers as guardrail_matchers;

use jiff::Timestamp;

use crate::finding::Finding;
use crate::load::view::View;
use crate::load::{FragmentFile, Repository};
use crate::model::Config;

/// The checks one fragment needs on its own: its window and its posture attributes.
pub(crate) fn fragment(f: &FragmentFile, at: Timestamp, config: &Config, findings: &mut Vec<Finding>) {
    windows::check(f, at, config, findings);
    posture::check(f, findings);
}

/// The checks that need the whole picture: `view` is the base with every fragment active or
/// pending at `at`.
pub(crate) fn repository(repo: &Repository, view: &View, at: Timestamp, findings: &mut Vec<Finding>) {
    posture::across(repo, at, findings);
    policy::check(view, findings);
    config::check(repo, view, findings);
    expiry::check(repo, view, at, findings);
    guardrails::check(repo, view, at, findings);
}
