//! The in-place path of the generic loop on compressed rows (sparse and
//! fixed in-degree connections), batch 1: NEST's `hpc_benchmark` learns
//! here.
//!
//! Every touched weight gets `w ← clamp(w + ((0 + on_pre) + on_post))`
//! from the weights before the step, exactly as the generic loop sums it,
//! without its change buffer: the rows of spiking sources first (their pre
//! terms, plus the post term of each synapse whose target also spiked),
//! then, through the transposed index, the synapses into spiking targets
//! whose source did not spike (their post term alone). Each weight belongs
//! to one synapse and is updated once, from its value before the step, so
//! the order of the two passes does not change a bit.
//!
//! When nothing but the rule's terms changes the weights (no weight decay;
//! scalar bounds or none), the second pass is not made: the step is logged
//! ([`PostLog`](super::deferred::PostLog)) and each row takes its logged
//! post terms when it is next read — its source spikes, propagation reads
//! it, or the log is flushed — as NEST's synapses apply facilitation at the
//! next presynaptic spike.

use super::in_place::StepParams;
use super::{SynapticLearner, Tail};
use crate::learning::{Side, SynapseRule};
use crate::nodes::NodeCore;
use crate::spikes::Spikes;
use crate::topology::{Csr, SynapseMap};
use rayon::prelude::*;
use std::cell::RefCell;

thread_local! {
    /// A row pass's synapses whose target spiked, with their weights
    /// (reused: the pass runs once per spiking source).
    static NOTED: RefCell<Vec<(usize, f32)>> = const { RefCell::new(Vec::new()) };
}

/// Synapses in the rows of a step's spiking sources above which the rows
/// (catch-up and this step's terms) are spread over the pool.
const PAR_MIN_ROWS: usize = 1 << 15;

impl<R: SynapseRule> SynapticLearner<R> {
    /// Compressed rows whose rule's step can run in place
    /// ([`in_place_params`](Self::in_place_params)); postsynaptic spikes
    /// may be seen late. Returns false (doing nothing) when the case does
    /// not apply.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn try_sparse_in_place(
        &mut self,
        map: SynapseMap<'_>,
        w: &mut [f32],
        pre: &NodeCore,
        post: &NodeCore,
        post_aux: Option<&[f32]>,
        reward: &[f32],
        dt: f32,
        tail: &mut Tail<'_>,
    ) -> bool {
        let SynapseMap::Sparse(csr) = map else {
            return false;
        };
        let Some(params) = self.in_place_params(tail, dt) else {
            return false;
        };
        let bounded = params.bounded;
        // Weights change only through the rule's terms.
        let defer = tail.decay == 1.0 && (bounded || !tail.bounded());
        if self.log.params().is_some_and(|p| !defer || p != params) {
            self.log.flush(&self.rule, w, map);
        }
        if defer {
            self.log_step(csr, w, params, pre, post, post_aux, reward);
            return true;
        }
        let step = self.sparse_step(csr, params, pre, post, post_aux, reward);
        step.run(w, self.phases.pre, self.phases.post);
        if !bounded {
            tail.apply_all(w);
        }
        true
    }

    /// What one step's row updates read, `post_s` seen late where the rule
    /// says so; zeros where a population keeps no trace or variable.
    #[allow(clippy::too_many_arguments)]
    fn sparse_step<'a>(
        &'a self,
        csr: &'a Csr,
        params: StepParams,
        pre: &'a NodeCore,
        post: &'a NodeCore,
        post_aux: Option<&'a [f32]>,
        reward: &[f32],
    ) -> SparseStep<'a, R> {
        SparseStep {
            rule: &self.rule,
            params,
            csr,
            pre_s: pre.spikes(),
            post_s: self.post_history.front().unwrap_or(post.spikes()),
            pre_x: pre.trace().unwrap_or(&self.zeros[..self.n_pre]),
            post_x: post.trace().unwrap_or(&self.zeros[..self.n_post]),
            post_aux: post_aux.unwrap_or(&self.zeros[..self.n_post]),
            pre_tr: &self.pre_tr,
            post_tr: &self.post_tr,
            kpre: self.traces.pre.len(),
            kpost: self.traces.post.len(),
            reward: reward[0],
        }
    }

    /// The deferred step: this step's spiking targets and the source
    /// traces join the log; the rows of spiking sources catch up with the
    /// log, then take this step's terms (pre, and post where the target
    /// spiked too), as the eager first pass gives them.
    #[allow(clippy::too_many_arguments)]
    fn log_step(
        &mut self,
        csr: &Csr,
        w: &mut [f32],
        params: StepParams,
        pre: &NodeCore,
        post: &NodeCore,
        post_aux: Option<&[f32]>,
        reward: &[f32],
    ) {
        let (n_pre, n_post) = (self.n_pre, self.n_post);
        let post_s = self.post_history.front().unwrap_or(post.spikes());
        let post_x = post.trace().unwrap_or(&self.zeros[..n_post]);
        let aux = post_aux.unwrap_or(&self.zeros[..n_post]);
        let kpost = self.traces.post.len();
        let posts: &[u32] = if self.phases.post {
            post_s.active(0)
        } else {
            &[]
        };
        self.post_cols
            .gather(posts, post_s.values(), post_x, aux, &self.post_tr, kpost);
        let pre_x = pre.trace().unwrap_or(&self.zeros[..n_pre]);
        self.log
            .use_rows(n_post, &self.trace_decay_pre, pre.trace().is_some());
        self.log.tick();
        let logged = !self.post_cols.is_empty();
        if logged {
            self.log
                .push(params, pre_x, &self.pre_tr, reward[0], &self.post_cols);
        }
        // The rows of spiking sources: up to this step through the log,
        // then this step's own terms (their spike is not 0, so a replay
        // could not give them).
        let now = self.log.steps() - usize::from(logged);
        let step = self.sparse_step(csr, params, pre, post, post_aux, reward);
        let active = pre.spikes().active(0);
        let (log, rule, pre_on) = (&self.log, &self.rule, self.phases.pre);
        let one = |(i, wrow): (usize, &mut [f32])| {
            log.catch_up_row(rule, wrow, csr.row(i).1, i, now);
            step.row(wrow, i, pre_on, logged);
        };
        let rows = step.rows_of(w, active);
        let work: usize = rows.iter().map(|(_, r)| r.len()).sum();
        if crate::parallel::worth(work, PAR_MIN_ROWS) {
            rows.into_par_iter().for_each(one);
        } else {
            rows.into_iter().for_each(one);
        }
        let applied = self.log.steps();
        for &i in active {
            self.log.set_applied(i as usize, applied);
        }
        if self.log.is_full() {
            self.log.flush(&self.rule, w, SynapseMap::Sparse(csr));
        }
    }
}

