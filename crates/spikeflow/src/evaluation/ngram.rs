//! The n-gram classifier: label statistics of short firing sequences.

use std::collections::HashMap;

use super::{argmax_positive, check_labels, check_n_labels};
use crate::{Error, Result};

/// Label counts of firing sequences of length `n` (neuron indices), filled by
/// [`update_ngram_scores`] and read by [`ngram`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgramScores {
    n: usize,
    n_labels: usize,
    table: HashMap<Vec<u32>, Vec<u32>>,
}

impl NgramScores {
    /// An empty table for sequences of length `n ≥ 1` and `n_labels` labels.
    pub fn new(n: usize, n_labels: usize) -> Result<NgramScores> {
        check_n_labels("n-gram scores", n_labels)?;
        if n == 0 {
            return Err(Error::param("n-gram scores", "n must be ≥ 1, got 0"));
        }
        Ok(NgramScores {
            n,
            n_labels,
            table: HashMap::new(),
        })
    }

    /// Sequence length.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.n_labels
    }

    /// Number of distinct sequences seen.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no sequence has been seen.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Label counts (`n_labels` entries) of a sequence of neuron indices, if
    /// it was seen.
    pub fn get(&self, sequence: &[u32]) -> Option<&[u32]> {
        self.table.get(sequence).map(Vec::as_slice)
    }
}

/// Checks a spike record `[n_samples × time × n_neurons]`.
fn check_record(
    object: &str,
    spikes: &[f32],
    n_samples: usize,
    time: usize,
    n_neurons: usize,
) -> Result<()> {
    let expected = n_samples
        .checked_mul(time)
        .and_then(|x| x.checked_mul(n_neurons))
        .ok_or_else(|| Error::shape(object, "spike record size overflows"))?;
    if spikes.len() != expected {
        return Err(Error::shape(
            object,
            format!(
                "spike record has {} values, expected {n_samples} × {time} × {n_neurons} = {expected}",
                spikes.len()
            ),
        ));
    }
    if u32::try_from(n_neurons).is_err() {
        return Err(Error::param(
            object,
            format!("{n_neurons} neurons are too many"),
        ));
    }
    if let Some(i) = spikes.iter().position(|v| !v.is_finite()) {
        return Err(Error::param(
            object,
            format!(
                "spike record value {} at index {i} is not finite",
                spikes[i]
            ),
        ));
    }
    Ok(())
}

/// Neurons (indices, ascending) that fired in each non-empty time step of one
/// sample's record `[time × n_neurons]`.
fn firing_steps(record: &[f32], n_neurons: usize) -> Vec<Vec<u32>> {
    if n_neurons == 0 {
        return Vec::new();
    }
    record
        .chunks_exact(n_neurons)
        .map(|step| {
            step.iter()
                .enumerate()
                .filter(|(_, &v)| v != 0.0)
                .map(|(n, _)| n as u32)
                .collect::<Vec<u32>>()
        })
        .filter(|fired| !fired.is_empty())
        .collect()
}

