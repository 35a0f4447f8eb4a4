//! [`Engine`]: a built network as Python sees it.

use crate::build::{add_connection, add_layer, Args};
use crate::{guard, to_py};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikeflow::monitor::MonitorSpec;
use spikeflow::{Cancel, Mask, Network, Reward, RunInput, RunOptions, SpikeRaster, Tensor};
use std::sync::mpsc;
use std::time::Duration;

/// How often a waiting `run` lets Python handle its signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(5);

/// A float32 NumPy array of `shape` holding `data`.
fn array<'py>(
    py: Python<'py>,
    shape: Vec<usize>,
    data: Vec<f32>,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    PyArray1::from_vec(py, data).reshape(shape)
}

/// One run input, owned so that the GIL can be released while it is read.
enum Owned {
    Values(Tensor),
    Spikes(SpikeRaster),
}

fn owned(name: &str, a: &Bound<'_, PyAny>) -> PyResult<Owned> {
    // A C-contiguous array is copied as one slice (a memcpy); others element
    // by element.
    if let Ok(x) = a.extract::<PyReadonlyArrayDyn<'_, f32>>() {
        let data = match x.as_slice() {
            Ok(s) => s.to_vec(),
            Err(_) => x.as_array().iter().copied().collect(),
        };
        let t = Tensor::new(x.shape().to_vec(), data);
        return t.map(Owned::Values).map_err(to_py);
    }
    if let Ok(x) = a.extract::<PyReadonlyArrayDyn<'_, bool>>() {
        let data = match x.as_slice() {
            Ok(s) => s.to_vec(),
            Err(_) => x.as_array().iter().copied().collect(),
        };
        let r = SpikeRaster::new(x.shape().to_vec(), data);
        return r.map(Owned::Spikes).map_err(to_py);
    }
    Err(PyTypeError::new_err(format!(
        "input {name:?}: expected a float32 or bool NumPy array"
    )))
}

fn mask(m: (Vec<Vec<usize>>, bool)) -> Mask {
    let (mut v, per_step) = m;
    if per_step {
        Mask::PerStep(v)
    } else {
        Mask::Always(v.pop().unwrap_or_default())
    }
}

/// Runs `work` (a network run using `cancel`) on a worker of the global
/// pool while this thread, the caller's and without the GIL, waits for it
/// and every [`SIGNAL_POLL`] takes the GIL to let Python run its signal
/// handlers (`PyErr_CheckSignals`, which only does something on the main
/// thread). When a handler raises (Ctrl-C: `KeyboardInterrupt`), the cancel
/// flag stops the run after its current step and that exception is
/// returned; the network keeps the steps done (see `spikeflow::Cancel`).
///
/// Why a worker: the step loop cannot call into Python itself, since in
/// lanes it runs on several pool threads at once. The step loop then runs
/// on a pool worker, as the CLI runs it (`spikeflow-cli/src/pool.rs`).
fn run_interruptible(work: impl FnOnce() -> PyResult<()> + Send, cancel: &Cancel) -> PyResult<()> {
    let (tx, rx) = mpsc::channel();
    let mut raised: Option<PyErr> = None;
    let result = rayon::in_place_scope(|s| {
        s.spawn(move |_| {
            let _ = tx.send(work());
        });
        loop {
            match rx.recv_timeout(SIGNAL_POLL) {
                Ok(r) => return r,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if raised.is_none() {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            cancel.cancel();
                            raised = Some(e);
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(
                        "spikeflow internal error in run (please report): the run ended without a result",
                    ))
                }
            }
        }
    });
    match raised {
        Some(e) => Err(e),
        None => result,
    }
}

/// A network built from BindsNET-style descriptions; the Python
/// `spikeflow.network.Network` drives it.
#[pyclass(module = "spikeflow._native")]
pub struct Engine {
    net: Network,
    /// Where rules written in Python leave the exception that stopped a run.
    rule_errors: Vec<crate::rules::ErrorSlot>,
    /// Seconds per step of the last run of more than one step, to tell
    /// short runs (see [`SHORT_RUN`]).
    step_seconds: Option<f64>,
    /// Whether that run entered parallel regions (each costs two thread
    /// hand-overs when entered from the calling thread).
    entered_regions: bool,
}

