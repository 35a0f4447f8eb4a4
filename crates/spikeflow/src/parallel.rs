//! When the engine spreads a step's work over the rayon pool.
//!
//! Every parallel region costs a fork/join: tens of microseconds on small
//! machines once the pool's threads have gone to sleep (and, unless the
//! workers are pinned to cores, Linux sometimes wakes them on the same
//! core), more than many per-step regions' work. So each call site compares
//! its work with a threshold chosen by measuring there (the figures are in
//! `docs/performance.md`), and [`set_threshold_scale`] scales them all.
//!
//! Runs with learning off avoid per-step regions altogether: they run
//! batch rows in lanes, one per thread (see `Network::run`).
//!
//! Results never depend on this: every parallel path gives the same bits
//! as the sequential one (`tests/determinism.rs`).
//!
//! For applications that build their own pool: pinning worker `i` to core
//! `i` (e.g. with the `core_affinity` crate in
//! `rayon::ThreadPoolBuilder::start_handler`, as the CLI does) keeps the
//! workers on separate cores.
//!
//! ```
//! // A many-core machine where waking a worker is cheap:
//! spikeflow::parallel::set_threshold_scale(0.25)?;
//! # spikeflow::parallel::set_threshold_scale(1.0)?;
//! # Ok::<(), spikeflow::Error>(())
//! ```

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The scale as `f32` bits (1.0 by default).
static SCALE: AtomicU32 = AtomicU32::new(0x3f80_0000);

/// Scales every threshold of work above which a step's region runs in
/// parallel (default 1; smaller goes parallel sooner, 0 always when the pool
/// has more than one thread). Applies to the whole process.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `scale` is finite and ≥ 0.
pub fn set_threshold_scale(scale: f32) -> Result<()> {
    if !(scale.is_finite() && scale >= 0.0) {
        return Err(Error::param(
            "parallel threshold scale",
            format!("must be finite and ≥ 0, got {scale}"),
        ));
    }
    SCALE.store(scale.to_bits(), Ordering::Relaxed);
    Ok(())
}

/// The current scale.
pub fn threshold_scale() -> f32 {
    f32::from_bits(SCALE.load(Ordering::Relaxed))
}

/// Parallel regions entered so far, in this process.
static REGIONS: AtomicU64 = AtomicU64::new(0);

/// How many parallel regions the engine has entered in this process so far
/// (every network, every thread). A region entered from a thread outside
/// the pool costs two thread hand-overs (the job is injected and the thread
/// sleeps until it is done); a caller that steps a network on its own
/// thread can compare the counter before and after a run to decide where
/// to run the next one (the Python package hands runs that enter regions
/// to a pool worker).
pub fn regions_entered() -> u64 {
    REGIONS.load(Ordering::Relaxed)
}

/// Whether `work` (in the call site's unit) is worth a parallel region
/// whose unscaled threshold is `threshold` (counted when it is).
#[inline]
pub(crate) fn worth(work: usize, threshold: usize) -> bool {
    let yes = rayon::current_num_threads() > 1
        && work as f64 >= threshold as f64 * f64::from(threshold_scale());
    if yes {
        REGIONS.fetch_add(1, Ordering::Relaxed);
    }
    yes
}

/// Tasks per pool thread when rows of uneven cost are spread. More than
/// one, so that when a worker wakes late the thread that started first can
/// take over part of its share (a `rayon::join` half not yet stolen runs on
/// the thread that pushed it). Equal-cost tasks beat rayon's split of the
/// row range on W2; 1, 4 and 16 tasks per thread measured alike
/// (`docs/performance.md`).
const TASKS_PER_THREAD: usize = 4;

/// Runs `f(row, i)` for the rows `i` of `rows` (ascending, distinct) of the
/// row-major matrix `w` (`width` values per row), in parallel tasks of about
/// equal `cost` (which sums to `total` over `rows`). `ends`: storage reused
/// between calls for the tasks' bounds.
pub(crate) fn for_rows_balanced(
    w: &mut [f32],
    width: usize,
    rows: &[u32],
    cost: impl Fn(u32) -> usize,
    total: usize,
    ends: &mut Vec<usize>,
    f: &(impl Fn(&mut [f32], usize) + Sync),
) {
    let tasks = rayon::current_num_threads() * TASKS_PER_THREAD;
    ends.clear();
    let mut acc = 0;
    for (k, &i) in rows.iter().enumerate() {
        acc += cost(i);
        // Close a task once the tasks so far hold their share of the total.
        if acc * tasks >= total * (ends.len() + 1) && ends.len() + 1 < tasks {
            ends.push(k + 1);
        }
    }
    if ends.last() != Some(&rows.len()) {
        ends.push(rows.len());
    }
    run_tasks(w, width, 0, rows, 0, ends, f);
}

