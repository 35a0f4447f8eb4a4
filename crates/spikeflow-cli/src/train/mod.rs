//! `spikeflow train`: unsupervised training of a Diehl & Cook-style network
//! on MNIST with BindsNET's `eth_mnist.py` loop, progress bar, resumable
//! checkpoints, a JSON summary and pictures.
//!
//! The run, in phases:
//!
//! 1. **Training** ([`training`], bindsnet-semantics §11.1): every image is
//!    shown with learning on; every `--update-interval` images the running
//!    accuracy of `all_activity` and `proportion_weighting` is computed with
//!    the *previous* assignments (the progress bar and the accuracy curve),
//!    then `assign_labels` updates the class rates (α = 1, carried over).
//!    Checkpoints are written during this phase only.
//! 2. **Label assignment** ([`readout`]): the last `--assign-window` training
//!    images are shown again with learning off (weights and θ frozen), and
//!    the neurons are labelled from those responses alone (as Diehl & Cook
//!    do after training). `--assign-window 0` keeps BindsNET's example
//!    behaviour: the class rates accumulated over the whole of training,
//!    early immature receptive fields included. The logistic regression is
//!    fitted on the learning-off window or (`--logreg-fit training`, or
//!    `--assign-window 0`) on the training counts of the last
//!    `--logreg-window` images. The defaults were chosen on a validation
//!    split (see [`params::DEFAULT_ASSIGN_WINDOW`]). This phase
//!    follows the last checkpoint and is deterministic, so a resumed run
//!    repeats it bit for bit.
//! 3. **Evaluation**: the validation and test sets with learning off, read
//!    out by `all_activity`, `proportion_weighting` and the regression.
//!
//! Output folder (`--out`, default `runs/<model>-n<neurons>-seed<seed>`):
//! `summary.json`, `receptive_fields.png`, `accuracy.png`, `raster.png`,
//! `confusion_test.png`, `model/` (for `spikeflow eval`) and `checkpoints/`.
//! `summary.json` is written last: a run without it is unfinished and
//! `--resume` continues it from its latest checkpoint.

mod blocks;
mod data;
mod output;
mod params;
mod parts;
mod readout;
mod state;
mod training;

pub use blocks::{check_closed_form_rest, default_block, LearningOff, Phase};
pub(crate) use data::crc_of_split;
pub use data::{default_data_dir, load_mnist};
pub(crate) use output::bar_style;
pub use readout::{assignment_from_rates, evaluate, readout_size, Readouts};
pub use state::restore_presenter;

