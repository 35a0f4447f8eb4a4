//! The parameters of a run: from the flags of a fresh run, or from the
//! checkpoint being resumed (whose flags must then agree).

use super::data::ImageOrder;
use super::Args;
use crate::checkpoint::{self, Loaded};
use crate::model_choice::{ModelName, ModelSpec};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Default of `--assign-window`, chosen on validation splits (the last 5000
/// training images held out; 100 neurons, BindsNET's configuration, seeds 0
/// and 1): the voting read-outs are flat from 1000 to 55,000 images (within
/// 0.2 points, 1–2 points above the training rates), and the regression
/// fitted on the window gains up to 10,000 images and ≤ 0.3 points beyond,
/// for 30–45 s more per 10,000 images. With 400 neurons windows below 5000
/// fall below the training rates (too few images per neuron); 10,000 gives
/// 92.3 / 92.8 % against 91.6 / 92.2 % (`--assign-sweep` in
/// `summary.json`).
pub const DEFAULT_ASSIGN_WINDOW: usize = 10_000;

/// Which spike counts the logistic-regression read-out is fitted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogregFit {
    /// The counts of the last `--logreg-window` images seen in training
    /// (learning on).
    Training,
    /// The learning-off counts of the assignment window
    /// (`--assign-window`; falls back to `training` when it is 0).
    Assignment,
}

impl LogregFit {
    pub fn as_str(self) -> &'static str {
        match self {
            LogregFit::Training => "training",
            LogregFit::Assignment => "assignment",
        }
    }

    fn parse(s: &str) -> Option<LogregFit> {
        match s {
            "training" => Some(LogregFit::Training),
            "assignment" => Some(LogregFit::Assignment),
            _ => None,
        }
    }
}

/// Default of `--logreg-fit`: on the same validation splits the regression
/// fitted on the learning-off window scored 1.1 points above the one fitted
/// on the last 10,000 training counts (85.6 vs 84.5 %, 86.8 vs 85.7 %).
pub const DEFAULT_LOGREG_FIT: LogregFit = LogregFit::Assignment;

/// Every parameter of a run (stored in checkpoints).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct RunParams {
    pub spec: ModelSpec,
    pub epochs: usize,
    pub n_train: Option<usize>,
    pub n_test: Option<usize>,
    pub validation: usize,
    pub update_interval: usize,
    pub logreg_window: usize,
    /// Last training images shown again with learning off to assign labels
    /// (0: the class rates accumulated during training).
    pub assign_window: usize,
    pub logreg_fit: LogregFit,
    pub checkpoint_every: usize,
    /// `--eval-block` as given (`None`: the model's default), kept so that
    /// a resumed run labels and tests as the run it continues.
    pub eval_block: Option<usize>,
    /// `--closed-form-rest`: the paper model's learning-off images end
    /// their rest in closed form.
    pub closed_form_rest: bool,
    /// `--order`: the order of the training images in each epoch.
    pub order: ImageOrder,
}

impl RunParams {
    pub fn to_json(&self) -> Value {
        json!({
            "model": self.spec.to_json(),
            "epochs": self.epochs,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "validation": self.validation,
            "update_interval": self.update_interval,
            "logreg_window": self.logreg_window,
            "assign_window": self.assign_window,
            "logreg_fit": self.logreg_fit.as_str(),
            "checkpoint_every": self.checkpoint_every,
            "eval_block": self.eval_block,
            "closed_form_rest": self.closed_form_rest,
            "order": self.order.as_str(),
        })
    }

    pub fn from_json(v: &Value) -> Result<RunParams> {
        let u = |k: &str| -> Result<usize> {
            v[k].as_u64()
                .map(|x| x as usize)
                .with_context(|| format!("checkpoint parameters lack {k:?}"))
        };
        let logreg_fit = logreg_fit_of(v)?;
        let order = order_of(v)?;
        let p = RunParams {
            spec: ModelSpec::from_json(&v["model"])?,
            epochs: u("epochs")?,
            n_train: v["n_train"].as_u64().map(|x| x as usize),
            n_test: v["n_test"].as_u64().map(|x| x as usize),
            validation: u("validation")?,
            update_interval: u("update_interval")?,
            logreg_window: u("logreg_window")?,
            assign_window: v["assign_window"].as_u64().unwrap_or(0) as usize,
            logreg_fit,
            checkpoint_every: u("checkpoint_every")?,
            // Absent in checkpoints written before it was kept: the default.
            eval_block: v["eval_block"].as_u64().map(|x| x as usize),
            closed_form_rest: v["closed_form_rest"].as_bool().unwrap_or(false),
            order,
        };
        if p.update_interval == 0 {
            bail!("checkpoint parameters: update_interval is 0");
        }
        Ok(p)
    }
}

