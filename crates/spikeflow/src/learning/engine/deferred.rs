//! Deferred post terms of the in-place path.
//!
//! When many targets spike in a step, the eager in-place update adds a post
//! term to every row of the weight matrix — one or more cache lines per row,
//! i.e. the whole matrix read and written every step. But the post terms of
//! a row whose source did not spike depend only on that source's quantities
//! at that step (its trace, the rule's pre traces) and on the spiking
//! targets' quantities. So they are logged once per step and replayed row
//! by row when the row is next needed:
//!
//! * when its source spikes (propagation reads the row, and the pre terms
//!   apply to it);
//! * before anyone else reads the weights (end of a run, a weight monitor),
//!   or when the log is full.
//!
//! A replay gives each weight the same sequence of operations, in the same
//! order, as the eager update, so the bits are identical. A row stays in L1
//! while its pending steps are replayed, so the memory traffic drops from the
//! whole matrix per step to the rows of spiking sources.
//!
//! Compressed rows (sparse and fixed in-degree connections) log the same
//! way, as NEST applies facilitation at the next presynaptic spike: the
//! eager update walks each spiking target's column through the transposed
//! index, a random access into the weights per synapse (at NEST's
//! `hpc_benchmark` scale 1, 324 MB of them), while a replay walks a row
//! and finds, per synapse, the logged steps in which its target spiked
//! ([`SpikesByTarget`]).
//!
//! Compressed rows do not log the rule's source traces: a source whose
//! row is behind the log has not spiked since, so its traces only decayed,
//! one [`decayed`] per step. Each row keeps its traces as of the first
//! logged step it lacks ([`SilentSources`]), and a replay recomputes them,
//! step by step, into a small per-thread buffer — the same values, bit for
//! bit, as logging them, without a scattered load per synapse and without
//! bounding the log by the bytes of n_pre traces per step (the log is
//! flushed, walking every synapse, only every [`SPARSE_CAP`] logged steps
//! or when the weights are read). The population's own trace ([`Side::x`])
//! is still logged per step where the source keeps one (it may decay
//! otherwise); where it keeps none it is 0.

use super::in_place::{post_terms, PostCols, StepParams};
use super::traces::decayed;
use crate::learning::{Side, SynapseRule};
use crate::topology::{Csr, SynapseMap};
use rayon::prelude::*;
use std::cell::RefCell;

/// Steps kept before every row of a dense matrix is brought up to date.
/// Bounds the log's memory (`CAP × n_pre` trace values) and how stale a
/// row can get.
const CAP: usize = 64;

/// On compressed rows whose sources keep a population trace, the steps
/// kept are as many as this many bytes of those traces hold (at least
/// [`CAP`], at most [`SPARSE_CAP`]): a full flush walks every synapse once,
/// so it should come rarely.
const SPARSE_LOG_BYTES: usize = 32 << 20;
/// Logged steps kept on compressed rows (without population traces to
/// log, the log grows only by the spiking targets)…
const SPARSE_CAP: usize = 1 << 16;
/// …and logged target spikes (~30 B each with their index entry).
const SPARSE_MAX_POSTS: usize = 1 << 20;

/// Below this many logged column updates, a full replay stays on the
/// calling thread.
const PAR_MIN_REPLAY: usize = 1 << 16;

/// The logged post terms of the steps since every row was last up to date.
#[derive(Debug, Default)]
pub(crate) struct PostLog {
    params: Option<StepParams>,
    steps: usize,
    n_pre: usize,
    kpre: usize,
    kpost: usize,
    /// Source traces at each logged step, `[steps × n_pre]` (compressed
    /// rows: only where the source population keeps a trace).
    pre_x: Vec<f32>,
    /// The rule's source traces, `[steps × n_pre × kpre]` (dense rows;
    /// compressed rows recompute them from [`SilentSources`]).
    pre_tr: Vec<f32>,
    reward: Vec<f32>,
    /// Spiking targets of every logged step, in step order.
    cols: PostCols,
    /// `cols[col_start[t]..col_start[t + 1]]` spiked at logged step `t`.
    col_start: Vec<usize>,
    /// The logged steps in which some target spiked (the others have no
    /// post terms to replay), ascending.
    busy: Vec<u32>,
    /// Per row: how many logged steps it has had.
    applied: Vec<u32>,
    /// Steps kept before a full flush ([`CAP`] for dense matrices).
    cap: usize,
    /// Compressed rows: each target's logged spikes.
    by_target: SpikesByTarget,
    /// Compressed rows: the sources' traces where their rows stand.
    silent: SilentSources,
}

