//! The `parkportal` binary: parses the command line, loads the configuration, starts logging and
//! runs the command.

use clap::Parser;
use parkportal::cli::{self, Cli};
use parkportal::config::Config;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a request allocates and frees many small objects
/// on two threads at once, where glibc's malloc took a fifth of the server's CPU time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // No command is `serve`.
    let serving = matches!(cli.command, None | Some(cli::Command::Serve));
    parkportal::logging::init(&config.log, serving);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(cli::run(cli, config))
}
