//! Counter-based draws: draw `(i, k)` of a keyed stream is a pure function
//! of the seed, the stream, an index `i` (a global neuron or synapse index)
//! and a counter `k` (a step, a draw number).
//!
//! ```text
//! key(seed, stream) = mix(mix(seed) ^ stream)
//! u64(i, k)         = mix(mix(key + i) + k)        (mix: SplitMix64's output function)
//! ```
//!
//! Unlike [`Rng`](super::Rng), whose draws depend on every draw before
//! them, any subset of these draws can be made in any order, by any thread
//! or process: a network partitioned over ranks or threads draws for its
//! own neurons and gets what one process would have drawn (NEST's keying by
//! global index). The cost is two SplitMix64 rounds per draw.

use super::splitmix64;

/// SplitMix64's output function of `x`.
#[inline]
fn mix(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

/// A keyed stream of counter-based draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyed {
    key: u64,
}

impl Keyed {
    /// Stream number `stream` of `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        Keyed {
            key: mix(mix(seed) ^ stream),
        }
    }

    /// Draw `(i, k)`: 64 random bits.
    #[inline]
    pub fn u64(self, i: u64, k: u64) -> u64 {
        mix(mix(self.key.wrapping_add(i)).wrapping_add(k))
    }

    /// Uniform in `[0, 1)` with 53 bits of resolution.
    #[inline]
    pub fn uniform_f64(self, i: u64, k: u64) -> f64 {
        top53(self.u64(i, k))
    }

    /// Uniform integer in `0..n` (`n > 0`): the high 64 bits of
    /// `u64 · n` (Lemire's multiply-shift; bias below `n / 2⁶⁴`).
    #[inline]
    pub fn below(self, i: u64, k: u64, n: u64) -> u64 {
        ((u128::from(self.u64(i, k)) * u128::from(n)) >> 64) as u64
    }

    /// Standard normal (Box–Muller on the draw and its remix, in f64).
    pub fn normal(self, i: u64, k: u64) -> f64 {
        let h = self.u64(i, k);
        let u1 = 1.0 - top53(h);
        let u2 = top53(mix(h));
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Poisson with mean `lambda` (≥ 0) by inversion of one uniform: exact
    /// up to f64 rounding; the cost grows with `lambda` (meant for means up
    /// to a few tens, such as a Poisson generator's count per step).
    pub fn poisson(self, i: u64, k: u64, lambda: f64) -> u32 {
        poisson_inverse(self.uniform_f64(i, k), lambda)
    }
}

/// The top 53 bits of `x` as a uniform in `[0, 1)`.
#[inline]
fn top53(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// CDF entries [`PoissonTable::sample`] compares a draw with, without a
/// branch, before it searches on: at a mean of 2.09 a count reaches 16 in
/// fewer than one draw in 10⁹.
const HEAD: usize = 16;

/// Poisson(`lambda`) by inversion with the CDF tabulated once: the same
/// counts as [`Keyed::poisson`] (the same sums in the same order) without
/// an `exp` per draw.
#[derive(Debug, Clone, PartialEq)]
pub struct PoissonTable {
    /// `P(N ≤ n)` for every `n` whose probability is not 0 in f64.
    cdf: Vec<f64>,
}

impl PoissonTable {
    /// The table of Poisson(`lambda`), `lambda` ≥ 0 (cut at 100,000 terms).
    pub fn new(lambda: f64) -> Self {
        let mut p = (-lambda).exp();
        let mut c = p;
        let mut cdf = Vec::new();
        let mut n = 0u32;
        while p > 0.0 && cdf.len() < 100_000 {
            cdf.push(c);
            n += 1;
            p *= lambda / f64::from(n);
            c += p;
        }
        PoissonTable { cdf }
    }

    /// Draw `(i, k)` of `draws`.
    #[inline]
    pub fn sample(&self, draws: Keyed, i: u64, k: u64) -> u32 {
        let u = draws.uniform_f64(i, k);
        // The count is the number of CDF entries ≤ u (the CDF never
        // decreases), counted without a branch over the first entries,
        // where nearly every draw of a small mean ends: a search that stops
        // at the first entry above u mispredicts its exit about once per
        // draw (NEST's hpc_benchmark: a mean of 2.09).
        let head = &self.cdf[..self.cdf.len().min(HEAD)];
        let n = head.iter().map(|&c| usize::from(c <= u)).sum::<usize>();
        if n < head.len() {
            return n as u32;
        }
        (n + self.cdf[n..].iter().take_while(|&&c| c <= u).count()) as u32
    }
}

/// The Poisson(`lambda`) count whose CDF first exceeds `u`.
#[inline]
pub(crate) fn poisson_inverse(u: f64, lambda: f64) -> u32 {
    let mut p = (-lambda).exp();
    let mut cdf = p;
    let mut n = 0u32;
    while u >= cdf && p > 0.0 {
        n += 1;
        p *= lambda / f64::from(n);
        cdf += p;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_function_of_seed_stream_index_and_counter() {
        let a = Keyed::new(3, 1);
        assert_eq!(a.u64(10, 20), Keyed::new(3, 1).u64(10, 20));
        assert_ne!(a.u64(10, 20), a.u64(20, 10));
        assert_ne!(a.u64(10, 20), Keyed::new(3, 2).u64(10, 20));
        assert_ne!(a.u64(10, 20), Keyed::new(4, 1).u64(10, 20));
    }

    #[test]
    fn moments_of_uniform_normal_poisson_and_below() {
        let d = Keyed::new(7, 0);
        let n = 200_000u64;
        let mean = |f: &dyn Fn(u64) -> f64| (0..n).map(f).sum::<f64>() / n as f64;
        let u = mean(&|k| d.uniform_f64(1, k));
        assert!((u - 0.5).abs() < 0.005, "{u}");
        let (m, m2) = (mean(&|k| d.normal(2, k)), mean(&|k| d.normal(2, k).powi(2)));
        assert!(m.abs() < 0.01 && (m2 - 1.0).abs() < 0.01, "{m} {m2}");
        for lambda in [0.0, 0.3, 2.0856, 12.0] {
            let (m, m2) = (
                mean(&|k| f64::from(d.poisson(3, k, lambda))),
                mean(&|k| f64::from(d.poisson(3, k, lambda)).powi(2)),
            );
            let var = m2 - m * m;
            let tol = 5.0 * (lambda / n as f64).sqrt() + 1e-12;
            assert!((m - lambda).abs() <= tol, "λ {lambda}: mean {m}");
            assert!(
                (var - lambda).abs() <= 10.0 * tol + 0.01 * lambda,
                "λ {lambda}: var {var}"
            );
        }
        for lambda in [0.0, 0.5, 2.0856, 30.0] {
            let t = PoissonTable::new(lambda);
            for k in 0..20_000 {
                assert_eq!(
                    t.sample(d, 5, k),
                    d.poisson(5, k, lambda),
                    "λ {lambda}, k {k}"
                );
            }
        }
        let mut counts = [0u64; 3];
        for k in 0..30_000 {
            counts[d.below(4, k, 3) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }
}
