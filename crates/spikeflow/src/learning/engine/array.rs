//! Phase-vectorised rules: a rule that computes the terms of a whole phase
//! (every synapse of the sources that spiked, every synapse of the targets
//! that spiked, or every synapse) in one call, from arrays, instead of one
//! synapse at a time. This is how rules written in another language (the
//! Python package's `SynapseRule`) plug into the same machinery as a
//! [`SynapseRule`](crate::learning::SynapseRule): the learner gathers the
//! synapses a phase touches through the topology's
//! [`SynapseMap`] (so every layout works, shared convolution kernels
//! included), calls the rule once per phase, and scatters the returned
//! changes through [`WeightChanges`] — summed per weight in the generic
//! loop's order (pre terms, then post terms, then every-step terms),
//! reduced over the batch, added, then weight decay and clamping. A rule
//! written this way gives the same weights, bit for bit, as the same rule
//! written as a `SynapseRule` (`tests/array_rule.rs`).
//!
//! A phase may fail (an exception in a Python rule): the learner then
//! applies nothing for that step, keeps the reason, and the network stops
//! the run at the end of that step with [`Error::Rule`](crate::Error::Rule).

use super::{LearnContext, Learner, WeightChanges};
use crate::learning::{ConnectionInfo, Nu, Phases, Reduction, Requirements};
use crate::topology::{Bound, SynapseMap};

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

/// The synapses one phase of one step touches, as parallel arrays (one
/// entry per synapse and batch row, in the generic loop's order), plus
/// the per-neuron arrays they index. The `gather_*` methods build the
/// per-synapse arrays a rule reads (only what it asks for is built).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SynapseBatch<'a> {
    /// The phase.
    pub phase: Phase,
    /// Batch row of each synapse.
    pub row: &'a [u32],
    /// Presynaptic neuron of each synapse (flat index in the source).
    pub pre: &'a [u32],
    /// Postsynaptic neuron of each synapse (flat index in the target).
    pub post: &'a [u32],
    /// Weight index of each synapse (in the topology's weight order; shared
    /// kernels map many synapses to one weight).
    pub weight: &'a [u32],
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

impl SynapseBatch<'_> {
    /// Number of synapses (entries of every per-synapse array).
    pub fn len(&self) -> usize {
        self.weight.len()
    }
    /// Whether the phase touches no synapse.
    pub fn is_empty(&self) -> bool {
        self.weight.is_empty()
    }
    /// `w` of each synapse.
    pub fn gather_w(&self) -> Vec<f32> {
        self.weight.iter().map(|&k| self.w[k as usize]).collect()
    }
    /// A per-weight quantity of each synapse.
    fn per_weight(&self, f: impl Fn(usize) -> f32) -> Vec<f32> {
        self.weight.iter().map(|&k| f(k as usize)).collect()
    }
    /// `wmin` of each synapse.
    pub fn gather_wmin(&self) -> Vec<f32> {
        self.per_weight(|k| self.wmin.at(k))
    }
    /// `wmax` of each synapse.
    pub fn gather_wmax(&self) -> Vec<f32> {
        self.per_weight(|k| self.wmax.at(k))
    }
    /// `nu_pre` of each synapse.
    pub fn gather_nu_pre(&self) -> Vec<f32> {
        self.per_weight(|k| self.nu.at(k).0)
    }
    /// `nu_post` of each synapse.
    pub fn gather_nu_post(&self) -> Vec<f32> {
        self.per_weight(|k| self.nu.at(k).1)
    }
    /// A source array `[batch × n_pre]` at each synapse (zeros if `None`).
    pub fn gather_pre(&self, a: Option<&[f32]>) -> Vec<f32> {
        let n = self.n_pre;
        match a {
            Some(a) => self
                .row
                .iter()
                .zip(self.pre)
                .map(|(&b, &i)| a[b as usize * n + i as usize])
                .collect(),
            None => vec![0.0; self.len()],
        }
    }
    /// A target array `[batch × n_post]` at each synapse (zeros if `None`).
    pub fn gather_post(&self, a: Option<&[f32]>) -> Vec<f32> {
        let n = self.n_post;
        match a {
            Some(a) => self
                .row
                .iter()
                .zip(self.post)
                .map(|(&b, &j)| a[b as usize * n + j as usize])
                .collect(),
            None => vec![0.0; self.len()],
        }
    }
    /// The reward of each synapse's batch row.
    pub fn gather_reward(&self) -> Vec<f32> {
        self.row.iter().map(|&b| self.reward[b as usize]).collect()
    }
}

