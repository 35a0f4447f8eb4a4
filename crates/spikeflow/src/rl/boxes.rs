//! State boxes: a partition of a continuous observation into a grid of
//! disjoint cells ("boxes", Michie & Chambers 1968; Barto, Sutton &
//! Anderson 1983), so that exactly one cell — one input neuron — is active
//! for any observation.
//!
//! Each observation variable has a sorted list of inner thresholds; `k`
//! thresholds make `k + 1` bins, the outer two open-ended (a value beyond
//! the last threshold falls in the last bin). A variable with no thresholds
//! is ignored (one bin). The box index is row-major over the variables in
//! observation order.
//!
//! Presets for cart-pole `(x, ẋ, θ, θ̇)` (angles in radians here):
//!
//! * [`StateBoxes::barto_162`]: Barto et al.'s 162 boxes (3 × 3 × 6 × 3):
//!   x at ±0.8 m, ẋ at ±0.5 m/s, θ at 0, ±1°, ±6°, θ̇ at ±50 °/s.
//! * [`StateBoxes::liu_pan_360`]: the 3 × 1 × 6 × 20 boxes of the NESTML
//!   cart-pole tutorial's reimplementation of Liu & Pan (2023): x at
//!   ±0.8 m, ẋ ignored, θ at 0, ±2.88°, ±5.74°, θ̇ every 103/9 °/s from
//!   −103 to 103 °/s (19 thresholds).
//! * [`StateBoxes::angle`]: θ and θ̇ only (the cart's position and speed
//!   ignored), `theta_bins` × `omega_bins` equal bins within ±12° and
//!   ±`omega_max` rad/s.

use crate::{Error, Result};

/// A grid of boxes over an observation.
#[derive(Debug, Clone, PartialEq)]
pub struct StateBoxes {
    thresholds: Vec<Vec<f32>>,
    n: usize,
}

const DEG: f32 = std::f32::consts::PI / 180.0;

impl StateBoxes {
    /// Boxes from each variable's inner thresholds (strictly increasing,
    /// finite; an empty list ignores the variable).
    ///
    /// # Errors
    /// No variables, a non-finite threshold, or thresholds not strictly
    /// increasing.
    pub fn new(thresholds: Vec<Vec<f32>>) -> Result<Self> {
        let o = "StateBoxes";
        if thresholds.is_empty() {
            return Err(Error::param(o, "needs at least one variable"));
        }
        for (i, t) in thresholds.iter().enumerate() {
            if t.iter().any(|v| !v.is_finite()) {
                return Err(Error::param(
                    o,
                    format!("variable {i}: thresholds must be finite"),
                ));
            }
            if t.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::param(
                    o,
                    format!("variable {i}: thresholds must be strictly increasing"),
                ));
            }
        }
        let n = thresholds.iter().map(|t| t.len() + 1).product();
        Ok(StateBoxes { thresholds, n })
    }

    /// Barto, Sutton & Anderson's (1983) 162 cart-pole boxes.
    pub fn barto_162() -> Self {
        Self::new(vec![
            vec![-0.8, 0.8],
            vec![-0.5, 0.5],
            vec![-6.0 * DEG, -DEG, 0.0, DEG, 6.0 * DEG],
            vec![-50.0 * DEG, 50.0 * DEG],
        ])
        .expect("valid preset")
    }

    /// The 3 × 1 × 6 × 20 = 360 boxes of Liu & Pan's (2023) controller as
    /// the NESTML cart-pole tutorial codes them.
    pub fn liu_pan_360() -> Self {
        let step = 103.0 / 9.0;
        let omega = (0..19).map(|k| (-103.0 + step * k as f32) * DEG).collect();
        Self::new(vec![
            vec![-0.8, 0.8],
            vec![],
            vec![-5.74 * DEG, -2.88 * DEG, 0.0, 2.88 * DEG, 5.74 * DEG],
            omega,
        ])
        .expect("valid preset")
    }

    /// θ and θ̇ only: `theta_bins` equal bins over ±12° and `omega_bins`
    /// equal bins over ±`omega_max` rad/s (outer bins open-ended).
    ///
    /// # Errors
    /// A bin count of 0 or a non-positive `omega_max`.
    pub fn angle(theta_bins: usize, omega_bins: usize, omega_max: f32) -> Result<Self> {
        if theta_bins == 0 || omega_bins == 0 || omega_max.is_nan() || omega_max <= 0.0 {
            return Err(Error::param(
                "StateBoxes::angle",
                "bin counts must be > 0 and omega_max > 0",
            ));
        }
        let even = |bins: usize, h: f32| -> Vec<f32> {
            (1..bins)
                .map(|k| -h + 2.0 * h * k as f32 / bins as f32)
                .collect()
        };
        Self::new(vec![
            vec![],
            vec![],
            even(theta_bins, 12.0 * DEG),
            even(omega_bins, omega_max),
        ])
    }

    /// Number of boxes.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of observation variables.
    pub fn dim(&self) -> usize {
        self.thresholds.len()
    }

    /// The box of `obs` (its length must be [`dim`](Self::dim)).
    ///
    /// # Errors
    /// A wrong length or a NaN value.
    pub fn index(&self, obs: &[f32]) -> Result<usize> {
        if obs.len() != self.thresholds.len() {
            return Err(Error::shape(
                "StateBoxes",
                format!(
                    "observation has {} values, expected {}",
                    obs.len(),
                    self.dim()
                ),
            ));
        }
        let mut k = 0;
        for (&v, t) in obs.iter().zip(&self.thresholds) {
            if v.is_nan() {
                return Err(Error::param("StateBoxes", "observation value is NaN"));
            }
            let bin = t.partition_point(|&th| th <= v);
            k = k * (t.len() + 1) + bin;
        }
        Ok(k)
    }
}
