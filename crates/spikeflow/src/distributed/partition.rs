//! Which neurons a process owns: every population is cut into contiguous
//! blocks, one per rank, as even as integer division allows.

use std::ops::Range;

/// The neurons of a population of `n` that rank `rank` of `ranks` owns:
/// `[⌊n·rank/ranks⌋, ⌊n·(rank+1)/ranks⌋)`. The blocks tile `0..n` in rank
/// order and differ in size by at most one.
///
/// ```
/// use spikeflow::distributed::block;
/// assert_eq!([block(10, 0, 3), block(10, 1, 3), block(10, 2, 3)], [0..3, 3..6, 6..10]);
/// ```
pub fn block(n: usize, rank: usize, ranks: usize) -> Range<usize> {
    let at = |r: usize| (n as u128 * r as u128 / ranks as u128) as usize;
    at(rank)..at(rank + 1)
}

/// How an array of one process's part of a connection (its state in a
/// snapshot) stands to the whole connection's array, so that the parts of a
/// [distributed](super) network can be put together into the snapshot one
/// process would take, and cut again for any number of processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartLayout {
    /// Every part holds the whole array (the sources' state, a step
    /// counter, a ring's head).
    Whole,
    /// `rows` rows of one value per target, row-major: the part holds the
    /// columns of its targets, the whole array every target's.
    TargetColumns {
        /// Rows (e.g. `n_pre` of dense weights, `slots × batch` of a ring).
        rows: usize,
    },
    /// `rows` copies of one value per synapse of compressed rows (by
    /// source, as sparse and fixed in-degree connections keep them, each row's
    /// synapses in target order): the part holds, of each source's row,
    /// the synapses onto its targets; the whole row is the parts' segments
    /// in rank order.
    SynapseRows {
        /// Copies (e.g. 1 for weights, the batch for an eligibility).
        rows: usize,
    },
}

/// The rank whose [`block`] of a population of `n` holds neuron `i`:
/// `⌊((i + 1)·ranks − 1) / n⌋`.
///
/// ```
/// use spikeflow::distributed::owner;
/// assert_eq!((0..10).map(|i| owner(i, 10, 3)).collect::<Vec<_>>(), [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
/// ```
pub fn owner(i: usize, n: usize, ranks: usize) -> usize {
    (((i as u128 + 1) * ranks as u128 - 1) / n as u128) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_tile_the_population_evenly() {
        for n in [1, 2, 7, 100, 11_250] {
            for ranks in 1..=7usize.min(n) {
                let blocks: Vec<_> = (0..ranks).map(|r| block(n, r, ranks)).collect();
                assert_eq!(blocks[0].start, 0);
                assert_eq!(blocks[ranks - 1].end, n);
                for w in blocks.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                for (r, b) in blocks.iter().enumerate() {
                    assert!(
                        b.clone().all(|i| owner(i, n, ranks) == r),
                        "{n} over {ranks}"
                    );
                }
                let sizes: Vec<_> = blocks.iter().map(|b| b.len()).collect();
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1 && *lo > 0, "{n} over {ranks}: {sizes:?}");
            }
        }
    }
}
