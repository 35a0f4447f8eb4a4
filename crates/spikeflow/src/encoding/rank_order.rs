//! Rank-order (latency) encoding: stronger inputs spike earlier, each at
//! most once.
//!
//! Exactly BindsNET's `rank_order(datum, time, dt)`, in f32 like its torch
//! code, for a non-negative datum `x` over `T` steps:
//!
//! ```text
//! d_i = x_i / max_j x_j
//! ℓ_i = 1 / d_i  if d_i ≠ 0,  else 0          (latency, in units of the strongest input's)
//! L_i = ceil(ℓ_i · ((1 / max_j ℓ_j) · T))     (the largest latency is stretched to T)
//! s[L_i − 1, i] = 1   iff 0 < L_i < T          (all other entries 0)
//! ```
//!
//! # Oddity kept from BindsNET
//!
//! The weakest non-zero input has `ℓ_i = max_j ℓ_j`, hence `L_i = T`, which
//! fails `L_i < T`: **the weakest non-zero input never spikes** (nor does any
//! input tied with it; with a single distinct non-zero value nothing spikes).
//! For inputs `[1, 2, 3, 4]` over `T = 10`: latencies `4, 2, 4/3, 1` are
//! stretched to `10, 5, 3.33, 2.5`, rounded up to `10, 5, 4, 3`, so inputs 2,
//! 3 and 4 spike at rows 4, 3 and 2 and input 1 is silent (verified against
//! BindsNET). Zero inputs never spike, and an all-zero datum gives no spikes
//! (BindsNET would divide 0 by 0).
//!
//! The f32 operations are those torch performs, in its order (`time / t` on a
//! tensor is `t.reciprocal() * time`), so that latencies falling on integer
//! boundaries round up the same way.
//!
//! Unlike BindsNET the datum is not divided by its maximum in place.

use super::{check_common, check_values, out_shape, Encoder};
use crate::error::{Error, Result};
use crate::Tensor;

/// Rank-order-encodes `datum` (non-negative values, row-major with shape
/// `shape`) into `[steps, *shape]` spikes (`0.0`/`1.0`), each element at most
/// once, stronger elements earlier. Deterministic.
///
/// Replicates BindsNET exactly, including that the weakest non-zero element
/// never spikes; see the [module docs](mod@crate::encoding::rank_order).
///
/// # Errors
/// [`Error::Shape`] if `shape` does not hold `datum.len()` values;
/// [`Error::InvalidParameter`] if `steps == 0` or a value is negative or not
/// finite (the error names the first such value and its index).
pub fn rank_order(datum: &[f32], shape: &[usize], steps: usize) -> Result<Tensor> {
    const OBJ: &str = "rank-order encoder";
    let n = check_common(OBJ, datum, shape, steps)?;
    check_values(OBJ, "value", datum, true)?;
    let mut out = vec![0.0f32; n * steps];
    let max = datum.iter().copied().fold(0.0f32, f32::max);
    if max > 0.0 {
        // ℓ_i = 1 / (x_i / max), in f32 as torch computes it. `max_latency`
        // is finite unless a value is so small that 1/d overflows; then the
        // scale is 0 and nothing spikes (0 · ∞ is NaN and fails the test).
        let latency = |x: f32| if x != 0.0 { 1.0 / (x / max) } else { 0.0 };
        let max_latency = datum.iter().map(|&x| latency(x)).fold(0.0f32, f32::max);
        // torch evaluates `time / times.max()` as `reciprocal(max) * time`,
        // which rounds differently from a division; do the same.
        let scale = (1.0 / max_latency) * steps as f32;
        for (i, &x) in datum.iter().enumerate() {
            let l = (latency(x) * scale).ceil();
            // `0 < L < T`; the comparisons are false for NaN.
            if l > 0.0 && l < steps as f32 {
                out[(l as usize - 1) * n + i] = 1.0;
            }
        }
    }
    Tensor::new(out_shape(steps, shape), out)
}

/// [`rank_order`] with a stored number of steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankOrderEncoder {
    /// Number of time steps (rows) to produce.
    pub steps: usize,
}

impl RankOrderEncoder {
    /// An encoder producing `steps` rows.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `steps == 0`.
    pub fn new(steps: usize) -> Result<Self> {
        if steps == 0 {
            return Err(Error::param(
                "rank-order encoder",
                "steps must be > 0, got 0",
            ));
        }
        Ok(RankOrderEncoder { steps })
    }
}

