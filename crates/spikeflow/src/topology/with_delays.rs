//! Synaptic delays on any topology that has synapses: a spike crossing
//! weight `k` arrives `d[k]` steps late.
//!
//! [`Delayed`](super::Delayed) is the dense case with its own layout; this
//! wraps any other [`TopologySpec`] that sums a weight per synapse — dense,
//! sparse (fixed in-degree networks such as NEST's), local and
//! convolutional; not pooling, all-but-self or mean-field — with one
//! delay per
//! weight, in the order of [`Network::weights`](crate::Network::weights),
//! or a single delay for every synapse. A spike of source `i` propagated at
//! step `t` reaches target `j` through weight `k` at step `t + d[k]`:
//!
//! ```text
//! post[b, j](t) = Σ_(i, k → j) s[b, i](t − d[k])·w[k]
//! ```
//!
//! so all-zero delays propagate exactly as the wrapped topology. Spikes in
//! flight wait in a ring buffer of `(d_max + 1)` slots of `[batch ×
//! n_post]`, filled by walking the wrapped topology's synapses (cost:
//! spikes × fan-out, independent of the delays); the ring is state
//! (`reset_state` clears it, snapshots save it). Where several synapses
//! share a weight (a convolution's kernels) they share its delay too. A
//! bias is not a synapse: it is added every step, undelayed.
//!
//! Learning rules see the wrapped topology's synapses and weights
//! unchanged, with the spikes at the time the source emits them, as on
//! [`Delayed`](super::Delayed).
//!
//! ```
//! use spikeflow::prelude::*;
//! use spikeflow::topology::{Sparse, WithDelays};
//! let mut b = Network::builder();
//! b.add_population("X", &[2], Input, NodeOptions::default());
//! b.add_population("Y", &[2], IfNodes::default(), NodeOptions::default());
//! // Two synapses, 0 → 1 (weight index 0) and 1 → 0 (index 1).
//! let sparse = Sparse::Triplets(vec![(0, 1, 0.5), (1, 0, 0.25)]);
//! b.connect(Connect::new("X", "Y", WithDelays::new(sparse, vec![3, 0])));
//! let net = b.build()?;
//! assert_eq!(net.weights("X -> Y")?, &[0.5, 0.25]);
//! # Ok::<(), spikeflow::Error>(())
//! ```

use super::delay_ring::DelayRing;
use super::sparse::Csr;
use super::{Ends, NormMode, SynapseMap, Topology, TopologySpec, MAX_DELAY_STEPS};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// A topology with a delay (in steps) per weight.
#[derive(Debug, Clone, PartialEq)]
pub struct WithDelays<T> {
    /// The wrapped topology.
    pub inner: T,
    /// Delays in steps: one per weight (the order of
    /// [`Network::weights`](crate::Network::weights)), or one for all.
    pub delays: Vec<u16>,
}

impl<T: TopologySpec> WithDelays<T> {
    /// `inner` with `delays` (one per weight, or one for all).
    pub fn new(inner: T, delays: Vec<u16>) -> Self {
        WithDelays { inner, delays }
    }
}

