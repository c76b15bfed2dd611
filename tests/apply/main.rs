//! `tailgrant apply`, `import` and `diff --live`, driven as a user would (the real binary)
//! against the project's Tailscale API simulator over HTTP on loopback.

mod scenarios;
mod soak;
mod support;
