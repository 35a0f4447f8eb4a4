//! The library's ready-made models, IDX reader and label read-out, for
//! `spikeflow.models`, `spikeflow.datasets` and `spikeflow.evaluation`.

use crate::build::Args;
use crate::{guard, to_py};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyNotImplementedError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikeflow::evaluation;
use spikeflow::learning::Reduction;
use spikeflow::models::{
    DiehlAndCook2015, DiehlAndCook2015v2, IncreasingInhibitionNetwork, LocallyConnectedNetwork,
    TwoLayerNetwork,
};
use spikeflow::Network;
use std::path::Path;

fn reduction(a: &Args<'_>) -> PyResult<Reduction> {
    match a.str_or("reduction", "mean")?.as_str() {
        "mean" => Ok(Reduction::Mean),
        "sum" => Ok(Reduction::Sum),
        other => Err(PyNotImplementedError::new_err(format!(
            "{}: reduction {other:?} (spikeflow supports mean and sum)",
            a.what
        ))),
    }
}

pub(crate) fn nu(a: &Args<'_>, d: (f32, f32)) -> PyResult<(f32, f32)> {
    Ok(match a.floats("nu")?.as_deref() {
        None => d,
        Some([x]) => (*x, *x),
        Some([p, q]) => (*p, *q),
        Some(v) => {
            return Err(PyTypeError::new_err(format!(
                "{}: nu must be a number or a pair, got {} values",
                a.what,
                v.len()
            )))
        }
    })
}

/// `DiehlAndCook2015`'s parameters from `a` (every key optional).
fn diehl_cook(a: &Args<'_>) -> PyResult<DiehlAndCook2015> {
    let d = DiehlAndCook2015::default();
    Ok(DiehlAndCook2015 {
        n_inpt: a.usize_or("n_inpt", d.n_inpt)?,
        inpt_shape: a.usizes("inpt_shape")?,
        n_neurons: a.usize_or("n_neurons", d.n_neurons)?,
        exc: a.f32_or("exc", d.exc)?,
        inh: a.f32_or("inh", d.inh)?,
        dt: a.f32_or("dt", d.dt)?,
        nu: nu(a, d.nu)?,
        reduction: reduction(a)?,
        wmin: a.f32_or("wmin", d.wmin)?,
        wmax: a.f32_or("wmax", d.wmax)?,
        norm: a.f32_or("norm", d.norm)?,
        theta_plus: a.f32_or("theta_plus", d.theta_plus)?,
        tc_theta_decay: a.f32_or("tc_theta_decay", d.tc_theta_decay)?,
        inh_thresh: a.f32_or("inh_thresh", d.inh_thresh)?,
        exc_thresh: a.f32_or("exc_thresh", d.exc_thresh)?,
        batch_size: a.usize_or("batch_size", d.batch_size)?,
        seed: a.usize_or("seed", 0)? as u64,
        fast_lateral: a.bool_or("fast_lateral", d.fast_lateral)?,
    })
}

/// Builds the library model `kind` from its arguments.
pub(crate) fn build_model(kind: &str, d: &Bound<'_, PyDict>) -> PyResult<Network> {
    let a = Args {
        what: kind.to_string(),
        d: d.clone(),
    };
    let built = match kind {
        "DiehlAndCook2015" => {
            let m = diehl_cook(&a)?;
            guard("model", || m.build().map_err(to_py))
        }
        "DiehlAndCook2015v2" => {
            let m = DiehlAndCook2015v2 {
                params: diehl_cook(&a)?,
            };
            guard("model", || m.build().map_err(to_py))
        }
        "TwoLayerNetwork" => {
            let d = TwoLayerNetwork::default();
            let m = TwoLayerNetwork {
                n_inpt: a.usize_or("n_inpt", d.n_inpt)?,
                n_neurons: a.usize_or("n_neurons", d.n_neurons)?,
                dt: a.f32_or("dt", d.dt)?,
                nu: nu(&a, d.nu)?,
                reduction: reduction(&a)?,
                wmin: a.f32_or("wmin", d.wmin)?,
                wmax: a.f32_or("wmax", d.wmax)?,
                norm: a.f32_or("norm", d.norm)?,
                batch_size: a.usize_or("batch_size", d.batch_size)?,
                seed: a.usize_or("seed", 0)? as u64,
            };
            guard("model", || m.build().map_err(to_py))
        }
        "IncreasingInhibitionNetwork" => {
            let d = IncreasingInhibitionNetwork::default();
            let m = IncreasingInhibitionNetwork {
                params: diehl_cook(&a)?,
                start_inhib: a.f32_or("start_inhib", d.start_inhib)?,
                max_inhib: a.f32_or("max_inhib", d.max_inhib)?,
            };
            guard("model", || m.build().map_err(to_py))
        }
        "LocallyConnectedNetwork" => {
            let d = LocallyConnectedNetwork::default();
            let shape = a.usizes("input_shape")?.unwrap_or(vec![28, 28]);
            let [h, w] = shape[..] else {
                return Err(PyValueError::new_err(format!(
                    "{kind}: input_shape must be (height, width), got {shape:?}"
                )));
            };
            let m = LocallyConnectedNetwork {
                params: diehl_cook(&a)?,
                input_shape: (h, w),
                kernel_size: a.usize_or("kernel_size", d.kernel_size)?,
                stride: a.usize_or("stride", d.stride)?,
                n_filters: a.usize_or("n_filters", d.n_filters)?,
                inh: a.f32_or("inh", d.inh)?,
                norm: a.f32_or("norm", d.norm)?,
            };
            guard("model", || m.build().map_err(to_py))
        }
        other => Err(PyNotImplementedError::new_err(format!(
            "model {other} is not available"
        ))),
    }?;
    Ok(built)
}

