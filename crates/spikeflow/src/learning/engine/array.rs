//! Phase-vectorised rules: a rule that computes the terms of a whole phase
//! (every synapse of the sources that spiked, every synapse of the targets
//! that spiked, or every synapse) in one call, from arrays, instead of one
//! synapse at a time. This is how rules written in another language (the
//! Python package's `SynapseRule`) plug into the same machinery as a
//! [`SynapseRule`](crate::learning::SynapseRule): the learner gathers the
//! synapses a phase touches through the topology's
//! [`SynapseMap`](crate::topology::SynapseMap) (so every layout works, shared convolution kernels
//! included), calls the rule once per phase, and scatters the returned
//! changes through [`WeightChanges`](super::WeightChanges) — summed per weight in the generic
//! loop's order (pre terms, then post terms, then every-step terms),
//! reduced over the batch, added, then weight decay and clamping. A rule
//! written this way gives the same weights, bit for bit, as the same rule
//! written as a `SynapseRule` (`tests/array_rule.rs`).
//!
//! A phase may fail (an exception in a Python rule): the learner then
//! applies nothing for that step, keeps the reason, and the network stops
//! the run at the end of that step with [`Error::Rule`](crate::Error::Rule).

use super::terms::Terms;
use crate::learning::{ConnectionInfo, Nu, Phases, Requirements};
use crate::topology::Bound;

/// Which phase a [`SynapseBatch`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Synapses of the sources that spiked this step.
    Pre,
    /// Synapses of the targets that spiked this step.
    Post,
    /// Every synapse.
    EveryStep,
}

/// Which synapses a phase touches, in the generic loop's order.
#[derive(Debug, Clone, Copy)]
pub(super) enum Layout<'a> {
    /// Listed one by one: batch row, pre, post, weight index.
    Listed {
        row: &'a [u32],
        pre: &'a [u32],
        post: &'a [u32],
        weight: &'a [u32],
    },
    /// Dense weights, batch row `b`: every synapse of the sources `rows`
    /// (row-major: for each `i` of `rows`, every `j`).
    DenseRows { b: usize, rows: &'a [u32] },
    /// Dense weights, batch row `b`: every synapse into the targets `cols`
    /// (for each `i`, each `j` of `cols`).
    DenseCols { b: usize, cols: &'a [u32] },
}

/// The synapses one phase of one step touches — one entry per synapse and
/// batch row, in the generic loop's order — and the per-neuron arrays they
/// index. The per-synapse arrays are built on request (`rows`, `pres`,
/// `posts`, `weights`, `gather_*`): a rule pays only for what it reads.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SynapseBatch<'a> {
    /// The phase.
    pub phase: Phase,
    pub(super) layout: Layout<'a>,
    pub(super) len: usize,
    /// Every weight before this step's update, in the topology's order.
    pub w: &'a [f32],
    /// Lower weight bounds.
    pub wmin: &'a Bound,
    /// Upper weight bounds.
    pub wmax: &'a Bound,
    /// Learning rates.
    pub nu: &'a Nu,
    /// Source spikes `[batch × n_pre]`.
    pub pre_s: &'a [f32],
    /// Source traces `[batch × n_pre]` (`None` if the source keeps none).
    pub pre_x: Option<&'a [f32]>,
    /// Target spikes `[batch × n_post]`.
    pub post_s: &'a [f32],
    /// Target traces `[batch × n_post]`.
    pub post_x: Option<&'a [f32]>,
    /// The target variable asked for in [`Requirements::post_variable`].
    pub post_variable: Option<&'a [f32]>,
    /// One reward per batch row (zeros without reward).
    pub reward: &'a [f32],
    /// Time step (ms).
    pub dt: f32,
    /// Source neurons.
    pub n_pre: usize,
    /// Target neurons.
    pub n_post: usize,
}

/// A phase of dense weights at batch 1 seen as a block: the rows `rows`
/// (source indices; every source if `None`) × the columns `cols` (target
/// indices; every target if `None`) of the weight matrix, row-major — the
/// same synapses, in the same order, as the per-synapse arrays. Per-neuron
/// quantities then broadcast over the block (a source's value down its
/// row, a target's along its column) instead of being gathered per synapse.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Block<'a> {
    /// The batch row.
    pub b: usize,
    /// The block's rows (source indices), or `None` for every source.
    pub rows: Option<&'a [u32]>,
    /// The block's columns (target indices), or `None` for every target.
    pub cols: Option<&'a [u32]>,
    /// `(rows, cols)`: `rows * cols` is [`SynapseBatch::len`].
    pub shape: (usize, usize),
}

