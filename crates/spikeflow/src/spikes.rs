//! Spikes in the two forms the engine needs, kept in step.

/// Values per block of the scans below.
const BLOCK: usize = 16;

/// An element of an input raster: any `f32` value, or a spike (`bool`,
/// stored as 1 or 0). Encoders write it, `Input` populations read it.
pub(crate) trait SpikeValue: Copy + Send + Sync {
    /// A spike (what an encoder writes).
    const SPIKE: Self;
    /// The value as given (1 or 0 for a spike).
    fn raw(self) -> f32;
    /// Writes `0 + src` into `dst` (`+ 0` turns −0 into 0, as adding input
    /// to a cleared buffer does) and appends the indices of the non-zero
    /// entries to `list`, in increasing order.
    fn copy_collect(src: &[Self], dst: &mut [f32], list: &mut Vec<u32>);
}

impl SpikeValue for f32 {
    const SPIKE: f32 = 1.0;
    #[inline]
    fn raw(self) -> f32 {
        self
    }
    /// One pass over the values, a block at a time.
    fn copy_collect(src: &[f32], dst: &mut [f32], list: &mut Vec<u32>) {
        let copy = |d: &mut [f32], s: &[f32]| {
            for (d, &x) in d.iter_mut().zip(s) {
                *d = 0.0 + x;
            }
        };
        let (blocks, mut out) = (src.chunks_exact(BLOCK), dst.chunks_exact_mut(BLOCK));
        let rest = blocks.remainder();
        for (c, (s, d)) in blocks.zip(&mut out).enumerate() {
            copy(d, s);
            push_nonzero(s, c * BLOCK, list);
        }
        copy(out.into_remainder(), rest);
        push_nonzero(rest, src.len() - rest.len(), list);
    }
}

impl SpikeValue for bool {
    const SPIKE: bool = true;
    #[inline]
    fn raw(self) -> f32 {
        f32::from(u8::from(self))
    }
    /// One pass, a block of 64 at a time: the block is copied, then a
    /// block without a spike costs one vector test (the paper's inputs:
    /// ~3 spikes among 784 per step), and in the others eight `bool`s are
    /// one 64-bit word whose set bits (one per spiking byte) are walked, so
    /// the cost follows the spikes rather than the neurons.
    fn copy_collect(src: &[bool], dst: &mut [f32], list: &mut Vec<u32>) {
        let push_words = |block: &[bool], base: usize, list: &mut Vec<u32>| {
            for (c, word) in block.chunks_exact(8).enumerate() {
                let bytes: [bool; 8] = std::array::from_fn(|k| word[k]);
                let mut bits = u64::from_le_bytes(bytes.map(u8::from));
                while bits != 0 {
                    list.push((base + c * 8 + bits.trailing_zeros() as usize / 8) as u32);
                    bits &= bits - 1;
                }
            }
        };
        let blocks = src.chunks_exact(64);
        let rest = blocks.remainder();
        for (c, (block, d)) in blocks.zip(dst.chunks_exact_mut(64)).enumerate() {
            for (d, &x) in d.iter_mut().zip(block) {
                *d = x.raw();
            }
            if block.iter().fold(false, |a, &x| a | x) {
                push_words(block, c * 64, list);
            }
        }
        let base = src.len() - rest.len();
        for (d, &x) in dst[base..].iter_mut().zip(rest) {
            *d = x.raw();
        }
        push_words(rest, base, list);
        let tail = base + rest.len() / 8 * 8;
        list.extend((tail..src.len()).filter(|&k| src[k]).map(|k| k as u32));
    }
}

/// Appends `base + j` for the non-zero `block[j]` to `list`. A block of
/// zeros costs one vector test; otherwise the indices are compacted without
/// a branch per value (spike positions are random: a branch would
/// mispredict at every spike).
#[inline]
fn push_nonzero(block: &[f32], base: usize, list: &mut Vec<u32>) {
    if block.iter().fold(false, |a, &x| a | (x != 0.0)) {
        let mut found = [0u32; BLOCK];
        let mut k = 0;
        for (j, &x) in block.iter().enumerate() {
            found[k] = (base + j) as u32;
            k += usize::from(x != 0.0);
        }
        list.extend_from_slice(&found[..k]);
    }
}

