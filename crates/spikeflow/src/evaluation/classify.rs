//! Classifying samples by the votes of labelled neurons.

use super::{argmax_positive, check_matrix, check_n_labels};
use crate::{Error, Result};

/// Predicts, for each sample, the label whose assigned neurons fired most on
/// average (BindsNET's `all_activity`, §9.2):
/// `score[s, i] = Σ_{n: a_n = i} c[s, n] / k_i`, `k_i` the number of neurons
/// assigned `i` (labels without neurons score 0).
///
/// * `counts`: spike counts `[n_samples × n_neurons]` (finite, ≥ 0).
/// * `assignments`: one entry per neuron, in `-1..n_labels` (−1: silent
///   neuron, ignored), as from [`assign_labels`](super::assign_labels).
///
/// Returns one prediction per sample: the arg-max (ties → lowest label), or
/// −1 ([`NO_PREDICTION`](super::NO_PREDICTION)) when every score is 0.
///
/// ```
/// use spikeflow::evaluation::all_activity;
/// // 2 samples × 3 neurons assigned [0, 1, 1].
/// let counts = [3.0, 2.0, 2.0, 0.0, 0.0, 0.0];
/// assert_eq!(all_activity(&counts, 2, 3, &[0, 1, 1], 2)?, vec![0, -1]);
/// # Ok::<(), spikeflow::Error>(())
/// ```
pub fn all_activity(
    counts: &[f32],
    n_samples: usize,
    n_neurons: usize,
    assignments: &[i32],
    n_labels: usize,
) -> Result<Vec<i32>> {
    const OBJECT: &str = "all_activity";
    check_n_labels(OBJECT, n_labels)?;
    check_matrix(OBJECT, "counts", counts, n_samples, n_neurons)?;
    check_assignments(OBJECT, assignments, n_neurons, n_labels)?;
    Ok(predict(
        counts,
        n_samples,
        n_neurons,
        assignments,
        n_labels,
        |_, _| 1.0,
    ))
}

/// Like [`all_activity`], but each neuron's count is weighted by its
/// proportion for its label (BindsNET's `proportion_weighting`, §9.3):
/// `score[s, i] = Σ_{n: a_n = i} proportions[n, i] · c[s, n] / k_i`.
///
/// `proportions` is `[n_neurons × n_labels]`, as in
/// [`Assignment::proportions`](super::Assignment::proportions).
///
/// ```
/// use spikeflow::evaluation::proportion_weighting;
/// // 1 sample × 2 neurons assigned [0, 1]: neuron 0 fires 2 times with
/// // proportion 0.5 for label 0, neuron 1 fires once with proportion 1.
/// let props = [0.5, 0.5, 0.0, 1.0];
/// assert_eq!(proportion_weighting(&[2.0, 1.0], 1, 2, &[0, 1], &props, 2)?, vec![0]);
/// assert_eq!(proportion_weighting(&[2.0, 1.5], 1, 2, &[0, 1], &props, 2)?, vec![1]);
/// # Ok::<(), spikeflow::Error>(())
/// ```
pub fn proportion_weighting(
    counts: &[f32],
    n_samples: usize,
    n_neurons: usize,
    assignments: &[i32],
    proportions: &[f32],
    n_labels: usize,
) -> Result<Vec<i32>> {
    const OBJECT: &str = "proportion_weighting";
    check_n_labels(OBJECT, n_labels)?;
    check_matrix(OBJECT, "counts", counts, n_samples, n_neurons)?;
    check_assignments(OBJECT, assignments, n_neurons, n_labels)?;
    check_matrix(OBJECT, "proportions", proportions, n_neurons, n_labels)?;
    Ok(predict(
        counts,
        n_samples,
        n_neurons,
        assignments,
        n_labels,
        |n, i| f64::from(proportions[n * n_labels + i]),
    ))
}

/// Checks one assignment per neuron, each in `-1..n_labels`.
fn check_assignments(
    object: &str,
    assignments: &[i32],
    n_neurons: usize,
    n_labels: usize,
) -> Result<()> {
    if assignments.len() != n_neurons {
        return Err(Error::shape(
            object,
            format!("{} assignments for {n_neurons} neurons", assignments.len()),
        ));
    }
    if let Some((n, a)) = assignments
        .iter()
        .enumerate()
        .find(|(_, &a)| a < -1 || a >= n_labels as i32)
    {
        return Err(Error::param(
            object,
            format!("assignment {a} of neuron {n} is out of range -1..{n_labels}"),
        ));
    }
    Ok(())
}