/// An IDX file (raw or gzip) as a uint8 array of its dimensions
/// (`spikeflow::datasets::idx::read_idx`).
#[pyfunction]
pub fn read_idx<'py>(py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
    let a = py.detach(|| {
        guard("read_idx", || {
            spikeflow::datasets::idx::read_idx(Path::new(path)).map_err(to_py)
        })
    })?;
    let dims = a.dims().to_vec();
    PyArray1::from_vec(py, a.into_data()).reshape(dims)
}

/// Counts `[samples, neurons]` (float32, C order).
fn counts(c: &PyReadonlyArrayDyn<'_, f32>) -> PyResult<(Vec<f32>, usize, usize)> {
    let s = c.shape();
    if s.len() != 2 {
        return Err(PyValueError::new_err(format!(
            "spike counts must be [samples, neurons], got shape {s:?}"
        )));
    }
    Ok((c.as_array().iter().copied().collect(), s[0], s[1]))
}

/// `spikeflow::evaluation::assign_labels` on counts `[samples, neurons]`:
/// `(assignments int32, proportions, rates)`.
#[pyfunction]
#[pyo3(signature = (counts_, labels, n_labels, rates=None, alpha=1.0))]
#[allow(clippy::type_complexity)]
pub fn assign_labels<'py>(
    py: Python<'py>,
    counts_: PyReadonlyArrayDyn<'py, f32>,
    labels: Vec<u8>,
    n_labels: usize,
    rates: Option<PyReadonlyArrayDyn<'py, f32>>,
    alpha: f32,
) -> PyResult<(
    Bound<'py, PyArrayDyn<i32>>,
    Bound<'py, PyArrayDyn<f32>>,
    Bound<'py, PyArrayDyn<f32>>,
)> {
    let (c, s, n) = counts(&counts_)?;
    let r: Option<Vec<f32>> = rates.map(|r| r.as_array().iter().copied().collect());
    let a = guard("assign_labels", || {
        evaluation::assign_labels(&c, s, n, &labels, n_labels, r.as_deref(), alpha).map_err(to_py)
    })?;
    Ok((
        PyArray1::from_vec(py, a.assignments).reshape(vec![n])?,
        PyArray1::from_vec(py, a.proportions).reshape(vec![n, n_labels])?,
        PyArray1::from_vec(py, a.rates).reshape(vec![n, n_labels])?,
    ))
}

/// `spikeflow::evaluation::all_activity`: one prediction per sample (−1: none).
#[pyfunction]
#[pyo3(name = "all_activity")]
pub fn all_activity_<'py>(
    py: Python<'py>,
    counts_: PyReadonlyArrayDyn<'py, f32>,
    assignments: Vec<i32>,
    n_labels: usize,
) -> PyResult<Bound<'py, PyArray1<i32>>> {
    let (c, s, n) = counts(&counts_)?;
    let p = guard("all_activity", || {
        evaluation::all_activity(&c, s, n, &assignments, n_labels).map_err(to_py)
    })?;
    Ok(PyArray1::from_vec(py, p))
}

/// `spikeflow::evaluation::proportion_weighting`.
#[pyfunction]
#[pyo3(name = "proportion_weighting")]
pub fn proportion_weighting_<'py>(
    py: Python<'py>,
    counts_: PyReadonlyArrayDyn<'py, f32>,
    assignments: Vec<i32>,
    proportions: PyReadonlyArrayDyn<'py, f32>,
    n_labels: usize,
) -> PyResult<Bound<'py, PyArray1<i32>>> {
    let (c, s, n) = counts(&counts_)?;
    let props: Vec<f32> = proportions.as_array().iter().copied().collect();
    let p = guard("proportion_weighting", || {
        evaluation::proportion_weighting(&c, s, n, &assignments, &props, n_labels).map_err(to_py)
    })?;
    Ok(PyArray1::from_vec(py, p))
}
