//! Builds a network from a case file and runs it per its protocol,
//! recording what the case expects.

use crate::error::{Error, Result};
use crate::learning::{
    DiehlAndCook, Hebbian, Mstdp, MstdpEt, Nu, PostPre, Reduction, Rmax, WeightDependentPostPre,
};
use crate::monitor::MonitorSpec;
use crate::network::{Connect, Mask, Network, Reward, RunOptions};
use crate::nodes::*;
use crate::tensor::Tensor;
use crate::topology::{
    Bound, Conv, Dense, LocalConnection, LocalNd, MaxPool, MeanField, MeanFieldOverBatch, Sparse,
};
use serde_json::Value;

/// What a replay recorded, for comparison.
pub(crate) struct Recording {
    pub net: Network,
    /// Per connection: weights after each run call (run_per_step).
    pub w_after_each_run: Vec<Vec<f32>>,
    pub layer_order: Vec<String>,
    pub conn_names: Vec<String>,
}

fn invalid(m: impl Into<String>) -> Error {
    Error::format("case", m)
}

fn get<'a>(v: &'a Value, key: &str) -> Result<&'a Value> {
    v.get(key)
        .ok_or_else(|| invalid(format!("missing field {key:?}")))
}

fn unsupported(m: impl Into<String>) -> Error {
    Error::Unsupported(m.into())
}

/// Refuses a field this runner does not know: a field it ignored could
/// change what BindsNET computed.
fn known_fields(v: &Value, allowed: &[&str], what: &str) -> Result<()> {
    let Some(m) = v.as_object() else {
        return Err(invalid(format!("{what} must be an object")));
    };
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(unsupported(format!("unknown field {k:?} in {what}"))),
        None => Ok(()),
    }
}

fn boolean(v: &Value, key: &str, default: bool) -> Result<bool> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(x) => Err(invalid(format!("{key} must be a boolean, got {x}"))),
    }
}

fn string<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
    get(v, key)?
        .as_str()
        .ok_or_else(|| invalid(format!("{key} must be a string")))
}

/// A number, or the strings "inf"/"-inf".
pub(crate) fn num(v: &Value) -> Result<f32> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .map(|x| x as f32)
            .ok_or_else(|| invalid(format!("bad number {n}"))),
        Value::String(s) if s == "inf" => Ok(f32::INFINITY),
        Value::String(s) if s == "-inf" => Ok(f32::NEG_INFINITY),
        Value::Bool(b) => Ok(*b as u8 as f32),
        other => Err(invalid(format!("expected a number, got {other}"))),
    }
}

fn field(v: &Value, key: &str) -> Result<f32> {
    num(get(v, key)?).map_err(|e| invalid(format!("{key}: {e}")))
}

fn field_or(v: &Value, key: &str, default: f32) -> Result<f32> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(x) => num(x),
    }
}

/// Flattens nested arrays of numbers (row-major).
pub(crate) fn flat(v: &Value) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    fn go(v: &Value, out: &mut Vec<f32>) -> Result<()> {
        match v {
            Value::Array(a) => a.iter().try_for_each(|x| go(x, out)),
            x => {
                out.push(num(x)?);
                Ok(())
            }
        }
    }
    go(v, &mut out)?;
    Ok(out)
}

fn usizes(v: &Value, key: &str) -> Result<Vec<usize>> {
    let a = get(v, key)?;
    match a {
        Value::Array(items) => items
            .iter()
            .map(|x| {
                x.as_u64()
                    .map(|u| u as usize)
                    .ok_or_else(|| invalid(format!("{key}: not an integer")))
            })
            .collect(),
        Value::Number(n) => Ok(vec![n
            .as_u64()
            .ok_or_else(|| invalid(format!("{key}: not an integer")))?
            as usize]),
        _ => Err(invalid(format!("{key}: expected integers"))),
    }
}

fn param(v: &Value, key: &str) -> Result<Param> {
    match get(v, key)? {
        Value::Array(_) => Ok(Param::PerNeuron(flat(get(v, key)?)?)),
        x => Ok(Param::Scalar(num(x)?)),
    }
}

fn lbound(v: &Value) -> Result<Option<f32>> {
    match v.get("lbound") {
        None | Some(Value::Null) => Ok(None),
        Some(x) => num(x).map(Some),
    }
}

fn lif(v: &Value) -> Result<LifNodes> {
    Ok(LifNodes {
        thresh: param(v, "thresh")?,
        rest: param(v, "rest")?,
        reset: param(v, "reset")?,
        refrac: param(v, "refrac")?,
        tc_decay: param(v, "tc_decay")?,
        lbound: lbound(v)?,
    })
}

/// Fields every layer has.
const LAYER_COMMON: &[&str] = &[
    "type",
    "shape",
    "n",
    "traces",
    "traces_additive",
    "tc_trace",
    "trace_scale",
    "sum_input",
];
const LIF_FIELDS: &[&str] = &["thresh", "rest", "reset", "refrac", "tc_decay", "lbound"];

