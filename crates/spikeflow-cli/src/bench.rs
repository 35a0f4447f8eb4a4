//! `spikeflow bench` (being written).

use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_a: &Args) -> Result<ExitCode> {
    anyhow::bail!("spikeflow bench is not available in this build yet")
}
