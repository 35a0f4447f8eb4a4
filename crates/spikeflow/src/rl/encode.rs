//! Observation encoders: one observation → a spike raster
//! `[steps, 1, n_inputs]` presented to the network's input population for
//! one environment step (BindsNET's `encoding` of `EnvironmentPipeline`).
//!
//! * [`RateEncoder`]: `copies` inputs per observation value (1 by
//!   default; independent draws), each spiking each step with probability `p = max_prob · clamp((x − low)/(high − low), 0, 1)`
//!   (a Bernoulli rate code; BindsNET's `bernoulli` scales by the datum's
//!   maximum instead of by fixed bounds).
//! * [`PlaceEncoder`]: population (place) coding of continuous values
//!   (Gaussian receptive fields, as in Pouget, Dayan & Zemel 2000): value
//!   `i` drives `m` inputs with centres `c_k = low_i + k·(high_i − low_i)/(m − 1)`
//!   and width `σ = width · (high_i − low_i)/(m − 1)`; input `k` spikes each
//!   step with probability `max_prob · exp(−(x̃ − c_k)² / 2σ²)`, where `x̃`
//!   is `x` clamped to `[low_i, high_i]`.

use crate::rng::Rng;
use crate::{Error, Result, SpikeRaster};

/// Turns an observation into the input spikes of one environment step.
pub trait ObservationEncoder: Send + std::fmt::Debug {
    /// Number of observation values expected.
    fn observation_dim(&self) -> usize;
    /// Number of input neurons produced.
    fn n_inputs(&self) -> usize;
    /// The spikes `[steps, 1, n_inputs]` for `observation`, drawn from `rng`.
    ///
    /// # Errors
    /// An observation of the wrong length or with non-finite values.
    fn encode(&mut self, observation: &[f32], steps: usize, rng: &mut Rng) -> Result<SpikeRaster>;
}

fn check_bounds(object: &str, low: &[f32], high: &[f32], max_prob: f32) -> Result<()> {
    if low.len() != high.len() || low.is_empty() {
        return Err(Error::shape(
            object,
            format!("{} lower and {} upper bounds", low.len(), high.len()),
        ));
    }
    for (i, (l, h)) in low.iter().zip(high).enumerate() {
        if !(l.is_finite() && h.is_finite() && l < h) {
            return Err(Error::param(
                object,
                format!("bounds of value {i} must be finite with low < high, got [{l}, {h}]"),
            ));
        }
    }
    if !(max_prob > 0.0 && max_prob <= 1.0) {
        return Err(Error::param(
            object,
            format!("max_prob must be in (0, 1], got {max_prob}"),
        ));
    }
    Ok(())
}

fn check_observation(object: &str, observation: &[f32], dim: usize) -> Result<()> {
    if observation.len() != dim {
        return Err(Error::shape(
            object,
            format!(
                "observation has {} values, expected {dim}",
                observation.len()
            ),
        ));
    }
    if let Some(bad) = observation.iter().find(|v| !v.is_finite()) {
        return Err(Error::param(
            object,
            format!("observation values must be finite, got {bad}"),
        ));
    }
    Ok(())
}

/// Draws `[steps, 1, n]` spikes with per-input probabilities `p`.
fn bernoulli_raster(p: &[f32], steps: usize, rng: &mut Rng) -> Result<SpikeRaster> {
    let n = p.len();
    let mut data = Vec::with_capacity(steps * n);
    for _ in 0..steps {
        data.extend(p.iter().map(|&q| rng.uniform_f32() < q));
    }
    SpikeRaster::new(vec![steps, 1, n], data)
}

/// One Bernoulli input per observation value (rate code over fixed bounds).
#[derive(Debug, Clone, PartialEq)]
pub struct RateEncoder {
    low: Vec<f32>,
    high: Vec<f32>,
    max_prob: f32,
    copies: usize,
}

impl RateEncoder {
    /// Values in `[low[i], high[i]]` map linearly to probabilities
    /// `[0, max_prob]` per step.
    ///
    /// # Errors
    /// Bounds of different lengths, empty, non-finite or with
    /// `low ≥ high`; `max_prob` outside `(0, 1]`.
    pub fn new(low: Vec<f32>, high: Vec<f32>, max_prob: f32) -> Result<Self> {
        check_bounds("RateEncoder", &low, &high, max_prob)?;
        Ok(RateEncoder {
            low,
            high,
            max_prob,
            copies: 1,
        })
    }