/// Adds the n-grams of labelled spike records to `scores` (BindsNET's
/// `update_ngram_scores`, §9.4).
///
/// `spikes` is `[n_samples × time × n_neurons]` (a spike is any non-zero
/// value). For each sample, the non-empty time steps are listed, each as the
/// set of neurons that fired; for every window of `scores.n()` consecutive
/// non-empty steps and every way of choosing one firing neuron per step, the
/// count of that sequence for the sample's label is incremented.
///
/// The number of sequences per window is the product of the numbers of
/// neurons firing in its steps, so this is meant for sparse activity (e.g.
/// one spike per step, as with `one_spike` Diehl & Cook neurons).
///
/// ```
/// use spikeflow::evaluation::{update_ngram_scores, NgramScores};
/// // 1 sample, 3 steps, 2 neurons: step 0 fires {0}, step 1 nothing, step 2 {0, 1}.
/// let spikes = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0];
/// let mut scores = NgramScores::new(2, 3)?;
/// update_ngram_scores(&spikes, 1, 3, 2, &[2], &mut scores)?;
/// assert_eq!(scores.get(&[0, 0]), Some(&[0, 0, 1][..]));
/// assert_eq!(scores.get(&[0, 1]), Some(&[0, 0, 1][..]));
/// assert_eq!(scores.len(), 2);
/// # Ok::<(), spikeflow::Error>(())
/// ```
pub fn update_ngram_scores(
    spikes: &[f32],
    n_samples: usize,
    time: usize,
    n_neurons: usize,
    labels: &[u8],
    scores: &mut NgramScores,
) -> Result<()> {
    const OBJECT: &str = "update_ngram_scores";
    check_record(OBJECT, spikes, n_samples, time, n_neurons)?;
    check_labels(OBJECT, labels, n_samples, scores.n_labels)?;
    let n = scores.n;
    let per_sample = time * n_neurons;
    for (s, &label) in labels.iter().enumerate() {
        let steps = firing_steps(&spikes[s * per_sample..(s + 1) * per_sample], n_neurons);
        for window in steps.windows(n) {
            // Odometer over the Cartesian product of the window's steps.
            let mut pick = vec![0usize; n];
            'product: loop {
                let sequence: Vec<u32> =
                    window.iter().zip(&pick).map(|(step, &k)| step[k]).collect();
                let entry = scores
                    .table
                    .entry(sequence)
                    .or_insert_with(|| vec![0; scores.n_labels]);
                let c = &mut entry[usize::from(label)];
                *c = c.saturating_add(1);
                // Advance the last position first, so sequences come in
                // lexicographic order (as itertools.product does).
                let mut j = n;
                loop {
                    if j == 0 {
                        break 'product;
                    }
                    j -= 1;
                    pick[j] += 1;
                    if pick[j] < window[j].len() {
                        break;
                    }
                    pick[j] = 0;
                }
            }
        }
    }
    Ok(())
}

