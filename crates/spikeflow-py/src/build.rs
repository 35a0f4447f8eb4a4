//! BindsNET constructor arguments (a Python dict per layer and connection)
//! → the library's node models, topologies and rules.
//!
//! Only the arguments the user gave are in the dict (the Python classes drop
//! `None`s); everything else is the Rust type's `Default`, which is
//! BindsNET's default.

use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyNotImplementedError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::Bound;
use spikeflow::learning::Reduction;
use spikeflow::nodes::*;
use spikeflow::prelude::*;
use spikeflow::topology::{Delayed, MeanFieldOverBatch, TopologySpec};
use spikeflow::NetworkBuilder;

/// One object's arguments, with its name for error messages.
pub(crate) struct Args<'py> {
    pub what: String,
    pub d: Bound<'py, PyDict>,
}

impl<'py> Args<'py> {
    fn raw(&self, k: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(self.d.get_item(k)?.filter(|v| !v.is_none()))
    }
    fn bad(&self, k: &str, e: PyErr) -> PyErr {
        PyTypeError::new_err(format!("{}: argument {k}: {e}", self.what))
    }
    pub fn f32_or(&self, k: &str, default: f32) -> PyResult<f32> {
        match self.raw(k)? {
            None => Ok(default),
            Some(v) => v.extract::<f32>().map_err(|e| self.bad(k, e)),
        }
    }
    pub fn opt_f32(&self, k: &str, default: Option<f32>) -> PyResult<Option<f32>> {
        match self.raw(k)? {
            None => Ok(default),
            Some(v) => v.extract::<f32>().map(Some).map_err(|e| self.bad(k, e)),
        }
    }
    pub fn bool_or(&self, k: &str, default: bool) -> PyResult<bool> {
        match self.raw(k)? {
            None => Ok(default),
            Some(v) => v.extract::<bool>().map_err(|e| self.bad(k, e)),
        }
    }
    pub fn usize_or(&self, k: &str, default: usize) -> PyResult<usize> {
        match self.raw(k)? {
            None => Ok(default),
            Some(v) => v.extract::<usize>().map_err(|e| self.bad(k, e)),
        }
    }
    pub fn usizes(&self, k: &str) -> PyResult<Option<Vec<usize>>> {
        match self.raw(k)? {
            None => Ok(None),
            Some(v) => v
                .extract::<Vec<usize>>()
                .map(Some)
                .map_err(|e| self.bad(k, e)),
        }
    }
    pub fn str_or(&self, k: &str, default: &str) -> PyResult<String> {
        match self.raw(k)? {
            None => Ok(default.to_string()),
            Some(v) => v.extract::<String>().map_err(|e| self.bad(k, e)),
        }
    }
    /// A float32 NumPy array (any shape, flattened in C order) or a
    /// sequence of numbers.
    pub fn floats(&self, k: &str) -> PyResult<Option<Vec<f32>>> {
        match self.raw(k)? {
            None => Ok(None),
            Some(v) => floats(&v).map(Some).map_err(|e| self.bad(k, e)),
        }
    }
    /// A scalar or per-neuron parameter.
    pub fn param(&self, k: &str, default: Param) -> PyResult<Param> {
        match self.raw(k)? {
            None => Ok(default),
            Some(v) => match v.extract::<f32>() {
                Ok(x) => Ok(Param::Scalar(x)),
                Err(_) => floats(&v).map(Param::PerNeuron).map_err(|e| self.bad(k, e)),
            },
        }
    }
    /// A scalar or per-synapse weight bound.
    pub fn bound(&self, k: &str, default: f32) -> PyResult<Bound_> {
        match self.raw(k)? {
            None => Ok(Bound_::Scalar(default)),
            Some(v) => match v.extract::<f32>() {
                Ok(x) => Ok(Bound_::Scalar(x)),
                Err(_) => floats(&v)
                    .map(Bound_::PerSynapse)
                    .map_err(|e| self.bad(k, e)),
            },
        }
    }
}

/// The library's weight bound (named apart from pyo3's `Bound`).
pub(crate) type Bound_ = spikeflow::topology::Bound;

pub(crate) fn floats(v: &Bound<'_, PyAny>) -> PyResult<Vec<f32>> {
    if let Ok(a) = v.extract::<PyReadonlyArrayDyn<'_, f32>>() {
        return Ok(a.as_array().iter().copied().collect());
    }
    if let Ok(a) = v.extract::<PyReadonlyArrayDyn<'_, f64>>() {
        if a.ndim() > 0 || a.len() > 0 {
            return Ok(a.as_array().iter().map(|&x| x as f32).collect());
        }
    }
    v.extract::<Vec<f32>>()
}

