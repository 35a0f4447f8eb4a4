//! `spikeflow train`: unsupervised training of a Diehl & Cook-style network
//! on MNIST with BindsNET's `eth_mnist.py` loop, progress bar, resumable
//! checkpoints, a JSON summary and pictures.
//!
//! The loop (bindsnet-semantics §11.1): every image is shown with learning
//! on; the read-out spike counts of the last `--update-interval` images are
//! kept, and every interval (i) the accuracy of `all_activity` and
//! `proportion_weighting` on those images is computed with the *previous*
//! assignments (the running accuracy on the progress bar and in the curve),
//! then (ii) `assign_labels` updates the class rates (α = 1, carried over).
//! After training: the test set with learning off, read out by
//! `all_activity`, `proportion_weighting` (final assignments) and a logistic
//! regression fitted on the training spike counts of the last
//! `--logreg-window` images.
//!
//! Output folder (`--out`, default `runs/<model>-n<neurons>-seed<seed>`):
//! `summary.json`, `receptive_fields.png`, `accuracy.png`, `raster.png`,
//! `confusion_test.png`, `model/` (for `spikeflow eval`) and `checkpoints/`.

use crate::checkpoint::{self, Array, Arrays, Loaded};
use crate::model_choice::{ModelName, ModelSpec};
use crate::plots;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use spikeflow::datasets::{Dataset, Mnist, Split};
use spikeflow::evaluation::{
    all_activity, assign_labels, proportion_weighting, Assignment, ConfusionMatrix, LogReg,
    LogRegOptions,
};
use spikeflow::models::Presenter;
use spikeflow::rng::Rng;
use spikeflow::Snapshot;
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Number of MNIST classes.
pub const N_LABELS: usize = 10;

#[derive(clap::Args)]
pub struct Args {
    /// Model to train.
    #[arg(long, value_enum)]
    model: Option<ModelName>,
    /// Excitatory neurons [default: 100].
    #[arg(long)]
    neurons: Option<usize>,
    /// Passes over the training images [default: 1].
    #[arg(long)]
    epochs: Option<usize>,
    /// Training images per epoch (the first N of the training split, after
    /// the validation hold-out) [default: all].
    #[arg(long)]
    n_train: Option<usize>,
    /// Test images (the first N; 0 skips the test) [default: all].
    #[arg(long)]
    n_test: Option<usize>,
    /// Presentation time per image in ms [default: 250; paper model 350].
    #[arg(long)]
    time: Option<f32>,
    /// Simulation step in ms [default: 1; paper model 0.5].
    #[arg(long)]
    dt: Option<f32>,
    /// Input rate of a white pixel in Hz [default: 128; paper model 2].
    #[arg(long)]
    intensity: Option<f32>,
    /// Lateral inhibition strength (BindsNET models) [default: 120].
    #[arg(long)]
    inh: Option<f32>,
    /// Seed of weights, spike trains and data order [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Images shown at once (learning averages over the batch) [default: 1].
    #[arg(long)]
    batch: Option<usize>,
    /// Worker threads of the rayon pool (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Folder with the four MNIST files (gzipped or raw IDX) [default: the
    /// sample shipped in crates/spikeflow/data/mnist-sample].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Hold out the last N training images as a validation split (evaluated
    /// with learning off at the end; tune on it, not on the test set)
    /// [default: 0].
    #[arg(long)]
    validation: Option<usize>,
    /// Images between label assignments / running-accuracy points
    /// [default: 250].
    #[arg(long)]
    update_interval: Option<usize>,
    /// Training images whose spike counts fit the logistic-regression
    /// read-out (the last N seen) [default: 10000].
    #[arg(long)]
    logreg_window: Option<usize>,
    /// Output folder [default: runs/<model>-n<neurons>-seed<seed>; with
    /// --resume, the resumed run's folder].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write a checkpoint every K training images (0: only the final model)
    /// [default: 5000].
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Continue the run whose folder (or checkpoint folder) this is, from
    /// its latest checkpoint, exactly as if it had not stopped.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Start afresh in an --out folder that holds an unfinished run.
    #[arg(long)]
    overwrite: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Testing aid: sleep this long after each training presentation (so a
    /// test can kill a run between checkpoints). Does not change results.
    #[arg(long, default_value_t = 0, hide = true)]
    throttle_ms: u64,
}

/// Every parameter of a run (stored in checkpoints).
#[derive(Clone, Debug, PartialEq)]
struct RunParams {
    spec: ModelSpec,
    epochs: usize,
    n_train: Option<usize>,
    n_test: Option<usize>,
    validation: usize,
    update_interval: usize,
    logreg_window: usize,
    checkpoint_every: usize,
}

impl RunParams {
    fn to_json(&self) -> Value {
        json!({
            "model": self.spec.to_json(),
            "epochs": self.epochs,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "validation": self.validation,
            "update_interval": self.update_interval,
            "logreg_window": self.logreg_window,
            "checkpoint_every": self.checkpoint_every,
        })
    }

