//! Bernoulli encoding: every step, every element spikes independently with a
//! probability proportional to its value.
//!
//! For a non-negative datum `x` and `max_prob ∈ [0, 1]`,
//!
//! ```text
//! p_i = max_prob · x_i / m,   m = max_j x_j  if max_j x_j > 1, else m = 1
//! s[t, i] ~ Bernoulli(p_i)    independently for every step t and element i
//! ```
//!
//! so the expected count of element `i` over `T` steps is `T · p_i`. This is
//! BindsNET's `bernoulli(datum, time, dt, max_prob)` except that the datum is
//! not divided by its maximum in place (the caller's data is never touched).
//!
//! The per-step trials are drawn by skipping ahead over the silent steps: the
//! number of silent steps before the next spike is drawn as
//! `G = floor(ln U / ln(1 − p))`, `U` uniform in `(0, 1]`, a geometric variable
//! with `P(G ≥ k) = (1 − p)^k`, exactly the probability that `k` independent
//! Bernoulli(`p`) steps are all silent. So the cost grows with the number of spikes, not with
//! `steps × elements`; the distribution is exactly that of independent
//! per-step trials.

use super::{check_common, check_values, out_shape, Encoder};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::SpikeValue;
use crate::Tensor;

/// Bernoulli-encodes `datum` (non-negative values, row-major with shape
/// `shape`) into `[steps, *shape]` spikes (`0.0`/`1.0`).
///
/// Element `i` spikes at each step independently with probability
/// `max_prob · datum[i] / m`, where `m = max(datum)` if that exceeds 1 and
/// `m = 1` otherwise. `datum` is not modified.
///
/// # Errors
/// [`Error::Shape`] if `shape` does not hold `datum.len()` values;
/// [`Error::InvalidParameter`] if `steps == 0`, `max_prob` is not in
/// `[0, 1]`, or a value is negative or not finite (the error names the first
/// such value and its index).
pub fn bernoulli(
    datum: &[f32],
    shape: &[usize],
    steps: usize,
    max_prob: f32,
    rng: &mut Rng,
) -> Result<Tensor> {
    const OBJ: &str = "bernoulli encoder";
    let n = check_common(OBJ, datum, shape, steps)?;
    check_max_prob(OBJ, max_prob)?;
    check_values(OBJ, "value", datum, true)?;
    let max = datum.iter().copied().fold(0.0f32, f32::max);
    let mut out = vec![0.0f32; n * steps];
    for (i, &x) in datum.iter().enumerate() {
        // Same f32 arithmetic as BindsNET: (x / max) first, then · max_prob.
        let scaled = if max > 1.0 { x / max } else { x };
        let p = f64::from(max_prob * scaled);
        bernoulli_column(p, i, n, steps, &mut out, rng);
    }
    Tensor::new(out_shape(steps, shape), out)
}

fn check_max_prob(object: &str, max_prob: f32) -> Result<()> {
    if (0.0..=1.0).contains(&max_prob) {
        Ok(())
    } else {
        Err(Error::param(
            object,
            format!("max_prob must be in [0, 1], got {max_prob}"),
        ))
    }
}

/// Writes an independent Bernoulli(`p`) trial for every step into column `i`
/// of `out`, a row-major `[steps, n]` buffer of zeros (only spikes are
/// written).
///
/// Instead of one uniform draw per step, it draws the number of silent steps
/// before the next spike, `G ~ Geometric(p)` on `{0, 1, 2, …}`, by inversion:
/// `G = floor(ln U / ln(1 − p))` with `U` uniform in `(0, 1]`. Since
/// `P(G ≥ k) = P(U ≤ (1 − p)^k) = (1 − p)^k`, which is the probability that `k`
/// independent Bernoulli(`p`) steps are all silent, and successive gaps are
/// independent, the resulting train has exactly the distribution of
/// independent per-step Bernoulli(`p`) trials (up to the 2⁻⁵³ resolution of
/// the uniform draws). The cost is one draw and one logarithm per spike (plus
/// one for the gap that runs past the end); `p == 0` draws nothing and
/// `p >= 1` fills the column with spikes without drawing.
pub(super) fn bernoulli_column<T: SpikeValue>(
    p: f64,
    i: usize,
    n: usize,
    steps: usize,
    out: &mut [T],
    rng: &mut Rng,
) {
    // NaN is treated as 0 (callers validate; this keeps the sampler total).
    if p.is_nan() || p <= 0.0 {
        return;
    }
    if p >= 1.0 {
        for t in 0..steps {
            out[t * n + i] = T::SPIKE;
        }
        return;
    }
    // ln(1 − p), accurate for small p, and < 0 for every p in (0, 1).
    let ln_q = (-p).ln_1p();
    if ln_q >= 0.0 {
        // Defensive: cannot happen with a correctly rounded ln_1p.
        return;
    }
    let mut t = 0usize;
    while t < steps {
        let u = 1.0 - rng.uniform_f64(); // (0, 1]
                                         // Silent steps before the next spike: >= 0, possibly +inf, never NaN.
        let gap = (u.ln() / ln_q).floor();
        // Compare in f64 before casting, so huge gaps cannot wrap.
        if gap.is_nan() || gap >= (steps - t) as f64 {
            break;
        }
        t += gap as usize;
        out[t * n + i] = T::SPIKE;
        t += 1;
    }
}