    /// `copies` independent inputs per value (value-major: inputs
    /// `i·copies .. (i+1)·copies` code value `i`).
    ///
    /// # Errors
    /// `copies` 0.
    pub fn copies(mut self, copies: usize) -> Result<Self> {
        if copies == 0 {
            return Err(Error::param("RateEncoder", "copies must be > 0"));
        }
        self.copies = copies;
        Ok(self)
    }

    /// The per-step spike probability of each input for `observation`
    /// (value-major).
    ///
    /// # Errors
    /// As [`ObservationEncoder::encode`].
    pub fn probabilities(&self, observation: &[f32]) -> Result<Vec<f32>> {
        check_observation("RateEncoder", observation, self.low.len())?;
        Ok(observation
            .iter()
            .zip(self.low.iter().zip(&self.high))
            .flat_map(|(x, (l, h))| {
                let p = self.max_prob * ((x - l) / (h - l)).clamp(0.0, 1.0);
                std::iter::repeat_n(p, self.copies)
            })
            .collect())
    }
}

impl ObservationEncoder for RateEncoder {
    fn observation_dim(&self) -> usize {
        self.low.len()
    }
    fn n_inputs(&self) -> usize {
        self.low.len() * self.copies
    }
    fn encode(&mut self, observation: &[f32], steps: usize, rng: &mut Rng) -> Result<SpikeRaster> {
        bernoulli_raster(&self.probabilities(observation)?, steps, rng)
    }
}

/// Gaussian place coding: `per_value` inputs per observation value.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceEncoder {
    low: Vec<f32>,
    high: Vec<f32>,
    per_value: usize,
    width: f32,
    max_prob: f32,
}

impl PlaceEncoder {
    /// `per_value` (≥ 2) inputs per value with centres spread evenly over
    /// `[low[i], high[i]]`, width `width` × the centres' spacing.
    ///
    /// # Errors
    /// As [`RateEncoder::new`], plus `per_value < 2` or a non-positive width.
    pub fn new(
        low: Vec<f32>,
        high: Vec<f32>,
        per_value: usize,
        width: f32,
        max_prob: f32,
    ) -> Result<Self> {
        let o = "PlaceEncoder";
        check_bounds(o, &low, &high, max_prob)?;
        if per_value < 2 {
            return Err(Error::param(
                o,
                format!("per_value must be ≥ 2, got {per_value}"),
            ));
        }
        crate::error::positive(o, "width", width)?;
        Ok(PlaceEncoder {
            low,
            high,
            per_value,
            width,
            max_prob,
        })
    }

    /// The per-step spike probability of each input for `observation`
    /// (value-major: inputs `i·per_value .. (i+1)·per_value` code value `i`).
    ///
    /// # Errors
    /// As [`ObservationEncoder::encode`].
    pub fn probabilities(&self, observation: &[f32]) -> Result<Vec<f32>> {
        check_observation("PlaceEncoder", observation, self.low.len())?;
        let m = self.per_value;
        let mut p = Vec::with_capacity(observation.len() * m);
        for (x, (&l, &h)) in observation.iter().zip(self.low.iter().zip(&self.high)) {
            let spacing = (h - l) / (m - 1) as f32;
            let sigma = self.width * spacing;
            let x = x.clamp(l, h);
            for k in 0..m {
                let d = (x - (l + k as f32 * spacing)) / sigma;
                p.push(self.max_prob * (-0.5 * d * d).exp());
            }
        }
        Ok(p)
    }
}

impl ObservationEncoder for PlaceEncoder {
    fn observation_dim(&self) -> usize {
        self.low.len()
    }
    fn n_inputs(&self) -> usize {
        self.low.len() * self.per_value
    }
    fn encode(&mut self, observation: &[f32], steps: usize, rng: &mut Rng) -> Result<SpikeRaster> {
        bernoulli_raster(&self.probabilities(observation)?, steps, rng)
    }
}