    fn from_json(v: &Value) -> Result<RunParams> {
        let u = |k: &str| -> Result<usize> {
            v[k].as_u64()
                .map(|x| x as usize)
                .with_context(|| format!("checkpoint parameters lack {k:?}"))
        };
        let p = RunParams {
            spec: ModelSpec::from_json(&v["model"])?,
            epochs: u("epochs")?,
            n_train: v["n_train"].as_u64().map(|x| x as usize),
            n_test: v["n_test"].as_u64().map(|x| x as usize),
            validation: u("validation")?,
            update_interval: u("update_interval")?,
            logreg_window: u("logreg_window")?,
            checkpoint_every: u("checkpoint_every")?,
        };
        if p.update_interval == 0 {
            bail!("checkpoint parameters: update_interval is 0");
        }
        Ok(p)
    }
}

/// One point of the running accuracy.
#[derive(Clone, Debug, PartialEq)]
struct Point {
    samples: u64,
    all_activity: f64,
    proportion_weighting: f64,
}

/// Where training stands (all of it is checkpointed).
struct State {
    epoch: usize,
    pos: usize,
    seen: u64,
    rates: Option<Vec<f32>>,
    interval_counts: Vec<f32>,
    interval_labels: Vec<u8>,
    window_counts: Vec<f32>,
    window_labels: Vec<u8>,
    history: Vec<Point>,
    train_seconds: f64,
    train_spikes: f64,
}

impl State {
    fn new() -> State {
        State {
            epoch: 0,
            pos: 0,
            seen: 0,
            rates: None,
            interval_counts: Vec::new(),
            interval_labels: Vec::new(),
            window_counts: Vec::new(),
            window_labels: Vec::new(),
            history: Vec::new(),
            train_seconds: 0.0,
            train_spikes: 0.0,
        }
    }
}

fn rng_hex(s: [u64; 4]) -> Value {
    json!(s.iter().map(|x| format!("{x:016x}")).collect::<Vec<_>>())
}

fn rng_from_hex(v: &Value, what: &str) -> Result<[u64; 4]> {
    let a = v
        .as_array()
        .filter(|a| a.len() == 4)
        .with_context(|| format!("checkpoint: {what} is not 4 hex words"))?;
    let mut s = [0u64; 4];
    for (o, x) in s.iter_mut().zip(a) {
        *o = x
            .as_str()
            .and_then(|x| u64::from_str_radix(x, 16).ok())
            .with_context(|| format!("checkpoint: {what} holds a bad word {x}"))?;
    }
    if s == [0; 4] {
        bail!("checkpoint: {what} is all zero");
    }
    Ok(s)
}

/// The shipped sample, located from this crate's source tree.
pub fn default_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spikeflow/data/mnist-sample")
}

/// Loads MNIST from `dir` (or the shipped sample), with one-line errors.
pub fn load_mnist(dir: Option<&Path>) -> Result<(Mnist, PathBuf)> {
    let (dir, shipped) = match dir {
        Some(d) => (d.to_path_buf(), false),
        None => (default_data_dir(), true),
    };
    if !dir.is_dir() {
        if shipped {
            bail!(
                "the shipped MNIST sample is not at {} (pass --data-dir DIR with the four MNIST files)",
                dir.display()
            );
        }
        bail!("data folder {} does not exist", dir.display());
    }
    let m =
        Mnist::load(&dir).with_context(|| format!("cannot load MNIST from {}", dir.display()))?;
    Ok((m, dir))
}

/// Counts of the read-out for every image of `data` (learning off),
/// `[len × n]`, with the wall time.
pub fn present_all(
    p: &mut dyn Presenter,
    data: &Split<'_>,
    n: usize,
    bar: Option<&ProgressBar>,
) -> Result<(Vec<f32>, f64)> {
    let b = p.network().batch_size();
    let px = data.image_len();
    let mut counts = Vec::with_capacity(data.len() * n);
    let mut images = vec![0.0f32; b * px];
    let t0 = Instant::now();
    let mut i = 0;
    while i < data.len() {
        let k = b.min(data.len() - i);
        images.iter_mut().for_each(|x| *x = 0.0);
        for r in 0..k {
            data.image_f32_into(i + r, &mut images[r * px..(r + 1) * px]);
        }
        let c = p.present(&images, false)?;
        counts.extend_from_slice(&c[..k * n]);
        i += k;
        if let Some(bar) = bar {
            bar.inc(k as u64);
        }
    }
    Ok((counts, t0.elapsed().as_secs_f64()))
}

/// The trained read-outs: label assignment and logistic regression.
pub struct Readouts {
    /// Assignment from the training spikes (`None` before the first update).
    pub assignment: Option<Assignment>,
    /// Logistic-regression coefficients on raw counts `([n × 10], [10])`.
    pub logreg: Option<(Vec<f64>, Vec<f64>)>,
}

