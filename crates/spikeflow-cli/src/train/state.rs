//! Where training stands, and its checkpoints: the network snapshot, the
//! generators, the class rates, the recorded spike counts and the history,
//! written atomically and read back with checks.

use super::params::RunParams;
use super::N_LABELS;
use crate::checkpoint::{self, Array, Arrays, Loaded};
use crate::model_choice::ModelSpec;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use spikeflow::models::Presenter;
use spikeflow::rng::Rng;
use spikeflow::Snapshot;
use std::fs;
use std::path::{Path, PathBuf};

/// One point of the running accuracy.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Point {
    pub samples: u64,
    pub all_activity: f64,
    pub proportion_weighting: f64,
}

impl Point {
    pub fn to_json(&self) -> Value {
        json!({"samples": self.samples, "all_activity": self.all_activity, "proportion_weighting": self.proportion_weighting})
    }
}

/// Where training stands (all of it is checkpointed).
#[derive(Default)]
pub(super) struct State {
    pub epoch: usize,
    pub pos: usize,
    pub seen: u64,
    /// Class rates accumulated over training (α = 1).
    pub rates: Option<Vec<f32>>,
    pub interval_counts: Vec<f32>,
    pub interval_labels: Vec<u8>,
    /// Training counts of the last `--logreg-window` images.
    pub window_counts: Vec<f32>,
    pub window_labels: Vec<u8>,
    pub history: Vec<Point>,
    pub train_seconds: f64,
    pub train_spikes: f64,
}

/// What every checkpoint of a run records besides the state.
pub(super) struct RunInfo<'a> {
    pub params: &'a RunParams,
    pub data_dir: &'a Path,
    pub fingerprint: u32,
    pub total: u64,
}

impl RunInfo<'_> {
    /// The checkpoint metadata of `st` (`done`: the finished model).
    pub fn meta(&self, st: &State, p: &dyn Presenter, done: bool) -> Value {
        json!({
            "format": checkpoint::FORMAT,
            "version": checkpoint::VERSION,
            "spikeflow": env!("CARGO_PKG_VERSION"),
            "model_name": self.params.spec.model.as_str(),
            "params": self.params.to_json(),
            "data_dir": self.data_dir.display().to_string(),
            "data_fingerprint": self.fingerprint,
            "position": {"epoch": st.epoch, "index_in_epoch": st.pos, "samples": st.seen, "total": self.total, "done": done},
            "encoder_rng": rng_hex(p.encoder_rng().state()),
            "network_rng": rng_hex(p.network().snapshot().rng),
            "history": st.history.iter().map(Point::to_json).collect::<Vec<_>>(),
            "train_seconds": st.train_seconds,
            "train_spikes": st.train_spikes,
        })
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

/// The arrays of a checkpoint: the network and the training state.
pub(super) fn state_arrays(st: &State, p: &dyn Presenter) -> Arrays {
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

/// Writes `ckpt-<seen>` under `dir`, points `LATEST` at it and keeps the
/// two newest checkpoints, and those written at the end of an epoch (of
/// `per_epoch` images): `spikeflow eval --assign-window` measures each
/// epoch's accuracy on them.
pub(super) fn save_checkpoint(
    dir: &Path,
    meta: &Value,
    st: &State,
    p: &dyn Presenter,
    per_epoch: usize,
) -> Result<()> {
    let name = format!("ckpt-{:09}", st.seen);
    let dest = dir.join(&name);
    let latest = dir.join("LATEST");
    // Checkpoints of other steps that a killed writer left half-written.
    checkpoint::remove_stale_temps(dir, ".tmp-ckpt-")?;
    let current = fs::read_to_string(&latest).unwrap_or_default();
    if dest.exists() && current.trim() != name {
        // Left by a run killed before it updated LATEST: not the good one.
        fs::remove_dir_all(&dest)
            .with_context(|| format!("cannot remove stale {}", dest.display()))?;
    }
    checkpoint::write_checkpoint(&dest, meta, &state_arrays(st, p))?;
    checkpoint::write_atomic(&latest, format!("{name}\n").as_bytes())?;
    let mut all: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("ckpt-"))
        .collect();
    all.sort();
    let epoch_end = |name: &str| {
        name.strip_prefix("ckpt-")
            .and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|seen| seen > 0 && seen % per_epoch as u64 == 0)
    };
    if all.len() > 2 {
        for old in all[..all.len() - 2].iter().filter(|n| !epoch_end(n)) {
            let _ = fs::remove_dir_all(dir.join(old));
        }
    }
    Ok(())
}

