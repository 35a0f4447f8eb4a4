//! Trains Diehl & Cook (2015)'s own network and protocol on MNIST and
//! reports test accuracy (see `spikeflow::models::diehl_cook_paper`).
//!
//! ```text
//! cargo run --release -p spikeflow --example diehl_cook_paper -- \
//!     --data-dir /path/to/mnist --neurons 100 --train 60000 --epochs 1
//! ```
//!
//! Options (defaults in brackets): `--data-dir DIR` (MNIST IDX files, raw or
//! `.gz`), `--neurons N` [100], `--train N` samples per epoch [60000],
//! `--epochs E` [1], `--assign N` [10000]: label assignment on the last N
//! training images, `--assign-from frozen|training` [frozen]: `frozen`
//! shows them again with learning off and θ fixed (the paper: "we set the
//! learning rate to zero, fix each neuron's spiking threshold, and assign a
//! class to each neuron, based on its highest response"), `training` uses
//! the responses recorded while they were learned (no extra pass),
//! `--test N` [10000], `--seed S` [0], `--progress N` [1000],
//! `--save FILE`: write the learned weights and θ (little-endian f32),
//! `--eval-each-epoch`: label and test after every epoch (from epoch
//! `--eval-from E` [1]), not only the last (the extra learning-off passes
//! draw from the same generator, so later epochs differ from a run without
//! them in their random draws).
//!
//! Training visits the images in order, epoch after epoch, as the script.
//! Every `--progress` samples it prints the rate and a running accuracy: the
//! last 10,000 training responses (learning on) label the neurons, which
//! then classify the next samples — the script's own training-time monitor.

use spikeflow::datasets::Mnist;
use spikeflow::evaluation::{all_activity, assign_labels};
use spikeflow::models::diehl_cook_paper::{DiehlCookPaper, PaperPresenter};
use spikeflow::models::Presenter;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    data_dir: PathBuf,
    neurons: usize,
    train: usize,
    epochs: usize,
    assign: usize,
    frozen: bool,
    test: usize,
    seed: u64,
    progress: usize,
    save: Option<PathBuf>,
    eval_each_epoch: bool,
    eval_from: usize,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        data_dir: PathBuf::from("data/mnist"),
        neurons: 100,
        train: 60_000,
        epochs: 1,
        assign: 10_000,
        frozen: true,
        test: 10_000,
        seed: 0,
        progress: 1000,
        save: None,
        eval_each_epoch: false,
        eval_from: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |s: String| s.parse::<usize>().map_err(|e| format!("{s}: {e}"));
        match flag.as_str() {
            "--data-dir" => a.data_dir = PathBuf::from(val()?),
            "--neurons" => a.neurons = num(val()?)?,
            "--train" => a.train = num(val()?)?,
            "--epochs" => a.epochs = num(val()?)?,
            "--assign" => a.assign = num(val()?)?,
            "--assign-from" => {
                a.frozen = match val()?.as_str() {
                    "frozen" => true,
                    "training" => false,
                    o => return Err(format!("--assign-from frozen|training, got {o}")),
                }
            }
            "--test" => a.test = num(val()?)?,
            "--seed" => a.seed = num(val()?)? as u64,
            "--progress" => a.progress = num(val()?)?.max(1),
            "--save" => a.save = Some(PathBuf::from(val()?)),
            "--eval-each-epoch" => a.eval_each_epoch = true,
            "--eval-from" => a.eval_from = num(val()?)?,
            o => return Err(format!("unknown option {o}")),
        }
    }
    Ok(a)
}

fn to_f32(img: &[u8]) -> Vec<f32> {
    img.iter().map(|&p| f32::from(p) / 255.0).collect()
}

