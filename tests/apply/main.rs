//! `tailgrant apply`, `import` and `diff --live`, driven as a user would (the real binary)
//! against the project's Tailscale API simulator over HTTP on loopback.

#[path = "../common/mod.rs"]
mod common;
mod hostile;
mod posture_mode;
mod scenarios;
mod soak;
mod support;
mod tailnets;
