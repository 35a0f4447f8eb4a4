//! Learning rules written in Python, both ways:
//!
//! * [`PySynapseRule`] — `spikeflow.learning.SynapseRule`: a library
//!   [`ArrayRule`]. The library gathers the synapses a phase touches (any
//!   topology); this glue turns the fields the rule reads into NumPy arrays,
//!   calls Python once per phase per step (taking the GIL that `run`
//!   released), and copies the returned changes back for the library to
//!   scatter, reduce, decay and clamp.
//! * [`PyConnectionRule`] — a BindsNET-style `LearningRule` subclass with
//!   `_connection_update`: a library [`ConnectionRule`] that hands Python the
//!   whole connection in BindsNET's layout and takes the new weights back.
//!
//! A Python exception is kept in an [`ErrorSlot`] and reported to the
//! library as a failed update: the run stops after that step and
//! `Engine.run` re-raises the original exception.

use numpy::ndarray::{Array2, ArrayViewD, ArrayViewMutD, IxDyn};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikeflow::learning::{
    ArrayRule, Block, ConnectionInfo, ConnectionRule, Nu, Phase, Phases, Requirements,
    SynapseBatch, Terms, WholeConnection,
};
use std::sync::{Arc, Mutex};

/// Where a rule leaves the Python exception that stopped a run.
pub(crate) type ErrorSlot = Arc<Mutex<Option<PyErr>>>;

/// Keeps `e` for `Engine.run` and returns the library's message.
fn keep(slot: &ErrorSlot, py: Python<'_>, e: PyErr) -> String {
    let msg = format!("Python rule raised {}", e.value(py));
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
    msg
}

/// Requirements named by the rule class's `requires` attribute.
fn requirements(names: &[String]) -> PyResult<Requirements> {
    let mut r = Requirements::default();
    for n in names {
        match n.as_str() {
            "pre_traces" => r.pre_traces = true,
            "additive_pre_traces" => r.additive_pre_traces = true,
            "post_traces" => r.post_traces = true,
            "finite_bounds" => r.finite_bounds = true,
            "finite_wmax" => r.finite_wmax = true,
            "reward" => r.reward = true,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "requires: unknown requirement {other:?} (pre_traces, post_traces, \
                     additive_pre_traces, finite_bounds, finite_wmax, reward)"
                )))
            }
        }
    }
    Ok(r)
}

/// The fields one phase reads, decided at build.
#[derive(Debug, Clone, Default)]
struct Reads {
    on: bool,
    fields: Vec<String>,
    /// Whether `fields` holds `w` (see [`ArrayRule::reads_weights`]).
    w: bool,
}

/// A `spikeflow.learning.SynapseRule` instance as a library [`ArrayRule`].
#[derive(Debug)]
pub(crate) struct PySynapseRule {
    obj: Py<PyAny>,
    name: String,
    req: Requirements,
    reads: [Reads; 3],
    /// Whether dense batch-1 phases are handed over as broadcastable
    /// blocks (the class's `block`, true by default).
    block: bool,
    slot: ErrorSlot,
}

impl PySynapseRule {
    /// Reads the rule's spec (`_spikeflow_spec()`: name, requirements,
    /// phases and the fields each reads).
    pub fn new(obj: &Bound<'_, PyAny>, slot: ErrorSlot) -> PyResult<Self> {
        let spec = obj.call_method0("_spikeflow_spec")?;
        let name: String = spec.get_item("name")?.extract()?;
        let req: Vec<String> = spec.get_item("requires")?.extract()?;
        let phases = spec.get_item("phases")?;
        let mut reads: [Reads; 3] = Default::default();
        for (r, key) in reads.iter_mut().zip(["pre", "post", "every_step"]) {
            let v = phases.get_item(key)?;
            if !v.is_none() {
                let fields: Vec<String> = v.extract()?;
                *r = Reads {
                    on: true,
                    w: fields.iter().any(|f| f == "w"),
                    fields,
                };
            }
        }
        let block: bool = spec.get_item("block")?.extract()?;
        Ok(PySynapseRule {
            obj: obj.clone().unbind(),
            name,
            req: requirements(&req)?,
            reads,
            block,
            slot,
        })
    }

    fn call(&self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        let (idx, phase) = phase_key(syn.phase);
        Python::attach(|py| {
            self.call_py(py, syn, &self.reads[idx].fields, phase, terms)
                .map_err(|e| keep(&self.slot, py, e))
        })
    }