impl<T: TopologySpec> TopologySpec for WithDelays<T> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }
    /// One delay for all synapses only (a delay per weight follows the
    /// whole connection's weight order, which a part does not know).
    fn restrict_targets(
        &self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        if self.delays.len() != 1 {
            return None;
        }
        Some(Box::new(WithDelays {
            inner: self.inner.restrict_targets(n_pre, n_post, targets)?,
            delays: self.delays.clone(),
        }))
    }
    fn restrict_within_blocks(
        &self,
        n_pre: usize,
        n_post: usize,
        ranks: usize,
        rank: usize,
    ) -> Option<Box<dyn TopologySpec>> {
        if self.delays.len() != 1 {
            return None;
        }
        Some(Box::new(WithDelays {
            inner: self
                .inner
                .restrict_within_blocks(n_pre, n_post, ranks, rank)?,
            delays: self.delays.clone(),
        }))
    }
    fn build(&self, ends: &Ends<'_>, rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let inner = self.inner.build(ends, rng)?;
        let refuse = |why: &str| {
            Err(Error::param(
                ends.name,
                format!("delays on a {}: {why}", inner.type_name()),
            ))
        };
        let Some(n_weights) = inner.synapses().map(|s| s.n_weights()) else {
            return refuse("it has no synapse map (pooling, all-but-self)");
        };
        if inner.type_name() == "MeanFieldConnection" {
            // It propagates the *mean* of the source spikes, not a sum over
            // its synapses.
            return refuse("it propagates the mean of its sources, not one synapse per spike");
        }
        if !inner.variable_names().is_empty() {
            return refuse("it keeps state of its own (e.g. delays already)");
        }
        let delays = match self.delays.len() {
            1 => vec![self.delays[0]; n_weights],
            n if n == n_weights => self.delays.clone(),
            n => {
                return Err(Error::shape(
                    ends.name,
                    format!(
                        "delays: {n} values for {n_weights} weights (give one per weight, or one)"
                    ),
                ))
            }
        };
        let d_max = delays.iter().copied().max().unwrap_or(0);
        if d_max > MAX_DELAY_STEPS {
            return Err(Error::param(
                ends.name,
                format!("delay {d_max} steps exceeds {MAX_DELAY_STEPS}"),
            ));
        }
        let slots = usize::from(d_max) + 1;
        let n_post = ends.n_post();
        let no_spikes = inner.bias().map(|_| Spikes::new(ends.batch, ends.n_pre()));
        let uniform = delays
            .iter()
            .all(|&d| d == d_max)
            .then_some(usize::from(d_max));
        Ok(Box::new(DelayLine {
            no_spikes,
            inner,
            uniform,
            delays,
            n_post,
            batch: ends.batch,
            line: DelayRing::new(slots, ends.batch * n_post),
        }))
    }
    fn norm_scale(&self) -> f32 {
        self.inner.norm_scale()
    }
}

/// Synaptic events above which a step's delivery on a sparse connection
/// with one delay splits its targets over the pool's threads (a fork/join
/// costs tens of µs on the 2-core VMs; an event ~1 ns).
const PARALLEL_EVENTS: usize = 32 * 1024;

/// One delay for all and compressed rows (NEST's `hpc_benchmark`): every
/// synapse of a spiking source lands in the same slot, `slot[j] += s·w`,
/// targets in blocks on the pool's threads when the step has enough
/// events. Each target's sum keeps its order (sources in order, a row's
/// synapses in order), so the bits do not depend on the threads.
fn uniform_sparse(csr: &Csr, w: &[f32], src: &Spikes, slot: &mut [f32], n_post: usize) {
    let events: usize = (0..src.batch())
        .map(|b| {
            src.active(b)
                .iter()
                .map(|&i| csr.row(i as usize).1.len())
                .sum::<usize>()
        })
        .sum();
    // Adds batch row `b`'s events onto targets `first..first + row.len()`.
    let deliver = |b: usize, row: &mut [f32], first: usize| {
        let vals = src.row(b);
        let whole = row.len() == n_post;
        for &i in src.active(b) {
            let s = vals[i as usize];
            let (k0, cols) = csr.row(i as usize);
            let (lo, hi) = if whole {
                (0, cols.len())
            } else {
                let lo = cols.partition_point(|&j| (j as usize) < first);
                let end = first + row.len();
                (lo, lo + cols[lo..].partition_point(|&j| (j as usize) < end))
            };
            for (k, &j) in (lo..hi).zip(&cols[lo..hi]) {
                row[j as usize - first] += s * w[k0 + k];
            }
        }
    };
    if crate::parallel::worth(events, PARALLEL_EVENTS) {
        let rows: Vec<&mut [f32]> = slot.chunks_mut(n_post).collect();
        crate::parallel::for_column_blocks(rows, n_post, &|rows, first| {
            for (b, row) in rows.iter_mut().enumerate() {
                deliver(b, row, first);
            }
        });
    } else {
        for (b, row) in slot.chunks_mut(n_post).enumerate() {
            deliver(b, row, 0);
        }
    }
}