/// The type-specific fields of a layer type, or `None` for a type the
/// runner does not build.
fn layer_fields(ty: &str) -> Option<Vec<&'static str>> {
    let adaptive = [LIF_FIELDS, &["theta_plus", "tc_theta_decay"]].concat();
    Some(match ty {
        "Input" => vec![],
        "McCullochPitts" => vec!["thresh"],
        "IFNodes" => vec!["thresh", "reset", "refrac", "lbound"],
        "LIFNodes" => LIF_FIELDS.to_vec(),
        "CurrentLIFNodes" => [LIF_FIELDS, &["tc_i_decay"]].concat(),
        "AdaptiveLIFNodes" => adaptive,
        "DiehlAndCookNodes" => [&adaptive[..], &["one_spike"]].concat(),
        "IzhikevichNodes" => vec!["excitatory", "thresh", "rest", "lbound", "random_params"],
        "SRM0Nodes" => [LIF_FIELDS, &["eps_0", "rho_0", "d_thresh"]].concat(),
        "BoostedLIFNodes" => vec!["thresh", "refrac", "tc_decay"],
        "CSRMNodes" => vec![
            "rest",
            "thresh",
            "responseKernel",
            "refractoryKernel",
            "tau",
            "res_window_size",
            "ref_window_size",
            "reset_const",
            "tc_decay",
            "theta_plus",
            "tc_theta_decay",
            "lbound",
        ],
        _ => return None,
    })
}

/// A CSRM window length in steps: BindsNET samples its kernels at
/// `arange(0, window, dt)`, spikeflow at `floor(window / dt)` lags; they
/// agree when the window is a whole number of steps.
fn csrm_window(v: &Value, key: &str, dt: f32) -> Result<f32> {
    let w = field(v, key)?;
    let steps = w / dt;
    if !(steps.is_finite() && steps >= 1.0 && steps == steps.round()) {
        return Err(unsupported(format!(
            "CSRMNodes {key} {w} ms is not a whole number of steps of {dt} ms"
        )));
    }
    Ok(w)
}

fn add_layer(b: &mut crate::NetworkBuilder, name: &str, v: &Value, dt: f32) -> Result<()> {
    let what = format!("layer {name:?}");
    let ty = string(v, "type")?;
    let Some(fields) = layer_fields(ty) else {
        return Err(unsupported(format!("node type {ty}")));
    };
    known_fields(v, &[LAYER_COMMON, &fields[..]].concat(), &what)?;
    let shape = usizes(v, "shape")?;
    if let Some(n) = v.get("n") {
        if n.as_u64() != Some(shape.iter().product::<usize>() as u64) {
            return Err(invalid(format!(
                "{what}: n {n} is not the product of {shape:?}"
            )));
        }
    }
    let flag = |k: &str| boolean(v, k, false);
    let options = NodeOptions {
        traces: flag("traces")?,
        traces_additive: flag("traces_additive")?,
        tc_trace: if v.get("tc_trace").is_some() {
            param(v, "tc_trace")?
        } else {
            20.0.into()
        },
        trace_scale: if v.get("trace_scale").is_some() {
            param(v, "trace_scale")?
        } else {
            1.0.into()
        },
        sum_input: flag("sum_input")?,
    };
    let adaptive = |v: &Value| -> Result<AdaptiveLifNodes> {
        Ok(AdaptiveLifNodes {
            lif: lif(v)?,
            theta_plus: param(v, "theta_plus")?,
            tc_theta_decay: param(v, "tc_theta_decay")?,
        })
    };
    match ty {
        "Input" => b.add_population(name, &shape, Input, options),
        "McCullochPitts" => b.add_population(
            name,
            &shape,
            McCullochPitts {
                thresh: param(v, "thresh")?,
            },
            options,
        ),
        "IFNodes" => b.add_population(
            name,
            &shape,
            IfNodes {
                thresh: param(v, "thresh")?,
                reset: param(v, "reset")?,
                refrac: param(v, "refrac")?,
                lbound: lbound(v)?,
            },
            options,
        ),
        "LIFNodes" => b.add_population(name, &shape, lif(v)?, options),
        "BoostedLIFNodes" => b.add_population(
            name,
            &shape,
            BoostedLifNodes {
                thresh: param(v, "thresh")?,
                refrac: param(v, "refrac")?,
                tc_decay: param(v, "tc_decay")?,
            },
            options,
        ),
        "CurrentLIFNodes" => b.add_population(
            name,
            &shape,
            CurrentLifNodes {
                lif: lif(v)?,
                tc_i_decay: param(v, "tc_i_decay")?,
            },
            options,
        ),
        "AdaptiveLIFNodes" => b.add_population(name, &shape, adaptive(v)?, options),
        "DiehlAndCookNodes" => b.add_population(
            name,
            &shape,
            DiehlAndCookNodes {
                adaptive: adaptive(v)?,
                one_spike: flag("one_spike")?,
            },
            options,
        ),
        "IzhikevichNodes" => {
            let rp = get(v, "random_params")?;
            known_fields(
                rp,
                &["r", "a", "b", "c", "d", "S", "excitatory"],
                &format!("{what} random_params"),
            )?;
            let params = IzhikevichParams {
                a: flat(get(rp, "a")?)?,
                b: flat(get(rp, "b")?)?,
                c: flat(get(rp, "c")?)?,
                d: flat(get(rp, "d")?)?,
                s: flat(get(rp, "S")?)?,
            };
            b.add_population(
                name,
                &shape,
                IzhikevichNodes {
                    excitatory: field_or(v, "excitatory", 1.0)?,
                    thresh: field(v, "thresh")?,
                    rest: field(v, "rest")?,
                    lbound: lbound(v)?,
                    params: Some(params),
                },
                options,
            )
        }
        "SRM0Nodes" => b.add_population(
            name,
            &shape,
            Srm0Nodes {
                lif: lif(v)?,
                eps_0: field(v, "eps_0")?,
                rho_0: field(v, "rho_0")?,
                d_thresh: field(v, "d_thresh")?,
            },
            options,
        ),
        "CSRMNodes" => {
            // FORMAT.md documents these two kernels only.
            let kernel = string(v, "responseKernel")?;
            if kernel != "ExponentialKernel" {
                return Err(unsupported(format!("{what}: response kernel {kernel}")));
            }
            let refractory = string(v, "refractoryKernel")?;
            if refractory != "EtaKernel" {
                return Err(unsupported(format!(
                    "{what}: refractory kernel {refractory}"
                )));
            }
            if shape.len() != 1 {
                return Err(unsupported(format!("{what}: CSRMNodes of shape {shape:?}")));
            }
            if options.sum_input {
                return Err(unsupported(format!("{what}: sum_input on CSRMNodes")));
            }
            b.add_population(
                name,
                &shape,
                CsrmNodes {
                    rest: field(v, "rest")?,
                    thresh: field(v, "thresh")?,
                    response_kernel: ResponseKernel::Exponential,
                    tau: field(v, "tau")?,
                    res_window_size: csrm_window(v, "res_window_size", dt)?,
                    ref_window_size: csrm_window(v, "ref_window_size", dt)?,
                    reset_const: field(v, "reset_const")?,
                    tc_decay: field(v, "tc_decay")?,
                    theta_plus: field(v, "theta_plus")?,
                    tc_theta_decay: field(v, "tc_theta_decay")?,
                    lbound: lbound(v)?,
                },
                options,
            )
        }
        other => return Err(unsupported(format!("node type {other}"))),
    };
    Ok(())
}

