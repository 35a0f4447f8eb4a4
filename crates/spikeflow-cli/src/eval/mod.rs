//! `spikeflow eval`: a model saved by `spikeflow train` on the test (or
//! validation) set with learning off: the accuracy of every read-out, with
//! its 95 % interval over the images tested, and the confusion matrix
//! (printed, and as a PNG).

pub(crate) mod record;

use crate::accuracy::{interval, interval_note, with_interval};
use crate::checkpoint;
use crate::model_choice::ModelSpec;
use crate::plots;
use crate::train::{
    assignment_from_rates, check_closed_form_rest, default_block, evaluate, label_from_training,
    load_mnist, readout_size, restore_presenter, LearningOff, Phase, Readouts, N_LABELS,
};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget};
use record::{Record, Settings};
use spikeflow::datasets::{Dataset, Mnist};
use spikeflow::evaluation::ConfusionMatrix;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Which split to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitName {
    /// The test set.
    Test,
    /// The validation hold-out of the training run (`--validation N`).
    Validation,
}

#[derive(clap::Args)]
pub struct Args {
    /// The run folder of `spikeflow train` (its `model/`), or a checkpoint
    /// folder.
    #[arg(long)]
    model_dir: PathBuf,
    /// MNIST folder [default: the one the model was trained on].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Images to evaluate (the first N of the split) [default: all].
    #[arg(long)]
    n_test: Option<usize>,
    /// Split to evaluate.
    #[arg(long, value_enum, default_value_t = SplitName::Test)]
    split: SplitName,
    /// Worker threads of the rayon pool (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Images in blocks of this many, each block on a thread of its own
    /// starting from the saved state with spike trains of its own, as
    /// `spikeflow train --eval-block` (the same value gives the test counts
    /// of the training run); 0: one serial pass [default: 500 for the paper
    /// model, 0 otherwise].
    #[arg(long)]
    eval_block: Option<usize>,
    /// Paper model, in blocks: end the 150 ms rest after each image in
    /// closed form once nothing can spike any more, as `spikeflow train
    /// --closed-form-rest` (the same state up to rounding, not bit for bit).
    #[arg(long)]
    closed_form_rest: bool,
    /// Where to write the confusion-matrix PNG [default: --model-dir].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Label the neurons first, as `spikeflow train` does after its last
    /// epoch: from the last N training images the model saw in its latest
    /// epoch, shown again with learning off (60000: the whole training set,
    /// Diehl & Cook's labelling). Replaces the saved read-out; with the
    /// checkpoints kept at each epoch's end this measures every epoch.
    #[arg(long)]
    assign_window: Option<usize>,
    /// With a run folder and --assign-window: evaluate each checkpoint
    /// kept at an epoch's end, and the finished model (the last epoch's
    /// end), and write the accuracy after each epoch to `epochs.json` and
    /// `epoch_accuracy.png` (in --out, default the run folder). Every
    /// evaluation keeps its results in the checkpoint's folder
    /// (`eval-<split>.json`); an epoch evaluated before with the same
    /// checkpoint, images, --assign-window and --eval-block is not
    /// evaluated again.
    #[arg(long)]
    each_epoch: bool,
    /// With --each-epoch: evaluate every epoch again, even those whose
    /// results an earlier evaluation kept (a record names the checkpoint,
    /// images and settings, not the spikeflow that made it: after an
    /// upgrade that changes how a model is evaluated, use this).
    #[arg(long, requires = "each_epoch")]
    fresh: bool,
}

pub fn run(a: &Args) -> Result<ExitCode> {
    // An error means the pool exists already (several commands in one
    // process, as in tests): it is kept.
    let _ = crate::pool::init(a.threads);
    crate::pool::on_worker(|| {
        if a.each_epoch {
            each_epoch(a)
        } else {
            eval_checkpoint(a)
        }
    })
}

