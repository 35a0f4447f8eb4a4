//! `spikeflow train` / `spikeflow eval` end to end on the shipped MNIST
//! sample, with tiny settings: resume after a kill gives the same model bit
//! for bit, corrupt checkpoints are refused (and left alone), bad flags are
//! one-line errors.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{scratch, BIN, TINY};

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("spawn spikeflow")
}

fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(
        o.status.success(),
        "spikeflow {args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Runs and expects a failure with a single-line `error: …` message.
fn one_line_error(args: &[&str]) -> String {
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "spikeflow {args:?} succeeded");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "not one line for {args:?}: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    err
}

fn with_out<'a>(base: &[&'a str], out: &'a str) -> Vec<&'a str> {
    let mut v = base.to_vec();
    v.extend(["--out", out]);
    v
}

fn summary(d: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(d.join("summary.json")).unwrap()).unwrap()
}

/// The accuracies of each read-out on `split` in the summary of run `d`.
fn accuracies(d: &Path, split: &str) -> Vec<serde_json::Value> {
    let r = &summary(d)["results"][split];
    let v: Vec<_> = [
        "all_activity",
        "proportion_weighting",
        "logistic_regression",
    ]
    .iter()
    .map(|k| r[*k].clone())
    .collect();
    assert!(v.iter().all(|x| x.is_number()), "{r}");
    v
}

/// Whether the finished model of run `d` stores the array `name`.
fn has_array(d: &Path, name: &str) -> bool {
    let bytes = fs::read(d.join("model/state.safetensors")).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    String::from_utf8_lossy(&bytes[8..8 + len]).contains(&format!("\"{name}\""))
}

/// `spikeflow eval` of run `d` on its 20 test images reports the test
/// accuracies of the training run's summary (the model is saved after the
/// label assignment, with the generator the test started from). Returns
/// eval's output.
fn eval_matches_train(d: &Path) -> String {
    let o = ok(&["eval", "--model-dir", d.to_str().unwrap(), "--n-test", "20"]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let test = &summary(d)["results"]["test"];
    for k in [
        "all_activity",
        "proportion_weighting",
        "logistic_regression",
    ] {
        let want = format!("{k}: {:.2}%", 100.0 * test[k].as_f64().unwrap());
        assert!(text.contains(&want), "eval lacks {want:?}:\n{text}");
    }
    text
}

fn latest(dir: &Path) -> Option<u64> {
    let s = fs::read_to_string(dir.join("checkpoints/LATEST")).ok()?;
    s.trim().strip_prefix("ckpt-")?.parse().ok()
}

#[test]
fn resume_after_kill_gives_the_same_model() {
    let a = scratch("uninterrupted");
    let b = scratch("killed");
    let (sa, sb) = (a.to_str().unwrap(), b.to_str().unwrap());
    ok(&with_out(TINY, sa));
    let model_a = fs::read(a.join("model/state.safetensors")).unwrap();

    // The same run, slowed down (no effect on results) so that it can be
    // killed after its second checkpoint and before its end.
    let mut args = with_out(TINY, sb);
    args.extend(["--throttle-ms", "40"]);
    let mut child = Command::new(BIN)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while latest(&b).is_none_or(|k| k < 40) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its second checkpoint"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "no second checkpoint"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !b.join("model").exists(),
        "the run finished before the kill"
    );
    assert_eq!(latest(&b), Some(40));

    ok(&["train", "--resume", sb, "--quiet"]);
    let model_b = fs::read(b.join("model/state.safetensors")).unwrap();
    assert!(
        model_a == model_b,
        "the resumed model differs from the uninterrupted one"
    );
    assert_eq!(accuracies(&a, "test"), accuracies(&b, "test"));
    let assignment = |d: &Path| {
        let mut x = summary(d)["assignment"].clone();
        x["seconds"] = 0.into();
        x
    };
    assert_eq!(assignment(&a), assignment(&b));
    assert_eq!(summary(&a)["assignment"]["source"], "learning_off_window");
    assert_eq!(summary(&a)["assignment"]["images"], 30);
    assert_eq!(
        summary(&a)["train"]["history"],
        summary(&b)["train"]["history"]
    );
    assert!(has_array(&a, "readout/rates"));
    assert_eq!(
        summary(&a)["assignment"]["logreg_fit"],
        "learning_off_window"
    );
    for f in [
        "receptive_fields.png",
        "accuracy.png",
        "raster.png",
        "confusion_test.png",
    ] {
        assert!(b.join(f).is_file(), "{f} missing");
    }

    // Evaluation of the saved model: the same labels, the same test spikes.
    let text = eval_matches_train(&a);
    assert!(
        text.contains("all_activity:") && text.contains("logistic_regression:"),
        "{text}"
    );
    assert!(text.contains("true\\pred"), "{text}");
    assert!(a.join("confusion_test.png").is_file());
    // A finished run cannot be resumed.
    one_line_error(&["train", "--resume", sa]);
    let _ = fs::remove_dir_all(&a);
    let _ = fs::remove_dir_all(&b);
}