impl Encoder for RankOrderEncoder {
    fn encode(&mut self, datum: &[f32], shape: &[usize]) -> Result<Tensor> {
        rank_order(datum, shape, self.steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (row, element) of every spike.
    fn spikes(s: &Tensor) -> Vec<(usize, usize)> {
        let n = s.stride0();
        let mut v = Vec::new();
        for t in 0..s.shape()[0] {
            for (i, &x) in s.slab(t).iter().enumerate() {
                if x != 0.0 {
                    assert_eq!(x, 1.0);
                    v.push((t, i));
                }
            }
        }
        assert!(v.iter().all(|&(_, i)| i < n));
        v
    }

    #[test]
    fn bindsnet_verified_example() {
        // Inputs 1,2,3,4 over T = 10: rows 4,3,2 for 2,3,4; input 1 silent.
        let s = rank_order(&[1.0, 2.0, 3.0, 4.0], &[4], 10).unwrap();
        assert_eq!(s.shape(), &[10, 4]);
        assert_eq!(spikes(&s), vec![(2, 3), (3, 2), (4, 1)]);
        // Same data as a 2×2 image.
        let s = rank_order(&[1.0, 2.0, 3.0, 4.0], &[2, 2], 10).unwrap();
        assert_eq!(s.shape(), &[10, 2, 2]);
        assert_eq!(spikes(&s), vec![(2, 3), (3, 2), (4, 1)]);
        // Scale invariance (the datum is normalised by its maximum).
        let s = rank_order(&[0.25, 0.5, 0.75, 1.0], &[4], 10).unwrap();
        assert_eq!(spikes(&s), vec![(2, 3), (3, 2), (4, 1)]);
    }

    #[test]
    fn zeros_ties_and_degenerate_inputs() {
        // Zeros never spike; the strongest spikes first; the weakest non-zero
        // (and its tie) never spike.
        let s = rank_order(&[0.0, 8.0, 1.0, 1.0, 4.0], &[5], 8).unwrap();
        // ℓ = 0, 1, 8, 8, 2 → scale 1 → L = 0, 1, 8, 8, 2.
        assert_eq!(spikes(&s), vec![(0, 1), (1, 4)]);
        assert!(spikes(&rank_order(&[0.0; 6], &[2, 3], 5).unwrap()).is_empty());
        assert!(spikes(&rank_order(&[3.0, 3.0], &[2], 5).unwrap()).is_empty());
        assert!(spikes(&rank_order(&[0.0, 7.0], &[2], 5).unwrap()).is_empty());
        // A value so small that its latency overflows: no panic.
        let s = rank_order(&[1e-45, 1.0, 0.5], &[3], 5).unwrap();
        assert_eq!(s.shape(), &[5, 3]);
        // Deterministic.
        let x: Vec<f32> = (0..50).map(|i| ((i * 37) % 11) as f32).collect();
        assert_eq!(
            rank_order(&x, &[50], 30).unwrap(),
            rank_order(&x, &[50], 30).unwrap()
        );
        let mut e = RankOrderEncoder::new(30).unwrap();
        assert_eq!(
            e.encode(&x, &[5, 10]).unwrap().data(),
            rank_order(&x, &[50], 30).unwrap().data()
        );
    }

    #[test]
    fn every_element_spikes_at_most_once() {
        let x: Vec<f32> = (0..100).map(|i| (i as f32 * 0.37).sin().abs()).collect();
        let s = rank_order(&x, &[100], 25).unwrap();
        let sp = spikes(&s);
        let mut seen = [false; 100];
        for &(_, i) in &sp {
            assert!(!seen[i]);
            seen[i] = true;
        }
        // Stronger inputs spike no later than weaker ones.
        for &(ta, a) in &sp {
            for &(tb, b) in &sp {
                if x[a] > x[b] {
                    assert!(ta <= tb);
                }
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let e = rank_order(&[1.0, -2.0], &[2], 5).unwrap_err();
        assert!(
            e.to_string().contains("index 1") && e.to_string().contains("-2"),
            "{e}"
        );
        assert!(rank_order(&[f32::NAN], &[1], 5).is_err());
        assert!(rank_order(&[f32::INFINITY, 1.0], &[2], 5).is_err());
        assert!(rank_order(&[1.0], &[1], 0).is_err());
        assert!(rank_order(&[1.0], &[3], 5).is_err());
        assert!(RankOrderEncoder::new(0).is_err());
    }
}
