//! Assigning a label to every neuron from its class-wise firing rates.

use super::{check_labels, check_matrix, check_n_labels, NO_PREDICTION};
use crate::{Error, Result};

/// The result of [`assign_labels`]: each neuron's label, class proportions
/// and running class rates.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Label of each neuron (`n_neurons` entries); −1 ([`NO_PREDICTION`])
    /// for a silent neuron, which then votes for no class.
    pub assignments: Vec<i32>,
    /// `proportions[n · n_labels + i]`: share of neuron `n`'s rate that
    /// belongs to label `i` (each row sums to 1, or is all 0 for a silent
    /// neuron).
    pub proportions: Vec<f32>,
    /// `rates[n · n_labels + i]`: running class rate of neuron `n` for label
    /// `i`; pass it back as `rates` on the next call to accumulate.
    pub rates: Vec<f32>,
    /// Number of neurons.
    pub n_neurons: usize,
    /// Number of labels.
    pub n_labels: usize,
}

impl Assignment {
    /// Number of neurons assigned to each label (`n_labels` entries; silent
    /// neurons are not counted).
    pub fn neurons_per_label(&self) -> Vec<usize> {
        let mut k = vec![0; self.n_labels];
        for &a in &self.assignments {
            if a >= 0 {
                k[a as usize] += 1;
            }
        }
        k
    }
}