/// Accuracy and confusion matrix of each read-out on `counts`.
pub fn evaluate(
    r: &Readouts,
    counts: &[f32],
    labels: &[u8],
    n: usize,
) -> Result<Vec<(&'static str, ConfusionMatrix)>> {
    let m = labels.len();
    let mut out = Vec::new();
    if let Some(a) = &r.assignment {
        let aa = all_activity(counts, m, n, &a.assignments, N_LABELS)?;
        out.push((
            "all_activity",
            ConfusionMatrix::from_predictions(labels, &aa, N_LABELS)?,
        ));
        let pw = proportion_weighting(counts, m, n, &a.assignments, &a.proportions, N_LABELS)?;
        out.push((
            "proportion_weighting",
            ConfusionMatrix::from_predictions(labels, &pw, N_LABELS)?,
        ));
    }
    if let Some((w, b)) = &r.logreg {
        let pred: Vec<i32> = counts
            .chunks_exact(n)
            .map(|row| {
                let mut z = b.clone();
                for (j, &c) in row.iter().enumerate() {
                    if c != 0.0 {
                        for (k, zk) in z.iter_mut().enumerate() {
                            *zk += f64::from(c) * w[j * N_LABELS + k];
                        }
                    }
                }
                let mut best = 0;
                for k in 1..N_LABELS {
                    if z[k] > z[best] {
                        best = k;
                    }
                }
                best as i32
            })
            .collect();
        out.push((
            "logistic_regression",
            ConfusionMatrix::from_predictions(labels, &pred, N_LABELS)?,
        ));
    }
    Ok(out)
}

/// The assignment that `rates` give.
pub fn assignment_from_rates(rates: &[f32], n: usize) -> Result<Assignment> {
    Ok(assign_labels(&[], 0, n, &[], N_LABELS, Some(rates), 1.0)?)
}

/// Network snapshot arrays under `net/`.
fn snapshot_arrays(s: &Snapshot) -> Arrays {
    s.arrays
        .iter()
        .map(|(k, v)| (format!("net/{k}"), Array::f32(v.clone())))
        .collect()
}

/// Reads the network snapshot back (the arrays under `net/` in file order).
pub fn snapshot_from(l: &Loaded) -> Result<Snapshot> {
    let mut arrays = Vec::new();
    for (k, a) in &l.arrays {
        if let Some(name) = k.strip_prefix("net/") {
            match a {
                Array::F32(_, v) => arrays.push((name.to_string(), v.clone())),
                _ => bail!("array {k:?} of {} is not F32", l.dir.display()),
            }
        }
    }
    let rng = rng_from_hex(&l.meta["network_rng"], "network_rng")?;
    Ok(Snapshot { arrays, rng })
}

/// Builds the model of a checkpoint and restores its network and encoder.
pub fn restore_presenter(l: &Loaded, spec: &ModelSpec) -> Result<Box<dyn Presenter>> {
    let mut p = spec.build()?;
    let snap = snapshot_from(l)?;
    p.network_mut()
        .restore(&snap)
        .with_context(|| format!("checkpoint {} does not fit the model", l.dir.display()))?;
    let enc = rng_from_hex(&l.meta["encoder_rng"], "encoder_rng")?;
    p.set_encoder_rng(Rng::from_state(enc));
    Ok(p)
}

/// The read-out population size.
pub fn readout_size(p: &dyn Presenter) -> Result<usize> {
    Ok(p.network()
        .population(p.readout())?
        .core()
        .shape()
        .iter()
        .product())
}

fn crc_of_split(s: &Split<'_>) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(s.images());
    c.update(s.labels());
    c.sum()
}

