//! The pinned random draws of W1–W4: weights and input rasters, exactly as
//! the peer scripts build them (`peer/bench/WORKLOADS.md` §0, reference
//! implementation `peer/bench/common.py`).
//!
//! # Why not `spikeflow::rng::Rng`
//!
//! The library's generator is a *sequential* xoshiro256++ stream: a draw
//! depends on every draw before it. The workloads are defined by a
//! *counter-based* SplitMix64 instead — draw `k` of stream `s` is a pure
//! function `f(seed, s, k)` — because the peers need it that way: numpy
//! computes it vectorised, any language reproduces it from four lines, and
//! any subset can be drawn in any order (here: the weight rows and raster
//! steps in parallel). Only with these very draws does spikeflow get the
//! peers' weights and rasters bit for bit, and hence the reference output
//! spike counts that `spikeflow bench` and `bench/compare.sh` check
//! (`W1_REF`/`W2_REF` in `dense.rs`). So this generator stays, as part of
//! the benchmark's definition, not of the library; its one mixing step is
//! the library's [`splitmix64`], which is also what seeds `Rng`.

use rayon::prelude::*;
use spikeflow::rng::splitmix64;

/// SplitMix64's output function of `x` (WORKLOADS.md §0 `splitmix64(x)`).
fn mix(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

/// One numbered stream of WORKLOADS.md §0 for one seed: draw `k` is
/// `splitmix64(key + k)` with `key = splitmix64(splitmix64(seed) ^ stream)`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Stream {
    key: u64,
}

impl Stream {
    /// W1/W2 input rates.
    pub const RATES: u64 = 1;
    /// W1/W2 weights.
    pub const WEIGHTS: u64 = 2;
    /// W1/W2 input spikes.
    pub const SPIKES: u64 = 3;
    /// W3/W4 initial weights.
    pub const DC_WEIGHTS: u64 = 4;
    /// W3/W4 input spikes.
    pub const DC_SPIKES: u64 = 5;

    /// `key(seed, stream) = splitmix64(splitmix64(seed) ^ stream)`.
    pub fn new(seed: u64, stream: u64) -> Self {
        Stream {
            key: mix(mix(seed) ^ stream),
        }
    }

    /// `u64(seed, stream, k)`.
    #[inline]
    pub fn u64(self, k: u64) -> u64 {
        mix(self.key.wrapping_add(k))
    }