/// A run expected (from the last run's time per step) to take at most this
/// long, and whose network entered no parallel region in the last run,
/// steps on the calling thread, without the hand-over to a pool worker and
/// back: Ctrl-C is then seen when it returns. Measured on the 2-core VM,
/// builds alternating: the Python Diehl & Cook loop (N = 100, 0.5 ms runs,
/// no region) 1.37–1.48× the CLI's time per image with the hand-over,
/// 1.21–1.26× without; W3 at N = 400 (1 ms runs that do enter regions, one
/// injected per region from the calling thread) 1.11–1.15 ms per sample
/// with the hand-over, 1.36–1.47 without (`docs/performance.md`, "Python,
/// side by side").
const SHORT_RUN: f64 = 0.1;

#[pymethods]
impl Engine {
    /// Builds the network. `layers`: `[(name, class name, shape, kwargs)]`;
    /// `connections`: `[(source, target, class name, kwargs)]`, in insertion
    /// order. Raises `ValueError` / `KeyError` / `NotImplementedError` /
    /// `TypeError` with the library's message when anything is invalid.
    #[new]
    #[pyo3(signature = (dt, batch_size, learning, seed, layers, connections))]
    fn new(
        dt: f32,
        batch_size: usize,
        learning: bool,
        seed: u64,
        layers: Vec<(String, String, Vec<usize>, Bound<'_, PyDict>)>,
        connections: Vec<(String, String, String, Bound<'_, PyDict>)>,
    ) -> PyResult<Self> {
        let mut b = Network::builder()
            .dt(dt)
            .batch_size(batch_size)
            .learning(learning)
            .seed(seed);
        for (name, ty, shape, d) in &layers {
            let a = Args {
                what: format!("layer {name:?} ({ty})"),
                d: d.clone(),
            };
            add_layer(&mut b, name, ty, shape, &a)?;
        }
        let mut rule_errors = Vec::new();
        for (s, t, ty, d) in &connections {
            let a = Args {
                what: format!("connection {s} -> {t} ({ty})"),
                d: d.clone(),
            };
            add_connection(&mut b, s, t, ty, &a, &mut rule_errors)?;
        }
        let net = guard("build", || b.build().map_err(to_py))?;
        Ok(Engine {
            net,
            rule_errors,
            step_seconds: None,
            entered_regions: false,
        })
    }

    /// The library's ready-made model `kind` (`DiehlAndCook2015`,
    /// `DiehlAndCook2015v2`, `TwoLayerNetwork`, `IncreasingInhibitionNetwork`,
    /// `LocallyConnectedNetwork`) built from `kwargs` (the Rust fields;
    /// `seed` seeds the initial weights and the network).
    #[staticmethod]
    fn model(kind: &str, kwargs: Bound<'_, PyDict>, learning: bool) -> PyResult<Self> {
        let mut net = crate::extras::build_model(kind, &kwargs)?;
        net.set_learning(learning);
        Ok(Engine {
            net,
            rule_errors: Vec::new(),
            step_seconds: None,
            entered_regions: false,
        })
    }

    /// Records `vars` of `target` (a layer name or `"X -> Y"`); `time` keeps
    /// only the last `time` steps.
    #[pyo3(signature = (name, target, vars, time=None))]
    fn add_monitor(
        &mut self,
        name: &str,
        target: &str,
        vars: Vec<String>,
        time: Option<usize>,
    ) -> PyResult<()> {
        let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
        let mut spec = MonitorSpec::new(target, &vars);
        if let Some(t) = time {
            spec = spec.capacity(t);
        }
        self.net.add_monitor(name, spec).map_err(to_py)
    }

    /// Runs `steps` steps with the GIL released. `inputs`: `[(layer, array
    /// [steps, batch, *shape])]` (float32 or bool); `reward`: `(kind, values,
    /// shape)` with kind `scalar`, `per_row`, `per_step`, `per_step_row`;
    /// `clamp` / `unclamp`: `[(layer, index lists, per_step)]`; `inject_v`:
    /// `[(layer, float32 array [n] or [steps, n])]`.
    /// `masks`: `[(connection, bool mask in BindsNET's weight layout)]`
    /// (BindsNET's `masks=`: `w[mask] = 0` after every step's update).
    #[pyo3(signature = (inputs, steps, reward=None, clamp=vec![], unclamp=vec![], inject_v=vec![], one_step=false, masks=vec![]))]
    #[allow(clippy::type_complexity)]
    fn run(
        &mut self,
        py: Python<'_>,
        inputs: Vec<(String, Bound<'_, PyAny>)>,
        steps: usize,
        reward: Option<(String, Vec<f32>, Vec<usize>)>,
        clamp: Vec<(String, Vec<Vec<usize>>, bool)>,
        unclamp: Vec<(String, Vec<Vec<usize>>, bool)>,
        inject_v: Vec<(String, PyReadonlyArrayDyn<'_, f32>)>,
        one_step: bool,
        masks: Vec<(String, Vec<bool>)>,
    ) -> PyResult<()> {
        // Masks come in BindsNET's layout; the engine takes one flag per
        // stored weight (every topology).
        let mut stored_masks = Vec::with_capacity(masks.len());
        for (name, m) in &masks {
            let shape = self
                .net
                .weights_tensor(name)
                .map_err(to_py)?
                .shape()
                .to_vec();
            let flags = self
                .net
                .weight_mask_from_layout(name, &shape, m)
                .map_err(to_py)?;
            stored_masks.push((name.clone(), flags));
        }
        let masks = stored_masks;
        let data: Vec<(String, Owned)> = inputs
            .iter()
            .map(|(n, a)| Ok((n.clone(), owned(n, a)?)))
            .collect::<PyResult<_>>()?;
        let reward = match reward {
            None => Reward::None,
            Some((kind, v, shape)) => match kind.as_str() {
                "scalar" if v.len() == 1 => Reward::Scalar(v[0]),
                "per_row" => Reward::PerRow(v),
                "per_step" => Reward::PerStep(v),
                "per_step_row" => Reward::PerStepRow(Tensor::new(shape, v).map_err(to_py)?),
                other => return Err(PyValueError::new_err(format!("reward: bad kind {other:?}"))),
            },
        };
        let mut inject = Vec::new();
        for (n, a) in &inject_v {
            let t = Tensor::new(a.shape().to_vec(), a.as_array().iter().copied().collect())
                .map_err(to_py)?;
            inject.push((n.clone(), t));
        }
        let cancel = Cancel::new();
        let options = RunOptions {
            cancel: Some(cancel.clone()),
            reward,
            clamp: clamp
                .into_iter()
                .map(|(n, v, p)| (n, mask((v, p))))
                .collect(),
            unclamp: unclamp
                .into_iter()
                .map(|(n, v, p)| (n, mask((v, p))))
                .collect(),
            inject_v: inject,
            one_step,
            weight_masks: masks,
            progress: None,
        };
        let net = &mut self.net;
        let work = move || {
            guard("run", || {
                let inputs: Vec<(&str, RunInput<'_>)> = data
                    .iter()
                    .map(|(n, o)| {
                        let r = match o {
                            Owned::Values(t) => RunInput::from(t),
                            Owned::Spikes(s) => RunInput::from(s),
                        };
                        (n.as_str(), r)
                    })
                    .collect();
                net.run_inputs(&inputs, steps, &options).map_err(to_py)
            })
        };
        let short = !self.entered_regions
            && self
                .step_seconds
                .is_some_and(|s| s * steps as f64 <= SHORT_RUN);
        let started = std::time::Instant::now();
        let regions = spikeflow::parallel::regions_entered();
        let r = if steps <= 1 || short {
            // One step, or a short run: no worker hand-over; Ctrl-C is seen
            // when it returns.
            py.detach(work)
        } else {
            py.detach(|| run_interruptible(work, &cancel))
        };
        if steps > 1 && r.is_ok() {
            self.step_seconds = Some(started.elapsed().as_secs_f64() / steps as f64);
            self.entered_regions = spikeflow::parallel::regions_entered() != regions;
        }
        // A rule written in Python raised: the run stopped after that step;
        // re-raise the rule's own exception.
        for slot in &self.rule_errors {
            if let Some(e) = slot.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(e);
            }
        }
        r
    }

    /// A connection's weights in BindsNET's layout (`[n_pre, n_post]` for
    /// dense, sparse and legacy local connections, `[out, in, *kernel]` for
    /// convolutions).
    fn weights<'py>(
        &self,
        py: Python<'py>,
        connection: &str,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let t = self.net.weights_tensor(connection).map_err(to_py)?;
        array(py, t.shape().to_vec(), t.into_data())
    }

    /// Changes a parameter of a connection's rule (`a_plus`, `a_minus` of
    /// MSTDP / MSTDPET) until changed again.
    fn set_rule_param(&mut self, connection: &str, name: &str, value: f32) -> PyResult<()> {
        self.net
            .set_rule_param(connection, name, value)
            .map_err(to_py)
    }

    /// Overwrites a connection's weights, given in BindsNET's layout (every
    /// topology; a sparse or local connection keeps its structure).
    fn set_weights(&mut self, connection: &str, w: PyReadonlyArrayDyn<'_, f32>) -> PyResult<()> {
        let t = Tensor::new(w.shape().to_vec(), w.as_array().iter().copied().collect())
            .map_err(to_py)?;
        self.net.set_weights_tensor(connection, &t).map_err(to_py)
    }

    /// A layer's state variable (`s`, `v`, `x`, `theta`, `summed`, …):
    /// `[batch, *shape]`, or `[*shape]` for per-neuron values (`theta`).
    fn variable<'py>(
        &self,
        py: Python<'py>,
        layer: &str,
        var: &str,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let p = self.net.population(layer).map_err(to_py)?;
        let core = p.core();
        let v = core
            .variable(var)
            .or_else(|| p.variable(var))
            .ok_or_else(|| {
                pyo3::exceptions::PyAttributeError::new_err(format!(
                    "layer {layer:?} ({}) has no state variable {var:?}",
                    p.type_name()
                ))
            })?;
        let n = core.n();
        let mut shape = Vec::new();
        if var != "theta" && v.len() == n * self.net.batch_size() {
            shape.push(self.net.batch_size());
        } else if v.len() != n {
            return array(py, vec![v.len()], v.to_vec());
        }
        shape.extend_from_slice(core.shape());
        array(py, shape, v.to_vec())
    }

    /// Overwrites a layer's state variable (same shapes as `variable`).
    fn set_variable(
        &mut self,
        layer: &str,
        var: &str,
        value: PyReadonlyArrayDyn<'_, f32>,
    ) -> PyResult<()> {
        let p = self.net.population_mut(layer).map_err(to_py)?;
        let ty = p.type_name();
        let dst = p.variable_mut(var).ok_or_else(|| {
            PyValueError::new_err(format!(
                "layer {layer:?} ({ty}): variable {var:?} cannot be written"
            ))
        })?;
        if dst.len() != value.len() {
            return Err(PyValueError::new_err(format!(
                "layer {layer:?}: {var} holds {} values, {} given",
                dst.len(),
                value.len()
            )));
        }
        for (d, s) in dst.iter_mut().zip(value.as_array().iter()) {
            *d = *s;
        }
        Ok(())
    }

    /// A connection's internal state (`firing_rates` of pooling) or its
    /// rule's (`pre_trace`, `post_trace`, `eligibility`), flat.
    fn connection_state<'py>(
        &self,
        py: Python<'py>,
        connection: &str,
        var: &str,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let v = self
            .net
            .connection_state(connection, var)
            .map_err(to_py)?
            .to_vec();
        array(py, vec![v.len()], v)
    }

    /// Monitor `name`'s recording of `var`, `[time, *record shape]`.
    fn monitor_get<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        var: &str,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let t = self
            .net
            .monitor(name)
            .map_err(to_py)?
            .get(var)
            .map_err(to_py)?;
        array(py, t.shape().to_vec(), t.into_data())
    }

    /// Resets layer state, rule state and monitors (weights and θ are kept).
    fn reset_state(&mut self) {
        self.net.reset_state();
    }

    /// Learning on or off.
    #[setter]
    fn set_learning(&mut self, on: bool) {
        self.net.set_learning(on);
    }

    /// Whether the network learns.
    #[getter]
    fn learning(&self) -> bool {
        self.net.learning()
    }

    /// Batch size.
    #[getter]
    fn batch_size(&self) -> usize {
        self.net.batch_size()
    }

    /// Connection names (`"X -> Y"`) in insertion order.
    fn connection_names(&self) -> Vec<String> {
        self.net
            .connection_names()
            .into_iter()
            .map(String::from)
            .collect()
    }
}
