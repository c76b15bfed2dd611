//! The `tailgrant` binary: parse the flags, run the command, exit with its status.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = <cli::args::Cli as clap::Parser>::parse();
    cli::run(args).into()
}