/// [`bernoulli`] with stored parameters and its own generator.
#[derive(Debug, Clone, PartialEq)]
pub struct BernoulliEncoder {
    /// Number of time steps (rows) to produce.
    pub steps: usize,
    /// Spike probability per step of the largest value (`[0, 1]`).
    pub max_prob: f32,
    /// The generator the trains are drawn from.
    pub rng: Rng,
}

impl BernoulliEncoder {
    /// An encoder producing `steps` rows with maximum probability `max_prob`,
    /// drawing from a generator seeded with `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `steps == 0` or `max_prob` is not in
    /// `[0, 1]`.
    pub fn new(steps: usize, max_prob: f32, seed: u64) -> Result<Self> {
        const OBJ: &str = "bernoulli encoder";
        if steps == 0 {
            return Err(Error::param(OBJ, "steps must be > 0, got 0"));
        }
        check_max_prob(OBJ, max_prob)?;
        Ok(BernoulliEncoder {
            steps,
            max_prob,
            rng: Rng::seed_from_u64(seed),
        })
    }
}

impl Encoder for BernoulliEncoder {
    fn encode(&mut self, datum: &[f32], shape: &[usize]) -> Result<Tensor> {
        bernoulli(datum, shape, self.steps, self.max_prob, &mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::spike_counts as counts;

    #[test]
    fn shape_and_values() {
        let mut rng = Rng::seed_from_u64(3);
        let s = bernoulli(&[0.2, 0.4, 0.6, 0.8, 1.0, 0.0], &[2, 3], 7, 1.0, &mut rng).unwrap();
        assert_eq!(s.shape(), &[7, 2, 3]);
        assert!(s.data().iter().all(|&v| v == 0.0 || v == 1.0));
        // Zero never fires; probability one always fires.
        for t in 0..7 {
            assert_eq!(s.slab(t)[5], 0.0);
            assert_eq!(s.slab(t)[4], 1.0);
        }
    }

    #[test]
    fn seeds() {
        let x = [0.1, 0.3, 0.5, 0.7, 0.9];
        let a = bernoulli(&x, &[5], 100, 1.0, &mut Rng::seed_from_u64(1)).unwrap();
        let b = bernoulli(&x, &[5], 100, 1.0, &mut Rng::seed_from_u64(1)).unwrap();
        let c = bernoulli(&x, &[5], 100, 1.0, &mut Rng::seed_from_u64(2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut e1 = BernoulliEncoder::new(100, 1.0, 9).unwrap();
        let mut e2 = BernoulliEncoder::new(100, 1.0, 9).unwrap();
        let first = e1.encode(&x, &[5]).unwrap();
        assert_eq!(first, e2.encode(&x, &[5]).unwrap());
        // The encoder's generator advances: the next datum gets a fresh train.
        assert_ne!(first, e1.encode(&x, &[5]).unwrap());
    }

    #[test]
    fn means_follow_max_prob_times_normalised_datum() {
        // max(datum) = 4 > 1: probabilities are max_prob · x / 4.
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let max_prob = 0.8;
        let steps = 40_000;
        let s = bernoulli(&x, &[5], steps, max_prob, &mut Rng::seed_from_u64(11)).unwrap();
        for (i, c) in counts(&s).into_iter().enumerate() {
            let p = f64::from(max_prob) * f64::from(x[i]) / 4.0;
            let mean = steps as f64 * p;
            let sd = (steps as f64 * p * (1.0 - p)).sqrt();
            assert!(
                (c - mean).abs() <= 4.0 * sd + 1e-9,
                "element {i}: {c} vs {mean} ± {sd}"
            );
        }
        // max(datum) <= 1: no normalisation.
        let y = [0.25f32, 0.5];
        let s = bernoulli(&y, &[2], steps, 1.0, &mut Rng::seed_from_u64(12)).unwrap();
        for (i, c) in counts(&s).into_iter().enumerate() {
            let p = f64::from(y[i]);
            let sd = (steps as f64 * p * (1.0 - p)).sqrt();
            assert!((c - steps as f64 * p).abs() <= 4.0 * sd, "element {i}: {c}");
        }
    }

    #[test]
    fn column_sampler_matches_per_step_trials() {
        // Mean, lag-1 dependence and uniformity over time for several p.
        let steps = 200_000;
        for &p in &[0.003, 0.05, 0.3, 0.7, 0.97] {
            let mut out = vec![0.0f32; steps];
            bernoulli_column(p, 0, 1, steps, &mut out, &mut Rng::seed_from_u64(5));
            let k: f64 = out.iter().map(|&v| f64::from(v)).sum();
            let sd = (steps as f64 * p * (1.0 - p)).sqrt();
            assert!((k - steps as f64 * p).abs() <= 4.0 * sd, "p {p}: {k}");
            // P(spike at t and t+1) = p².
            let pairs: f64 = out.windows(2).map(|w| f64::from(w[0] * w[1])).sum();
            let m = (steps - 1) as f64 * p * p;
            let sd2 = ((steps - 1) as f64 * p * p * (1.0 - p * p) * 3.0).sqrt();
            assert!(
                (pairs - m).abs() <= 4.0 * sd2,
                "p {p}: pairs {pairs} vs {m}"
            );
            // The first step fires with probability p (no start-up bias).
            let mut first = 0.0;
            for seed in 0..4000 {
                let mut col = vec![0.0f32; 3];
                bernoulli_column(p, 0, 1, 3, &mut col, &mut Rng::seed_from_u64(seed));
                first += f64::from(col[0]);
            }
            let sd3 = (4000.0 * p * (1.0 - p)).sqrt();
            assert!(
                (first - 4000.0 * p).abs() <= 4.0 * sd3 + 1.0,
                "p {p}: first {first}"
            );
        }
    }

    #[test]
    fn column_sampler_edge_probabilities() {
        let mut rng = Rng::seed_from_u64(0);
        let before = rng.clone();
        let mut out = vec![0.0f32; 6];
        bernoulli_column(0.0, 1, 2, 3, &mut out, &mut rng);
        bernoulli_column(f64::NAN, 1, 2, 3, &mut out, &mut rng);
        assert_eq!(out, [0.0; 6]);
        bernoulli_column(1.0, 1, 2, 3, &mut out, &mut rng);
        assert_eq!(out, [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
        // Neither p = 0 nor p = 1 consumes random numbers.
        assert_eq!(rng, before);
        // A vanishing p draws one gap that overshoots any horizon.
        let mut out = vec![0.0f32; 6];
        bernoulli_column(1e-300, 0, 1, 6, &mut out, &mut rng);
        assert_eq!(out, [0.0; 6]);
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut rng = Rng::seed_from_u64(0);
        let e = bernoulli(&[0.5, -0.1], &[2], 5, 1.0, &mut rng).unwrap_err();
        assert!(
            e.to_string().contains("index 1") && e.to_string().contains("-0.1"),
            "{e}"
        );
        assert!(bernoulli(&[0.5, f32::NAN], &[2], 5, 1.0, &mut rng).is_err());
        assert!(bernoulli(&[f32::INFINITY], &[1], 5, 1.0, &mut rng).is_err());
        assert!(bernoulli(&[0.5], &[1], 5, 1.5, &mut rng).is_err());
        assert!(bernoulli(&[0.5], &[1], 5, -0.5, &mut rng).is_err());
        assert!(bernoulli(&[0.5], &[1], 5, f32::NAN, &mut rng).is_err());
        assert!(bernoulli(&[0.5], &[2], 5, 1.0, &mut rng).is_err());
        assert!(bernoulli(&[0.5], &[1], 0, 1.0, &mut rng).is_err());
        assert!(BernoulliEncoder::new(0, 1.0, 0).is_err());
        assert!(BernoulliEncoder::new(5, 2.0, 0).is_err());
        // The caller's data is left as it was (BindsNET divides in place).
        let x = vec![2.0f32, 4.0];
        bernoulli(&x, &[2], 5, 1.0, &mut rng).unwrap();
        assert_eq!(x, [2.0, 4.0]);
    }
}