#[test]
fn assignment_and_regression_choices() {
    // BindsNET's example: labels from the rates accumulated in training.
    let d = scratch("rates");
    let sd = d.to_str().unwrap();
    let mut args = with_out(TINY, sd);
    let k = args.iter().position(|a| *a == "--assign-window").unwrap();
    args[k + 1] = "0";
    ok(&args);
    let s = summary(&d);
    assert_eq!(s["assignment"]["source"], "training_rates", "{s}");
    assert_eq!(s["assignment"]["logreg_fit"], "training");
    assert!(!has_array(&d, "readout/rates"));
    eval_matches_train(&d);
    let _ = fs::remove_dir_all(&d);

    // The regression fitted on the training counts (the default fits it on
    // the learning-off window).
    let d = scratch("logreg-training");
    let sd = d.to_str().unwrap();
    let mut args = with_out(TINY, sd);
    args.extend(["--logreg-fit", "training"]);
    ok(&args);
    let s = summary(&d);
    assert_eq!(s["assignment"]["logreg_fit"], "training", "{s}");
    eval_matches_train(&d);
    let _ = fs::remove_dir_all(&d);

    // The tuning aid reports validation accuracies and changes nothing.
    let d = scratch("sweep");
    let e = scratch("nosweep");
    let (sd, se) = (d.to_str().unwrap(), e.to_str().unwrap());
    let mut args = with_out(TINY, sd);
    args.extend(["--validation", "20", "--assign-sweep", "10,30,100"]);
    ok(&args);
    let mut args = with_out(TINY, se);
    args.extend(["--validation", "20"]);
    ok(&args);
    let s = summary(&d);
    let rows = s["assign_sweep"]["results"].as_array().unwrap();
    let windows: Vec<u64> = rows
        .iter()
        .map(|r| r["assign_window"].as_u64().unwrap())
        .collect();
    assert_eq!(windows, [0, 10, 30, 60], "{s}");
    assert!(rows[1]["all_activity"].is_number());
    assert_eq!(accuracies(&d, "validation"), accuracies(&e, "validation"));
    assert_eq!(accuracies(&d, "test"), accuracies(&e, "test"));
    assert!(
        fs::read(d.join("model/state.safetensors")).unwrap()
            == fs::read(e.join("model/state.safetensors")).unwrap()
    );
    let _ = fs::remove_dir_all(&d);
    let _ = fs::remove_dir_all(&e);
}