impl<'a> SynapseBatch<'a> {
    /// The phase as a [`Block`] (dense weights, batch 1), or `None` where
    /// the synapses are listed one by one (other topologies, batches > 1).
    pub fn block(&self) -> Option<Block<'a>> {
        match self.layout {
            Layout::DenseRows { b, rows } => Some(Block {
                b,
                rows: Some(rows),
                cols: None,
                shape: (rows.len(), self.n_post),
            }),
            Layout::DenseCols { b, cols } => Some(Block {
                b,
                rows: None,
                cols: Some(cols),
                shape: (self.n_pre, cols.len()),
            }),
            Layout::Listed { .. } => None,
        }
    }
}

impl SynapseBatch<'_> {
    /// Number of synapses (entries of every per-synapse array).
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the phase touches no synapse.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Calls `f(row, pre, post, weight)` for each synapse, in order.
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(usize, usize, usize, usize)) {
        let n_post = self.n_post;
        match self.layout {
            Layout::Listed {
                row,
                pre,
                post,
                weight,
            } => {
                for n in 0..weight.len() {
                    f(
                        row[n] as usize,
                        pre[n] as usize,
                        post[n] as usize,
                        weight[n] as usize,
                    );
                }
            }
            Layout::DenseRows { b, rows } => {
                for &i in rows {
                    let i = i as usize;
                    for j in 0..n_post {
                        f(b, i, j, i * n_post + j);
                    }
                }
            }
            Layout::DenseCols { b, cols } => {
                for i in 0..self.n_pre {
                    for &j in cols {
                        f(b, i, j as usize, i * n_post + j as usize);
                    }
                }
            }
        }
    }
    fn collect<T>(&self, g: impl Fn(usize, usize, usize, usize) -> T) -> Vec<T> {
        let mut v = Vec::with_capacity(self.len);
        self.for_each(|b, i, j, k| v.push(g(b, i, j, k)));
        v
    }
    /// Batch row of each synapse.
    pub fn rows(&self) -> Vec<u32> {
        self.collect(|b, _, _, _| b as u32)
    }
    /// Presynaptic neuron of each synapse (flat index in the source).
    pub fn pres(&self) -> Vec<u32> {
        self.collect(|_, i, _, _| i as u32)
    }
    /// Postsynaptic neuron of each synapse (flat index in the target).
    pub fn posts(&self) -> Vec<u32> {
        self.collect(|_, _, j, _| j as u32)
    }
    /// Weight index of each synapse, in the topology's weight order
    /// (shared kernels map many synapses to one weight).
    pub fn weights(&self) -> Vec<u32> {
        self.collect(|_, _, _, k| k as u32)
    }
    /// A per-weight quantity of each synapse.
    fn per_weight(&self, f: impl Fn(usize) -> f32) -> Vec<f32> {
        self.collect(|_, _, _, k| f(k))
    }
    /// `w` of each synapse.
    pub fn gather_w(&self) -> Vec<f32> {
        match self.layout {
            Layout::DenseRows { rows, .. } => {
                let n = self.n_post;
                let mut v = Vec::with_capacity(self.len);
                for &i in rows {
                    v.extend_from_slice(&self.w[i as usize * n..(i as usize + 1) * n]);
                }
                v
            }
            _ => self.per_weight(|k| self.w[k]),
        }
    }
    fn bound(&self, b: &Bound) -> Vec<f32> {
        match b {
            Bound::Scalar(v) => vec![*v; self.len],
            Bound::PerSynapse(v) => self.per_weight(|k| v[k]),
        }
    }
    /// `wmin` of each synapse.
    pub fn gather_wmin(&self) -> Vec<f32> {
        self.bound(self.wmin)
    }
    /// `wmax` of each synapse.
    pub fn gather_wmax(&self) -> Vec<f32> {
        self.bound(self.wmax)
    }
    /// `nu_pre` of each synapse.
    pub fn gather_nu_pre(&self) -> Vec<f32> {
        match self.nu {
            Nu::Pair(a, _) => vec![*a; self.len],
            Nu::PerSynapse(a, _) => self.per_weight(|k| a[k]),
        }
    }
    /// `nu_post` of each synapse.
    pub fn gather_nu_post(&self) -> Vec<f32> {
        match self.nu {
            Nu::Pair(_, b) => vec![*b; self.len],
            Nu::PerSynapse(_, b) => self.per_weight(|k| b[k]),
        }
    }
    /// A source array `[batch × n_pre]` at each synapse (zeros if `None`).
    pub fn gather_pre(&self, a: Option<&[f32]>) -> Vec<f32> {
        let Some(a) = a else {
            return vec![0.0; self.len];
        };
        let n = self.n_pre;
        match self.layout {
            Layout::DenseRows { b, rows } => {
                let mut v = Vec::with_capacity(self.len);
                for &i in rows {
                    v.resize(v.len() + self.n_post, a[b * n + i as usize]);
                }
                v
            }
            Layout::DenseCols { b, cols } => {
                let mut v = Vec::with_capacity(self.len);
                for &x in &a[b * n..(b + 1) * n] {
                    v.resize(v.len() + cols.len(), x);
                }
                v
            }
            Layout::Listed { .. } => self.collect(|b, i, _, _| a[b * n + i]),
        }
    }
    /// A target array `[batch × n_post]` at each synapse (zeros if `None`).
    pub fn gather_post(&self, a: Option<&[f32]>) -> Vec<f32> {
        let Some(a) = a else {
            return vec![0.0; self.len];
        };
        let n = self.n_post;
        match self.layout {
            Layout::DenseRows { b, rows } => {
                let mut v = Vec::with_capacity(self.len);
                for _ in rows {
                    v.extend_from_slice(&a[b * n..(b + 1) * n]);
                }
                v
            }
            Layout::DenseCols { b, cols } => {
                let tile: Vec<f32> = cols.iter().map(|&j| a[b * n + j as usize]).collect();
                let mut v = Vec::with_capacity(self.len);
                for _ in 0..self.n_pre {
                    v.extend_from_slice(&tile);
                }
                v
            }
            Layout::Listed { .. } => self.collect(|b, _, j, _| a[b * n + j]),
        }
    }
    /// The reward of each synapse's batch row.
    pub fn gather_reward(&self) -> Vec<f32> {
        match self.layout {
            Layout::DenseRows { b, .. } | Layout::DenseCols { b, .. } => {
                vec![self.reward[b]; self.len]
            }
            Layout::Listed { .. } => self.collect(|b, _, _, _| self.reward[b]),
        }
    }
}

