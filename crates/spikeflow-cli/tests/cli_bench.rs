//! `spikeflow bench paper`: Diehl & Cook's own model timed per image, one
//! JSON line per measured image while learning and then with learning off,
//! and one for learning off in blocks (on the shipped MNIST sample, at a toy
//! size); `spikeflow bench w5`: NEST's hpc_benchmark at a toy scale.

use std::process::Command;

mod support;

use support::BIN;

/// The JSON lines `spikeflow bench ARGS` prints, after checking that it
/// succeeded and began with its `meta` line.
fn bench_lines(args: &[&str]) -> Vec<serde_json::Value> {
    let o = Command::new(BIN).arg("bench").args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["bench"], "meta");
    lines
}

#[test]
fn paper_workload_prints_a_line_per_image_and_phase() {
    #[rustfmt::skip]
    let lines = bench_lines(&[
        "paper", "--sizes", "10", "--samples", "2", "--warmup", "1", "--threads", "2",
    ]);
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

/// `bench w5` at scale 0.01 (90 E, 22 I neurons, each with NEST's 9000 + 2200
/// inputs: multapses) for 20 ms after 5 ms of presimulation.
fn w5_line(threads: &str) -> serde_json::Value {
    #[rustfmt::skip]
    let lines = bench_lines(&[
        "w5", "--scale", "0.01", "--seconds", "0.02", "--presim-ms", "5", "--threads", threads,
    ]);
    let w5: Vec<_> = lines.into_iter().filter(|r| r["bench"] == "w5").collect();
    assert_eq!(w5.len(), 1, "one repetition");
    w5.into_iter().next().unwrap()
}

#[test]
fn w5_workload_prints_rates_weights_and_memory_the_same_for_any_thread_count() {
    let r = w5_line("1");
    let f = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k}: {}", r[k]));
    assert_eq!((r["n_e"].as_u64(), r["n_i"].as_u64()), (Some(90), Some(22)));
    assert_eq!(
        (r["ce"].as_u64(), r["ci"].as_u64()),
        (Some(9000), Some(2200))
    );
    assert_eq!(r["n_ee"].as_u64(), Some(90 * 9000));
    // 200 steps of 0.1 ms (an f32: 0.10000000149).
    assert!((f("sim_ms") - 20.0).abs() < 1e-4);
    assert!((f("je_pa") - 45.6096).abs() < 1e-3);
    let (rate_e, rate_i) = (f("rate_e_hz"), f("rate_i_hz"));
    let spikes = f("out_spikes");
    assert!(spikes > 0.0);
    assert!(((rate_e * 90.0 + rate_i * 22.0) * 0.02 - spikes).abs() < 1e-6 * spikes);
    assert!((f("mean_w_ee") * 810_000.0 - f("sum_w_ee")).abs() < 1e-3 * f("sum_w_ee"));
    assert!(f("mean_w_ee") > 0.0 && f("wall_s_per_sim_s") > 0.0);
    if cfg!(target_os = "linux") {
        assert!(f("peak_rss_bytes") > 0.0 && f("bytes_per_synapse") > 0.0);
    }
    // Every draw is keyed, every reduction in a fixed order: two threads
    // give the same spikes and weights.
    let r2 = w5_line("2");
    assert_eq!(r2["out_spikes"], r["out_spikes"]);
    assert_eq!(r2["sum_w_ee"], r["sum_w_ee"]);
}

/// `bench w5 --save-state` then `--resume-state` gives the weights of a run
/// that never stopped; a state of another W5 or a missing one is a
/// one-line error.
#[test]
fn w5_state_resumes_as_a_run_that_never_stopped() {
    let d = std::env::temp_dir().join(format!("spikeflow-w5-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let state = d.join("state");
    let st = state.to_str().unwrap();
    let w5 = |extra: &[&str]| -> serde_json::Value {
        let base = ["w5", "--scale", "0.01", "--threads", "1"];
        let lines = bench_lines(&[&base[..], extra].concat());
        lines.into_iter().find(|r| r["bench"] == "w5").unwrap()
    };
    #[rustfmt::skip]
    let first = w5(&["--presim-ms", "5", "--seconds", "0.01", "--save-state", st]);
    let resumed = w5(&["--seconds", "0.01", "--resume-state", st]);
    let through = w5(&["--presim-ms", "5", "--seconds", "0.02"]);
    assert_eq!(resumed["resumed"], true);
    assert_eq!(resumed["sum_w_ee"], through["sum_w_ee"]);
    let spikes = |r: &serde_json::Value| r["out_spikes"].as_f64().unwrap();
    assert_eq!(spikes(&first) + spikes(&resumed), spikes(&through));
    for (args, says) in [
        (&["--scale", "0.02"][..], "holds W5"),
        (&["--static-ee"][..], "holds W5"),
    ] {
        let o = Command::new(BIN)
            .args(["bench", "w5", "--seconds", "0.01", "--resume-state", st])
            .args(args)
            .output()
            .unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && e.contains(says), "{args:?}: {e}");
    }
    let o = Command::new(BIN)
        .args(["bench", "w5", "--scale", "0.01", "--seconds", "0.01"])
        .arg("--resume-state")
        .arg(d.join("none"))
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("none"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}