#[test]
fn corrupt_checkpoints_are_refused_and_kept() {
    let d = scratch("corrupt");
    let sd = d.to_str().unwrap();
    let mut args = with_out(TINY, sd);
    let pos = args.iter().position(|a| *a == "60").unwrap();
    args[pos] = "40";
    ok(&args);
    // Make it an unfinished run whose latest checkpoint is ckpt-40, the
    // training's end (as if killed while labelling).
    fs::remove_dir_all(d.join("model")).unwrap();
    let ck = d.join("checkpoints/ckpt-000000040");
    let arrays = ck.join("state.safetensors");
    let good = fs::read(&arrays).unwrap();

    // Truncated arrays.
    fs::write(&arrays, &good[..good.len() - 100]).unwrap();
    let e = one_line_error(&["train", "--resume", sd]);
    assert!(e.contains("state.safetensors"), "{e}");
    assert_eq!(
        fs::read(&arrays).unwrap().len(),
        good.len() - 100,
        "overwritten"
    );
    // Flipped bits.
    let mut bad = good.clone();
    let k = bad.len() - 5;
    bad[k] ^= 0x55;
    fs::write(&arrays, &bad).unwrap();
    one_line_error(&["train", "--resume", sd]);
    fs::write(&arrays, &good).unwrap();

    // An edited checkpoint.json fails its CRC; without the CRC file (as
    // written by older builds) a wrong format version is named.
    let meta_path = ck.join("checkpoint.json");
    let crc_path = ck.join("checkpoint.json.crc32");
    let meta = fs::read_to_string(&meta_path).unwrap();
    let crc = fs::read(&crc_path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&meta).unwrap();
    v["version"] = 99.into();
    fs::write(&meta_path, v.to_string()).unwrap();
    let e = one_line_error(&["train", "--resume", sd]);
    assert!(e.contains("checkpoint.json") && e.contains("CRC-32"), "{e}");
    fs::remove_file(&crc_path).unwrap();
    let e = one_line_error(&["train", "--resume", sd]);
    assert!(e.contains("version"), "{e}");
    fs::write(&meta_path, &meta).unwrap();
    fs::write(&crc_path, &crc).unwrap();

    // A fresh run does not silently replace the unfinished one.
    one_line_error(&with_out(TINY, sd));
    // Flags that contradict the checkpoint.
    one_line_error(&["train", "--resume", sd, "--neurons", "11"]);
    // The intact checkpoint still resumes.
    ok(&["train", "--resume", sd, "--quiet"]);
    assert!(d.join("model/state.safetensors").is_file());
    let _ = fs::remove_dir_all(&d);
}

