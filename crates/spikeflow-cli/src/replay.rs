//! `spikeflow replay <case.json | folder>… [--ranks K]`

use anyhow::{bail, Result};
use spikeflow::conformance::{case_files, run_case_file, run_case_file_ranks};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Case files or folders of cases (every `*.json` but `index.json`).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Replay each case cut across K processes (threads of this one, each
    /// building its part, as `spikeflow::distributed` does over MPI ranks);
    /// cases whose network cannot be cut fail as unsupported, saying why.
    #[arg(long)]
    ranks: Option<usize>,
}

pub fn run(a: &Args) -> Result<ExitCode> {
    if a.ranks == Some(0) {
        bail!("--ranks must be ≥ 1");
    }
    let (mut passed, mut failed) = (0, 0);
    for p in &a.paths {
        for f in case_files(p)? {
            let r = match a.ranks {
                Some(k) => run_case_file_ranks(&f, k),
                None => run_case_file(&f),
            };
            println!("{r}");
            if r.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