/// The training state of a checkpoint (for `n` read-out neurons).
pub(super) fn load_state(l: &Loaded, n: usize) -> Result<State> {
    let mut st = State::default();
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
    Ok(st)
}

/// The file a run writes last: a run is finished once it exists next to
/// `model/`. A run stopped after writing `model/` but before this file (its
/// pictures and accuracies missing) is unfinished and resumes from its
/// latest checkpoint.
pub(super) const SUMMARY: &str = "summary.json";

/// Whether the run in `out` is finished: `model/` and `summary.json`.
pub(super) fn is_finished(out: &Path) -> bool {
    out.join("model").join(checkpoint::META).is_file() && out.join(SUMMARY).is_file()
}

/// The newest checkpoint in `run`'s folder written at an epoch's end (from
/// which a finished run trains on for more epochs), if any.
pub(super) fn last_epoch_end(run: &Path) -> Option<PathBuf> {
    let dir = run.join("checkpoints");
    let mut ends: Vec<(u64, PathBuf)> = fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let meta = checkpoint::read_meta(&p).ok()?;
            Some((checkpoint::epoch_end_samples(&meta)?, p))
        })
        .collect();
    ends.sort();
    ends.pop().map(|(_, p)| p)
}

/// Resuming from `from`, a checkpoint in `out`'s own folder: the run goes on
/// from there, so what was written after it belongs to the past (a run
/// resumed from an earlier checkpoint, or a finished one given more epochs)
/// and is replaced as the run reaches it. `LATEST` names `from` first (a
/// kill from here on resumes from it); later checkpoints go (they would
/// crowd out the new ones, which are kept newest-two); a finished run's
/// summary goes (the run is unfinished again; its model stays until the
/// new one replaces it). Returns what went, for the log.
pub(super) fn rewind_to(out: &Path, from: &Path, seen: u64) -> Result<Vec<String>> {
    let ck = out.join("checkpoints");
    let (Some(name), Some(parent)) = (from.file_name(), from.parent()) else {
        return Ok(Vec::new());
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(parent, &ck) {
        return Ok(Vec::new());
    }
    let name = name.to_string_lossy();
    let latest = ck.join("LATEST");
    if fs::read_to_string(&latest).unwrap_or_default().trim() != name {
        checkpoint::write_atomic(&latest, format!("{name}\n").as_bytes())?;
    }
    let mut gone = Vec::new();
    let mut later: Vec<String> = fs::read_dir(&ck)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| {
            f.strip_prefix("ckpt-")
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|k| k > seen)
        })
        .collect();
    later.sort();
    for f in later {
        let p = ck.join(&f);
        fs::remove_dir_all(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        gone.push(format!("checkpoints/{f}"));
    }
    let summary = out.join(SUMMARY);
    if summary.is_file() {
        fs::remove_file(&summary)
            .with_context(|| format!("cannot remove {}", summary.display()))?;
        gone.push(SUMMARY.to_string());
    }
    Ok(gone)
}

/// A fresh run may replace a finished run in `out`, but not an unfinished
/// one (unless `--overwrite`).
pub(super) fn prepare_out(out: &Path, overwrite: bool) -> Result<()> {
    let ck = out.join("checkpoints");
    let unfinished = ck.join("LATEST").is_file() && !is_finished(out);
    if unfinished && !overwrite {
        bail!(
            "{} holds an unfinished run: continue it with --resume {}, or pass --overwrite to start afresh",
            out.display(),
            out.display()
        );
    }
    // The old summary first: with a new model/ it would mark this run
    // finished.
    let summary = out.join(SUMMARY);
    if summary.exists() {
        fs::remove_file(&summary).with_context(|| format!("cannot clear {}", summary.display()))?;
    }
    for d in [ck, out.join("model")] {
        if d.exists() {
            fs::remove_dir_all(&d).with_context(|| format!("cannot clear {}", d.display()))?;
        }
    }
    Ok(())
}
