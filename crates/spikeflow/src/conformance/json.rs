//! Reading a case's JSON: typed fields with messages that name them, and
//! the check that refuses fields the replay does not understand.

use crate::error::{Error, Result};
use crate::nodes::Param;
use crate::topology::Bound;
use serde_json::Value;

pub(super) fn invalid(m: impl Into<String>) -> Error {
    Error::format("case", m)
}

pub(super) fn get<'a>(v: &'a Value, key: &str) -> Result<&'a Value> {
    v.get(key)
        .ok_or_else(|| invalid(format!("missing field {key:?}")))
}

pub(super) fn unsupported(m: impl Into<String>) -> Error {
    Error::Unsupported(m.into())
}

/// Refuses a field this runner does not know: a field it ignored could
/// change what BindsNET computed.
pub(super) fn known_fields(v: &Value, allowed: &[&str], what: &str) -> Result<()> {
    let Some(m) = v.as_object() else {
        return Err(invalid(format!("{what} must be an object")));
    };
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(unsupported(format!("unknown field {k:?} in {what}"))),
        None => Ok(()),
    }
}

pub(super) fn boolean(v: &Value, key: &str, default: bool) -> Result<bool> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(x) => Err(invalid(format!("{key} must be a boolean, got {x}"))),
    }
}

pub(super) fn string<'a>(v: &'a Value, key: &str) -> Result<&'a str> {
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

pub(super) fn field(v: &Value, key: &str) -> Result<f32> {
    num(get(v, key)?).map_err(|e| invalid(format!("{key}: {e}")))
}

pub(super) fn field_or(v: &Value, key: &str, default: f32) -> Result<f32> {
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

pub(super) fn usizes(v: &Value, key: &str) -> Result<Vec<usize>> {
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

pub(super) fn param(v: &Value, key: &str) -> Result<Param> {
    match get(v, key)? {
        Value::Array(_) => Ok(Param::PerNeuron(flat(get(v, key)?)?)),
        x => Ok(Param::Scalar(num(x)?)),
    }
}

pub(super) fn lbound(v: &Value) -> Result<Option<f32>> {
    match v.get("lbound") {
        None | Some(Value::Null) => Ok(None),
        Some(x) => num(x).map(Some),
    }
}

pub(super) fn bound(v: &Value, key: &str, default: f32) -> Result<Bound> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Bound::Scalar(default)),
        Some(Value::Array(_)) => Ok(Bound::PerSynapse(flat(&v[key])?)),
        Some(x) => Ok(Bound::Scalar(num(x)?)),
    }
}

pub(super) fn opt_flat(v: &Value, key: &str) -> Result<Option<Vec<f32>>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => flat(x).map(Some),
    }
}

/// Kernel, stride, padding and dilation per spatial axis.
pub(super) type Geometry = (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>);
