//! A case's connections: BindsNET's connection types, bounds, norms and
//! learning rules with their kwargs (BindsNET's defaults where absent).

use super::json::*;
use crate::error::Result;
use crate::learning::{
    DiehlAndCook, Hebbian, Mstdp, MstdpEt, Nu, PostPre, Reduction, Rmax, WeightDependentPostPre,
};
use crate::network::Connect;
use crate::topology::{
    Bound, Conv, Dense, LocalConnection, LocalNd, MaxPool, MeanField, MeanFieldOverBatch, Sparse,
};
use serde_json::Value;

pub(super) fn rule_of(c: &Value) -> &str {
    c.get("update_rule")
        .and_then(Value::as_str)
        .unwrap_or("NoOp")
}

/// Fields of every connection with weights.
pub(super) const CONN_COMMON: &[&str] = &[
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
pub(super) const POOL_FIELDS: &[&str] = &[
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
pub(super) fn connection_fields(ty: &str) -> Option<Vec<&'static str>> {
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
pub(super) fn rule_kwargs(rule: &str) -> Option<&'static [&'static str]> {
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
pub(super) struct NetInfo<'a> {
    pub layers: &'a Value,
    pub learning: bool,
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
pub(super) fn connection(
    c: &Value,
    i: usize,
    net: &NetInfo<'_>,
) -> Result<(Connect, Option<Vec<bool>>)> {
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
        // One bound per given weight, or the comparison below reads past
        // the bound (a fuzzed case with `"wmin": []` did).
        for (key, bd) in [("wmin", &wmin), ("wmax", &wmax)] {
            if let (Bound::PerSynapse(v), Some(w)) = (bd, &w) {
                if v.len() != w.len() {
                    return Err(invalid(format!(
                        "{what}: {key} has {} values for {} weights",
                        v.len(),
                        w.len()
                    )));
                }
            }
        }
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
