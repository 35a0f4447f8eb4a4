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

use super::{LearnContext, Learner, Tail, WeightChanges};
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

/// Which synapses a phase touches, in the generic loop's order.
#[derive(Debug, Clone, Copy)]
enum Layout<'a> {
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
    layout: Layout<'a>,
    len: usize,
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
        Phases::from_rates(nu)
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

/// The synapses and terms of one phase, reused from step to step.
#[derive(Debug, Default)]
struct PhaseBuf {
    /// Dense batch 1: the spiking sources (pre, every step: all sources)
    /// or the spiking targets (post); otherwise unused.
    sel: Vec<u32>,
    dense: bool,
    row: Vec<u32>,
    pre: Vec<u32>,
    post: Vec<u32>,
    weight: Vec<u32>,
    len: usize,
    dw: Vec<f32>,
}

impl PhaseBuf {
    /// Collects the synapses of `phase`.
    fn gather(
        &mut self,
        phase: Phase,
        map: SynapseMap<'_>,
        pre_s: &crate::spikes::Spikes,
        post_s: &crate::spikes::Spikes,
        dense: bool,
    ) {
        self.dense = dense;
        self.sel.clear();
        self.row.clear();
        self.pre.clear();
        self.post.clear();
        self.weight.clear();
        if dense {
            let (n_pre, n_post) = (map.n_pre(), map.n_post());
            self.len = match phase {
                Phase::Pre => {
                    self.sel.extend_from_slice(pre_s.active(0));
                    self.sel.len() * n_post
                }
                Phase::Post => {
                    self.sel.extend_from_slice(post_s.active(0));
                    n_pre * self.sel.len()
                }
                Phase::EveryStep => {
                    self.sel.extend(0..n_pre as u32);
                    n_pre * n_post
                }
            };
            return;
        }
        let mut push = |b: usize, i: usize, j: usize, k: usize| {
            self.row.push(b as u32);
            self.pre.push(i as u32);
            self.post.push(j as u32);
            self.weight.push(k as u32);
        };
        match phase {
            Phase::Pre => {
                for b in 0..pre_s.batch() {
                    for &i in pre_s.active(b) {
                        let i = i as usize;
                        map.for_each_out(i, |j, k| push(b, i, j, k));
                    }
                }
            }
            Phase::Post => {
                for b in 0..post_s.batch() {
                    let active = post_s.active(b);
                    if !active.is_empty() {
                        map.for_each_into(active, |i, j, k| push(b, i, j, k));
                    }
                }
            }
            Phase::EveryStep => {
                for b in 0..pre_s.batch() {
                    for i in 0..map.n_pre() {
                        map.for_each_out(i, |j, k| push(b, i, j, k));
                    }
                }
            }
        }
        self.len = self.weight.len();
    }

    fn layout(&self, phase: Phase) -> Layout<'_> {
        match (self.dense, phase) {
            (true, Phase::Post) => Layout::DenseCols {
                b: 0,
                cols: &self.sel,
            },
            (true, _) => Layout::DenseRows {
                b: 0,
                rows: &self.sel,
            },
            (false, _) => Layout::Listed {
                row: &self.row,
                pre: &self.pre,
                post: &self.post,
                weight: &self.weight,
            },
        }
    }
}