fn bar_style(msg: bool) -> ProgressStyle {
    let t = if msg {
        "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta} {msg}"
    } else {
        "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {per_sec} ETA {eta}"
    };
    ProgressStyle::with_template(t).expect("valid template")
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

pub fn run(a: &Args) -> Result<ExitCode> {
    if a.threads > 0 {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(a.threads)
            .build_global();
    }
    // Parameters: fresh, or from the checkpoint being resumed.
    let (params, resumed, out) = match &a.resume {
        Some(dir) => {
            if dir.join("model").join(checkpoint::META).is_file() {
                bail!(
                    "{} is a finished run; evaluate it with `spikeflow eval --model-dir {}`",
                    dir.display(),
                    dir.display()
                );
            }
            let ck = checkpoint::locate(dir, false)?;
            let l = checkpoint::read_checkpoint(&ck)?;
            if l.meta["position"]["done"].as_bool() == Some(true) {
                bail!(
                    "{} is a finished run; evaluate it with `spikeflow eval --model-dir {}`",
                    dir.display(),
                    dir.display()
                );
            }
            let params = RunParams::from_json(&l.meta["params"])?;
            check_resume_flags(a, &params)?;
            let run_dir = match ck.parent() {
                Some(p) if p.file_name().is_some_and(|n| n == "checkpoints") => {
                    p.parent().map(Path::to_path_buf).unwrap_or_default()
                }
                _ => dir.clone(),
            };
            let out = a.out.clone().unwrap_or(run_dir);
            (params, Some(l), out)
        }
        None => {
            let model = a.model.unwrap_or(ModelName::DiehlCook2015);
            let spec = ModelSpec::new(
                model,
                a.neurons.unwrap_or(100),
                a.time,
                a.dt,
                a.intensity,
                a.inh,
                a.seed.unwrap_or(0),
                a.batch.unwrap_or(1),
            )?;
            let params = RunParams {
                epochs: a.epochs.unwrap_or(1),
                n_train: a.n_train,
                n_test: a.n_test,
                validation: a.validation.unwrap_or(0),
                update_interval: a.update_interval.unwrap_or(250),
                logreg_window: a.logreg_window.unwrap_or(10_000),
                checkpoint_every: a.checkpoint_every.unwrap_or(5000),
                spec,
            };
            let out = a.out.clone().unwrap_or_else(|| {
                PathBuf::from("runs").join(format!(
                    "{}-n{}-seed{}",
                    params.spec.model.as_str(),
                    params.spec.neurons,
                    params.spec.seed
                ))
            });
            (params, None, out)
        }
    };
    if params.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if params.update_interval == 0 {
        bail!("--update-interval must be at least 1");
    }
    if params.n_train == Some(0) {
        bail!("--n-train must be at least 1");
    }
    let spec = params.spec.clone();

    // Data.
    let data_dir = a.data_dir.as_deref().map(Path::to_path_buf).or_else(|| {
        resumed
            .as_ref()
            .and_then(|l| l.meta["data_dir"].as_str().map(PathBuf::from))
    });
    let (mnist, data_dir) = load_mnist(data_dir.as_deref())?;
    let (train_all, val) = mnist
        .split_validation(params.validation)
        .map_err(|e| anyhow::anyhow!("--validation {}: {e}", params.validation))?;
    let train = match params.n_train {
        Some(n) if n > train_all.len() => bail!(
            "--n-train {n} exceeds the {} training images of {}",
            train_all.len(),
            data_dir.display()
        ),
        Some(n) => train_all.take(n),
        None => train_all,
    };
    if train.is_empty() {
        bail!("no training images left after the validation hold-out");
    }
    let test = match params.n_test {
        Some(n) if n > mnist.test().len() => bail!(
            "--n-test {n} exceeds the {} test images of {}",
            mnist.test().len(),
            data_dir.display()
        ),
        Some(n) => mnist.test().take(n),
        None => mnist.test(),
    };
    if train.image_len() != 784 {
        bail!(
            "the models expect 28×28 images, {} has {:?}",
            data_dir.display(),
            train.shape()
        );
    }
    let fingerprint = crc_of_split(&train);
    let b = spec.batch;
    let per_epoch = train.len() / b * b;
    if per_epoch == 0 {
        bail!(
            "--batch {b} is larger than the {} training images",
            train.len()
        );
    }
    let total = (per_epoch * params.epochs) as u64;
    let window_start = total.saturating_sub(params.logreg_window as u64);

    // Model and state.
    let mut presenter: Box<dyn Presenter>;
    let mut st = State::new();
    let n;
    match &resumed {
        Some(l) => {
            if l.meta["data_fingerprint"].as_u64() != Some(u64::from(fingerprint)) {
                bail!(
                    "the training images of {} differ from those the checkpoint was trained on",
                    data_dir.display()
                );
            }
            presenter = restore_presenter(l, &spec)?;
            n = readout_size(presenter.as_ref())?;
            load_state(l, &mut st, n)?;
        }
        None => {
            prepare_out(&out, a.overwrite)?;
            presenter = spec.build()?;
            n = readout_size(presenter.as_ref())?;
        }
    }
    fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let ck_dir = out.join("checkpoints");

    let tty = std::io::stderr().is_terminal() && !a.quiet;
    eprintln!(
        "{} {}; {} training images × {} epoch(s), {} test, from {}; output in {}",
        if resumed.is_some() {
            "resuming"
        } else {
            "training"
        },
        spec.describe(),
        train.len(),
        params.epochs,
        test.len(),
        data_dir.display(),
        out.display()
    );
    if per_epoch < train.len() {
        eprintln!(
            "note: {} images per epoch are not a multiple of --batch {b}; the last {} are not shown",
            train.len(),
            train.len() - per_epoch
        );
    }
    if let Some(l) = &resumed {
        eprintln!(
            "resumed from {} at image {} of {total}",
            l.dir.display(),
            st.seen
        );
    }

    let bar = if tty {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(bar_style(true));
    bar.set_prefix("train");
    bar.set_position(st.seen);
    if let Some(p) = st.history.last() {
        bar.set_message(format!("acc {} (last interval)", pct(p.all_activity)));
    }
    let mut next_log = st.seen + (total / 20).max(1);

    let meta_base = |st: &State, p: &dyn Presenter, done: bool| -> Value {
        json!({
            "format": checkpoint::FORMAT,
            "version": checkpoint::VERSION,
            "spikeflow": env!("CARGO_PKG_VERSION"),
            "model_name": spec.model.as_str(),
            "params": params.to_json(),
            "data_dir": data_dir.display().to_string(),
            "data_fingerprint": fingerprint,
            "position": {"epoch": st.epoch, "index_in_epoch": st.pos, "samples": st.seen, "total": total, "done": done},
            "encoder_rng": rng_hex(p.encoder_rng().state()),
            "network_rng": rng_hex(p.network().snapshot().rng),
            "history": st.history.iter().map(|h| json!({"samples": h.samples, "all_activity": h.all_activity, "proportion_weighting": h.proportion_weighting})).collect::<Vec<_>>(),
            "train_seconds": st.train_seconds,
            "train_spikes": st.train_spikes,
        })
    };

    // Training.
    let px = train.image_len();
    let mut images = vec![0.0f32; b * px];
    let mut labels = vec![0u8; b];
    let mut t_last = Instant::now();
    let started = Instant::now();
    let mut next_ck = if params.checkpoint_every > 0 {
        (st.seen / params.checkpoint_every as u64 + 1) * params.checkpoint_every as u64
    } else {
        u64::MAX
    };
    while st.epoch < params.epochs {
        let order = epoch_order(train.len(), spec.seed, st.epoch);
        while st.pos < per_epoch {
            for r in 0..b {
                let i = order[st.pos + r];
                train.image_f32_into(i, &mut images[r * px..(r + 1) * px]);
                labels[r] = train.label(i);
            }
            let counts = presenter.present(&images, true)?;
            st.train_spikes += counts.iter().map(|&c| f64::from(c)).sum::<f64>();
            for r in 0..b {
                let row = &counts[r * n..(r + 1) * n];
                st.interval_counts.extend_from_slice(row);
                st.interval_labels.push(labels[r]);
                if st.seen + r as u64 >= window_start {
                    st.window_counts.extend_from_slice(row);
                    st.window_labels.push(labels[r]);
                }
            }
            st.pos += b;
            st.seen += b as u64;
            if st.interval_labels.len() >= params.update_interval {
                update(&mut st, n)?;
                if let Some(p) = st.history.last() {
                    bar.set_message(format!(
                        "acc {} (last {}, all-activity)",
                        pct(p.all_activity),
                        params.update_interval
                    ));
                }
            }
            bar.set_position(st.seen);
            let now = Instant::now();
            st.train_seconds += (now - t_last).as_secs_f64();
            t_last = now;
            if !tty && !a.quiet && st.seen >= next_log {
                next_log += (total / 20).max(1);
                let acc = st
                    .history
                    .last()
                    .map(|p| format!(", running accuracy {}", pct(p.all_activity)))
                    .unwrap_or_default();
                eprintln!(
                    "  {}/{total} images, {:.1} images/s{acc}",
                    st.seen,
                    (st.seen - resumed_seen(&resumed)) as f64
                        / started.elapsed().as_secs_f64().max(1e-9)
                );
            }
            if a.throttle_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(a.throttle_ms));
            }
            if st.seen >= next_ck && st.seen < total {
                next_ck += params.checkpoint_every as u64;
                if st.pos >= per_epoch {
                    // Record the epoch boundary as the next epoch's start.
                    st.epoch += 1;
                    st.pos = 0;
                    save_checkpoint(
                        &ck_dir,
                        &meta_base(&st, presenter.as_ref(), false),
                        &st,
                        presenter.as_ref(),
                    )?;
                    st.epoch -= 1;
                    st.pos = per_epoch;
                } else {
                    save_checkpoint(
                        &ck_dir,
                        &meta_base(&st, presenter.as_ref(), false),
                        &st,
                        presenter.as_ref(),
                    )?;
                }
                t_last = Instant::now();
            }
        }
        st.epoch += 1;
        st.pos = 0;
    }
    if !st.interval_labels.is_empty() {
        update(&mut st, n)?;
    }
    bar.finish_and_clear();
    let train_per_sample = st.train_seconds / st.seen.max(1) as f64;
    eprintln!(
        "trained on {} images in {:.1} s ({:.2} ms/image, {:.1} read-out spikes/image)",
        st.seen,
        st.train_seconds,
        1e3 * train_per_sample,
        st.train_spikes / st.seen.max(1) as f64
    );

    // Read-outs fitted on the training spikes.
    let assignment = match &st.rates {
        Some(r) => Some(assignment_from_rates(r, n)?),
        None => None,
    };
    let logreg = if st.window_labels.is_empty() {
        None
    } else {
        let m = LogReg::fit(
            &st.window_counts,
            n,
            &st.window_labels,
            N_LABELS,
            &LogRegOptions::default(),
        )?;
        Some(m.raw_coefficients())
    };
    let readouts = Readouts { assignment, logreg };

    // The finished model.
    let model_dir = out.join("model");
    if model_dir.exists() {
        fs::remove_dir_all(&model_dir)
            .with_context(|| format!("cannot replace {}", model_dir.display()))?;
    }
    let mut arrays = state_arrays(&st, presenter.as_ref());
    if let Some((w, bias)) = &readouts.logreg {
        arrays.push((
            "logreg/weights".into(),
            Array::F64(vec![n, N_LABELS], w.clone()),
        ));
        arrays.push((
            "logreg/bias".into(),
            Array::F64(vec![N_LABELS], bias.clone()),
        ));
    }
    checkpoint::write_checkpoint(
        &model_dir,
        &meta_base(&st, presenter.as_ref(), true),
        &arrays,
    )?;
    let final_snapshot = presenter.network().snapshot();

    // Test (and validation) with learning off.
    let mut results = serde_json::Map::new();
    let mut test_cm = None;
    for (name, split) in [("validation", &val), ("test", &test)] {
        if split.is_empty() {
            continue;
        }
        let eb = if tty {
            ProgressBar::with_draw_target(Some(split.len() as u64), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        eb.set_style(bar_style(false));
        eb.set_prefix(name);
        let (counts, secs) = present_all(presenter.as_mut(), split, n, Some(&eb))?;
        eb.finish_and_clear();
        let ev = evaluate(&readouts, &counts, split.labels(), n)?;
        let spikes: f64 = counts.iter().map(|&c| f64::from(c)).sum();
        let mut r = serde_json::Map::new();
        r.insert("images".into(), json!(split.len()));
        for (k, cm) in &ev {
            r.insert((*k).into(), json!(cm.accuracy()));
        }
        r.insert("seconds".into(), json!(secs));
        r.insert("seconds_per_image".into(), json!(secs / split.len() as f64));
        r.insert(
            "readout_spikes_per_image".into(),
            json!(spikes / split.len() as f64),
        );
        println!(
            "{name} accuracy ({} images): {}",
            split.len(),
            ev.iter()
                .map(|(k, cm)| format!("{k} {}", pct(cm.accuracy())))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if name == "test" {
            test_cm = ev.into_iter().next();
        }
        results.insert(name.into(), Value::Object(r));
    }

    // Pictures.
    let mut pictures = Vec::new();
    let w = presenter.network().weights(presenter.input_connection())?;
    let rf = out.join("receptive_fields.png");
    plots::receptive_fields(&rf, w, n, 28)?;
    pictures.push("receptive_fields.png");
    let curve = out.join("accuracy.png");
    plots::accuracy_curve(
        &curve,
        &format!(
            "{} ({} neurons): accuracy of the last {} training images",
            spec.model.as_str(),
            spec.neurons,
            params.update_interval
        ),
        &[
            plots::Series {
                name: "all activity",
                points: st
                    .history
                    .iter()
                    .map(|h| (h.samples as f64, h.all_activity))
                    .collect(),
            },
            plots::Series {
                name: "proportion weighting",
                points: st
                    .history
                    .iter()
                    .map(|h| (h.samples as f64, h.proportion_weighting))
                    .collect(),
            },
        ],
    )?;
    pictures.push("accuracy.png");
    let sample = if !test.is_empty() { &test } else { &train };
    let mut rec = spec.build()?;
    rec.network_mut().restore(&final_snapshot)?;
    match rec.record_spikes(&sample.image_f32(0)) {
        Ok(pops) => {
            plots::raster(
                &out.join("raster.png"),
                &format!(
                    "spikes of {} image 0 (label {}), learning off",
                    sample.name(),
                    sample.label(0)
                ),
                &pops,
                spec.dt,
            )?;
            pictures.push("raster.png");
        }
        Err(e) => eprintln!("note: no spike raster ({e})"),
    }
    if let Some((k, cm)) = &test_cm {
        plots::confusion(
            &out.join("confusion_test.png"),
            &format!("test set, {k}"),
            cm,
        )?;
        pictures.push("confusion_test.png");
    }

    let summary = json!({
        "model": spec.model.as_str(),
        "params": params.to_json(),
        "data_dir": data_dir.display().to_string(),
        "train": {
            "images_per_epoch": per_epoch,
            "images_seen": st.seen,
            "seconds": st.train_seconds,
            "seconds_per_image": train_per_sample,
            "readout_spikes_per_image": st.train_spikes / st.seen.max(1) as f64,
            "final_running_accuracy": st.history.last().map(|h| json!({"all_activity": h.all_activity, "proportion_weighting": h.proportion_weighting})),
            "assigned_neurons": readouts.assignment.as_ref().map(|a| a.assignments.iter().filter(|&&x| x >= 0).count()),
            "history": st.history.iter().map(|h| json!({"samples": h.samples, "all_activity": h.all_activity, "proportion_weighting": h.proportion_weighting})).collect::<Vec<_>>(),
        },
        "results": Value::Object(results),
        "readouts": {
            "all_activity": "neurons labelled by their class rates over training (assign_labels, α = 1, every update interval), votes averaged per class",
            "proportion_weighting": "as all_activity, each vote weighted by the neuron's class proportion",
            "logistic_regression": format!("softmax regression on the read-out spike counts of the last {} training images", st.window_labels.len()),
        },
        "pictures": pictures,
        "model_dir": "model",
        "threads": rayon::current_num_threads(),
    });
    let sp = out.join("summary.json");
    fs::write(&sp, serde_json::to_string_pretty(&summary)?)
        .with_context(|| format!("cannot write {}", sp.display()))?;
    if let Some((_, cm)) = &test_cm {
        println!("test confusion matrix (all_activity):\n{cm}");
    }
    println!(
        "wrote summary.json and {} in {}",
        pictures.join(", "),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn resumed_seen(l: &Option<Loaded>) -> u64 {
    l.as_ref()
        .and_then(|l| l.meta["position"]["samples"].as_u64())
        .unwrap_or(0)
}

/// With `--resume`, flags that would change the run must agree with the
/// checkpoint (or be left out).
fn check_resume_flags(a: &Args, p: &RunParams) -> Result<()> {
    let s = &p.spec;
    let mut bad = Vec::new();
    let mut cmp = |flag: &str, given: Option<String>, have: String| {
        if let Some(g) = given {
            if g != have {
                bad.push(format!("{flag} {g} (the run has {have})"));
            }
        }
    };
    cmp(
        "--model",
        a.model.map(|m| m.as_str().to_string()),
        s.model.as_str().into(),
    );
    cmp(
        "--neurons",
        a.neurons.map(|x| x.to_string()),
        s.neurons.to_string(),
    );
    cmp(
        "--epochs",
        a.epochs.map(|x| x.to_string()),
        p.epochs.to_string(),
    );
    cmp(
        "--time",
        a.time.map(|x| x.to_string()),
        s.time_ms.to_string(),
    );
    cmp("--dt", a.dt.map(|x| x.to_string()), s.dt.to_string());
    cmp(
        "--intensity",
        a.intensity.map(|x| x.to_string()),
        s.intensity.to_string(),
    );
    cmp("--inh", a.inh.map(|x| x.to_string()), s.inh.to_string());
    cmp("--seed", a.seed.map(|x| x.to_string()), s.seed.to_string());
    cmp(
        "--batch",
        a.batch.map(|x| x.to_string()),
        s.batch.to_string(),
    );
    cmp(
        "--validation",
        a.validation.map(|x| x.to_string()),
        p.validation.to_string(),
    );
    cmp(
        "--update-interval",
        a.update_interval.map(|x| x.to_string()),
        p.update_interval.to_string(),
    );
    cmp(
        "--logreg-window",
        a.logreg_window.map(|x| x.to_string()),
        p.logreg_window.to_string(),
    );
    cmp(
        "--checkpoint-every",
        a.checkpoint_every.map(|x| x.to_string()),
        p.checkpoint_every.to_string(),
    );
    cmp(
        "--n-train",
        a.n_train.map(|x| x.to_string()),
        format!("{:?}", p.n_train)
            .replace("Some(", "")
            .replace(')', ""),
    );
    cmp(
        "--n-test",
        a.n_test.map(|x| x.to_string()),
        format!("{:?}", p.n_test)
            .replace("Some(", "")
            .replace(')', ""),
    );
    if !bad.is_empty() {
        bail!(
            "--resume continues a run with its own parameters; these flags differ: {}",
            bad.join(", ")
        );
    }
    Ok(())
}

/// A fresh run may replace a finished run in `out`, but not an unfinished
/// one (unless `--overwrite`).
fn prepare_out(out: &Path, overwrite: bool) -> Result<()> {
    let ck = out.join("checkpoints");
    let unfinished =
        ck.join("LATEST").is_file() && !out.join("model").join(checkpoint::META).is_file();
    if unfinished && !overwrite {
        bail!(
            "{} holds an unfinished run: continue it with --resume {}, or pass --overwrite to start afresh",
            out.display(),
            out.display()
        );
    }
    for d in [ck, out.join("model")] {
        if d.exists() {
            fs::remove_dir_all(&d).with_context(|| format!("cannot clear {}", d.display()))?;
        }
    }
    Ok(())
}

/// The order of the training images in `epoch` (a seeded shuffle, as
/// BindsNET's `DataLoader(shuffle=True)`).
fn epoch_order(len: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut rng = Rng::seed_from_u64(
        seed ^ 0x0DA7_A0DE_5EED_0000 ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    for i in (1..len).rev() {
        let j = rng.below(i + 1);
        order.swap(i, j);
    }
    order
}

/// End of an update interval: running accuracy with the previous
/// assignments, then new assignments.
fn update(st: &mut State, n: usize) -> Result<()> {
    let m = st.interval_labels.len();
    if let Some(r) = &st.rates {
        let a = assignment_from_rates(r, n)?;
        let aa = all_activity(&st.interval_counts, m, n, &a.assignments, N_LABELS)?;
        let pw = proportion_weighting(
            &st.interval_counts,
            m,
            n,
            &a.assignments,
            &a.proportions,
            N_LABELS,
        )?;
        let acc = |p: &[i32]| {
            p.iter()
                .zip(&st.interval_labels)
                .filter(|(&p, &l)| p == i32::from(l))
                .count() as f64
                / m as f64
        };
        st.history.push(Point {
            samples: st.seen,
            all_activity: acc(&aa),
            proportion_weighting: acc(&pw),
        });
    }
    let a = assign_labels(
        &st.interval_counts,
        m,
        n,
        &st.interval_labels,
        N_LABELS,
        st.rates.as_deref(),
        1.0,
    )?;
    st.rates = Some(a.rates);
    st.interval_counts.clear();
    st.interval_labels.clear();
    Ok(())
}

fn state_arrays(st: &State, p: &dyn Presenter) -> Arrays {
    let mut arrays = snapshot_arrays(&p.network().snapshot());
    if let Some(r) = &st.rates {
        arrays.push(("train/rates".into(), Array::f32(r.clone())));
    }
    arrays.push((
        "train/interval_counts".into(),
        Array::f32(st.interval_counts.clone()),
    ));
    arrays.push((
        "train/interval_labels".into(),
        Array::U8(vec![st.interval_labels.len()], st.interval_labels.clone()),
    ));
    arrays.push((
        "train/window_counts".into(),
        Array::f32(st.window_counts.clone()),
    ));
    arrays.push((
        "train/window_labels".into(),
        Array::U8(vec![st.window_labels.len()], st.window_labels.clone()),
    ));
    arrays
}

fn save_checkpoint(dir: &Path, meta: &Value, st: &State, p: &dyn Presenter) -> Result<()> {
    let name = format!("ckpt-{:09}", st.seen);
    let dest = dir.join(&name);
    let latest = dir.join("LATEST");
    let current = fs::read_to_string(&latest).unwrap_or_default();
    if dest.exists() && current.trim() != name {
        // Left by a run killed before it updated LATEST: not the good one.
        fs::remove_dir_all(&dest)
            .with_context(|| format!("cannot remove stale {}", dest.display()))?;
    }
    checkpoint::write_checkpoint(&dest, meta, &state_arrays(st, p))?;
    checkpoint::write_atomic(&latest, format!("{name}\n").as_bytes())?;
    // Keep the two newest checkpoints.
    let mut all: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("ckpt-"))
        .collect();
    all.sort();
    if all.len() > 2 {
        for old in &all[..all.len() - 2] {
            let _ = fs::remove_dir_all(dir.join(old));
        }
    }
    Ok(())
}

fn load_state(l: &Loaded, st: &mut State, n: usize) -> Result<()> {
    let pos = &l.meta["position"];
    let u = |k: &str| {
        pos[k]
            .as_u64()
            .with_context(|| format!("checkpoint {}: position lacks {k:?}", l.dir.display()))
    };
    st.epoch = u("epoch")? as usize;
    st.pos = u("index_in_epoch")? as usize;
    st.seen = u("samples")?;
    st.train_seconds = l.meta["train_seconds"].as_f64().unwrap_or(0.0);
    st.train_spikes = l.meta["train_spikes"].as_f64().unwrap_or(0.0);
    st.rates = match l.get("train/rates") {
        Ok(_) => {
            let r = l.f32("train/rates")?.to_vec();
            if r.len() != n * N_LABELS {
                bail!(
                    "checkpoint {}: train/rates has {} values, expected {}",
                    l.dir.display(),
                    r.len(),
                    n * N_LABELS
                );
            }
            Some(r)
        }
        Err(_) => None,
    };
    st.interval_counts = l.f32("train/interval_counts")?.to_vec();
    st.interval_labels = l.u8("train/interval_labels")?.to_vec();
    st.window_counts = l.f32("train/window_counts")?.to_vec();
    st.window_labels = l.u8("train/window_labels")?.to_vec();
    if st.interval_counts.len() != st.interval_labels.len() * n
        || st.window_counts.len() != st.window_labels.len() * n
        || st
            .interval_labels
            .iter()
            .chain(&st.window_labels)
            .any(|&x| usize::from(x) >= N_LABELS)
    {
        bail!(
            "checkpoint {}: the recorded spike counts do not fit {n} neurons",
            l.dir.display()
        );
    }
    st.history = l.meta["history"]
        .as_array()
        .context("checkpoint: no history")?
        .iter()
        .map(|h| {
            Some(Point {
                samples: h["samples"].as_u64()?,
                all_activity: h["all_activity"].as_f64()?,
                proportion_weighting: h["proportion_weighting"].as_f64()?,
            })
        })
        .collect::<Option<_>>()
        .context("checkpoint: bad history entry")?;
    Ok(())
}
