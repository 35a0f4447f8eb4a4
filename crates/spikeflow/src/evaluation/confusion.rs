//! Confusion matrices.

use std::fmt;

use super::{check_n_labels, NO_PREDICTION};
use crate::{Error, Result};

/// Counts of (true label, prediction) pairs over `n_labels` labels, with a
/// separate count per true label of samples that got no prediction
/// ([`NO_PREDICTION`], −1).
///
/// Accuracy counts abstentions as errors: `accuracy = Σ_i counts[i, i] / total`.
///
/// ```
/// use spikeflow::evaluation::ConfusionMatrix;
/// let cm = ConfusionMatrix::from_predictions(&[0, 0, 1, 1], &[0, 1, 1, -1], 2)?;
/// assert_eq!(cm.count(0, 1), 1);
/// assert_eq!(cm.unpredicted(1), 1);
/// assert_eq!(cm.accuracy(), 0.5);
/// assert_eq!(cm.recall(), vec![Some(0.5), Some(0.5)]);
/// # Ok::<(), spikeflow::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    n_labels: usize,
    /// `[true × predicted]`.
    counts: Vec<u64>,
    /// Per true label: samples predicted −1.
    unpredicted: Vec<u64>,
}

impl ConfusionMatrix {
    /// An empty matrix (`1 ≤ n_labels ≤ 256`).
    pub fn new(n_labels: usize) -> Result<ConfusionMatrix> {
        check_n_labels("confusion matrix", n_labels)?;
        Ok(ConfusionMatrix {
            n_labels,
            counts: vec![0; n_labels * n_labels],
            unpredicted: vec![0; n_labels],
        })
    }

    /// A matrix of the pairs `(labels[s], predictions[s])`.
    pub fn from_predictions(
        labels: &[u8],
        predictions: &[i32],
        n_labels: usize,
    ) -> Result<ConfusionMatrix> {
        if labels.len() != predictions.len() {
            return Err(Error::shape(
                "confusion matrix",
                format!(
                    "{} labels but {} predictions",
                    labels.len(),
                    predictions.len()
                ),
            ));
        }
        let mut cm = ConfusionMatrix::new(n_labels)?;
        for (&l, &p) in labels.iter().zip(predictions) {
            cm.add(l, p)?;
        }
        Ok(cm)
    }

    /// Records one sample: true label `label` (`< n_labels`) and prediction
    /// `prediction` (`-1..n_labels`).
    pub fn add(&mut self, label: u8, prediction: i32) -> Result<()> {
        let l = usize::from(label);
        if l >= self.n_labels {
            return Err(Error::param(
                "confusion matrix",
                format!("label {label} is out of range 0..{}", self.n_labels),
            ));
        }
        if prediction == NO_PREDICTION {
            self.unpredicted[l] += 1;
        } else if prediction >= 0 && (prediction as usize) < self.n_labels {
            self.counts[l * self.n_labels + prediction as usize] += 1;
        } else {
            return Err(Error::param(
                "confusion matrix",
                format!(
                    "prediction {prediction} is out of range -1..{}",
                    self.n_labels
                ),
            ));
        }
        Ok(())
    }

    /// Adds the counts of another matrix with the same number of labels.
    pub fn merge(&mut self, other: &ConfusionMatrix) -> Result<()> {
        if other.n_labels != self.n_labels {
            return Err(Error::shape(
                "confusion matrix",
                format!(
                    "cannot merge {} labels into {}",
                    other.n_labels, self.n_labels
                ),
            ));
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.unpredicted.iter_mut().zip(&other.unpredicted) {
            *a += b;
        }
        Ok(())
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.n_labels
    }

    /// Samples of true label `label` predicted as `predicted`. Panics if
    /// either is `≥ n_labels`.
    pub fn count(&self, label: usize, predicted: usize) -> u64 {
        assert!(
            label < self.n_labels && predicted < self.n_labels,
            "label out of range"
        );
        self.counts[label * self.n_labels + predicted]
    }

    /// Samples of true label `label` that got no prediction. Panics if
    /// `label ≥ n_labels`.
    pub fn unpredicted(&self, label: usize) -> u64 {
        self.unpredicted[label]
    }

    /// Samples recorded for true label `label` (the row total, abstentions
    /// included). Panics if `label ≥ n_labels`.
    pub fn support(&self, label: usize) -> u64 {
        self.counts[label * self.n_labels..(label + 1) * self.n_labels]
            .iter()
            .sum::<u64>()
            + self.unpredicted[label]
    }

    /// All samples recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.unpredicted.iter().sum::<u64>()
    }

    /// Correctly predicted samples (the diagonal).
    pub fn correct(&self) -> u64 {
        (0..self.n_labels)
            .map(|i| self.counts[i * self.n_labels + i])
            .sum()
    }

