//! Dense connection with a synaptic delay per synapse.
//!
//! Weights `w[i][j]` (`[n_pre, n_post]`, as [`Dense`](super::Dense)) and
//! integer delays `d[i][j]` in time steps. A spike of source `i` that the
//! network propagates at step `t` (i.e. emitted at step `t − 1`, the one-step
//! hop every connection has) reaches target `j` at step `t + d[i][j]`:
//!
//! ```text
//! post[b, j](t) = Σ_i Σ_d s[b, i](t − 1 − d)·w[i, j]·[d[i][j] = d]
//! ```
//!
//! so `d = 0` behaves exactly like a dense connection. Propagation is
//! event-driven through a ring buffer of future input, `(d_max + 1)` slots
//! of `[batch × n_post]`: a spiking source adds its row of weights into the
//! slots its delays point at, and each step the current slot is emptied into
//! the target's input. The cost is spikes × fan-out, independent of the
//! delays; the ring is state (cleared by `reset_state`).
//!
//! Learning rules see the weights through [`SynapseMap::Dense`], so every
//! per-synapse rule works unchanged. A rule sees spikes at the time they are
//! emitted by the source, not when they arrive (the delay is on the
//! transmission only).
//!
//! Delays are given in steps; [`uniform_delay_steps`] draws them from
//! `U(min_ms, max_ms)` and truncates to whole steps, as Brian 1's
//! `DelayConnection` does (the convention of Diehl & Cook's script).

use super::delay_layout::{Delays, SourceWeights, WeightsInGroups};
use super::delay_ring::DelayRing;
use super::{check_len, draw_weights, Ends, SynapseMap, Topology, TopologySpec};
use crate::distributed::PartLayout;
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// Synapse visits of one batch row's step (spikes × targets) above which
/// propagation splits the targets over the pool's threads (measured on the
/// paper model: `docs/performance.md`, "Per-step regions at 6400 neurons").
const PAR_MIN_WORK: usize = 1 << 16;

/// Largest supported delay, in steps.
pub const MAX_DELAY_STEPS: u16 = 4096;

/// A dense connection with per-synapse delays (in steps).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delayed {
    /// Weights `[n_pre × n_post]`, row-major; `None` draws them as
    /// [`Dense`](super::Dense) does.
    pub w: Option<Vec<f32>>,
    /// Delays in steps, `[n_pre × n_post]` row-major (same layout as `w`).
    pub delays: Vec<u16>,
}

impl Delayed {
    /// A delayed connection with given weights and delays (both
    /// `[n_pre × n_post]`).
    pub fn new(w: Vec<f32>, delays: Vec<u16>) -> Self {
        Delayed { w: Some(w), delays }
    }
}

/// `n` delays in steps, each `⌊U(min_ms, max_ms) / dt_ms⌋` (Brian 1's
/// truncation), drawn from `rng`.
///
/// # Errors
/// Non-finite or negative bounds, `max_ms < min_ms`, `dt_ms ≤ 0`, or a
/// delay above [`MAX_DELAY_STEPS`].
pub fn uniform_delay_steps(
    n: usize,
    min_ms: f32,
    max_ms: f32,
    dt_ms: f32,
    rng: &mut Rng,
) -> Result<Vec<u16>> {
    let valid = min_ms.is_finite()
        && max_ms.is_finite()
        && min_ms >= 0.0
        && max_ms >= min_ms
        && dt_ms.is_finite()
        && dt_ms > 0.0;
    if !valid {
        return Err(Error::param(
            "delays",
            format!("need 0 ≤ min ≤ max and dt > 0, got [{min_ms}, {max_ms}] ms, dt {dt_ms} ms"),
        ));
    }
    if max_ms / dt_ms > f32::from(MAX_DELAY_STEPS) {
        return Err(Error::param(
            "delays",
            format!("{max_ms} ms is more than {MAX_DELAY_STEPS} steps of {dt_ms} ms"),
        ));
    }
    Ok((0..n)
        .map(|_| {
            let d = min_ms + rng.uniform_f32() * (max_ms - min_ms);
            ((d / dt_ms).floor() as u16).min(MAX_DELAY_STEPS)
        })
        .collect())
}

