//! The `tailgrant` binary: parse the flags, run the command, exit with its status.

mod cli;

// The pipeline allocates many small values (one per JSON value and comment); mimalloc makes
// that markedly cheaper than the system allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = <cli::args::Cli as clap::Parser>::parse();
    cli::run(args).into()
}
