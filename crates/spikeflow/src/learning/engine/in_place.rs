//! The in-place path of the generic loop: dense connections, batch 1.
//!
//! Each touched weight gets `w ← clamp(w + ((0 + on_pre) + on_post))`,
//! exactly as the generic loop sums it (pre terms first, then post terms,
//! then the reduction by a batch of 1), row by row in place, without the
//! generic loop's change buffer. Rows are independent, so they run in
//! parallel when there is enough work, with the same bits for any thread
//! count. The rule is still called per synapse — inlined, so a simple
//! rule's row loop vectorises.
//!
//! Post terms of rows whose source did not spike are deferred (logged and
//! replayed per row, see `deferred`) whenever every weight changes only
//! through the rule's terms: no weight decay, no pending whole-matrix clamp.

use super::{SynapticLearner, Tail};
use crate::learning::{Nu, Side, Synapse, SynapseRule};
use crate::nodes::NodeCore;
use crate::topology::{Bound, SynapseMap};
use rayon::prelude::*;

/// Below this many weight updates per step, learning stays on the calling
/// thread.
const PAR_MIN_WORK: usize = 1 << 16;

/// A replayed post term (a scattered read-modify-write) against one weight
/// of a row's pre terms (a vectorised pass), in the cost of a row that
/// catches up with the log: W3 at N = 6400 (rows of 6400 weights, few post
/// terms) lost ~30 % to its per-step region when both counted alike, while
/// W2 at n = 1000 (rows of 1000, an estimated ~2000 pending post terms each)
/// needs its region (`docs/performance.md`, "Parallel thresholds").
const REPLAY_COST: usize = 8;

/// Below this much row cost (weights of the rows plus `REPLAY_COST` per
/// post term replayed), the rows of spiking sources stay on the calling
/// thread.
const PAR_MIN_ROW_COST: usize = 1 << 18;

thread_local! {
    /// Each pool thread's scratch for the old weights of spiking targets,
    /// kept between steps so that parallel row updates do not allocate.
    static OLD_W: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Spiking targets' quantities, gathered once per step so that row loops
/// read them without indexing (and the deferral log can keep them). A
/// struct of arrays: a rule's inlined `on_post` loads only the fields it
/// reads, which matters when the replay streams them.
#[derive(Debug, Default, Clone)]
pub(crate) struct PostCols {
    pub j: Vec<u32>,
    pub s: Vec<f32>,
    pub x: Vec<f32>,
    pub aux: Vec<f32>,
    /// The rule's traces, `k` per target.
    pub tr: Vec<f32>,
}

impl PostCols {
    pub fn clear(&mut self) {
        self.j.clear();
        self.s.clear();
        self.x.clear();
        self.aux.clear();
        self.tr.clear();
    }

    pub fn len(&self) -> usize {
        self.j.len()
    }

    pub fn is_empty(&self) -> bool {
        self.j.is_empty()
    }

    /// This step's spiking targets `posts` with their spike values, trace,
    /// variable and `k` rule traces each (all per-target arrays).
    pub fn gather(
        &mut self,
        posts: &[u32],
        vals: &[f32],
        x: &[f32],
        aux: &[f32],
        tr: &[f32],
        k: usize,
    ) {
        self.clear();
        for &jj in posts {
            let j = jj as usize;
            self.j.push(jj);
            self.s.push(vals[j]);
            self.x.push(x[j]);
            self.aux.push(aux[j]);
            self.tr.extend_from_slice(&tr[j * k..(j + 1) * k]);
        }
    }

    pub fn extend(&mut self, o: &PostCols) {
        self.j.extend_from_slice(&o.j);
        self.s.extend_from_slice(&o.s);
        self.x.extend_from_slice(&o.x);
        self.aux.extend_from_slice(&o.aux);
        self.tr.extend_from_slice(&o.tr);
    }

    /// Targets `a..b`, with `k` rule traces each.
    pub fn view(&self, a: usize, b: usize, k: usize) -> ColsView<'_> {
        ColsView {
            j: &self.j[a..b],
            s: &self.s[a..b],
            x: &self.x[a..b],
            aux: &self.aux[a..b],
            tr: &self.tr[a * k..b * k],
            k,
        }
    }
}