/// Scores every sample (`weight(n, i)` multiplies neuron `n`'s count for its
/// label `i`) and takes the arg-max.
fn predict(
    counts: &[f32],
    n_samples: usize,
    n_neurons: usize,
    assignments: &[i32],
    n_labels: usize,
    weight: impl Fn(usize, usize) -> f64,
) -> Vec<i32> {
    let mut k = vec![0usize; n_labels];
    for &a in assignments.iter().filter(|&&a| a >= 0) {
        k[a as usize] += 1;
    }
    let mut scores = vec![0.0f64; n_labels];
    (0..n_samples)
        .map(|s| {
            let row = &counts[s * n_neurons..(s + 1) * n_neurons];
            scores.iter_mut().for_each(|s| *s = 0.0);
            for (n, (&c, &a)) in row.iter().zip(assignments).enumerate() {
                if a >= 0 && c > 0.0 {
                    scores[a as usize] += weight(n, a as usize) * f64::from(c);
                }
            }
            for (s, &k) in scores.iter_mut().zip(&k) {
                if k > 0 {
                    *s /= k as f64;
                }
            }
            argmax_positive(&scores)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 samples × 4 neurons; neurons assigned [0, 1, 1, -1].
    const COUNTS: [f32; 12] = [
        2.0, 1.0, 1.0, 9.0, // label 0: 2 / 1 = 2 vs label 1: 2 / 2 = 1
        1.0, 3.0, 0.0, 0.0, // 1 vs 1.5
        0.0, 0.0, 0.0, 7.0, // only the silent-assigned neuron fires
    ];
    const ASSIGN: [i32; 4] = [0, 1, 1, -1];

    #[test]
    fn all_activity_hand_computed() {
        assert_eq!(
            all_activity(&COUNTS, 3, 4, &ASSIGN, 3).unwrap(),
            vec![0, 1, -1]
        );
        // Tie (2 / 1 = 4 / 2) goes to the lowest label.
        assert_eq!(
            all_activity(&[2.0, 2.0, 2.0, 0.0], 1, 4, &ASSIGN, 3).unwrap(),
            vec![0]
        );
    }

    #[test]
    fn proportion_weighting_hand_computed() {
        // proportions [n × 3]
        let props = [
            0.5, 0.5, 0.0, // neuron 0 (label 0)
            0.0, 1.0, 0.0, // neuron 1 (label 1)
            0.0, 0.25, 0.75, // neuron 2 (label 1 by assignment; weight 0.25)
            0.0, 0.0, 0.0, // neuron 3 silent
        ];
        // sample 0: label 0: 0.5·2 / 1 = 1; label 1: (1·1 + 0.25·1) / 2 = 0.625 → 0
        // sample 1: label 0: 0.5 / 1; label 1: 3 / 2 = 1.5 → 1
        assert_eq!(
            proportion_weighting(&COUNTS, 3, 4, &ASSIGN, &props, 3).unwrap(),
            vec![0, 1, -1]
        );
        // sample: label 0: 0.5·1 = 0.5; label 1: (0 + 0.25·4) / 2 = 0.5 → tie → 0
        let c = [1.0, 0.0, 4.0, 0.0];
        assert_eq!(
            proportion_weighting(&c, 1, 4, &ASSIGN, &props, 3).unwrap(),
            vec![0]
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert!(all_activity(&COUNTS, 3, 4, &[0, 1, 1], 3).is_err());
        assert!(all_activity(&COUNTS, 3, 4, &[0, 1, 3, -1], 3).is_err());
        assert!(all_activity(&COUNTS, 3, 4, &[0, 1, -2, -1], 3).is_err());
        assert!(all_activity(&COUNTS[..11], 3, 4, &ASSIGN, 3).is_err());
        assert!(proportion_weighting(&COUNTS, 3, 4, &ASSIGN, &[0.0; 11], 3).is_err());
    }

    #[test]
    fn no_neurons_or_samples() {
        assert_eq!(
            all_activity(&[], 0, 4, &ASSIGN, 3).unwrap(),
            Vec::<i32>::new()
        );
        assert_eq!(all_activity(&[], 2, 0, &[], 3).unwrap(), vec![-1, -1]);
    }
}