/// The read-out fit recorded in a checkpoint's parameters `v`.
fn logreg_fit_of(v: &Value) -> Result<LogregFit> {
    // Checkpoints older than the learning-off assignment assigned labels
    // from the training rates and fitted the regression on training
    // counts: an absent key means exactly that.
    stored_choice(v, "logreg_fit", LogregFit::Training, LogregFit::parse)
}

/// The image order recorded in a checkpoint's parameters `v`.
pub(super) fn order_of(v: &Value) -> Result<ImageOrder> {
    // Checkpoints older than `--order` were shuffled.
    stored_choice(v, "order", ImageOrder::Shuffled, ImageOrder::parse)
}

/// The choice stored under `key` in checkpoint parameters `v`, spelled as
/// `parse` reads it; `absent` when the key is missing (a checkpoint older
/// than the option), an error when it holds anything else.
fn stored_choice<T>(v: &Value, key: &str, absent: T, parse: fn(&str) -> Option<T>) -> Result<T> {
    match &v[key] {
        Value::Null => Ok(absent),
        x => x
            .as_str()
            .and_then(parse)
            .with_context(|| format!("checkpoint parameters: bad {key} {x}")),
    }
}

/// The run's parameters, the checkpoint it resumes (if any) and its output
/// folder.
pub(super) fn resolve(a: &Args) -> Result<(RunParams, Option<Loaded>, PathBuf)> {
    let (params, resumed, out) = match &a.resume {
        Some(dir) => {
            let finished = || {
                let from = super::state::last_epoch_end(dir).map_or_else(
                    || format!("{}/checkpoints/ckpt-N", dir.display()),
                    |p| p.display().to_string(),
                );
                anyhow::anyhow!(
                    "{} is a finished run; evaluate it with `spikeflow eval --model-dir {}`, or \
                     train it for more epochs from the checkpoint of an epoch's end \
                     (--resume {from} --epochs M)",
                    dir.display(),
                    dir.display(),
                )
            };
            if super::state::is_finished(dir) {
                return Err(finished());
            }
            let ck = checkpoint::locate(dir, false)?;
            let l = checkpoint::read_checkpoint(&ck)?;
            if l.meta["position"]["done"].as_bool() == Some(true) {
                return Err(finished());
            }
            let mut params = RunParams::from_json(&l.meta["params"])?;
            check_resume_flags(a, &params)?;
            // More epochs go on from where the checkpoint is, as a run
            // started with them would (each epoch's order depends only on
            // the seed and the epoch's index).
            params.epochs = a.epochs.unwrap_or(params.epochs);
            // Learning-off blocks do not change training: may be changed.
            params.eval_block = a.eval_block.or(params.eval_block);
            params.closed_form_rest |= a.closed_form_rest;
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
            )?
            .with_closed_form_training_rest(a.closed_form_training_rest)?
            .with_euler_limit(a.euler_limit)?;
            let params = RunParams {
                epochs: a.epochs.unwrap_or(1),
                n_train: a.n_train,
                n_test: a.n_test,
                validation: a.validation.unwrap_or(0),
                update_interval: a.update_interval.unwrap_or(250),
                logreg_window: a.logreg_window.unwrap_or(10_000),
                assign_window: a.assign_window.unwrap_or(DEFAULT_ASSIGN_WINDOW),
                logreg_fit: a.logreg_fit.unwrap_or(DEFAULT_LOGREG_FIT),
                checkpoint_every: a.checkpoint_every.unwrap_or(5000),
                eval_block: a.eval_block,
                closed_form_rest: a.closed_form_rest,
                order: a.order.unwrap_or(ImageOrder::Shuffled),
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
    Ok((params, resumed, out))
}

/// With `--resume`, flags that would change the run must agree with the
/// checkpoint (or be left out).
fn check_resume_flags(a: &Args, p: &RunParams) -> Result<()> {
    let s = &p.spec;
    let mut bad = Vec::new();
    if let Some(e) = a.epochs.filter(|&e| e < p.epochs) {
        bad.push(format!(
            "--epochs {e} (the run has {}; more may be given, not fewer)",
            p.epochs
        ));
    }
    let mut cmp = |flag: &str, given: Option<String>, have: String| {
        if let Some(g) = given {
            if g != have {
                bad.push(format!("{flag} {g} (the run has {have})"));
            }
        }
    };
    let opt = |x: Option<usize>| x.map_or_else(|| "None".to_string(), |x| x.to_string());
    let st = |x: &dyn ToString| Some(x.to_string());
    cmp(
        "--model",
        a.model.map(|m| m.as_str().into()),
        s.model.as_str().into(),
    );
    cmp(
        "--neurons",
        a.neurons.and_then(|x| st(&x)),
        s.neurons.to_string(),
    );
    cmp("--time", a.time.and_then(|x| st(&x)), s.time_ms.to_string());
    cmp("--dt", a.dt.and_then(|x| st(&x)), s.dt.to_string());
    cmp(
        "--intensity",
        a.intensity.and_then(|x| st(&x)),
        s.intensity.to_string(),
    );
    cmp("--inh", a.inh.and_then(|x| st(&x)), s.inh.to_string());
    cmp("--seed", a.seed.and_then(|x| st(&x)), s.seed.to_string());
    cmp("--batch", a.batch.and_then(|x| st(&x)), s.batch.to_string());
    cmp(
        "--euler-limit",
        a.euler_limit
            .filter(|_| s.model.is_paper())
            .and_then(|x| st(&x)),
        s.euler_limit.to_string(),
    );
    cmp(
        "--validation",
        a.validation.and_then(|x| st(&x)),
        p.validation.to_string(),
    );
    cmp(
        "--update-interval",
        a.update_interval.and_then(|x| st(&x)),
        p.update_interval.to_string(),
    );
    cmp(
        "--logreg-window",
        a.logreg_window.and_then(|x| st(&x)),
        p.logreg_window.to_string(),
    );
    cmp(
        "--assign-window",
        a.assign_window.and_then(|x| st(&x)),
        p.assign_window.to_string(),
    );
    cmp(
        "--logreg-fit",
        a.logreg_fit.map(|x| x.as_str().into()),
        p.logreg_fit.as_str().into(),
    );
    cmp(
        "--checkpoint-every",
        a.checkpoint_every.and_then(|x| st(&x)),
        p.checkpoint_every.to_string(),
    );
    cmp(
        "--order",
        a.order.map(|x| x.as_str().into()),
        p.order.as_str().into(),
    );
    cmp("--n-train", a.n_train.and_then(|x| st(&x)), opt(p.n_train));
    cmp("--n-test", a.n_test.and_then(|x| st(&x)), opt(p.n_test));
    if a.euler_limit.is_some() && !s.model.is_paper() {
        bad.push("--euler-limit (only the paper model has it)".into());
    }
    if a.closed_form_training_rest && !s.closed_form_training_rest {
        bad.push("--closed-form-training-rest (the run steps its training rest)".into());
    }
    if !bad.is_empty() {
        bail!(
            "--resume continues a run with its own parameters; these flags differ: {}",
            bad.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_choices_default_when_absent_and_refuse_strangers() {
        let fit = |v: Value| logreg_fit_of(&v);
        assert_eq!(fit(json!({})).unwrap(), LogregFit::Training);
        assert_eq!(
            fit(json!({"logreg_fit": "assignment"})).unwrap(),
            LogregFit::Assignment
        );
        let err = fit(json!({"logreg_fit": "both"})).unwrap_err().to_string();
        assert!(err.contains("bad logreg_fit"), "{err}");
        assert!(fit(json!({"logreg_fit": 1})).is_err());
        assert_eq!(order_of(&json!({})).unwrap(), ImageOrder::Shuffled);
        assert_eq!(
            order_of(&json!({"order": "dataset"})).unwrap(),
            ImageOrder::Dataset
        );
        let err = order_of(&json!({"order": "sorted"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad order"), "{err}");
    }
}