/// Predicts labels from spike records with an n-gram table (BindsNET's
/// `ngram`, §9.4).
///
/// `spikes` is `[n_samples × time × n_neurons]`. Each sample's spikes are
/// flattened into one sequence of neuron indices (by time step, then by
/// index within a step); the label counts of **every** window of
/// `scores.n()` consecutive entries (`len − n + 1` windows) that is in the
/// table are summed, and the prediction is the arg-max (ties → lowest
/// label), or −1 ([`NO_PREDICTION`](super::NO_PREDICTION)) if no window is
/// in the table.
///
/// BindsNET sums only the first `len − n` windows (it skips the last one)
/// and returns label 0 when nothing matches. Note that, as in BindsNET,
/// prediction windows run over individual spikes while training windows run
/// over time steps; the two agree when at most one neuron fires per step.
///
/// ```
/// use spikeflow::evaluation::{ngram, update_ngram_scores, NgramScores};
/// // 2 training samples, 2 steps, 2 neurons: "0 then 1" is label 0, "1 then 0" label 1.
/// let train = [1.0, 0.0, 0.0, 1.0, /**/ 0.0, 1.0, 1.0, 0.0];
/// let mut scores = NgramScores::new(2, 2)?;
/// update_ngram_scores(&train, 2, 2, 2, &[0, 1], &mut scores)?;
/// // The only window of each test sample is its last one.
/// assert_eq!(ngram(&train, 2, 2, 2, &scores)?, vec![0, 1]);
/// # Ok::<(), spikeflow::Error>(())
/// ```
pub fn ngram(
    spikes: &[f32],
    n_samples: usize,
    time: usize,
    n_neurons: usize,
    scores: &NgramScores,
) -> Result<Vec<i32>> {
    const OBJECT: &str = "ngram";
    check_record(OBJECT, spikes, n_samples, time, n_neurons)?;
    let n = scores.n;
    let per_sample = time * n_neurons;
    let mut total = vec![0u64; scores.n_labels];
    Ok((0..n_samples)
        .map(|s| {
            let order: Vec<u32> =
                firing_steps(&spikes[s * per_sample..(s + 1) * per_sample], n_neurons)
                    .into_iter()
                    .flatten()
                    .collect();
            total.iter_mut().for_each(|t| *t = 0);
            for window in order.windows(n) {
                if let Some(counts) = scores.table.get(window) {
                    for (t, &c) in total.iter_mut().zip(counts) {
                        *t += u64::from(c);
                    }
                }
            }
            argmax_positive(&total)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cartesian_product_counts() {
        // 1 sample, 4 steps, 3 neurons: {0,1}, {}, {2}, {0,2}; label 1; n = 2.
        #[rustfmt::skip]
        let spikes = [
            1.0, 1.0, 0.0,
            0.0, 0.0, 0.0,
            0.0, 0.0, 1.0,
            1.0, 0.0, 1.0,
        ];
        let mut s = NgramScores::new(2, 2).unwrap();
        update_ngram_scores(&spikes, 1, 4, 3, &[1], &mut s).unwrap();
        // Windows: ({0,1},{2}) → (0,2), (1,2); ({2},{0,2}) → (2,0), (2,2).
        assert_eq!(s.len(), 4);
        for seq in [[0, 2], [1, 2], [2, 0], [2, 2]] {
            assert_eq!(s.get(&seq), Some(&[0, 1][..]), "{seq:?}");
        }
        // Again with label 0: counts add up.
        update_ngram_scores(&spikes, 1, 4, 3, &[0], &mut s).unwrap();
        assert_eq!(s.get(&[2, 2]), Some(&[1, 1][..]));
        // n = 3: one window, 2·1·2 = 4 sequences.
        let mut s3 = NgramScores::new(3, 2).unwrap();
        update_ngram_scores(&spikes, 1, 4, 3, &[0], &mut s3).unwrap();
        assert_eq!(s3.len(), 4);
        assert!(s3.get(&[1, 2, 0]).is_some() && s3.get(&[0, 2, 2]).is_some());
        // n = 1: every single neuron firing.
        let mut s1 = NgramScores::new(1, 2).unwrap();
        update_ngram_scores(&spikes, 1, 4, 3, &[1], &mut s1).unwrap();
        assert_eq!(s1.get(&[0]), Some(&[0, 2][..]));
        assert_eq!(s1.get(&[2]), Some(&[0, 2][..]));
        assert_eq!(s1.get(&[1]), Some(&[0, 1][..]));
    }

    #[test]
    fn prediction_uses_the_last_window() {
        let mut s = NgramScores::new(2, 3).unwrap();
        s.table.insert(vec![0, 1], vec![0, 2, 0]);
        s.table.insert(vec![1, 2], vec![0, 0, 3]);
        // 1 sample, 3 steps, 3 neurons firing 0, 1, 2 in turn: windows (0,1), (1,2).
        #[rustfmt::skip]
        let spikes = [
            1.0, 0.0, 0.0,
            0.0, 1.0, 0.0,
            0.0, 0.0, 1.0,
        ];
        // BindsNET would only see (0,1) and predict 1.
        assert_eq!(ngram(&spikes, 1, 3, 3, &s).unwrap(), vec![2]);
        // Two spikes in one step are flattened by index: 0,1 then 2 → (0,1), (1,2).
        #[rustfmt::skip]
        let spikes = [
            1.0, 1.0, 0.0,
            0.0, 0.0, 1.0,
        ];
        assert_eq!(ngram(&spikes, 1, 2, 3, &s).unwrap(), vec![2]);
        // Too few spikes or no known sequence: −1.
        assert_eq!(ngram(&[0.0, 0.0, 1.0], 1, 1, 3, &s).unwrap(), vec![-1]);
        #[rustfmt::skip]
        let spikes = [
            0.0, 0.0, 1.0,
            1.0, 0.0, 0.0,
        ];
        assert_eq!(ngram(&spikes, 1, 2, 3, &s).unwrap(), vec![-1]);
        // Ties → lowest label.
        s.table.insert(vec![2, 0], vec![4, 0, 4]);
        assert_eq!(ngram(&spikes, 1, 2, 3, &s).unwrap(), vec![0]);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(NgramScores::new(0, 2).is_err());
        assert!(NgramScores::new(2, 0).is_err());
        let mut s = NgramScores::new(2, 2).unwrap();
        assert!(update_ngram_scores(&[0.0; 5], 1, 2, 3, &[0], &mut s).is_err());
        assert!(update_ngram_scores(&[0.0; 6], 1, 2, 3, &[2], &mut s).is_err());
        assert!(update_ngram_scores(&[f32::NAN; 6], 1, 2, 3, &[0], &mut s).is_err());
        assert!(ngram(&[0.0; 7], 1, 2, 3, &s).is_err());
        assert!(s.is_empty());
    }
}
