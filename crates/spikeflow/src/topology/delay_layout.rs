//! How a [`Delayed`](super::Delayed) connection's delays are laid out for
//! propagation: looked up per synapse, or each source's targets grouped by
//! delay (and, while no one changes the weights, the weights copied into
//! the groups' order).

/// The delays, as propagation reads them.
#[derive(Debug)]
pub(super) enum Delays {
    /// Each source's targets grouped by delay (targets fit in 16 bits).
    Grouped(ByDelay),
    /// One delay per synapse, `[n_pre × n_post]`, in steps that fit a byte.
    Narrow(Vec<u8>),
    /// One delay per synapse, in steps.
    Wide(Vec<u16>),
}

/// Targets from which grouping by delay pays: below, a source's groups
/// hold a few targets each (the paper's 21 delays over 100 targets: ~5) and
/// walking 21 groups costs more than looking each synapse's slot up
/// (measured per synapse visit, 784 sources, random delays of 0–20 steps:
/// 100 targets 2.7 → 1.6 ns, 400: 1.33 → 1.24, 800: 1.06 → 1.26).
const GROUPED_MIN_TARGETS: usize = 512;

impl Delays {
    pub(super) fn new(delays: &[u16], n_pre: usize, n_post: usize, slots: usize) -> Self {
        let small = n_post < GROUPED_MIN_TARGETS && slots <= usize::from(u8::MAX) + 1;
        if !small && n_post <= usize::from(u16::MAX) + 1 && n_pre * n_post <= u32::MAX as usize {
            Delays::Grouped(ByDelay::new(delays, n_pre, n_post, slots))
        } else if slots <= usize::from(u8::MAX) + 1 {
            Delays::Narrow(delays.iter().map(|&d| d as u8).collect())
        } else {
            Delays::Wide(delays.to_vec())
        }
    }

    /// Adds `s·w[i][j]` for the targets `j` in `first..first + rows[0].len()`
    /// into `rows[d[i][j]][j − first]` (`rows[d]`: the slot delay `d`
    /// reaches). `1·w` is `w`, bit for bit, so a spike adds `w`.
    pub(super) fn add_source(
        &self,
        w: SourceWeights<'_>,
        i: usize,
        s: f32,
        n: usize,
        rows: &mut [&mut [f32]],
        first: usize,
    ) {
        let len = rows[0].len();
        let wrow = &w.rows[i * n..(i + 1) * n];
        match (self, w.in_groups) {
            (Delays::Grouped(g), Some(wg)) => {
                for (d, row) in rows.iter_mut().enumerate() {
                    let range = g.range(i, d);
                    let (cols, wg) = (&g.cols[range.clone()], &wg[range]);
                    let block = block_of(cols, first, len, n);
                    add_in_groups(row, &cols[block.clone()], &wg[block], first, s);
                }
            }
            (Delays::Grouped(g), None) if first == 0 && len == n => {
                for (d, row) in rows.iter_mut().enumerate() {
                    add_grouped(row, wrow, g.group(i, d), s);
                }
            }
            (Delays::Grouped(g), None) => {
                let wblock = &wrow[first..][..len];
                for (d, row) in rows.iter_mut().enumerate() {
                    let cols = g.group(i, d);
                    for &j in &cols[block_of(cols, first, len, n)] {
                        let j = j as usize - first;
                        row[j] += if s == 1.0 { wblock[j] } else { s * wblock[j] };
                    }
                }
            }
            (Delays::Narrow(d), _) => {
                add_listed(&wrow[first..][..len], &d[i * n + first..][..len], rows, s)
            }
            (Delays::Wide(d), _) => {
                add_listed(&wrow[first..][..len], &d[i * n + first..][..len], rows, s)
            }
        }
    }
}