/// A learning rule that computes a whole phase's terms at once, from
/// arrays ([`SynapseBatch`]): for rules written in another language, or
/// vectorised by hand. The learner gathers and scatters; the rule fills
/// `dw` (one term per synapse, zeroed before the call) and returns `Err`
/// with a message if it cannot (the run then stops after this step).
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
        Phases {
            pre: nu.pre_active(),
            post: nu.post_active(),
            every_step: false,
            eligibility: false,
        }
    }
    /// Terms of the synapses of sources that spiked.
    fn on_pre(&mut self, _syn: &SynapseBatch<'_>, _dw: &mut [f32]) -> Result<(), String> {
        Ok(())
    }
    /// Terms of the synapses of targets that spiked.
    fn on_post(&mut self, _syn: &SynapseBatch<'_>, _dw: &mut [f32]) -> Result<(), String> {
        Ok(())
    }
    /// Terms of every synapse, every step.
    fn every_step(&mut self, _syn: &SynapseBatch<'_>, _dw: &mut [f32]) -> Result<(), String> {
        Ok(())
    }
}

/// The indices and terms of one phase, reused from step to step.
#[derive(Debug, Default)]
struct PhaseBuf {
    row: Vec<u32>,
    pre: Vec<u32>,
    post: Vec<u32>,
    weight: Vec<u32>,
    dw: Vec<f32>,
}

impl PhaseBuf {
    fn clear(&mut self) {
        self.row.clear();
        self.pre.clear();
        self.post.clear();
        self.weight.clear();
    }
    #[inline]
    fn push(&mut self, b: usize, i: usize, j: usize, k: usize) {
        self.row.push(b as u32);
        self.pre.push(i as u32);
        self.post.push(j as u32);
        self.weight.push(k as u32);
    }
}

/// Runs an [`ArrayRule`]: gathers each phase's synapses, calls the rule,
/// scatters the terms through [`WeightChanges`] and the shared tail.
#[derive(Debug)]
pub(crate) struct ArrayLearner {
    rule: Box<dyn ArrayRule>,
    nu: Nu,
    reduction: Reduction,
    phases: Phases,
    batch: usize,
    changes: WeightChanges,
    bufs: [PhaseBuf; 3],
    error: Option<String>,
}

impl ArrayLearner {
    pub fn new(rule: Box<dyn ArrayRule>, nu: Nu, reduction: Reduction) -> Self {
        let phases = rule.phases(&nu);
        ArrayLearner {
            rule,
            nu,
            reduction,
            phases,
            batch: 0,
            changes: WeightChanges::default(),
            bufs: Default::default(),
            error: None,
        }
    }
}

impl Learner for ArrayLearner {
    fn requirements(&self) -> Requirements {
        self.rule.requirements()
    }
    fn validate(&self, info: &ConnectionInfo<'_>) -> Result<(), String> {
        if self.phases.eligibility {
            return Err("an array rule cannot use eligibility (write a SynapseRule)".into());
        }
        self.rule.validate(info)
    }
    fn check_active(&self) -> Result<(), String> {
        let p = self.phases;
        if !(p.pre || p.post || p.every_step) {
            return Err(format!(
                "nu = {} switches off every term of the rule, so it would never change a \
                 weight; set nu or attach no rule",
                super::nu_text(&self.nu)
            ));
        }
        Ok(())
    }
    fn resize(&mut self, batch: usize, _n_pre: usize, _n_post: usize, n_w: usize) {
        self.batch = batch;
        let per_row = matches!(self.reduction, Reduction::Custom(_));
        self.changes = WeightChanges::with_rows(batch, n_w, self.reduction.clone(), per_row);
    }
    fn reset_state(&mut self) {}
    fn state(&self, _name: &str) -> Option<&[f32]> {
        None
    }
    fn save(&self) -> Vec<(&'static str, Vec<f32>)> {
        Vec::new()
    }
    fn load(&mut self, _get: &mut dyn FnMut(&str) -> Option<Vec<f32>>) -> Result<(), String> {
        Ok(())
    }
    fn take_error(&mut self) -> Option<String> {
        self.error.take()
    }

