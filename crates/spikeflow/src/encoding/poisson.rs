//! Poisson (rate) encoding: each value is a firing rate in Hz.
//!
//! With a step of `dt` ms, element `i` firing at `rate_i` Hz spikes at each
//! step independently with probability
//!
//! ```text
//! p_i = rate_i · dt / 1000,     s[t, i] ~ Bernoulli(p_i),
//! E[Σ_t s[t, i]] = T · p_i = rate_i · (T · dt / 1000 s)
//! ```
//!
//! the discrete-time Bernoulli approximation of a Poisson process of rate
//! `rate_i`, at most one spike per step. Rates must satisfy `p_i ≤ 1`, i.e.
//! `rate_i ≤ 1000 / dt` Hz (1000 Hz at `dt = 1` ms); faster rates are an
//! error. (A relative slack of a few f32 ulps is allowed so that a rate
//! computed as `1000.0 / dt` in f32 is accepted and fires every step.)
//!
//! # Difference from BindsNET
//!
//! BindsNET's `poisson(datum, time, dt)` draws inter-spike intervals from a
//! *Poisson* distribution of mean `1000 / (rate · dt)` steps and bumps zero
//! intervals to one step. The bump lengthens the mean interval, so the
//! realised rate falls below nominal as the rate grows: at `dt = 1` ms,
//! 500 Hz fires ≈ 470 Hz and 1000 Hz fires ≈ 730 Hz (verified counts over
//! 10 s: 4710 and 7324 spikes). Here every step is an exact Bernoulli(`p`)
//! trial, so the expected count is exactly nominal at every rate (1000 Hz at
//! `dt = 1` ms fires every step), and rates that cannot be represented with
//! at most one spike per step are rejected rather than silently capped.
//! BindsNET's `approx=True` mode (thresholded |N(0,1)| powers) is not
//! provided.
//!
//! # Cost
//!
//! The trains are drawn by skipping ahead over silent steps with a geometric
//! gap per spike (see [`bernoulli`](mod@super::bernoulli)), which is exactly equivalent in
//! distribution to one uniform draw per step and element. Zero-rate elements
//! (most MNIST pixels) cost nothing and draw nothing, and an element firing
//! at `p` costs about `p · steps` draws, so a 784-pixel image over 350 steps
//! costs a few thousand draws rather than 274 400. The only allocation is the
//! output. The random stream consumed depends only on the seed and the data,
//! so results are reproducible.

use super::bernoulli::bernoulli_column;
use super::{check_common, out_shape, Encoder};
use crate::error::{positive, Error, Result};
use crate::rng::Rng;
use crate::spikes::SpikeValue;
use crate::Tensor;

/// Relative slack on `p ≤ 1` for f32 rounding of `1000 / dt`.
const P_SLACK: f64 = 4.0 * f32::EPSILON as f64;

/// Poisson-encodes firing rates `datum` (Hz, row-major with shape `shape`)
/// into `[steps, *shape]` spikes (`0.0`/`1.0`) with a step of `dt_ms`
/// milliseconds.
///
/// Element `i` spikes at each step independently with probability
/// `datum[i] · dt_ms / 1000`, so its expected spike count is exactly
/// `datum[i] · steps · dt_ms / 1000` (unlike BindsNET, which under-fires at
/// high rates; see the [module docs](mod@crate::encoding::poisson)).
///
/// # Errors
/// [`Error::Shape`] if `shape` does not hold `datum.len()` values;
/// [`Error::InvalidParameter`] if `steps == 0`, `dt_ms` is not finite and
/// positive, or a rate is negative, not finite, or above `1000 / dt_ms` Hz
/// (the error names the first such rate and its index).
pub fn poisson(
    datum: &[f32],
    shape: &[usize],
    steps: usize,
    dt_ms: f32,
    rng: &mut Rng,
) -> Result<Tensor> {
    let n = check_common(OBJ, datum, shape, steps)?;
    let mut out = vec![0.0f32; n * steps];
    poisson_into(datum, steps, dt_ms, &mut out, n, 0, rng)?;
    Tensor::new(out_shape(steps, shape), out)
}

