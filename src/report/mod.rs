//! Report: findings rendered for people (`human`), scripts (`json`) and CI (`github`).
//! One module per format, all over the same `Finding`s.

pub mod access;
pub mod approvals;
pub mod explain;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use serde::Serialize;

/// The output formats of commands that print findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
    Junit,
}