/// `--order dataset` (Diehl & Cook's script: the dataset's order every
/// epoch) is recorded in the checkpoints, changes what is learned, is
/// followed by `eval`'s labelling, and a resume that names another order
/// is refused.
#[test]
fn dataset_order_is_recorded_and_kept_on_resume() {
    let d = scratch("order");
    let at = |name: &str| d.join(name).to_str().unwrap().to_string();
    let (sa, sb, s2, se) = (at("shuffled"), at("dataset"), at("two"), at("eval"));
    ok(&with_out(TINY, &sa));
    let dataset = |out: &str, epochs: &str| {
        let mut args = with_out(TINY, out);
        args.extend(["--order", "dataset", "--epochs", epochs]);
        ok(&args);
    };
    dataset(&sb, "1");
    let model = |d: &str| fs::read(Path::new(d).join("model/state.safetensors")).unwrap();
    assert!(model(&sa) != model(&sb), "--order dataset changed nothing");
    // `eval` labelling the epoch's end afresh takes the run's last images
    // in its order, as the run did (also unit-tested: `last_seen`).
    let end = Path::new(&sb).join("checkpoints/ckpt-000000060");
    let end = end.to_str().unwrap();
    let o = ok(&[
        "eval",
        "--model-dir",
        end,
        "--assign-window",
        "30",
        "--n-test",
        "20",
        "--out",
        &se,
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    let test = &summary(Path::new(&sb))["results"]["test"];
    for k in ["all_activity", "proportion_weighting"] {
        let want = format!("{k}: {:.2}%", 100.0 * test[k].as_f64().unwrap());
        assert!(text.contains(&want), "eval lacks {want:?}:\n{text}");
    }
    // Naming another order on resume is refused; without `--order` more
    // epochs keep the run's, as a run started with them would.
    let e = one_line_error(&[
        "train", "--resume", end, "--epochs", "2", "--order", "shuffled",
    ]);
    assert!(e.contains("--order shuffled (the run has dataset)"), "{e}");
    ok(&["train", "--resume", end, "--epochs", "2", "--quiet"]);
    assert_eq!(summary(Path::new(&sb))["params"]["order"], "dataset");
    dataset(&s2, "2");
    assert!(
        model(&sb) == model(&s2),
        "the resumed run left the dataset's order"
    );
    let _ = fs::remove_dir_all(&d);
}

/// The checkpoint written at an epoch's end is kept; `spikeflow eval
/// --assign-window` on it labels and tests as a run that ended there does,
/// and `--resume` from it with more `--epochs` trains on as a run started
/// with them.
#[test]
fn epoch_checkpoints_are_kept_and_eval_labels_them_as_train_would() {
    let d = scratch("epochs");
    let (two, one) = (d.join("two"), d.join("one"));
    let common = [
        "train",
        "--neurons",
        "30",
        "--time",
        "100",
        "--n-train",
        "100",
        "--n-test",
        "100",
        "--update-interval",
        "50",
        "--checkpoint-every",
        "50",
        "--assign-window",
        "60",
        // The regression's window (the last 60 images trained on) moves
        // when a finished run is given more epochs.
        "--logreg-fit",
        "training",
        "--logreg-window",
        "60",
        "--threads",
        "1",
        "--quiet",
    ];
    ok(&[
        &common[..],
        &["--epochs", "3", "--out", two.to_str().unwrap()],
    ]
    .concat());
    ok(&[
        &common[..],
        &["--epochs", "1", "--out", one.to_str().unwrap()],
    ]
    .concat());
    // Every 50 images; the newest two and the epoch ends (100, 200, 300)
    // stay.
    let mut kept: Vec<String> = fs::read_dir(two.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            "LATEST",
            "ckpt-000000100",
            "ckpt-000000200",
            "ckpt-000000250",
            "ckpt-000000300"
        ]
    );
    // eval labelling afresh from the last 60 training images, on 100 tests.
    let eval = |model: &Path, out: &Path, extra: &[&str]| {
        let (model, out) = (model.to_str().unwrap(), out.to_str().unwrap());
        let args = [
            "eval",
            "--model-dir",
            model,
            "--assign-window",
            "60",
            "--n-test",
            "100",
        ];
        let o = ok(&[&args[..], &["--threads", "1", "--out", out], extra].concat());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let ck = two.join("checkpoints/ckpt-000000100");
    let text = eval(&ck, &d, &[]);
    let test = &summary(&one)["results"]["test"];
    assert!(test["all_activity"].as_f64().unwrap() > 0.2, "{test}");
    for k in ["all_activity", "proportion_weighting"] {
        let want = format!("{k}: {:.2}%", 100.0 * test[k].as_f64().unwrap());
        assert!(text.contains(&want), "eval lacks {want:?}:\n{text}");
    }
    one_line_error(&[
        "eval",
        "--model-dir",
        ck.to_str().unwrap(),
        "--assign-window",
        "0",
    ]);

    // Every epoch at once: the kept epoch ends (1, 2) and the model (3).
    // Epoch 1 was evaluated above with the same images and window: its
    // results are reused. (Epoch 3's test by the run itself is not: this
    // model labels in one serial pass, carrying its state, and the model is
    // saved after the labelling.)
    let curve = d.join("curve");
    let text = eval(&two, &curve, &["--each-epoch"]);
    let how: Vec<bool> = text
        .lines()
        .filter(|l| l.starts_with("epoch "))
        .map(|l| l.contains("; kept from an earlier evaluation)"))
        .collect();
    assert_eq!(how, [true, false, false], "{text}");
    let read_epochs = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(dir.join("epochs.json")).unwrap()).unwrap()
    };
    let epochs = read_epochs(&curve);
    // Evaluated afresh, every epoch gives what was kept.
    let fresh = d.join("fresh");
    let text = eval(&two, &fresh, &["--each-epoch", "--fresh"]);
    assert!(!text.contains("kept from"), "{text}");
    let again = read_epochs(&fresh);
    for (kept, new) in epochs
        .as_array()
        .unwrap()
        .iter()
        .zip(again.as_array().unwrap())
    {
        for k in ["epoch", "all_activity", "proportion_weighting"] {
            assert_eq!(kept[k], new[k], "{k}: {kept} against {new}");
        }
    }
    let epochs = epochs.as_array().unwrap();
    let seen: Vec<_> = epochs
        .iter()
        .map(|e| (e["epoch"].as_u64(), e["training_images"].as_u64()))
        .collect();
    let want = [(1, 100), (2, 200), (3, 300)].map(|(e, n)| (Some(e), Some(n)));
    assert_eq!(seen, want, "{epochs:?}");
    assert_eq!(epochs[0]["all_activity"], test["all_activity"]);
    assert!(curve.join("epoch_accuracy.png").is_file());
    let e = one_line_error(&["eval", "--model-dir", two.to_str().unwrap(), "--each-epoch"]);
    assert!(e.contains("--assign-window"), "{e}");

    // The one-epoch run, finished, goes on for two more from the
    // checkpoint at its end, which the refusal names: the three-epoch
    // model, bit for bit.
    let end = one.join("checkpoints").join("ckpt-000000100");
    let e = one_line_error(&["train", "--resume", one.to_str().unwrap(), "--epochs", "3"]);
    assert!(e.contains(&format!("{} --epochs", end.display())), "{e}");
    let resume = |epochs: &str| {
        run(&[
            "train",
            "--resume",
            end.to_str().unwrap(),
            "--epochs",
            epochs,
            "--quiet",
        ])
    };
    let e = one_line_error(&["train", "--resume", ck.to_str().unwrap(), "--epochs", "2"]);
    assert!(e.contains("more may be given, not fewer"), "{e}");
    let o = resume("3");
    assert!(o.status.success());
    // The finished run's summary goes: it is unfinished until the new end.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("removed what followed it: summary.json"),
        "{err}"
    );
    assert_eq!(
        fs::read(one.join("model/state.safetensors")).unwrap(),
        fs::read(two.join("model/state.safetensors")).unwrap(),
        "the extended run differs from the one started with three epochs"
    );
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn bad_flags_are_one_line_errors() {
    let d = scratch("flags");
    let sd = d.to_str().unwrap();
    one_line_error(&with_out(&["train", "--neurons", "0"], sd));
    one_line_error(&with_out(&["train", "--time", "0"], sd));
    one_line_error(&with_out(&["train", "--dt=-1"], sd));
    one_line_error(&with_out(&["train", "--intensity=-5"], sd));
    one_line_error(&with_out(&["train", "--epochs", "0"], sd));
    one_line_error(&with_out(&["train", "--batch", "0"], sd));
    one_line_error(&with_out(&["train", "--n-train", "999999"], sd));
    one_line_error(&with_out(&["train", "--validation", "999999"], sd));
    one_line_error(&with_out(&["train", "--assign-sweep", "100"], sd));
    one_line_error(&with_out(&["train", "--logreg-fit", "nonsense"], sd));
    let e = one_line_error(&with_out(
        &["train", "--data-dir", "/nonexistent/mnist"],
        sd,
    ));
    assert!(e.contains("/nonexistent/mnist"), "{e}");
    one_line_error(&["train", "--resume", "/nonexistent/run"]);
    one_line_error(&["eval", "--model-dir", "/nonexistent/run"]);
    // A folder without MNIST files.
    fs::create_dir_all(&d).unwrap();
    one_line_error(&with_out(&["train", "--data-dir", sd], sd));
    assert!(!d.join("checkpoints").exists());
    let _ = fs::remove_dir_all(&d);
}
