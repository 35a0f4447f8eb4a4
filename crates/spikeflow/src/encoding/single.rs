//! Single-spike (quantile threshold) encoding: the largest values spike
//! once, at the first step.
//!
//! For a datum `x` of `N` values and `sparsity ∈ [0, 1]`, `q` is the
//! `(1 − sparsity)` quantile of `x` with linear interpolation (numpy's and
//! torch's default): with `x₍₀₎ ≤ … ≤ x₍N−1₎` sorted,
//!
//! ```text
//! r = (1 − sparsity) · (N − 1),  k = floor(r),  γ = r − k
//! q = x₍k₎ + γ · (x₍k+1₎ − x₍k₎)
//! s[0, i] = 1  iff  x_i > q,      s[t, i] = 0 for t ≥ 1
//! ```
//!
//! (the interpolation is evaluated as `x₍k+1₎ − (1 − γ)(x₍k+1₎ − x₍k₎)` when
//! `γ ≥ 0.5`, as numpy and torch do). Roughly a fraction `sparsity` of the
//! elements spike: `sparsity = 0` gives no spikes (`q` is the maximum), and
//! `sparsity = 1` makes every element above the minimum spike. This is
//! BindsNET's `single(datum, time, dt, sparsity)`. `sparsity` is an `f64`
//! and the quantile is computed in f64 like numpy's, so that a level such as
//! `1 − 0.3` falls on the same sorted element (an f32 `0.3` would put the
//! threshold just below it and let that element spike).

use super::{check_common, check_values, out_shape, Encoder};
use crate::error::{Error, Result};
use crate::Tensor;

/// Single-spike-encodes `datum` (finite values, row-major with shape `shape`)
/// into `[steps, *shape]`: elements strictly greater than the
/// `(1 − sparsity)` quantile of `datum` spike at row 0; every other entry is
/// `0.0`. Deterministic.
///
/// # Errors
/// [`Error::Shape`] if `shape` does not hold `datum.len()` values;
/// [`Error::InvalidParameter`] if `steps == 0`, `sparsity` is not in
/// `[0, 1]`, or a value is not finite (the error names the first such value
/// and its index).
pub fn single(datum: &[f32], shape: &[usize], steps: usize, sparsity: f64) -> Result<Tensor> {
    const OBJ: &str = "single encoder";
    let n = check_common(OBJ, datum, shape, steps)?;
    check_sparsity(OBJ, sparsity)?;
    check_values(OBJ, "value", datum, false)?;
    let mut out = vec![0.0f32; n * steps];
    if n > 0 {
        let q = quantile(datum, 1.0 - sparsity);
        for (o, &x) in out[..n].iter_mut().zip(datum) {
            if f64::from(x) > q {
                *o = 1.0;
            }
        }
    }
    Tensor::new(out_shape(steps, shape), out)
}

fn check_sparsity(object: &str, sparsity: f64) -> Result<()> {
    if (0.0..=1.0).contains(&sparsity) {
        Ok(())
    } else {
        Err(Error::param(
            object,
            format!("sparsity must be in [0, 1], got {sparsity}"),
        ))
    }
}

/// The `level` quantile (`0 ≤ level ≤ 1`) of a non-empty, NaN-free `data`,
/// interpolated linearly like `numpy.quantile` / `torch.quantile`.
fn quantile(data: &[f32], level: f64) -> f64 {
    let mut sorted: Vec<f64> = data.iter().map(|&x| f64::from(x)).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let last = sorted.len() - 1;
    let rank = (level * last as f64).clamp(0.0, last as f64);
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(last);
    let gamma = rank - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// [`single`] with stored parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleEncoder {
    /// Number of time steps (rows) to produce.
    pub steps: usize,
    /// Approximate fraction of elements that spike (`[0, 1]`).
    pub sparsity: f64,
}

impl SingleEncoder {
    /// An encoder producing `steps` rows with the given `sparsity`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `steps == 0` or `sparsity` is not in
    /// `[0, 1]`.
    pub fn new(steps: usize, sparsity: f64) -> Result<Self> {
        const OBJ: &str = "single encoder";
        if steps == 0 {
            return Err(Error::param(OBJ, "steps must be > 0, got 0"));
        }
        check_sparsity(OBJ, sparsity)?;
        Ok(SingleEncoder { steps, sparsity })
    }
}