    /// `correct() / total()`, or 0 when nothing was recorded.
    pub fn accuracy(&self) -> f64 {
        match self.total() {
            0 => 0.0,
            t => self.correct() as f64 / t as f64,
        }
    }

    /// Recall of each label: `counts[i, i] / support(i)`; `None` for a label
    /// with no samples.
    pub fn recall(&self) -> Vec<Option<f64>> {
        (0..self.n_labels)
            .map(|i| match self.support(i) {
                0 => None,
                s => Some(self.counts[i * self.n_labels + i] as f64 / s as f64),
            })
            .collect()
    }

    /// Precision of each label: `counts[i, i] / Σ_t counts[t, i]`; `None` for
    /// a label never predicted.
    pub fn precision(&self) -> Vec<Option<f64>> {
        (0..self.n_labels)
            .map(|i| {
                let predicted: u64 = (0..self.n_labels)
                    .map(|t| self.counts[t * self.n_labels + i])
                    .sum();
                match predicted {
                    0 => None,
                    p => Some(self.counts[i * self.n_labels + i] as f64 / p as f64),
                }
            })
            .collect()
    }
}

/// A text table: one row per true label, one column per prediction, a
/// `none` column for samples without prediction, the recall of each row, and
/// a last line with the accuracy.
///
/// ```text
/// true\pred 0 1 none  recall
///         0 1 1    0   50.0%
///         1 0 1    1   50.0%
/// accuracy 50.00% (2/4)
/// ```
impl fmt::Display for ConfusionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = self
            .counts
            .iter()
            .chain(&self.unpredicted)
            .copied()
            .max()
            .unwrap_or(0);
        let w = max
            .to_string()
            .len()
            .max((self.n_labels - 1).to_string().len())
            .max(1);
        let head = "true\\pred";
        write!(f, "{head}")?;
        for p in 0..self.n_labels {
            write!(f, " {p:>w$}")?;
        }
        writeln!(f, " {:>w$}  recall", "none", w = w.max(4))?;
        let recall = self.recall();
        for t in 0..self.n_labels {
            write!(f, "{t:>width$}", width = head.len())?;
            for p in 0..self.n_labels {
                write!(f, " {:>w$}", self.counts[t * self.n_labels + p])?;
            }
            write!(f, " {:>w$}", self.unpredicted[t], w = w.max(4))?;
            match recall[t] {
                Some(r) => writeln!(f, "  {:>5.1}%", 100.0 * r)?,
                None => writeln!(f, "       -")?,
            }
        }
        write!(
            f,
            "accuracy {:.2}% ({}/{})",
            100.0 * self.accuracy(),
            self.correct(),
            self.total()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates() {
        // 3 labels; label 2 never occurs.
        let labels = [0, 0, 0, 1, 1];
        let preds = [0, 0, 1, 1, -1];
        let cm = ConfusionMatrix::from_predictions(&labels, &preds, 3).unwrap();
        assert_eq!((cm.count(0, 0), cm.count(0, 1), cm.count(1, 1)), (2, 1, 1));
        assert_eq!((cm.unpredicted(1), cm.support(0), cm.support(2)), (1, 3, 0));
        assert_eq!((cm.correct(), cm.total()), (3, 5));
        assert_eq!(cm.accuracy(), 0.6);
        assert_eq!(cm.recall(), vec![Some(2.0 / 3.0), Some(0.5), None]);
        assert_eq!(cm.precision(), vec![Some(1.0), Some(0.5), None]);
        let mut twice = cm.clone();
        twice.merge(&cm).unwrap();
        assert_eq!(twice.total(), 10);
        assert_eq!(twice.accuracy(), 0.6);
        assert!(twice.merge(&ConfusionMatrix::new(2).unwrap()).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(ConfusionMatrix::from_predictions(&[0], &[0, 1], 2).is_err());
        assert!(ConfusionMatrix::from_predictions(&[2], &[0], 2).is_err());
        assert!(ConfusionMatrix::from_predictions(&[0], &[2], 2).is_err());
        assert!(ConfusionMatrix::from_predictions(&[0], &[-2], 2).is_err());
        assert!(ConfusionMatrix::new(0).is_err());
        assert_eq!(ConfusionMatrix::new(2).unwrap().accuracy(), 0.0);
    }

    #[test]
    fn display() {
        let cm = ConfusionMatrix::from_predictions(&[0, 0, 1, 1], &[0, 1, 1, -1], 2).unwrap();
        let text = cm.to_string();
        let expected = "\
true\\pred 0 1 none  recall
        0 1 1    0   50.0%
        1 0 1    1   50.0%
accuracy 50.00% (2/4)";
        assert_eq!(text, expected, "\n{text}");
    }
}
