//! One step's weight changes: the sum per weight of a step's terms, their
//! reduction over the batch, and the visit of only the weights touched.
//! The generic loop collects a [`SynapseRule`](super::super::SynapseRule)'s
//! terms here; a [`ConnectionRule`](super::super::ConnectionRule) can use
//! the same buffer.

use crate::learning::Reduction;

/// One step's weight changes, summed and reduced as the generic loop does
/// for a [`SynapseRule`](super::SynapseRule): [`add`](Self::add) every term
/// (computed from the weights before the step), then [`apply`](Self::apply)
/// once. Terms of one weight are summed in the order they are added (batch
/// rows, pre and post terms, positions of a shared kernel), reduced over
/// the batch (mean: the sum divided by the batch size; sum; or the custom
/// function of the per-row values), and added to the weight. Only touched
/// weights are visited.
#[derive(Debug, Clone, Default)]
pub struct WeightChanges {
    batch: usize,
    n_w: usize,
    reduction: Reduction,
    per_row: bool,
    delta: Vec<f32>,
    rows: Vec<f32>,
    scratch: Vec<f32>,
    touched: Vec<u32>,
    mark: Vec<bool>,
}

impl WeightChanges {
    /// A buffer for `batch` rows and `n_weights` weights.
    pub fn new(batch: usize, n_weights: usize, reduction: Reduction) -> Self {
        let per_row = matches!(reduction, Reduction::Custom(_));
        Self::with_rows(batch, n_weights, reduction, per_row)
    }

    /// As [`new`](Self::new), keeping every row's value apart if `per_row`
    /// (a custom reduction needs them; so does an eligibility input).
    pub(crate) fn with_rows(
        batch: usize,
        n_weights: usize,
        reduction: Reduction,
        per_row: bool,
    ) -> Self {
        WeightChanges {
            batch,
            n_w: n_weights,
            per_row,
            reduction,
            delta: if per_row {
                Vec::new()
            } else {
                vec![0.0; n_weights]
            },
            rows: if per_row {
                vec![0.0; batch * n_weights]
            } else {
                Vec::new()
            },
            scratch: vec![0.0; batch],
            touched: Vec::new(),
            mark: vec![false; n_weights],
        }
    }

    /// Adds the term `v` of batch row `b` to weight `k`.
    #[inline]
    pub fn add(&mut self, b: usize, k: usize, v: f32) {
        if self.per_row {
            self.rows[b * self.n_w + k] += v;
        } else {
            self.delta[k] += v;
        }
        if !self.mark[k] {
            self.mark[k] = true;
            self.touched.push(k as u32);
        }
    }

    /// Whether no term was added since the last [`apply`](Self::apply).
    pub fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }

    /// Reduces each touched weight's terms over the batch, adds the result
    /// to `w`, and empties the buffer.
    pub fn apply(&mut self, w: &mut [f32]) {
        self.drain(|k, d| w[k] += d);
    }

    /// Calls `f(k, change)` with each touched weight's reduced change, in
    /// the order the weights were first touched, and empties the buffer.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(usize, f32)) {
        for &k in &self.touched {
            let k = k as usize;
            let d = if self.per_row {
                for b in 0..self.batch {
                    self.scratch[b] = self.rows[b * self.n_w + k];
                    self.rows[b * self.n_w + k] = 0.0;
                }
                self.reduction.reduce(&self.scratch)
            } else {
                let d = self.delta[k];
                self.delta[k] = 0.0;
                match self.reduction {
                    Reduction::Mean => d / self.batch as f32,
                    _ => d,
                }
            };
            f(k, d);
            self.mark[k] = false;
        }
        self.touched.clear();
    }

    /// Row `b`'s value of weight `k` (kept apart with `per_row`), zeroed.
    #[inline]
    pub(crate) fn take(&mut self, b: usize, k: usize) -> f32 {
        std::mem::take(&mut self.rows[b * self.n_w + k])
    }

    /// Row `b`'s values of every weight (kept apart with `per_row`), to be
    /// taken in one pass; [`forget_touched`](Self::forget_touched) after.
    #[inline]
    pub(crate) fn row_mut(&mut self, b: usize) -> &mut [f32] {
        &mut self.rows[b * self.n_w..(b + 1) * self.n_w]
    }

    /// Forgets which weights were touched (after every value was taken).
    pub(crate) fn forget_touched(&mut self) {
        for &k in &self.touched {
            self.mark[k as usize] = false;
        }
        self.touched.clear();
    }
}
