//! A case's layers: BindsNET's node types and their parameters.

use super::json::*;
use crate::error::Result;
use crate::nodes::*;
use serde_json::Value;

pub(super) fn lif(v: &Value) -> Result<LifNodes> {
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
pub(super) const LAYER_COMMON: &[&str] = &[
    "type",
    "shape",
    "n",
    "traces",
    "traces_additive",
    "tc_trace",
    "trace_scale",
    "sum_input",
];
pub(super) const LIF_FIELDS: &[&str] = &["thresh", "rest", "reset", "refrac", "tc_decay", "lbound"];

/// The type-specific fields of a layer type, or `None` for a type the
/// runner does not build.
pub(super) fn layer_fields(ty: &str) -> Option<Vec<&'static str>> {
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
pub(super) fn csrm_window(v: &Value, key: &str, dt: f32) -> Result<f32> {
    let w = field(v, key)?;
    let steps = w / dt;
    if !(steps.is_finite() && steps >= 1.0 && steps == steps.round()) {
        return Err(unsupported(format!(
            "CSRMNodes {key} {w} ms is not a whole number of steps of {dt} ms"
        )));
    }
    Ok(w)
}

pub(super) fn add_layer(
    b: &mut crate::NetworkBuilder,
    name: &str,
    v: &Value,
    dt: f32,
) -> Result<()> {
    let what = format!("layer {name:?}");
    let ty = string(v, "type")?;
    let Some(fields) = layer_fields(ty) else {
        return Err(unsupported(format!("node type {ty}")));
    };
    known_fields(v, &[LAYER_COMMON, &fields[..]].concat(), &what)?;
    let shape = usizes(v, "shape")?;
    if let Some(n) = v.get("n") {
        let product = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
        if product.is_none() || n.as_u64() != product {
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
