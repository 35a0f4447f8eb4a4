//! Compares a replay with a case's `expected` states.

use super::build::Recording;
use super::engine::Engine;
use super::json::flat;
use crate::error::{Error, Result};
use serde_json::Value;

/// The first value that did not match.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The population or connection.
    pub object: String,
    /// The variable (`s`, `v`, `w_every_step`, …).
    pub variable: String,
    /// Time step, if the variable is recorded per step.
    pub step: Option<usize>,
    /// Batch row, if the variable has one.
    pub batch: Option<usize>,
    /// Flat index within the step (and row).
    pub index: usize,
    /// spikeflow's value.
    pub got: f32,
    /// BindsNET's value.
    pub expected: f32,
    /// A note (shape differences).
    pub note: Option<String>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.object, self.variable)?;
        if let Some(n) = &self.note {
            return write!(f, ": {n}");
        }
        if let Some(t) = self.step {
            write!(f, " step {t}")?;
        }
        if let Some(b) = self.batch {
            write!(f, " batch {b}")?;
        }
        write!(
            f,
            " index {}: got {}, expected {}",
            self.index, self.got, self.expected
        )
    }
}

struct Tol {
    rtol: f32,
    atol: f32,
}

/// Layout of a compared array: how a flat index splits into step/batch/index.
struct Layout {
    per_step: Option<usize>,
    batch: Option<usize>,
}

fn check(
    object: &str,
    variable: &str,
    got: &[f32],
    exp: &[f32],
    exact: bool,
    tol: &Tol,
    layout: Layout,
) -> Option<Mismatch> {
    if got.len() != exp.len() {
        return Some(Mismatch {
            object: object.into(),
            variable: variable.into(),
            step: None,
            batch: None,
            index: 0,
            got: f32::NAN,
            expected: f32::NAN,
            note: Some(format!(
                "{} values recorded, {} expected",
                got.len(),
                exp.len()
            )),
        });
    }
    let k = got.iter().zip(exp).position(|(&g, &e)| {
        if exact {
            g != e
        } else {
            !((g - e).abs() <= tol.atol + tol.rtol * e.abs() || (g.is_infinite() && g == e))
        }
    })?;
    let (step, rest) = match layout.per_step {
        Some(p) if p > 0 => (Some(k / p), k % p),
        _ => (None, k),
    };
    let (batch, index) = match layout.batch {
        Some(b) if b > 0 && layout.per_step.is_some() => {
            let per_row = layout.per_step.unwrap_or(1) / b;
            (Some(rest / per_row.max(1)), rest % per_row.max(1))
        }
        _ => (None, rest),
    };
    Some(Mismatch {
        object: object.into(),
        variable: variable.into(),
        step,
        batch,
        index,
        got: got[k],
        expected: exp[k],
        note: None,
    })
}

pub(crate) fn compare<E: Engine>(case: &Value, rec: &Recording<E>) -> Result<Option<Mismatch>> {
    let tol = case
        .get("tolerance")
        .ok_or_else(|| Error::format("case", "missing tolerance"))?;
    let tol = Tol {
        rtol: tol.get("rtol").and_then(Value::as_f64).unwrap_or(1e-5) as f32,
        atol: tol.get("atol").and_then(Value::as_f64).unwrap_or(1e-5) as f32,
    };
    let net = &rec.net;
    let batch = net.batch_size();
    let exp = &case["expected"];
    if let Some(el) = exp.get("layers").and_then(Value::as_object) {
        for name in rec.layer_order.iter().filter(|n| el.contains_key(*n)) {
            let mon = format!("layer {name}");
            for (var, val) in el[name].as_object().into_iter().flatten() {
                let got = net.recording(&mon, var)?;
                let want = flat(val)?;
                let per_step = got.stride0();
                let b = (var != "theta").then_some(batch);
                if let Some(m) = check(
                    name,
                    var,
                    got.data(),
                    &want,
                    var == "s",
                    &tol,
                    Layout {
                        per_step: Some(per_step),
                        batch: b,
                    },
                ) {
                    return Ok(Some(m));
                }
            }
        }
    }
    for (i, ce) in exp
        .get("connections")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let cname = &rec.conn_names[i];
        if let Some(val) = ce.get("w_every_step") {
            let got = net.recording(&format!("conn {i}"), "w")?;
            if let Some(m) = check(
                cname,
                "w_every_step",
                got.data(),
                &flat(val)?,
                false,
                &tol,
                Layout {
                    per_step: Some(got.stride0()),
                    batch: None,
                },
            ) {
                return Ok(Some(m));
            }
        }
        if let Some(val) = ce.get("firing_rates") {
            let got = net.recording(&format!("conn {i}"), "firing_rates")?;
            if let Some(m) = check(
                cname,
                "firing_rates",
                got.data(),
                &flat(val)?,
                false,
                &tol,
                Layout {
                    per_step: Some(got.stride0()),
                    batch: Some(batch),
                },
            ) {
                return Ok(Some(m));
            }
        }
        if let Some(val) = ce.get("w_after_each_run") {
            let got = &rec.w_after_each_run[i];
            let per = net.weights(cname)?.data().len();
            if let Some(m) = check(
                cname,
                "w_after_each_run",
                got,
                &flat(val)?,
                false,
                &tol,
                Layout {
                    per_step: Some(per),
                    batch: None,
                },
            ) {
                return Ok(Some(m));
            }
        }
        if let Some(val) = ce.get("w_final") {
            let got = net.weights(cname)?;
            if let Some(m) = check(
                cname,
                "w_final",
                got.data(),
                &flat(val)?,
                false,
                &tol,
                Layout {
                    per_step: None,
                    batch: None,
                },
            ) {
                return Ok(Some(m));
            }
        }
        for (var, val) in ce
            .get("rule_state_final")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let got = rule_state(rec, cname, var)?;
            if let Some(m) = check(
                cname,
                var,
                &got,
                &flat(val)?,
                false,
                &tol,
                Layout {
                    per_step: None,
                    batch: None,
                },
            ) {
                return Ok(Some(m));
            }
        }
    }
    Ok(None)
}

/// BindsNET's names for a reward rule's state, from spikeflow's.
fn rule_state<E: Engine>(rec: &Recording<E>, cname: &str, var: &str) -> Result<Vec<f32>> {
    let net = &rec.net;
    match var {
        "p_plus" => net.connection_state(cname, "pre_trace"),
        "p_minus" => net.connection_state(cname, "post_trace"),
        "eligibility_trace" => net.connection_state(cname, "eligibility"),
        "eligibility" => {
            // ζ[b,i,j] = p⁺[b,i]·s_post[b,j] + s_pre[b,i]·p⁻[b,j] from the final state.
            let (src, tgt) = cname
                .split_once(" -> ")
                .ok_or_else(|| Error::Name(cname.into()))?;
            let pre = net.spikes(src)?;
            let post = net.spikes(tgt)?;
            let pp = net.connection_state(cname, "pre_trace")?;
            let pm = net.connection_state(cname, "post_trace")?;
            let b = net.batch_size();
            let (ni, nj) = (pre.len() / b, post.len() / b);
            let mut out = Vec::with_capacity(b * ni * nj);
            for r in 0..b {
                for i in 0..ni {
                    for j in 0..nj {
                        out.push(
                            pp[r * ni + i] * post[r * nj + j] + pre[r * ni + i] * pm[r * nj + j],
                        );
                    }
                }
            }
            Ok(out)
        }
        other => Err(Error::Unsupported(format!("rule state {other}"))),
    }
}
