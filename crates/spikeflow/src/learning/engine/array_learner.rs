//! The learner that drives an [`ArrayRule`]: per phase it gathers the
//! synapses the phase touches through the topology's [`SynapseMap`], calls
//! the rule once, and scatters its changes through [`WeightChanges`] (see
//! the `array` module's docs for the order and the failure contract). On a
//! dense connection (batch 1) post terms that do not read the weights wait
//! in a [`TermLog`] until their rows are read.

use super::array::{ArrayRule, Layout, Phase, SynapseBatch};
use super::term_log::TermLog;
use super::terms::{RowTerms, Terms};
use super::{LearnContext, Learner, Tail, WeightChanges};
use crate::learning::{ConnectionInfo, Nu, Phases, Reduction, Requirements};
use crate::topology::{Bound, SynapseMap};

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
    terms: Terms,
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
    /// Dense batch 1: post terms not yet added to their rows.
    log: TermLog,
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
            log: TermLog::default(),
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
    /// the touched rows and columns, without the change buffer. With `log`
    /// (the scalar bounds the log clamps to, if any), only the rows of the
    /// sources that spiked take this step's post terms now; the others'
    /// wait in the log.
    fn apply_dense(
        &mut self,
        w: &mut [f32],
        n_pre: usize,
        n_post: usize,
        tail: &Tail<'_>,
        log: Option<Option<(f32, f32)>>,
    ) {
        let bounded = tail.bounded() && tail.decay == 1.0 && !*tail.dirty;
        let logged = log.is_some();
        match (bounded, tail.wmin, tail.wmax) {
            (false, ..) => self.dense_terms(w, n_pre, n_post, logged, |_, x| x),
            (true, Bound::Scalar(lo), Bound::Scalar(hi)) => {
                let (lo, hi) = (*lo, *hi);
                self.dense_terms(w, n_pre, n_post, logged, |_, x| x.max(lo).min(hi))
            }
            (true, lo, hi) => self.dense_terms(w, n_pre, n_post, logged, |k, x| {
                x.max(lo.at(k)).min(hi.at(k))
            }),
        }
        let Some(bounds) = log else { return };
        if self.phases.post && !self.bufs[1].sel.is_empty() {
            let terms = self.bufs[1].terms.take(self.log.spare());
            self.log.push(&self.bufs[1].sel, terms, bounds);
            if self.phases.pre {
                for &i in &self.bufs[0].sel {
                    self.log.set_applied(i as usize);
                }
            }
        }
        if self.log.is_full() {
            self.log.flush(w);
        }
    }

    /// The pass of [`apply_dense`](Self::apply_dense); with `logged`, the
    /// post terms go only to the rows of the sources that spiked.
    #[inline]
    fn dense_terms(
        &mut self,
        w: &mut [f32],
        n_pre: usize,
        n_post: usize,
        logged: bool,
        clamp: impl Fn(usize, f32) -> f32,
    ) {
        debug_assert_eq!(self.batch, 1);
        let [p, q, _] = &self.bufs;
        let rows: &[u32] = if self.phases.pre { &p.sel } else { &[] };
        let cols: &[u32] = if self.phases.post { &q.sel } else { &[] };
        for &j in cols {
            self.post_mask[j as usize] = true;
        }
        let mask = &self.post_mask;
        for (r, &i) in rows.iter().enumerate() {
            self.row_of[i as usize] = r as u32;
            let base = i as usize * n_post;
            let row = &mut w[base..base + n_post];
            let add = |j: usize, x: &mut f32, t: f32| {
                if !mask[j] {
                    *x = clamp(base + j, *x + (0.0 + t));
                }
            };
            // The two forms a pre block row takes, each its own loop.
            match p.terms.row(r) {
                RowTerms::Each(t) => row
                    .iter_mut()
                    .zip(t)
                    .enumerate()
                    .for_each(|(j, (x, &t))| add(j, x, t)),
                RowTerms::Same(t) => row.iter_mut().enumerate().for_each(|(j, x)| add(j, x, t)),
            }
        }
        if !cols.is_empty() {
            let row_of = &self.row_of;
            let mut col_terms = |i: usize| {
                let base = i * n_post;
                let terms = q.terms.row(i);
                let row = &mut w[base..base + n_post];
                let r = row_of[i];
                if r == u32::MAX {
                    for (c, &j) in cols.iter().enumerate() {
                        let j = j as usize;
                        row[j] = clamp(base + j, row[j] + (0.0 + terms.at(c)));
                    }
                } else {
                    let pre = p.terms.row(r as usize);
                    for (c, &j) in cols.iter().enumerate() {
                        let j = j as usize;
                        row[j] = clamp(base + j, row[j] + ((0.0 + pre.at(j)) + terms.at(c)));
                    }
                }
            };
            if logged {
                rows.iter().for_each(|&i| col_terms(i as usize));
            } else {
                (0..n_pre).for_each(col_terms);
            }
        }
        for &j in cols {
            self.post_mask[j as usize] = false;
        }
        for &i in rows {
            self.row_of[i as usize] = u32::MAX;
        }
    }

    /// Whether this step's post terms may wait in the log, and the scalar
    /// bounds they are clamped to (`Some(None)`: unbounded): dense batch 1
    /// on the one-pass path, post terms that do not read the weights, and
    /// nothing but those terms changing the weights (no decay; clamped, if
    /// at all, to the same scalar bounds as the terms already logged).
    fn log_bounds(&self, fast: bool, tail: &Tail<'_>) -> Option<Option<(f32, f32)>> {
        if !fast || !self.phases.post || self.rule.reads_weights(Phase::Post) || tail.decay != 1.0 {
            return None;
        }
        let bounds = if !tail.bounded() {
            None
        } else if *tail.dirty {
            return None;
        } else {
            match (tail.wmin, tail.wmax) {
                (Bound::Scalar(lo), Bound::Scalar(hi)) => Some((*lo, *hi)),
                _ => return None,
            }
        };
        self.log.accepts(bounds).then_some(bounds)
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
        self.log.resize(n_pre, n_post);
    }
    fn pending(&self) -> bool {
        !self.log.is_empty()
    }
    fn flush(&mut self, _map: SynapseMap<'_>, w: &mut [f32]) {
        self.log.flush(w);
    }
    fn catch_up_rows(&mut self, _map: SynapseMap<'_>, w: &mut [f32], sources: &[u32]) {
        self.log.catch_up_rows(w, sources);
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
        let fast = dense
            && self.batch == 1
            && !self.phases.every_step
            && !matches!(self.reduction, Reduction::Custom(_));
        let log = self.log_bounds(fast, &tail);
        // The rule reads the weights before this step: the rows it reads
        // (or all of them) take their logged terms first.
        if log.is_some() {
            self.log.catch_up_rows(w, pre_s.active(0));
        } else {
            self.log.flush(w);
        }
        // Gather every phase's synapses (the generic loop's order), call the
        // rule on each; apply nothing if one fails.
        for (phase, idx) in PHASES.into_iter().zip(0..) {
            if !self.on(phase) {
                continue;
            }
            let buf = &mut self.bufs[idx];
            buf.gather(phase, map, pre_s, post_s, dense);
            let mut terms = std::mem::take(&mut buf.terms);
            let block = match buf.layout(phase) {
                Layout::DenseRows { rows, .. } => Some((rows.len(), map.n_post())),
                Layout::DenseCols { cols, .. } => Some((map.n_pre(), cols.len())),
                Layout::Listed { .. } => None,
            };
            // A rule that writes every term gets the buffer as it was.
            terms.prepare(buf.len, block, !self.rule.fills_terms());
            if buf.len == 0 {
                buf.terms = terms;
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
                Phase::Pre => self.rule.on_pre(&syn, &mut terms),
                Phase::Post => self.rule.on_post(&syn, &mut terms),
                Phase::EveryStep => self.rule.every_step(&syn, &mut terms),
            };
            self.bufs[idx].terms = terms;
            if let Err(e) = r {
                self.error = Some(e);
                return;
            }
        }
        if fast {
            self.apply_dense(w, map.n_pre(), map.n_post(), &tail, log);
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
            self.bufs[idx].terms.expand();
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
                changes.add(b, k, buf.terms.at(n));
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