/// A run of [`PostCols`].
#[derive(Clone, Copy)]
pub(crate) struct ColsView<'a> {
    j: &'a [u32],
    s: &'a [f32],
    x: &'a [f32],
    aux: &'a [f32],
    tr: &'a [f32],
    k: usize,
}

/// What every synapse update of one step shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StepParams {
    pub nu_pre: f32,
    pub nu_post: f32,
    pub lo: f32,
    pub hi: f32,
    /// Clamp each updated weight to `[lo, hi]`.
    pub bounded: bool,
    pub dt: f32,
}

impl StepParams {
    #[inline]
    pub(super) fn synapse<'s>(
        &self,
        w: f32,
        pre: Side<'s>,
        post: Side<'s>,
        reward: f32,
    ) -> Synapse<'s> {
        Synapse {
            w,
            wmin: self.lo,
            wmax: self.hi,
            nu_pre: self.nu_pre,
            nu_post: self.nu_post,
            pre,
            post,
            reward,
            dt: self.dt,
        }
    }

    #[inline]
    pub(super) fn store(&self, w: &mut f32, d: f32) {
        let x = *w + d;
        *w = if self.bounded {
            x.max(self.lo).min(self.hi)
        } else {
            x
        };
    }
}

/// The post terms of one row at one step whose source did not spike: for
/// every spiking target, `w ← clamp(w + (0 + on_post))`. Shared by the eager
/// update and the deferred replay, so both round alike.
#[inline]
pub(crate) fn post_terms<R: SynapseRule>(
    rule: &R,
    p: &StepParams,
    reward: f32,
    wrow: &mut [f32],
    pre: Side<'_>,
    cols: ColsView<'_>,
) {
    let mut update = |j: u32, post: Side<'_>| {
        let w = &mut wrow[j as usize];
        let d = 0.0 + rule.on_post(&p.synapse(*w, pre, post, reward));
        p.store(w, d);
    };
    let each = cols.j.iter().zip(cols.s).zip(cols.x).zip(cols.aux);
    if cols.k > 0 {
        let traces = cols.tr.chunks_exact(cols.k);
        for ((((&j, &s), &x), &aux), traces) in each.zip(traces) {
            update(
                j,
                Side {
                    s,
                    x,
                    traces,
                    state: &[],
                    variable: aux,
                },
            );
        }
        return;
    }
    // Without rule traces, unrolled by four and free of the traces' slice
    // bounds: each target is one scattered read-modify-write, and loop
    // overhead was a fifth of its instructions (W2 n = 1000 under
    // callgrind: 10.7 → 9.1 instructions per update).
    let side = |s, x, aux| Side {
        s,
        x,
        traces: &[],
        state: &[],
        variable: aux,
    };
    let quads = cols.j.chunks_exact(4).zip(cols.s.chunks_exact(4));
    let quads = quads.zip(cols.x.chunks_exact(4).zip(cols.aux.chunks_exact(4)));
    for ((j, s), (x, aux)) in quads {
        let (j, s, x, aux): (&[u32; 4], &[f32; 4], &[f32; 4], &[f32; 4]) = (
            j.try_into().unwrap(),
            s.try_into().unwrap(),
            x.try_into().unwrap(),
            aux.try_into().unwrap(),
        );
        for u in 0..4 {
            update(j[u], side(s[u], x[u], aux[u]));
        }
    }
    let done = cols.j.len() / 4 * 4;
    for (((&j, &s), &x), &aux) in each.skip(done) {
        update(j, side(s, x, aux));
    }
}