/// The weights propagation reads: `rows`, `[n_pre × n_post]` as stored,
/// and, where made, the same weights in [`ByDelay`]'s order
/// ([`WeightsInGroups`]), read instead of `rows` by grouped delays (the
/// same values added in the same order; the per-synapse layouts read
/// `rows`).
#[derive(Clone, Copy)]
pub(super) struct SourceWeights<'a> {
    pub rows: &'a [f32],
    pub in_groups: Option<&'a [f32]>,
}

/// Where a group's columns (ascending) fall in the block `first..first +
/// len` of a row of `n` targets.
#[inline]
fn block_of(cols: &[u16], first: usize, len: usize, n: usize) -> std::ops::Range<usize> {
    if first == 0 && len == n {
        return 0..cols.len();
    }
    if len == 0 {
        return 0..0;
    }
    let (lo, hi) = (first as u16, (first + len - 1) as u16);
    let a = cols.partition_point(|&j| j < lo);
    a..a + cols[a..].partition_point(|&j| j <= hi)
}

/// One group: `row[j] += s·wrow[j]` for its targets `j` (a spike adds `w`).
#[inline]
fn add_grouped(row: &mut [f32], wrow: &[f32], cols: &[u16], s: f32) {
    // Equal lengths: one bounds check per synapse covers both.
    let row = &mut row[..wrow.len()];
    if s == 1.0 {
        for &j in cols {
            row[j as usize] += wrow[j as usize];
        }
    } else {
        for &j in cols {
            row[j as usize] += s * wrow[j as usize];
        }
    }
}

/// One group with its weights beside its columns (`cols[k] ≥ first`):
/// `row[j − first] += s·wg[k]`, one stream of weights instead of a gather.
#[inline]
fn add_in_groups(row: &mut [f32], cols: &[u16], wg: &[f32], first: usize, s: f32) {
    if s == 1.0 {
        for (&j, &w) in cols.iter().zip(wg) {
            row[j as usize - first] += w;
        }
    } else {
        for (&j, &w) in cols.iter().zip(wg) {
            row[j as usize - first] += s * w;
        }
    }
}

/// One delay per synapse: each weight goes to the slot its delay names.
#[inline]
fn add_listed<D: Copy>(wrow: &[f32], drow: &[D], rows: &mut [&mut [f32]], s: f32)
where
    usize: From<D>,
{
    for (j, (&w, &d)) in wrow.iter().zip(drow).enumerate() {
        rows[usize::from(d)][j] += if s == 1.0 { w } else { s * w };
    }
}

/// Each source's targets grouped by delay, ascending within a group: a
/// spike adds its weights slot by slot, one gather and one add per synapse,
/// instead of looking each synapse's slot up (2 bytes per synapse).
#[derive(Debug)]
pub(super) struct ByDelay {
    slots: usize,
    /// `[n_pre × slots + 1]`: group `(i, d)` is `cols[starts[i·slots + d]
    /// .. starts[i·slots + d + 1]]`.
    starts: Vec<u32>,
    cols: Vec<u16>,
}

impl ByDelay {
    pub(super) fn new(delays: &[u16], n_pre: usize, n_post: usize, slots: usize) -> Self {
        let mut starts = vec![0u32; n_pre * slots + 1];
        for (i, row) in delays.chunks_exact(n_post).enumerate() {
            for &d in row {
                starts[i * slots + usize::from(d) + 1] += 1;
            }
        }
        for k in 0..n_pre * slots {
            starts[k + 1] += starts[k];
        }
        let mut fill = starts.clone();
        let mut cols = vec![0u16; n_pre * n_post];
        for (i, row) in delays.chunks_exact(n_post).enumerate() {
            for (j, &d) in row.iter().enumerate() {
                let f = &mut fill[i * slots + usize::from(d)];
                cols[*f as usize] = j as u16;
                *f += 1;
            }
        }
        ByDelay {
            slots,
            starts,
            cols,
        }
    }