/// [`poisson`](fn@poisson) as `bool` spikes (`true` = spike), the same
/// draws: an eighth of the bytes of the `f32` tensor, for callers that hand
/// the trains on as spikes (the Python package's `uint8` encoders).
///
/// # Errors
/// As [`poisson`](fn@poisson).
pub fn poisson_spikes(
    datum: &[f32],
    shape: &[usize],
    steps: usize,
    dt_ms: f32,
    rng: &mut Rng,
) -> Result<Vec<bool>> {
    let n = check_common(OBJ, datum, shape, steps)?;
    let mut out = vec![false; n * steps];
    poisson_into(datum, steps, dt_ms, &mut out, n, 0, rng)?;
    Ok(out)
}

const OBJ: &str = "poisson encoder";

/// [`poisson`](fn@poisson) written into `out`, a zeroed `[steps, stride]`
/// array of `f32` or `bool`: element `i`'s train goes to column `first + i`,
/// with the same draws. Lets a caller interleave batch rows
/// (`stride = batch · n`, `first = row · n`) in one buffer it reuses from
/// image to image.
///
/// # Errors
/// As [`poisson`](fn@poisson) for `dt_ms` and the rates; nothing is drawn
/// then.
pub(crate) fn poisson_into<T: SpikeValue>(
    datum: &[f32],
    steps: usize,
    dt_ms: f32,
    out: &mut [T],
    stride: usize,
    first: usize,
    rng: &mut Rng,
) -> Result<()> {
    debug_assert!(first + datum.len() <= stride && out.len() == steps * stride);
    positive(OBJ, "dt_ms", dt_ms)?;
    let dt = f64::from(dt_ms);
    // Validate everything before drawing anything.
    for (i, &rate) in datum.iter().enumerate() {
        if !rate.is_finite() || rate < 0.0 {
            return Err(Error::param(
                OBJ,
                format!("rate at index {i} is {rate} Hz; rates must be finite and >= 0"),
            ));
        }
        let p = f64::from(rate) * dt / 1000.0;
        if p > 1.0 + P_SLACK {
            return Err(Error::param(
                OBJ,
                format!(
                    "rate at index {i} is {rate} Hz, above the maximum 1000/dt = {} Hz for dt = {dt_ms} ms \
                     (spike probability per step {p} > 1)",
                    1000.0 / dt
                ),
            ));
        }
    }
    for (i, &rate) in datum.iter().enumerate() {
        if rate == 0.0 {
            continue;
        }
        let p = (f64::from(rate) * dt / 1000.0).min(1.0);
        bernoulli_column(p, first + i, stride, steps, out, rng);
    }
    Ok(())
}

/// [`poisson`](fn@poisson) with stored parameters and its own generator.
#[derive(Debug, Clone, PartialEq)]
pub struct PoissonEncoder {
    /// Number of time steps (rows) to produce.
    pub steps: usize,
    /// Step length in milliseconds.
    pub dt_ms: f32,
    /// The generator the trains are drawn from.
    pub rng: Rng,
}

impl PoissonEncoder {
    /// An encoder producing `steps` rows of `dt_ms` milliseconds, drawing
    /// from a generator seeded with `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `steps == 0` or `dt_ms` is not finite
    /// and positive.
    pub fn new(steps: usize, dt_ms: f32, seed: u64) -> Result<Self> {
        const OBJ: &str = "poisson encoder";
        if steps == 0 {
            return Err(Error::param(OBJ, "steps must be > 0, got 0"));
        }
        positive(OBJ, "dt_ms", dt_ms)?;
        Ok(PoissonEncoder {
            steps,
            dt_ms,
            rng: Rng::seed_from_u64(seed),
        })
    }
}

