//! Spikes in the two forms the engine needs, kept in step.

/// Appends the indices of the non-zero entries of `s` to `list`, in
/// increasing order; blocks of 16 zeros are skipped with one test.
#[inline]
pub(crate) fn collect_active(s: &[f32], list: &mut Vec<u32>) {
    const W: usize = 16;
    for (c, chunk) in s.chunks(W).enumerate() {
        if chunk.iter().fold(false, |a, &x| a | (x != 0.0)) {
            for (j, &x) in chunk.iter().enumerate() {
                if x != 0.0 {
                    list.push((c * W + j) as u32);
                }
            }
        }
    }
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

    /// Copies arbitrary values (an `Input` population's input) and rebuilds
    /// the index lists.
    pub fn set_values(&mut self, values: &[f32]) {
        self.values.copy_from_slice(values);
        self.rebuild();
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

    fn rebuild(&mut self) {
        let n = self.n;
        self.binary = true;
        for (b, list) in self.active.iter_mut().enumerate() {
            list.clear();
            let row = &self.values[b * n..(b + 1) * n];
            collect_active(row, list);
            if list.iter().any(|&j| row[j as usize] != 1.0) {
                self.binary = false;
            }
        }
    }
}
