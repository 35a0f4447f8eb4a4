//! The paper's presentation protocol as a [`Presenter`].

use super::DiehlCookPaper;
use crate::encoding::poisson::poisson_into;
use crate::error::{Error, Result};
use crate::models::Presenter;
use crate::monitor::MonitorSpec;
use crate::network::{Network, RunInput, RunOptions};
use crate::rng::Rng;
use crate::SpikeRaster;

pub(super) const COUNTS: &str = "__paper_counts";
pub(super) const INPUT_CONN: &str = "X -> Ae";

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
    protocol: Protocol,
}

/// What the protocol needs of the network it runs: one process's
/// [`Network`], or one part of a network cut over threads
/// ([`PaperParts`](super::PaperParts)), which runs the same protocol with
/// the same decisions in every part.
pub(super) trait Stage {
    fn dt(&self) -> f32;
    fn set_learning(&mut self, on: bool);
    /// `X → Ae`'s weights this stage holds (`[n_inputs × targets]`).
    fn input_weights_mut(&mut self) -> Result<(&mut [f32], usize)>;
    /// Runs `steps` steps, `X` driven by `x` when given.
    fn run(&mut self, x: Option<&SpikeRaster>, steps: usize) -> Result<()>;
    /// `Ae`'s spike counts since the counter was added, whole population.
    fn counts(&mut self) -> Result<Vec<f32>>;
    /// Takes `steps` steps without input in closed form if nothing can
    /// spike in them ([`Network::relax`]); `false`, changing nothing,
    /// otherwise.
    fn relax(&mut self, _steps: usize) -> bool {
        false
    }
}

impl Stage for Network {
    fn dt(&self) -> f32 {
        Network::dt(self)
    }
    fn set_learning(&mut self, on: bool) {
        Network::set_learning(self, on);
    }
    fn input_weights_mut(&mut self) -> Result<(&mut [f32], usize)> {
        let n_post = self.population("Ae")?.core().n();
        Ok((self.weights_mut(INPUT_CONN)?, n_post))
    }
    fn run(&mut self, x: Option<&SpikeRaster>, steps: usize) -> Result<()> {
        match x {
            Some(x) => self.run_inputs(&[("X", RunInput::from(x))], steps, &RunOptions::default()),
            None => Network::run(self, &[], steps, &RunOptions::default()),
        }
    }
    fn counts(&mut self) -> Result<Vec<f32>> {
        Ok(self.monitor(COUNTS)?.get("s")?.into_data())
    }
    fn relax(&mut self, steps: usize) -> bool {
        Network::relax(self, steps)
    }
}

/// With [`DiehlCookPaper::closed_form_rest`] (or
/// [`closed_form_training_rest`](DiehlCookPaper::closed_form_training_rest)),
/// the rest is stepped this many steps at a time until the network is
/// quiet.
const QUIET_CHECK_STEPS: usize = 10;

/// The protocol's own state: the encoder, the intensity, the counter.
#[derive(Debug)]
pub(super) struct Protocol {
    rng: Rng,
    n_inputs: usize,
    exposure_steps: usize,
    rest_steps: usize,
    closed_form_rest: bool,
    closed_form_training_rest: bool,
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

/// The summed spike counter of `Ae` the protocol reads.
pub(super) fn counter() -> MonitorSpec {
    MonitorSpec::new("Ae", &["s"]).summed()
}

/// Scales every column of `w` (`[rows × n_post]`) to sum `norm`: column
/// `j` is multiplied by `norm / Σ_i w_ij` (left alone when it sums to 0).
pub(super) fn normalize_columns(w: &mut [f32], n_post: usize, norm: f32) {
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
}

impl Protocol {
    /// The protocol of `cfg` (its times checked against `cfg.dt`).
    pub fn new(cfg: &DiehlCookPaper) -> Result<Self> {
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
        Ok(Protocol {
            exposure_steps: steps("exposure_ms", cfg.exposure_ms, cfg.dt, false)?,
            rest_steps: steps("rest_ms", cfg.rest_ms, cfg.dt, true)?,
            closed_form_rest: cfg.closed_form_rest,
            closed_form_training_rest: cfg.closed_form_training_rest,
            rng: Rng::seed_from_u64(cfg.seed ^ 0xE1C0_DE5E_ED00_2015),
            n_inputs: cfg.n_inputs,
            intensity: cfg.intensity,
            min_spikes: cfg.min_spikes,
            max_intensity: cfg.max_intensity,
            norm: cfg.norm,
            previous: vec![0.0; cfg.n_neurons],
            shown: 0,
            last_intensity: cfg.intensity,
            raster: SpikeRaster::zeros(vec![0]),
        })
    }

