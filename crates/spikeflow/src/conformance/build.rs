//! Builds a network from a case file and runs it per its protocol,
//! recording what the case expects.

use super::connections::*;
use super::engine::Engine;
use super::json::*;
use super::layers::*;
use crate::error::Result;
use crate::monitor::MonitorSpec;
use crate::network::{Mask, Network, NetworkBuilder, Reward, RunOptions};
use crate::tensor::Tensor;
use serde_json::Value;

/// What a replay recorded, for comparison.
pub(crate) struct Recording<E: Engine = Network> {
    pub net: E,
    /// Per connection: weights after each run call (run_per_step).
    pub w_after_each_run: Vec<Vec<f32>>,
    pub layer_order: Vec<String>,
    pub conn_names: Vec<String>,
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
    net: &impl Engine,
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
        let (n, _) = net
            .population_info(name)
            .map_err(|_| invalid(format!("{key}: no layer {name:?}")))?;
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

/// Builds and runs a case on one network.
pub(crate) fn replay(case: &Value) -> Result<Recording> {
    replay_on(case, NetworkBuilder::build)
}

/// Builds a case's network with `build` (one network, or one process's
/// part) and runs it.
pub(crate) fn replay_on<E: Engine>(
    case: &Value,
    build: impl FnOnce(NetworkBuilder) -> Result<E>,
) -> Result<Recording<E>> {
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
    let mut net = build(b)?;

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
            let (n, type_name) = net.population_info(name)?;
            if type_name == "CSRMNodes" {
                return Err(unsupported(format!(
                    "{what}: external input to CSRMNodes (BindsNET's CSRM takes none)"
                )));
            }
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
                    if let Ok(w) = net.weights(name) {
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
