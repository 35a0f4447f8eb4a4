//! How far an accuracy measured on a finite test set can be trusted.
//!
//! A classifier that is right with probability `p` on images drawn like the
//! test set gets `k` of `n` right with a binomial spread, so two figures
//! a few tenths of a point apart on MNIST's 10,000 test images may not
//! differ at all (at 94.5 % accuracy the standard error is ≈ 0.23 points,
//! the 95 % interval ≈ ±0.45 points). The
//! interval covers only that sampling of test images, not what a different
//! training run (seed, spike trains) would learn.

use crate::{Error, Result};

/// The normal quantile of a two-sided 95 % interval, `Φ⁻¹(0.975)`.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Wilson's score interval for a proportion of `successes` in `trials`,
/// `z` standard normal quantiles wide on each side ([`Z_95`] for 95 %):
///
/// ```text
/// p̂ = k / n,   c = (p̂ + z²/2n) / (1 + z²/n),
/// h = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²),   interval = [c − h, c + h]
/// ```
///
/// Unlike `p̂ ± z·√(p̂(1 − p̂)/n)` it stays inside [0, 1] and does not
/// collapse to a point when every trial succeeds (or none does).
///
/// ```
/// use spikeflow::evaluation::{wilson_interval, Z_95};
/// let (lo, hi) = wilson_interval(9445, 10_000, Z_95)?;
/// assert!((lo - 0.93984).abs() < 1e-5 && (hi - 0.94882).abs() < 1e-5);
/// # Ok::<(), spikeflow::Error>(())
/// ```
///
/// # Errors
/// No trials, more successes than trials, or a `z` that is not finite and
/// positive.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> Result<(f64, f64)> {
    if trials == 0 || successes > trials || !(z.is_finite() && z > 0.0) {
        return Err(Error::param(
            "wilson interval",
            format!("need 0 ≤ successes ≤ trials, trials ≥ 1 and z > 0, got {successes} of {trials}, z {z}"),
        ));
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let d = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / d;
    let half = z / d * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Ok(((centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12
    }

    #[test]
    fn matches_the_formula_worked_by_hand() {
        // Values from the closed form in double precision (Python).
        let half = wilson_interval(50, 100, Z_95).unwrap();
        assert!(close(
            half,
            (0.403_831_530_365_995_6, 0.596_168_469_634_004_4)
        ));
        let mnist = wilson_interval(9500, 10_000, Z_95).unwrap();
        assert!(close(
            mnist,
            (0.945_552_884_156_975_8, 0.954_101_517_309_415_2)
        ));
    }

    #[test]
    fn stays_inside_the_unit_interval_at_the_ends() {
        let none = wilson_interval(0, 10, Z_95).unwrap();
        assert_eq!(none.0, 0.0);
        assert!((none.1 - 0.277_532_799_862_889_2).abs() < 1e-12);
        let all = wilson_interval(10, 10, Z_95).unwrap();
        assert!((all.0 - 0.722_467_200_137_110_7).abs() < 1e-12);
        assert!(all.1 <= 1.0 && all.1 > 0.999_999);
    }

    #[test]
    fn narrows_with_more_trials_and_widens_with_z() {
        let small = wilson_interval(90, 100, Z_95).unwrap();
        let large = wilson_interval(9000, 10_000, Z_95).unwrap();
        assert!(large.1 - large.0 < small.1 - small.0);
        let wider = wilson_interval(90, 100, 2.0 * Z_95).unwrap();
        assert!(wider.0 < small.0 && wider.1 > small.1);
    }

    #[test]
    fn refuses_impossible_counts() {
        assert!(wilson_interval(1, 0, Z_95).is_err());
        assert!(wilson_interval(0, 0, Z_95).is_err());
        assert!(wilson_interval(11, 10, Z_95).is_err());
        assert!(wilson_interval(5, 10, 0.0).is_err());
        assert!(wilson_interval(5, 10, f64::NAN).is_err());
    }
}
