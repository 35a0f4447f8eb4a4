//! When the engine spreads a step's work over the rayon pool.
//!
//! Every parallel region costs a fork/join. On the 2-core virtual machines
//! spikeflow is measured on that is tens of microseconds once the pool's
//! threads have gone to sleep (and, unless the workers are pinned to cores,
//! Linux sometimes wakes them on the same core), more than many per-step
//! regions' work: with
//! the earlier, lower thresholds two threads ran W4 (batch 32, N = 100) at
//! 0.59 ms per sample against 0.38 ms for one, and W1 n = 2500 at 0.085 s
//! per simulated second against 0.055 s once its propagation stayed on one
//! thread. So each call site compares its work with a threshold measured
//! there, and [`set_threshold_scale`] scales them all.
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
use std::sync::atomic::{AtomicU32, Ordering};

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

/// Whether `work` (in the call site's unit) is worth a parallel region
/// whose unscaled threshold is `threshold`.
#[inline]
pub(crate) fn worth(work: usize, threshold: usize) -> bool {
    rayon::current_num_threads() > 1
        && work as f64 >= threshold as f64 * f64::from(threshold_scale())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_scales_are_errors_and_change_nothing() {
        let before = threshold_scale();
        for bad in [f32::NAN, -1.0, f32::INFINITY] {
            assert!(set_threshold_scale(bad).is_err());
        }
        assert_eq!(threshold_scale(), before);
    }
}
