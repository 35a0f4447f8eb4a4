//! Spike encoders: turn one datum into a spike train `[steps, *shape]`.
//!
//! These are BindsNET's encoders (`bindsnet.encoding`), each as a plain
//! function and as a small struct implementing [`Encoder`]. A datum is a flat
//! row-major slice together with its `shape` (no batch axis); the result has
//! one extra leading time axis of length `steps` (BindsNET's
//! `T = floor(time / dt)`). Spikes are `1.0`, silence `0.0`.
//!
//! | encoder | per step `t`, element `i` | random |
//! |---|---|---|
//! | [`poisson()`] | `s[t,i] ~ Bernoulli(p_i)`, `p_i = rate_i · dt / 1000` | yes |
//! | [`bernoulli()`] | `s[t,i] ~ Bernoulli(max_prob · x_i / max(1, max_j x_j))` | yes |
//! | [`rank_order()`] | one spike at row `L_i − 1`, `L_i = ceil(T · (1/x_i) / max_j(1/x_j))`, iff `0 < L_i < T` | no |
//! | [`single()`] | one spike at row 0 iff `x_i > q`, `q` = the `(1 − sparsity)` quantile of `x` | no |
//! | [`repeat()`] | `s[t,i] = x_i` (real values, a current) | no |
//!
//! Differences from BindsNET, all deliberate:
//!
//! * **Poisson is unbiased.** BindsNET draws Poisson-distributed inter-spike
//!   intervals and bumps zero intervals to one, so high rates under-fire
//!   (nominal 1000 Hz gives ≈ 730 Hz, 500 Hz gives ≈ 470 Hz at `dt = 1`).
//!   Here every step is an exact Bernoulli trial with `p = rate · dt / 1000`,
//!   so the expected count over `T` steps is exactly `rate · T · dt / 1000`,
//!   and rates above `1000 / dt` Hz (`p > 1`) are an error instead of being
//!   silently capped. See [`poisson`](mod@poisson) for the sampling method.
//! * **No global generator.** Every random encoder draws from a
//!   [`Rng`](crate::rng::Rng) it is given (functions) or owns (structs, built
//!   from a seed): the same seed and data give bit-identical trains.
//! * **Inputs are never mutated** (BindsNET's `bernoulli` and `rank_order`
//!   divide the caller's tensor by its maximum in place).
//! * **Bad input is an [`Error`]**, never a panic or a silent
//!   NaN: a shape whose size differs from the datum's length, `steps == 0`,
//!   non-finite values, negative values where rates or probabilities are
//!   expected, parameters out of range.
//!
//! [`rank_order()`] keeps BindsNET's oddity that the weakest non-zero input
//! never spikes (its latency is exactly `T`).
//!
//! ```
//! use spikeflow::encoding::{poisson, Encoder, PoissonEncoder};
//! use spikeflow::rng::Rng;
//!
//! // Four pixels firing at 0, 100, 500 and 1000 Hz for 250 steps of 1 ms.
//! let rates = [0.0, 100.0, 500.0, 1000.0];
//! let mut rng = Rng::seed_from_u64(42);
//! let s = poisson(&rates, &[2, 2], 250, 1.0, &mut rng)?;
//! assert_eq!(s.shape(), &[250, 2, 2]);
//! let count = |i: usize| (0..250).map(|t| s.slab(t)[i]).sum::<f32>();
//! assert_eq!(count(0), 0.0); // 0 Hz never fires
//! assert_eq!(count(3), 250.0); // 1000 Hz at dt = 1 ms fires every step
//!
//! // The encoder struct owns its generator: same seed, same trains.
//! let mut a = PoissonEncoder::new(250, 1.0, 7)?;
//! let mut b = PoissonEncoder::new(250, 1.0, 7)?;
//! assert_eq!(a.encode(&rates, &[4])?, b.encode(&rates, &[4])?);
//!
//! // A rate above 1000/dt Hz is an error, not a silently capped train.
//! assert!(poisson(&[1500.0], &[1], 10, 1.0, &mut rng).is_err());
//! # Ok::<(), spikeflow::Error>(())
//! ```

pub mod bernoulli;
pub mod poisson;
pub mod rank_order;
pub mod repeat;
pub mod single;

#[doc(inline)]
pub use bernoulli::{bernoulli, BernoulliEncoder};
#[doc(inline)]
pub use poisson::{poisson, poisson_spikes, PoissonEncoder};
#[doc(inline)]
pub use rank_order::{rank_order, RankOrderEncoder};
#[doc(inline)]
pub use repeat::{repeat, RepeatEncoder};
#[doc(inline)]
pub use single::{single, SingleEncoder};

