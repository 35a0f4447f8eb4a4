//! A minimal owned n-dimensional `f32` array, used for inputs, monitor
//! recordings and weights crossing the public API.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// A row-major (C order) array of `f32` with a shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Tensor {
    /// Wraps `data` with `shape`; the product of `shape` must equal `data.len()`.
    ///
    /// # Errors
    /// [`Error::Shape`] if the lengths disagree.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Result<Self> {
        // Checked: a shape whose product overflows must not wrap around to
        // the data's length.
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if n != Some(data.len()) {
            return Err(Error::shape(
                "tensor",
                match n {
                    Some(n) => format!("shape {shape:?} holds {n} values, data has {}", data.len()),
                    None => format!("shape {shape:?} holds more values than an array can"),
                },
            ));
        }
        Ok(Tensor { shape, data })
    }

    /// An array of zeros.
    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        Tensor {
            shape,
            data: vec![0.0; n],
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The values in row-major order.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Mutable values in row-major order.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the tensor, returning its values.
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// Number of values per index of the first axis.
    pub fn stride0(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// The sub-array at index `i` of the first axis, as a slice.
    pub fn slab(&self, i: usize) -> &[f32] {
        let k = self.stride0();
        &self.data[i * k..(i + 1) * k]
    }
}
