//! How an accuracy is printed: with its 95 % interval over the images
//! tested ([`wilson_interval`]), so that figures a few tenths apart are
//! not read as different.

use spikeflow::evaluation::{wilson_interval, Z_95};

/// What the range after an accuracy is.
pub const INTERVAL_NOTE: &str =
    "(after each accuracy: its 95 % Wilson interval over these images, \
     not the spread between training runs)";

/// `acc` of `images` as `94.45% (93.98–94.88%)`: the percentage and its 95 %
/// Wilson interval ([`wilson_interval`]).
pub fn with_interval(acc: f64, images: usize) -> String {
    match interval(acc, images) {
        Some((lo, hi)) => format!("{:.2}% ({:.2}–{:.2}%)", 100.0 * acc, 100.0 * lo, 100.0 * hi),
        None => format!("{:.2}%", 100.0 * acc),
    }
}

/// The 95 % Wilson interval of accuracy `acc` over `images` (none for no
/// images).
pub fn interval(acc: f64, images: usize) -> Option<(f64, f64)> {
    // `acc` is `correct / images` in f64: rounding recovers `correct`.
    let correct = (acc * images as f64).round() as u64;
    wilson_interval(correct, images as u64, Z_95).ok()
}

#[cfg(test)]
mod tests {
    use super::with_interval;

    #[test]
    fn an_accuracy_is_printed_with_its_interval() {
        // 9445 of 10,000: Wilson's 95 % interval is 0.93984–0.94882.
        assert_eq!(with_interval(0.9445, 10_000), "94.45% (93.98–94.88%)");
        // Every image right: the interval stays below 100 %.
        assert_eq!(with_interval(1.0, 7), "100.00% (64.57–100.00%)");
        // Nothing evaluated: no interval to give.
        assert_eq!(with_interval(0.0, 0), "0.00%");
    }
}