use crate::error::{Error, Result};
use crate::Tensor;

/// Something that turns one datum into a spike train (or, for
/// [`RepeatEncoder`], a real-valued input) of shape `[steps, *shape]`.
///
/// Random encoders own their generator, so successive calls give different
/// (but, from a given seed, reproducible) trains.
pub trait Encoder {
    /// Encodes `datum`, a row-major array of shape `shape`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `shape` does not describe `datum.len()` values;
    /// [`Error::InvalidParameter`] for values or parameters the encoder
    /// rejects (see its function).
    fn encode(&mut self, datum: &[f32], shape: &[usize]) -> Result<Tensor>;
}

/// Checks the common arguments and returns the number of elements per step.
fn check_common(object: &str, datum: &[f32], shape: &[usize], steps: usize) -> Result<usize> {
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::shape(object, format!("shape {shape:?} overflows usize")))?;
    if n != datum.len() {
        return Err(Error::shape(
            object,
            format!(
                "shape {shape:?} holds {n} values, datum has {}",
                datum.len()
            ),
        ));
    }
    if steps == 0 {
        return Err(Error::param(object, "steps must be > 0, got 0"));
    }
    let fits = n
        .checked_mul(steps)
        .and_then(|len| len.checked_mul(std::mem::size_of::<f32>()))
        .is_some_and(|bytes| bytes <= isize::MAX as usize);
    if !fits {
        return Err(Error::shape(
            object,
            format!("{steps} steps of shape {shape:?} overflow usize"),
        ));
    }
    Ok(n)
}

/// The output shape `[steps, *shape]`.
fn out_shape(steps: usize, shape: &[usize]) -> Vec<usize> {
    let mut s = Vec::with_capacity(shape.len() + 1);
    s.push(steps);
    s.extend_from_slice(shape);
    s
}

/// Checks that every value is finite and, if `non_negative`, `>= 0`; the
/// error names the first offending value and its index.
fn check_values(object: &str, what: &str, datum: &[f32], non_negative: bool) -> Result<()> {
    for (i, &v) in datum.iter().enumerate() {
        if !v.is_finite() || (non_negative && v < 0.0) {
            let need = if non_negative {
                "finite and >= 0"
            } else {
                "finite"
            };
            return Err(Error::param(
                object,
                format!("{what} at index {i} is {v}; values must be {need}"),
            ));
        }
    }
    Ok(())
}

/// Total spikes of each element of a `[steps, *shape]` train (tests).
#[cfg(test)]
pub(crate) fn spike_counts(s: &Tensor) -> Vec<f64> {
    let n = s.stride0();
    let mut c = vec![0.0; n];
    for t in 0..s.shape()[0] {
        for (ci, &v) in c.iter_mut().zip(s.slab(t)) {
            *ci += f64::from(v);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trait_objects_encode_every_kind() {
        let mut encoders: Vec<Box<dyn Encoder>> = vec![
            Box::new(PoissonEncoder::new(20, 1.0, 1).unwrap()),
            Box::new(BernoulliEncoder::new(20, 0.5, 1).unwrap()),
            Box::new(RankOrderEncoder::new(20).unwrap()),
            Box::new(SingleEncoder::new(20, 0.5).unwrap()),
            Box::new(RepeatEncoder::new(20).unwrap()),
        ];
        let x = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0];
        for e in &mut encoders {
            let s = e.encode(&x, &[2, 3]).unwrap();
            assert_eq!(s.shape(), &[20, 2, 3]);
            assert!(e.encode(&x, &[4]).is_err());
        }
    }

    #[test]
    fn common_checks() {
        assert!(check_common("t", &[1.0; 6], &[2, 3], 5).is_ok());
        assert!(matches!(
            check_common("t", &[1.0; 6], &[4], 5),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            check_common("t", &[1.0; 6], &[6], 0),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(check_common("t", &[], &[usize::MAX, 2], 1).is_err());
        assert!(check_common("t", &[1.0], &[1], usize::MAX).is_err());
        assert!(check_common("t", &[1.0; 2], &[2], usize::MAX / 2).is_err());
        let e = check_values("t", "rate", &[1.0, f32::NAN], true).unwrap_err();
        assert!(e.to_string().contains("index 1"), "{e}");
        assert!(check_values("t", "x", &[-1.0], false).is_ok());
        assert!(check_values("t", "x", &[-1.0], true).is_err());
    }
}