fn bound(v: &Value, key: &str, default: f32) -> Result<Bound> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Bound::Scalar(default)),
        Some(Value::Array(_)) => Ok(Bound::PerSynapse(flat(&v[key])?)),
        Some(x) => Ok(Bound::Scalar(num(x)?)),
    }
}

fn opt_flat(v: &Value, key: &str) -> Result<Option<Vec<f32>>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => flat(x).map(Some),
    }
}

/// Kernel, stride, padding and dilation per spatial axis.
type Geometry = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);

fn rule_of(c: &Value) -> &str {
    c.get("update_rule")
        .and_then(Value::as_str)
        .unwrap_or("NoOp")
}

/// Fields of every connection with weights.
const CONN_COMMON: &[&str] = &[
    "source",
    "target",
    "type",
    "update_rule",
    "update_rule_kwargs",
    "nu",
    "nu_effective",
    "reduction",
    "reduction_effective",
    "weight_decay",
    "wmin",
    "wmax",
    "norm",
    "Dales_rule",
    "w_dtype",
    "w_layout",
    "w_shape",
    "w_init",
    "b_init",
    "mask",
    "record_w_every_step",
];
const POOL_FIELDS: &[&str] = &[
    "source",
    "target",
    "type",
    "update_rule",
    "w_layout",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "decay",
];

/// The fields a connection type may have, or `None` for a type the runner
/// does not build. BindsNET spells its 3-D pooling class `MaxPoo3dConnection`.
fn connection_fields(ty: &str) -> Option<Vec<&'static str>> {
    let geometry: &[&str] = &["kernel_size", "stride", "padding", "dilation"];
    Some(match ty {
        "Connection" | "SparseConnection" | "MeanFieldConnection" => CONN_COMMON.to_vec(),
        "Conv1dConnection" | "Conv2dConnection" | "Conv3dConnection" => {
            [CONN_COMMON, geometry].concat()
        }
        "LocalConnection" => [
            CONN_COMMON,
            &["kernel_size", "stride", "n_filters", "input_shape"],
        ]
        .concat(),
        "LocalConnection1D" | "LocalConnection2D" | "LocalConnection3D" => {
            [CONN_COMMON, &["kernel_size", "stride", "n_filters"]].concat()
        }
        "MaxPool1dConnection"
        | "MaxPool2dConnection"
        | "MaxPool3dConnection"
        | "MaxPoo3dConnection" => POOL_FIELDS.to_vec(),
        _ => return None,
    })
}

