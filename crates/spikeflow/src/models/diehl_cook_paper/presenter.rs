//! The paper's presentation protocol as a [`Presenter`].

use super::DiehlCookPaper;
use crate::encoding::poisson::poisson_into;
use crate::error::{Error, Result};
use crate::models::Presenter;
use crate::monitor::MonitorSpec;
use crate::network::{Network, RunInput, RunOptions};
use crate::rng::Rng;
use crate::SpikeRaster;

const COUNTS: &str = "__paper_counts";
const INPUT_CONN: &str = "X -> Ae";

/// Shows one image at a time the way the authors' script does:
///
/// ```text
/// loop:
///     if learning: normalise every column of X → Ae to sum `norm` (78)
///     Poisson input at pixel/8 · intensity Hz (pixel in 0…255) for 350 ms
///     150 ms without input
///     if Ae fired ≥ 5 spikes during the 350 ms: done (intensity back to 2)
///     else intensity += 1 and show again
/// ```
/// Nothing is reset between images. Batch size 1.
#[derive(Debug)]
pub struct PaperPresenter {
    net: Network,
    rng: Rng,
    n_inputs: usize,
    exposure_steps: usize,
    rest_steps: usize,
    intensity: f32,
    min_spikes: f32,
    max_intensity: f32,
    norm: f32,
    /// The summed counter's value after the last exposure.
    previous: Vec<f32>,
    /// Presentations (including repeats) since construction.
    shown: u64,
    /// The intensity the last accepted presentation used.
    last_intensity: f32,
    /// The input raster, reused from presentation to presentation (no
    /// fresh one, and its page faults, per image); spikes as `bool`.
    raster: SpikeRaster,
}

fn steps(what: &str, ms: f32, dt: f32, allow_zero: bool) -> Result<usize> {
    let s = ms / dt;
    if !(s.is_finite() && s >= 0.0 && (s - s.round()).abs() < 1e-3 && (allow_zero || s >= 1.0)) {
        return Err(Error::param(
            "DiehlCookPaper",
            format!("{what} = {ms} ms must be a positive multiple of dt = {dt} ms"),
        ));
    }
    Ok(s.round() as usize)
}

impl PaperPresenter {
    /// Wraps a network built by [`DiehlCookPaper::network`].
    ///
    /// # Errors
    /// Bad times or intensities; a network without `X`, `Ae`, `X -> Ae`.
    pub fn new(mut net: Network, cfg: &DiehlCookPaper) -> Result<Self> {
        net.weights(INPUT_CONN)?;
        if net.batch_size() != 1 {
            return Err(Error::param("DiehlCookPaper", "batch size must be 1"));
        }
        let ok = |x: f32| x.is_finite() && x > 0.0;
        let valid = ok(cfg.intensity)
            && ok(cfg.max_intensity)
            && ok(cfg.norm)
            && cfg.min_spikes.is_finite();
        if !valid {
            return Err(Error::param(
                "DiehlCookPaper",
                "intensity, max_intensity and norm must be finite and > 0",
            ));
        }
        net.add_monitor(COUNTS, MonitorSpec::new("Ae", &["s"]).summed())?;
        let n = cfg.n_neurons;
        Ok(PaperPresenter {
            exposure_steps: steps("exposure_ms", cfg.exposure_ms, cfg.dt, false)?,
            rest_steps: steps("rest_ms", cfg.rest_ms, cfg.dt, true)?,
            net,
            rng: Rng::seed_from_u64(cfg.seed ^ 0xE1C0_DE5E_ED00_2015),
            n_inputs: cfg.n_inputs,
            intensity: cfg.intensity,
            min_spikes: cfg.min_spikes,
            max_intensity: cfg.max_intensity,
            norm: cfg.norm,
            previous: vec![0.0; n],
            shown: 0,
            last_intensity: cfg.intensity,
            raster: SpikeRaster::zeros(vec![0]),
        })
    }

    /// Presentations so far, repeats at higher intensity included.
    pub fn presentations(&self) -> u64 {
        self.shown
    }

    /// The intensity of the last accepted presentation.
    pub fn last_intensity(&self) -> f32 {
        self.last_intensity
    }

    /// Scales every column of `X → Ae` to sum `norm`.
    pub fn normalize(&mut self) -> Result<()> {
        let n_post = self.previous.len();
        let norm = self.norm;
        let w = self.net.weights_mut(INPUT_CONN)?;
        let mut sums = vec![0.0f32; n_post];
        for row in w.chunks_exact(n_post) {
            for (s, &x) in sums.iter_mut().zip(row) {
                *s += x;
            }
        }
        let f: Vec<f32> = sums
            .iter()
            .map(|&s| if s > 0.0 { norm / s } else { 1.0 })
            .collect();
        for row in w.chunks_exact_mut(n_post) {
            for (x, &k) in row.iter_mut().zip(&f) {
                *x *= k;
            }
        }
        Ok(())
    }

    fn counts_since_last(&mut self) -> Result<Vec<f32>> {
        let total = self.net.monitor(COUNTS)?.get("s")?.into_data();
        let diff = total
            .iter()
            .zip(&self.previous)
            .map(|(a, b)| a - b)
            .collect();
        self.previous = total;
        Ok(diff)
    }
}

impl Presenter for PaperPresenter {
    fn network(&self) -> &Network {
        &self.net
    }
    fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }
    fn readout(&self) -> &str {
        "Ae"
    }
    fn input_connection(&self) -> &str {
        INPUT_CONN
    }
    fn present(&mut self, images: &[f32], learning: bool) -> Result<Vec<f32>> {
        if images.len() != self.n_inputs {
            return Err(Error::shape(
                "DiehlCookPaper presenter",
                format!(
                    "{} pixel values for {} inputs (batch 1)",
                    images.len(),
                    self.n_inputs
                ),
            ));
        }
        self.net.set_learning(learning);
        let dt = self.net.dt();
        let mut intensity = self.intensity;
        loop {
            if learning {
                self.normalize()?;
            }
            // pixel ∈ [0, 1] ↔ 0…255: rate = 255·pixel / 8 · intensity Hz.
            let rates: Vec<f32> = images
                .iter()
                .map(|&p| p * 255.0 / 8.0 * intensity)
                .collect();
            let (n, steps) = (self.n_inputs, self.exposure_steps);
            if self.raster.shape() != [steps, 1, n] {
                self.raster = SpikeRaster::zeros(vec![steps, 1, n]);
            } else {
                self.raster.data_mut().fill(false);
            }
            let raster = self.raster.data_mut();
            poisson_into(&rates, steps, dt, raster, n, 0, &mut self.rng)?;
            let x = RunInput::from(&self.raster);
            self.net
                .run_inputs(&[("X", x)], steps, &RunOptions::default())?;
            let counts = self.counts_since_last()?;
            if self.rest_steps > 0 {
                self.net.run(&[], self.rest_steps, &RunOptions::default())?;
                // Rest spikes are not attributed to the next image.
                self.counts_since_last()?;
            }
            self.shown += 1;
            let total: f32 = counts.iter().sum();
            if total >= self.min_spikes || intensity + 1.0 > self.max_intensity {
                self.last_intensity = intensity;
                return Ok(counts);
            }
            intensity += 1.0;
        }
    }
    fn encoder_rng(&self) -> &Rng {
        &self.rng
    }
    fn set_encoder_rng(&mut self, rng: Rng) {
        self.rng = rng;
    }
}