fn lif(a: &Args<'_>, d: LifNodes) -> PyResult<LifNodes> {
    Ok(LifNodes {
        thresh: a.param("thresh", d.thresh)?,
        rest: a.param("rest", d.rest)?,
        reset: a.param("reset", d.reset)?,
        refrac: a.param("refrac", d.refrac)?,
        tc_decay: a.param("tc_decay", d.tc_decay)?,
        lbound: a.opt_f32("lbound", d.lbound)?,
    })
}

fn adaptive(a: &Args<'_>) -> PyResult<AdaptiveLifNodes> {
    let d = AdaptiveLifNodes::default();
    Ok(AdaptiveLifNodes {
        lif: lif(a, d.lif)?,
        theta_plus: a.param("theta_plus", d.theta_plus)?,
        tc_theta_decay: a.param("tc_theta_decay", d.tc_theta_decay)?,
    })
}

/// Explicit Izhikevich parameters (`a`, `b`, `c`, `d` `[n]`, `S` `[n, n]`
/// target-major): all or none (then drawn from the network's seed).
fn izhikevich_params(a: &Args<'_>) -> PyResult<Option<IzhikevichParams>> {
    let keys = ["a", "b", "c", "d", "S"];
    let got = keys
        .iter()
        .map(|k| a.floats(k))
        .collect::<PyResult<Vec<_>>>()?;
    if got.iter().all(Option::is_none) {
        return Ok(None);
    }
    if got.iter().any(Option::is_none) {
        return Err(PyTypeError::new_err(format!(
            "{}: give all of a, b, c, d and S (or none: drawn from the seed)",
            a.what
        )));
    }
    let mut it = got.into_iter().flatten();
    let mut next = || it.next().unwrap_or_default();
    Ok(Some(IzhikevichParams {
        a: next(),
        b: next(),
        c: next(),
        d: next(),
        s: next(),
    }))
}

/// spikeflow's conductance-based LIF (Diehl & Cook 2015's neuron):
/// `inhibitory` picks the inhibitory preset, `adaptive` the threshold.
fn conductance_lif(a: &Args<'_>) -> PyResult<ConductanceLifNodes> {
    let d = if a.bool_or("inhibitory", false)? {
        ConductanceLifNodes::inhibitory()
    } else {
        ConductanceLifNodes::excitatory()
    };
    let adaptive = a.bool_or("adaptive", d.theta.is_some())?;
    let theta = if adaptive {
        let t = d.theta.clone().unwrap_or_default();
        Some(AdaptiveThreshold {
            theta_plus: a.param("theta_plus", t.theta_plus)?,
            tau_theta: a.param("tau_theta", t.tau_theta)?,
            theta_init: a.param("theta_init", t.theta_init)?,
            offset: a.f32_or("theta_offset", t.offset)?,
        })
    } else {
        None
    };
    Ok(ConductanceLifNodes {
        v_rest: a.param("v_rest", d.v_rest)?,
        v_reset: a.param("v_reset", d.v_reset)?,
        v_thresh: a.param("v_thresh", d.v_thresh)?,
        v_init: a.param("v_init", d.v_init)?,
        refrac: a.param("refrac", d.refrac)?,
        tau_m: a.param("tau_m", d.tau_m)?,
        tau_ge: a.param("tau_ge", d.tau_ge)?,
        tau_gi: a.param("tau_gi", d.tau_gi)?,
        e_exc: a.param("e_exc", d.e_exc)?,
        e_inh: a.param("e_inh", d.e_inh)?,
        theta,
        euler_limit: a.f32_or("euler_limit", d.euler_limit)?,
    })
}

