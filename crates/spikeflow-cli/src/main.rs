//! `spikeflow`: the command line of the spikeflow simulator.

// Doc comments of the argument structs are clap's help texts, where
// placeholders such as `runs/<model>-n<neurons>` are meant literally.
#![allow(rustdoc::invalid_html_tags)]

mod accuracy;
mod bench;
mod checkpoint;
mod download;
mod eval;
mod model_choice;
mod plots;
mod pool;
mod ranks;
mod replay;
mod rl;
mod train;

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
    /// Train a model on MNIST (default: Diehl & Cook 2015 on the shipped sample).
    Train(train::Args),
    /// Evaluate a trained model on a test set.
    Eval(eval::Args),
    /// Download a dataset (MNIST) and verify its checksums.
    Download(download::Args),
    /// Run a benchmark workload (W1–W4 of BENCHMARKS.md, the paper model, W5: NEST's hpc_benchmark).
    Bench(bench::Args),
    /// Replay BindsNET reference runs (JSON cases) and compare every state.
    Replay(replay::Args),
    /// Reward learning on a built-in task (cartpole, cue-choice).
    Rl(rl::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout as clap prints them; a bad flag is
        // one line and exit status 2.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("{}", first.trim());
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Train(a) => train::run(&a),
        Command::Eval(a) => eval::run(&a),
        Command::Download(a) => download::run(&a),
        Command::Bench(a) => bench::run(&a),
        Command::Replay(a) => replay::run(&a),
        Command::Rl(a) => rl::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
