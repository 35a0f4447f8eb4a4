//! Helpers shared by the CLI's test files (each file uses what it needs).
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_spikeflow");

/// Tiny `spikeflow train` settings on the shipped sample: checkpoints at
/// images 20 and 40 of 60.
pub const TINY: &[&str] = &[
    "train",
    "--neurons",
    "10",
    "--time",
    "50",
    "--n-train",
    "60",
    "--n-test",
    "20",
    "--update-interval",
    "20",
    "--checkpoint-every",
    "20",
    "--assign-window",
    "30",
    "--threads",
    "1",
    "--quiet",
];

/// An empty scratch folder for one test (named after the test binary's
/// process, so runs never share one).
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("spikeflow-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}