    fn call_py(
        &self,
        py: Python<'_>,
        syn: &SynapseBatch<'_>,
        fields: &[String],
        phase: &str,
        terms: &mut Terms,
    ) -> PyResult<()> {
        let d = PyDict::new(py);
        let block = if self.block { syn.block() } else { None };
        let shape: Vec<usize> = match &block {
            Some(bk) => {
                block_fields(py, syn, bk, fields, &d)?;
                vec![bk.shape.0, bk.shape.1]
            }
            None => {
                flat_fields(py, syn, fields, &d)?;
                vec![syn.len()]
            }
        };
        d.set_item("n", syn.len())?;
        d.set_item("shape", pyo3::types::PyTuple::new(py, &shape)?)?;
        d.set_item("dt", syn.dt)?;
        d.set_item("phase", phase)?;
        d.set_item("batch_size", syn.reward.len())?;
        d.set_item("n_pre", syn.n_pre)?;
        d.set_item("n_post", syn.n_post)?;
        let out = self
            .obj
            .bind(py)
            .call_method1("_spikeflow_phase", (phase, d))?;
        // `_spikeflow_phase` checked dtype and shape; check again here.
        let a: PyReadonlyArrayDyn<'_, f32> = out.extract()?;
        let v = a.as_array();
        if v.len() == terms.len() && (v.ndim() == 1 || v.shape() == shape.as_slice()) {
            // Every change given: row-major, as the synapses.
            copy_into(terms.per_synapse(), &v);
            return Ok(());
        }
        // On a block, NumPy's broadcast results keep their form: `(rows,
        // 1)` is a term per source, `(1, cols)` (or `(cols,)`) one per
        // target, `(1, 1)` one for all.
        if let Some(bk) = &block {
            let s = v.shape();
            let (a0, a1) = match s.len() {
                0 => (1, 1),
                1 => (1, s[0]),
                _ if s.len() == 2 => (s[0], s[1]),
                _ => (0, 0),
            };
            let (r, c) = bk.shape;
            if a1 == c && a0 == 1 {
                copy_into(terms.per_column().expect("a block"), &v);
                return Ok(());
            }
            if a0 == r && a1 == 1 {
                copy_into(terms.per_row().expect("a block"), &v);
                return Ok(());
            }
            if (a0, a1) == (1, 1) {
                let x = v.iter().next().copied().unwrap_or(0.0);
                terms.per_row().expect("a block").fill(x);
                return Ok(());
            }
        }
        let Some(b) = v.broadcast(IxDyn(&shape)) else {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "{}.on_{phase} returned shape {:?}; expected {:?} (or broadcastable to it)",
                self.name,
                v.shape(),
                shape
            )));
        };
        ArrayViewMutD::from_shape(IxDyn(&shape), terms.per_synapse())
            .expect("one change per synapse")
            .assign(&b);
        Ok(())
    }
}

/// Copies `v`'s elements, in order, into `dst` (of the same length).
fn copy_into(dst: &mut [f32], v: &ArrayViewD<'_, f32>) {
    match v.as_slice() {
        Some(src) => dst.copy_from_slice(src),
        None => dst.iter_mut().zip(v.iter()).for_each(|(d, s)| *d = *s),
    }
}

/// A phase's index in [`PySynapseRule::reads`] and its name in Python.
fn phase_key(phase: Phase) -> (usize, &'static str) {
    match phase {
        Phase::Pre => (0, "pre"),
        Phase::Post => (1, "post"),
        Phase::EveryStep => (2, "every_step"),
    }
}

/// The fields a phase reads, one entry per synapse (1-D, length `n`).
fn flat_fields(
    py: Python<'_>,
    syn: &SynapseBatch<'_>,
    fields: &[String],
    d: &Bound<'_, PyDict>,
) -> PyResult<()> {
    let f32s = |v: Vec<f32>| PyArray1::from_vec(py, v);
    let u32s = |v: Vec<u32>| PyArray1::from_vec(py, v);
    for f in fields {
        let f = f.as_str();
        let v: Bound<'_, PyAny> = match f {
            "row" => u32s(syn.rows()).into_any(),
            "pre" => u32s(syn.pres()).into_any(),
            "post" => u32s(syn.posts()).into_any(),
            "weight" => u32s(syn.weights()).into_any(),
            "w" => f32s(syn.gather_w()).into_any(),
            "wmin" => f32s(syn.gather_wmin()).into_any(),
            "wmax" => f32s(syn.gather_wmax()).into_any(),
            "nu_pre" => f32s(syn.gather_nu_pre()).into_any(),
            "nu_post" => f32s(syn.gather_nu_post()).into_any(),
            "pre_s" => f32s(syn.gather_pre(Some(syn.pre_s))).into_any(),
            "pre_x" => f32s(syn.gather_pre(syn.pre_x)).into_any(),
            "post_s" => f32s(syn.gather_post(Some(syn.post_s))).into_any(),
            "post_x" => f32s(syn.gather_post(syn.post_x)).into_any(),
            "reward" => f32s(syn.gather_reward()).into_any(),
            _ => continue,
        };
        d.set_item(f, v)?;
    }
    Ok(())
}

