//! Mean-field connection: every target sees the mean activity of the
//! source, scaled by one weight (shared, or one per target).
//!
//! `post[b, j] = w_j · (1/n_pre) Σ_i s[b, i]` — per batch row. BindsNET's
//! `MeanFieldConnection` averages over the batch too, mixing samples; that
//! computation is available as [`MeanFieldOverBatch`] (to reproduce
//! BindsNET runs), see `docs/differences-from-bindsnet.md`.
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

/// BindsNET 0.3.4's `MeanFieldConnection` forward with batch > 1: the mean
/// is taken over the batch rows *and* the source neurons together,
///
/// `post[b, j] = w_j · (Σ_{b', i} s[b', i]) / (batch · n_pre)`,
///
/// so every batch row receives the same input and a row's result depends
/// on the other rows. Identical to [`MeanField`] with batch 1. spikeflow's
/// default, [`MeanField`], keeps batch rows independent; this one exists to
/// reproduce BindsNET runs. Learning rules (BindsNET allows none) see the
/// same synapses as on [`MeanField`], row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanFieldOverBatch(pub MeanField);

impl TopologySpec for MeanFieldOverBatch {
    fn type_name(&self) -> &'static str {
        "MeanFieldConnection"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        let mut t = self.0.topology(ends)?;
        t.over_batch = true;
        Ok(Box::new(t))
    }
}

impl TopologySpec for MeanField {
    fn type_name(&self) -> &'static str {
        "MeanFieldConnection"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> Result<Box<dyn Topology>> {
        Ok(Box::new(self.topology(ends)?))
    }
}

impl MeanField {
    fn topology(&self, ends: &Ends<'_>) -> Result<MeanFieldTopology> {
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
        Ok(MeanFieldTopology {
            n_pre: ends.n_pre(),
            n_post: ends.n_post(),
            w,
            over_batch: false,
        })
    }
}

#[derive(Debug)]
struct MeanFieldTopology {
    n_pre: usize,
    n_post: usize,
    w: Vec<f32>,
    /// BindsNET's mean over the batch as well ([`MeanFieldOverBatch`]).
    over_batch: bool,
}

impl MeanFieldTopology {
    /// `out[j] += w_j · mean` for one batch row.
    fn add(&self, mean: f32, out: &mut [f32]) {
        for (j, o) in out.iter_mut().enumerate() {
            *o += self.w[if self.w.len() == 1 { 0 } else { j }] * mean;
        }
    }
}

impl Topology for MeanFieldTopology {
    fn type_name(&self) -> &'static str {
        "MeanFieldConnection"
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let n = self.n_post;
        let row_total = |b: usize| -> f32 {
            let vals = src.row(b);
            src.active(b).iter().map(|&i| vals[i as usize]).sum()
        };
        if self.over_batch {
            // One sum over every row and neuron, one division, one product.
            let total: f32 = (0..src.batch()).map(row_total).sum();
            if total == 0.0 {
                return;
            }
            let mean = total / (src.batch() * self.n_pre) as f32;
            for row in out[..src.batch() * n].chunks_exact_mut(n) {
                self.add(mean, row);
            }
            return;
        }
        for b in 0..src.batch() {
            let total = row_total(b);
            if total == 0.0 {
                continue;
            }
            let mean = total / self.n_pre as f32;
            self.add(mean, &mut out[b * n..(b + 1) * n]);
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