/// Assigns each neuron the label for which it fired most, per sample of that
/// label (BindsNET's `assign_labels`, §9.1 of the semantics).
///
/// * `counts`: spike counts `[n_samples × n_neurons]` (finite, ≥ 0),
///   `c[s, n] = Σ_t spikes[s, t, n]`.
/// * `labels`: one label per sample, each `< n_labels`.
/// * `rates`: the previous call's [`Assignment::rates`]
///   (`[n_neurons × n_labels]`), or `None` to start from zeros.
/// * `alpha`: decay (finite, ≥ 0) of the previous rates for the labels
///   present in this call (1 accumulates, as BindsNET's examples do; 0
///   forgets).
///
/// For each label `i` present `m_i > 0` times:
/// `rates[n, i] ← α · rates[n, i] + Σ_{s: label_s = i} c[s, n] / m_i`;
/// absent labels keep their rate. Then
/// `proportions[n, i] = rates[n, i] / Σ_k rates[n, k]` and
/// `assignments[n] = argmax_i proportions[n, i]` (ties → lowest label). A
/// neuron whose rates are all zero is assigned −1 and gets zero proportions
/// (BindsNET 0.3.3 assigns it label 0).
///
/// ```
/// use spikeflow::evaluation::assign_labels;
/// // 2 samples × 3 neurons; neuron 2 never fires.
/// let counts = [4.0, 0.0, 0.0, 1.0, 3.0, 0.0];
/// let a = assign_labels(&counts, 2, 3, &[0, 1], 2, None, 1.0)?;
/// assert_eq!(a.assignments, vec![0, 1, -1]);
/// assert_eq!(a.proportions, vec![0.8, 0.2, 0.0, 1.0, 0.0, 0.0]);
/// # Ok::<(), spikeflow::Error>(())
/// ```
pub fn assign_labels(
    counts: &[f32],
    n_samples: usize,
    n_neurons: usize,
    labels: &[u8],
    n_labels: usize,
    rates: Option<&[f32]>,
    alpha: f32,
) -> Result<Assignment> {
    const OBJECT: &str = "assign_labels";
    check_n_labels(OBJECT, n_labels)?;
    check_matrix(OBJECT, "counts", counts, n_samples, n_neurons)?;
    check_labels(OBJECT, labels, n_samples, n_labels)?;
    if !(alpha.is_finite() && alpha >= 0.0) {
        return Err(Error::param(
            OBJECT,
            format!("alpha must be finite and ≥ 0, got {alpha}"),
        ));
    }
    let mut rates = match rates {
        Some(r) => {
            check_matrix(OBJECT, "rates", r, n_neurons, n_labels)?;
            r.to_vec()
        }
        None => vec![0.0; n_neurons * n_labels],
    };

    // Class-wise sums of counts (f64) and sample counts per label.
    let mut sums = vec![0.0f64; n_neurons * n_labels];
    let mut m = vec![0usize; n_labels];
    for (s, &label) in labels.iter().enumerate() {
        let label = usize::from(label);
        m[label] += 1;
        let row = &counts[s * n_neurons..(s + 1) * n_neurons];
        for (n, &c) in row.iter().enumerate() {
            sums[n * n_labels + label] += f64::from(c);
        }
    }
    for n in 0..n_neurons {
        for i in 0..n_labels {
            if m[i] > 0 {
                let r = &mut rates[n * n_labels + i];
                *r = alpha * *r + (sums[n * n_labels + i] / m[i] as f64) as f32;
            }
        }
    }

    let mut proportions = vec![0.0f32; n_neurons * n_labels];
    let mut assignments = vec![NO_PREDICTION; n_neurons];
    for n in 0..n_neurons {
        let row = &rates[n * n_labels..(n + 1) * n_labels];
        let total: f64 = row.iter().map(|&r| f64::from(r)).sum();
        if total > 0.0 {
            let p = &mut proportions[n * n_labels..(n + 1) * n_labels];
            for (p, &r) in p.iter_mut().zip(row) {
                *p = (f64::from(r) / total) as f32;
            }
            assignments[n] = super::argmax_positive(p);
        }
    }
    Ok(Assignment {
        assignments,
        proportions,
        rates,
        n_neurons,
        n_labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 samples × 4 neurons, 3 labels; labels [0, 1, 0].
    const COUNTS: [f32; 12] = [
        2.0, 0.0, 1.0, 0.0, // sample 0, label 0
        0.0, 3.0, 1.0, 0.0, // sample 1, label 1
        4.0, 1.0, 0.0, 0.0, // sample 2, label 0
    ];

    #[test]
    fn hand_computed() {
        let a = assign_labels(&COUNTS, 3, 4, &[0, 1, 0], 3, None, 1.0).unwrap();
        // rates[n, 0] = (c[0, n] + c[2, n]) / 2; rates[n, 1] = c[1, n]; label 2 absent.
        assert_eq!(
            a.rates,
            vec![
                3.0, 0.0, 0.0, // neuron 0
                0.5, 3.0, 0.0, // neuron 1
                0.5, 1.0, 0.0, // neuron 2
                0.0, 0.0, 0.0, // neuron 3 (silent)
            ]
        );
        let p = |x: f32| (x * 1e6).round() / 1e6;
        let props: Vec<f32> = a.proportions.iter().map(|&x| p(x)).collect();
        assert_eq!(
            props,
            vec![
                1.0,
                0.0,
                0.0,
                p(0.5 / 3.5),
                p(3.0 / 3.5),
                0.0,
                p(1.0 / 3.0),
                p(2.0 / 3.0),
                0.0,
                0.0,
                0.0,
                0.0
            ]
        );
        assert_eq!(a.assignments, vec![0, 1, 1, -1]);
        assert_eq!(a.neurons_per_label(), vec![1, 2, 0]);
    }

    #[test]
    fn accumulates_and_decays() {
        let first = assign_labels(&COUNTS, 3, 4, &[0, 1, 0], 3, None, 1.0).unwrap();
        // A second interval with only label 2: labels 0 and 1 keep their rates.
        let counts = [0.0, 0.0, 0.0, 5.0];
        let b = assign_labels(&counts, 1, 4, &[2], 3, Some(&first.rates), 0.5).unwrap();
        assert_eq!(&b.rates[0..3], &[3.0, 0.0, 0.0]);
        assert_eq!(&b.rates[9..12], &[0.0, 0.0, 5.0]);
        assert_eq!(b.assignments, vec![0, 1, 1, 2]);
        // Label 0 present again with alpha 0.5: 0.5 · 3 + 1 = 2.5.
        let counts = [1.0, 0.0, 0.0, 0.0];
        let c = assign_labels(&counts, 1, 4, &[0], 3, Some(&b.rates), 0.5).unwrap();
        assert_eq!(c.rates[0], 2.5);
        assert_eq!(c.rates[3], 0.25);
    }

    #[test]
    fn ties_go_to_lowest_label() {
        let a = assign_labels(&[1.0, 1.0], 2, 1, &[1, 0], 2, None, 1.0).unwrap();
        assert_eq!(a.assignments, vec![0]);
        assert_eq!(a.proportions, vec![0.5, 0.5]);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(assign_labels(&COUNTS, 3, 4, &[0, 1], 3, None, 1.0).is_err());
        assert!(assign_labels(&COUNTS, 3, 4, &[0, 1, 3], 3, None, 1.0).is_err());
        assert!(assign_labels(&COUNTS, 4, 4, &[0, 1, 0, 0], 3, None, 1.0).is_err());
        assert!(assign_labels(&COUNTS, 3, 4, &[0, 1, 0], 3, Some(&[0.0; 5]), 1.0).is_err());
        assert!(assign_labels(&COUNTS, 3, 4, &[0, 1, 0], 3, None, f32::NAN).is_err());
        assert!(assign_labels(&COUNTS, 3, 4, &[0, 1, 0], 3, None, -0.5).is_err());
        assert!(assign_labels(&COUNTS, 3, 4, &[0, 1, 0], 0, None, 1.0).is_err());
    }

    #[test]
    fn empty_interval_keeps_rates() {
        let rates = [1.0, 2.0];
        let a = assign_labels(&[], 0, 1, &[], 2, Some(&rates), 0.0).unwrap();
        assert_eq!(a.rates, vec![1.0, 2.0]);
        assert_eq!(a.assignments, vec![1]);
    }
}
