//! Dense all-to-all connection (BindsNET's `Connection`).
//!
//! Weights `w[i][j]` laid out `[n_pre, n_post]`; optional bias `b[j]`.
//! `post[b] = Σ_i s[b, i]·w[i, :] (+ bias)`, computed event-driven: only the
//! rows of sources with non-zero spikes are read, so the cost grows with the
//! number of spikes, not with the number of synapses.

use super::{check_len, draw_weights, Ends, SharedPropagation, SynapseMap, Topology, TopologySpec};
use crate::error::Result;
use crate::rng::Rng;
use crate::spikes::Spikes;
use rayon::prelude::*;

/// Below this many synapse reads per step (active sources × targets),
/// propagation stays on the calling thread: a fork/join costs more than
/// such a step gains from a second thread (measured on W1,
/// `crate::parallel`).
const PAR_MIN_WORK: usize = 1 << 20;
/// Smallest block of target columns handed to one task.
const PAR_MIN_COLUMNS: usize = 1024;

/// `out[j] += Σ_{i ∈ active} s_i · w[i][lo + j]` for the columns
/// `lo .. lo + out.len()`, sources in increasing order (each output element
/// is summed left to right, the order of the plain loop), then the bias.
/// Binary sources are added eight or four rows per pass over `out`.
fn accumulate(
    w: &[f32],
    n: usize,
    lo: usize,
    active: &[u32],
    vals: &[f32],
    out: &mut [f32],
    bias: Option<&[f32]>,
) {
    let len = out.len();
    let row = |i: u32| &w[i as usize * n + lo..i as usize * n + lo + len];
    let binary = |ks: &[u32]| ks.iter().all(|&i| vals[i as usize] == 1.0);
    let mut k = 0;
    while k < active.len() {
        let i0 = active[k];
        // Eight rows per pass where they are binary: eight memory streams
        // at once (W1 n = 5000, where rows come from DRAM: ~10 % faster
        // than four, in 5 of 6 alternating runs).
        if k + 8 <= active.len() && binary(&active[k..k + 8]) {
            let r: [&[f32]; 8] = std::array::from_fn(|q| row(active[k + q]));
            add_rows(out, r);
            k += 8;
            continue;
        }
        if k + 4 <= active.len() && binary(&active[k..k + 4]) {
            let r: [&[f32]; 4] = std::array::from_fn(|q| row(active[k + q]));
            add_rows(out, r);
            k += 4;
            continue;
        }
        let s = vals[i0 as usize];
        if s == 1.0 {
            for (o, &x) in out.iter_mut().zip(row(i0)) {
                *o += x;
            }
        } else {
            for (o, &x) in out.iter_mut().zip(row(i0)) {
                *o += s * x;
            }
        }
        k += 1;
    }
    if let Some(bias) = bias {
        for (o, &x) in out.iter_mut().zip(&bias[lo..lo + len]) {
            *o += x;
        }
    }
}

/// `out[j] = (((out[j] + rows[0][j]) + rows[1][j]) + …)`, left to right,
/// one pass over `out` (rows as long as `out`).
#[inline]
fn add_rows<const R: usize>(out: &mut [f32], rows: [&[f32]; R]) {
    let len = out.len();
    let rows = rows.map(|r| &r[..len]);
    for (j, o) in out.iter_mut().enumerate() {
        let mut v = *o;
        for r in &rows {
            v += r[j];
        }
        *o = v;
    }
}

/// A dense connection. Without explicit weights, `w ~ U(0, 1)` drawn from
/// the network's generator (scaled into `[wmin, wmax]` when both are finite,
/// as BindsNET).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dense {
    /// Weights `[n_pre × n_post]`, row-major; `None` draws them.
    pub w: Option<Vec<f32>>,
    /// Bias `[n_post]`.
    pub b: Option<Vec<f32>>,
}

impl Dense {
    /// A dense connection with the given weights `[n_pre × n_post]`.
    pub fn with_weights(w: Vec<f32>) -> Self {
        Dense {
            w: Some(w),
            b: None,
        }
    }
    /// Adds a bias `[n_post]`.
    pub fn bias(mut self, b: Vec<f32>) -> Self {
        self.b = Some(b);
        self
    }
}

impl TopologySpec for Dense {
    fn type_name(&self) -> &'static str {
        "Connection"
    }
    /// Given weights' columns `targets` (drawn weights cannot be cut: the
    /// network's generator would draw them differently).
    fn restrict_targets(
        &self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        let w = self.w.as_ref()?;
        if w.len() != n_pre * n_post || self.b.as_ref().is_some_and(|b| b.len() != n_post) {
            // Wrong sizes: the whole spec, for the part's build to refuse
            // on every process.
            return Some(Box::new(self.clone()));
        }
        let b = self.b.as_ref().map(|b| b[targets.clone()].to_vec());
        Some(Box::new(Dense {
            w: Some(super::columns(w, n_post, &targets)),
            b,
        }))
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let (n_pre, n_post) = (ends.n_pre(), ends.n_post());
        // All-to-all: n_pre × n_post weights of 4 bytes (more with delays).
        crate::memory::check_fits(
            ends.name,
            &format!("{n_pre} × {n_post} dense weights"),
            crate::memory::product(&[n_pre, n_post]),
            4,
        )?;
        let w = match &self.w {
            Some(w) => {
                check_len(
                    ends.name,
                    "w",
                    w.len(),
                    n_pre * n_post,
                    &format!("[{n_pre}, {n_post}]"),
                )?;
                w.clone()
            }
            None => draw_weights(n_pre * n_post, ends.wmin, ends.wmax, rng),
        };
        if let Some(b) = &self.b {
            check_len(ends.name, "b", b.len(), n_post, &format!("[{n_post}]"))?;
        }
        Ok(Box::new(DenseTopology {
            n_pre,
            n_post,
            w,
            b: self.b.clone(),
        }))
    }
}