/// Compressed rows: each source's rule traces as of the first logged step
/// its row lacks, and the clock (steps) from which replays recompute them.
#[derive(Debug, Default)]
struct SilentSources {
    /// Whether the log's rows are compressed (set by `use_rows`).
    on: bool,
    /// The source population keeps a trace: logged per step in `pre_x`.
    log_x: bool,
    /// Per-step decay factor of each rule trace.
    decays: Vec<f32>,
    /// Steps seen (every step while the log holds any), the current one
    /// included.
    now: u64,
    /// The clock of each logged step.
    clock: Vec<u64>,
    /// `[n_pre × kpre]`: each source's traces at `base_clock`.
    base: Vec<f32>,
    base_clock: Vec<u64>,
    /// Rows brought up to date since the last logged step: their traces
    /// are taken at the next one.
    fresh: Vec<u32>,
    /// Every row is (the log is empty).
    all_fresh: bool,
}

thread_local! {
    /// A replay's recomputed source traces, `[steps × kpre]`.
    static ROW_TRACES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// A replay's synapses by how many of their target's spikes they lack:
    /// `[one…, more…]`, one `u32` index each.
    static ROW_SORT: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// Per target, the logged steps in which it spiked (compressed rows only).
#[derive(Debug, Default)]
struct SpikesByTarget {
    /// `1 +` the last logged step in which each target spiked (0: none)…
    last: Vec<u32>,
    /// …the one before it (0: none)…
    prev: Vec<u32>,
    /// …and what the last one logged, `[s, x, aux, traces…]` per target
    /// (`3 + kpost` each): a replay reads it in its row's target order
    /// instead of at a random position of `cols`.
    last_post: Vec<f32>,
    /// Per target: (logged step, position in `cols`), ascending.
    at: Vec<Vec<(u32, u32)>>,
    /// The targets with entries in `at`.
    touched: Vec<u32>,
}

impl PostLog {
    /// Empties the log for a connection of `n_pre` sources.
    pub fn resize(&mut self, n_pre: usize, kpre: usize, kpost: usize) {
        *self = PostLog {
            n_pre,
            kpre,
            kpost,
            applied: vec![0; n_pre],
            col_start: vec![0],
            cap: CAP,
            ..Default::default()
        };
    }

    /// Readies the log for compressed rows into `n_post` targets, whose
    /// rule traces decay by `decays` per step and whose source population
    /// keeps a trace (`log_x`) or not (a no-op once done).
    pub fn use_rows(&mut self, n_post: usize, decays: &[f32], log_x: bool) {
        if self.silent.on && self.by_target.last.len() == n_post && self.silent.log_x == log_x {
            return;
        }
        debug_assert!(self.is_empty());
        self.by_target = SpikesByTarget {
            last: vec![0; n_post],
            prev: vec![0; n_post],
            last_post: vec![0.0; n_post * (3 + self.kpost)],
            at: vec![Vec::new(); n_post],
            touched: Vec::new(),
        };
        debug_assert_eq!(decays.len(), self.kpre);
        self.silent = SilentSources {
            on: true,
            log_x,
            decays: decays.to_vec(),
            base: vec![0.0; self.n_pre * self.kpre],
            base_clock: vec![0; self.n_pre],
            all_fresh: true,
            ..Default::default()
        };
        self.cap = if log_x {
            (SPARSE_LOG_BYTES / (4 * self.n_pre).max(1)).clamp(CAP, SPARSE_CAP)
        } else {
            SPARSE_CAP
        };
    }

    /// Compressed rows: one more step (call every step while the log holds
    /// any, before [`push`](Self::push)).
    pub fn tick(&mut self) {
        self.silent.now += 1;
    }

    fn clear(&mut self) {
        self.params = None;
        self.steps = 0;
        self.pre_x.clear();
        self.pre_tr.clear();
        self.reward.clear();
        self.cols.clear();
        self.col_start.clear();
        self.col_start.push(0);
        self.busy.clear();
        self.applied.fill(0);
        let t = &mut self.by_target;
        for &j in &t.touched {
            t.at[j as usize].clear();
            t.last[j as usize] = 0;
            t.prev[j as usize] = 0;
        }
        t.touched.clear();
        let q = &mut self.silent;
        q.clock.clear();
        q.fresh.clear();
        q.all_fresh = true;
    }

    pub fn is_empty(&self) -> bool {
        self.steps == 0
    }

    pub fn is_full(&self) -> bool {
        self.steps == self.cap || (self.silent.on && self.cols.len() >= SPARSE_MAX_POSTS)
    }

    /// The step constants of the logged steps (`None` when empty).
    pub fn params(&self) -> Option<StepParams> {
        self.params.filter(|_| self.steps > 0)
    }

    /// Logs one step. `pre_x`: the source trace `[n_pre]`; `pre_tr`: the
    /// rule's source traces `[n_pre × kpre]`.
    pub fn push(
        &mut self,
        params: StepParams,
        pre_x: &[f32],
        pre_tr: &[f32],
        reward: f32,
        cols: &PostCols,
    ) {
        debug_assert!(self.params().is_none_or(|p| p == params));
        debug_assert!(!self.is_full());
        self.params = Some(params);
        let q = &mut self.silent;
        if q.on {
            // The traces of rows now up to date, as this step reads them.
            let k = self.kpre;
            if q.all_fresh {
                q.base.copy_from_slice(&pre_tr[..self.n_pre * k]);
                q.base_clock.fill(q.now);
                q.all_fresh = false;
            } else {
                for &i in &q.fresh {
                    let i = i as usize;
                    q.base[i * k..(i + 1) * k].copy_from_slice(&pre_tr[i * k..(i + 1) * k]);
                    q.base_clock[i] = q.now;
                }
            }
            q.fresh.clear();
            q.clock.push(q.now);
            if q.log_x {
                self.pre_x.extend_from_slice(&pre_x[..self.n_pre]);
            }
        } else {
            self.pre_x.extend_from_slice(&pre_x[..self.n_pre]);
            self.pre_tr
                .extend_from_slice(&pre_tr[..self.n_pre * self.kpre]);
        }
        self.reward.push(reward);
        if !cols.is_empty() {
            self.busy.push(self.steps as u32);
        }
        let first = self.cols.len();
        self.cols.extend(cols);
        self.col_start.push(self.cols.len());
        let t = &mut self.by_target;
        if !t.last.is_empty() {
            for (q, &j) in (first..).zip(&cols.j) {
                let j = j as usize;
                if t.at[j].is_empty() {
                    t.touched.push(j as u32);
                }
                t.at[j].push((self.steps as u32, q as u32));
                t.prev[j] = t.last[j];
                t.last[j] = self.steps as u32 + 1;
                let k = self.kpost;
                let at = &mut t.last_post[j * (3 + k)..(j + 1) * (3 + k)];
                at[0] = self.cols.s[q];
                at[1] = self.cols.x[q];
                at[2] = self.cols.aux[q];
                at[3..].copy_from_slice(&self.cols.tr[q * k..(q + 1) * k]);
            }
        }
        self.steps += 1;
    }

    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Logged column updates row `i` still lacks before step `until`.
    pub fn pending(&self, i: usize, until: usize) -> usize {
        let from = (self.applied[i] as usize).min(until);
        self.col_start[until] - self.col_start[from]
    }

    /// Marks row `i` as having had the first `steps` logged steps (all of
    /// them, on compressed rows).
    pub fn set_applied(&mut self, i: usize, steps: usize) {
        self.applied[i] = steps as u32;
        if self.silent.on {
            debug_assert_eq!(steps, self.steps);
            self.silent.fresh.push(i as u32);
        }
    }

    /// Source `i` at logged step `t`, as a replay sees it: it did not spike
    /// (else its row would have caught up then), its traces as logged.
    #[inline]
    fn pre_side(&self, t: usize, i: usize) -> Side<'_> {
        let (n, kpre) = (self.n_pre, self.kpre);
        Side {
            s: 0.0,
            x: self.pre_x[t * n + i],
            traces: &self.pre_tr[(t * n + i) * kpre..(t * n + i + 1) * kpre],
            state: &[],
            variable: 0.0,
        }
    }

    /// Replays into row `i` the logged steps it lacks before step `until`
    /// (its source did not spike in any of them, so its spike is 0).
    #[inline]
    pub fn catch_up<R: SynapseRule>(&self, rule: &R, wrow: &mut [f32], i: usize, until: usize) {
        let Some(p) = self.params else { return };
        let kpost = self.kpost;
        let from = self.applied[i];
        let first = self.busy.partition_point(|&t| t < from);
        for &t in &self.busy[first..] {
            let t = t as usize;
            if t >= until {
                break;
            }
            let pre = self.pre_side(t, i);
            let (a, b) = (self.col_start[t], self.col_start[t + 1]);
            post_terms(
                rule,
                &p,
                self.reward[t],
                wrow,
                pre,
                self.cols.view(a, b, kpost),
            );
        }
    }

    /// Source `i`'s rule traces at the logged steps `from..until`
    /// (`[steps × kpre]` into `out`): from those of its first, decayed step
    /// by step — it did not spike in any of them.
    fn silent_traces(&self, i: usize, from: usize, until: usize, out: &mut Vec<f32>) {
        let (q, k) = (&self.silent, self.kpre);
        out.clear();
        out.extend_from_slice(&q.base[i * k..(i + 1) * k]);
        let mut at = q.base_clock[i];
        debug_assert_eq!(at, q.clock[from]);
        for (n, &c) in q.clock[from..until].iter().enumerate() {
            if n > 0 {
                out.extend_from_within((n - 1) * k..n * k);
            }
            let tr = &mut out[n * k..];
            // (+0 stays +0: the rest of the way costs nothing.)
            while at < c && tr.iter().any(|x| x.to_bits() != 0) {
                for (x, &d) in tr.iter_mut().zip(&q.decays) {
                    *x = decayed(*x, d);
                }
                at += 1;
            }
        }
    }

    /// Replays into the compressed row of source `i` (`wrow`, its
    /// synapses' weights; `targets`, their targets) the logged steps it
    /// lacks before step `until`: for each synapse, the steps in which its
    /// target spiked, in order.
    #[inline]
    pub fn catch_up_row<R: SynapseRule>(
        &self,
        rule: &R,
        wrow: &mut [f32],
        targets: &[u32],
        i: usize,
        until: usize,
    ) {
        if self.params.is_none() || self.applied[i] as usize >= until {
            return;
        }
        ROW_TRACES.with_borrow_mut(|row_tr| {
            self.silent_traces(i, self.applied[i] as usize, until, row_tr);
            ROW_SORT.with_borrow_mut(|sort| {
                self.replay_row(rule, (wrow, targets), i, until, row_tr, sort)
            });
        });
    }

    /// The body of [`catch_up_row`](Self::catch_up_row), given source `i`'s
    /// traces at the steps it lacks (`row_tr`, from its first).
    ///
    /// Most synapses lack no spike of their target or exactly one (at equal
    /// rates, one on average since the row's last replay), which the
    /// target's last two spikes tell. So a first pass only sorts the
    /// synapses, without a branch, into those with one spike to replay and
    /// those with more (or with the target's last spike at `until` or
    /// later); the second replays the ones from what each target's last
    /// spike logged, read in target order (no hit list, no random position
    /// in the log); the third walks the others' spike lists. Each synapse
    /// still gets its spikes in order, so the bits are the same.
    #[inline]
    fn replay_row<R: SynapseRule>(
        &self,
        rule: &R,
        (wrow, targets): (&mut [f32], &[u32]),
        i: usize,
        until: usize,
        row_tr: &[f32],
        sort: &mut Vec<u32>,
    ) {
        let Some(p) = self.params else { return };
        let from = self.applied[i];
        let by = &self.by_target;
        let len = wrow.len();
        sort.resize(2 * len, 0);
        let (ones, more) = sort.split_at_mut(len);
        let (mut n_one, mut n_more) = (0, 0);
        // `last`, `prev` count from 1: a spike at logged step `t ≥ from` has
        // `1 + t > from`.
        let until1 = until as u32;
        for (k, &j) in targets.iter().enumerate() {
            let j = j as usize;
            let (last, prev) = (by.last[j], by.prev[j]);
            let any = last > from;
            let one = any & (last <= until1) & (prev <= from);
            ones[n_one] = k as u32;
            more[n_more] = k as u32;
            n_one += usize::from(one);
            n_more += usize::from(any & !one);
        }
        let stride = 3 + self.kpost;
        for &k in &ones[..n_one] {
            let k = k as usize;
            let j = targets[k] as usize;
            let t = by.last[j] as usize - 1;
            let at = &by.last_post[j * stride..(j + 1) * stride];
            let post = Side {
                s: at[0],
                x: at[1],
                traces: &at[3..],
                state: &[],
                variable: at[2],
            };
            self.replay_hit(rule, &p, &mut wrow[k], i, from, t, post, row_tr);
        }
        for &k in &more[..n_more] {
            let k = k as usize;
            let hits = &by.at[targets[k] as usize];
            // Its first step at or after `from`, from the end (few are
            // newer than the row's last replay; a binary search cost ~6
            // dependent loads per synapse).
            let start = hits.len() - hits.iter().rev().take_while(|&&(t, _)| t >= from).count();
            for &(t, q) in &hits[start..] {
                if t as usize >= until {
                    break;
                }
                let q = q as usize;
                let post = Side {
                    s: self.cols.s[q],
                    x: self.cols.x[q],
                    traces: &self.cols.tr[q * self.kpost..(q + 1) * self.kpost],
                    state: &[],
                    variable: self.cols.aux[q],
                };
                self.replay_hit(rule, &p, &mut wrow[k], i, from, t as usize, post, row_tr);
            }
        }
    }

    /// Replays into `w` (a synapse of source `i`'s row, replayed from
    /// logged step `from`) its target's spike at logged step `t`, which
    /// logged `post`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn replay_hit<R: SynapseRule>(
        &self,
        rule: &R,
        p: &StepParams,
        w: &mut f32,
        i: usize,
        from: u32,
        t: usize,
        post: Side<'_>,
        row_tr: &[f32],
    ) {
        let kpre = self.kpre;
        let r = (t - from as usize) * kpre;
        let pre = Side {
            s: 0.0,
            x: if self.silent.log_x {
                self.pre_x[t * self.n_pre + i]
            } else {
                0.0
            },
            traces: &row_tr[r..r + kpre],
            state: &[],
            variable: 0.0,
        };
        let d = 0.0 + rule.on_post(&p.synapse(*w, pre, post, self.reward[t]));
        p.store(w, d);
    }

    /// Brings the rows of `rows` up to date (before they are read).
    pub fn catch_up_rows<R: SynapseRule>(
        &mut self,
        rule: &R,
        w: &mut [f32],
        map: SynapseMap<'_>,
        rows: &[u32],
    ) {
        let until = self.steps;
        for &i in rows {
            let i = i as usize;
            match map {
                SynapseMap::Sparse(csr) => {
                    let (k0, targets) = csr.row(i);
                    let wrow = &mut w[k0..k0 + targets.len()];
                    self.catch_up_row(rule, wrow, targets, i, until);
                }
                _ => {
                    let n = map.n_post();
                    self.catch_up(rule, &mut w[i * n..(i + 1) * n], i, until);
                }
            }
            self.set_applied(i, until);
        }
    }

    /// Brings every row up to date and empties the log. Rows are
    /// independent, so they run in parallel with the same bits.
    pub fn flush<R: SynapseRule>(&mut self, rule: &R, w: &mut [f32], map: SynapseMap<'_>) {
        if self.steps == 0 {
            return;
        }
        let until = self.steps;
        let this = &*self;
        if let SynapseMap::Sparse(csr) = map {
            for_csr_rows(w, csr, &|wrow, targets, i| {
                this.catch_up_row(rule, wrow, targets, i, until)
            });
            self.clear();
            return;
        }
        let n_post = map.n_post();
        let rows = &mut w[..self.n_pre * n_post];
        if crate::parallel::worth(this.cols.len() * this.n_pre, PAR_MIN_REPLAY) {
            rows.par_chunks_mut(n_post)
                .enumerate()
                .for_each(|(i, wrow)| this.catch_up(rule, wrow, i, until));
        } else {
            for (i, wrow) in rows.chunks_exact_mut(n_post).enumerate() {
                this.catch_up(rule, wrow, i, until);
            }
        }
        self.clear();
    }
}