#[derive(Debug)]
struct DelayLine {
    inner: Box<dyn Topology>,
    /// With a bias: a step without spikes, through which the wrapped
    /// topology adds exactly its bias.
    no_spikes: Option<Spikes>,
    /// The delay when every synapse has the same one.
    uniform: Option<usize>,
    delays: Vec<u16>,
    n_post: usize,
    batch: usize,
    line: DelayRing,
}

impl DelayLine {
    /// Adds `src`'s spikes to the ring as a propagation would have when
    /// the ring's head stood at slot `base`: a spike through weight `k`
    /// lands in slot `base + d[k]` (mod the slots).
    fn insert(&mut self, src: &Spikes, base: usize) {
        let slot_len = self.batch * self.n_post;
        let slots = self.line.slots;
        let ring = &mut self.line.ring;
        let (Some(map), Some(w)) = (self.inner.synapses(), self.inner.weights()) else {
            return; // refused at build
        };
        if let (Some(d), SynapseMap::Sparse(csr)) = (self.uniform, map) {
            let slot = (base + d) % slots;
            let target = &mut ring[slot * slot_len..(slot + 1) * slot_len];
            uniform_sparse(csr, w, src, target, self.n_post);
            return;
        }
        for b in 0..src.batch() {
            let vals = src.row(b);
            let row = b * self.n_post;
            for &i in src.active(b) {
                let s = vals[i as usize];
                map.for_each_out(i as usize, |j, k| {
                    let mut slot = base + usize::from(self.delays[k]);
                    if slot >= slots {
                        slot -= slots;
                    }
                    ring[slot * slot_len + row + j] += s * w[k];
                });
            }
        }
    }
}

impl Topology for DelayLine {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        self.insert(src, self.line.head());
        self.line.deliver(out, self.batch * self.n_post);
        if let Some(none) = &self.no_spikes {
            self.inner.propagate(none, out);
        }
    }
    fn ring_delay(&self) -> Option<usize> {
        Some(usize::from(self.delays.iter().copied().min().unwrap_or(0)))
    }
    fn propagate_late(&mut self, src: &Spikes, late: usize) {
        // The head has moved `late` slots on since then (`late` is at most
        // the smallest delay, so no spike lands in a delivered slot).
        let slots = self.line.slots;
        self.insert(src, (self.line.head() + slots - late % slots) % slots);
    }
    fn weights(&self) -> Option<&[f32]> {
        self.inner.weights()
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        self.inner.weights_mut()
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        self.inner.weights_dense()
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        self.inner.synapses()
    }
    fn multapses(&self) -> bool {
        self.inner.multapses()
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        self.inner.learn_view()
    }
    fn supports_norm(&self) -> bool {
        self.inner.supports_norm()
    }
    fn norm_mode(&self) -> NormMode {
        self.inner.norm_mode()
    }
    fn variable_names(&self) -> &'static [&'static str] {
        DelayRing::NAMES
    }
    fn part_layout(&self, name: &str) -> Option<crate::distributed::PartLayout> {
        use crate::distributed::PartLayout;
        match name {
            // `[slots × batch × n_post]`, `head`: as `Delayed`'s ring.
            "ring" => Some(PartLayout::TargetColumns {
                rows: self.line.slots * self.batch,
            }),
            "head" => Some(PartLayout::Whole),
            _ => self.inner.part_layout(name),
        }
    }
    fn variable(&self, name: &str) -> Option<&[f32]> {
        self.line.variable(name)
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        self.line.variable_mut(name)
    }
    fn bias(&self) -> Option<&[f32]> {
        self.inner.bias()
    }
    fn reset_state(&mut self) {
        self.line.reset();
    }
    fn silent_skippable(&self) -> bool {
        self.bias().is_none() && self.line.is_empty()
    }
    fn skip_silent(&mut self, steps: usize) {
        self.line.skip(steps);
    }
}
