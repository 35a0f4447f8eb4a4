//! `spikeflow download` (being written).

use anyhow::Result;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_a: &Args) -> Result<ExitCode> {
    anyhow::bail!("spikeflow download is not available in this build yet")
}
