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
        // The commands run on a worker (`on_worker`): give it the main
        // thread's usual stack rather than the 2 MiB of a spawned thread.
        .stack_size(8 << 20)
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

/// Runs `f` on a worker of the global pool (the caller waits).
///
/// The step loop then runs on a pinned worker, and a step's parallel region
/// is a `rayon::join` that another worker steals, instead of a job the
/// unpinned main thread injects into the pool and sleeps on until it is
/// done (two thread hand-overs per region). W2 n = 1000 with 2 threads:
/// ~7 % faster; neutral on W1, W3 and W4 within this machine's noise.
pub fn on_worker<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::scope(|_| f())
}
