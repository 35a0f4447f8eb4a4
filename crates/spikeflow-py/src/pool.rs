//! `spikeflow.set_num_threads(n, pin=False)`: the global rayon pool the
//! engine runs on, built once.
//!
//! Pinning (worker `i` on core `i`, as the CLI does, see
//! `spikeflow-cli/src/pool.rs`) measured faster on 2-core VMs, where Linux
//! often woke both workers on the same core. It is opt-in here: several
//! Python processes each pinning their workers to cores 0..n would all
//! share the same cores while the others stay idle.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::sync::Mutex;

/// The settings the pool was built with here (`None`: not built by us).
static BUILT: Mutex<Option<(usize, bool)>> = Mutex::new(None);

/// Builds the global thread pool with `n` workers (0: one per core), pinned
/// to cores 0..n when `pin` (and the machine has that many cores). Call it
/// before the first run; calling it again with the same settings does
/// nothing, with other settings raises `RuntimeError` (the pool cannot be
/// rebuilt). Returns whether the workers were pinned.
#[pyfunction]
#[pyo3(signature = (n, pin=false))]
pub(crate) fn set_num_threads(n: usize, pin: bool) -> PyResult<bool> {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let n = if n == 0 { cores.len().max(1) } else { n };
    let pinned = pin && cores.len() >= n && n > 1;
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((have_n, have_pin)) = *built {
        if (have_n, have_pin) == (n, pin) {
            return Ok(pinned);
        }
        return Err(PyRuntimeError::new_err(format!(
            "set_num_threads({n}, pin={}): the thread pool exists already with {have_n} \
             threads, pin={} (it is built once per process)",
            py_bool(pin),
            py_bool(have_pin)
        )));
    }
    if n > 4096 {
        return Err(PyValueError::new_err(format!(
            "set_num_threads: {n} threads is too many"
        )));
    }
    let r = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        // The step loop runs on a worker (engine.rs): give it the main
        // thread's usual stack rather than the 2 MiB of a spawned thread.
        .stack_size(8 << 20)
        .start_handler(move |i| {
            if pinned {
                // Best effort: an unpinned worker still computes the same.
                core_affinity::set_for_current(cores[i]);
            }
        })
        .build_global();
    match r {
        Ok(()) => {
            *built = Some((n, pin));
            Ok(pinned)
        }
        Err(_) => {
            let have = rayon::current_num_threads();
            if have == n && !pin {
                *built = Some((n, pin));
                return Ok(false);
            }
            Err(PyRuntimeError::new_err(format!(
                "set_num_threads({n}, pin={}): the thread pool exists already with {have} \
                 unpinned threads (a network ran before set_num_threads, or \
                 RAYON_NUM_THREADS set it); call it first, once per process",
                py_bool(pin)
            )))
        }
    }
}

/// The number of worker threads of the global pool (building it with the
/// default, one per core, if it does not exist yet).
#[pyfunction]
pub(crate) fn get_num_threads() -> usize {
    rayon::current_num_threads()
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}
