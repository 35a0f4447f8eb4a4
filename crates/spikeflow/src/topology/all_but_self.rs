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
        if !self.weight.is_finite() {
            return Err(Error::param(
                ends.name,
                format!("weight must be finite, got {}", self.weight),
            ));
        }
        Ok(Box::new(AllButSelfTopology {
            n: ends.n_pre(),
            w: [self.weight],
        }))
    }
}

#[derive(Debug)]
struct AllButSelfTopology {
    n: usize,
    w: [f32; 1],
}

impl SharedPropagation for AllButSelfTopology {
    fn propagate_shared(&self, src: &Spikes, out: &mut [f32]) {
        let n = self.n;
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
            for (j, o) in row.iter_mut().enumerate() {
                *o += w * (total - vals[j]);
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
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        let n = self.n;
        let mut d = vec![self.w[0]; n * n];
        for i in 0..n {
            d[i * n + i] = 0.0;
        }
        Some((vec![n, n], d))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        None
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        None
    }
}
