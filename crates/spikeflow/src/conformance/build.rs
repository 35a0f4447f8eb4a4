//! Builds a network from a case file and runs it per its protocol,
//! recording what the case expects.

use crate::error::{Error, Result};
use crate::learning::{
    DiehlAndCook, Hebbian, Mstdp, MstdpEt, Nu, PostPre, Reduction, Rmax, WeightDependentPostPre,
};
use crate::monitor::MonitorSpec;
use crate::network::{Connect, Network, Reward, RunOptions};
use crate::nodes::*;
use crate::tensor::Tensor;
use crate::topology::{Bound, Conv, Dense, LocalConnection, MaxPool, Sparse};
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

fn add_layer(b: &mut crate::NetworkBuilder, name: &str, v: &Value) -> Result<()> {
    let ty = get(v, "type")?
        .as_str()
        .ok_or_else(|| invalid("layer type must be a string"))?;
    let shape = usizes(v, "shape")?;
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let options = NodeOptions {
        traces: flag("traces"),
        traces_additive: flag("traces_additive"),
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
        sum_input: flag("sum_input"),
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
                one_spike: flag("one_spike"),
            },
            options,
        ),
        "IzhikevichNodes" => {
            let rp = get(v, "random_params")?;
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
        other => return Err(Error::Unsupported(format!("node type {other}"))),
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

fn connection(c: &Value) -> Result<Connect> {
    let ty = get(c, "type")?
        .as_str()
        .ok_or_else(|| invalid("connection type must be a string"))?;
    let src = get(c, "source")?
        .as_str()
        .ok_or_else(|| invalid("source must be a string"))?;
    let tgt = get(c, "target")?
        .as_str()
        .ok_or_else(|| invalid("target must be a string"))?;
    let w = opt_flat(c, "w_init")?;
    let b = opt_flat(c, "b_init")?;
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
    let mut conn = match ty {
        "Connection" => Connect::new(src, tgt, Dense { w, b }),
        // BindsNET adds a learning rule's dense-support update to its sparse
        // tensor, so every absent synapse becomes a learned one: what it
        // computes is a dense connection whose zeros may change. spikeflow's
        // `Sparse` keeps its structure (see docs/differences-from-bindsnet.md);
        // without learning both agree, and the replay reproduces BindsNET.
        "SparseConnection" if rule_of(c) != "NoOp" => Connect::new(src, tgt, Dense { w, b }),
        "SparseConnection" => {
            let w = w.ok_or_else(|| invalid("SparseConnection needs w_init"))?;
            Connect::new(src, tgt, Sparse::FromDense(w))
        }
        "Conv1dConnection" | "Conv2dConnection" | "Conv3dConnection" => {
            let (kernel, stride, padding, dilation) = geometry(c)?;
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
        "MaxPool1dConnection" | "MaxPool2dConnection" | "MaxPool3dConnection" => {
            let (kernel, stride, padding, dilation) = geometry(c)?;
            return Ok(Connect::new(
                src,
                tgt,
                MaxPool {
                    kernel,
                    stride,
                    padding,
                    dilation,
                    decay: field(c, "decay")?,
                },
            ));
        }
        "LocalConnection" => {
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
        other => return Err(Error::Unsupported(format!("connection type {other}"))),
    };
    conn = conn
        .wmin(bound(c, "wmin", f32::NEG_INFINITY)?)
        .wmax(bound(c, "wmax", f32::INFINITY)?);
    if let Some(n) = c.get("norm").filter(|x| !x.is_null()) {
        conn = conn.norm(num(n)?);
    }
    if let Some(n) = c.get("nu_effective").filter(|x| !x.is_null()) {
        let nu = flat(n)?;
        if nu.len() == 2 {
            conn = conn.nu(Nu::Pair(nu[0], nu[1]));
        } else {
            return Err(Error::Unsupported("per-synapse nu in a case file".into()));
        }
    }
    conn = conn.weight_decay(field_or(c, "weight_decay", 0.0)?);
    conn = conn.reduction(match c.get("reduction_effective").and_then(Value::as_str) {
        Some("mean") => Reduction::Mean,
        Some("squeeze") | Some("sum") | None => Reduction::Sum,
        Some(other) => return Err(Error::Unsupported(format!("reduction {other}"))),
    });
    if c.get("Dales_rule").is_some_and(|x| !x.is_null()) {
        return Err(Error::Unsupported("Dales_rule".into()));
    }
    let kw = c.get("update_rule_kwargs").cloned().unwrap_or(Value::Null);
    let kwf = |k: &str, d: f32| field_or(&kw, k, d);
    let rule = rule_of(c);
    let mstdp = || -> Result<Mstdp> {
        Ok(Mstdp {
            tc_plus: kwf("tc_plus", 20.0)?,
            tc_minus: kwf("tc_minus", 20.0)?,
            a_plus: kwf("a_plus", 1.0)?,
            a_minus: kwf("a_minus", -1.0)?,
            zero_lag: kw.get("zero_lag").and_then(Value::as_bool).unwrap_or(false),
        })
    };
    Ok(match rule {
        "NoOp" => conn,
        "PostPre" => conn.rule(PostPre),
        "WeightDependentPostPre" => conn.rule(WeightDependentPostPre),
        "Hebbian" => conn.rule(Hebbian),
        "DiehlAndCook" => conn.rule(DiehlAndCook {
            x_tar: kwf("x_tar", 0.4)?,
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
        other => return Err(Error::Unsupported(format!("learning rule {other}"))),
    })
}

/// Builds and runs a case.
pub(crate) fn replay(case: &Value) -> Result<Recording> {
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
    for name in &order {
        add_layer(&mut b, name, get(layers, name)?)?;
    }
    let conns = get(case, "connections")?
        .as_array()
        .ok_or_else(|| invalid("connections must be a list"))?;
    let mut conn_names = Vec::new();
    for c in conns {
        let spec = connection(c)?;
        conn_names.push(format!("{} -> {}", spec.source, spec.target));
        b.connect(spec);
    }
    let mut net = b.build()?;

    // Monitors for everything the case expects.
    let exp = get(case, "expected")?;
    if let Some(el) = exp.get("layers").and_then(Value::as_object) {
        for (name, vars) in el {
            let vars: Vec<&str> = vars
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            net.add_monitor(&format!("layer {name}"), MonitorSpec::new(name, &vars))
                .map_err(|e| Error::Unsupported(e.to_string()))?;
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
            let data = flat(get(spec, "data")?)?;
            let n: usize = net.population(name)?.core().n();
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
    let mut w_after_each_run = vec![Vec::new(); conn_names.len()];
    match get(case, "protocol")?.as_str() {
        Some("single_run") => {
            let refs: Vec<(&str, &Tensor)> = inputs.iter().map(|(n, t)| (n.as_str(), t)).collect();
            let options = RunOptions {
                reward: reward.map_or(Reward::None, Reward::PerStep),
                ..Default::default()
            };
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
                let options = RunOptions {
                    reward: reward
                        .as_ref()
                        .map_or(Reward::None, |r| Reward::Scalar(r[t])),
                    ..Default::default()
                };
                net.run(&refs, 1, &options)?;
                for (i, name) in conn_names.iter().enumerate() {
                    if let Ok(w) = net.weights_tensor(name) {
                        w_after_each_run[i].extend_from_slice(w.data());
                    }
                }
            }
        }
        other => return Err(Error::Unsupported(format!("protocol {other:?}"))),
    }
    Ok(Recording {
        net,
        w_after_each_run,
        layer_order: order,
        conn_names,
    })
}