use crate::checkpoint::{self, Array};
use crate::eval::record::{Record, Settings};
use crate::model_choice::ModelName;
use anyhow::{bail, Context, Result};
use data::{epoch_order, ImageOrder};
use output::{accuracies_line, bar, Summary};
use params::{LogregFit, DEFAULT_ASSIGN_WINDOW};
use readout::{assignment_from_counts, fit_logreg, last_rows, Window};
use serde_json::{json, Value};
use spikeflow::datasets::{Dataset, Split};
use spikeflow::evaluation::ConfusionMatrix;
use spikeflow::models::Presenter;
use spikeflow::rng::Rng;
use state::{load_state, prepare_out, state_arrays, RunInfo, State};
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
    /// Passes over the training images [default: 1]. With --resume, a
    /// larger value trains on past the run's own epochs, as a run started
    /// with that many would.
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
    /// Seed of weights, spike trains and (with --order shuffled) the order
    /// of the training images [default: 0].
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
    /// After training, show the last N training images again with learning
    /// off and label the neurons from those responses alone (at most one
    /// epoch); 0 labels them from the class rates accumulated during
    /// training (BindsNET's example) [default: 10000].
    #[arg(long)]
    assign_window: Option<usize>,
    /// Training images whose spike counts fit the logistic-regression
    /// read-out with --logreg-fit training (the last N seen; also with
    /// --assign-window 0) [default: 10000].
    #[arg(long)]
    logreg_window: Option<usize>,
    /// Counts the logistic regression is fitted on: the learning-off
    /// responses of the assignment window, or those of training (learning
    /// on, --logreg-window) [default: assignment].
    #[arg(long, value_enum)]
    logreg_fit: Option<LogregFit>,
    /// Tuning aid: also report, in summary.json, the validation accuracy of
    /// each of these --assign-window values (needs --validation; measured
    /// on a copy of the trained network, does not change the run).
    #[arg(long, value_delimiter = ',')]
    assign_sweep: Vec<usize>,
    /// Output folder [default: runs/<model>-n<neurons>-seed<seed>; with
    /// --resume, the resumed run's folder].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Learning-off phases (labelling, validation, test) in blocks of this
    /// many consecutive images, each block on a thread of its own starting
    /// from the trained state with spike trains of its own (the counts do
    /// not depend on --threads); 0: one serial pass carrying the state from
    /// image to image [default: 500 for the paper model, 0 otherwise; with
    /// --resume, the resumed run's].
    #[arg(long)]
    eval_block: Option<usize>,
    /// Paper model, learning-off phases in blocks: end the 150 ms rest
    /// after each image in closed form once nothing can spike any more
    /// (delayed input delivered, conductances below 1e-6, every voltage
    /// below threshold) instead of stepping all of it. The same state up to
    /// rounding, not bit for bit; training is not affected [with --resume:
    /// also when the resumed run used it].
    #[arg(long)]
    closed_form_rest: bool,
    /// Paper model: training images end their rest in closed form too, once
    /// nothing can spike any more, θ and the learning rule's traces decayed
    /// with the rest of the state (in --parts K, all parts together, as one
    /// network). Changes the training by rounding (not the stepped run bit
    /// for bit), so it is kept with the run [with --resume: the resumed
    /// run's].
    #[arg(long)]
    closed_form_training_rest: bool,
    /// Paper model: the largest Euler factor `dt/τ_m·(1 + g_e + g_i)` the
    /// neurons step as the authors' script does; above it `v` lands on the
    /// step's equilibrium (2: the script's step wherever it is stable; inf:
    /// always, which runs away from 1600 neurons on). Kept with the run and
    /// used by `eval` [default: 1; with --resume, the resumed run's].
    #[arg(long)]
    euler_limit: Option<f32>,
    /// Order of the training images in each epoch: `shuffled` (a seeded
    /// shuffle, another each epoch, as BindsNET's DataLoader) or `dataset`
    /// (the dataset's own order every epoch, as Diehl & Cook's script)
    /// [default: shuffled; with --resume, the resumed run's].
    #[arg(long, value_enum)]
    order: Option<ImageOrder>,
    /// Write a checkpoint every K training images (0: only the final model)
    /// [default: 5000].
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Continue the run whose folder (or checkpoint folder) this is, from
    /// its latest checkpoint, exactly as if it had not stopped. A finished
    /// run goes on for more --epochs from the checkpoint kept at the end of
    /// one of its epochs, its last one's included (`--resume
    /// RUN/checkpoints/ckpt-N --epochs M`); in the run's own folder, what
    /// was written after that checkpoint is replaced.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Paper model: show the training images to the network cut into this
    /// many parts, each on a core of its own for the whole run and meeting
    /// once per step (the same results, bit for bit, as one network; 1: one
    /// network). At most one part per core: parts wait for each other every
    /// step. Not part of the run: a run resumes with any number.
    #[arg(long, default_value_t = 1)]
    parts: usize,
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

pub fn run(a: &Args) -> Result<ExitCode> {
    let wall = Instant::now();
    // An error means the pool exists already (several commands in one
    // process, as in tests): it is kept.
    let _ = crate::pool::init(a.threads);
    crate::pool::on_worker(|| train(a, wall))
}