fn eval_checkpoint(a: &Args) -> Result<ExitCode> {
    let dir = checkpoint::locate(&a.model_dir, true)?;
    let prepared = prepare(a, &dir)?;
    let (r, ev) = evaluate_prepared(a, prepared)?;
    for x in &r.readouts {
        println!(
            "{}: {}",
            x.name,
            with_interval(x.accuracy, r.settings.images)
        );
    }
    println!("{}", interval_note(r.settings.images, &r.settings.split));
    println!(
        "{:.3} ms/image, {:.1} read-out spikes/image",
        1e3 * r.seconds / r.settings.images as f64,
        r.spikes_per_image
    );
    let (k, cm) = &ev[0];
    println!("confusion matrix ({k}):\n{cm}");
    let out = a.out.clone().unwrap_or_else(|| a.model_dir.clone());
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let png = out.join(format!("confusion_{}.png", r.settings.split));
    plots::confusion(&png, &format!("{} set, {k}", r.settings.split), cm)?;
    println!("wrote {}", png.display());
    Ok(ExitCode::SUCCESS)
}

/// `--each-epoch`: every checkpoint of the run kept at an epoch's end.
fn each_epoch(a: &Args) -> Result<ExitCode> {
    if a.assign_window.is_none() {
        bail!("--each-epoch labels every checkpoint afresh: give --assign-window N");
    }
    let ck_dir = a.model_dir.join("checkpoints");
    let model = a.model_dir.join("model");
    let mut found = Vec::new();
    // The finished model (the last epoch's end: it may keep the run's own
    // test), then the checkpoints (a short run may have written none).
    let mut dirs = vec![model.clone()];
    match std::fs::read_dir(&ck_dir) {
        Ok(entries) => {
            for e in entries {
                dirs.push(e?.path());
            }
        }
        Err(_) if model.join(checkpoint::META).is_file() => {}
        Err(e) => bail!(
            "--each-epoch needs a run folder: cannot read {}: {e}",
            ck_dir.display()
        ),
    }
    for path in dirs {
        if !path.join(checkpoint::META).is_file() {
            continue;
        }
        let v = checkpoint::read_meta(&path)?;
        if let Some(samples) = checkpoint::epoch_end_samples(&v) {
            if found.iter().all(|(s, _)| *s != samples) {
                found.push((samples, path));
            }
        }
    }
    found.sort();
    if found.is_empty() {
        bail!(
            "{} holds no checkpoint written at an epoch's end",
            ck_dir.display()
        );
    }
    let mut rows = Vec::new();
    for (_, dir) in &found {
        let prepared = prepare(a, dir)?;
        let kept = if a.fresh {
            None
        } else {
            Record::find(dir, &prepared.settings)
        };
        let (r, how) = match kept {
            Some(r) => (r, "kept from an earlier evaluation"),
            None => (evaluate_prepared(a, prepared)?.0, "evaluated"),
        };
        let accs: Vec<String> = r
            .readouts
            .iter()
            .map(|x| {
                format!(
                    "{} {}",
                    x.name,
                    with_interval(x.accuracy, r.settings.images)
                )
            })
            .collect();
        println!(
            "epoch {} ({} training images; {how}): {}",
            r.epoch,
            r.training_images,
            accs.join(", ")
        );
        rows.push(r);
    }
    if let Some(r) = rows.last() {
        println!("{}", interval_note(r.settings.images, &r.settings.split));
    }
    let out = a.out.clone().unwrap_or_else(|| a.model_dir.clone());
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert("epoch".into(), r.epoch.into());
            m.insert("training_images".into(), r.training_images.into());
            m.insert("split".into(), r.settings.split.clone().into());
            m.insert("images".into(), r.settings.images.into());
            m.insert("assign_window".into(), a.assign_window.into());
            for x in &r.readouts {
                m.insert(x.name.clone(), x.accuracy.into());
            }
            m.insert("seconds".into(), r.seconds.into());
            serde_json::Value::Object(m)
        })
        .collect();
    let path = out.join("epochs.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    // The read-outs of the first epoch, each as one line over the epochs
    // that report it.
    let series: Vec<plots::Series<'_>> = rows[0]
        .readouts
        .iter()
        .map(|first| {
            let of_epoch = |r: &'_ Record| {
                let x = r.readouts.iter().find(|x| x.name == first.name)?;
                Some((r.training_images as f64, x.accuracy, r.settings.images))
            };
            plots::Series {
                name: &first.name,
                points: rows
                    .iter()
                    .filter_map(of_epoch)
                    .map(|(at, acc, _)| (at, acc))
                    .collect(),
                bars: rows
                    .iter()
                    .filter_map(of_epoch)
                    .filter_map(|(at, acc, images)| {
                        let (lo, hi) = interval(acc, images)?;
                        Some((at, lo, hi))
                    })
                    .collect(),
            }
        })
        .collect();
    let png = out.join("epoch_accuracy.png");
    plots::accuracy_curve(
        &png,
        &format!(
            "{} accuracy after each epoch (whiskers: 95 % intervals)",
            rows[0].settings.split
        ),
        &series,
    )?;
    println!("wrote {} and {}", path.display(), png.display());
    Ok(ExitCode::SUCCESS)
}