/// Adds layer `name` of BindsNET class `ty` with `shape`.
pub(crate) fn add_layer(
    b: &mut NetworkBuilder,
    name: &str,
    ty: &str,
    shape: &[usize],
    a: &Args<'_>,
) -> PyResult<()> {
    let o = NodeOptions::default();
    let options = NodeOptions {
        traces: a.bool_or("traces", o.traces)?,
        traces_additive: a.bool_or("traces_additive", o.traces_additive)?,
        tc_trace: a.param("tc_trace", o.tc_trace)?,
        trace_scale: a.param("trace_scale", o.trace_scale)?,
        sum_input: a.bool_or("sum_input", o.sum_input)?,
    };
    match ty {
        "Input" => b.add_population(name, shape, Input, options),
        "McCullochPitts" => {
            let d = McCullochPitts::default();
            let m = McCullochPitts {
                thresh: a.param("thresh", d.thresh)?,
            };
            b.add_population(name, shape, m, options)
        }
        "IFNodes" => {
            let d = IfNodes::default();
            let m = IfNodes {
                thresh: a.param("thresh", d.thresh)?,
                reset: a.param("reset", d.reset)?,
                refrac: a.param("refrac", d.refrac)?,
                lbound: a.opt_f32("lbound", d.lbound)?,
            };
            b.add_population(name, shape, m, options)
        }
        "LIFNodes" => b.add_population(name, shape, lif(a, LifNodes::default())?, options),
        "BoostedLIFNodes" => {
            let d = BoostedLifNodes::default();
            let m = BoostedLifNodes {
                thresh: a.param("thresh", d.thresh)?,
                refrac: a.param("refrac", d.refrac)?,
                tc_decay: a.param("tc_decay", d.tc_decay)?,
            };
            b.add_population(name, shape, m, options)
        }
        "CurrentLIFNodes" => {
            let d = CurrentLifNodes::default();
            let m = CurrentLifNodes {
                lif: lif(a, d.lif)?,
                tc_i_decay: a.param("tc_i_decay", d.tc_i_decay)?,
            };
            b.add_population(name, shape, m, options)
        }
        "AdaptiveLIFNodes" => b.add_population(name, shape, adaptive(a)?, options),
        "DiehlAndCookNodes" => {
            let d = DiehlAndCookNodes::default();
            let m = DiehlAndCookNodes {
                adaptive: adaptive(a)?,
                one_spike: a.bool_or("one_spike", d.one_spike)?,
            };
            b.add_population(name, shape, m, options)
        }
        "IzhikevichNodes" => {
            let d = IzhikevichNodes::default();
            let m = IzhikevichNodes {
                excitatory: a.f32_or("excitatory", d.excitatory)?,
                thresh: a.f32_or("thresh", d.thresh)?,
                rest: a.f32_or("rest", d.rest)?,
                lbound: a.opt_f32("lbound", d.lbound)?,
                params: izhikevich_params(a)?,
            };
            b.add_population(name, shape, m, options)
        }
        "SRM0Nodes" => {
            let d = Srm0Nodes::default();
            let m = Srm0Nodes {
                lif: lif(a, d.lif)?,
                eps_0: a.f32_or("eps_0", d.eps_0)?,
                rho_0: a.f32_or("rho_0", d.rho_0)?,
                d_thresh: a.f32_or("d_thresh", d.d_thresh)?,
            };
            b.add_population(name, shape, m, options)
        }
        "CSRMNodes" => {
            let d = CsrmNodes::default();
            let m = CsrmNodes {
                rest: a.f32_or("rest", d.rest)?,
                thresh: a.f32_or("thresh", d.thresh)?,
                tau: a.f32_or("tau", d.tau)?,
                res_window_size: a.f32_or("res_window_size", d.res_window_size)?,
                ref_window_size: a.f32_or("ref_window_size", d.ref_window_size)?,
                reset_const: a.f32_or("reset_const", d.reset_const)?,
                tc_decay: a.f32_or("tc_decay", d.tc_decay)?,
                theta_plus: a.f32_or("theta_plus", d.theta_plus)?,
                tc_theta_decay: a.f32_or("tc_theta_decay", d.tc_theta_decay)?,
                lbound: a.opt_f32("lbound", d.lbound)?,
                ..d
            };
            b.add_population(name, shape, m, options)
        }
        "ConductanceLIFNodes" => b.add_population(name, shape, conductance_lif(a)?, options),
        other => {
            return Err(PyNotImplementedError::new_err(format!(
                "layer {name:?}: node type {other} is not supported"
            )))
        }
    };
    Ok(())
}

/// Kernel, stride, padding and dilation per spatial axis.
type Geometry = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);

fn geometry(a: &Args<'_>, d: usize) -> PyResult<Geometry> {
    let axis = |k: &str, dflt: usize| -> PyResult<Vec<usize>> {
        Ok(match a.usizes(k)? {
            None => vec![dflt; d],
            Some(v) if v.len() == 1 => vec![v[0]; d],
            Some(v) => v,
        })
    };
    let kernel = a
        .usizes("kernel_size")?
        .ok_or_else(|| PyTypeError::new_err(format!("{}: kernel_size is required", a.what)))?;
    let kernel = if kernel.len() == 1 {
        vec![kernel[0]; d]
    } else {
        kernel
    };
    Ok((
        kernel,
        axis("stride", 1)?,
        axis("padding", 0)?,
        axis("dilation", 1)?,
    ))
}