impl TopologySpec for Delayed {
    fn type_name(&self) -> &'static str {
        "DelayedConnection"
    }
    /// Given weights' and delays' columns `targets` (drawn weights cannot
    /// be cut: the network's generator would draw them differently). Each
    /// synapse keeps its delay, so every target receives the same input at
    /// the same step as in the whole connection.
    fn restrict_targets(
        &self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        let w = self.w.as_ref()?;
        if w.len() != n_pre * n_post || self.delays.len() != n_pre * n_post {
            // Wrong sizes: the whole spec, for the part's build to refuse
            // on every process.
            return Some(Box::new(self.clone()));
        }
        Some(Box::new(DelayedPart {
            part: Delayed {
                w: Some(super::columns(w, n_post, &targets)),
                delays: super::columns(&self.delays, n_post, &targets),
            },
            d_max: self.delays.iter().copied().max().unwrap_or(0),
        }))
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let d_max = self.delays.iter().copied().max().unwrap_or(0);
        self.build_with(ends, rng, d_max)
    }
}

/// One process's part of a [`Delayed`] connection (its targets' columns),
/// whose ring has the whole connection's slots, so that its state lines up
/// with the whole connection's.
#[derive(Debug, Clone)]
struct DelayedPart {
    part: Delayed,
    /// The whole connection's longest delay.
    d_max: u16,
}

impl TopologySpec for DelayedPart {
    fn type_name(&self) -> &'static str {
        "DelayedConnection"
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        self.part.build_with(ends, rng, self.d_max)
    }
}

impl Delayed {
    /// Builds the topology with a ring for delays up to `d_max` steps (at
    /// least this connection's longest).
    fn build_with(&self, ends: &Ends<'_>, rng: &mut Rng, d_max: u16) -> Result<Box<dyn Topology>> {
        let (n_pre, n_post) = (ends.n_pre(), ends.n_post());
        // All-to-all: n_pre × n_post weights of 4 bytes (more with delays).
        crate::memory::check_fits(
            ends.name,
            &format!("{n_pre} × {n_post} dense weights"),
            crate::memory::product(&[n_pre, n_post]),
            4,
        )?;
        let shape = format!("[{n_pre}, {n_post}]");
        let w = match &self.w {
            Some(w) => {
                check_len(ends.name, "w", w.len(), n_pre * n_post, &shape)?;
                w.clone()
            }
            None => draw_weights(n_pre * n_post, ends.wmin, ends.wmax, rng),
        };
        check_len(
            ends.name,
            "delays",
            self.delays.len(),
            n_pre * n_post,
            &shape,
        )?;
        let d_max = self.delays.iter().copied().fold(d_max, u16::max);
        if d_max > MAX_DELAY_STEPS {
            return Err(Error::param(
                ends.name,
                format!("delay {d_max} steps exceeds {MAX_DELAY_STEPS}"),
            ));
        }
        let slots = usize::from(d_max) + 1;
        Ok(Box::new(DelayedTopology {
            n_pre,
            n_post,
            w,
            delays: Delays::new(&self.delays, n_pre, n_post, slots),
            in_groups: WeightsInGroups::default(),
            line: DelayRing::new(slots, ends.batch * n_post),
            batch: ends.batch,
        }))
    }
}

/// Adds the weight rows of `src`'s spiking sources into the ring slots their
/// delays point at; `head` is the slot delivered this step.
fn propagate_into(
    ring: &mut [f32],
    head: usize,
    batch: usize,
    n: usize,
    w: SourceWeights<'_>,
    delays: &Delays,
    src: &Spikes,
) {
    for b in 0..src.batch() {
        let vals = src.row(b);
        let active = src.active(b);
        if active.is_empty() {
            continue; // (the paper's rest period: a third of its steps)
        }
        // Batch row b of every slot, in delay order: rows[d] is slot
        // (head + d) mod slots.
        let mut rows: Vec<&mut [f32]> = ring.chunks_exact_mut(n).skip(b).step_by(batch).collect();
        rows.rotate_left(head);
        if crate::parallel::worth(active.len() * n, PAR_MIN_WORK) {
            // Blocks of columns on the pool's threads: each ring element
            // still receives the same additions in the same order.
            crate::parallel::for_column_blocks(rows, n, &|rows, first| {
                for &i in active {
                    delays.add_source(w, i as usize, vals[i as usize], n, rows, first);
                }
            });
        } else {
            for &i in active {
                delays.add_source(w, i as usize, vals[i as usize], n, &mut rows, 0);
            }
        }
    }
}

#[derive(Debug)]
struct DelayedTopology {
    n_pre: usize,
    n_post: usize,
    w: Vec<f32>,
    delays: Delays,
    in_groups: WeightsInGroups,
    line: DelayRing,
    batch: usize,
}

