//! How an accuracy is printed: with its 95 % interval over the images
//! tested ([`wilson_interval`]), so that figures a few tenths apart are
//! not read as different.

use spikeflow::evaluation::{wilson_interval, Z_95};

/// The line that says what the ranges after `images` images' accuracies
/// are.
pub fn interval_note(images: usize, split: &str) -> String {
    format!(
        "(after each accuracy: its 95 % Wilson interval over the {images} {split} images, \
         not the spread between training runs)"
    )
}

/// `correct` of `total` as `94.45% (93.98–94.88%)`: the percentage and its
/// 95 % Wilson interval ([`wilson_interval`]); the percentage alone where
/// there is no interval (nothing tested).
pub fn counts_with_interval(correct: u64, total: u64) -> String {
    let pct = if total == 0 {
        0.0
    } else {
        100.0 * correct as f64 / total as f64
    };
    match wilson_interval(correct, total, Z_95) {
        Ok((lo, hi)) => format!("{pct:.2}% ({:.2}–{:.2}%)", 100.0 * lo, 100.0 * hi),
        Err(_) => format!("{pct:.2}%"),
    }
}

/// Accuracy `acc` (`correct / images`, as a saved evaluation keeps it) of
/// `images` with its interval, as [`counts_with_interval`]; an accuracy
/// outside [0, 1] is printed bare.
pub fn with_interval(acc: f64, images: usize) -> String {
    match correct_of(acc, images) {
        Some(correct) => counts_with_interval(correct, images as u64),
        None => format!("{:.2}%", 100.0 * acc),
    }
}

/// The 95 % Wilson interval of accuracy `acc` over `images` (none for no
/// images, or an accuracy outside [0, 1]).
pub fn interval(acc: f64, images: usize) -> Option<(f64, f64)> {
    wilson_interval(correct_of(acc, images)?, images as u64, Z_95).ok()
}

/// The count of correct images behind accuracy `acc` of `images`: `acc`
/// is `correct / images` in f64, so rounding recovers it exactly.
fn correct_of(acc: f64, images: usize) -> Option<u64> {
    (0.0..=1.0)
        .contains(&acc)
        .then(|| (acc * images as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accuracy_is_printed_with_its_interval() {
        // 9445 of 10,000: Wilson's 95 % interval is 0.93984–0.94882.
        assert_eq!(with_interval(0.9445, 10_000), "94.45% (93.98–94.88%)");
        assert_eq!(counts_with_interval(9445, 10_000), "94.45% (93.98–94.88%)");
        // Every image right: the upper end is 100 %, the lower below it.
        assert_eq!(with_interval(1.0, 7), "100.00% (64.57–100.00%)");
        // Nothing evaluated: no interval to give.
        assert_eq!(with_interval(0.0, 0), "0.00%");
        assert_eq!(counts_with_interval(0, 0), "0.00%");
    }

    #[test]
    fn an_accuracy_that_is_no_fraction_gets_no_interval() {
        assert_eq!(interval(f64::NAN, 100), None);
        assert_eq!(interval(-0.1, 100), None);
        assert_eq!(interval(1.5, 100), None);
        assert_eq!(with_interval(f64::NAN, 100), "NaN%");
        assert!(interval(0.5, 100).is_some());
    }
}