/// Appends the indices of the non-zero entries of `s` to `list`, in
/// increasing order.
#[inline]
pub(crate) fn collect_active(s: &[f32], list: &mut Vec<u32>) {
    // Whole blocks have a length the compiler knows (the test vectorises).
    let blocks = s.chunks_exact(BLOCK);
    let rest = blocks.remainder();
    for (c, block) in blocks.enumerate() {
        push_nonzero(block, c * BLOCK, list);
    }
    push_nonzero(rest, s.len() - rest.len(), list);
}

/// Sets one row of spikes to `src` (`0 + x`) and its index list; returns
/// whether every value of the row is 0 or 1.
pub(crate) fn set_row<T: SpikeValue>(src: &[T], dst: &mut [f32], list: &mut Vec<u32>) -> bool {
    list.clear();
    T::copy_collect(src, dst, list);
    list.iter().all(|&j| dst[j as usize] == 1.0)
}

/// The spikes of one step: a dense `[batch × n]` array (0/1 for spiking
/// models, the given values for an `Input` population) and, per batch row,
/// the indices of the non-zero entries, in increasing order. Event-driven
/// propagation and learning read the index lists; monitors and dense maths
/// read the array.
#[derive(Debug, Clone, PartialEq)]
pub struct Spikes {
    n: usize,
    values: Vec<f32>,
    active: Vec<Vec<u32>>,
    binary: bool,
}

impl Spikes {
    pub(crate) fn new(batch: usize, n: usize) -> Self {
        Spikes {
            n,
            values: vec![0.0; batch * n],
            active: vec![Vec::new(); batch],
            binary: true,
        }
    }

    /// Neurons per row.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Batch size.
    pub fn batch(&self) -> usize {
        self.active.len()
    }
    /// All values, `[batch × n]`.
    pub fn values(&self) -> &[f32] {
        &self.values
    }
    /// The values of batch row `b`.
    pub fn row(&self, b: usize) -> &[f32] {
        &self.values[b * self.n..(b + 1) * self.n]
    }
    /// Indices of the non-zero entries of row `b`, increasing.
    pub fn active(&self, b: usize) -> &[u32] {
        &self.active[b]
    }
    /// Whether every value is 0 or 1.
    pub fn is_binary(&self) -> bool {
        self.binary
    }
    /// Total number of non-zero entries over the batch.
    pub fn count(&self) -> usize {
        self.active.iter().map(Vec::len).sum()
    }

    /// Sets every value to zero.
    pub fn clear(&mut self) {
        self.values.fill(0.0);
        for a in &mut self.active {
            a.clear();
        }
        self.binary = true;
    }

    /// Mutable access to row `b` for a model's kernel: the dense values and
    /// the (cleared) index list, which the kernel fills in increasing order.
    pub fn row_mut(&mut self, b: usize) -> (&mut [f32], &mut Vec<u32>) {
        let n = self.n;
        let list = &mut self.active[b];
        list.clear();
        (&mut self.values[b * n..(b + 1) * n], list)
    }

    /// The values and the per-row index lists, for kernels that update
    /// batch rows independently (each must clear and refill its row's list
    /// in increasing order).
    pub(crate) fn parts_mut(&mut self) -> (&mut [f32], &mut [Vec<u32>]) {
        (&mut self.values, &mut self.active)
    }

    /// Copies arbitrary values (an `Input` population's input; `−0` is
    /// stored as `0`) and rebuilds the index lists, in one pass.
    pub(crate) fn set_values<T: SpikeValue>(&mut self, values: &[T]) {
        let n = self.n;
        let mut binary = true;
        for (b, list) in self.active.iter_mut().enumerate() {
            let dst = &mut self.values[b * n..(b + 1) * n];
            binary &= set_row(&values[b * n..(b + 1) * n], dst, list);
        }
        self.binary = binary;
    }