/// Calls `f(weights, targets, i)` for every compressed row `i`; blocks of
/// rows of about equal synapse counts run in parallel.
fn for_csr_rows(w: &mut [f32], csr: &Csr, f: &(impl Fn(&mut [f32], &[u32], usize) + Sync)) {
    let n_pre = csr.n_pre();
    let row = |i: usize, w: &mut [f32], base: usize| {
        let (k0, targets) = csr.row(i);
        f(&mut w[k0 - base..k0 - base + targets.len()], targets, i);
    };
    if !crate::parallel::worth(csr.nnz(), PAR_MIN_REPLAY) {
        (0..n_pre).for_each(|i| row(i, &mut *w, 0));
        return;
    }
    // Blocks of rows, each with its weights' slice.
    let per_task = csr.nnz().div_ceil(4 * rayon::current_num_threads()).max(1);
    let mut blocks = Vec::new();
    let (mut rest, mut start) = (&mut w[..csr.nnz()], 0);
    while start < n_pre {
        let base = csr.row(start).0;
        let mut end = start + 1;
        while end < n_pre && csr.row(end).0 - base < per_task {
            end += 1;
        }
        let len = if end < n_pre {
            csr.row(end).0
        } else {
            csr.nnz()
        } - base;
        let (block, tail) = rest.split_at_mut(len);
        blocks.push((start..end, base, block));
        rest = tail;
        start = end;
    }
    blocks
        .into_par_iter()
        .for_each(|(rows, base, block)| rows.for_each(|i| row(i, &mut *block, base)));
}
