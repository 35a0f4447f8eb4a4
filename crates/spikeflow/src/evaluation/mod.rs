//! Reading out what a network learned: label assignment, classifiers, confusion matrices.
//!
//! Everything here works on plain row-major `f32` slices so that callers can
//! pass what they have: spike **counts** per sample, `c[s, n] = Σ_t spikes[s, t, n]`
//! laid out `[n_samples × n_neurons]`, or, for the n-gram classifier, whole
//! spike records `[n_samples × time × n_neurons]` (a spike is any non-zero
//! value). Labels are `u8` below `n_labels`; predictions are `i32`, with
//! [`NO_PREDICTION`] (−1) where a classifier has nothing to go on.
//!
//! # Label assignment ([`assign_labels`], BindsNET §9.1)
//!
//! With `m_i` the number of samples of label `i` in this call, for each label
//! present (`m_i > 0`):
//!
//! ```text
//! rates[n, i] ← α · rates[n, i] + (Σ_{s: label_s = i} c[s, n]) / m_i
//! ```
//!
//! (labels absent from the call keep their old rate, undecayed), then
//!
//! ```text
//! proportions[n, i] = rates[n, i] / Σ_k rates[n, k]     (0 for a silent neuron)
//! assignments[n]    = argmax_i proportions[n, i]         (ties → lowest label)
//! ```
//!
//! A *silent* neuron (all rates zero) is assigned −1 and votes for no class;
//! BindsNET 0.3.3 assigns it class 0 (issue #736).
//!
//! # Classification ([`all_activity`], [`proportion_weighting`], §9.2–9.3)
//!
//! With `k_i` the number of neurons assigned label `i`:
//!
//! ```text
//! all_activity:          score[s, i] = (Σ_{n: a_n = i} c[s, n]) / k_i
//! proportion_weighting:  score[s, i] = (Σ_{n: a_n = i} proportions[n, i] · c[s, n]) / k_i
//! prediction[s]          = argmax_i score[s, i]   (ties → lowest label)
//! ```
//!
//! Labels without neurons score 0. A sample whose scores are all zero (no
//! assigned neuron fired) predicts [`NO_PREDICTION`], as in BindsNET 0.3.4.
//!
//! # n-gram classifier ([`update_ngram_scores`], [`ngram`], §9.4)
//!
//! Training counts, for every window of `n` consecutive *non-empty* time steps
//! and every choice of one firing neuron per step, `scores[(n₁…n_n)][label] += 1`.
//! Prediction flattens a sample's spikes into one sequence of neuron indices
//! (by time, then by index), sums the score vectors of **all** `len − n + 1`
//! windows of length `n` that are in the table, and predicts the arg-max
//! (BindsNET skips the last window).
//!
//! # Logistic regression ([`LogReg`], §9.5)
//!
//! Multinomial (softmax) regression on standardised counts
//! `z_j = (c_j − μ_j) / σ_j`, minimising
//!
//! ```text
//! L(W, b) = −(1/N) Σ_s log softmax(z_s W + b)[label_s] + (λ/2) ‖W‖²
//! ```
//!
//! by deterministic accelerated gradient descent (see [`LogReg`]).
//!
//! # Confusion matrix ([`ConfusionMatrix`])
//!
//! `counts[true, predicted]`, plus a column for [`NO_PREDICTION`];
//! accuracy = correct / all samples (abstentions count as wrong), recall of
//! class `i` = `counts[i, i]` / samples of class `i`.
//!
//! # How sure an accuracy is ([`wilson_interval`])
//!
//! The 95 % score interval of `correct` out of `total` test samples: the
//! spread that drawing other test images would give, not other training runs.

mod assign;
mod classify;
mod confusion;
mod interval;
mod logreg;
mod ngram;

pub use assign::{assign_labels, Assignment};
pub use classify::{all_activity, proportion_weighting};
pub use confusion::ConfusionMatrix;
pub use interval::{wilson_interval, Z_95};
pub use logreg::{LogReg, LogRegOptions};
pub use ngram::{ngram, update_ngram_scores, NgramScores};

use crate::{Error, Result};

/// The prediction of a classifier that has no evidence for any label (for
/// example a sample that made no assigned neuron fire).
pub const NO_PREDICTION: i32 = -1;

/// Largest supported number of labels (labels are `u8`).
const MAX_LABELS: usize = 256;

/// Checks `1 ≤ n_labels ≤ 256`.
fn check_n_labels(object: &str, n_labels: usize) -> Result<()> {
    if n_labels == 0 || n_labels > MAX_LABELS {
        return Err(Error::param(
            object,
            format!("n_labels must be in 1..={MAX_LABELS}, got {n_labels}"),
        ));
    }
    Ok(())
}

/// Checks that `data` holds `rows × cols` finite, non-negative values.
fn check_matrix(object: &str, what: &str, data: &[f32], rows: usize, cols: usize) -> Result<()> {
    let expected = rows
        .checked_mul(cols)
        .ok_or_else(|| Error::shape(object, format!("{what}: {rows} × {cols} overflows")))?;
    if data.len() != expected {
        return Err(Error::shape(
            object,
            format!(
                "{what} has {} values, expected {rows} × {cols} = {expected}",
                data.len()
            ),
        ));
    }
    if let Some((i, v)) = data
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return Err(Error::param(
            object,
            format!("{what} must be finite and ≥ 0, got {v} at index {i}"),
        ));
    }
    Ok(())
}

/// Checks that there is one label per sample and every label is below `n_labels`.
fn check_labels(object: &str, labels: &[u8], n_samples: usize, n_labels: usize) -> Result<()> {
    if labels.len() != n_samples {
        return Err(Error::shape(
            object,
            format!("{} labels for {n_samples} samples", labels.len()),
        ));
    }
    if let Some((i, l)) = labels
        .iter()
        .enumerate()
        .find(|(_, &l)| usize::from(l) >= n_labels)
    {
        return Err(Error::param(
            object,
            format!("label {l} at index {i} is out of range 0..{n_labels}"),
        ));
    }
    Ok(())
}

/// Index of the largest value (the lowest index among equal maxima), or
/// [`NO_PREDICTION`] if no value is > 0.
fn argmax_positive<T: PartialOrd + Copy + Default>(scores: &[T]) -> i32 {
    let mut best = NO_PREDICTION;
    let mut best_value = T::default();
    for (i, &v) in scores.iter().enumerate() {
        if v > best_value {
            best = i as i32;
            best_value = v;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_ties_and_empty() {
        assert_eq!(argmax_positive(&[0.0, 2.0, 2.0, 1.0]), 1);
        assert_eq!(argmax_positive(&[0.0f32, 0.0]), NO_PREDICTION);
        assert_eq!(argmax_positive::<f64>(&[]), NO_PREDICTION);
        assert_eq!(argmax_positive(&[3u32, 0, 3]), 0);
    }

    #[test]
    fn matrix_checks() {
        assert!(check_matrix("o", "counts", &[0.0, 1.0], 1, 2).is_ok());
        assert!(matches!(
            check_matrix("o", "counts", &[0.0], 1, 2),
            Err(Error::Shape { .. })
        ));
        assert!(check_matrix("o", "counts", &[0.0, f32::NAN], 1, 2).is_err());
        assert!(check_matrix("o", "counts", &[0.0, -1.0], 1, 2).is_err());
        assert!(check_labels("o", &[0, 2], 2, 3).is_ok());
        assert!(check_labels("o", &[0, 3], 2, 3).is_err());
        assert!(check_labels("o", &[0], 2, 3).is_err());
        assert!(check_n_labels("o", 0).is_err() && check_n_labels("o", 257).is_err());
    }
}