fn topology(ty: &str, a: &Args<'_>) -> PyResult<Box<dyn TopologySpec>> {
    let w = a.floats("w")?;
    let b = a.floats("b")?;
    let dims = |t: &str| {
        t.chars()
            .find(|c| c.is_ascii_digit())
            .map_or(2, |c| c as usize - '0' as usize)
    };
    Ok(match ty {
        "Connection" => Box::new(Dense { w, b }),
        "DelayedConnection" => {
            let delays = a.floats("delays")?.ok_or_else(|| {
                PyTypeError::new_err(format!("{}: delays is required (steps)", a.what))
            })?;
            let delays = delays
                .into_iter()
                .map(|d| {
                    if d.fract() != 0.0 || !(0.0..=f32::from(u16::MAX)).contains(&d) {
                        Err(PyTypeError::new_err(format!(
                            "{}: delays must be whole numbers of steps >= 0, got {d}",
                            a.what
                        )))
                    } else {
                        Ok(d as u16)
                    }
                })
                .collect::<PyResult<Vec<u16>>>()?;
            if b.is_some() {
                return Err(PyNotImplementedError::new_err(format!(
                    "{}: DelayedConnection has no bias",
                    a.what
                )));
            }
            Box::new(Delayed { w, delays })
        }
        "SparseConnection" => match w {
            Some(w) => Box::new(Sparse::FromDense(w)),
            None => {
                return Err(PyTypeError::new_err(format!(
                    "{}: SparseConnection needs w (a dense array whose zeros are absent synapses)",
                    a.what
                )))
            }
        },
        "Conv1dConnection" | "Conv2dConnection" | "Conv3dConnection" => {
            let (kernel, stride, padding, dilation) = geometry(a, dims(ty))?;
            Box::new(Conv {
                kernel,
                stride,
                padding,
                dilation,
                w,
                b,
            })
        }
        "MaxPool1dConnection" | "MaxPool2dConnection" | "MaxPool3dConnection" => {
            let (kernel, stride, padding, dilation) = geometry(a, dims(ty))?;
            let decay = a.opt_f32("decay", None)?.ok_or_else(|| {
                PyTypeError::new_err(format!(
                    "{}: decay is required (BindsNET crashes without it)",
                    a.what
                ))
            })?;
            Box::new(MaxPool {
                kernel,
                stride,
                padding,
                dilation,
                decay,
            })
        }
        "LocalConnection" => {
            let pair = |k: &str| -> PyResult<Option<(usize, usize)>> {
                Ok(a.usizes(k)?.map(|v| {
                    if v.len() == 1 {
                        (v[0], v[0])
                    } else {
                        (v[0], v[1])
                    }
                }))
            };
            let req = |v: Option<(usize, usize)>, k: &str| {
                v.ok_or_else(|| PyTypeError::new_err(format!("{}: {k} is required", a.what)))
            };
            Box::new(LocalConnection {
                kernel: req(pair("kernel_size")?, "kernel_size")?,
                stride: req(pair("stride")?, "stride")?,
                n_filters: a.usize_or("n_filters", 1)?,
                input_shape: pair("input_shape")?,
                w,
                b,
            })
        }
        "LocalConnection1D" | "LocalConnection2D" | "LocalConnection3D" => {
            let (kernel, stride, _, _) = geometry(a, dims(ty))?;
            let mut l = LocalNd::new(kernel, stride, a.usize_or("n_filters", 1)?);
            l.w = w;
            Box::new(l)
        }
        "MeanFieldConnection" => match w {
            Some(w) => {
                let field = if w.len() == 1 {
                    MeanField::Scalar(w[0])
                } else {
                    MeanField::PerTarget(w)
                };
                // BindsNET averages over the batch rows too (FORMAT.md §9.17);
                // over_batch=False keeps rows independent (spikeflow's default).
                if a.bool_or("over_batch", true)? {
                    Box::new(MeanFieldOverBatch(field))
                } else {
                    Box::new(field)
                }
            }
            None => {
                return Err(PyNotImplementedError::new_err(format!(
                "{}: MeanFieldConnection needs w (BindsNET's random default is not implemented)",
                a.what
            )))
            }
        },
        other => {
            return Err(PyNotImplementedError::new_err(format!(
                "{}: connection type {other} is not supported",
                a.what
            )))
        }
    })
}

