//! End-to-end tests of the `tailgrant` binary, one module per command (a single test binary
//! links once, which matters on a small CI machine).

#[path = "../common/mod.rs"]
mod common;
mod support;

mod audit;
mod audit_page;
mod bad_input; // inputs that must give a located finding, never a panic or a partial file
mod check;
mod evaluate;
mod fmt;
mod formats;
mod newcomer; // what a new user meets first: errors with a next step, explain, CLI conventions
mod posture_mode;
mod readme; // the README's samples print what they show
mod render;
mod request;
mod workflow;
