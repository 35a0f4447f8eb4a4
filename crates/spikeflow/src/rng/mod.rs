//! The seeded random generator every stochastic component draws from.
//!
//! xoshiro256++ (Blackman & Vigna) seeded through SplitMix64: small, fast,
//! and stable across versions and platforms, so that a seed gives
//! bit-identical results everywhere. No global generator exists in the
//! library: the network and each encoder own theirs. Where draws must not
//! depend on their order (a network split over threads or processes), the
//! counter-based [`Keyed`] draws are keyed by global index instead.

mod keyed;

pub use keyed::{Keyed, PoissonTable};

use serde::{Deserialize, Serialize};

/// A seeded xoshiro256++ generator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    s: [u64; 4],
}

/// One SplitMix64 step: advances `state` and returns the mixed output.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// The generator's internal state (for checkpoints).
    pub fn state(&self) -> [u64; 4] {
        self.s
    }

    /// A generator restored from [`state`](Self::state). An all-zero state
    /// (invalid for xoshiro) is replaced by the seed-0 state.
    pub fn from_state(s: [u64; 4]) -> Self {
        if s == [0; 4] {
            Rng::seed_from_u64(0)
        } else {
            Rng { s }
        }
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 24 bits of resolution (every f32 step).
    #[inline]
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in `[0, 1)` with 53 bits of resolution.
    #[inline]
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Standard normal draw (Box–Muller, f64 internally).
    pub fn normal_f32(&mut self) -> f32 {
        let u1 = 1.0 - self.uniform_f64();
        let u2 = self.uniform_f64();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// A new generator derived from this one (for a sub-component), so that
    /// adding draws to one component does not shift another's stream.
    pub fn fork(&mut self) -> Rng {
        Rng::seed_from_u64(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_range() {
        let mut a = Rng::seed_from_u64(7);
        let mut b = Rng::seed_from_u64(7);
        for _ in 0..1000 {
            let x = a.uniform_f32();
            assert_eq!(x, b.uniform_f32());
            assert!((0.0..1.0).contains(&x));
        }
        assert_ne!(
            Rng::seed_from_u64(8).next_u64(),
            Rng::seed_from_u64(7).next_u64()
        );
    }

    #[test]
    fn splitmix_reference_value() {
        // First output of SplitMix64 seeded with 0 (published test value).
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn uniform_mean_and_below() {
        let mut r = Rng::seed_from_u64(1);
        let m: f64 = (0..100_000).map(|_| r.uniform_f64()).sum::<f64>() / 1e5;
        assert!((m - 0.5).abs() < 0.01, "{m}");
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[r.below(3)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }
}
