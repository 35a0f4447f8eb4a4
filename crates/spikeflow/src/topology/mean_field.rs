//! Mean-field connection: every target sees the mean activity of the
//! source, scaled by one weight (shared, or one per target).
//!
//! `post[b, j] = w_j · (1/n_pre) Σ_i s[b, i]` — per batch row (BindsNET's
//! `MeanFieldConnection` averages over the batch too, mixing samples).
//! Learning rules see every `(i, j)` pair as a synapse whose parameter is
//! `w_j` (or the single `w`), so changes accumulate as for shared kernels.

use super::{check_len, Ends, SynapseMap, Topology, TopologySpec};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::spikes::Spikes;

/// A mean-field connection.
#[derive(Debug, Clone, PartialEq)]
pub enum MeanField {
    /// One weight for all targets.
    Scalar(f32),
    /// One weight per target neuron.
    PerTarget(Vec<f32>),
}

impl TopologySpec for MeanField {
    fn type_name(&self) -> &'static str {
        "MeanFieldConnection"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let w = match self {
            MeanField::Scalar(w) => vec![*w],
            MeanField::PerTarget(w) => {
                check_len(
                    ends.name,
                    "w",
                    w.len(),
                    ends.n_post(),
                    &format!("[{}]", ends.n_post()),
                )?;
                w.clone()
            }
        };
        if let Some(bad) = w.iter().find(|x| !x.is_finite()) {
            return Err(Error::param(
                ends.name,
                format!("weights must be finite, got {bad}"),
            ));
        }
        Ok(Box::new(MeanFieldTopology {
            n_pre: ends.n_pre(),
            n_post: ends.n_post(),
            w,
        }))
    }
}

#[derive(Debug)]
struct MeanFieldTopology {
    n_pre: usize,
    n_post: usize,
    w: Vec<f32>,
}

impl Topology for MeanFieldTopology {
    fn type_name(&self) -> &'static str {
        "MeanFieldConnection"
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let n = self.n_post;
        for b in 0..src.batch() {
            let vals = src.row(b);
            let total: f32 = src.active(b).iter().map(|&i| vals[i as usize]).sum();
            if total == 0.0 {
                continue;
            }
            let mean = total / self.n_pre as f32;
            for (j, o) in out[b * n..(b + 1) * n].iter_mut().enumerate() {
                *o += self.w[if self.w.len() == 1 { 0 } else { j }] * mean;
            }
        }
    }
    fn weights(&self) -> Option<&[f32]> {
        Some(&self.w)
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        Some(&mut self.w)
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        Some((vec![self.w.len()], self.w.clone()))
    }
    fn supports_norm(&self) -> bool {
        false
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        let map = SynapseMap::Uniform {
            n_pre: self.n_pre,
            n_post: self.n_post,
            per_target: self.w.len() > 1,
        };
        Some((map, &mut self.w))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Uniform {
            n_pre: self.n_pre,
            n_post: self.n_post,
            per_target: self.w.len() > 1,
        })
    }
}