/// The fields a block phase reads, as arrays that broadcast to the block
/// `(rows, cols)`: per-source quantities `(rows, 1)`, per-target ones
/// `(1, cols)`, the same everywhere `(1, 1)`, per-weight ones
/// `(rows, cols)`.
fn block_fields(
    py: Python<'_>,
    syn: &SynapseBatch<'_>,
    bk: &Block<'_>,
    fields: &[String],
    d: &Bound<'_, PyDict>,
) -> PyResult<()> {
    let (r, c) = bk.shape;
    let (b, n_pre, n_post) = (bk.b, syn.n_pre, syn.n_post);
    fn arr<'py, T: numpy::Element>(
        py: Python<'py>,
        shape: (usize, usize),
        v: Vec<T>,
    ) -> Bound<'py, PyAny> {
        Array2::from_shape_vec(shape, v)
            .expect("block shape")
            .into_pyarray(py)
            .into_any()
    }
    // A source quantity at the block's rows, a target one at its columns.
    let at_rows = |a: Option<&[f32]>| -> Vec<f32> {
        let Some(a) = a else { return vec![0.0; r] };
        let a = &a[b * n_pre..(b + 1) * n_pre];
        match bk.rows {
            Some(rows) => rows.iter().map(|&i| a[i as usize]).collect(),
            None => a.to_vec(),
        }
    };
    let at_cols = |a: Option<&[f32]>| -> Vec<f32> {
        let Some(a) = a else { return vec![0.0; c] };
        let a = &a[b * n_post..(b + 1) * n_post];
        match bk.cols {
            Some(cols) => cols.iter().map(|&j| a[j as usize]).collect(),
            None => a.to_vec(),
        }
    };
    // The spikes of the side that started the phase (the block's rows in
    // `on_pre`, its columns in `on_post`) are one value all along the block
    // when they are binary: `(1, 1)`, so that a product with them stays the
    // other side's shape (PostPre's `pre_s * (post_x * -nu_pre)` is then
    // `(1, cols)`, a term per target) instead of filling the block.
    let spikes = |started: bool, shape: (usize, usize), v: Vec<f32>| {
        if started && v.first().is_some_and(|&s| v.iter().all(|&x| x == s)) {
            arr(py, (1, 1), vec![v[0]])
        } else {
            arr(py, shape, v)
        }
    };
    let bound = |x: &spikeflow::topology::Bound, per: fn(&SynapseBatch<'_>) -> Vec<f32>| match x {
        spikeflow::topology::Bound::Scalar(v) => arr(py, (1, 1), vec![*v]),
        spikeflow::topology::Bound::PerSynapse(_) => arr(py, (r, c), per(syn)),
    };
    for f in fields {
        let f = f.as_str();
        let v: Bound<'_, PyAny> = match f {
            "row" => arr(py, (1, 1), vec![b as u32]),
            "pre" => arr(
                py,
                (r, 1),
                match bk.rows {
                    Some(rows) => rows.to_vec(),
                    None => (0..n_pre as u32).collect(),
                },
            ),
            "post" => arr(
                py,
                (1, c),
                match bk.cols {
                    Some(cols) => cols.to_vec(),
                    None => (0..n_post as u32).collect(),
                },
            ),
            "weight" => arr(py, (r, c), syn.weights()),
            "w" => arr(py, (r, c), syn.gather_w()),
            "wmin" => bound(syn.wmin, |s| s.gather_wmin()),
            "wmax" => bound(syn.wmax, |s| s.gather_wmax()),
            "nu_pre" => match syn.nu {
                Nu::Pair(a, _) => arr(py, (1, 1), vec![*a]),
                Nu::PerSynapse(..) => arr(py, (r, c), syn.gather_nu_pre()),
            },
            "nu_post" => match syn.nu {
                Nu::Pair(_, a) => arr(py, (1, 1), vec![*a]),
                Nu::PerSynapse(..) => arr(py, (r, c), syn.gather_nu_post()),
            },
            "pre_s" => spikes(syn.phase == Phase::Pre, (r, 1), at_rows(Some(syn.pre_s))),
            "pre_x" => arr(py, (r, 1), at_rows(syn.pre_x)),
            "post_s" => spikes(syn.phase == Phase::Post, (1, c), at_cols(Some(syn.post_s))),
            "post_x" => arr(py, (1, c), at_cols(syn.post_x)),
            "reward" => arr(py, (1, 1), vec![syn.reward[b]]),
            _ => continue,
        };
        d.set_item(f, v)?;
    }
    Ok(())
}

