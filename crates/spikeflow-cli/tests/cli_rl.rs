//! `spikeflow rl` end to end: the cue task is learned (and not by the
//! random baseline), the outputs exist, runs are reproducible from the
//! seed, bad flags are errors.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

mod support;

use support::{scratch, BIN};

fn rl(args: &[&str], out: &PathBuf) -> serde_json::Value {
    let o = Command::new(BIN)
        .arg("rl")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = fs::read_to_string(out.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn cue_choice_is_learned_and_reproducible() {
    let (a, b, r) = (scratch("a"), scratch("b"), scratch("r"));
    let learned = rl(&["cue-choice", "--episodes", "200", "--seed", "3"], &a);
    assert_eq!(learned["episodes"], 200);
    // Returns are +1 / −1 per episode; chance is 0.
    let m = learned["mean_return_last_100"].as_f64().unwrap();
    assert!(m >= 0.7, "mean return of the last 100: {m}");
    assert!(a.join("returns.png").metadata().unwrap().len() > 1000);
    let random = rl(
        &["cue-choice", "--episodes", "200", "--seed", "3", "--random"],
        &r,
    );
    let m = random["mean_return_last_100"].as_f64().unwrap();
    assert!(m.abs() <= 0.4, "random policy: {m}");
    let again = rl(&["cue-choice", "--episodes", "200", "--seed", "3"], &b);
    assert_eq!(learned["returns"], again["returns"]);
    for d in [a, b, r] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn resume_continues_as_the_uninterrupted_run() {
    let (full, cut) = (scratch("full"), scratch("cut"));
    let common = ["cartpole", "--seed", "1", "--reward", "rpe"];
    let whole = rl(&[&common[..], &["--episodes", "40"]].concat(), &full);
    rl(
        &[
            &common[..],
            &["--episodes", "20", "--checkpoint-every", "10"],
        ]
        .concat(),
        &cut,
    );
    assert!(cut.join("checkpoints/ep-00000020/checkpoint.json").exists());
    let resumed = rl(
        &[&common[..], &["--episodes", "40", "--resume"]].concat(),
        &cut,
    );
    assert_eq!(resumed["episodes"], 40);
    assert_eq!(whole["returns"], resumed["returns"]);
    // Different settings are refused.
    let o = Command::new(BIN)
        .args([
            "rl",
            "cartpole",
            "--seed",
            "2",
            "--reward",
            "rpe",
            "--episodes",
            "40",
        ])
        .args(["--resume", "--quiet", "--out"])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("saved with"));
    for d in [full, cut] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn cartpole_defaults_to_spiking_q_and_resumes_it() {
    let (full, cut) = (scratch("sq-full"), scratch("sq-cut"));
    let common = ["cartpole", "--seed", "2"];
    let whole = rl(&[&common[..], &["--episodes", "8"]].concat(), &full);
    assert_eq!(whole["design"], "spiking-q");
    assert_eq!(whole["policy"], "spiking-q");
    assert_eq!(whole["spiking_q"]["boxes"], 162);
    assert_eq!(whole["returns"].as_array().unwrap().len(), 8);
    rl(
        &[&common[..], &["--episodes", "4", "--checkpoint-every", "2"]].concat(),
        &cut,
    );
    let resumed = rl(
        &[&common[..], &["--episodes", "8", "--resume"]].concat(),
        &cut,
    );
    assert_eq!(whole["returns"], resumed["returns"]);
    // A flag of the place design selects it.
    let place = rl(
        &[&common[..], &["--episodes", "3", "--rule", "mstdp"]].concat(),
        &full,
    );
    assert_eq!(place["design"], "place");
    assert_eq!(place["policy"], "mstdp");
    for d in [full, cut] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn bad_flags_are_errors() {
    let out = scratch("bad");
    for args in [
        vec!["rl", "cartpole", "--episodes", "0"],
        vec!["rl", "pong"],
        vec!["rl", "cartpole", "--random", "--frozen"],
        vec!["rl", "cartpole", "--design", "spiking-q", "--norm", "100"],
    ] {
        let o = Command::new(BIN)
            .args(&args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(!o.stderr.is_empty());
    }
    let _ = fs::remove_dir_all(out);
}

#[test]
fn distal_reward_writes_its_summary_and_picture() {
    let d = scratch("distal");
    let s = rl(&["distal-reward", "--seconds", "2", "--seed", "5"], &d);
    assert_eq!(s["seconds"], 2);
    assert_eq!(s["rewarded"], true);
    assert_eq!(s["chosen_weight"].as_array().unwrap().len(), 2);
    let w = s["final_chosen_weight"].as_f64().unwrap();
    assert!((0.0..=4.0).contains(&w), "{w}");
    assert!(s["wall_s_per_simulated_hour"].as_f64().unwrap() > 0.0);
    assert!(d.join("weights.png").metadata().unwrap().len() > 1000);
    let o = Command::new(BIN)
        .args(["rl", "distal-reward", "--seconds", "0", "--quiet", "--out"])
        .arg(&d)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--seconds"));
    let _ = fs::remove_dir_all(d);
}

#[test]
fn xor_runs_its_experiments_and_writes_their_summary() {
    let d = scratch("xor");
    let s = rl(
        &[
            "xor-temporal",
            "--runs",
            "2",
            "--epochs",
            "3",
            "--seed",
            "4",
        ],
        &d,
    );
    assert_eq!(s["runs"], 2);
    assert_eq!(s["epochs"], 3);
    assert_eq!(s["coding"], "Temporal");
    assert_eq!(s["rule"], "MstdpEt");
    assert!((s["gamma"].as_f64().unwrap() - 0.25).abs() < 1e-6);
    let last = s["last_epoch_rates_hz"].as_array().unwrap();
    assert_eq!(last.len(), 2);
    assert_eq!(last[1]["seed"], 5);
    let solved = last.iter().filter(|r| r["solved"] == true).count();
    assert_eq!(s["solved"], solved);
    assert_eq!(s["fraction_solved_per_epoch"].as_array().unwrap().len(), 3);
    for png in ["rates.png", "solved.png"] {
        assert!(d.join(png).metadata().unwrap().len() > 1000, "{png}");
    }
    for bad in [["--epochs", "0"], ["--runs", "0"]] {
        let o = Command::new(BIN)
            .args(["rl", "xor-rate", "--quiet", "--out"])
            .arg(&d)
            .args(bad)
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("--epochs and --runs"));
    }
    let _ = fs::remove_dir_all(d);
}
