//! Seeded spike encoders (`spikeflow.encoding`).

use crate::{guard, to_py};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use spikeflow::rng::Rng;

fn to_u8<'py>(py: Python<'py>, t: spikeflow::Tensor) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
    let shape = t.shape().to_vec();
    let data: Vec<u8> = t.data().iter().map(|&x| u8::from(x != 0.0)).collect();
    PyArray1::from_vec(py, data).reshape(shape)
}

/// Poisson spikes `[steps, *shape]` (uint8) from rates in Hz
/// (`spikeflow::encoding::poisson`).
#[pyfunction]
pub fn poisson<'py>(
    py: Python<'py>,
    datum: PyReadonlyArrayDyn<'py, f32>,
    steps: usize,
    dt: f32,
    seed: u64,
) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
    let shape = datum.shape().to_vec();
    let data = datum.as_array().iter().copied().collect::<Vec<f32>>();
    let spikes = guard("poisson", || {
        let mut rng = Rng::seed_from_u64(seed);
        spikeflow::encoding::poisson_spikes(&data, &shape, steps, dt, &mut rng).map_err(to_py)
    })?;
    let out_shape: Vec<usize> = std::iter::once(steps).chain(shape).collect();
    // bool → u8 reuses the allocation (same size and alignment).
    let data: Vec<u8> = spikes.into_iter().map(u8::from).collect();
    PyArray1::from_vec(py, data).reshape(out_shape)
}

/// Bernoulli spikes `[steps, *shape]` (uint8) with probability
/// `max_prob · datum / max(1, max(datum))` (`spikeflow::encoding::bernoulli`).
#[pyfunction]
pub fn bernoulli<'py>(
    py: Python<'py>,
    datum: PyReadonlyArrayDyn<'py, f32>,
    steps: usize,
    max_prob: f32,
    seed: u64,
) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
    let shape = datum.shape().to_vec();
    let data = datum.as_array().iter().copied().collect::<Vec<f32>>();
    let t = guard("bernoulli", || {
        let mut rng = Rng::seed_from_u64(seed);
        spikeflow::encoding::bernoulli(&data, &shape, steps, max_prob, &mut rng).map_err(to_py)
    })?;
    to_u8(py, t)
}