    pub fn presentations(&self) -> u64 {
        self.shown
    }

    pub fn last_intensity(&self) -> f32 {
        self.last_intensity
    }

    pub fn rng(&self) -> &Rng {
        &self.rng
    }

    pub fn set_rng(&mut self, rng: Rng) {
        self.rng = rng;
    }

    /// Scales every column of `X → Ae` to sum `norm`.
    pub fn normalize(&self, stage: &mut impl Stage) -> Result<()> {
        let (w, n_post) = stage.input_weights_mut()?;
        normalize_columns(w, n_post, self.norm);
        Ok(())
    }

    fn counts_since_last(&mut self, stage: &mut impl Stage) -> Result<Vec<f32>> {
        let total = stage.counts()?;
        let diff = total
            .iter()
            .zip(&self.previous)
            .map(|(a, b)| a - b)
            .collect();
        self.previous = total;
        Ok(diff)
    }

    /// The rest after a presentation: stepped, or, with
    /// [`DiehlCookPaper::closed_form_rest`] (learning off) or
    /// [`DiehlCookPaper::closed_form_training_rest`] (learning on),
    /// stepped until nothing can spike any more and the remainder taken in
    /// closed form.
    fn rest(&self, stage: &mut impl Stage, learning: bool) -> Result<()> {
        let mut left = self.rest_steps;
        let closed_form = if learning {
            self.closed_form_training_rest
        } else {
            self.closed_form_rest
        };
        if !closed_form {
            return stage.run(None, left);
        }
        while left > 0 {
            let k = QUIET_CHECK_STEPS.min(left);
            stage.run(None, k)?;
            left -= k;
            if left > 0 && stage.relax(left) {
                break;
            }
        }
        Ok(())
    }

    /// Shows one image to `stage` (see [`PaperPresenter`]); `Ae`'s counts
    /// of the accepted presentation.
    pub fn present(
        &mut self,
        stage: &mut impl Stage,
        images: &[f32],
        learning: bool,
    ) -> Result<Vec<f32>> {
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
        stage.set_learning(learning);
        let dt = stage.dt();
        let mut intensity = self.intensity;
        loop {
            if learning {
                self.normalize(stage)?;
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
            stage.run(Some(&self.raster), steps)?;
            let counts = self.counts_since_last(stage)?;
            if self.rest_steps > 0 {
                self.rest(stage, learning)?;
                // Rest spikes are not attributed to the next image.
                self.counts_since_last(stage)?;
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
        let protocol = Protocol::new(cfg)?;
        net.add_monitor(COUNTS, counter())?;
        Ok(PaperPresenter { net, protocol })
    }

    /// Presentations so far, repeats at higher intensity included.
    pub fn presentations(&self) -> u64 {
        self.protocol.presentations()
    }

    /// The intensity of the last accepted presentation.
    pub fn last_intensity(&self) -> f32 {
        self.protocol.last_intensity()
    }

    /// Scales every column of `X → Ae` to sum `norm`.
    pub fn normalize(&mut self) -> Result<()> {
        self.protocol.normalize(&mut self.net)
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
        self.protocol.present(&mut self.net, images, learning)
    }
    fn encoder_rng(&self) -> &Rng {
        self.protocol.rng()
    }
    fn set_encoder_rng(&mut self, rng: Rng) {
        self.protocol.set_rng(rng);
    }
}
