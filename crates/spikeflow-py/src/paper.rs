//! `spikeflow.models.DiehlCookPaper`: Diehl & Cook (2015) as the paper and
//! the authors' script build it ([`spikeflow::models::diehl_cook_paper`]),
//! with its own presentation protocol (350 ms of input, 150 ms of rest,
//! intensity raised until the excitatory layer fires 5 spikes, input
//! weights normalised before every showing while learning).

use crate::build::Args;
use crate::extras::nu;
use crate::{guard, to_py};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikeflow::models::diehl_cook_paper::{DiehlCookPaper, PaperPresenter};
use spikeflow::models::Presenter;
use spikeflow::nodes::ConductanceLifNodes;

/// The paper's network and protocol; one image at a time.
#[pyclass(module = "spikeflow._native")]
pub(crate) struct PaperModel {
    p: PaperPresenter,
}

#[pymethods]
impl PaperModel {
    /// Builds the model from keyword arguments (every one optional; the
    /// library's defaults otherwise).
    #[new]
    fn new(kwargs: Bound<'_, PyDict>) -> PyResult<Self> {
        let a = Args {
            what: "DiehlCookPaper".into(),
            d: kwargs,
        };
        let d = DiehlCookPaper::default();
        let euler_limit = a.f32_or("euler_limit", d.excitatory.euler_limit)?;
        let delay = match a.floats("input_delay_ms")?.as_deref() {
            None => d.input_delay_ms,
            Some([lo, hi]) => (*lo, *hi),
            Some(v) => {
                return Err(PyValueError::new_err(format!(
                    "DiehlCookPaper: input_delay_ms must be (low, high), got {} values",
                    v.len()
                )))
            }
        };
        let m = DiehlCookPaper {
            n_neurons: a.usize_or("n_neurons", d.n_neurons)?,
            n_inputs: a.usize_or("n_inputs", d.n_inputs)?,
            seed: a.usize_or("seed", 0)? as u64,
            dt: a.f32_or("dt", d.dt)?,
            exposure_ms: a.f32_or("exposure_ms", d.exposure_ms)?,
            rest_ms: a.f32_or("rest_ms", d.rest_ms)?,
            intensity: a.f32_or("intensity", d.intensity)?,
            min_spikes: a.f32_or("min_spikes", d.min_spikes)?,
            max_intensity: a.f32_or("max_intensity", d.max_intensity)?,
            norm: a.f32_or("norm", d.norm)?,
            nu: nu(&a, d.nu)?,
            wmax: a.f32_or("wmax", d.wmax)?,
            init_scale: a.f32_or("init_scale", d.init_scale)?,
            input_delay_ms: delay,
            exc_to_inh: a.f32_or("exc_to_inh", d.exc_to_inh)?,
            inh_to_exc: a.f32_or("inh_to_exc", d.inh_to_exc)?,
            arrival_time_stdp: a.bool_or("arrival_time_stdp", d.arrival_time_stdp)?,
            closed_form_rest: a.bool_or("closed_form_rest", d.closed_form_rest)?,
            closed_form_training_rest: a
                .bool_or("closed_form_training_rest", d.closed_form_training_rest)?,
            excitatory: ConductanceLifNodes {
                euler_limit,
                ..d.excitatory.clone()
            },
            inhibitory: ConductanceLifNodes {
                euler_limit,
                ..d.inhibitory.clone()
            },
            ..d
        };
        let p = guard("DiehlCookPaper", || m.build().map_err(to_py))?;
        Ok(PaperModel { p })
    }

    /// Shows one image (`n_inputs` values in [0, 1], any shape) with
    /// learning on or off and returns the excitatory spike counts of the
    /// accepted presentation (float32 `[n_neurons]`). Releases the GIL.
    fn present<'py>(
        &mut self,
        py: Python<'py>,
        image: PyReadonlyArrayDyn<'_, f32>,
        learning: bool,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let pixels: Vec<f32> = image.as_array().iter().copied().collect();
        if let Some(bad) = pixels.iter().find(|v| !(0.0..=1.0).contains(*v)) {
            return Err(PyValueError::new_err(format!(
                "DiehlCookPaper.present: pixel values must lie in [0, 1] (got {bad}); \
                 divide 0…255 images by 255"
            )));
        }
        let p = &mut self.p;
        let counts = py.detach(|| {
            guard("DiehlCookPaper.present", || {
                p.present(&pixels, learning).map_err(to_py)
            })
        })?;
        Ok(PyArray1::from_vec(py, counts))
    }

    /// A connection's weights (`"X -> Ae"`: `[n_inputs, n_neurons]`).
    fn weights<'py>(
        &self,
        py: Python<'py>,
        connection: &str,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let t = self.p.network().weights_tensor(connection).map_err(to_py)?;
        let a = PyArray1::from_vec(py, t.data().to_vec());
        a.reshape(t.shape().to_vec())
    }

    /// A population's state variable (`"v"`, `"theta"`, `"ge"`, …), a copy.
    fn variable<'py>(
        &self,
        py: Python<'py>,
        population: &str,
        name: &str,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let p = self.p.network().population(population).map_err(to_py)?;
        let v = p.variable(name).or_else(|| p.core().variable(name));
        match v {
            Some(v) => Ok(PyArray1::from_slice(py, v)),
            None => Err(PyKeyError::new_err(format!(
                "DiehlCookPaper.variable: population {population:?} has no variable {name:?} \
                 (it has {:?})",
                p.variable_names()
            ))),
        }
    }

    /// Presentations so far, repeats at a raised intensity included.
    #[getter]
    fn presentations(&self) -> u64 {
        self.p.presentations()
    }

    /// The intensity the last accepted presentation used.
    #[getter]
    fn last_intensity(&self) -> f32 {
        self.p.last_intensity()
    }

    /// The names of the layers and of the connections.
    #[getter]
    fn names(&self) -> (Vec<String>, Vec<String>) {
        let net = self.p.network();
        (
            net.population_names().to_vec(),
            net.connection_names()
                .into_iter()
                .map(str::to_string)
                .collect(),
        )
    }

    fn __repr__(&self) -> String {
        let n = self
            .p
            .network()
            .population("Ae")
            .map_or(0, |p| p.core().n());
        format!("DiehlCookPaper(n_neurons={n})")
    }
}