/// Tasks `ends` (row list indices, from `start`) over the rows `first..`
/// that `w` holds; halves recursively with `rayon::join`.
fn run_tasks(
    w: &mut [f32],
    width: usize,
    first: usize,
    rows: &[u32],
    start: usize,
    ends: &[usize],
    f: &(impl Fn(&mut [f32], usize) + Sync),
) {
    match ends {
        [] => {}
        [end] => {
            for &i in &rows[start..*end] {
                let r = i as usize - first;
                f(&mut w[r * width..(r + 1) * width], i as usize);
            }
        }
        _ => {
            let (a, b) = ends.split_at(ends.len() / 2);
            // Ends increase to `rows.len()`, so `b` starts at a row.
            let mid = a[a.len() - 1];
            let split = rows[mid] as usize;
            let (wa, wb) = w.split_at_mut((split - first) * width);
            rayon::join(
                || run_tasks(wa, width, first, rows, start, a, f),
                || run_tasks(wb, width, split, rows, mid, b, f),
            );
        }
    }
}

/// Runs `f(block, first)` on column blocks of `rows` (row slices of equal
/// length `width`): one block per pool thread, each `first..first +
/// block[0].len()` of every row, in parallel (block edges on multiples of
/// 16 columns). Every element belongs to one block, so a loop that writes
/// each element from its own column gives the same bits for any split.
pub(crate) fn for_column_blocks(
    rows: Vec<&mut [f32]>,
    width: usize,
    f: &(impl Fn(&mut [&mut [f32]], usize) + Sync),
) {
    let tasks = rayon::current_num_threads().max(1);
    column_blocks(rows, 0, width, tasks, f);
}

fn column_blocks(
    mut rows: Vec<&mut [f32]>,
    first: usize,
    width: usize,
    tasks: usize,
    f: &(impl Fn(&mut [&mut [f32]], usize) + Sync),
) {
    let mid = (width * (tasks / 2) / tasks.max(1)).next_multiple_of(16);
    if tasks < 2 || mid == 0 || mid >= width {
        f(&mut rows, first);
        return;
    }
    let mut right = Vec::with_capacity(rows.len());
    let left: Vec<&mut [f32]> = rows
        .into_iter()
        .map(|r| {
            let (a, b) = r.split_at_mut(mid);
            right.push(b);
            a
        })
        .collect();
    let half = tasks / 2;
    rayon::join(
        || column_blocks(left, first, mid, half, f),
        || column_blocks(right, first + mid, width - mid, tasks - half, f),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_worth_entering_is_counted() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            // Other tests may count regions meanwhile: only a lower bound.
            let before = regions_entered();
            assert!(worth(usize::MAX / 2, 1));
            assert!(regions_entered() > before);
        });
    }

    #[test]
    fn balanced_rows_visit_each_row_once_with_its_own_values() {
        let (width, n) = (3, 40);
        let rows: Vec<u32> = (0..n as u32).filter(|i| i % 3 != 1).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let mut w: Vec<f32> = (0..n * width).map(|v| v as f32).collect();
        let mut ends = Vec::new();
        // Uneven costs: one heavy row, the rest light.
        let cost = |i: u32| if i == 9 { 100 } else { 1 + i as usize % 4 };
        let total = rows.iter().map(|&i| cost(i)).sum();
        pool.install(|| {
            for_rows_balanced(&mut w, width, &rows, cost, total, &mut ends, &|row, i| {
                assert_eq!(row[0], (i * width) as f32, "row {i} got another row");
                for v in row.iter_mut() {
                    *v = -*v - 1.0;
                }
            })
        });
        assert!(ends.len() > 2 && ends.len() <= 2 * TASKS_PER_THREAD);
        for i in 0..n {
            for c in 0..width {
                let v = (i * width + c) as f32;
                let want = if i % 3 != 1 { -v - 1.0 } else { v };
                assert_eq!(w[i * width + c], want, "row {i}");
            }
        }
        // No rows at all: nothing to do.
        for_rows_balanced(&mut w, width, &[], cost, 0, &mut ends, &|_, _| panic!());
    }

    #[test]
    fn column_blocks_cover_every_column_once() {
        let (width, n_rows) = (70, 3);
        for threads in [1, 2, 3, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut data = vec![0.0f32; width * n_rows];
            pool.install(|| {
                let rows: Vec<&mut [f32]> = data.chunks_mut(width).collect();
                for_column_blocks(rows, width, &|block, first| {
                    let len = block[0].len();
                    for row in block.iter_mut() {
                        assert_eq!(row.len(), len);
                        for (j, x) in row.iter_mut().enumerate() {
                            *x += (first + j) as f32 + 1.0;
                        }
                    }
                })
            });
            for row in data.chunks(width) {
                for (j, &x) in row.iter().enumerate() {
                    assert_eq!(x, j as f32 + 1.0, "{threads} threads, column {j}");
                }
            }
        }
    }

    #[test]
    fn bad_scales_are_errors_and_change_nothing() {
        let before = threshold_scale();
        for bad in [f32::NAN, -1.0, f32::INFINITY] {
            assert!(set_threshold_scale(bad).is_err());
        }
        assert_eq!(threshold_scale(), before);
    }
}
