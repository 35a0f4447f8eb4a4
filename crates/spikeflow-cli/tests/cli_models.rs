//! Every BindsNET model the CLI offers besides the default trains through
//! `spikeflow train --model …` on the shipped MNIST sample (a handful of
//! images), saves the model it was asked for, and `spikeflow eval` reloads
//! it. The shown data folder is a normalised path.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

mod support;

use support::{scratch, BIN};

fn ok(args: &[&str]) -> Output {
    let o = Command::new(BIN)
        .args(args)
        .output()
        .expect("spawn spikeflow");
    assert!(
        o.status.success(),
        "spikeflow {args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The array names stored in the saved model of run `d`.
fn arrays(d: &Path) -> String {
    let bytes = fs::read(d.join("model/state.safetensors")).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    String::from_utf8_lossy(&bytes[8..8 + len]).into_owned()
}

/// Trains `model` on 20 images (4 neurons, 30 ms each) and checks the run.
fn train(model: &str, has: &[&str], lacks: &[&str]) {
    train_n(model, "4", has, lacks);
}

fn train_n(model: &str, neurons: &str, has: &[&str], lacks: &[&str]) {
    let d = scratch(model);
    let sd = d.to_str().unwrap();
    #[rustfmt::skip]
    ok(&[
        "train", "--model", model, "--neurons", neurons, "--time", "30",
        "--n-train", "20", "--n-test", "10", "--update-interval", "10",
        "--assign-window", "10", "--threads", "1", "--quiet", "--out", sd,
    ]);
    let s: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["model"], model);
    assert_eq!(s["train"]["images_seen"], 20, "{model}");
    let spikes = s["train"]["readout_spikes_per_image"].as_f64().unwrap();
    assert!(
        spikes > 0.0,
        "{model}: the read-out population never spiked"
    );
    let data_dir = s["data_dir"].as_str().unwrap();
    assert!(
        !data_dir.contains("..") && data_dir.ends_with("crates/spikeflow/data/mnist-sample"),
        "data folder shown as {data_dir}"
    );
    let names = arrays(&d);
    for a in has {
        assert!(
            names.contains(&format!("\"net/{a}\"")),
            "{model} lacks {a}: {names}"
        );
    }
    for a in lacks {
        assert!(!names.contains(&format!("\"net/{a}\"")), "{model} has {a}");
    }
    let o = ok(&["eval", "--model-dir", sd, "--n-test", "10"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("all_activity"),
        "{model}: eval printed {text}"
    );
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn diehl_cook_v2_trains_from_the_cli() {
    train(
        "diehl-cook-2015-v2",
        &["conn/X -> Y/w", "conn/Y -> Y/w", "pop/Y/theta"],
        &["pop/Ai/s", "pop/Ae/s"],
    );
}

#[test]
fn two_layer_trains_from_the_cli() {
    train(
        "two-layer",
        &["conn/X -> Y/w", "pop/Y/v"],
        &["conn/Y -> Y/w", "pop/Y/theta"],
    );
}

#[test]
fn increasing_inhibition_trains_from_the_cli() {
    train(
        "increasing-inhibition",
        &["conn/X -> Y/w", "conn/Y -> Y/w", "pop/Y/theta"],
        &["pop/Ai/s"],
    );
}

#[test]
fn locally_connected_trains_from_the_cli() {
    // 2 filters × 25 patches.
    train_n(
        "locally-connected",
        "50",
        &["conn/X -> Y/w", "conn/Y -> Y/w", "pop/Y/theta"],
        &["pop/Ai/s"],
    );
    let d = scratch("local-bad");
    let o = Command::new(BIN)
        .args(["train", "--model", "locally-connected", "--neurons", "10"])
        .args(["--out", d.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!d.exists(), "a refused run left {}", d.display());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("multiple of 25"),
        "{err}"
    );
}