/// The kwargs a rule takes (FORMAT.md §4), or `None` for an unknown rule.
fn rule_kwargs(rule: &str) -> Option<&'static [&'static str]> {
    Some(match rule {
        "NoOp" | "PostPre" | "WeightDependentPostPre" | "Hebbian" => &[],
        "MSTDP" => &["tc_plus", "tc_minus", "zero_lag"],
        "MSTDPET" => &["tc_plus", "tc_minus", "zero_lag", "tc_e_trace"],
        "DiehlAndCook" => &["x_tar", "mu"],
        "Rmax" => &["tc_c", "tc_e_trace"],
        _ => return None,
    })
}

/// What the replay needs to know about the network a connection joins.
struct NetInfo<'a> {
    layers: &'a Value,
    learning: bool,
}

impl NetInfo<'_> {
    fn layer_type(&self, name: &str) -> Result<&str> {
        let l = self
            .layers
            .get(name)
            .ok_or_else(|| invalid(format!("connection end {name:?} is not a layer")))?;
        string(l, "type")
    }
    fn layer_shape(&self, name: &str) -> Result<Vec<usize>> {
        usizes(get(self.layers, name)?, "shape")
    }
}

/// A connection and its run-time weight mask (BindsNET's `masks=`).
fn connection(c: &Value, i: usize, net: &NetInfo<'_>) -> Result<(Connect, Option<Vec<bool>>)> {
    let ty = string(c, "type")?;
    let src = string(c, "source")?;
    let tgt = string(c, "target")?;
    let what = format!("connection {i} ({src} -> {tgt})");
    let Some(fields) = connection_fields(ty) else {
        return Err(unsupported(format!("connection type {ty}")));
    };
    known_fields(c, &fields, &what)?;
    let rule = rule_of(c);
    let Some(kwargs) = rule_kwargs(rule) else {
        return Err(unsupported(format!("learning rule {rule}")));
    };
    let kw = match c.get("update_rule_kwargs") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(k) => k.clone(),
    };
    known_fields(&kw, kwargs, &format!("{what} update_rule_kwargs"))?;
    if let Some(d) = c.get("w_dtype").filter(|x| !x.is_null()) {
        if d.as_str() != Some("float32") {
            return Err(unsupported(format!("{what}: w_dtype {d}")));
        }
    }
    if c.get("Dales_rule").is_some_and(|x| !x.is_null()) {
        return Err(unsupported(format!("{what}: Dales_rule")));
    }
    let w = opt_flat(c, "w_init")?;
    let b = opt_flat(c, "b_init")?;
    let wmin = bound(c, "wmin", f32::NEG_INFINITY)?;
    let wmax = bound(c, "wmax", f32::INFINITY)?;
    let weight_decay = field_or(c, "weight_decay", 0.0)?;
    let mask = match c.get("mask") {
        None | Some(Value::Null) => None,
        Some(m) => Some(flat(m)?.iter().map(|&x| x != 0.0).collect::<Vec<bool>>()),
    };
    // Weights that can change during the run.
    let weights_change =
        mask.is_some() || (net.learning && (rule != "NoOp" || weight_decay != 0.0));
    // Spikeflow clamps given weights into finite bounds at construction;
    // where BindsNET does not, a case with weights outside is refused.
    let unclamped_init = |clamped_by_bindsnet: bool| -> Result<()> {
        let outside = w.as_ref().is_some_and(|w| {
            w.iter()
                .enumerate()
                .any(|(k, &x)| x < wmin.at(k) || x > wmax.at(k))
        });
        if !clamped_by_bindsnet && outside {
            return Err(unsupported(format!(
                "{what}: initial weights outside [wmin, wmax], which BindsNET keeps for {ty} \
                 (spikeflow clamps them at construction)"
            )));
        }
        Ok(())
    };
    let geometry = |c: &Value| -> Result<Geometry> {
        let k = usizes(c, "kernel_size")?;
        let d = k.len();
        let or = |key: &str, dflt: usize| -> Result<Vec<usize>> {
            if c.get(key).is_some_and(|x| !x.is_null()) {
                let v = usizes(c, key)?;
                Ok(if v.len() == 1 { vec![v[0]; d] } else { v })
            } else {
                Ok(vec![dflt; d])
            }
        };
        Ok((k, or("stride", 1)?, or("padding", 0)?, or("dilation", 1)?))
    };
    let axes = |t: &str| -> usize {
        match t.chars().find(|ch| ch.is_ascii_digit()) {
            Some('1') => 1,
            Some('3') => 3,
            _ => 2,
        }
    };
    if net.layer_type(tgt)? == "CSRMNodes" {
        // spikeflow's CSRM keeps the window of its summed input, BindsNET
        // each connection's window of source spikes times the current
        // weights (and the bias in every slot): the same only for a dense
        // connection without bias whose weights stay fixed.
        if ty != "Connection" || b.is_some() || weights_change {
            return Err(unsupported(format!(
                "{what}: into CSRMNodes only a dense Connection without bias and with fixed \
                 weights is reproduced (see docs/differences-from-bindsnet.md)"
            )));
        }
    }
    let mut conn = match ty {
        "Connection" => Connect::new(src, tgt, Dense { w, b }),
        // BindsNET adds a learning rule's dense-support update to its sparse
        // tensor, so every absent synapse becomes a learned one: what it
        // computes is a dense connection whose zeros may change. spikeflow's
        // `Sparse` keeps its structure (see docs/differences-from-bindsnet.md);
        // without learning both agree, and the replay reproduces BindsNET.
        "SparseConnection" if rule != "NoOp" => Connect::new(src, tgt, Dense { w, b }),
        "SparseConnection" => {
            let w = w.ok_or_else(|| invalid("SparseConnection needs w_init"))?;
            Connect::new(src, tgt, Sparse::FromDense(w))
        }
        "Conv1dConnection" | "Conv2dConnection" | "Conv3dConnection" => {
            let (kernel, stride, padding, dilation) = geometry(c)?;
            if kernel.len() != axes(ty) {
                return Err(invalid(format!("{what}: kernel_size {kernel:?} for {ty}")));
            }
            // FORMAT.md documents conv learning for Conv2d only.
            if ty != "Conv2dConnection" && rule != "NoOp" {
                return Err(unsupported(format!("{what}: rule {rule} on {ty}")));
            }
            // BindsNET clamps a conv's given weights only when a bound is
            // infinite.
            unclamped_init(!(wmin.all_finite() && wmax.all_finite()))?;
            Connect::new(
                src,
                tgt,
                Conv {
                    kernel,
                    stride,
                    padding,
                    dilation,
                    w,
                    b,
                },
            )
        }
        "MaxPool1dConnection"
        | "MaxPool2dConnection"
        | "MaxPool3dConnection"
        | "MaxPoo3dConnection" => {
            if rule != "NoOp" {
                return Err(unsupported(format!("{what}: rule {rule} on {ty}")));
            }
            let (kernel, stride, padding, dilation) = geometry(c)?;
            if kernel.len() != axes(ty) {
                return Err(invalid(format!("{what}: kernel_size {kernel:?} for {ty}")));
            }
            return Ok((
                Connect::new(
                    src,
                    tgt,
                    MaxPool {
                        kernel,
                        stride,
                        padding,
                        dilation,
                        decay: field(c, "decay")?,
                    },
                ),
                None,
            ));
        }
        "LocalConnection" => {
            if mask.is_some() {
                return Err(unsupported(format!(
                    "{what}: a run-time mask on the legacy LocalConnection (it would replace \
                     the connection's own mask)"
                )));
            }
            let k = usizes(c, "kernel_size")?;
            let s = usizes(c, "stride")?;
            let pair = |v: &[usize]| {
                if v.len() == 1 {
                    (v[0], v[0])
                } else {
                    (v[0], v[1])
                }
            };
            let input_shape = match c.get("input_shape") {
                None | Some(Value::Null) => None,
                Some(_) => Some(pair(&usizes(c, "input_shape")?)),
            };
            let n_filters = get(c, "n_filters")?
                .as_u64()
                .ok_or_else(|| invalid("n_filters"))? as usize;
            Connect::new(
                src,
                tgt,
                LocalConnection {
                    kernel: pair(&k),
                    stride: pair(&s),
                    n_filters,
                    input_shape,
                    w,
                    b,
                },
            )
        }
        "LocalConnection1D" | "LocalConnection2D" | "LocalConnection3D" => {
            let kernel = usizes(c, "kernel_size")?;
            if kernel.len() != axes(ty) {
                return Err(invalid(format!("{what}: kernel_size {kernel:?} for {ty}")));
            }
            let stride = usizes(c, "stride")?;
            let stride = if stride.len() == 1 {
                vec![stride[0]; kernel.len()]
            } else {
                stride
            };
            let n_filters = get(c, "n_filters")?
                .as_u64()
                .ok_or_else(|| invalid("n_filters must be an integer"))?
                as usize;
            if b.is_some() {
                return Err(unsupported(format!(
                    "{what}: a bias on {ty} (BindsNET ignores it)"
                )));
            }
            // FORMAT.md: BindsNET's learning reshape mixes input channels
            // when C_in > 1 (spikeflow learns per synapse), and only PostPre
            // is documented.
            let c_in = net.layer_shape(src)?.first().copied().unwrap_or(1);
            match rule {
                "NoOp" => {}
                "PostPre" if c_in == 1 => {}
                _ => {
                    return Err(unsupported(format!(
                        "{what}: rule {rule} on {ty} with {c_in} input channel(s)"
                    )))
                }
            }
            // BindsNET's weights are exactly w_init (no clamping).
            unclamped_init(false)?;
            Connect::new(
                src,
                tgt,
                LocalNd {
                    kernel,
                    stride,
                    n_filters,
                    w,
                },
            )
        }
        "MeanFieldConnection" => {
            // FORMAT.md: NoOp only, weight_decay 0, no norm; bounds and bias
            // are not documented.
            if rule != "NoOp" || weight_decay != 0.0 || b.is_some() {
                return Err(unsupported(format!(
                    "{what}: MeanFieldConnection with a rule, weight decay or bias"
                )));
            }
            if wmin.any_finite() || wmax.any_finite() {
                return Err(unsupported(format!(
                    "{what}: MeanFieldConnection with finite bounds"
                )));
            }
            let w = w.ok_or_else(|| invalid(format!("{what}: needs w_init")))?;
            let scalar = get(c, "w_shape")?.as_array().is_some_and(Vec::is_empty);
            let field = if scalar {
                match w[..] {
                    [x] => MeanField::Scalar(x),
                    _ => return Err(invalid(format!("{what}: w_shape [] needs one weight"))),
                }
            } else {
                MeanField::PerTarget(w)
            };
            // BindsNET averages over the batch as well as the sources.
            Connect::new(src, tgt, MeanFieldOverBatch(field))
        }
        other => return Err(unsupported(format!("connection type {other}"))),
    };
    if mask.is_some() && ty == "SparseConnection" {
        return Err(invalid(format!(
            "{what}: a mask on a SparseConnection (BindsNET raises)"
        )));
    }
    conn = conn.wmin(wmin).wmax(wmax);
    if let Some(n) = c.get("norm").filter(|x| !x.is_null()) {
        conn = conn.norm(num(n)?);
    }
    if let Some(n) = c.get("nu_effective").filter(|x| !x.is_null()) {
        let nu = flat(n)?;
        if nu.len() == 2 {
            conn = conn.nu(Nu::Pair(nu[0], nu[1]));
        } else {
            return Err(unsupported("per-synapse nu in a case file"));
        }
    }
    conn = conn.weight_decay(weight_decay);
    conn = conn.reduction(match c.get("reduction_effective").and_then(Value::as_str) {
        Some("mean") => Reduction::Mean,
        Some("squeeze") | Some("sum") | None => Reduction::Sum,
        Some(other) => return Err(unsupported(format!("reduction {other}"))),
    });
    // Absent kwargs take BindsNET 0.3.4's defaults (FORMAT.md §4).
    let kwf = |k: &str, d: f32| field_or(&kw, k, d);
    let mstdp = || -> Result<Mstdp> {
        Ok(Mstdp {
            tc_plus: kwf("tc_plus", 20.0)?,
            tc_minus: kwf("tc_minus", 20.0)?,
            a_plus: 1.0,
            a_minus: -1.0,
            zero_lag: boolean(&kw, "zero_lag", false)?,
        })
    };
    let conn = match rule {
        "NoOp" => conn,
        "PostPre" => conn.rule(PostPre),
        "WeightDependentPostPre" => conn.rule(WeightDependentPostPre),
        "Hebbian" => conn.rule(Hebbian),
        "DiehlAndCook" => conn.rule(DiehlAndCook {
            x_tar: kwf("x_tar", 0.0)?,
            mu: kwf("mu", 1.0)?,
        }),
        "MSTDP" => conn.rule(mstdp()?),
        "MSTDPET" => conn.rule(MstdpEt {
            mstdp: mstdp()?,
            tc_e_trace: kwf("tc_e_trace", 25.0)?,
        }),
        "Rmax" => conn.rule(Rmax {
            tc_c: kwf("tc_c", 5.0)?,
            tc_e_trace: kwf("tc_e_trace", 25.0)?,
        }),
        other => return Err(unsupported(format!("learning rule {other}"))),
    };
    Ok((conn, mask))
}