/// Adds a connection of BindsNET class `ty` from `source` to `target`.
pub(crate) fn add_connection(
    b: &mut NetworkBuilder,
    source: &str,
    target: &str,
    ty: &str,
    a: &Args<'_>,
    slots: &mut Vec<crate::rules::ErrorSlot>,
) -> PyResult<()> {
    let mut c = Connect::new(source, target, BoxedSpec(topology(ty, a)?))
        .wmin(a.bound("wmin", f32::NEG_INFINITY)?)
        .wmax(a.bound("wmax", f32::INFINITY)?)
        .weight_decay(a.f32_or("weight_decay", 0.0)?)
        .receptor(a.usize_or("receptor", 0)?);
    if let Some(n) = a.opt_f32("norm", None)? {
        c = c.norm(n);
    }
    if let Some(nu) = a.floats("nu")? {
        c = match nu.as_slice() {
            [x] => c.nu((*x, *x)),
            [p, q] => c.nu((*p, *q)),
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "{}: nu must be a number or a pair, got {} values",
                    a.what,
                    nu.len()
                )))
            }
        };
    }
    match a.str_or("reduction", "")?.as_str() {
        "" => {}
        "mean" => c = c.reduction(Reduction::Mean),
        "sum" => c = c.reduction(Reduction::Sum),
        other => {
            return Err(PyNotImplementedError::new_err(format!(
                "{}: reduction {other:?} (spikeflow supports mean and sum)",
                a.what
            )))
        }
    }
    let rule = a.str_or("update_rule", "NoOp")?;
    let mstdp = || -> PyResult<Mstdp> {
        let d = Mstdp::default();
        Ok(Mstdp {
            tc_plus: a.f32_or("tc_plus", d.tc_plus)?,
            tc_minus: a.f32_or("tc_minus", d.tc_minus)?,
            a_plus: a.f32_or("a_plus", d.a_plus)?,
            a_minus: a.f32_or("a_minus", d.a_minus)?,
            zero_lag: a.bool_or("zero_lag", d.zero_lag)?,
        })
    };
    c = match rule.as_str() {
        "NoOp" => c,
        "__python_synapse__" | "__python_connection__" => {
            let obj = crate::rules::python_rule(&a.d)?.ok_or_else(|| {
                PyTypeError::new_err(format!("{}: python_rule is missing", a.what))
            })?;
            let slot = crate::rules::ErrorSlot::default();
            slots.push(slot.clone());
            if rule == "__python_synapse__" {
                c.array_rule(crate::rules::PySynapseRule::new(&obj, slot)?)
            } else {
                c.connection_rule(crate::rules::PyConnectionRule::new(&obj, slot)?)
            }
        }
        "PostPre" => c.rule(PostPre),
        "WeightDependentPostPre" => c.rule(WeightDependentPostPre),
        "Hebbian" => c.rule(Hebbian),
        "DiehlAndCook" => {
            let d = DiehlAndCook::default();
            c.rule(DiehlAndCook {
                x_tar: a.f32_or("x_tar", d.x_tar)?,
                mu: a.f32_or("mu", d.mu)?,
            })
        }
        "MSTDP" => c.rule(mstdp()?),
        "MSTDPET" => {
            let d = MstdpEt::default();
            c.rule(MstdpEt {
                mstdp: mstdp()?,
                tc_e_trace: a.f32_or("tc_e_trace", d.tc_e_trace)?,
            })
        }
        "Rmax" => {
            let d = Rmax::default();
            c.rule(Rmax {
                tc_c: a.f32_or("tc_c", d.tc_c)?,
                tc_e_trace: a.f32_or("tc_e_trace", d.tc_e_trace)?,
            })
        }
        other => {
            return Err(PyNotImplementedError::new_err(format!(
                "{}: learning rule {other} is not supported",
                a.what
            )))
        }
    };
    b.connect(c);
    Ok(())
}

/// A boxed topology spec as a `TopologySpec` (Connect::new takes one by value).
#[derive(Debug)]
struct BoxedSpec(Box<dyn TopologySpec>);

impl TopologySpec for BoxedSpec {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
    fn build(
        &self,
        ends: &spikeflow::topology::Ends<'_>,
        rng: &mut spikeflow::rng::Rng,
    ) -> spikeflow::Result<Box<dyn spikeflow::topology::Topology>> {
        self.0.build(ends, rng)
    }
    fn norm_scale(&self) -> f32 {
        self.0.norm_scale()
    }
}