impl ArrayRule for PySynapseRule {
    fn name(&self) -> &str {
        &self.name
    }
    fn requirements(&self) -> Requirements {
        self.req.clone()
    }
    fn phases(&self, nu: &Nu) -> Phases {
        Phases {
            pre: self.reads[0].on && nu.pre_active(),
            post: self.reads[1].on && nu.post_active(),
            every_step: self.reads[2].on,
            eligibility: false,
        }
    }
    /// `call_py` writes every term when it succeeds (a whole array or one
    /// broadcast to the whole block).
    fn fills_terms(&self) -> bool {
        true
    }
    /// Only phases whose code mentions `w` are handed the weights, so the
    /// others' terms need not see them current.
    fn reads_weights(&self, phase: Phase) -> bool {
        self.reads[phase_key(phase).0].w
    }
    fn on_pre(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        self.call(syn, terms)
    }
    fn on_post(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        self.call(syn, terms)
    }
    fn every_step(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        self.call(syn, terms)
    }
}

/// A BindsNET-style `LearningRule` subclass (`_connection_update`) as a
/// library [`ConnectionRule`], on connections whose weight order is
/// BindsNET's layout (dense `Connection`, `Conv1d/2d/3dConnection`).
#[derive(Debug)]
pub(crate) struct PyConnectionRule {
    obj: Py<PyAny>,
    name: String,
    req: Requirements,
    slot: ErrorSlot,
    error: Option<String>,
}

impl PyConnectionRule {
    pub fn new(obj: &Bound<'_, PyAny>, slot: ErrorSlot) -> PyResult<Self> {
        let name: String = obj.get_type().name()?.extract()?;
        let req: Vec<String> = obj.getattr("requires")?.extract()?;
        Ok(PyConnectionRule {
            obj: obj.clone().unbind(),
            name,
            req: requirements(&req)?,
            slot,
            error: None,
        })
    }

    fn call_py(&self, py: Python<'_>, c: &mut WholeConnection<'_>) -> PyResult<()> {
        let f32s = |v: &[f32]| PyArray1::from_slice(py, v);
        let zeros = |n: usize| PyArray1::from_vec(py, vec![0.0f32; n]);
        let bools = |v: &[f32]| PyArray1::from_vec(py, v.iter().map(|&s| s != 0.0).collect());
        let (pre, post) = (c.pre, c.post);
        let pre_x = pre
            .trace()
            .map_or_else(|| zeros(pre.spikes().values().len()), f32s);
        let post_x = post
            .trace()
            .map_or_else(|| zeros(post.spikes().values().len()), f32s);
        let args = (
            bools(pre.spikes().values()),
            pre_x,
            bools(post.spikes().values()),
            post_x,
            f32s(c.w),
            f32s(c.reward),
            c.dt,
        );
        let out = self
            .obj
            .bind(py)
            .call_method1("_spikeflow_connection_update", args)?;
        let a: PyReadonlyArray1<'_, f32> = out.extract()?;
        if a.len() != c.w.len() {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "{}: connection.w has {} values after the update, expected {}",
                self.name,
                a.len(),
                c.w.len()
            )));
        }
        match a.as_slice() {
            Ok(src) => c.w.copy_from_slice(src),
            Err(_) => {
                c.w.iter_mut()
                    .zip(a.as_array().iter())
                    .for_each(|(d, s)| *d = *s)
            }
        }
        Ok(())
    }
}

impl ConnectionRule for PyConnectionRule {
    fn name(&self) -> &str {
        &self.name
    }
    fn requirements(&self) -> Requirements {
        self.req.clone()
    }
    fn validate(&self, c: &ConnectionInfo<'_>) -> Result<(), String> {
        match c.topology {
            "Connection" | "Conv1dConnection" | "Conv2dConnection" | "Conv3dConnection" => Ok(()),
            other => Err(format!(
                "a BindsNET-style rule (_connection_update) runs on Connection and \
                 Conv1d/2d/3dConnection, not {other}; write a spikeflow.learning.SynapseRule \
                 for any topology"
            )),
        }
    }
    fn update(&mut self, mut c: WholeConnection<'_>) {
        let r = Python::attach(|py| {
            self.call_py(py, &mut c)
                .map_err(|e| keep(&self.slot, py, e))
        });
        if let Err(e) = r {
            self.error = Some(e);
        }
    }
    fn take_error(&mut self) -> Option<String> {
        self.error.take()
    }
}

/// The Python rule object of a connection's arguments, if it has one.
pub(crate) fn python_rule<'py>(d: &Bound<'py, PyDict>) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item("python_rule")?.filter(|v| !v.is_none()))
}
