//! The read-outs: spike counts with learning off, label assignment (from
//! the training rates, or from a learning-off window of training images),
//! the logistic regression, and the accuracy of each on a split.

use super::blocks::{LearningOff, Phase};
use super::N_LABELS;
use anyhow::Result;
use indicatif::ProgressBar;
use spikeflow::datasets::{Dataset, Split};
use spikeflow::evaluation::{
    all_activity, assign_labels, proportion_weighting, Assignment, ConfusionMatrix, LogReg,
    LogRegOptions,
};
use spikeflow::models::Presenter;
use std::time::Instant;

/// Counts of the read-out for the images `rows` of `data` (learning off,
/// in that order), `[rows.len() × n]`, with the wall time.
pub fn present_rows(
    p: &mut dyn Presenter,
    data: &Split<'_>,
    rows: &[usize],
    n: usize,
    bar: Option<&ProgressBar>,
) -> Result<(Vec<f32>, f64)> {
    let b = p.network().batch_size();
    let px = data.image_len();
    let mut counts = Vec::with_capacity(rows.len() * n);
    let mut images = vec![0.0f32; b * px];
    let t0 = Instant::now();
    for chunk in rows.chunks(b) {
        images.iter_mut().for_each(|x| *x = 0.0);
        for (r, &i) in chunk.iter().enumerate() {
            data.image_f32_into(i, &mut images[r * px..(r + 1) * px]);
        }
        let c = p.present(&images, false)?;
        counts.extend_from_slice(&c[..chunk.len() * n]);
        if let Some(bar) = bar {
            bar.inc(chunk.len() as u64);
        }
    }
    Ok((counts, t0.elapsed().as_secs_f64()))
}

/// The trained read-outs: label assignment and logistic regression.
pub struct Readouts {
    /// Neuron labels (`None` before the first assignment).
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
        let pred = logreg_predict(w, b, counts, n);
        out.push((
            "logistic_regression",
            ConfusionMatrix::from_predictions(labels, &pred, N_LABELS)?,
        ));
    }
    Ok(out)
}

/// Most probable class of each row of `counts` under raw coefficients.
fn logreg_predict(w: &[f64], b: &[f64], counts: &[f32], n: usize) -> Vec<i32> {
    counts
        .chunks_exact(n)
        .map(|row| {
            let mut z = b.to_vec();
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
        .collect()
}

/// The assignment that `rates` give.
pub fn assignment_from_rates(rates: &[f32], n: usize) -> Result<Assignment> {
    Ok(assign_labels(&[], 0, n, &[], N_LABELS, Some(rates), 1.0)?)
}

/// The assignment of fresh responses (`counts [labels.len() × n]`), with no
/// carried-over rates.
pub fn assignment_from_counts(counts: &[f32], labels: &[u8], n: usize) -> Result<Assignment> {
    Ok(assign_labels(
        counts,
        labels.len(),
        n,
        labels,
        N_LABELS,
        None,
        1.0,
    )?)
}

/// Logistic-regression coefficients on raw counts, fitted to `counts`.
pub fn fit_logreg(counts: &[f32], labels: &[u8], n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let m = LogReg::fit(counts, n, labels, N_LABELS, &LogRegOptions::default())?;
    Ok(m.raw_coefficients())
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

/// The last `k` training images of a run (in the order they were shown),
/// given the order of its last epoch and the images shown per epoch.
pub(super) fn last_rows(order: &[usize], per_epoch: usize, k: usize) -> Vec<usize> {
    let k = k.min(per_epoch);
    order[per_epoch - k..per_epoch].to_vec()
}

/// Learning-off spike counts of a window of training images.
pub(super) struct Window {
    pub counts: Vec<f32>,
    pub labels: Vec<u8>,
    pub seconds: f64,
}

impl Window {
    /// Presents `rows` of `data` with learning off (theta frozen), serially
    /// on `p` or in blocks as `off` says.
    pub fn present(
        off: &LearningOff<'_>,
        p: &mut dyn Presenter,
        data: &Split<'_>,
        rows: &[usize],
        n: usize,
        bar: Option<&ProgressBar>,
    ) -> Result<Window> {
        let (counts, seconds) = off.present(p, Phase::Labels, data, rows, n, bar)?;
        let labels = rows.iter().map(|&i| data.label(i)).collect();
        Ok(Window {
            counts,
            labels,
            seconds,
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// The last `k` images of the window.
    pub fn tail(&self, k: usize, n: usize) -> (&[f32], &[u8]) {
        let k = k.min(self.len());
        let s = self.len() - k;
        (&self.counts[s * n..], &self.labels[s..])
    }
}

/// Accuracy of predictions.
pub(super) fn accuracy(pred: &[i32], labels: &[u8]) -> f64 {
    pred.iter()
        .zip(labels)
        .filter(|(&p, &l)| p == i32::from(l))
        .count() as f64
        / labels.len().max(1) as f64
}

/// Validation accuracies of every candidate `--assign-window` (tuning aid):
/// each window is the tail of one learning-off presentation `w` of the last
/// training images; `val` holds the validation counts.
pub(super) fn sweep(
    w: &Window,
    windows: &[usize],
    training_rates: Option<&[f32]>,
    val_counts: &[f32],
    val_labels: &[u8],
    n: usize,
) -> Result<Vec<serde_json::Value>> {
    let m = val_labels.len();
    let mut out = Vec::new();
    if let Some(r) = training_rates {
        // The baseline: --assign-window 0.
        let a = assignment_from_rates(r, n)?;
        let aa = all_activity(val_counts, m, n, &a.assignments, N_LABELS)?;
        let pw = proportion_weighting(val_counts, m, n, &a.assignments, &a.proportions, N_LABELS)?;
        let r = serde_json::json!({
            "assign_window": 0,
            "all_activity": accuracy(&aa, val_labels),
            "proportion_weighting": accuracy(&pw, val_labels),
            "assigned_neurons": a.assignments.iter().filter(|&&x| x >= 0).count(),
        });
        eprintln!("  assign-window sweep: {r}");
        out.push(r);
    }
    for &k in windows {
        let (c, l) = w.tail(k, n);
        let a = assignment_from_counts(c, l, n)?;
        let aa = all_activity(val_counts, m, n, &a.assignments, N_LABELS)?;
        let pw = proportion_weighting(val_counts, m, n, &a.assignments, &a.proportions, N_LABELS)?;
        let t0 = Instant::now();
        let (lw, lb) = fit_logreg(c, l, n)?;
        let lr = logreg_predict(&lw, &lb, val_counts, n);
        let fit_s = t0.elapsed().as_secs_f64();
        let r = serde_json::json!({
            "assign_window": l.len(),
            "all_activity": accuracy(&aa, val_labels),
            "proportion_weighting": accuracy(&pw, val_labels),
            "logistic_regression_learning_off": accuracy(&lr, val_labels),
            "logreg_fit_seconds": fit_s,
            "assigned_neurons": a.assignments.iter().filter(|&&x| x >= 0).count(),
        });
        eprintln!("  assign-window sweep: {r}");
        out.push(r);
    }
    Ok(out)
}