fn train(a: &Args, wall: Instant) -> Result<ExitCode> {
    // Parameters: fresh, or from the checkpoint being resumed.
    let (params, resumed, out) = params::resolve(a)?;
    if !a.assign_sweep.is_empty() && params.validation == 0 {
        bail!("--assign-sweep measures on the validation split: pass --validation N");
    }
    if a.assign_sweep.contains(&0) {
        bail!("--assign-sweep values must be at least 1");
    }
    let spec = params.spec.clone();
    parts::check(&spec, a.parts)?;
    let eval_block = params.eval_block.unwrap_or_else(|| default_block(&spec));
    check_closed_form_rest(&spec, eval_block, params.closed_form_rest)?;

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

    // Model and state.
    let mut presenter: Box<dyn Presenter>;
    let mut st;
    let n;
    // What a resume in the run's own folder removed (after its checkpoint).
    let mut rewound = Vec::new();
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
            st = load_state(l, n)?;
            rewound = state::rewind_to(&out, &l.dir, st.seen)?;
        }
        None => {
            prepare_out(&out, a.overwrite)?;
            presenter = spec.build()?;
            n = readout_size(presenter.as_ref())?;
            st = State::default();
        }
    }
    fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;

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
    let start_seen = st.seen;
    if let Some(l) = &resumed {
        eprintln!(
            "resumed from {} at image {} of {total}",
            l.dir.display(),
            st.seen
        );
        if !rewound.is_empty() {
            eprintln!("removed what followed it: {}", rewound.join(", "));
        }
    }

    // 1. Training.
    let info = RunInfo {
        params: &params,
        data_dir: &data_dir,
        fingerprint,
        total,
    };
    let lo = training::LoopOptions {
        n,
        per_epoch,
        tty,
        quiet: a.quiet,
        throttle_ms: a.throttle_ms,
        ck_dir: &out.join("checkpoints"),
        start_seen,
    };
    if a.parts > 1 {
        let mut parts = parts::PartsPresenter::new(&spec, presenter, a.parts)?;
        training::train(&info, &lo, &train, &mut parts, &mut st)?;
        presenter = parts.into_whole()?;
    } else {
        training::train(&info, &lo, &train, presenter.as_mut(), &mut st)?;
    }
    let train_per_sample = st.train_seconds / st.seen.max(1) as f64;
    eprintln!(
        "trained on {} images in {:.1} s ({:.2} ms/image, {:.1} read-out spikes/image)",
        st.seen,
        st.train_seconds,
        1e3 * train_per_sample,
        st.train_spikes / st.seen.max(1) as f64
    );
    let trained = presenter.network().snapshot();
    let off = LearningOff::new(&spec, trained.clone(), eval_block, params.closed_form_rest)?;

    // 2. Label assignment (and the regression's fit).
    let last_order = epoch_order(train.len(), spec.seed, params.epochs - 1, params.order);
    let window = if params.assign_window > 0 {
        let rows = last_rows(&last_order, per_epoch, params.assign_window);
        let wb = bar(rows.len(), "assign", tty);
        let w = Window::present(&off, presenter.as_mut(), &train, &rows, n, Some(&wb))?;
        wb.finish_and_clear();
        eprintln!(
            "labelled the neurons from the last {} training images, learning off ({:.1} s)",
            w.len(),
            w.seconds
        );
        Some(w)
    } else {
        None
    };
    let assignment = match (&window, &st.rates) {
        (Some(w), _) => Some(assignment_from_counts(&w.counts, &w.labels, n)?),
        (None, Some(r)) => Some(assignment_from_rates(r, n)?),
        (None, None) => None,
    };
    let logreg_on_window = params.logreg_fit == LogregFit::Assignment && window.is_some();
    let logreg = match &window {
        Some(w) if logreg_on_window => Some(fit_logreg(&w.counts, &w.labels, n)?),
        _ if st.window_labels.is_empty() => None,
        _ => Some(fit_logreg(&st.window_counts, &st.window_labels, n)?),
    };
    let readouts = Readouts { assignment, logreg };
    let (mut assignment_json, readouts_json) =
        describe(&params, &st, window.as_ref(), logreg_on_window);
    if window.is_some() {
        assignment_json["eval_block"] = json!(off.block());
        assignment_json["closed_form_rest"] = json!(off.closed_form_rest());
    }

    // The finished model.
    let model_dir = out.join("model");
    if model_dir.exists() {
        fs::remove_dir_all(&model_dir)
            .with_context(|| format!("cannot replace {}", model_dir.display()))?;
    }
    let mut arrays = state_arrays(&st, presenter.as_ref());
    if let (Some(_), Some(a)) = (&window, &readouts.assignment) {
        // The labels used (train/rates stays the training state).
        arrays.push(("readout/rates".into(), Array::f32(a.rates.clone())));
    }
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
    let mut meta = info.meta(&st, presenter.as_ref(), true);
    meta["assignment"] = assignment_json.clone();
    checkpoint::write_checkpoint(&model_dir, &meta, &arrays)?;
    let final_snapshot = presenter.network().snapshot();

    // Tuning aid: the validation accuracy of other assignment windows, on a
    // copy of the trained network with its own spike trains.
    let assign_sweep = if a.assign_sweep.is_empty() {
        None
    } else {
        let mut copy = spec.build()?;
        copy.network_mut().restore(&trained)?;
        copy.set_encoder_rng(Rng::seed_from_u64(spec.seed ^ 0x5EE9_A551_6000_0000));
        let max = *a.assign_sweep.iter().max().unwrap_or(&0);
        let rows = last_rows(&last_order, per_epoch, max);
        let sb = bar(rows.len() + val.len(), "sweep", tty);
        let w = Window::present(&off, copy.as_mut(), &train, &rows, n, Some(&sb))?;
        let val_rows: Vec<usize> = (0..val.len()).collect();
        let (vc, _) = off.present(copy.as_mut(), Phase::Sweep, &val, &val_rows, n, Some(&sb))?;
        sb.finish_and_clear();
        Some(readout::sweep(
            &w,
            &a.assign_sweep,
            st.rates.as_deref(),
            &vc,
            val.labels(),
            n,
        )?)
    };

    // 3. Test (and validation) with learning off.
    let mut results = serde_json::Map::new();
    let mut test_cm = None;
    for (name, phase, split) in [
        ("validation", Phase::Validation, &val),
        ("test", Phase::Test, &test),
    ] {
        if split.is_empty() {
            continue;
        }
        let eb = bar(split.len(), name, tty);
        let rows: Vec<usize> = (0..split.len()).collect();
        let (counts, secs) = off.present(presenter.as_mut(), phase, split, &rows, n, Some(&eb))?;
        eb.finish_and_clear();
        let ev = evaluate(&readouts, &counts, split.labels(), n)?;
        let spikes: f64 = counts.iter().map(|&c| f64::from(c)).sum();
        let mut r = serde_json::Map::new();
        r.insert("images".into(), json!(split.len()));
        for (k, cm) in &ev {
            r.insert((*k).into(), json!(cm.accuracy()));
        }
        r.insert("seconds".into(), json!(secs));
        r.insert("eval_block".into(), json!(off.block()));
        r.insert("closed_form_rest".into(), json!(off.closed_form_rest()));
        r.insert("seconds_per_image".into(), json!(secs / split.len() as f64));
        r.insert(
            "readout_spikes_per_image".into(),
            json!(spikes / split.len() as f64),
        );
        println!(
            "{name} accuracy ({} images; 95 % Wilson intervals): {}",
            split.len(),
            accuracies_line(&ev)
        );
        if name == "test" {
            // Kept beside the model as `spikeflow eval` keeps its results,
            // so that `eval --each-epoch` does not label the last epoch
            // again. Only in blocks, which start from the trained state:
            // a serial pass carries the state on from the labelling, and
            // the model is saved after it.
            if window.is_some() && off.block() > 0 {
                let k = params.assign_window;
                keep_record(&model_dir, split, k, &off, secs, spikes, &ev)?;
            }
            test_cm = ev.into_iter().next();
        }
        results.insert(name.into(), Value::Object(r));
    }

    // Pictures and summary.
    let sample = if !test.is_empty() { &test } else { &train };
    let pictures = output::pictures(
        &out,
        &spec,
        &params,
        presenter.as_ref(),
        n,
        &st.history,
        sample,
        &final_snapshot,
        test_cm.as_ref(),
    )?;
    let summary = Summary {
        params: &params,
        data_dir: &data_dir,
        per_epoch,
        assigned_neurons: readouts
            .assignment
            .as_ref()
            .map(|a| a.assignments.iter().filter(|&&x| x >= 0).count()),
        assignment: assignment_json,
        readouts: readouts_json,
        results,
        assign_sweep,
        pictures: &pictures,
        wall_seconds: wall.elapsed().as_secs_f64(),
    };
    output::write_summary(&out, summary, &st)?;
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

