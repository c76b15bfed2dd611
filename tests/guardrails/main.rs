//! The guardrails against a hostile grant file: for each way a fragment could reach more than
//! its guardrail allows, several spellings that must be refused, and the legitimate
//! counterparts that must still pass (refusing everything is not security). One module per
//! class of attack (README, "Security model").
mod support;

mod baseline;
mod config;
mod injection;
mod outside;
mod owners;
mod power;
mod self_approval;
mod timebombs;
mod trust;
mod wildcards;
