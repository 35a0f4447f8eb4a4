//! A spike raster: an owned n-dimensional array of spikes (`bool`).

use crate::error::{Error, Result};

/// A row-major (C order) array of spikes with a shape, usually
/// `[steps, batch, *shape]` for [`Network::run_inputs`](crate::Network::run_inputs).
///
/// A quarter of the memory of the same raster as an `f32`
/// [`Tensor`](crate::Tensor) (BindsNET's encoders return `bool` tensors
/// too): a run streams its input from memory, so a batch of 32 MNIST
/// images over 250 steps reads 6 MB instead of 25 MB. A spike is 1, no spike
/// 0; the values need no finiteness check.
///
/// ```
/// use spikeflow::SpikeRaster;
///
/// // 3 steps, batch 1, 2 neurons: neuron 0 spikes at step 0.
/// let x = SpikeRaster::new(vec![3, 1, 2], vec![true, false, false, false, false, false])?;
/// assert_eq!(x.count(), 1);
/// # Ok::<(), spikeflow::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpikeRaster {
    shape: Vec<usize>,
    data: Vec<bool>,
}

impl SpikeRaster {
    /// Wraps `data` with `shape`; the product of `shape` must equal `data.len()`.
    ///
    /// # Errors
    /// [`Error::Shape`] if the lengths disagree.
    pub fn new(shape: Vec<usize>, data: Vec<bool>) -> Result<Self> {
        // Checked: a shape whose product overflows must not wrap around to
        // the data's length.
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if n != Some(data.len()) {
            return Err(Error::shape(
                "spike raster",
                match n {
                    Some(n) => format!("shape {shape:?} holds {n} values, data has {}", data.len()),
                    None => format!("shape {shape:?} holds more values than an array can"),
                },
            ));
        }
        Ok(SpikeRaster { shape, data })
    }

    /// A raster without spikes.
    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        SpikeRaster {
            shape,
            data: vec![false; n],
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The spikes in row-major order.
    pub fn data(&self) -> &[bool] {
        &self.data
    }

    /// Mutable spikes in row-major order (to refill a raster in place).
    pub fn data_mut(&mut self) -> &mut [bool] {
        &mut self.data
    }

    /// The number of spikes.
    pub fn count(&self) -> usize {
        self.data.iter().filter(|&&s| s).count()
    }

    /// Number of values per index of the first axis.
    pub fn stride0(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// The sub-array at index `i` of the first axis, as a slice.
    pub fn slab(&self, i: usize) -> &[bool] {
        let k = self.stride0();
        &self.data[i * k..(i + 1) * k]
    }

    /// The same spikes as `f32` values (1 or 0).
    pub fn to_tensor(&self) -> crate::Tensor {
        let mut t = crate::Tensor::zeros(self.shape.clone());
        for (v, &s) in t.data_mut().iter_mut().zip(&self.data) {
            *v = crate::spikes::SpikeValue::raw(s);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_must_match_the_data() {
        assert!(SpikeRaster::new(vec![2, 3], vec![false; 5]).is_err());
        let x = SpikeRaster::new(vec![2, 1, 2], vec![true, false, true, true]).unwrap();
        assert_eq!(x.slab(1), &[true, true]);
        assert_eq!(x.count(), 3);
        assert_eq!(x.to_tensor().data(), &[1.0, 0.0, 1.0, 1.0]);
        assert_eq!(SpikeRaster::zeros(vec![4, 2]).count(), 0);
    }

    #[test]
    fn a_shape_whose_product_overflows_is_refused_not_wrapped() {
        // 2^63 · 2 wraps to 0 in unchecked arithmetic: the empty data would match.
        let wraps = vec![1usize << 63, 2];
        assert!(SpikeRaster::new(wraps.clone(), Vec::new()).is_err());
        assert!(crate::Tensor::new(wraps, Vec::new()).is_err());
    }
}
