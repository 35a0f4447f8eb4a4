//! `spikeflow replay <case.json | folder>…`

use anyhow::Result;
use spikeflow::conformance::{case_files, run_case_file};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Case files or folders of cases (every `*.json` but `index.json`).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(a: &Args) -> Result<ExitCode> {
    let (mut passed, mut failed) = (0, 0);
    for p in &a.paths {
        for f in case_files(p)? {
            let r = run_case_file(&f);
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