/// Top-level fields of a case (FORMAT.md §2).
const TOP_FIELDS: &[&str] = &[
    "format_version",
    "name",
    "set",
    "description",
    "generator",
    "dtype",
    "tolerance",
    "dt",
    "time",
    "batch_size",
    "learning",
    "protocol",
    "layer_order",
    "layers",
    "connections",
    "inputs",
    "reward",
    "clamp",
    "unclamp",
    "derived",
    "expected",
    "counts",
];
/// Recorded layer variables (FORMAT.md §7).
const LAYER_VARS: &[&str] = &[
    "s",
    "v",
    "x",
    "refrac_count",
    "theta",
    "i",
    "u",
    "summed",
    "s_prob",
];
/// Recorded connection values (FORMAT.md §7).
const CONN_VARS: &[&str] = &[
    "w_every_step",
    "w_final",
    "w_after_each_run",
    "firing_rates",
    "rule_state_final",
];

/// Refuses anything in `expected` the comparison would not check.
fn check_expected(exp: &Value) -> Result<()> {
    known_fields(exp, &["layers", "connections"], "expected")?;
    if let Some(el) = exp.get("layers") {
        let el = el
            .as_object()
            .ok_or_else(|| invalid("expected.layers must be an object"))?;
        for (name, vars) in el {
            known_fields(vars, LAYER_VARS, &format!("expected.layers.{name}"))?;
        }
    }
    if let Some(ec) = exp.get("connections") {
        let ec = ec
            .as_array()
            .ok_or_else(|| invalid("expected.connections must be a list"))?;
        for (i, ce) in ec.iter().enumerate() {
            let what = format!("expected.connections[{i}]");
            known_fields(ce, CONN_VARS, &what)?;
            if let Some(st) = ce.get("rule_state_final") {
                known_fields(
                    st,
                    &["p_plus", "p_minus", "eligibility", "eligibility_trace"],
                    &format!("{what}.rule_state_final"),
                )?;
            }
        }
    }
    Ok(())
}

