//! Checkpoints of `spikeflow rl` (`--checkpoint-every K`, `--resume`): the
//! network snapshot, the episodes' returns and lengths and the reward
//! function's state, in the folder format of `spikeflow train`
//! (`checkpoint.json` + `state.safetensors`, written atomically). Episode
//! `e` draws only from seeds derived from `(seed, e)`, so a resumed run
//! continues exactly as the uninterrupted one.

use super::{Agent, Args};
use crate::checkpoint::{crc32, decode_safetensors, write_checkpoint, Array, Arrays, ARRAYS, META};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use spikeflow::learning::MovingAvgRpe;
use spikeflow::rl::EpisodeRecorder;
use spikeflow::Snapshot;
use std::path::{Path, PathBuf};

const FORMAT: &str = "spikeflow-rl-checkpoint";

/// The settings a checkpoint must share with the run resuming it.
fn settings(a: &Args) -> Value {
    if a.spiking_q() {
        return json!({
            "task": format!("{:?}", a.task),
            "design": "spiking-q",
            "seed": a.seed,
            "frozen": a.frozen,
            "spiking_q": super::nets::spiking_q_settings(a),
        });
    }
    json!({
        "task": format!("{:?}", a.task),
        "rule": format!("{:?}", a.rule()),
        "seed": a.seed,
        "random": a.random,
        "frozen": a.frozen,
        "time": a.time(),
        "reward_steps": a.reward_steps(),
        "nu": a.nu(),
        "tc_e": a.tc_e(),
        "reward": format!("{:?}", a.reward()),
        "norm": a.norm,
    })
}

fn checkpoints(out: &Path) -> PathBuf {
    out.join("checkpoints")
}

/// Writes the checkpoint after the finished episodes, with `rpe` the
/// reward function's state (if the run uses one).
pub fn save(a: &Args, p: &dyn Agent, rpe: Option<&MovingAvgRpe>) -> Result<()> {
    let snap = p.network().snapshot();
    let rec = p.recorder();
    let meta = json!({
        "format": FORMAT,
        "version": 1,
        "episode": rec.len(),
        "settings": settings(a),
        "returns": rec.returns(),
        "lengths": rec.lengths(),
        "rpe": rpe.map(|r| json!({
            "ema_window": r.ema_window,
            "reward_predict": r.reward_predict,
            "reward_predict_episode": r.reward_predict_episode,
            "history": r.history,
        })),
        "network_rng": snap.rng.iter().map(|x| format!("{x:016x}")).collect::<Vec<_>>(),
    });
    let arrays: Arrays = snap
        .arrays
        .iter()
        .map(|(k, v)| (format!("net/{k}"), Array::f32(v.clone())))
        .collect();
    let dest = checkpoints(&a.out).join(format!("ep-{:08}", rec.len()));
    write_checkpoint(&dest, &meta, &arrays)
}

/// Reads and checks a checkpoint folder: format, arrays file length and
/// CRC-32.
fn read(dir: &Path) -> Result<(Value, Arrays)> {
    let mp = dir.join(META);
    let text =
        std::fs::read_to_string(&mp).with_context(|| format!("cannot read {}", mp.display()))?;
    let meta: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", mp.display()))?;
    if meta["format"] != FORMAT || meta["version"] != 1 {
        bail!(
            "{} is not a spikeflow rl checkpoint (version 1)",
            mp.display()
        );
    }
    let ap = dir.join(ARRAYS);
    let bytes = std::fs::read(&ap).with_context(|| format!("cannot read {}", ap.display()))?;
    if meta["arrays"]["bytes"].as_u64() != Some(bytes.len() as u64)
        || meta["arrays"]["crc32"].as_u64() != Some(u64::from(crc32(&bytes)))
    {
        bail!(
            "{} is truncated or corrupt (length or CRC-32)",
            ap.display()
        );
    }
    let arrays =
        decode_safetensors(&bytes).with_context(|| format!("{} is corrupt", ap.display()))?;
    Ok((meta, arrays))
}

/// Restores the latest checkpoint under `a.out` into `p` and returns the
/// reward function's state it saved.
pub fn load(a: &Args, p: &mut dyn Agent) -> Result<Option<MovingAvgRpe>> {
    let dir = checkpoints(&a.out);
    let latest = std::fs::read_dir(&dir)
        .with_context(|| format!("--resume: no checkpoints in {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ep-"))
        })
        .max()
        .with_context(|| format!("--resume: no checkpoints in {}", dir.display()))?;
    let (meta, arrays) = read(&latest)?;
    let m = &meta;
    if m["settings"] != settings(a) {
        bail!(
            "{}: saved with {} but this run has {}",
            latest.display(),
            m["settings"],
            settings(a)
        );
    }
    let arrays: Vec<(String, Vec<f32>)> = arrays
        .into_iter()
        .filter_map(|(k, arr)| match (k.strip_prefix("net/"), arr) {
            (Some(name), Array::F32(_, v)) => Some((name.to_string(), v)),
            _ => None,
        })
        .collect();
    let mut rng = [0u64; 4];
    let words = m["network_rng"].as_array().filter(|w| w.len() == 4);
    for (o, w) in rng
        .iter_mut()
        .zip(words.context("network_rng is not 4 words")?)
    {
        *o = u64::from_str_radix(w.as_str().unwrap_or(""), 16).context("network_rng")?;
    }
    p.network_mut().restore(&Snapshot { arrays, rng })?;
    let floats = |v: &Value| -> Vec<f32> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_f64)
                    .map(|x| x as f32)
                    .collect()
            })
            .unwrap_or_default()
    };
    let returns = floats(&m["returns"]);
    let lengths: Vec<usize> = m["lengths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|x| x as usize)
                .collect()
        })
        .unwrap_or_default();
    if returns.len() != lengths.len() || m["episode"].as_u64() != Some(returns.len() as u64) {
        bail!("{}: inconsistent episode records", latest.display());
    }
    let mut rec = EpisodeRecorder::default();
    for (r, n) in returns.into_iter().zip(lengths) {
        rec.push(r, n);
    }
    p.restore(rec);
    let rpe = m["rpe"].as_object().map(|r| MovingAvgRpe {
        ema_window: r["ema_window"].as_f64().unwrap_or(10.0) as f32,
        reward_predict: r["reward_predict"].as_f64().unwrap_or(0.0) as f32,
        reward_predict_episode: r["reward_predict_episode"].as_f64().unwrap_or(0.0) as f32,
        history: floats(&r["history"]),
    });
    Ok(rpe)
}