impl Encoder for SingleEncoder {
    fn encode(&mut self, datum: &[f32], shape: &[usize]) -> Result<Tensor> {
        single(datum, shape, self.steps, self.sparsity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_example() {
        // [0.1, 0.5, 0.9, 0.3], sparsity 0.5: q = 0.4, elements 1 and 2 spike at row 0.
        let s = single(&[0.1, 0.5, 0.9, 0.3], &[4], 5, 0.5).unwrap();
        assert_eq!(s.shape(), &[5, 4]);
        assert_eq!(s.slab(0), &[0.0, 1.0, 1.0, 0.0]);
        assert!(s.data()[4..].iter().all(|&v| v == 0.0));
        let s = single(&[0.1, 0.5, 0.9, 0.3], &[2, 2], 3, 0.5).unwrap();
        assert_eq!(s.shape(), &[3, 2, 2]);
        assert_eq!(s.slab(0), &[0.0, 1.0, 1.0, 0.0]);
        let mut e = SingleEncoder::new(3, 0.5).unwrap();
        assert_eq!(e.encode(&[0.1, 0.5, 0.9, 0.3], &[2, 2]).unwrap(), s);
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        // numpy.quantile(x, [0, .1, .25, .5, .75, .9, 1])
        let expect = [1.0, 1.0, 1.75, 3.5, 5.25, 6.9, 9.0];
        for (&level, &want) in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0].iter().zip(&expect) {
            let got = quantile(&x, level);
            assert!((got - want).abs() < 1e-12, "q{level}: {got} vs {want}");
        }
        assert_eq!(quantile(&[7.0], 0.3), 7.0);
    }

    #[test]
    fn sparsity_extremes_and_ties() {
        let x = [0.2, 0.8, 0.5, 0.8];
        // sparsity 0: q = max, nothing is strictly greater.
        assert!(single(&x, &[4], 2, 0.0)
            .unwrap()
            .data()
            .iter()
            .all(|&v| v == 0.0));
        // sparsity 1: q = min, everything above the minimum spikes.
        assert_eq!(
            single(&x, &[4], 2, 1.0).unwrap().slab(0),
            &[0.0, 1.0, 1.0, 1.0]
        );
        // Constant data never spikes.
        assert!(single(&[1.0; 5], &[5], 2, 0.7)
            .unwrap()
            .data()
            .iter()
            .all(|&v| v == 0.0));
        // Negative values are fine (only order matters).
        assert_eq!(
            single(&[-3.0, -1.0, -2.0], &[3], 1, 0.4).unwrap().slab(0),
            &[0.0, 1.0, 0.0]
        );
        // Empty datum.
        assert_eq!(single(&[], &[0], 2, 0.5).unwrap().shape(), &[2, 0]);
        // About a fraction `sparsity` spikes on distinct values.
        let y: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 1000) as f32).collect();
        let spikes: f32 = single(&y, &[1000], 1, 0.3).unwrap().data().iter().sum();
        assert_eq!(spikes, 300.0);
        // A level landing exactly on an element: 0..=10, 0.7 quantile = 7, so
        // only 8, 9 and 10 spike (as numpy.quantile gives 7.0).
        let z: Vec<f32> = (0..=10).map(|i| i as f32).collect();
        let s = single(&z, &[11], 1, 0.3).unwrap();
        assert_eq!(s.data().iter().sum::<f32>(), 3.0);
        assert_eq!(&s.data()[8..], &[1.0, 1.0, 1.0]);
    }

    #[test]
    fn bad_input_is_an_error() {
        let e = single(&[0.1, f32::NAN], &[2], 3, 0.5).unwrap_err();
        assert!(e.to_string().contains("index 1"), "{e}");
        assert!(single(&[f32::NEG_INFINITY], &[1], 3, 0.5).is_err());
        assert!(single(&[0.1], &[1], 3, 1.5).is_err());
        assert!(single(&[0.1], &[1], 3, -0.1).is_err());
        assert!(single(&[0.1], &[1], 3, f64::NAN).is_err());
        assert!(single(&[0.1], &[1], 0, 0.5).is_err());
        assert!(single(&[0.1], &[2], 3, 0.5).is_err());
        assert!(SingleEncoder::new(0, 0.5).is_err());
        assert!(SingleEncoder::new(3, 2.0).is_err());
    }
}
