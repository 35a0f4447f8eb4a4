//! What a run shows and leaves behind: progress bars, the pictures
//! (receptive fields, accuracy curve, spike raster, confusion matrix) and
//! `summary.json`.

use super::params::RunParams;
use super::state::{Point, State, SUMMARY};
use crate::accuracy::counts_with_interval;
use crate::model_choice::ModelSpec;
use crate::plots;
use anyhow::Result;
use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::{json, Value};
use spikeflow::datasets::{Dataset, Split};
use spikeflow::evaluation::ConfusionMatrix;
use spikeflow::models::Presenter;
use spikeflow::Snapshot;
use std::path::Path;

/// The progress bars' style: `{rate}` is the images per second rounded to
/// what the eye can use ([`format_rate`]; indicatif's `{per_sec}` prints
/// four decimals, `1,020.9713/s`).
pub(crate) fn bar_style(msg: bool) -> ProgressStyle {
    let t = if msg {
        "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {rate} ETA {eta} {msg}"
    } else {
        "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {rate} ETA {eta}"
    };
    ProgressStyle::with_template(t)
        .expect("valid template")
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&format_rate(s.per_sec()));
        })
}

/// A rate per second with three significant digits, and whole numbers (with
/// thousands separators) from 100 up: `1,021/s`, `35.2/s`, `3.46/s`.
pub(crate) fn format_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec < 0.0 {
        "-/s".to_string()
    } else if per_sec >= 99.5 {
        format!("{}/s", HumanCount(per_sec.round() as u64))
    } else if per_sec >= 9.995 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.2}/s")
    }
}

/// A progress bar of `len` images (hidden unless `tty`).
pub(super) fn bar(len: usize, prefix: &'static str, tty: bool) -> ProgressBar {
    let b = if tty {
        ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    b.set_style(bar_style(false));
    b.set_prefix(prefix);
    b
}

pub(super) fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// One line of accuracies with their 95 % intervals, e.g. `all_activity
/// 80.00% (76.27–83.27%), …` (400 of 500).
pub(super) fn accuracies_line(ev: &[(&'static str, ConfusionMatrix)]) -> String {
    ev.iter()
        .map(|(k, cm)| format!("{k} {}", counts_with_interval(cm.correct(), cm.total())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the pictures into `out` and returns their file names.
#[allow(clippy::too_many_arguments)]
pub(super) fn pictures(
    out: &Path,
    spec: &ModelSpec,
    params: &RunParams,
    presenter: &dyn Presenter,
    n: usize,
    history: &[Point],
    sample: &Split<'_>,
    final_snapshot: &Snapshot,
    test_cm: Option<&(&'static str, ConfusionMatrix)>,
) -> Result<Vec<&'static str>> {
    let mut pictures = Vec::new();
    // BindsNET's dense [784, n] layout whatever the topology (local
    // connections store one value per synapse).
    let w = presenter
        .network()
        .weights_tensor(presenter.input_connection())?;
    plots::receptive_fields(&out.join("receptive_fields.png"), w.data(), n, 28)?;
    pictures.push("receptive_fields.png");
    let series = |name, f: fn(&Point) -> f64| plots::Series {
        name,
        points: history.iter().map(|h| (h.samples as f64, f(h))).collect(),
        bars: Vec::new(),
    };
    plots::accuracy_curve(
        &out.join("accuracy.png"),
        &format!(
            "{} ({} neurons): accuracy of the last {} training images",
            spec.model.as_str(),
            spec.neurons,
            params.update_interval
        ),
        &[
            series("all activity", |h| h.all_activity),
            series("proportion weighting", |h| h.proportion_weighting),
        ],
    )?;
    pictures.push("accuracy.png");
    let mut rec = spec.build()?;
    rec.network_mut().restore(final_snapshot)?;
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
    if let Some((k, cm)) = test_cm {
        plots::confusion(
            &out.join("confusion_test.png"),
            &format!("test set, {k}"),
            cm,
        )?;
        pictures.push("confusion_test.png");
    }
    Ok(pictures)
}

/// What `summary.json` reports besides the parameters and the state.
pub(super) struct Summary<'a> {
    pub params: &'a RunParams,
    pub data_dir: &'a Path,
    pub per_epoch: usize,
    pub assigned_neurons: Option<usize>,
    /// Which assignment and regression fit the run used.
    pub assignment: Value,
    pub readouts: Value,
    pub results: serde_json::Map<String, Value>,
    pub assign_sweep: Option<Vec<Value>>,
    pub pictures: &'a [&'static str],
    pub wall_seconds: f64,
}

/// Writes `out/summary.json`.
pub(super) fn write_summary(out: &Path, s: Summary<'_>, st: &State) -> Result<()> {
    let spb = st.train_seconds / st.seen.max(1) as f64;
    let mut summary = json!({
        "model": s.params.spec.model.as_str(),
        "params": s.params.to_json(),
        "data_dir": s.data_dir.display().to_string(),
        "train": {
            "images_per_epoch": s.per_epoch,
            "images_seen": st.seen,
            "seconds": st.train_seconds,
            "seconds_per_image": spb,
            "readout_spikes_per_image": st.train_spikes / st.seen.max(1) as f64,
            "final_running_accuracy": st.history.last().map(|h| json!({"all_activity": h.all_activity, "proportion_weighting": h.proportion_weighting})),
            "assigned_neurons": s.assigned_neurons,
            "history": st.history.iter().map(Point::to_json).collect::<Vec<_>>(),
        },
        "assignment": s.assignment,
        "results": Value::Object(s.results),
        "readouts": s.readouts,
        "pictures": s.pictures,
        "model_dir": "model",
        "threads": rayon::current_num_threads(),
        "wall_seconds_this_process": s.wall_seconds,
    });
    if let Some(sw) = s.assign_sweep {
        summary["assign_sweep"] = json!({
            "note": "validation accuracy for each candidate --assign-window (tails of one learning-off presentation of the last training images, on a copy of the trained network)",
            "results": sw,
        });
    }
    // Atomically: its presence marks the run finished.
    crate::checkpoint::write_atomic(
        &out.join(SUMMARY),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::format_rate;

    #[test]
    fn rates_are_rounded_to_three_significant_digits() {
        assert_eq!(format_rate(1020.9713), "1,021/s");
        assert_eq!(format_rate(123_456.5), "123,457/s");
        assert_eq!(format_rate(99.96), "100/s");
        assert_eq!(format_rate(35.2449), "35.2/s");
        assert_eq!(format_rate(9.996), "10.0/s");
        assert_eq!(format_rate(3.4567), "3.46/s");
        assert_eq!(format_rate(0.0), "0.00/s");
        assert_eq!(format_rate(f64::NAN), "-/s");
    }
}