    fn update(&mut self, ctx: LearnContext<'_>) {
        let LearnContext {
            map,
            w,
            pre,
            post,
            post_aux,
            reward,
            dt,
            mut tail,
        } = ctx;
        let (pre_s, post_s) = (pre.spikes(), post.spikes());
        let phases = [
            (Phase::Pre, self.phases.pre),
            (Phase::Post, self.phases.post),
            (Phase::EveryStep, self.phases.every_step),
        ];
        // Gather every phase's synapses (the generic loop's visiting order).
        for ((phase, on), buf) in phases.iter().zip(&mut self.bufs) {
            buf.clear();
            if !on {
                continue;
            }
            gather(*phase, map, pre_s, post_s, buf);
        }
        // Call the rule on each phase; apply nothing if one fails.
        for ((phase, on), buf) in phases.iter().zip(&mut self.bufs) {
            if !on {
                continue;
            }
            buf.dw.clear();
            buf.dw.resize(buf.weight.len(), 0.0);
            if buf.weight.is_empty() {
                continue;
            }
            let syn = SynapseBatch {
                phase: *phase,
                row: &buf.row,
                pre: &buf.pre,
                post: &buf.post,
                weight: &buf.weight,
                w,
                wmin: tail.wmin,
                wmax: tail.wmax,
                nu: &self.nu,
                pre_s: pre_s.values(),
                pre_x: pre.trace(),
                post_s: post_s.values(),
                post_x: post.trace(),
                post_variable: post_aux,
                reward,
                dt,
                n_pre: map.n_pre(),
                n_post: map.n_post(),
            };
            let r = match phase {
                Phase::Pre => self.rule.on_pre(&syn, &mut buf.dw),
                Phase::Post => self.rule.on_post(&syn, &mut buf.dw),
                Phase::EveryStep => self.rule.every_step(&syn, &mut buf.dw),
            };
            if let Err(e) = r {
                self.error = Some(e);
                return;
            }
        }
        for buf in &self.bufs {
            for ((&b, &k), &v) in buf.row.iter().zip(&buf.weight).zip(&buf.dw) {
                self.changes.add(b as usize, k as usize, v);
            }
        }
        // The generic loop's tail, in its order.
        let bounded = tail.bounded() && tail.decay == 1.0 && !*tail.dirty;
        self.changes.drain(|k, d| {
            let mut x = w[k] + d;
            if bounded {
                x = x.max(tail.wmin.at(k)).min(tail.wmax.at(k));
            }
            w[k] = x;
        });
        if !bounded {
            tail.apply_all(w);
        }
    }
}

/// Collects the synapses of one phase into `buf`.
fn gather(
    phase: Phase,
    map: SynapseMap<'_>,
    pre_s: &crate::spikes::Spikes,
    post_s: &crate::spikes::Spikes,
    buf: &mut PhaseBuf,
) {
    match phase {
        Phase::Pre => {
            for b in 0..pre_s.batch() {
                for &i in pre_s.active(b) {
                    let i = i as usize;
                    map.for_each_out(i, |j, k| buf.push(b, i, j, k));
                }
            }
        }
        Phase::Post => {
            for b in 0..post_s.batch() {
                let active = post_s.active(b);
                if !active.is_empty() {
                    map.for_each_into(active, |i, j, k| buf.push(b, i, j, k));
                }
            }
        }
        Phase::EveryStep => {
            for b in 0..pre_s.batch() {
                for i in 0..map.n_pre() {
                    map.for_each_out(i, |j, k| buf.push(b, i, j, k));
                }
            }
        }
    }
}
