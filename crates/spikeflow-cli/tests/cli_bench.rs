//! `spikeflow bench paper`: Diehl & Cook's own model timed per image, one
//! JSON line per measured image while learning and then with learning off,
//! and one for learning off in blocks (on the shipped MNIST sample, at a toy
//! size).

use std::process::Command;

mod support;

use support::BIN;

#[test]
fn paper_workload_prints_a_line_per_image_and_phase() {
    let o = Command::new(BIN)
        .args([
            "bench",
            "paper",
            "--sizes",
            "10",
            "--samples",
            "2",
            "--warmup",
            "1",
            "--threads",
            "2",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["bench"], "meta");
    let paper: Vec<_> = lines.iter().filter(|r| r["bench"] == "paper").collect();
    assert_eq!(
        paper.len(),
        5,
        "2 measured images × learning on/off, then blocks"
    );
    let blocks = paper[4];
    assert_eq!(blocks["learning"], false);
    assert_eq!(blocks["blocks"], 2);
    assert!(blocks["s_per_sample"].as_f64().unwrap() > 0.0);
    for (r, learning) in paper[..4].iter().zip([true, true, false, false]) {
        assert_eq!(r["n_neurons"], 10);
        assert_eq!(r["learning"], learning);
        assert!(r["s_per_sample"].as_f64().unwrap() > 0.0);
        assert!(r["presentations"].as_u64().unwrap() >= 1);
    }
}
