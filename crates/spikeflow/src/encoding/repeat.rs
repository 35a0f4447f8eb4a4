//! Repeat encoding: the raw datum, unchanged, at every step.
//!
//! ```text
//! s[t, i] = x_i    for every step t
//! ```
//!
//! The result is real-valued, not spikes: it is meant as a constant current
//! into an input population. This is BindsNET's `repeat(datum, time, dt)`.

use super::{check_common, check_values, out_shape, Encoder};
use crate::error::{Error, Result};
use crate::Tensor;

/// Repeats `datum` (finite values, row-major with shape `shape`) `steps`
/// times into `[steps, *shape]`.
///
/// # Errors
/// [`Error::Shape`] if `shape` does not hold `datum.len()` values;
/// [`Error::InvalidParameter`] if `steps == 0` or a value is not finite (the
/// error names the first such value and its index).
pub fn repeat(datum: &[f32], shape: &[usize], steps: usize) -> Result<Tensor> {
    const OBJ: &str = "repeat encoder";
    check_common(OBJ, datum, shape, steps)?;
    check_values(OBJ, "value", datum, false)?;
    Tensor::new(out_shape(steps, shape), datum.repeat(steps))
}

/// [`repeat`] with a stored number of steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatEncoder {
    /// Number of time steps (rows) to produce.
    pub steps: usize,
}

impl RepeatEncoder {
    /// An encoder producing `steps` rows.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `steps == 0`.
    pub fn new(steps: usize) -> Result<Self> {
        if steps == 0 {
            return Err(Error::param("repeat encoder", "steps must be > 0, got 0"));
        }
        Ok(RepeatEncoder { steps })
    }
}

impl Encoder for RepeatEncoder {
    fn encode(&mut self, datum: &[f32], shape: &[usize]) -> Result<Tensor> {
        repeat(datum, shape, self.steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_raw_values() {
        let x = [0.5, -1.25, 3.0, 0.0, 7.5, -0.0];
        let s = repeat(&x, &[2, 3], 4).unwrap();
        assert_eq!(s.shape(), &[4, 2, 3]);
        for t in 0..4 {
            assert_eq!(s.slab(t), &x);
        }
        let mut e = RepeatEncoder::new(4).unwrap();
        assert_eq!(e.encode(&x, &[6]).unwrap().data(), s.data());
        assert_eq!(repeat(&[2.0], &[], 3).unwrap().shape(), &[3]);
    }

    #[test]
    fn bad_input_is_an_error() {
        let e = repeat(&[1.0, f32::NAN], &[2], 3).unwrap_err();
        assert!(e.to_string().contains("index 1"), "{e}");
        assert!(repeat(&[f32::INFINITY], &[1], 3).is_err());
        assert!(repeat(&[1.0], &[1], 0).is_err());
        assert!(repeat(&[1.0], &[3], 2).is_err());
        assert!(RepeatEncoder::new(0).is_err());
    }
}
