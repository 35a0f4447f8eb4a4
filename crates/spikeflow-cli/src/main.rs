//! `spikeflow`: the command line of the spikeflow simulator.

mod replay;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Event-driven spiking neural networks with local learning rules.
#[derive(Parser)]
#[command(name = "spikeflow", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay BindsNET reference runs (JSON cases) and compare every state.
    Replay(replay::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(a) => replay::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