/// A checkpoint, its model and the split to evaluate it on.
struct Prepared {
    loaded: checkpoint::Loaded,
    spec: ModelSpec,
    mnist: Mnist,
    data_dir: PathBuf,
    settings: Settings,
}

/// Reads the checkpoint in `dir` and the images it is to be evaluated on,
/// and says what decides the figures.
fn prepare(a: &Args, dir: &Path) -> Result<Prepared> {
    let l = checkpoint::read_checkpoint(dir)?;
    let params = &l.meta["params"];
    let spec = ModelSpec::from_json(&params["model"])
        .with_context(|| format!("{} holds no usable model parameters", dir.display()))?;
    if a.assign_window == Some(0) {
        bail!("--assign-window must be at least 1");
    }
    let data_dir = a
        .data_dir
        .clone()
        .or_else(|| l.meta["data_dir"].as_str().map(PathBuf::from));
    let (mnist, data_dir) = load_mnist(data_dir.as_deref())?;
    let block = a.eval_block.unwrap_or_else(|| default_block(&spec));
    check_closed_form_rest(&spec, block, a.closed_form_rest)?;
    let settings = Settings::new(
        &l.meta,
        &chosen_split(a, &l, &mnist, &data_dir)?,
        a.assign_window,
        block,
        a.closed_form_rest,
    );
    Ok(Prepared {
        loaded: l,
        spec,
        mnist,
        data_dir,
        settings,
    })
}

/// The images `--split` and `--n-test` name.
fn chosen_split<'m>(
    a: &Args,
    l: &checkpoint::Loaded,
    mnist: &'m Mnist,
    data_dir: &Path,
) -> Result<spikeflow::datasets::Split<'m>> {
    let split = match a.split {
        SplitName::Test => mnist.test(),
        SplitName::Validation => {
            let v = l.meta["params"]["validation"].as_u64().unwrap_or(0) as usize;
            if v == 0 {
                bail!("the model was trained without a validation hold-out (--validation)");
            }
            mnist.split_validation(v)?.1
        }
    };
    Ok(match a.n_test {
        Some(0) => bail!("--n-test must be at least 1"),
        Some(k) if k > split.len() => bail!(
            "--n-test {k} exceeds the {} {} images of {}",
            split.len(),
            split.name(),
            data_dir.display()
        ),
        Some(k) => split.take(k),
        None => split,
    })
}

