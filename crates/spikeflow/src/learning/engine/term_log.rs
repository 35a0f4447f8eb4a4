//! Deferred post terms of an array rule on a dense connection (batch 1).
//!
//! The eager update adds each step's post terms — one per source for each
//! target that spiked — down whole columns of the weight matrix: a cache
//! line per row per spiking target, so the whole matrix is read and written
//! every step. As with the in-place path's `PostLog`, the terms are kept
//! and added row by row when the row is next read: when its source spikes
//! (the pre terms apply to it and propagation reads it next), before anyone
//! else reads the weights (end of a run, a weight monitor), or when the log
//! is full. `PostLog` replays the rule; an array rule computes a whole
//! phase at once, so this log keeps the terms it computed. That is only
//! right when the rule's post terms do not read the weights
//! ([`ArrayRule::reads_weights`](super::ArrayRule::reads_weights)).
//!
//! A rule may give its post terms one per source (PostPre's `nu_post ·
//! x_pre`, [`TermShape::PerRow`]): the log then keeps that vector, and a
//! row's catch-up adds the one value to each logged column.
//!
//! A replay gives each weight the eager update's operation for each logged
//! step, in step order — `w = clamp(w + (0 + t))` — so the bits are
//! identical; a row stays in L1 while its pending steps are added.

use super::terms::{RowTerms, TermShape};
use rayon::prelude::*;

/// Steps kept before every row is brought up to date (bounds how stale a
/// row gets; `applied` counts steps).
const CAP_STEPS: usize = 64;

/// Logged terms kept, in weight matrices: the log (and its spare buffers)
/// hold at most about this many times the weights. On W2 (n = 1000, a
/// Rust array rule) 1 and 2 measured alike, 4 slower.
const CAP_MATRICES: usize = 1;

/// Below this many logged terms, a full replay stays on the calling thread.
const PAR_MIN_REPLAY: usize = 1 << 16;

/// The post terms an array rule computed in the steps since every row was
/// last up to date.
#[derive(Debug, Default)]
pub(crate) struct TermLog {
    n_pre: usize,
    n_post: usize,
    /// The scalar bounds every logged term is clamped to (`None`: none).
    bounds: Option<(f32, f32)>,
    /// Spiking targets of every logged step, in step order:
    /// `cols[col_start[t]..col_start[t + 1]]` spiked at logged step `t`.
    cols: Vec<u32>,
    col_start: Vec<usize>,
    /// Per logged step, the rule's post terms in their form: `[n_pre ×
    /// spiking targets]` row-major, one per source or one per spiking
    /// target (the rule's own buffers, moved in).
    blocks: Vec<(TermShape, Vec<f32>)>,
    /// Emptied blocks, handed back for the next steps' terms.
    spare: Vec<Vec<f32>>,
    /// Logged values in all (what the log holds in memory).
    terms: usize,
    /// Per row: how many logged steps it has had.
    applied: Vec<u32>,
}

