//! Every BindsNET model the CLI offers besides the default trains through
//! `spikeflow train --model …` on the shipped MNIST sample (a handful of
//! images), saves the model it was asked for, and `spikeflow eval` reloads
//! it. The shown data folder is a normalised path.

use std::fs;
use std::path::{Path, PathBuf};
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

/// The summary's test results of a paper-model run on `threads` threads.
fn paper_run(name: &str, threads: &str, block: &str) -> (serde_json::Value, std::path::PathBuf) {
    let d = scratch(name);
    #[rustfmt::skip]
    ok(&[
        "train", "--model", "diehl-cook-2015-paper", "--neurons", "6", "--time", "20", "--intensity", "40",
        "--n-train", "8", "--n-test", "11", "--assign-window", "7", "--eval-block", block,
        "--threads", threads, "--quiet", "--out", d.to_str().unwrap(),
    ]);
    let s: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    (s, d)
}

#[test]
fn paper_model_evaluates_in_blocks_independent_of_threads() {
    let (one, d1) = paper_run("paper-blocks-1", "1", "3");
    let (two, d2) = paper_run("paper-blocks-2", "2", "3");
    let test = &one["results"]["test"];
    assert_eq!(test["eval_block"], 3);
    assert_eq!(one["assignment"]["eval_block"], 3);
    assert!(test["readout_spikes_per_image"].as_f64().unwrap() > 0.0);
    for k in [
        "all_activity",
        "proportion_weighting",
        "readout_spikes_per_image",
    ] {
        assert_eq!(
            test[k], two["results"]["test"][k],
            "{k} depends on --threads"
        );
    }
    // `eval` with the same blocks repeats the run's test counts.
    #[rustfmt::skip]
    let o = ok(&[
        "eval", "--model-dir", d1.to_str().unwrap(), "--n-test", "11", "--eval-block", "3",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    let acc = 100.0 * test["all_activity"].as_f64().unwrap();
    assert!(
        text.contains(&format!("all_activity: {acc:.2}% (")) && text.contains("Wilson interval"),
        "eval printed {text}, training's test gave {acc:.2}% and its interval"
    );
    // `eval --each-epoch` takes the run's own test of its last epoch, kept
    // beside the model; evaluated afresh, it gives the same.
    let each_epoch = |extra: &[&str]| {
        #[rustfmt::skip]
        let args = [
            "eval", "--model-dir", d1.to_str().unwrap(), "--each-epoch", "--assign-window", "7",
            "--n-test", "11", "--eval-block", "3", "--threads", "1",
        ];
        let o = ok(&[&args[..], extra].concat());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for (extra, how) in [
        (&[][..], "; kept from an earlier evaluation)"),
        (&["--fresh"][..], "; evaluated)"),
    ] {
        let text = each_epoch(extra);
        assert!(
            text.contains(&format!("all_activity {acc:.2}%")) && text.contains(how),
            "eval --each-epoch {extra:?} printed {text}, training's test gave {acc:.2}%"
        );
    }
    // One serial pass still runs and says so.
    let (serial, d3) = paper_run("paper-blocks-0", "1", "0");
    assert_eq!(serial["results"]["test"]["eval_block"], 0);
    for d in [d1, d2, d3] {
        let _ = fs::remove_dir_all(d);
    }
}

/// `--closed-form-rest`: recorded with the results, accepted by `eval`, and
/// refused (before anything is written) where it cannot apply.
#[test]
fn paper_model_closed_form_rest_from_the_cli() {
    let d = scratch("paper-closed-form-rest");
    #[rustfmt::skip]
    let args = [
        "train", "--model", "diehl-cook-2015-paper", "--neurons", "6", "--time", "20", "--intensity", "40",
        "--n-train", "8", "--n-test", "11", "--assign-window", "7", "--eval-block", "3", "--quiet",
        "--closed-form-rest", "--out", d.to_str().unwrap(),
    ];
    ok(&args);
    let s: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["results"]["test"]["closed_form_rest"], true);
    assert_eq!(s["assignment"]["closed_form_rest"], true);
    #[rustfmt::skip]
    let o = ok(&[
        "eval", "--model-dir", d.to_str().unwrap(), "--n-test", "11", "--eval-block", "3",
        "--closed-form-rest",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("all_activity: "));
    let _ = fs::remove_dir_all(&d);
    for (model, block, says) in [
        ("diehl-cook-2015-paper", "0", "blocks"),
        ("diehl-cook-2015", "3", "only the paper model"),
    ] {
        #[rustfmt::skip]
        let o = Command::new(BIN)
            .args([
                "train", "--model", model, "--neurons", "6", "--n-train", "8", "--n-test", "11",
                "--eval-block", block, "--quiet", "--closed-form-rest", "--out", d.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(says), "{model}: {err}");
        assert!(!d.exists(), "a refused run left {}", d.display());
    }
}

/// Trains a 6-neuron paper model on 6 images (checkpoints every 4) into
/// `d/name`, with `extra` flags; the run's folder.
fn small_paper_run(d: &Path, name: &str, extra: &[&str]) -> PathBuf {
    #[rustfmt::skip]
    let common = [
        "train", "--model", "diehl-cook-2015-paper", "--neurons", "6", "--time", "20",
        "--intensity", "40", "--n-train", "6", "--n-test", "5", "--assign-window", "4",
        "--eval-block", "3", "--checkpoint-every", "4", "--quiet",
    ];
    let out = d.join(name);
    ok(&[&common[..], extra, &["--out", out.to_str().unwrap()]].concat());
    out
}

/// `spikeflow train --n-train 2 --quiet ARGS` fails with a message that
/// says `says`.
fn refused(args: &[&str], says: &str) {
    let o = Command::new(BIN)
        .args(["train", "--n-train", "2", "--quiet"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains(says), "{args:?}: {err}");
}

/// The trained model's state file of a run folder.
fn model(out: &Path) -> Vec<u8> {
    fs::read(out.join("model/state.safetensors")).unwrap()
}

/// `--closed-form-training-rest`: kept with the run (a resumed run goes on
/// with it and ends where the uninterrupted one does), changes the
/// training, trains in parts as one network, and is refused where it
/// cannot apply.
#[test]
fn paper_model_closed_form_training_rest_from_the_cli() {
    let d = scratch("paper-closed-form-training-rest");
    let run = |name: &str, extra: &[&str]| small_paper_run(&d, name, extra);
    let quick = run("quick", &["--epochs", "2", "--closed-form-training-rest"]);
    let s: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(quick.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["params"]["model"]["closed_form_training_rest"], true);
    // One epoch, resumed from its checkpoint at image 4 for two: the flag
    // comes from the run.
    let resumed = run("resumed", &["--epochs", "1", "--closed-form-training-rest"]);
    let stepped = run("stepped", &["--epochs", "1"]);
    assert!(
        model(&resumed) != model(&stepped),
        "the training rest was stepped"
    );
    let ck = resumed.join("checkpoints/ckpt-000000004");
    ok(&[
        "train",
        "--resume",
        ck.to_str().unwrap(),
        "--epochs",
        "2",
        "--quiet",
    ]);
    assert!(
        model(&quick) == model(&resumed),
        "resumed without the closed-form rest"
    );
    // In 2 parts: the same model as one network.
    let parts = run(
        "parts",
        &[
            "--epochs",
            "2",
            "--closed-form-training-rest",
            "--parts",
            "2",
        ],
    );
    assert!(model(&quick) == model(&parts), "2 parts relaxed otherwise");
    // Refused: another model, and resuming a stepped run with it.
    let stepped_ck = stepped.join("checkpoints/ckpt-000000004");
    let (flag, ck) = ("--closed-form-training-rest", stepped_ck.to_str().unwrap());
    refused(
        &[flag, "--model", "diehl-cook-2015"],
        "only the paper model",
    );
    refused(&[flag, "--resume", ck], "the run steps its training rest");
    let _ = fs::remove_dir_all(d);
}

/// `--euler-limit`: kept with the run (in summary.json, and a resumed run
/// goes on with it), refused where it cannot apply or differs from the
/// resumed run's.
#[test]
fn paper_model_euler_limit_from_the_cli() {
    let d = scratch("paper-euler-limit");
    let run = |name: &str, extra: &[&str]| small_paper_run(&d, name, extra);
    let limit = |out: &Path| -> serde_json::Value {
        let s: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        s["params"]["model"]["euler_limit"].clone()
    };
    let two = run("two", &["--euler-limit", "2"]);
    assert_eq!(limit(&two), 2.0);
    assert_eq!(limit(&run("inf", &["--euler-limit", "inf"])), "inf");
    assert_eq!(limit(&run("default", &[])), 1.0);
    // Resumed without the flag: the run's limit.
    let ck = two.join("checkpoints/ckpt-000000004");
    let resumed = d.join("resumed");
    #[rustfmt::skip]
    ok(&[
        "train", "--resume", ck.to_str().unwrap(), "--quiet",
        "--out", resumed.to_str().unwrap(),
    ]);
    assert_eq!(limit(&resumed), 2.0);
    // `eval` reads the run's limit (and builds through `paper_config`,
    // which the unit tests check carries it).
    let o = ok(&[
        "eval",
        "--model-dir",
        two.to_str().unwrap(),
        "--n-test",
        "2",
    ]);
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("Euler limit 2"), "{said}");
    let flag = "--euler-limit";
    refused(
        &[flag, "3", "--resume", ck.to_str().unwrap()],
        "--euler-limit 3 (the run has 2)",
    );
    refused(
        &[flag, "2", "--model", "diehl-cook-2015"],
        "only the paper model",
    );
    // Resuming a BindsNET run with it: the run has no such limit.
    let bindsnet = d.join("bindsnet");
    #[rustfmt::skip]
    ok(&[
        "train", "--neurons", "4", "--time", "30", "--n-train", "4", "--n-test", "0",
        "--checkpoint-every", "2", "--quiet", "--out", bindsnet.to_str().unwrap(),
    ]);
    let ck = bindsnet.join("checkpoints/ckpt-000000002");
    for given in ["1", "2"] {
        refused(
            &[flag, given, "--resume", ck.to_str().unwrap()],
            "--euler-limit (only the paper model has it)",
        );
    }
    for bad in ["0.5", "NaN"] {
        refused(
            &[flag, bad, "--model", "diehl-cook-2015-paper"],
            "must be at least 1",
        );
    }
    let _ = fs::remove_dir_all(d);
}

/// `train --parts K` trains the paper model cut into K parts: the same
/// checkpoints and model, bit for bit, as one network, and a run resumes
/// with another number of parts.
#[test]
fn paper_model_trains_in_parts_as_one_network() {
    let d = scratch("paper-parts");
    let run = |name: &str, extra: &[&str]| small_paper_run(&d, name, extra);
    let one = run("one", &["--epochs", "2"]);
    let two = run("two", &["--epochs", "2", "--parts", "2"]);
    assert!(model(&one) == model(&two), "2 parts changed the model");
    let ck =
        |out: &Path| fs::read(out.join("checkpoints/ckpt-000000008/state.safetensors")).unwrap();
    assert!(ck(&one) == ck(&two), "2 parts changed a checkpoint");
    // One epoch in 3 parts, then resumed from its checkpoint at image 4
    // for two epochs in 2 parts.
    let three = run("three", &["--epochs", "1", "--parts", "3"]);
    let end = three.join("checkpoints/ckpt-000000004");
    #[rustfmt::skip]
    ok(&["train", "--resume", end.to_str().unwrap(), "--epochs", "2", "--parts", "2", "--quiet"]);
    // (The resumed run labels in the blocks of 3 it was started with.)
    assert!(model(&one) == model(&three), "resumed in other parts");
    // Refused: no parts, and parts of another model.
    refused(&["--parts", "0"], "--parts must be at least 1");
    refused(
        &["--parts", "2", "--model", "diehl-cook-2015"],
        "only the paper model",
    );
    let _ = fs::remove_dir_all(d);
}