/// Labels (as saved, or afresh with --assign-window) and evaluates a
/// prepared checkpoint; keeps the record in the checkpoint's folder.
fn evaluate_prepared(
    a: &Args,
    pr: Prepared,
) -> Result<(Record, Vec<(&'static str, ConfusionMatrix)>)> {
    let Prepared {
        loaded: l,
        spec,
        mnist,
        data_dir,
        settings,
    } = pr;
    let dir = l.dir.clone();
    let mut p = restore_presenter(&l, &spec)?;
    let n = readout_size(p.as_ref())?;
    let split = chosen_split(a, &l, &mnist, &data_dir)?;
    let labelled = match (
        a.assign_window,
        l.meta["assignment"]["description"].as_str(),
    ) {
        (Some(k), _) => {
            format!("labels from the last {k} training images of its latest epoch, learning off")
        }
        (None, Some(d)) => d.to_string(),
        (None, None) => "labels from the class rates accumulated during training".into(),
    };
    eprintln!(
        "evaluating {} ({}; {labelled}) on {} {} images of {}",
        dir.display(),
        spec.describe(),
        split.len(),
        split.name(),
        data_dir.display()
    );
    let off = LearningOff::new(
        &spec,
        p.network().snapshot(),
        settings.eval_block,
        settings.closed_form_rest,
    )?;
    let readouts = match a.assign_window {
        None => saved_readouts(&l, n)?,
        Some(k) => {
            let lb = progress(k as u64, "labels");
            let (assignment, used, secs) =
                label_from_training(&l, &spec, &mnist, &off, p.as_mut(), k, Some(&lb))?;
            lb.finish_and_clear();
            eprintln!(
                "labelled the neurons from {used} training images, learning off ({secs:.1} s)"
            );
            Readouts {
                assignment: Some(assignment),
                logreg: None,
            }
        }
    };
    let bar = progress(split.len() as u64, split.name());
    let phase = match a.split {
        SplitName::Test => Phase::Test,
        SplitName::Validation => Phase::Validation,
    };
    let order: Vec<usize> = (0..split.len()).collect();
    let (counts, secs) = off.present(p.as_mut(), phase, &split, &order, n, Some(&bar))?;
    bar.finish_and_clear();
    let ev = evaluate(&readouts, &counts, split.labels(), n)?;
    let spikes = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / split.len() as f64;
    let record = Record::new(settings, &l.meta, secs, spikes, &ev);
    // The figures are printed whatever happens to the record: a folder
    // that cannot be written to costs only the reuse.
    match record.write(&dir, &ev) {
        Ok(p) => eprintln!("kept the results in {}", p.display()),
        Err(e) => eprintln!("warning: {e:#} (the results are not kept for --each-epoch)"),
    }
    Ok((record, ev))
}

/// The read-outs saved with the model.
fn saved_readouts(l: &checkpoint::Loaded, n: usize) -> Result<Readouts> {
    let dir = &l.dir;
    // The labels the run used: from its learning-off assignment window
    // (`readout/rates`) or, without one, from the training rates.
    let rates_key = if l.get("readout/rates").is_ok() {
        "readout/rates"
    } else {
        "train/rates"
    };
    let assignment = match l.get(rates_key) {
        Ok(_) => {
            let r = l.f32(rates_key)?;
            if r.len() != n * N_LABELS {
                bail!(
                    "{}: {rates_key} has {} values, expected {}",
                    dir.display(),
                    r.len(),
                    n * N_LABELS
                );
            }
            Some(assignment_from_rates(r, n)?)
        }
        Err(_) => None,
    };
    let logreg = match (l.get("logreg/weights"), l.get("logreg/bias")) {
        (Ok(_), Ok(_)) => {
            let (w, b) = (
                l.f64("logreg/weights")?.to_vec(),
                l.f64("logreg/bias")?.to_vec(),
            );
            if w.len() != n * N_LABELS || b.len() != N_LABELS {
                bail!(
                    "{}: logistic-regression arrays do not fit {n} neurons",
                    dir.display()
                );
            }
            Some((w, b))
        }
        _ => None,
    };
    if assignment.is_none() && logreg.is_none() {
        bail!(
            "{} has no trained read-out yet (no label assignment, no regression); label it \
             with --assign-window N",
            dir.display()
        );
    }
    Ok(Readouts { assignment, logreg })
}

/// A progress bar on a terminal, hidden otherwise.
fn progress(len: u64, prefix: &str) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(crate::train::bar_style(false));
    bar.set_prefix(prefix.to_string());
    bar
}