/// A learning rule that computes a whole phase's terms at once, from
/// arrays ([`SynapseBatch`]): for rules written in another language, or
/// vectorised by hand. The learner gathers and scatters; the rule fills
/// [`Terms`] — one term per synapse ([`Terms::per_synapse`], zeroed
/// before the call unless the rule writes every one,
/// [`fills_terms`](ArrayRule::fills_terms)), or on a [`Block`] one per row
/// or column where the terms are the same along the other axis — and
/// returns `Err` with a message if it cannot (the run then stops after this
/// step).
///
/// Terms are weight changes, computed from the weights before the step,
/// exactly as [`SynapseRule::on_pre`](crate::learning::SynapseRule::on_pre)
/// and friends. Eligibility, rule traces, per-neuron state and lagged
/// terms are not available here (write a `SynapseRule` for those).
pub trait ArrayRule: Send + Sync + std::fmt::Debug {
    /// The rule's name.
    fn name(&self) -> &str;
    /// What the rule needs from its connection (checked at build).
    fn requirements(&self) -> Requirements {
        Requirements::default()
    }
    /// The rule's own checks, given the connection (called at build).
    fn validate(&self, _c: &ConnectionInfo<'_>) -> Result<(), String> {
        Ok(())
    }
    /// The phases the rule uses, given the learning rates (decided at
    /// build). By default as [`SynapseRule::phases`](crate::learning::SynapseRule::phases):
    /// pre terms where `nu_pre` is non-zero somewhere, post terms where
    /// `nu_post` is. `eligibility` must stay false.
    fn phases(&self, nu: &Nu) -> Phases {
        Phases::from_rates(nu)
    }
    /// Whether the rule writes every term of the form it picks whenever it
    /// returns `Ok` (false by default). The learner then hands the
    /// per-synapse buffer over as it was, without zeroing it first.
    fn fills_terms(&self) -> bool {
        false
    }
    /// Whether the phase's terms read the weights ([`SynapseBatch::w`],
    /// [`gather_w`](SynapseBatch::gather_w)). A rule whose post terms do
    /// not lets the learner of a dense connection add them to each row when
    /// the row is next read instead of down whole columns every step (the
    /// same bits, far less memory traffic). True unless the rule says
    /// otherwise.
    fn reads_weights(&self, _phase: Phase) -> bool {
        true
    }
    /// Terms of the synapses of sources that spiked.
    fn on_pre(&mut self, _syn: &SynapseBatch<'_>, _terms: &mut Terms) -> Result<(), String> {
        Ok(())
    }
    /// Terms of the synapses of targets that spiked.
    fn on_post(&mut self, _syn: &SynapseBatch<'_>, _terms: &mut Terms) -> Result<(), String> {
        Ok(())
    }
    /// Terms of every synapse, every step.
    fn every_step(&mut self, _syn: &SynapseBatch<'_>, _terms: &mut Terms) -> Result<(), String> {
        Ok(())
    }
}
