//! What one phase of an [`ArrayRule`](super::ArrayRule) returns: its terms,
//! one per synapse — or, where the phase is a [`Block`](super::Block) of
//! dense weights, one per block row or one per block column, standing for
//! the same value all along the other axis. PostPre's pre terms
//! (`−nu_pre · x_post`) depend on the target only and its post terms
//! (`nu_post · x_pre`) on the source only: as a vector they cost the rule and
//! the learner one value per row or column instead of a whole block, and
//! are added to each weight exactly as the block they stand for.

/// How a phase's terms are laid out (see [`Terms`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TermShape {
    /// One term per synapse, in the phase's synapse order.
    #[default]
    PerSynapse,
    /// One term per block row (source), the same for each of its columns.
    PerRow,
    /// One term per block column (target), the same for each of its rows.
    PerColumn,
}

/// The terms of one phase, filled by the rule through
/// [`per_synapse`](Terms::per_synapse), [`per_row`](Terms::per_row) or
/// [`per_column`](Terms::per_column) — the last one called says which form
/// the phase returns. A rule that calls none returns zeros.
#[derive(Debug, Default)]
pub struct Terms {
    /// One per synapse (`len`).
    full: Vec<f32>,
    /// One per block row or column.
    factor: Vec<f32>,
    shape: TermShape,
    len: usize,
    /// The phase's block `(rows, cols)`, if it is one.
    block: Option<(usize, usize)>,
}

/// One block row's terms: a slice indexed like the row's synapses, or one
/// value for all of them.
#[derive(Debug, Clone, Copy)]
pub(super) enum RowTerms<'a> {
    Each(&'a [f32]),
    Same(f32),
}

impl RowTerms<'_> {
    /// The term of the row's `c`-th synapse.
    #[inline(always)]
    pub fn at(self, c: usize) -> f32 {
        match self {
            RowTerms::Each(t) => t[c],
            RowTerms::Same(t) => t,
        }
    }
}

impl Terms {
    /// Readies the buffer for a phase of `len` synapses (a `block` of
    /// `(rows, cols)` if dense). The per-synapse buffer is zeroed unless
    /// `zero` is false (a rule that writes every term).
    pub(super) fn prepare(&mut self, len: usize, block: Option<(usize, usize)>, zero: bool) {
        if zero {
            self.full.clear();
        }
        self.full.resize(len, 0.0);
        self.len = len;
        self.block = block;
        self.shape = TermShape::PerSynapse;
    }

    /// Number of synapses of the phase.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the phase touches no synapse.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The form the terms are in.
    pub fn shape(&self) -> TermShape {
        self.shape
    }

    /// One term per synapse, in the phase's order (zeroed before the call
    /// unless the rule [`fills_terms`](super::ArrayRule::fills_terms)).
    pub fn per_synapse(&mut self) -> &mut [f32] {
        self.shape = TermShape::PerSynapse;
        &mut self.full
    }

    /// One term per block row, zeroed; `None` if the phase is not a block.
    pub fn per_row(&mut self) -> Option<&mut [f32]> {
        let (rows, _) = self.block?;
        Some(self.factor_of(TermShape::PerRow, rows))
    }

    /// One term per block column, zeroed; `None` if the phase is not a
    /// block.
    pub fn per_column(&mut self) -> Option<&mut [f32]> {
        let (_, cols) = self.block?;
        Some(self.factor_of(TermShape::PerColumn, cols))
    }

    fn factor_of(&mut self, shape: TermShape, n: usize) -> &mut [f32] {
        self.shape = shape;
        self.factor.clear();
        self.factor.resize(n, 0.0);
        &mut self.factor
    }

    /// The terms of block row `r`, indexed by position among the block's
    /// columns.
    #[inline]
    pub(super) fn row(&self, r: usize) -> RowTerms<'_> {
        match self.shape {
            TermShape::PerSynapse => {
                let cols = self.block.map_or(self.len, |b| b.1);
                RowTerms::Each(&self.full[r * cols..(r + 1) * cols])
            }
            TermShape::PerRow => RowTerms::Same(self.factor[r]),
            TermShape::PerColumn => RowTerms::Each(&self.factor),
        }
    }

    /// Writes a factored form out as one term per synapse (for the paths
    /// that scatter synapse by synapse).
    pub(super) fn expand(&mut self) {
        let Some((rows, cols)) = self.block else {
            return;
        };
        match self.shape {
            TermShape::PerSynapse => return,
            TermShape::PerRow => {
                for (row, &t) in self.full.chunks_exact_mut(cols).zip(&self.factor[..rows]) {
                    row.fill(t);
                }
            }
            TermShape::PerColumn => {
                for row in self.full.chunks_exact_mut(cols) {
                    row.copy_from_slice(&self.factor[..cols]);
                }
            }
        }
        self.shape = TermShape::PerSynapse;
    }

    /// The terms in their form, moved out; `spare` (an emptied vector)
    /// takes their place.
    pub(super) fn take(&mut self, spare: Vec<f32>) -> (TermShape, Vec<f32>) {
        let v = match self.shape {
            TermShape::PerSynapse => std::mem::replace(&mut self.full, spare),
            _ => std::mem::replace(&mut self.factor, spare),
        };
        (self.shape, v)
    }

    /// The terms of the synapse at `n` (per-synapse form).
    #[inline]
    pub(super) fn at(&self, n: usize) -> f32 {
        debug_assert_eq!(self.shape, TermShape::PerSynapse);
        self.full[n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factored_forms_expand_to_the_block_they_stand_for() {
        let mut t = Terms::default();
        t.prepare(6, Some((2, 3)), true);
        t.per_row().unwrap().copy_from_slice(&[1.0, 2.0]);
        assert!(matches!(t.row(1), RowTerms::Same(x) if x == 2.0));
        t.expand();
        assert_eq!(t.per_synapse(), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        t.prepare(6, Some((2, 3)), false);
        t.per_column().unwrap().copy_from_slice(&[1.0, 2.0, 3.0]);
        assert_eq!(t.row(1).at(2), 3.0);
        t.expand();
        assert_eq!(t.per_synapse(), &[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
        // Not a block: no factored form.
        t.prepare(4, None, true);
        assert!(t.per_row().is_none() && t.per_column().is_none());
        assert_eq!(t.per_synapse(), &[0.0; 4]);
    }
}
