//! `tailgrant approvals`, driven as CI drives it: the real binary in a temporary git repository
//! (a base branch holding the policies, a pull-request branch adding a grant file), with the
//! CI environment set, against the project's forge simulator (`forge-sim`) on loopback.

mod apply;
#[path = "../common/mod.rs"]
mod common;
mod github;
mod gitlab;
mod policy;
mod readme; // the README's approvals sample
mod request;
mod support;
mod tailnets;
