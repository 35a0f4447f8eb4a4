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

use super::in_place::{post_terms, PostCols, StepParams};
use crate::learning::{Side, SynapseRule};
use rayon::prelude::*;

/// Steps kept before every row is brought up to date. Bounds the log's
/// memory (`CAP × n_pre` trace values) and how stale a row can get.
const CAP: usize = 64;

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
    /// Source traces at each logged step, `[steps × n_pre]`.
    pre_x: Vec<f32>,
    /// The rule's source traces, `[steps × n_pre × kpre]`.
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
            ..Default::default()
        };
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
    }

    pub fn is_empty(&self) -> bool {
        self.steps == 0
    }

    pub fn is_full(&self) -> bool {
        self.steps == CAP
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
        self.pre_x.extend_from_slice(&pre_x[..self.n_pre]);
        self.pre_tr
            .extend_from_slice(&pre_tr[..self.n_pre * self.kpre]);
        self.reward.push(reward);
        if !cols.is_empty() {
            self.busy.push(self.steps as u32);
        }
        self.cols.extend(cols);
        self.col_start.push(self.cols.len());
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

    /// Marks row `i` as having had the first `steps` logged steps.
    pub fn set_applied(&mut self, i: usize, steps: usize) {
        self.applied[i] = steps as u32;
    }

    /// Replays into row `i` the logged steps it lacks before step `until`
    /// (its source did not spike in any of them, so its spike is 0).
    #[inline]
    pub fn catch_up<R: SynapseRule>(&self, rule: &R, wrow: &mut [f32], i: usize, until: usize) {
        let Some(p) = self.params else { return };
        let (n, kpre, kpost) = (self.n_pre, self.kpre, self.kpost);
        let from = self.applied[i];
        let first = self.busy.partition_point(|&t| t < from);
        for &t in &self.busy[first..] {
            let t = t as usize;
            if t >= until {
                break;
            }
            let pre = Side {
                s: 0.0,
                x: self.pre_x[t * n + i],
                traces: &self.pre_tr[(t * n + i) * kpre..(t * n + i + 1) * kpre],
                state: &[],
                variable: 0.0,
            };
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

    /// Brings rows `rows` up to date (before they are read).
    pub fn catch_up_rows<R: SynapseRule>(
        &mut self,
        rule: &R,
        w: &mut [f32],
        n_post: usize,
        rows: &[u32],
    ) {
        for &i in rows {
            let i = i as usize;
            self.catch_up(rule, &mut w[i * n_post..(i + 1) * n_post], i, self.steps);
            self.applied[i] = self.steps as u32;
        }
    }

    /// Brings every row up to date and empties the log. Rows are
    /// independent, so they run in parallel with the same bits.
    pub fn flush<R: SynapseRule>(&mut self, rule: &R, w: &mut [f32], n_post: usize) {
        if self.steps == 0 {
            return;
        }
        let until = self.steps;
        let rows = &mut w[..self.n_pre * n_post];
        let this = &*self;
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