/// Which assignment and regression fit the run used (`summary.json` and the
/// model's metadata), and what each read-out means.
fn describe(
    params: &params::RunParams,
    st: &State,
    window: Option<&Window>,
    logreg_on_window: bool,
) -> (Value, Value) {
    let assignment = match window {
        Some(w) => json!({
            "source": "learning_off_window",
            "images": w.len(),
            "seconds": w.seconds,
            "description": format!("labels from the responses to the last {} training images shown again with learning off (θ frozen), no carried-over rates", w.len()),
        }),
        None => json!({
            "source": "training_rates",
            "images": st.seen,
            "description": format!("labels from the class rates accumulated during training (assign_labels every {} images, α = 1)", params.update_interval),
        }),
    };
    let mut assignment = assignment;
    assignment["assign_window_flag"] = json!(params.assign_window);
    assignment["default_assign_window"] = json!(DEFAULT_ASSIGN_WINDOW);
    let logreg = if logreg_on_window {
        format!(
            "softmax regression on the learning-off read-out counts of the {} assignment images",
            window.map_or(0, Window::len)
        )
    } else {
        format!(
            "softmax regression on the read-out spike counts of the last {} training images (learning on)",
            st.window_labels.len()
        )
    };
    assignment["logreg_fit"] = json!(if logreg_on_window {
        "learning_off_window"
    } else {
        "training"
    });
    let readouts = json!({
        "all_activity": format!("each neuron votes for its label ({}), votes averaged per class", assignment["source"].as_str().unwrap_or("")),
        "proportion_weighting": "as all_activity, each vote weighted by the neuron's class proportion",
        "logistic_regression": logreg,
    });
    (assignment, readouts)
}

