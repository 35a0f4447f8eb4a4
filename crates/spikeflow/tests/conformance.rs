//! Replays every BindsNET reference case shipped in `tests/data/bindsnet/`
//! (and, if `SPIKEFLOW_CASES` names a folder or file, those cases too) and
//! requires each to match: spikes exactly, floats within the case tolerance.

use spikeflow::conformance::{case_files, run_case_file};
use std::path::PathBuf;

fn check_folder(path: &std::path::Path) {
    let files = case_files(path).expect("case folder readable");
    assert!(!files.is_empty(), "no cases in {}", path.display());
    let mut failures = Vec::new();
    for f in &files {
        let r = run_case_file(f);
        println!("{r}");
        if !r.passed() {
            failures.push(r.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn public_bindsnet_cases_match() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bindsnet");
    let files = case_files(&dir).unwrap();
    assert_eq!(files.len(), 27, "the 27 public cases are shipped");
    check_folder(&dir);
}

#[test]
fn extra_cases_from_environment() {
    if let Ok(p) = std::env::var("SPIKEFLOW_CASES") {
        check_folder(std::path::Path::new(&p));
    }
}

#[test]
fn a_broken_case_fails_with_a_message() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bindsnet");
    let text = std::fs::read_to_string(dir.join("p02_postpre_lif_nu_pair_b1.json")).unwrap();
    let mut case: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Flip one recorded spike: the runner must notice and say where.
    let s = &mut case["expected"]["layers"]["Y"]["s"][5][0][0];
    *s = serde_json::json!(1 - s.as_i64().unwrap());
    let r = spikeflow::conformance::run_case(&case, "x");
    let msg = r.to_string();
    assert!(!r.passed(), "{msg}");
    assert!(msg.contains("Y s step 5 batch 0 index 0"), "{msg}");
    // An unknown rule is reported as unsupported, never as a pass.
    case["connections"][0]["update_rule"] = serde_json::json!("Triplet");
    let msg = spikeflow::conformance::run_case(&case, "x").to_string();
    assert!(msg.contains("unsupported: learning rule Triplet"), "{msg}");
}