/// The `clamp` / `unclamp` field: layer name → per step, the flat indices
/// of the neurons set.
fn spike_clamps(
    case: &Value,
    key: &str,
    net: &Network,
    steps: usize,
) -> Result<Vec<(String, Vec<Vec<usize>>)>> {
    let Some(m) = case.get(key).filter(|x| !x.is_null()) else {
        return Ok(Vec::new());
    };
    let m = m
        .as_object()
        .ok_or_else(|| invalid(format!("{key} must be an object")))?;
    let mut out = Vec::new();
    for (name, rows) in m {
        let n = net
            .population(name)
            .map_err(|_| invalid(format!("{key}: no layer {name:?}")))?
            .core()
            .n();
        let data = flat(rows)?;
        if data.len() != steps * n {
            return Err(invalid(format!(
                "{key}.{name}: {} values, expected [{steps}][{n}]",
                data.len()
            )));
        }
        if let Some(bad) = data.iter().find(|&&x| x != 0.0 && x != 1.0) {
            return Err(invalid(format!("{key}.{name}: {bad} is not 0/1")));
        }
        let per_step = data
            .chunks_exact(n)
            .map(|row| (0..n).filter(|&j| row[j] != 0.0).collect())
            .collect();
        out.push((name.clone(), per_step));
    }
    Ok(out)
}