    /// `uniform(seed, stream, k)`: f64 in [0, 1).
    #[inline]
    pub fn uniform(self, k: u64) -> f64 {
        (self.u64(k) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `normal_f32(seed, stream, k)`: N(0, 1) by Box–Muller in f64, rounded.
    #[inline]
    pub fn normal_f32(self, k: u64) -> f32 {
        let u1 = self.uniform(2 * k);
        let u2 = self.uniform(2 * k + 1);
        ((-2.0 * (-u1).ln_1p()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

/// W1/W2 rates in Hz: `100 · uniform(seed, 1, i)`.
pub(super) fn w1_rates(n: usize, seed: u64) -> Vec<f64> {
    let s = Stream::new(seed, Stream::RATES);
    (0..n as u64).map(|i| 100.0 * s.uniform(i)).collect()
}

/// W1/W2 weights `[n][n]`: `normal_f32(seed, 2, i·n + j)` (parallel, order-free).
pub(super) fn w1_weights(n: usize, seed: u64) -> Vec<f32> {
    let s = Stream::new(seed, Stream::WEIGHTS);
    let mut w = vec![0.0f32; n * n];
    w.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        let base = (i * n) as u64;
        for (j, x) in row.iter_mut().enumerate() {
            *x = s.normal_f32(base + j as u64);
        }
    });
    w
}

/// W1/W2 raster `[steps, 1, n]` of spikes (a bool raster, as the peers
/// feed): `uniform(seed, 3, t·n + i) < r_i·(dt/1000)`. Returns the raster
/// and its spike count.
pub(super) fn w1_raster(n: usize, steps: usize, seed: u64, dt: f64) -> (Vec<bool>, usize) {
    let s = Stream::new(seed, Stream::SPIKES);
    let p: Vec<f64> = w1_rates(n, seed)
        .iter()
        .map(|r| r * (dt / 1000.0))
        .collect();
    let mut x = vec![false; steps * n];
    x.par_chunks_mut(n).enumerate().for_each(|(t, row)| {
        let base = (t * n) as u64;
        for (i, v) in row.iter_mut().enumerate() {
            *v = s.uniform(base + i as u64) < p[i];
        }
    });
    let count = x.iter().filter(|&&v| v).count();
    (x, count)
}

/// W3/W4 initial weights `[784][N]`: `f32(0.3 · uniform(seed, 4, i·N + j))`.
pub(super) fn dc_weights(n_inpt: usize, n: usize, seed: u64) -> Vec<f32> {
    let s = Stream::new(seed, Stream::DC_WEIGHTS);
    (0..(n_inpt * n) as u64)
        .map(|i| (0.3 * s.uniform(i)) as f32)
        .collect()
}

/// W3/W4 raster for images `first..first+B`, `[T, B, 784]` of spikes:
/// `uniform(seed, 5, (k·T + t)·784 + i) < pixel/255·intensity·(dt/1000)`.
/// Writes `out` and returns its spike count.
pub(super) fn dc_encode(
    images: &[&[u8]],
    first: usize,
    t_steps: usize,
    seed: u64,
    intensity: f64,
    dt: f64,
    out: &mut [bool],
) -> usize {
    let s = Stream::new(seed, Stream::DC_SPIKES);
    let b_n = images.len();
    let mut count = 0;
    for (b, img) in images.iter().enumerate() {
        let p: Vec<f64> = img
            .iter()
            .map(|&px| px as f64 / 255.0 * intensity * (dt / 1000.0))
            .collect();
        let k = (first + b) as u64;
        for t in 0..t_steps {
            let row = &mut out[(t * b_n + b) * 784..(t * b_n + b + 1) * 784];
            let base = (k * t_steps as u64 + t as u64) * 784;
            for (i, v) in row.iter_mut().enumerate() {
                let spike = p[i] > 0.0 && s.uniform(base + i as u64) < p[i];
                *v = spike;
                count += spike as usize;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // test vectors as WORKLOADS.md prints them
    fn portable_rng_test_vectors() {
        assert_eq!(mix(0), 0xe220a8397b1dcdaf);
        assert_eq!(mix(1), 0x910a2dec89025cc1);
        let keys = [
            0x08b4fda8c892b50e,
            0xd7cc9674ff5ffa39,
            0xc810565020d09481,
            0x1e2385c4a57ef30d,
            0x3eb2ecbc903907fc,
        ];
        for (s, &k) in keys.iter().enumerate() {
            assert_eq!(Stream::new(0, s as u64 + 1).key, k);
        }
        let s1 = Stream::new(0, Stream::RATES);
        assert_eq!(s1.u64(0), 0x44e5b98100c67fb0);
        assert_eq!(s1.u64(1), 0x465391958fc61f13);
        assert_eq!(s1.u64(2), 0xfd7a8b00efefa600);
        let u = [
            0.2691303195904541,
            0.27471265698820735,
            0.9901511075294693,
            0.9150415601833555,
        ];
        for (k, &want) in u.iter().enumerate() {
            assert_eq!(s1.uniform(k as u64), want);
        }
        let s2 = Stream::new(0, Stream::WEIGHTS);
        assert_eq!(s2.normal_f32(0).to_bits(), 0x3f3b87cb);
        let z = [
            0.7325407862663269f32,
            0.8117351531982422,
            -0.7206510901451111,
            -1.3781119585037231,
            0.2239331603050232,
            0.3080712556838989,
        ];
        for (k, &want) in z.iter().enumerate() {
            assert_eq!(s2.normal_f32(k as u64), want);
        }
    }

    #[test]
    #[allow(clippy::excessive_precision)] // reference values as WORKLOADS.md prints them
    fn w1_inputs_match_workloads_md() {
        let w = w1_weights(1000, 0);
        let sum: f64 = w.iter().map(|&x| x as f64).sum();
        assert!((sum - 526.8438467571018).abs() < 1e-9, "{sum}");
        assert_eq!(w[999 * 1000 + 999], 2.7394919395446777);
        let (x, total) = w1_raster(1000, 1000, 0, 1.0);
        assert_eq!(total, 50893);
        assert_eq!(x[..1000].iter().filter(|&&v| v).count(), 51);
        assert_eq!((0..1000).filter(|&t| x[t * 1000]).count(), 33);
        let r = w1_rates(1000, 0);
        assert_eq!(r[0], 26.91303195904541);
        assert_eq!(r[1], 27.471265698820734);
        assert_eq!(r[2], 99.01511075294694);
    }
}