impl TermLog {
    /// Empties the log for a connection of `n_pre × n_post` weights.
    pub fn resize(&mut self, n_pre: usize, n_post: usize) {
        *self = TermLog {
            n_pre,
            n_post,
            col_start: vec![0],
            applied: vec![0; n_pre],
            ..Default::default()
        };
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Logged steps.
    pub fn steps(&self) -> usize {
        self.blocks.len()
    }

    /// Whether terms clamped to `bounds` can join the log.
    pub fn accepts(&self, bounds: Option<(f32, f32)>) -> bool {
        self.is_empty() || self.bounds == bounds
    }

    pub fn is_full(&self) -> bool {
        self.steps() >= CAP_STEPS || self.terms >= CAP_MATRICES * self.n_pre * self.n_post
    }

    /// An emptied buffer for a step's terms.
    pub fn spare(&mut self) -> Vec<f32> {
        self.spare.pop().unwrap_or_default()
    }

    /// Logs one step's post terms for the spiking targets `cols`, in their
    /// form: `[n_pre × cols]`, `[n_pre]` or `[cols]`.
    pub fn push(&mut self, cols: &[u32], terms: (TermShape, Vec<f32>), bounds: Option<(f32, f32)>) {
        debug_assert!(self.accepts(bounds));
        debug_assert_eq!(
            terms.1.len(),
            match terms.0 {
                TermShape::PerSynapse => self.n_pre * cols.len(),
                TermShape::PerRow => self.n_pre,
                TermShape::PerColumn => cols.len(),
            }
        );
        self.bounds = bounds;
        self.cols.extend_from_slice(cols);
        self.col_start.push(self.cols.len());
        self.terms += terms.1.len();
        self.blocks.push(terms);
    }

    /// Marks row `i` as having had every logged step.
    pub fn set_applied(&mut self, i: usize) {
        self.applied[i] = self.steps() as u32;
    }

    /// Adds to row `i` (`wrow`) the logged steps it lacks.
    #[inline]
    fn catch_up(&self, wrow: &mut [f32], i: usize) {
        let from = self.applied[i] as usize;
        if from == self.steps() {
            return;
        }
        for (t, (shape, block)) in self.blocks.iter().enumerate().skip(from) {
            let cols = &self.cols[self.col_start[t]..self.col_start[t + 1]];
            let m = cols.len();
            let terms = match shape {
                TermShape::PerSynapse => RowTerms::Each(&block[i * m..(i + 1) * m]),
                TermShape::PerRow => RowTerms::Same(block[i]),
                TermShape::PerColumn => RowTerms::Each(block),
            };
            match self.bounds {
                None => add_terms(wrow, cols, terms, |x| x),
                Some((lo, hi)) => add_terms(wrow, cols, terms, |x| x.max(lo).min(hi)),
            }
        }
    }

    /// Brings the rows `rows` up to date (before they are read). On the
    /// calling thread: a step's rows are too little work for the pool.
    pub fn catch_up_rows(&mut self, w: &mut [f32], rows: &[u32]) {
        let n = self.n_post;
        for &i in rows {
            let i = i as usize;
            self.catch_up(&mut w[i * n..(i + 1) * n], i);
            self.set_applied(i);
        }
    }

    /// Brings every row up to date and empties the log. Rows are
    /// independent, so they run in parallel with the same bits.
    pub fn flush(&mut self, w: &mut [f32]) {
        if self.is_empty() {
            return;
        }
        let n = self.n_post;
        let rows = &mut w[..self.n_pre * n];
        let this = &*self;
        if crate::parallel::worth(self.terms, PAR_MIN_REPLAY) {
            rows.par_chunks_mut(n)
                .enumerate()
                .for_each(|(i, wrow)| this.catch_up(wrow, i));
        } else {
            for (i, wrow) in rows.chunks_exact_mut(n).enumerate() {
                this.catch_up(wrow, i);
            }
        }
        // Keep at most the log's cap in spare buffers: a buffer keeps the
        // capacity of the largest step it ever held.
        let cap = CAP_MATRICES * self.n_pre * self.n_post;
        let mut kept = self.spare.iter().map(Vec::capacity).sum::<usize>();
        for (_, b) in self.blocks.drain(..) {
            // Not cleared: the learner zeroes a buffer unless its rule
            // writes every term.
            if kept + b.capacity() <= cap {
                kept += b.capacity();
                self.spare.push(b);
            }
        }
        self.cols.clear();
        self.col_start.truncate(1);
        self.terms = 0;
        self.bounds = None;
        self.applied.fill(0);
    }
}

/// `w[j] ← clamp(w[j] + (0 + d))` for each target `j` and its term `d`:
/// unrolled by four (each is one scattered read-modify-write, and loop
/// overhead was a fifth of the instructions of the same loop in the
/// in-place path's replay).
#[inline]
fn add_terms(wrow: &mut [f32], cols: &[u32], terms: RowTerms<'_>, clamp: impl Fn(f32) -> f32) {
    let mut add = |j: u32, d: f32| {
        let x = &mut wrow[j as usize];
        *x = clamp(*x + (0.0 + d));
    };
    let terms = match terms {
        RowTerms::Each(t) => t,
        RowTerms::Same(d) => {
            for j in cols.chunks_exact(4) {
                let j: &[u32; 4] = j.try_into().unwrap();
                for u in 0..4 {
                    add(j[u], d);
                }
            }
            cols[cols.len() / 4 * 4..].iter().for_each(|&j| add(j, d));
            return;
        }
    };
    for (j, d) in cols.chunks_exact(4).zip(terms.chunks_exact(4)) {
        let (j, d): (&[u32; 4], &[f32; 4]) = (j.try_into().unwrap(), d.try_into().unwrap());
        for u in 0..4 {
            add(j[u], d[u]);
        }
    }
    let done = cols.len() / 4 * 4;
    for (&j, &d) in cols[done..].iter().zip(&terms[done..]) {
        add(j, d);
    }
}