    /// Where source `i`'s group of delay `d` lies in `cols`.
    #[inline]
    fn range(&self, i: usize, d: usize) -> std::ops::Range<usize> {
        let k = i * self.slots + d;
        self.starts[k] as usize..self.starts[k + 1] as usize
    }

    /// Source `i`'s targets at delay `d`.
    #[inline]
    fn group(&self, i: usize, d: usize) -> &[u16] {
        &self.cols[self.range(i, d)]
    }

    /// The weights `[n_pre × n_post]` in this order: `out[k]` is the weight
    /// of the synapse `cols[k]` names, in its source's row. `None` if the
    /// memory for it cannot be had.
    pub(super) fn weights_in_groups(&self, w: &[f32], n_post: usize) -> Option<Vec<f32>> {
        let mut out = Vec::new();
        out.try_reserve_exact(self.cols.len()).ok()?;
        out.resize(self.cols.len(), 0.0);
        for (i, wrow) in w.chunks_exact(n_post).enumerate() {
            let groups =
                self.starts[i * self.slots] as usize..self.starts[(i + 1) * self.slots] as usize;
            for (o, &j) in out[groups.clone()].iter_mut().zip(&self.cols[groups]) {
                *o = wrow[usize::from(j)];
            }
        }
        Some(out)
    }
}

/// Propagations with spikes after which weights that no one could have
/// changed are copied into [`ByDelay`]'s order. Learning asks for the
/// weights at every step (`learn_view`), which restarts the count, so a
/// training run never makes the copy; nor does a run with weight masks,
/// applied at every step. A run that leaves the weights alone (labelling,
/// testing) makes it once, in the paper model after about three images
/// (700 steps of input each, a few of them without an input spike).
pub(super) const UNCHANGED_BEFORE_COPY: usize = 2048;

/// The weights in [`ByDelay`]'s order, for runs that leave them as they
/// are (labelling and testing). Reading a source's weights beside its
/// columns (one stream) instead of gathering them from its row takes
/// about a sixth off a test image of the paper model at 6400 neurons
/// (median of ten alternations; within the noise at 1600:
/// `docs/performance.md`, "Learning-off propagation in delay order").
/// Every mutable access to the weights drops the copy (and its memory:
/// the size of the weights); propagation then reads the weights again
/// until they have stayed unchanged for [`UNCHANGED_BEFORE_COPY`]
/// propagations. Where the memory for a copy cannot be had, propagation
/// reads the weights (and tries again as many propagations later).
#[derive(Debug, Default)]
pub(super) struct WeightsInGroups {
    w: Vec<f32>,
    /// Propagations with spikes since the weights were last handed out to
    /// be changed.
    unchanged: usize,
}

impl WeightsInGroups {
    /// Forgets the copy: the weights may change.
    pub(super) fn drop_copy(&mut self) {
        self.w = Vec::new();
        self.unchanged = 0;
    }

    /// Whether the copy is made (for tests).
    #[cfg(test)]
    pub(super) fn is_made(&self) -> bool {
        !self.w.is_empty()
    }

    /// What a propagation with (`any_spikes`) or without spikes reads:
    /// `w` and, without a mutable access for [`UNCHANGED_BEFORE_COPY`]
    /// propagations with spikes, the copy, made here the first time.
    pub(super) fn get_or_make<'a>(
        &'a mut self,
        delays: &Delays,
        w: &'a [f32],
        n_post: usize,
        any_spikes: bool,
    ) -> SourceWeights<'a> {
        if let Delays::Grouped(g) = delays {
            if self.w.is_empty() && any_spikes {
                self.unchanged += 1;
                if self.unchanged >= UNCHANGED_BEFORE_COPY {
                    match g.weights_in_groups(w, n_post) {
                        Some(copy) => self.w = copy,
                        None => self.unchanged = 0,
                    }
                }
            }
        }
        SourceWeights {
            rows: w,
            in_groups: (!self.w.is_empty()).then_some(self.w.as_slice()),
        }
    }
}