impl Encoder for PoissonEncoder {
    fn encode(&mut self, datum: &[f32], shape: &[usize]) -> Result<Tensor> {
        poisson(datum, shape, self.steps, self.dt_ms, &mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::spike_counts as counts;

    #[test]
    fn rows_written_in_place_equal_separate_trains_interleaved() {
        let rows = [[80.0, 0.0, 500.0, 20.0], [0.0, 999.0, 3.0, 120.0]];
        let (n, steps) = (4, 40);
        let mut a = Rng::seed_from_u64(7);
        let mut expected = vec![0.0; steps * 2 * n];
        for (r, rates) in rows.iter().enumerate() {
            let t = poisson(rates, &[n], steps, 1.0, &mut a).unwrap();
            for (step, slab) in t.data().chunks_exact(n).enumerate() {
                expected[(step * 2 + r) * n..(step * 2 + r + 1) * n].copy_from_slice(slab);
            }
        }
        let mut b = Rng::seed_from_u64(7);
        let mut got = vec![0.0; steps * 2 * n];
        for (r, rates) in rows.iter().enumerate() {
            poisson_into(rates, steps, 1.0, &mut got, 2 * n, r * n, &mut b).unwrap();
        }
        assert_eq!(got, expected);
        assert_eq!(a, b, "same draws");
        assert!(got.contains(&1.0));
    }

    #[test]
    fn spikes_as_bool_are_the_tensor_s_draws() {
        let rates = [0.0, 30.0, 250.0, 1000.0, 7.5, 80.0];
        let a = poisson(&rates, &[2, 3], 300, 1.0, &mut Rng::seed_from_u64(9)).unwrap();
        let b = poisson_spikes(&rates, &[2, 3], 300, 1.0, &mut Rng::seed_from_u64(9)).unwrap();
        let a: Vec<bool> = a.data().iter().map(|&x| x != 0.0).collect();
        assert_eq!(a, b);
        assert!(poisson_spikes(&[2000.0], &[1], 5, 1.0, &mut Rng::seed_from_u64(0)).is_err());
    }

    #[test]
    fn shape_and_binary_values() {
        let mut rng = Rng::seed_from_u64(1);
        let s = poisson(
            &[10.0, 0.0, 300.0, 5.0, 60.0, 1.0],
            &[3, 2],
            50,
            1.0,
            &mut rng,
        )
        .unwrap();
        assert_eq!(s.shape(), &[50, 3, 2]);
        assert!(s.data().iter().all(|&v| v == 0.0 || v == 1.0));
        assert_eq!(counts(&s)[1], 0.0);
        // Scalar datum (empty shape) and empty datum.
        assert_eq!(
            poisson(&[5.0], &[], 4, 1.0, &mut rng).unwrap().shape(),
            &[4]
        );
        assert_eq!(
            poisson(&[], &[0, 3], 4, 1.0, &mut rng).unwrap().shape(),
            &[4, 0, 3]
        );
    }

    #[test]
    fn seeds() {
        let x: Vec<f32> = (0..64).map(|i| i as f32 * 3.0).collect();
        let a = poisson(&x, &[8, 8], 100, 1.0, &mut Rng::seed_from_u64(1)).unwrap();
        let b = poisson(&x, &[8, 8], 100, 1.0, &mut Rng::seed_from_u64(1)).unwrap();
        let c = poisson(&x, &[8, 8], 100, 1.0, &mut Rng::seed_from_u64(2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut e1 = PoissonEncoder::new(100, 1.0, 3).unwrap();
        let mut e2 = PoissonEncoder::new(100, 1.0, 3).unwrap();
        let e3 = PoissonEncoder::new(100, 1.0, 4)
            .unwrap()
            .encode(&x, &[64])
            .unwrap();
        let first = e1.encode(&x, &[64]).unwrap();
        assert_eq!(first, e2.encode(&x, &[64]).unwrap());
        assert_ne!(first, e3);
        // The encoder's generator advances between data.
        assert_ne!(first, e1.encode(&x, &[64]).unwrap());
    }

    #[test]
    fn mean_rate_is_nominal_even_at_high_rates() {
        // 1000 elements × 1000 steps of 1 ms = 1000 s of firing per rate.
        // BindsNET gives ≈ 470 Hz for 500 and ≈ 730 Hz for 1000.
        let (n, steps, dt) = (1000usize, 1000usize, 1.0f32);
        for (k, &rate) in [10.0f32, 100.0, 500.0, 1000.0].iter().enumerate() {
            let x = vec![rate; n];
            let s = poisson(&x, &[n], steps, dt, &mut Rng::seed_from_u64(100 + k as u64)).unwrap();
            let total: f64 = counts(&s).iter().sum();
            let trials = (n * steps) as f64;
            let p = f64::from(rate) * f64::from(dt) / 1000.0;
            let sd = (trials * p * (1.0 - p)).sqrt();
            assert!(
                (total - trials * p).abs() <= 4.0 * sd + 1e-9,
                "{rate} Hz: {total} spikes vs {} ± {sd}",
                trials * p
            );
            let hz = total / (n as f64 * steps as f64 * f64::from(dt) / 1000.0);
            assert!(
                (hz - f64::from(rate)).abs() <= 0.02 * f64::from(rate),
                "{rate} Hz: realised {hz} Hz"
            );
        }
    }

    #[test]
    fn counts_are_binomial_not_poisson() {
        // Per-element count variance is T·p·(1−p) (per-step Bernoulli).
        let (n, steps) = (4000usize, 100usize);
        let x = vec![500.0f32; n];
        let s = poisson(&x, &[n], steps, 1.0, &mut Rng::seed_from_u64(9)).unwrap();
        let c = counts(&s);
        let mean = c.iter().sum::<f64>() / n as f64;
        let var = c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let expected = steps as f64 * 0.5 * 0.5; // 25
        assert!((mean - 50.0).abs() < 0.5, "{mean}");
        assert!((var - expected).abs() < 0.15 * expected, "{var}");
    }

    #[test]
    fn other_dt_and_max_rate() {
        // dt = 0.5 ms: 2000 Hz is the maximum and fires every step.
        let mut rng = Rng::seed_from_u64(4);
        let s = poisson(&[2000.0, 0.0], &[2], 10, 0.5, &mut rng).unwrap();
        assert_eq!(counts(&s), [10.0, 0.0]);
        // A rate of 1000/dt computed in f32 is accepted.
        let dt = 0.3f32;
        let s = poisson(&[1000.0 / dt], &[1], 10, dt, &mut rng).unwrap();
        assert_eq!(counts(&s), [10.0]);
        // dt = 2 ms: 100 Hz means p = 0.2.
        let x = vec![100.0f32; 500];
        let s = poisson(&x, &[500], 1000, 2.0, &mut rng).unwrap();
        let total: f64 = counts(&s).iter().sum();
        let sd = (500_000.0f64 * 0.2 * 0.8).sqrt();
        assert!((total - 100_000.0).abs() <= 4.0 * sd, "{total}");
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut rng = Rng::seed_from_u64(0);
        let e = poisson(&[10.0, -1.0], &[2], 5, 1.0, &mut rng).unwrap_err();
        assert!(
            e.to_string().contains("index 1") && e.to_string().contains("-1"),
            "{e}"
        );
        let e = poisson(&[10.0, f32::NAN], &[2], 5, 1.0, &mut rng).unwrap_err();
        assert!(
            e.to_string().contains("index 1") && e.to_string().contains("NaN"),
            "{e}"
        );
        assert!(poisson(&[f32::INFINITY], &[1], 5, 1.0, &mut rng).is_err());
        let e = poisson(&[10.0, 20.0, 1001.0], &[3], 5, 1.0, &mut rng).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("index 2") && msg.contains("1001") && msg.contains("1000 Hz"),
            "{msg}"
        );
        let e = poisson(&[600.0], &[1], 5, 2.0, &mut rng).unwrap_err();
        assert!(e.to_string().contains("500 Hz"), "{e}");
        assert!(poisson(&[10.0], &[1], 5, 0.0, &mut rng).is_err());
        assert!(poisson(&[10.0], &[1], 5, -1.0, &mut rng).is_err());
        assert!(poisson(&[10.0], &[1], 5, f32::NAN, &mut rng).is_err());
        assert!(poisson(&[10.0], &[1], 0, 1.0, &mut rng).is_err());
        assert!(poisson(&[10.0], &[2], 5, 1.0, &mut rng).is_err());
        assert!(PoissonEncoder::new(0, 1.0, 0).is_err());
        assert!(PoissonEncoder::new(5, 0.0, 0).is_err());
        // A rejected datum draws nothing.
        let before = rng.clone();
        assert!(poisson(&[10.0, 2000.0], &[2], 5, 1.0, &mut rng).is_err());
        assert_eq!(rng, before);
    }

    #[test]
    fn zero_rates_draw_nothing() {
        let mut rng = Rng::seed_from_u64(8);
        let before = rng.clone();
        let s = poisson(&[0.0; 784], &[28, 28], 350, 1.0, &mut rng).unwrap();
        assert!(s.data().iter().all(|&v| v == 0.0));
        assert_eq!(rng, before);
    }
}