#[derive(Debug)]
struct DenseTopology {
    n_pre: usize,
    n_post: usize,
    w: Vec<f32>,
    b: Option<Vec<f32>>,
}

impl SharedPropagation for DenseTopology {
    fn propagate_shared(&self, src: &Spikes, out: &mut [f32]) {
        let n = self.n_post;
        let batch = src.batch();
        let (w, bias) = (&self.w[..], self.b.as_deref());
        let work: usize = (0..batch).map(|b| src.active(b).len()).sum::<usize>() * n;
        let threads = rayon::current_num_threads();
        if crate::parallel::worth(work, PAR_MIN_WORK) {
            if batch >= threads {
                // Coarse grain: one task per batch row.
                out[..batch * n]
                    .par_chunks_mut(n)
                    .enumerate()
                    .for_each(|(b, row)| accumulate(w, n, 0, src.active(b), src.row(b), row, bias));
            } else {
                // Large rows: blocks of columns. Every output element still
                // receives the same additions in the same order, so the
                // result does not depend on the number of threads.
                let block = (n / (4 * threads))
                    .max(PAR_MIN_COLUMNS)
                    .next_multiple_of(16);
                for b in 0..batch {
                    let (active, vals) = (src.active(b), src.row(b));
                    out[b * n..(b + 1) * n]
                        .par_chunks_mut(block)
                        .enumerate()
                        .for_each(|(c, part)| {
                            accumulate(w, n, c * block, active, vals, part, bias)
                        });
                }
            }
        } else {
            for b in 0..batch {
                accumulate(
                    w,
                    n,
                    0,
                    src.active(b),
                    src.row(b),
                    &mut out[b * n..(b + 1) * n],
                    bias,
                );
            }
        }
    }
}

impl Topology for DenseTopology {
    fn type_name(&self) -> &'static str {
        "Connection"
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        self.propagate_shared(src, out);
    }
    fn shared(&self) -> Option<&dyn SharedPropagation> {
        Some(self)
    }
    fn part_layout(&self, name: &str) -> Option<crate::distributed::PartLayout> {
        (name == "w").then_some(crate::distributed::PartLayout::TargetColumns { rows: self.n_pre })
    }
    fn weights(&self) -> Option<&[f32]> {
        Some(&self.w)
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        Some(&mut self.w)
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        Some((vec![self.n_pre, self.n_post], self.w.clone()))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        Some((
            SynapseMap::Dense {
                n_pre: self.n_pre,
                n_post: self.n_post,
            },
            &mut self.w,
        ))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Dense {
            n_pre: self.n_pre,
            n_post: self.n_post,
        })
    }
    fn bias(&self) -> Option<&[f32]> {
        self.b.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grouped passes give the plain loop's bits: each output element
    /// summed over the sources left to right, with binary and graded
    /// sources mixed, for every count of active rows around the group sizes.
    #[test]
    fn accumulate_is_the_plain_loop() {
        let mut r = crate::rng::Rng::seed_from_u64(8);
        let (n_pre, n, lo, len) = (40, 13, 3, 9);
        let w: Vec<f32> = (0..n_pre * n).map(|_| r.normal_f32()).collect();
        let bias: Vec<f32> = (0..n).map(|_| r.normal_f32()).collect();
        for count in 0..=n_pre {
            for graded in [false, true] {
                let mut vals = vec![0.0f32; n_pre];
                let mut active = Vec::new();
                for i in 0..n_pre {
                    if r.uniform_f32() < count as f32 / n_pre as f32 {
                        vals[i] = if graded && r.uniform_f32() < 0.2 {
                            0.5
                        } else {
                            1.0
                        };
                        active.push(i as u32);
                    }
                }
                let start: Vec<f32> = (0..len).map(|_| r.normal_f32()).collect();
                let mut want = start.clone();
                for &i in &active {
                    for (j, o) in want.iter_mut().enumerate() {
                        *o += vals[i as usize] * w[i as usize * n + lo + j];
                    }
                }
                for (j, o) in want.iter_mut().enumerate() {
                    *o += bias[lo + j];
                }
                let mut got = start;
                accumulate(&w, n, lo, &active, &vals, &mut got, Some(&bias));
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&got),
                    bits(&want),
                    "{} active, graded {graded}",
                    active.len()
                );
            }
        }
    }
}