/// Writes the test results of the model in `model_dir` (labelled from the
/// last `window` training images) as `spikeflow eval --assign-window
/// window` would.
fn keep_record(
    model_dir: &Path,
    test: &Split<'_>,
    window: usize,
    off: &LearningOff<'_>,
    seconds: f64,
    spikes: f64,
    ev: &[(&'static str, ConfusionMatrix)],
) -> Result<()> {
    let meta = checkpoint::read_meta(model_dir)?;
    let settings = Settings::new(
        &meta,
        test,
        Some(window),
        off.block(),
        off.closed_form_rest(),
    );
    let record = Record::new(settings, &meta, seconds, spikes / test.len() as f64, ev);
    record.write(model_dir, ev)?;
    Ok(())
}

/// Labels a saved model's neurons as `train` does after its last epoch:
/// from the last `k` training images it saw in its latest epoch (in the
/// order shown), presented again with learning off. For `spikeflow eval
/// --assign-window` on the checkpoints kept at each epoch's end. Returns
/// the assignment, the images used and the seconds taken.
pub fn label_from_training(
    l: &checkpoint::Loaded,
    spec: &crate::model_choice::ModelSpec,
    mnist: &spikeflow::datasets::Mnist,
    off: &LearningOff<'_>,
    p: &mut dyn Presenter,
    k: usize,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<(spikeflow::evaluation::Assignment, usize, f64)> {
    let params = &l.meta["params"];
    let n = readout_size(p)?;
    let validation = params["validation"].as_u64().unwrap_or(0) as usize;
    let (train, _) = mnist.split_validation(validation)?;
    let train = match params["n_train"].as_u64() {
        Some(m) if m as usize > train.len() => {
            bail!(
                "the model was trained on {m} images; this MNIST has {}",
                train.len()
            )
        }
        Some(m) => train.take(m as usize),
        None => train,
    };
    if l.meta["data_fingerprint"].as_u64() != Some(u64::from(crc_of_split(&train))) {
        bail!("these training images differ from those the model was trained on");
    }
    let per_epoch = train.len() / spec.batch * spec.batch;
    let st = load_state(l, n)?;
    // The latest epoch: the one under way, or the one just ended.
    let (epoch, end) = match (st.epoch, st.pos) {
        (0, 0) => bail!("{} has seen no training image yet", l.dir.display()),
        (e, 0) => (e - 1, per_epoch),
        (e, pos) => (e, pos),
    };
    let rows = last_seen(params, train.len(), spec.seed, epoch, end, k)?;
    let w = Window::present(off, p, &train, &rows, n, bar)?;
    Ok((
        assignment_from_counts(&w.counts, &w.labels, n)?,
        w.len(),
        w.seconds,
    ))
}

/// The last `k` training images a run had shown when it reached position
/// `end` of `epoch` (all of them when `end < k`), in the order recorded in
/// its checkpoint parameters `params`.
fn last_seen(
    params: &serde_json::Value,
    len: usize,
    seed: u64,
    epoch: usize,
    end: usize,
    k: usize,
) -> Result<Vec<usize>> {
    let order = epoch_order(len, seed, epoch, params::order_of(params)?);
    Ok(last_rows(&order, end, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labelling_window_follows_the_recorded_order() {
        let rows = |p: serde_json::Value, end| last_seen(&p, 100, 5, 2, end, 30).unwrap();
        let dataset = rows(json!({"order": "dataset"}), 80);
        assert_eq!(dataset, (50..80).collect::<Vec<_>>());
        assert_eq!(
            rows(json!({"order": "dataset"}), 20),
            (0..20).collect::<Vec<_>>()
        );
        // Written before `--order`: shuffled, as that run was.
        let old = rows(json!({}), 80);
        assert_eq!(old, epoch_order(100, 5, 2, ImageOrder::Shuffled)[50..80]);
        assert_ne!(old, dataset);
        assert!(last_seen(&json!({"order": "sorted"}), 100, 5, 2, 80, 30).is_err());
    }
}
