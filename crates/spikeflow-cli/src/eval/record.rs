//! What `spikeflow eval` measured on one checkpoint, kept in the checkpoint's
//! folder (`eval-<split>.json`), so that `--each-epoch` draws a long run's
//! curve from the epochs already evaluated instead of labelling each again
//! (at 6400 neurons, labelling from the 60,000 training images takes
//! ~13 minutes per epoch).
//!
//! A record is used only when everything that decides the figures is the
//! same: the checkpoint's state (the CRC-32 of its arrays), the split's
//! images (their CRC-32 and number), the labelling window and the block size.
//! Not the code: `eval --each-epoch --fresh` evaluates again after an
//! upgrade that changes how a model is evaluated.

use crate::train::crc_of_split;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use spikeflow::datasets::{Dataset, Split};
use spikeflow::evaluation::ConfusionMatrix;
use std::path::{Path, PathBuf};

const FORMAT: &str = "spikeflow-eval";

/// What decides an evaluation's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The checkpoint's arrays (`arrays.crc32` of its `checkpoint.json`).
    pub checkpoint_crc32: u64,
    pub split: String,
    pub images: usize,
    /// The split's images and labels.
    pub split_crc32: u32,
    /// `--assign-window` (none: the saved read-out).
    pub assign_window: Option<usize>,
    pub eval_block: usize,
    /// `--closed-form-rest`.
    pub closed_form_rest: bool,
}

impl Settings {
    /// The settings of an evaluation on `split` of the checkpoint whose
    /// metadata is `meta`.
    pub fn new(
        meta: &Value,
        split: &Split<'_>,
        assign_window: Option<usize>,
        eval_block: usize,
        closed_form_rest: bool,
    ) -> Settings {
        Settings {
            checkpoint_crc32: meta["arrays"]["crc32"].as_u64().unwrap_or(0),
            split: split.name().to_string(),
            images: split.len(),
            split_crc32: crc_of_split(split),
            assign_window,
            eval_block,
            closed_form_rest,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "checkpoint_crc32": self.checkpoint_crc32,
            "split": self.split,
            "images": self.images,
            "split_crc32": self.split_crc32,
            "assign_window": self.assign_window,
            "eval_block": self.eval_block,
            "closed_form_rest": self.closed_form_rest,
        })
    }

    fn from_json(v: &Value) -> Option<Settings> {
        Some(Settings {
            checkpoint_crc32: v["checkpoint_crc32"].as_u64()?,
            split: v["split"].as_str()?.to_string(),
            images: usize::try_from(v["images"].as_u64()?).ok()?,
            split_crc32: u32::try_from(v["split_crc32"].as_u64()?).ok()?,
            assign_window: match &v["assign_window"] {
                Value::Null => None,
                w => Some(usize::try_from(w.as_u64()?).ok()?),
            },
            eval_block: usize::try_from(v["eval_block"].as_u64()?).ok()?,
            // Absent in records written before it existed: stepped.
            closed_form_rest: v["closed_form_rest"].as_bool().unwrap_or(false),
        })
    }
}

/// One read-out's result.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadoutResult {
    pub name: String,
    pub accuracy: f64,
}

/// One checkpoint's evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub settings: Settings,
    /// Epochs done and training images seen when the checkpoint was saved.
    pub epoch: u64,
    pub training_images: u64,
    pub seconds: f64,
    pub spikes_per_image: f64,
    pub readouts: Vec<ReadoutResult>,
}

/// The record's file in checkpoint folder `dir`.
pub fn path(dir: &Path, split: &str) -> PathBuf {
    dir.join(format!("eval-{split}.json"))
}

