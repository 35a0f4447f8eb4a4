//! Parameters that are either one value for the whole population or one
//! value per neuron (BindsNET accepts tensors for e.g. `thresh`).

use crate::error::{Error, Result};

/// A scalar or per-neuron parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// The same value for every neuron.
    Scalar(f32),
    /// One value per neuron, in flat (C) order.
    PerNeuron(Vec<f32>),
}

impl From<f32> for Param {
    fn from(v: f32) -> Self {
        Param::Scalar(v)
    }
}

impl From<Vec<f32>> for Param {
    fn from(v: Vec<f32>) -> Self {
        Param::PerNeuron(v)
    }
}

impl Param {
    /// The values of neurons `range` alone (a scalar stays a scalar): the
    /// parameter of one process's part of a distributed population. A
    /// per-neuron array too short for the range is cut as far as it goes
    /// (the build then reports its length).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Param {
        match self {
            Param::Scalar(x) => Param::Scalar(*x),
            Param::PerNeuron(v) => {
                let end = range.end.min(v.len());
                Param::PerNeuron(v[range.start.min(end)..end].to_vec())
            }
        }
    }

    /// One value per neuron; every value must be finite.
    ///
    /// # Errors
    /// A per-neuron array of the wrong length, or a non-finite value.
    pub fn expand(&self, n: usize, object: &str, what: &str) -> Result<Vec<f32>> {
        let v = match self {
            Param::Scalar(x) => vec![*x; n],
            Param::PerNeuron(v) => {
                if v.len() != n {
                    return Err(Error::shape(
                        object,
                        format!("{what} has {} values for {n} neurons", v.len()),
                    ));
                }
                v.clone()
            }
        };
        if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
            return Err(Error::param(
                object,
                format!("{what} must be finite, got {bad}"),
            ));
        }
        Ok(v)
    }
}