/// What one step's updates read.
struct SparseStep<'a, R: SynapseRule> {
    rule: &'a R,
    params: StepParams,
    csr: &'a Csr,
    pre_s: &'a Spikes,
    post_s: &'a Spikes,
    /// Traces and target variable; zeros where the population has none.
    pre_x: &'a [f32],
    post_x: &'a [f32],
    post_aux: &'a [f32],
    pre_tr: &'a [f32],
    post_tr: &'a [f32],
    kpre: usize,
    kpost: usize,
    reward: f32,
}

impl<R: SynapseRule> SparseStep<'_, R> {
    #[inline]
    fn pre_side(&self, i: usize) -> Side<'_> {
        Side {
            s: self.pre_s.values()[i],
            x: self.pre_x[i],
            traces: &self.pre_tr[i * self.kpre..(i + 1) * self.kpre],
            state: &[],
            variable: 0.0,
        }
    }

    #[inline]
    fn post_side(&self, j: usize) -> Side<'_> {
        Side {
            s: self.post_s.values()[j],
            x: self.post_x[j],
            traces: &self.post_tr[j * self.kpost..(j + 1) * self.kpost],
            state: &[],
            variable: self.post_aux[j],
        }
    }

    /// The row of spiking source `i`: every synapse's pre term (with
    /// `pre_on`), plus its post term where the target spiked too (when
    /// `posts`); a synapse with neither is left alone.
    #[inline]
    fn row(&self, wrow: &mut [f32], i: usize, pre_on: bool, posts: bool) {
        if pre_on && self.kpost == 1 {
            self.row_one_post_trace(wrow, i, posts);
            return;
        }
        let p = &self.params;
        let post_vals = self.post_s.values();
        let pre = self.pre_side(i);
        let (_, cols) = self.csr.row(i);
        for (w, &j) in wrow.iter_mut().zip(cols) {
            let j = j as usize;
            let spiked = posts && post_vals[j] != 0.0;
            if !pre_on && !spiked {
                continue;
            }
            let post = self.post_side(j);
            let syn = p.synapse(*w, pre, post, self.reward);
            let mut d = 0.0;
            if pre_on {
                d += self.rule.on_pre(&syn);
            }
            if spiked {
                d += self.rule.on_post(&syn);
            }
            p.store(w, d);
        }
    }

    /// [`row`](Self::row) with pre terms, for rules with one postsynaptic
    /// trace: the few synapses whose target spiked too are noted with their
    /// weights first; one loop without a branch then gives every synapse
    /// its pre term (it vectorises for plain-arithmetic rules: the targets'
    /// traces are gathered); the noted ones are then redone from their
    /// noted weights with both terms. Each weight gets the sum and rounding
    /// of `row`, so the bits are the same.
    #[inline]
    fn row_one_post_trace(&self, wrow: &mut [f32], i: usize, posts: bool) {
        NOTED.with_borrow_mut(|both| self.row_pre_terms(wrow, i, posts, both));
    }

    /// The body of [`row_one_post_trace`](Self::row_one_post_trace), with
    /// `both` (emptied first) to note the synapses whose target spiked.
    #[inline]
    fn row_pre_terms(&self, wrow: &mut [f32], i: usize, posts: bool, both: &mut Vec<(usize, f32)>) {
        let p = &self.params;
        let post_vals = self.post_s.values();
        let pre = self.pre_side(i);
        let (_, cols) = self.csr.row(i);
        let cols = &cols[..wrow.len()];
        both.clear();
        if posts {
            // Blocks with a spiking target are rare: each is found by a
            // branch-free test, then searched.
            const BLOCK: usize = 64;
            for (b, block) in cols.chunks(BLOCK).enumerate() {
                let spiked = block
                    .iter()
                    .fold(0u32, |n, &j| n | u32::from(at(post_vals, j) != 0.0));
                if spiked == 0 {
                    continue;
                }
                for (k, &j) in (b * BLOCK..).zip(block) {
                    if post_vals[j as usize] != 0.0 {
                        both.push((k, wrow[k]));
                    }
                }
            }
        }
        // With post terms the synapses whose target spiked are redone below,
        // and without post spikes there are none: either way every target's
        // spike the loop sees is 0, and saying so lets a rule's branches on
        // it fold away (power-law STDP's coincident potentiation) and the
        // loop vectorise. Only targets that spiked with post terms off are
        // seen as they are.
        if posts || self.post_s.active(0).is_empty() {
            self.pre_terms(wrow, cols, pre, |_| 0.0);
        } else {
            self.pre_terms(wrow, cols, pre, |j| at(post_vals, j));
        }
        for &(k, w0) in both.iter() {
            let j = cols[k] as usize;
            let syn = p.synapse(w0, pre, self.post_side(j), self.reward);
            let d = 0.0 + self.rule.on_pre(&syn) + self.rule.on_post(&syn);
            let mut w = w0;
            p.store(&mut w, d);
            wrow[k] = w;
        }
    }

    /// Every synapse of a row its pre term, the targets' spikes given by
    /// `post_s` (one loop without a branch).
    #[inline]
    fn pre_terms(
        &self,
        wrow: &mut [f32],
        cols: &[u32],
        pre: Side<'_>,
        post_s: impl Fn(u32) -> f32,
    ) {
        let p = &self.params;
        for (w, &j) in wrow.iter_mut().zip(cols) {
            let tr = at(self.post_tr, j);
            let post = Side {
                s: post_s(j),
                x: at(self.post_x, j),
                traces: std::slice::from_ref(&tr),
                state: &[],
                variable: at(self.post_aux, j),
            };
            let d = 0.0 + self.rule.on_pre(&p.synapse(*w, pre, post, self.reward));
            p.store(w, d);
        }
    }

    /// The weights of the rows of `rows` (ascending, distinct), each with
    /// its source.
    fn rows_of<'w>(&self, w: &'w mut [f32], rows: &[u32]) -> Vec<(usize, &'w mut [f32])> {
        let mut out = Vec::with_capacity(rows.len());
        let (mut rest, mut at) = (w, 0);
        for &i in rows {
            let (k0, cols) = self.csr.row(i as usize);
            let (_, tail) = rest.split_at_mut(k0 - at);
            let (wrow, tail) = tail.split_at_mut(cols.len());
            out.push((i as usize, wrow));
            (rest, at) = (tail, k0 + cols.len());
        }
        out
    }

    fn run(&self, w: &mut [f32], pre_on: bool, post_on: bool) {
        let p = &self.params;
        let posts: &[u32] = if post_on { self.post_s.active(0) } else { &[] };
        if pre_on {
            for &i in self.pre_s.active(0) {
                let (k0, cols) = self.csr.row(i as usize);
                self.row(
                    &mut w[k0..k0 + cols.len()],
                    i as usize,
                    true,
                    !posts.is_empty(),
                );
            }
        }
        let pre_vals = self.pre_s.values();
        for &j in posts {
            let j = j as usize;
            let post = self.post_side(j);
            self.csr.for_each_in(j, |i, k| {
                if pre_on && pre_vals[i] != 0.0 {
                    return; // with its row above
                }
                let syn = p.synapse(w[k], self.pre_side(i), post, self.reward);
                let d = 0.0 + self.rule.on_post(&syn);
                p.store(&mut w[k], d);
            });
        }
    }
}

/// `v[j]`, or 0 out of range: reads without a panic, so the row loops have
/// no branch (none is out of range: a row's targets index its target
/// population, whose transposed index `Csr::from_rows` builds from them).
#[inline]
fn at(v: &[f32], j: u32) -> f32 {
    v.get(j as usize).copied().unwrap_or(0.0)
}