/// The run options of steps `range` (one run call).
fn options_for(
    clamps: &[(String, Vec<Vec<usize>>)],
    unclamps: &[(String, Vec<Vec<usize>>)],
    masks: &[(String, Vec<bool>)],
    range: std::ops::Range<usize>,
    reward: Reward,
) -> RunOptions {
    let cut = |l: &[(String, Vec<Vec<usize>>)]| -> Vec<(String, Mask)> {
        l.iter()
            .map(|(n, v)| (n.clone(), Mask::PerStep(v[range.clone()].to_vec())))
            .collect()
    };
    RunOptions {
        reward,
        clamp: cut(clamps),
        unclamp: cut(unclamps),
        weight_masks: masks.to_vec(),
        ..Default::default()
    }
}

/// Builds and runs a case.
pub(crate) fn replay(case: &Value) -> Result<Recording> {
    known_fields(case, TOP_FIELDS, "the case")?;
    if let Some(v) = case.get("format_version") {
        if v.as_u64() != Some(1) {
            return Err(unsupported(format!("format_version {v}")));
        }
    }
    if let Some(d) = case.get("dtype") {
        if d.as_str() != Some("float32") {
            return Err(unsupported(format!("dtype {d}")));
        }
    }
    let tol = get(case, "tolerance")?;
    known_fields(tol, &["rtol", "atol", "spikes"], "tolerance")?;
    if let Some(sp) = tol.get("spikes") {
        if sp.as_str() != Some("exact") {
            return Err(unsupported(format!("tolerance.spikes {sp}")));
        }
    }
    let exp = get(case, "expected")?;
    check_expected(exp)?;
    let dt = field(case, "dt")?;
    let steps = get(case, "time")?
        .as_u64()
        .ok_or_else(|| invalid("time must be an integer"))? as usize;
    let batch = get(case, "batch_size")?
        .as_u64()
        .ok_or_else(|| invalid("batch_size must be an integer"))? as usize;
    let learning = get(case, "learning")?
        .as_bool()
        .ok_or_else(|| invalid("learning must be a boolean"))?;
    let mut b = Network::builder()
        .dt(dt)
        .batch_size(batch)
        .learning(learning);
    let order: Vec<String> = get(case, "layer_order")?
        .as_array()
        .ok_or_else(|| invalid("layer_order must be a list"))?
        .iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid("layer names must be strings"))
        })
        .collect::<Result<_>>()?;
    let layers = get(case, "layers")?;
    let layer_map = layers
        .as_object()
        .ok_or_else(|| invalid("layers must be an object"))?;
    if let Some(extra) = layer_map.keys().find(|k| !order.contains(k)) {
        return Err(invalid(format!("layer {extra:?} is not in layer_order")));
    }
    for name in &order {
        add_layer(&mut b, name, get(layers, name)?, dt)?;
    }
    let conns = get(case, "connections")?
        .as_array()
        .ok_or_else(|| invalid("connections must be a list"))?;
    let info = NetInfo { layers, learning };
    let mut conn_names = Vec::new();
    let mut masks = Vec::new();
    for (i, c) in conns.iter().enumerate() {
        let (spec, mask) = connection(c, i, &info)?;
        let name = format!("{} -> {}", spec.source, spec.target);
        if let Some(m) = mask {
            masks.push((name.clone(), m));
        }
        conn_names.push(name);
        b.connect(spec);
    }
    let mut net = b.build()?;

    // Monitors for everything the case expects.
    if let Some(el) = exp.get("layers").and_then(Value::as_object) {
        for (name, vars) in el {
            let vars: Vec<&str> = vars
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            net.add_monitor(&format!("layer {name}"), MonitorSpec::new(name, &vars))
                .map_err(|e| unsupported(e.to_string()))?;
        }
    }
    if let Some(ec) = exp.get("connections").and_then(Value::as_array) {
        for (i, ce) in ec.iter().enumerate() {
            let mut vars = Vec::new();
            if ce.get("w_every_step").is_some() {
                vars.push("w");
            }
            if ce.get("firing_rates").is_some() {
                vars.push("firing_rates");
            }
            if !vars.is_empty() {
                let name = conn_names
                    .get(i)
                    .ok_or_else(|| invalid("more expected connections than connections"))?;
                net.add_monitor(&format!("conn {i}"), MonitorSpec::new(name, &vars))?;
            }
        }
    }

    let mut inputs = Vec::new();
    if let Some(m) = get(case, "inputs")?.as_object() {
        for (name, spec) in m {
            let what = format!("inputs.{name}");
            known_fields(spec, &["kind", "dtype", "data"], &what)?;
            let kind = spec.get("kind").and_then(Value::as_str);
            let dtype = spec.get("dtype").and_then(Value::as_str);
            let data = flat(get(spec, "data")?)?;
            match (kind, dtype) {
                (Some("spikes"), Some("bool") | None) => {
                    if let Some(bad) = data.iter().find(|&&x| x != 0.0 && x != 1.0) {
                        return Err(invalid(format!("{what}: spike {bad} is not 0/1")));
                    }
                }
                (Some("current"), Some("float32") | None) | (None, None) => {}
                _ => {
                    return Err(unsupported(format!(
                        "{what}: kind {kind:?} with dtype {dtype:?}"
                    )))
                }
            }
            let pop = net.population(name)?;
            if pop.type_name() == "CSRMNodes" {
                return Err(unsupported(format!(
                    "{what}: external input to CSRMNodes (BindsNET's CSRM takes none)"
                )));
            }
            let n: usize = pop.core().n();
            inputs.push((
                name.clone(),
                Tensor::new(vec![steps, batch, n], data)
                    .map_err(|e| invalid(format!("input {name}: {e}")))?,
            ));
        }
    }
    let reward: Option<Vec<f32>> = match case.get("reward") {
        None | Some(Value::Null) => None,
        Some(r) => Some(flat(r)?),
    };
    if let Some(r) = &reward {
        if r.len() != steps {
            return Err(invalid(format!(
                "reward: {} values for {steps} steps",
                r.len()
            )));
        }
    }
    let clamps = spike_clamps(case, "clamp", &net, steps)?;
    let unclamps = spike_clamps(case, "unclamp", &net, steps)?;
    let mut w_after_each_run = vec![Vec::new(); conn_names.len()];
    match get(case, "protocol")?.as_str() {
        Some("single_run") => {
            let refs: Vec<(&str, &Tensor)> = inputs.iter().map(|(n, t)| (n.as_str(), t)).collect();
            let reward = reward.map_or(Reward::None, Reward::PerStep);
            let options = options_for(&clamps, &unclamps, &masks, 0..steps, reward);
            net.run(&refs, steps, &options)?;
        }
        Some("run_per_step") => {
            for t in 0..steps {
                let slabs: Vec<(String, Tensor)> = inputs
                    .iter()
                    .map(|(n, x)| {
                        Ok((
                            n.clone(),
                            Tensor::new(vec![1, batch, x.stride0() / batch], x.slab(t).to_vec())?,
                        ))
                    })
                    .collect::<Result<_>>()?;
                let refs: Vec<(&str, &Tensor)> =
                    slabs.iter().map(|(n, t)| (n.as_str(), t)).collect();
                let reward = reward
                    .as_ref()
                    .map_or(Reward::None, |r| Reward::Scalar(r[t]));
                let options = options_for(&clamps, &unclamps, &masks, t..t + 1, reward);
                net.run(&refs, 1, &options)?;
                for (i, name) in conn_names.iter().enumerate() {
                    if let Ok(w) = net.weights_tensor(name) {
                        w_after_each_run[i].extend_from_slice(w.data());
                    }
                }
            }
        }
        other => return Err(unsupported(format!("protocol {other:?}"))),
    }
    Ok(Recording {
        net,
        w_after_each_run,
        layer_order: order,
        conn_names,
    })
}
