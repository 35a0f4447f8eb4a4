//! The rayon pool the commands run on, one worker per core.

use anyhow::{Context, Result};

/// Builds the global pool with `threads` workers (0: one per core) and
/// pins worker `i` to the `i`-th core when there are enough cores; returns
/// whether it pinned them.
///
/// Why pin: on the 2-core VMs we measure on, Linux often woke both
/// workers on the same core while the other stayed idle (seen with
/// `/proc/thread-self/stat`), so a parallel region ran at the speed of one
/// core, or slower, for milliseconds at a time. OpenMP runtimes avoid this
/// by spinning between regions; rayon's workers sleep, so they are pinned.
pub fn init(threads: usize) -> Result<bool> {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let threads = if threads == 0 {
        cores.len().max(1)
    } else {
        threads
    };
    let pin = cores.len() >= threads && threads > 1;
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .start_handler(move |i| {
            if pin {
                // Best effort: an unpinned worker still computes the same.
                core_affinity::set_for_current(cores[i]);
            }
        })
        .build_global()
        .context("setting up the thread pool")?;
    Ok(pin)
}