const PHASES: [Phase; 3] = [Phase::Pre, Phase::Post, Phase::EveryStep];

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
    /// Dense batch 1: which targets spiked, and each source's position in
    /// the pre phase (`u32::MAX`: did not spike).
    post_mask: Vec<bool>,
    row_of: Vec<u32>,
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
            post_mask: Vec::new(),
            row_of: Vec::new(),
            error: None,
        }
    }

    fn on(&self, phase: Phase) -> bool {
        match phase {
            Phase::Pre => self.phases.pre,
            Phase::Post => self.phases.post,
            Phase::EveryStep => self.phases.every_step,
        }
    }

    /// Dense batch 1 without every-step terms and with the mean or sum
    /// (over one row both are the identity): each weight's terms
    /// (`0 + pre + post`, the generic loop's sum) are added in one pass over
    /// the touched rows and columns, without the change buffer.
    fn apply_dense(&mut self, w: &mut [f32], n_pre: usize, n_post: usize, tail: &Tail<'_>) {
        let bounded = tail.bounded() && tail.decay == 1.0 && !*tail.dirty;
        match (bounded, tail.wmin, tail.wmax) {
            (false, ..) => self.dense_terms(w, n_pre, n_post, |_, x| x),
            (true, Bound::Scalar(lo), Bound::Scalar(hi)) => {
                let (lo, hi) = (*lo, *hi);
                self.dense_terms(w, n_pre, n_post, |_, x| x.max(lo).min(hi))
            }
            (true, lo, hi) => {
                self.dense_terms(w, n_pre, n_post, |k, x| x.max(lo.at(k)).min(hi.at(k)))
            }
        }
    }

    #[inline]
    fn dense_terms(
        &mut self,
        w: &mut [f32],
        n_pre: usize,
        n_post: usize,
        clamp: impl Fn(usize, f32) -> f32,
    ) {
        debug_assert_eq!(self.batch, 1);
        let [p, q, _] = &self.bufs;
        let rows: &[u32] = if self.phases.pre { &p.sel } else { &[] };
        let cols: &[u32] = if self.phases.post { &q.sel } else { &[] };
        for &j in cols {
            self.post_mask[j as usize] = true;
        }
        for (r, &i) in rows.iter().enumerate() {
            self.row_of[i as usize] = r as u32;
            let base = i as usize * n_post;
            let terms = &p.dw[r * n_post..(r + 1) * n_post];
            let row = &mut w[base..base + n_post];
            for (j, (x, &t)) in row.iter_mut().zip(terms).enumerate() {
                if !self.post_mask[j] {
                    *x = clamp(base + j, *x + (0.0 + t));
                }
            }
        }
        if !cols.is_empty() {
            let m = cols.len();
            for i in 0..n_pre {
                let base = i * n_post;
                let terms = &q.dw[i * m..(i + 1) * m];
                let row = &mut w[base..base + n_post];
                let r = self.row_of[i];
                if r == u32::MAX {
                    for (&j, &t) in cols.iter().zip(terms) {
                        let j = j as usize;
                        row[j] = clamp(base + j, row[j] + (0.0 + t));
                    }
                } else {
                    let pre = &p.dw[r as usize * n_post..(r as usize + 1) * n_post];
                    for (&j, &t) in cols.iter().zip(terms) {
                        let j = j as usize;
                        row[j] = clamp(base + j, row[j] + ((0.0 + pre[j]) + t));
                    }
                }
            }
        }
        for &j in cols {
            self.post_mask[j as usize] = false;
        }
        for &i in rows {
            self.row_of[i as usize] = u32::MAX;
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
    fn resize(&mut self, batch: usize, n_pre: usize, n_post: usize, n_w: usize) {
        self.batch = batch;
        let per_row = matches!(self.reduction, Reduction::Custom(_));
        self.changes = WeightChanges::with_rows(batch, n_w, self.reduction.clone(), per_row);
        self.post_mask = vec![false; n_post];
        self.row_of = vec![u32::MAX; n_pre];
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
        let dense = matches!(map, SynapseMap::Dense { .. }) && pre_s.batch() == 1;
        // Gather every phase's synapses (the generic loop's order), call the
        // rule on each; apply nothing if one fails.
        for (phase, idx) in PHASES.into_iter().zip(0..) {
            if !self.on(phase) {
                continue;
            }
            let buf = &mut self.bufs[idx];
            buf.gather(phase, map, pre_s, post_s, dense);
            let mut dw = std::mem::take(&mut buf.dw);
            dw.clear();
            dw.resize(buf.len, 0.0);
            if buf.len == 0 {
                buf.dw = dw;
                continue;
            }
            let buf = &self.bufs[idx];
            let syn = SynapseBatch {
                phase,
                layout: buf.layout(phase),
                len: buf.len,
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
                Phase::Pre => self.rule.on_pre(&syn, &mut dw),
                Phase::Post => self.rule.on_post(&syn, &mut dw),
                Phase::EveryStep => self.rule.every_step(&syn, &mut dw),
            };
            self.bufs[idx].dw = dw;
            if let Err(e) = r {
                self.error = Some(e);
                return;
            }
        }
        if dense
            && self.batch == 1
            && !self.phases.every_step
            && !matches!(self.reduction, Reduction::Custom(_))
        {
            self.apply_dense(w, map.n_pre(), map.n_post(), &tail);
            let bounded = tail.bounded() && tail.decay == 1.0 && !*tail.dirty;
            if !bounded {
                tail.apply_all(w);
            }
            return;
        }
        for (phase, idx) in PHASES.into_iter().zip(0..) {
            if !self.on(phase) {
                continue;
            }
            let buf = &self.bufs[idx];
            let syn_layout = SynapseBatch {
                phase,
                layout: buf.layout(phase),
                len: buf.len,
                w,
                wmin: tail.wmin,
                wmax: tail.wmax,
                nu: &self.nu,
                pre_s: &[],
                pre_x: None,
                post_s: &[],
                post_x: None,
                post_variable: None,
                reward,
                dt,
                n_pre: map.n_pre(),
                n_post: map.n_post(),
            };
            let changes = &mut self.changes;
            let mut n = 0;
            syn_layout.for_each(|b, _, _, k| {
                changes.add(b, k, buf.dw[n]);
                n += 1;
            });
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
