//! The `muster` command: parses the command line and hands over to the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use muster_server::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_tracing(&cli.log_format);
    match cli::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("muster: {error:#}");
            ExitCode::FAILURE
        }
    }
}
