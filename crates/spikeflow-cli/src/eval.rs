//! `spikeflow eval` (being written).

use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_a: &Args) -> Result<ExitCode> {
    anyhow::bail!("spikeflow eval is not available in this build yet")
}