impl<R: SynapseRule> SynapticLearner<R> {
    /// The parameters of an in-place step, or `None` when the rule's step
    /// needs the generic loop: batch 1, a linear reduction, a scalar pair of
    /// rates, plain pre/post terms (no lag, no per-step term, no
    /// eligibility, no neuron state), and bounds the rule can read as two
    /// numbers (scalar ones, or none at all: per-synapse bounds go through
    /// the generic loop, which hands each synapse its own). Weights are
    /// clamped per update when the whole matrix needs no decay or clamp.
    pub(super) fn in_place_params(&self, tail: &Tail<'_>, dt: f32) -> Option<StepParams> {
        let Nu::Pair(nu_pre, nu_post) = self.nu else {
            return None;
        };
        if self.batch != 1
            || self.per_row()
            || self.lagged
            || self.phases.every_step
            || self.phases.eligibility
            || self.kstate != crate::learning::NeuronState::default()
            || !self.changes.is_empty()
        {
            return None;
        }
        let bounded = tail.bounded() && tail.decay == 1.0 && !*tail.dirty;
        let unbounded = !tail.wmin.any_finite() && !tail.wmax.any_finite();
        let (lo, hi) = match (tail.wmin, tail.wmax) {
            (Bound::Scalar(a), Bound::Scalar(b)) => (*a, *b),
            _ if unbounded => (f32::NEG_INFINITY, f32::INFINITY),
            _ => return None,
        };
        Some(StepParams {
            nu_pre,
            nu_post,
            lo,
            hi,
            bounded,
            dt,
        })
    }

    /// A dense connection whose rule's step can run in place
    /// ([`in_place_params`](Self::in_place_params)) and sees postsynaptic
    /// spikes when they happen: the generic loop's result, bit for bit (see
    /// the module docs). Returns false (doing nothing) when the case does
    /// not apply.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn try_dense_in_place(
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
        let SynapseMap::Dense { n_pre, n_post } = map else {
            return false;
        };
        if !self.post_history.is_empty() {
            return false;
        }
        let Some(params) = self.in_place_params(tail, dt) else {
            return false;
        };
        let bounded = params.bounded;
        // Weights change only through the rule's terms.
        let defer = tail.decay == 1.0 && (bounded || !tail.bounded());
        if self.log.params().is_some_and(|p| !defer || p != params) {
            self.log.flush(&self.rule, w, map);
        }
        let (pre_s, post_s) = (pre.spikes(), post.spikes());
        let pre_on = self.phases.pre;
        let posts: &[u32] = if self.phases.post {
            post_s.active(0)
        } else {
            &[]
        };
        let post_x = post.trace().unwrap_or(&self.zeros[..n_post]);
        let aux = post_aux.unwrap_or(&self.zeros[..n_post]);
        let post_vals = post_s.values();
        let kpost = self.traces.post.len();
        self.post_cols
            .gather(posts, post_vals, post_x, aux, &self.post_tr, kpost);
        let pre_x = pre.trace().unwrap_or(&self.zeros[..n_pre]);
        let row = RowUpdate {
            rule: &self.rule,
            params,
            pre_vals: pre_s.values(),
            post_vals,
            pre_x,
            post_x,
            post_aux: aux,
            pre_tr: &self.pre_tr,
            post_tr: &self.post_tr,
            kpre: self.traces.pre.len(),
            kpost,
            posts,
            post_spikes_redone: self.phases.post || post_s.active(0).is_empty(),
            post_cols: self.post_cols.view(0, posts.len(), kpost),
            reward: reward[0],
        };
        let threads = rayon::current_num_threads();
        let mut old = std::mem::take(&mut self.old_w);
        if defer {
            // Log this step; bring the rows of spiking sources up to date
            // through it (propagation reads them next). A step in which no
            // target spiked has no post terms to replay, so it is not
            // logged (no copy of the source traces): the rows of spiking
            // sources catch up with the log, then take this step's pre
            // terms, as they would through the log.
            let logged = !self.post_cols.is_empty();
            if logged {
                self.log
                    .push(params, pre_x, &self.pre_tr, reward[0], &self.post_cols);
            }
            let now = self.log.steps() - usize::from(logged);
            let active = pre_s.active(0);
            let log = &self.log;
            let work: usize = active
                .iter()
                .map(|&i| n_post + REPLAY_COST * log.pending(i as usize, now))
                .sum();
            let one = |wrow: &mut [f32], i: usize, old: &mut Vec<f32>| {
                log.catch_up(&self.rule, wrow, i, now);
                row.apply(wrow, i, pre_on, old);
            };
            if crate::parallel::worth(work, PAR_MIN_ROW_COST) {
                let cost = |i: u32| n_post + REPLAY_COST * log.pending(i as usize, now);
                let rows = &mut w[..n_pre * n_post];
                let tasks = &mut self.task_ends;
                crate::parallel::for_rows_balanced(
                    rows,
                    n_post,
                    active,
                    cost,
                    work,
                    tasks,
                    &|wrow, i| OLD_W.with_borrow_mut(|old| one(wrow, i, old)),
                );
            } else {
                for &i in active {
                    let i = i as usize;
                    one(&mut w[i * n_post..(i + 1) * n_post], i, &mut old);
                }
            }
            let applied = self.log.steps();
            for &i in active {
                self.log.set_applied(i as usize, applied);
            }
            if self.log.is_full() {
                self.log.flush(&self.rule, w, map);
            }
            self.old_w = old;
            return true;
        }
        let pre_active: &[u32] = if pre_on { pre_s.active(0) } else { &[] };
        let work = pre_active.len() * n_post
            + if posts.is_empty() {
                0
            } else {
                n_pre * posts.len()
            };
        if crate::parallel::worth(work, PAR_MIN_WORK) {
            let rows_per_task = (n_pre / (8 * threads)).max(1);
            w[..n_pre * n_post]
                .par_chunks_mut(rows_per_task * n_post)
                .enumerate()
                .for_each_init(Vec::new, |old, (c, block)| {
                    for (r, wrow) in block.chunks_exact_mut(n_post).enumerate() {
                        let i = c * rows_per_task + r;
                        let fired = pre_on && row.pre_vals[i] != 0.0;
                        if fired || !posts.is_empty() {
                            row.apply(wrow, i, fired, old);
                        }
                    }
                });
        } else if posts.is_empty() {
            for &i in pre_active {
                let i = i as usize;
                row.apply(&mut w[i * n_post..(i + 1) * n_post], i, true, &mut old);
            }
        } else {
            for (i, wrow) in w[..n_pre * n_post].chunks_exact_mut(n_post).enumerate() {
                row.apply(wrow, i, pre_on && row.pre_vals[i] != 0.0, &mut old);
            }
        }
        self.old_w = old;
        if !bounded {
            tail.apply_all(w);
        }
        true
    }
}