impl Topology for DelayedTopology {
    fn type_name(&self) -> &'static str {
        "DelayedConnection"
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let (n, head) = (self.n_post, self.line.head());
        let any_spikes = (0..src.batch()).any(|b| !src.active(b).is_empty());
        let w = self
            .in_groups
            .get_or_make(&self.delays, &self.w, n, any_spikes);
        propagate_into(
            &mut self.line.ring,
            head,
            self.batch,
            n,
            w,
            &self.delays,
            src,
        );
        self.line.deliver(out, self.batch * n);
    }
    fn variable_names(&self) -> &'static [&'static str] {
        DelayRing::NAMES
    }
    fn variable(&self, name: &str) -> Option<&[f32]> {
        self.line.variable(name)
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        self.line.variable_mut(name)
    }
    fn part_layout(&self, name: &str) -> Option<PartLayout> {
        match name {
            "w" => Some(PartLayout::TargetColumns { rows: self.n_pre }),
            "ring" => Some(PartLayout::TargetColumns {
                rows: self.line.slots * self.batch,
            }),
            "head" => Some(PartLayout::Whole),
            _ => None,
        }
    }
    fn weights(&self) -> Option<&[f32]> {
        Some(&self.w)
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        self.in_groups.drop_copy();
        Some(&mut self.w)
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        Some((vec![self.n_pre, self.n_post], self.w.clone()))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Dense {
            n_pre: self.n_pre,
            n_post: self.n_post,
        })
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        self.in_groups.drop_copy();
        Some((
            SynapseMap::Dense {
                n_pre: self.n_pre,
                n_post: self.n_post,
            },
            &mut self.w,
        ))
    }
    fn reset_state(&mut self) {
        self.line.reset();
    }
    fn silent_skippable(&self) -> bool {
        self.line.is_empty()
    }
    fn skip_silent(&mut self, steps: usize) {
        self.line.skip(steps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::delay_layout::{ByDelay, UNCHANGED_BEFORE_COPY};
    use crate::topology::Bound;

    fn build(spec: &Delayed, n_pre: usize, n_post: usize, batch: usize) -> Box<dyn Topology> {
        let (lo, hi) = (Bound::Scalar(0.0), Bound::Scalar(1.0));
        let ends = Ends {
            name: "X -> Y",
            source_shape: &[n_pre],
            target_shape: &[n_post],
            batch,
            wmin: &lo,
            wmax: &hi,
        };
        spec.build(&ends, &mut Rng::seed_from_u64(0)).unwrap()
    }

    #[test]
    fn a_spike_arrives_exactly_d_steps_later() {
        // 1 source, 3 targets with delays 0, 2, 5.
        let spec = Delayed::new(vec![1.0, 2.0, 3.0], vec![0, 2, 5]);
        let mut topo = build(&spec, 1, 3, 1);
        let mut spikes = Spikes::new(1, 1);
        let mut arrivals = vec![Vec::new(); 3];
        for t in 0..10 {
            spikes.set(0, 0, if t == 0 { 1.0 } else { 0.0 });
            let mut out = vec![0.0; 3];
            topo.propagate(&spikes, &mut out);
            for j in 0..3 {
                if out[j] != 0.0 {
                    arrivals[j].push((t, out[j]));
                }
            }
        }
        assert_eq!(
            arrivals,
            vec![vec![(0, 1.0)], vec![(2, 2.0)], vec![(5, 3.0)]]
        );
    }

    #[test]
    fn event_driven_equals_naive_dense_reference() {
        let (n_pre, n_post, batch, steps) = (7, 5, 2, 60);
        let mut rng = Rng::seed_from_u64(3);
        let w: Vec<f32> = (0..n_pre * n_post).map(|_| rng.uniform_f32()).collect();
        let d = uniform_delay_steps(n_pre * n_post, 0.0, 4.0, 0.5, &mut rng).unwrap();
        assert!(d.iter().all(|&x| x < 8) && d.iter().any(|&x| x >= 6));
        let mut topo = build(&Delayed::new(w.clone(), d.clone()), n_pre, n_post, batch);
        let history: Vec<Vec<f32>> = (0..steps)
            .map(|_| {
                (0..batch * n_pre)
                    .map(|_| (rng.uniform_f32() < 0.3) as u8 as f32)
                    .collect()
            })
            .collect();
        let mut spikes = Spikes::new(batch, n_pre);
        for t in 0..steps {
            spikes.set_values(&history[t]);
            let mut out = vec![0.0f32; batch * n_post];
            topo.propagate(&spikes, &mut out);
            // Naive: out[b, j](t) = Σ_i s[b, i](t − d_ij)·w_ij.
            for b in 0..batch {
                for j in 0..n_post {
                    let mut want = 0.0f32;
                    for i in 0..n_pre {
                        let k = i * n_post + j;
                        let dd = usize::from(d[k]);
                        if t >= dd {
                            want += history[t - dd][b * n_pre + i] * w[k];
                        }
                    }
                    let got = out[b * n_post + j];
                    assert!(
                        (got - want).abs() < 1e-5,
                        "t {t} b {b} j {j}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn grouped_and_listed_delays_add_the_same_bits() {
        // Every layout of the delays, sequential and in column blocks, with
        // spikes and graded values: the same ring, bit for bit.
        let (n_pre, n_post, batch, slots) = (9, 37, 2, 6);
        let mut rng = Rng::seed_from_u64(5);
        let w: Vec<f32> = (0..n_pre * n_post).map(|_| rng.normal_f32()).collect();
        let d: Vec<u16> = (0..n_pre * n_post)
            .map(|_| rng.below(slots) as u16)
            .collect();
        let grouped = ByDelay::new(&d, n_pre, n_post, slots);
        let in_groups = grouped.weights_in_groups(&w, n_post).unwrap();
        let layouts = [
            (Delays::Grouped(grouped), None),
            (Delays::Narrow(d.iter().map(|&x| x as u8).collect()), None),
            (Delays::Wide(d.clone()), None),
            (
                Delays::Grouped(ByDelay::new(&d, n_pre, n_post, slots)),
                Some(in_groups.as_slice()),
            ),
        ];
        let mut spikes = Spikes::new(batch, n_pre);
        let rings: Vec<Vec<f32>> = layouts
            .iter()
            .map(|(delays, in_groups)| {
                let mut ring = vec![0.0f32; slots * batch * n_post];
                let mut rng = Rng::seed_from_u64(9);
                for t in 0..40 {
                    let v: Vec<f32> = (0..batch * n_pre)
                        .map(|k| match rng.below(4) {
                            0 => 1.0,
                            1 if k % 3 == 0 => 0.5,
                            _ => 0.0,
                        })
                        .collect();
                    spikes.set_values(&v);
                    let t0 = t % slots;
                    let weights = SourceWeights {
                        rows: &w,
                        in_groups: *in_groups,
                    };
                    propagate_into(&mut ring, t0, batch, n_post, weights, delays, &spikes);
                }
                ring
            })
            .collect();
        assert_eq!(rings[0], rings[1]);
        assert_eq!(rings[0], rings[2]);
        assert_eq!(rings[0], rings[3]);
        // Column blocks (whole, from a column on, inside, one column), a
        // spike and a graded value: each block receives exactly its columns.
        let blocks = [(0, 37), (1, 36), (16, 21), (36, 1), (0, 5), (10, 7)];
        for (first, len) in blocks {
            for s in [1.0, 0.5] {
                for (delays, in_groups) in &layouts {
                    let mut ring = vec![0.0f32; slots * n_post];
                    let mut rows: Vec<&mut [f32]> = ring
                        .chunks_exact_mut(n_post)
                        .map(|r| &mut r[first..first + len])
                        .collect();
                    let weights = SourceWeights {
                        rows: &w,
                        in_groups: *in_groups,
                    };
                    delays.add_source(weights, 4, s, n_post, &mut rows, first);
                    for (dd, row) in ring.chunks_exact(n_post).enumerate() {
                        for j in 0..n_post {
                            let k = 4 * n_post + j;
                            let inside = (first..first + len).contains(&j);
                            let want = if inside && usize::from(d[k]) == dd {
                                s * w[k]
                            } else {
                                0.0
                            };
                            assert_eq!(
                                row[j], want,
                                "block {first}+{len} s {s} slot {dd} column {j}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// A batch-1 topology with given weights and delays, its fields in reach.
    fn delayed_topology(w: Vec<f32>, d: &[u16], n_pre: usize, n_post: usize) -> DelayedTopology {
        let slots = usize::from(d.iter().copied().max().unwrap_or(0)) + 1;
        DelayedTopology {
            n_pre,
            n_post,
            w,
            delays: Delays::new(d, n_pre, n_post, slots),
            in_groups: WeightsInGroups::default(),
            line: DelayRing::new(slots, n_post),
            batch: 1,
        }
    }

    #[test]
    fn weights_changed_after_the_copy_are_the_ones_propagated() {
        // 600 targets: delays grouped. Source 1 spikes at every step, so once
        // its longest delay has passed each step delivers its row of weights
        // (distinct ones: a copy in the wrong order would show). Long enough
        // unchanged, the weights are copied in delay order; new weights (as
        // a rule or a restore writes them) drop the copy, are delivered, and
        // are copied in their turn.
        let (n_pre, n_post) = (2, 600);
        let d: Vec<u16> = (0..n_pre * n_post).map(|k| (k % 3) as u16).collect();
        let weights = |scale: f32| -> Vec<f32> {
            (0..n_pre * n_post)
                .map(|k| scale * (1.0 + (k % 1000) as f32 / 1024.0))
                .collect()
        };
        let row = |scale: f32| weights(scale)[n_post..].to_vec();
        let mut topo = delayed_topology(weights(1.0), &d, n_pre, n_post);
        assert!(matches!(topo.delays, Delays::Grouped(_)));
        let mut spikes = Spikes::new(1, n_pre);
        spikes.set(0, 1, 1.0);
        let delivered = |topo: &mut DelayedTopology, steps: usize| {
            let mut out = vec![0.0; n_post];
            for _ in 0..steps {
                out.fill(0.0);
                topo.propagate(&spikes, &mut out);
            }
            out
        };
        assert_eq!(delivered(&mut topo, UNCHANGED_BEFORE_COPY - 1), row(1.0));
        assert!(!topo.in_groups.is_made());
        assert_eq!(delivered(&mut topo, 1), row(1.0));
        assert!(topo.in_groups.is_made());
        topo.weights_mut().unwrap().copy_from_slice(&weights(2.0));
        assert!(!topo.in_groups.is_made());
        for steps in [3, UNCHANGED_BEFORE_COPY + 3] {
            assert_eq!(delivered(&mut topo, steps), row(2.0), "{steps} steps");
        }
        assert!(topo.in_groups.is_made());
        let (_, w) = topo.learn_view().unwrap();
        w.copy_from_slice(&weights(4.0));
        assert!(!topo.in_groups.is_made());
        assert_eq!(delivered(&mut topo, 3), row(4.0));
    }

    #[test]
    fn reset_drops_spikes_in_flight() {
        let mut topo = build(&Delayed::new(vec![1.0], vec![3]), 1, 1, 1);
        let mut spikes = Spikes::new(1, 1);
        spikes.set(0, 0, 1.0);
        let mut out = vec![0.0];
        topo.propagate(&spikes, &mut out);
        topo.reset_state();
        spikes.set(0, 0, 0.0);
        for _ in 0..5 {
            topo.propagate(&spikes, &mut out);
        }
        assert_eq!(out, vec![0.0]);
    }

    #[test]
    fn bad_lengths_are_errors() {
        let (lo, hi) = (Bound::Scalar(0.0), Bound::Scalar(1.0));
        let ends = Ends {
            name: "X -> Y",
            source_shape: &[2],
            target_shape: &[2],
            batch: 1,
            wmin: &lo,
            wmax: &hi,
        };
        let bad = Delayed::new(vec![0.5; 4], vec![0; 3]);
        assert!(bad.build(&ends, &mut Rng::seed_from_u64(0)).is_err());
        assert!(uniform_delay_steps(3, 5.0, 1.0, 0.5, &mut Rng::seed_from_u64(0)).is_err());
    }

    #[test]
    fn learning_rules_work_on_it() {
        use crate::prelude::*;
        let mut b = Network::builder().seed(1);
        b.add_population(
            "X",
            &[4],
            Input,
            NodeOptions {
                traces: true,
                ..Default::default()
            },
        );
        b.add_population(
            "Y",
            &[2],
            LifNodes {
                thresh: (-64.0).into(),
                ..Default::default()
            },
            NodeOptions {
                traces: true,
                ..Default::default()
            },
        );
        b.connect(
            Connect::new(
                "X",
                "Y",
                Delayed::new(vec![0.5; 8], vec![0, 1, 2, 3, 4, 5, 6, 7]),
            )
            .rule(PostPre)
            .nu((0.01, 0.01))
            .wmin(0.0)
            .wmax(1.0),
        );
        let mut net = b.build().unwrap();
        let x = Tensor::new(vec![20, 1, 4], vec![1.0; 80]).unwrap();
        net.run(&[("X", &x)], 20, &RunOptions::default()).unwrap();
        let w = net.weights("X -> Y").unwrap();
        assert!(w.iter().any(|&v| v != 0.5), "{w:?}");
    }
}