impl Record {
    /// The record of an evaluation with `settings` of the checkpoint whose
    /// metadata is `meta`, from each read-out's confusion matrix.
    pub fn new(
        settings: Settings,
        meta: &Value,
        seconds: f64,
        spikes_per_image: f64,
        ev: &[(&'static str, ConfusionMatrix)],
    ) -> Record {
        let pos = &meta["position"];
        Record {
            settings,
            epoch: pos["epoch"].as_u64().unwrap_or(0),
            training_images: pos["samples"].as_u64().unwrap_or(0),
            seconds,
            spikes_per_image,
            readouts: ev
                .iter()
                .map(|(k, cm)| ReadoutResult {
                    name: (*k).to_string(),
                    accuracy: cm.accuracy(),
                })
                .collect(),
        }
    }

    fn to_json(&self, confusion: &[(&str, ConfusionMatrix)]) -> Value {
        let readouts: Vec<Value> = self
            .readouts
            .iter()
            .map(|r| {
                let cm = confusion.iter().find(|(k, _)| *k == r.name).map(|(_, cm)| {
                    let n = cm.n_labels();
                    json!({
                        "counts": (0..n)
                            .map(|t| (0..n).map(|p| cm.count(t, p)).collect::<Vec<_>>())
                            .collect::<Vec<_>>(),
                        "unpredicted": (0..n).map(|t| cm.unpredicted(t)).collect::<Vec<_>>(),
                    })
                });
                json!({"name": r.name, "accuracy": r.accuracy, "confusion": cm})
            })
            .collect();
        json!({
            "settings": self.settings.to_json(),
            "epoch": self.epoch,
            "training_images": self.training_images,
            "seconds": self.seconds,
            "spikes_per_image": self.spikes_per_image,
            "readouts": readouts,
        })
    }

    fn from_json(v: &Value) -> Option<Record> {
        let readouts = v["readouts"]
            .as_array()?
            .iter()
            .map(|r| {
                Some(ReadoutResult {
                    name: r["name"].as_str()?.to_string(),
                    accuracy: r["accuracy"].as_f64()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Record {
            settings: Settings::from_json(&v["settings"])?,
            epoch: v["epoch"].as_u64()?,
            training_images: v["training_images"].as_u64()?,
            seconds: v["seconds"].as_f64()?,
            spikes_per_image: v["spikes_per_image"].as_f64()?,
            readouts,
        })
    }

    /// Keeps the record, with each read-out's confusion matrix, in `dir`'s
    /// file of its split: beside the records of other settings, in place of
    /// an older one of the same settings.
    pub fn write(&self, dir: &Path, confusion: &[(&str, ConfusionMatrix)]) -> Result<PathBuf> {
        let p = path(dir, &self.settings.split);
        let mut records: Vec<Value> = read(&p)
            .into_iter()
            .filter(|v| Settings::from_json(&v["settings"]).as_ref() != Some(&self.settings))
            .collect();
        records.push(self.to_json(confusion));
        let v = json!({"format": FORMAT, "records": records});
        crate::checkpoint::write_atomic(&p, (serde_json::to_string_pretty(&v)? + "\n").as_bytes())
            .with_context(|| format!("cannot write {}", p.display()))?;
        Ok(p)
    }

    /// The record kept in `dir` for `settings`, if there is one: `None`
    /// when there is none, or none that can be read (it is then made again).
    pub fn find(dir: &Path, settings: &Settings) -> Option<Record> {
        read(&path(dir, &settings.split))
            .iter()
            .filter_map(Record::from_json)
            .find(|r| r.settings == *settings)
    }
}

/// The records of the file at `p` (none if it is missing or damaged).
fn read(p: &Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(p) else {
        return Vec::new();
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(v) if v["format"] == FORMAT => v["records"].as_array().cloned().unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            settings: Settings {
                checkpoint_crc32: 1465874659,
                split: "test".into(),
                images: 10,
                split_crc32: 7,
                assign_window: Some(60000),
                eval_block: 500,
                closed_form_rest: false,
            },
            epoch: 5,
            training_images: 300000,
            seconds: 1.5,
            spikes_per_image: 20.25,
            readouts: vec![ReadoutResult {
                name: "all_activity".into(),
                accuracy: 0.9468,
            }],
        }
    }

    #[test]
    fn a_record_is_found_only_with_its_own_settings() {
        let dir =
            std::env::temp_dir().join(format!("spikeflow-eval-record-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let r = record();
        let mut cm = ConfusionMatrix::new(10).unwrap();
        cm.add(3, 3).unwrap();
        r.write(&dir, &[("all_activity", cm.clone())]).unwrap();
        assert_eq!(Record::find(&dir, &r.settings), Some(r.clone()));
        for other in [
            Settings {
                checkpoint_crc32: 1,
                ..r.settings.clone()
            },
            Settings {
                images: 9,
                ..r.settings.clone()
            },
            Settings {
                split_crc32: 8,
                ..r.settings.clone()
            },
            Settings {
                assign_window: None,
                ..r.settings.clone()
            },
            Settings {
                eval_block: 0,
                closed_form_rest: false,
                ..r.settings.clone()
            },
        ] {
            assert_eq!(Record::find(&dir, &other), None, "{other:?}");
        }
        // Another window's record is kept beside it, and a record of the
        // same settings replaces the older one.
        let mut saved = r.clone();
        saved.settings.assign_window = None;
        saved.write(&dir, &[]).unwrap();
        let mut newer = r.clone();
        newer.seconds = 2.5;
        newer.write(&dir, &[("all_activity", cm)]).unwrap();
        assert_eq!(Record::find(&dir, &saved.settings), Some(saved));
        assert_eq!(Record::find(&dir, &r.settings), Some(newer));
        let text = std::fs::read_to_string(path(&dir, "test")).unwrap();
        assert_eq!(text.matches("\"settings\"").count(), 2, "{text}");
        // A damaged record is not used.
        std::fs::write(path(&dir, "test"), "{").unwrap();
        assert_eq!(Record::find(&dir, &r.settings), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