/// One step of a rule's pre/post terms on one dense weight row (batch 1).
struct RowUpdate<'a, R: SynapseRule> {
    rule: &'a R,
    params: StepParams,
    pre_vals: &'a [f32],
    post_vals: &'a [f32],
    /// Traces and target variable; zeros where the population has none.
    pre_x: &'a [f32],
    post_x: &'a [f32],
    post_aux: &'a [f32],
    pre_tr: &'a [f32],
    post_tr: &'a [f32],
    kpre: usize,
    kpost: usize,
    posts: &'a [u32],
    /// Whether the targets that spiked are all in `posts` (redone with both
    /// terms after the pre pass): with post terms on, or no target spiked.
    post_spikes_redone: bool,
    post_cols: ColsView<'a>,
    reward: f32,
}

impl<R: SynapseRule> RowUpdate<'_, R> {
    #[inline]
    fn synapse<'s>(&self, w: f32, pre: Side<'s>, post: Side<'s>) -> Synapse<'s> {
        self.params.synapse(w, pre, post, self.reward)
    }

    #[inline]
    fn post_side(&self, j: usize) -> Side<'_> {
        Side {
            s: self.post_vals[j],
            x: self.post_x[j],
            traces: &self.post_tr[j * self.kpost..(j + 1) * self.kpost],
            state: &[],
            variable: self.post_aux[j],
        }
    }

    /// Pre terms alone for targets `lo..hi` (none of which spiked). The
    /// common case without rule traces gets its own loop over zipped
    /// slices, which vectorises for simple rules.
    #[inline]
    fn pre_run(&self, wrow: &mut [f32], lo: usize, hi: usize, pre: Side<'_>) {
        if self.kpost == 0 {
            // Unswitched on the bounds so the loop body has no branch.
            if self.params.bounded {
                self.pre_run_plain::<true>(wrow, lo, hi, pre);
            } else {
                self.pre_run_plain::<false>(wrow, lo, hi, pre);
            }
        } else if self.post_spikes_redone {
            // Every target's spike is 0 here or its synapse is redone: saying
            // so lets a rule's branches on it fold away (power-law STDP's
            // coincident potentiation).
            self.pre_run_traced(wrow, lo, hi, pre, |_| 0.0);
        } else {
            self.pre_run_traced(wrow, lo, hi, pre, |j| self.post_vals[j]);
        }
    }

    /// [`pre_run`](Self::pre_run) with rule traces, the targets' spikes
    /// given by `post_s`.
    #[inline]
    fn pre_run_traced(
        &self,
        wrow: &mut [f32],
        lo: usize,
        hi: usize,
        pre: Side<'_>,
        post_s: impl Fn(usize) -> f32,
    ) {
        for j in lo..hi {
            let post = Side {
                s: post_s(j),
                ..self.post_side(j)
            };
            let d = 0.0 + self.rule.on_pre(&self.synapse(wrow[j], pre, post));
            self.params.store(&mut wrow[j], d);
        }
    }

    #[inline]
    fn pre_run_plain<const BOUNDED: bool>(
        &self,
        wrow: &mut [f32],
        lo: usize,
        hi: usize,
        pre: Side<'_>,
    ) {
        let cols = self.post_vals[lo..hi]
            .iter()
            .zip(&self.post_x[lo..hi])
            .zip(&self.post_aux[lo..hi]);
        let (min, max) = (self.params.lo, self.params.hi);
        for (x, ((&s, &q), &aux)) in wrow[lo..hi].iter_mut().zip(cols) {
            let post = Side {
                s,
                x: q,
                traces: &[],
                state: &[],
                variable: aux,
            };
            let v = *x + (0.0 + self.rule.on_pre(&self.synapse(*x, pre, post)));
            *x = if BOUNDED { v.max(min).min(max) } else { v };
        }
    }

    /// Row `i`; `fired`: its source spiked (pre terms for every target).
    /// `old`: scratch space.
    #[inline]
    fn apply(&self, wrow: &mut [f32], i: usize, fired: bool, old: &mut Vec<f32>) {
        let pre = Side {
            s: self.pre_vals[i],
            x: self.pre_x[i],
            traces: &self.pre_tr[i * self.kpre..(i + 1) * self.kpre],
            state: &[],
            variable: 0.0,
        };
        if fired {
            // The spiking targets' old weights; the pre term alone on every
            // target (one pass, which vectorises); then the spiking targets
            // again from their old weights with both terms, summed as the
            // generic loop sums them.
            old.clear();
            old.extend(self.posts.iter().map(|&j| wrow[j as usize]));
            self.pre_run(wrow, 0, wrow.len(), pre);
            let mut both = |j: u32, w0: f32, post: Side<'_>| {
                let syn = self.synapse(w0, pre, post);
                let d = (0.0 + self.rule.on_pre(&syn)) + self.rule.on_post(&syn);
                let mut v = w0;
                self.params.store(&mut v, d);
                wrow[j as usize] = v;
            };
            // The spiking targets' quantities from the gathered columns
            // (contiguous, in the order of `posts`).
            let c = self.post_cols;
            let each = (self.posts.iter().zip(old.iter())).zip(c.s.iter().zip(c.x).zip(c.aux));
            if c.k == 0 {
                for ((&j, &w0), ((&s, &x), &aux)) in each {
                    let traces = &[];
                    both(
                        j,
                        w0,
                        Side {
                            s,
                            x,
                            traces,
                            state: &[],
                            variable: aux,
                        },
                    );
                }
            } else {
                for (((&j, &w0), ((&s, &x), &aux)), traces) in each.zip(c.tr.chunks_exact(c.k)) {
                    both(
                        j,
                        w0,
                        Side {
                            s,
                            x,
                            traces,
                            state: &[],
                            variable: aux,
                        },
                    );
                }
            }
        } else {
            post_terms(
                self.rule,
                &self.params,
                self.reward,
                wrow,
                pre,
                self.post_cols,
            );
        }
    }
}