    /// Sets binary spikes from each row's spiking neurons (increasing),
    /// writing only the entries that change: O(spikes), not O(n).
    pub(crate) fn set_binary_active(&mut self, rows: &[Vec<u32>]) {
        let n = self.n;
        for (b, (list, new)) in self.active.iter_mut().zip(rows).enumerate() {
            let values = &mut self.values[b * n..(b + 1) * n];
            for &j in list.iter() {
                values[j as usize] = 0.0;
            }
            for &j in new {
                values[j as usize] = 1.0;
            }
            list.clone_from(new);
        }
        self.binary = true;
    }

    /// Records whether every value is 0 or 1 (after rows were set with
    /// [`set_row`]).
    pub(crate) fn set_binary(&mut self, binary: bool) {
        self.binary = binary;
    }

    /// Rows `rows` as spikes of their own (a lane of the batch).
    pub(crate) fn rows(&self, rows: std::ops::Range<usize>) -> Spikes {
        Spikes {
            n: self.n,
            values: self.values[rows.start * self.n..rows.end * self.n].to_vec(),
            active: self.active[rows].to_vec(),
            binary: self.binary,
        }
    }

    /// Takes back the rows of `lane` (from [`rows`](Self::rows)) from row
    /// `at` on.
    pub(crate) fn absorb_rows(&mut self, at: usize, lane: &Spikes) {
        let n = self.n;
        self.values[at * n..(at + lane.batch()) * n].copy_from_slice(&lane.values);
        for (mine, theirs) in self.active[at..].iter_mut().zip(&lane.active) {
            mine.clone_from(theirs);
        }
    }

    /// Sets one entry (clamping) and keeps the index list in order.
    pub fn set(&mut self, b: usize, j: usize, value: f32) {
        self.values[b * self.n + j] = value;
        let list = &mut self.active[b];
        match list.binary_search(&(j as u32)) {
            Ok(pos) if value == 0.0 => {
                list.remove(pos);
            }
            Err(pos) if value != 0.0 => list.insert(pos, j as u32),
            _ => {}
        }
        if value != 0.0 && value != 1.0 {
            self.binary = false;
        }
    }

    /// Marks the values as 0/1 after a kernel filled them.
    pub(crate) fn mark_binary(&mut self) {
        self.binary = true;
    }

    /// Keeps only `keep` among the active neurons of row `b` (one-spike).
    pub(crate) fn keep_only(&mut self, b: usize, keep: u32) {
        let n = self.n;
        for &j in &self.active[b] {
            if j != keep {
                self.values[b * n + j as usize] = 0.0;
            }
        }
        self.active[b].clear();
        self.active[b].push(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spikes given as `bool` set the same row as the same spikes as `f32`,
    /// for lengths around the word and block sizes.
    #[test]
    fn bool_and_f32_rows_agree() {
        let mut r = crate::rng::Rng::seed_from_u64(4);
        for n in [
            0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 71, 72, 73, 127, 128, 129, 784, 785,
        ] {
            for p in [0.0, 0.05, 0.5, 1.0] {
                let b: Vec<bool> = (0..n).map(|_| r.uniform_f32() < p).collect();
                let f: Vec<f32> = b.iter().map(|&x| x.raw()).collect();
                let (mut db, mut df) = (vec![9.0; n], vec![9.0; n]);
                let (mut lb, mut lf) = (vec![7], Vec::new());
                assert!(set_row(&b, &mut db, &mut lb));
                assert!(set_row(&f, &mut df, &mut lf));
                assert_eq!(db, df, "n {n} p {p}");
                assert_eq!(lb, lf, "n {n} p {p}");
                let want: Vec<u32> = (0..n as u32).filter(|&j| b[j as usize]).collect();
                assert_eq!(lb, want, "n {n} p {p}");
            }
        }
    }
}