fn accuracy(pred: &[i32], labels: &[u8]) -> f64 {
    let ok = pred
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == i32::from(**l))
        .count();
    100.0 * ok as f64 / labels.len().max(1) as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = parse()?;
    let data = Mnist::load(&a.data_dir)?;
    let train = data.train();
    let n_px = 784;
    let n_train = train.labels().len().min(a.train);
    let n = a.neurons;
    let cfg = DiehlCookPaper {
        n_neurons: n,
        seed: a.seed,
        ..Default::default()
    };
    let mut p = cfg.build()?;
    println!(
        "Diehl & Cook 2015 (paper network): {n} neurons, {n_train} samples × {} epochs, dt {} ms",
        a.epochs, cfg.dt
    );

    // Training, recording responses for the running monitor and assignment.
    let window = 10_000usize;
    let total = n_train * a.epochs;
    let mut hist_counts: Vec<f32> = Vec::with_capacity(window.max(a.assign) * n);
    let mut hist_labels: Vec<u8> = Vec::new();
    let mut assignments: Option<Vec<i32>> = None;
    let (mut ok_running, mut seen_running) = (0usize, 0usize);
    let mut spikes_since = 0.0f64;
    let mut max_intensity = 0.0f32;
    let t0 = Instant::now();
    let mut t_last = Instant::now();
    for k in 0..total {
        let idx = k % n_train;
        let img = to_f32(&train.images()[idx * n_px..(idx + 1) * n_px]);
        let label = train.labels()[idx];
        let counts = p.present(&img, true)?;
        spikes_since += counts.iter().sum::<f32>() as f64;
        max_intensity = max_intensity.max(p.last_intensity());
        if let Some(asg) = &assignments {
            let pred = all_activity(&counts, 1, n, asg, 10)?;
            ok_running += usize::from(pred[0] == i32::from(label));
            seen_running += 1;
        }
        hist_counts.extend_from_slice(&counts);
        hist_labels.push(label);
        let keep = window.max(a.assign);
        if hist_labels.len() > keep + 1000 {
            let drop = hist_labels.len() - keep;
            hist_labels.drain(..drop);
            hist_counts.drain(..drop * n);
        }
        if (k + 1) % window == 0 {
            let m = hist_labels.len().min(window);
            let s = hist_labels.len() - m;
            assignments = Some(
                assign_labels(
                    &hist_counts[s * n..],
                    m,
                    n,
                    &hist_labels[s..],
                    10,
                    None,
                    1.0,
                )?
                .assignments,
            );
        }
        if (k + 1) % a.progress == 0 || k + 1 == total {
            let el = t0.elapsed().as_secs_f64();
            println!(
                "[{:>7}/{total}] {:.2} ms/sample (last {:.2}), {:.0} s elapsed, {} presentations (intensity ≤ {}), {:.1} Ae spikes/sample, running acc {}",
                k + 1,
                1e3 * el / (k + 1) as f64,
                1e3 * t_last.elapsed().as_secs_f64() / a.progress as f64,
                el,
                p.presentations(),
                max_intensity,
                spikes_since / a.progress as f64,
                if seen_running > 0 {
                    format!("{:.2}% over {seen_running}", 100.0 * ok_running as f64 / seen_running as f64)
                } else {
                    "-".into()
                }
            );
            (ok_running, seen_running, spikes_since) = (0, 0, 0.0);
            max_intensity = 0.0;
            t_last = Instant::now();
            std::io::stdout().flush()?;
        }
        let epoch = (k + 1) / n_train;
        let each = a.eval_each_epoch && epoch >= a.eval_from;
        if (k + 1) % n_train == 0 && (each || epoch == a.epochs) {
            let train_s = t0.elapsed().as_secs_f64();
            println!(
                "training: {:.1} s, {:.3} ms/sample, {:.1} s per 60,000-sample epoch",
                train_s,
                1e3 * train_s / (k + 1) as f64,
                train_s / (k + 1) as f64 * 60_000.0
            );
            evaluate(
                &mut p,
                &data,
                &a,
                &hist_counts,
                &hist_labels,
                epoch,
                train_s,
            )?;
        }
    }
    if let Some(path) = &a.save {
        let mut f = std::fs::File::create(path)?;
        for x in p.network().weights("X -> Ae")? {
            f.write_all(&x.to_le_bytes())?;
        }
        for x in p
            .network()
            .population("Ae")?
            .variable("theta")
            .unwrap_or(&[])
        {
            f.write_all(&x.to_le_bytes())?;
        }
    }

    Ok(())
}

/// Labels the neurons (from the frozen re-run of the last `--assign`
/// training images, or from the responses recorded in training) and prints
/// the test accuracy after `epochs` epochs.
fn evaluate(
    p: &mut PaperPresenter,
    data: &Mnist,
    a: &Args,
    hist_counts: &[f32],
    hist_labels: &[u8],
    epochs: usize,
    train_s: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let (train, test) = (data.train(), data.test());
    let n = a.neurons;
    let n_px = 784;
    let n_train = train.labels().len().min(a.train);
    // Label assignment on the last `assign` training samples.
    let m = a.assign.min(hist_labels.len());
    let s = hist_labels.len() - m;
    let asg_training = assign_labels(
        &hist_counts[s * n..],
        m,
        n,
        &hist_labels[s..],
        10,
        None,
        1.0,
    )?;
    let t1 = Instant::now();
    let asg = if a.frozen {
        let start = n_train - a.assign.min(n_train);
        let mut counts = Vec::with_capacity((n_train - start) * n);
        for idx in start..n_train {
            let img = to_f32(&train.images()[idx * n_px..(idx + 1) * n_px]);
            counts.extend(p.present(&img, false)?);
        }
        let labels = &train.labels()[start..n_train];
        let asg = assign_labels(&counts, labels.len(), n, labels, 10, None, 1.0)?;
        println!(
            "label assignment (frozen, training images {start}..{n_train}): {:.1} s",
            t1.elapsed().as_secs_f64()
        );
        asg
    } else {
        asg_training.clone()
    };
    println!("neurons per label: {:?}", asg.neurons_per_label());

    // Test.
    let t2 = Instant::now();
    let n_test = test.labels().len().min(a.test);
    let mut counts = Vec::with_capacity(n_test * n);
    for idx in 0..n_test {
        let img = to_f32(&test.images()[idx * n_px..(idx + 1) * n_px]);
        counts.extend(p.present(&img, false)?);
    }
    let labels = &test.labels()[..n_test];
    let acc = accuracy(
        &all_activity(&counts, n_test, n, &asg.assignments, 10)?,
        labels,
    );
    let acc_tr = accuracy(
        &all_activity(&counts, n_test, n, &asg_training.assignments, 10)?,
        labels,
    );
    println!(
        "test: {:.1} s ({:.3} ms/sample)",
        t2.elapsed().as_secs_f64(),
        1e3 * t2.elapsed().as_secs_f64() / n_test.max(1) as f64
    );
    println!(
        "RESULT neurons {n} samples {n_train} epochs {} test accuracy {acc:.2}% (labels: {}); \
         with labels from training-time responses {acc_tr:.2}%; train {:.1} s",
        epochs,
        if a.frozen {
            "frozen pass"
        } else {
            "training-time responses"
        },
        train_s
    );
    Ok(())
}
