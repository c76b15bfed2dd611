//! tailgrant: a compiler and linter for a Tailscale policy kept in git.
pub mod parse;
