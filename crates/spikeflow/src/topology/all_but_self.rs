//! Uniform lateral connection between two populations of the same size:
//! source neuron `i` drives every target `j ≠ i` with the same weight.
//!
//! `post[b, j] = w · (Σ_i s[b, i] − s[b, j])` — O(n) per step instead of the
//! O(n²) matrix product of the equivalent dense matrix `w·(1 − I)`, which is
//! how BindsNET builds Diehl & Cook's inhibition (83 % of its time at
//! N = 6400). The single shared weight cannot learn.

use super::{Ends, SharedPropagation, SynapseMap, Topology, TopologySpec};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// "All but self" connection with one shared weight (e.g. `−inh`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllButSelf {
    /// The weight of every off-diagonal synapse.
    pub weight: f32,
}

impl TopologySpec for AllButSelf {
    fn type_name(&self) -> &'static str {
        "AllButSelf"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        if ends.n_pre() != ends.n_post() {
            return Err(Error::shape(
                ends.name,
                format!(
                    "all-but-self needs equal sizes, got {} and {}",
                    ends.n_pre(),
                    ends.n_post()
                ),
            ));
        }
        AllButSelfTopology::build(ends, self.weight, 0)
    }
    /// Targets `targets` of the whole connection, from the whole source:
    /// target `j` still leaves out source `targets.start + j`.
    fn restrict_targets(
        &self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> Option<Box<dyn TopologySpec>> {
        if n_pre != n_post {
            // The whole spec, for the part's build to refuse on every process.
            return Some(Box::new(*self));
        }
        Some(Box::new(AllButSelfPart {
            weight: self.weight,
            first: targets.start,
        }))
    }
}

/// Targets `first…` of an [`AllButSelf`] connection, from its whole
/// source: one process's part of it in a distributed network.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AllButSelfPart {
    weight: f32,
    first: usize,
}

impl TopologySpec for AllButSelfPart {
    fn type_name(&self) -> &'static str {
        "AllButSelf"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        if self.first + ends.n_post() > ends.n_pre() {
            return Err(Error::shape(
                ends.name,
                format!(
                    "targets {}..{} of an all-but-self connection from {} sources",
                    self.first,
                    self.first + ends.n_post(),
                    ends.n_pre()
                ),
            ));
        }
        AllButSelfTopology::build(ends, self.weight, self.first)
    }
}

#[derive(Debug)]
struct AllButSelfTopology {
    n_pre: usize,
    n_post: usize,
    /// The source left out of target `j` is `first + j`.
    first: usize,
    w: [f32; 1],
}

impl AllButSelfTopology {
    fn build(ends: &Ends<'_>, weight: f32, first: usize) -> Result<Box<dyn Topology>> {
        if !weight.is_finite() {
            return Err(Error::param(
                ends.name,
                format!("weight must be finite, got {weight}"),
            ));
        }
        Ok(Box::new(AllButSelfTopology {
            n_pre: ends.n_pre(),
            n_post: ends.n_post(),
            first,
            w: [weight],
        }))
    }
}

impl SharedPropagation for AllButSelfTopology {
    fn propagate_shared(&self, src: &Spikes, out: &mut [f32]) {
        let (n, first) = (self.n_post, self.first);
        let w = self.w[0];
        for b in 0..src.batch() {
            let active = src.active(b);
            if active.is_empty() {
                continue;
            }
            let vals = src.row(b);
            let total: f32 = active.iter().map(|&i| vals[i as usize]).sum();
            let row = &mut out[b * n..(b + 1) * n];
            // w·(total − s_j): with one spiking neuron the sum is exact, as
            // in the dense product (one non-zero term per target).
            for (o, &own) in row.iter_mut().zip(&vals[first..first + n]) {
                *o += w * (total - own);
            }
        }
    }
}

impl Topology for AllButSelfTopology {
    fn type_name(&self) -> &'static str {
        "AllButSelf"
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        self.propagate_shared(src, out);
    }
    fn shared(&self) -> Option<&dyn SharedPropagation> {
        Some(self)
    }
    fn weights(&self) -> Option<&[f32]> {
        Some(&self.w)
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        Some(&mut self.w)
    }
    fn part_layout(&self, name: &str) -> Option<crate::distributed::PartLayout> {
        // The one shared weight.
        (name == "w").then_some(crate::distributed::PartLayout::Whole)
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        let (n_pre, n_post) = (self.n_pre, self.n_post);
        let mut d = vec![self.w[0]; n_pre * n_post];
        for j in 0..n_post {
            d[(self.first + j) * n_post + j] = 0.0;
        }
        Some((vec![n_pre, n_post], d))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        None
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        None
    }
}
