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
    assert_eq!(files.len(), 30, "the 30 public cases are shipped");
    check_folder(&dir);
}

/// Cases whose expected values come from `vectors/spec_model.py` (see the
/// folder's README): the types and fields no public BindsNET case covers.
#[test]
fn spec_model_cases_match() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/spec_model");
    assert_eq!(case_files(&dir).unwrap().len(), 11);
    check_folder(&dir);
}

/// BindsNET spells its 3-D pooling class `MaxPoo3dConnection`: a case
/// naming it so replays as MaxPool3d.
#[test]
fn maxpoo3d_spelling_is_maxpool3d() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/spec_model");
    let text = std::fs::read_to_string(dir.join("s05_conv3d_maxpool3d_b1.json")).unwrap();
    let mut case: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(case["connections"][1]["type"], "MaxPool3dConnection");
    case["connections"][1]["type"] = serde_json::json!("MaxPoo3dConnection");
    let r = spikeflow::conformance::run_case(&case, "x");
    assert!(r.passed(), "{r}");
    // A 2-D kernel under a 3-D name is refused.
    case["connections"][1]["kernel_size"] = serde_json::json!([2, 2]);
    assert!(!spikeflow::conformance::run_case(&case, "x").passed());
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

/// An edit of a case.
type Edit = fn(&mut serde_json::Value);

/// A field the runner does not know is refused, naming the field and where
/// it is, at every level: ignoring it could hide a difference.
#[test]
fn unknown_fields_are_refused_at_every_level() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bindsnet");
    let text = std::fs::read_to_string(dir.join("p28_clamp_postpre_lif_b1.json")).unwrap();
    let case: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(spikeflow::conformance::run_case(&case, "x").passed());
    let cases: [(&str, Edit, &str); 9] = [
        (
            "top level",
            |c| c["injects_v"] = serde_json::json!({}),
            "\"injects_v\" in the case",
        ),
        (
            "layer",
            |c| c["layers"]["Y"]["tc_refrac"] = serde_json::json!(2.0),
            "\"tc_refrac\" in layer \"Y\"",
        ),
        (
            "connection",
            |c| c["connections"][0]["delay"] = serde_json::json!(1),
            "\"delay\" in connection 0 (X -> Y)",
        ),
        (
            "rule kwargs",
            |c| c["connections"][0]["update_rule_kwargs"]["a_plus"] = serde_json::json!(2.0),
            "\"a_plus\" in connection 0 (X -> Y) update_rule_kwargs",
        ),
        (
            "input",
            |c| c["inputs"]["X"]["scale"] = serde_json::json!(2.0),
            "\"scale\" in inputs.X",
        ),
        (
            "tolerance",
            |c| c["tolerance"]["ulps"] = serde_json::json!(2),
            "\"ulps\" in tolerance",
        ),
        (
            "expected layer",
            |c| c["expected"]["layers"]["Y"]["g"] = serde_json::json!([]),
            "\"g\" in expected.layers.Y",
        ),
        (
            "expected connection",
            |c| c["expected"]["connections"][0]["delays"] = serde_json::json!([]),
            "\"delays\" in expected.connections[0]",
        ),
        (
            "kwarg of another rule",
            |c| c["connections"][0]["update_rule_kwargs"]["x_tar"] = serde_json::json!(0.1),
            "\"x_tar\" in connection 0",
        ),
    ];
    for (level, edit, want) in cases {
        let mut c = case.clone();
        edit(&mut c);
        let r = spikeflow::conformance::run_case(&c, "x");
        let msg = r.to_string();
        assert!(!r.passed(), "{level}: {msg}");
        assert!(
            msg.starts_with("FAIL p28_clamp_postpre_lif_b1: unsupported: unknown field"),
            "{level}: {msg}"
        );
        assert!(msg.contains(want), "{level}: {msg}");
    }
}

/// A clamp row for a layer that does not exist, or with values other than
/// 0/1, makes the case invalid rather than being dropped.
#[test]
fn bad_clamps_are_refused() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bindsnet");
    let text = std::fs::read_to_string(dir.join("p28_clamp_postpre_lif_b1.json")).unwrap();
    let case: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut c = case.clone();
    c["unclamp"] = serde_json::json!({"Z": c["clamp"]["Y"].clone()});
    let msg = spikeflow::conformance::run_case(&c, "x").to_string();
    assert!(
        msg.contains("invalid case") && msg.contains("unclamp: no layer \"Z\""),
        "{msg}"
    );
    let mut c = case;
    c["clamp"]["Y"][3][1] = serde_json::json!(2);
    let msg = spikeflow::conformance::run_case(&c, "x").to_string();
    assert!(msg.contains("clamp.Y: 2 is not 0/1"), "{msg}");
}
