//! `spikeflow._native`: the engine behind the Python package `spikeflow`.
//!
//! The Python classes (`spikeflow.network.Network`, the node, connection,
//! monitor and learning-rule classes) hold BindsNET's constructor arguments
//! and, at the first `run`, hand them to `engine::Engine`, which builds a
//! [`spikeflow::Network`] through the library's one validation path
//! (`NetworkBuilder::build`). Nothing here re-implements behaviour: a
//! BindsNET name maps to one Rust type, and every argument the user did not
//! give comes from that type's `Default`.
//!
//! Every library error becomes a Python exception (`to_py`); a panic is
//! caught and turned into a `RuntimeError` before it can reach Python.

mod build;
mod encode;
mod engine;
mod env;
mod extras;
mod paper;
mod pool;
mod rules;

use pyo3::exceptions::{
    PyKeyError, PyNotImplementedError, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;

/// Maps a library error to the Python exception a BindsNET user expects:
/// bad parameters, shapes, rules and files → `ValueError`, unknown or
/// duplicate names → `KeyError`, features not supported → `NotImplementedError`,
/// I/O → `OSError`. The message is the library's.
pub(crate) fn to_py(e: spikeflow::Error) -> PyErr {
    use spikeflow::Error as E;
    let msg = e.to_string();
    match e {
        E::InvalidParameter { .. } | E::Shape { .. } | E::Rule { .. } | E::Format { .. } => {
            PyValueError::new_err(msg)
        }
        E::Name(_) => PyKeyError::new_err(msg),
        E::Unsupported(_) => PyNotImplementedError::new_err(msg),
        E::Io { .. } => PyOSError::new_err(msg),
        E::Interrupted { .. } => pyo3::exceptions::PyKeyboardInterrupt::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// Runs `f`, turning a panic into a `RuntimeError` (a bug in spikeflow, never
/// the user's fault) instead of letting it unwind into Python.
pub(crate) fn guard<T>(what: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let detail = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(PyRuntimeError::new_err(format!(
                "spikeflow internal error in {what} (please report): {detail}"
            )))
        }
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::Engine>()?;
    m.add_class::<paper::PaperModel>()?;
    m.add_class::<env::Env>()?;
    m.add_function(wrap_pyfunction!(encode::poisson, m)?)?;
    m.add_function(wrap_pyfunction!(encode::bernoulli, m)?)?;
    m.add_function(wrap_pyfunction!(extras::read_idx, m)?)?;
    m.add_function(wrap_pyfunction!(extras::assign_labels, m)?)?;
    m.add_function(wrap_pyfunction!(extras::all_activity_, m)?)?;
    m.add_function(wrap_pyfunction!(extras::proportion_weighting_, m)?)?;
    m.add_function(wrap_pyfunction!(pool::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(pool::get_num_threads, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
