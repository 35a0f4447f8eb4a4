//! How one image is shown to a network: the MNIST training protocols.

use crate::encoding::poisson::poisson_into;
use crate::error::{Error, Result};
use crate::monitor::MonitorSpec;
use crate::network::{Network, RunInput, RunOptions};
use crate::rng::Rng;
use crate::SpikeRaster;

/// Shows images to a network, one sample (or one batch) at a time, and
/// returns what the read-out layer did. The training and evaluation loops
/// (CLI `train`/`eval`, examples) are written against this trait, so each
/// model brings its own protocol (presentation time, rest, input rates).
pub trait Presenter: Send {
    /// The network.
    fn network(&self) -> &Network;
    /// The network, mutable (checkpoint restore).
    fn network_mut(&mut self) -> &mut Network;
    /// Name of the read-out population (e.g. `"Ae"`).
    fn readout(&self) -> &str;
    /// Name of the learned input connection (for receptive-field pictures).
    fn input_connection(&self) -> &str;
    /// Shows `images` (`batch × pixels`, values in `[0, 1]`), learning on or
    /// off, and returns the read-out spike counts `[batch × n_readout]`.
    ///
    /// # Errors
    /// Input of the wrong size.
    fn present(&mut self, images: &[f32], learning: bool) -> Result<Vec<f32>>;
    /// Brings [`network`](Self::network) and
    /// [`encoder_rng`](Self::encoder_rng) up to date with the presentations
    /// made so far, for a presenter whose network runs elsewhere (e.g. in
    /// [parts](crate::models::diehl_cook_paper::PaperParts) on threads of
    /// their own): call it before reading either after presenting. The
    /// default does nothing (the network is up to date).
    ///
    /// # Errors
    /// Where the network runs failed.
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    /// The generator of the input encoding (checkpointed with the network).
    fn encoder_rng(&self) -> &Rng;
    /// Restores the encoder's generator.
    fn set_encoder_rng(&mut self, rng: Rng);
    /// Shows one image (`pixels` values in `[0, 1]`) with learning off and
    /// returns the spikes of every population, each as `(name, neurons,
    /// spikes [steps × neurons])` of batch row 0 (a spike raster). May add
    /// monitors that stay (and slow later presentations): call it on a
    /// presenter kept for this purpose. The default says it is unsupported.
    ///
    /// # Errors
    /// Input of the wrong size, or a presenter that cannot record.
    fn record_spikes(&mut self, image: &[f32]) -> Result<Vec<(String, usize, Vec<f32>)>> {
        let _ = image;
        Err(Error::param(
            "presenter",
            "this presenter cannot record spike rasters",
        ))
    }
}

/// BindsNET's `eth_mnist.py` protocol: Poisson spikes at `pixel·intensity`
/// Hz for `time_steps` steps, then `reset_state` (no rest period).
#[derive(Debug)]
pub struct PoissonPresenter {
    net: Network,
    readout: String,
    input: String,
    connection: String,
    time_steps: usize,
    intensity: f32,
    rng: Rng,
    /// The input raster, reused from image to image (a fresh one per image
    /// costs page faults, a large share of a small network's training run);
    /// spikes as `bool`, a quarter of the memory of `f32` values.
    raster: SpikeRaster,
}

impl PoissonPresenter {
    /// Wraps a network whose input population is `input` and read-out
    /// `readout`, learning through `connection`.
    ///
    /// # Errors
    /// Unknown population or connection names.
    pub fn new(
        mut net: Network,
        input: &str,
        readout: &str,
        connection: &str,
        time_steps: usize,
        intensity: f32,
        seed: u64,
    ) -> Result<Self> {
        net.population(input)?;
        net.weights(connection)?;
        if !(intensity.is_finite() && intensity >= 0.0) || time_steps == 0 {
            return Err(Error::param("presenter", format!("intensity must be finite ≥ 0 and time ≥ 1 step, got {intensity} and {time_steps}")));
        }
        net.add_monitor(
            "__readout_counts",
            MonitorSpec::new(readout, &["s"]).summed(),
        )?;
        Ok(PoissonPresenter {
            net,
            readout: readout.into(),
            input: input.into(),
            connection: connection.into(),
            time_steps,
            intensity,
            rng: Rng::seed_from_u64(seed ^ 0xE1C0_DE5E_ED00_0001),
            raster: SpikeRaster::zeros(vec![0]),
        })
    }
}

impl PoissonPresenter {
    /// Encodes and runs `images` without resetting.
    fn show(&mut self, images: &[f32], learning: bool) -> Result<()> {
        let b = self.net.batch_size();
        let shape = self.net.population(&self.input)?.core().shape().to_vec();
        let n: usize = shape.iter().product();
        if images.len() != b * n {
            return Err(Error::shape(
                "presenter",
                format!("{} pixel values for batch {b} × {n} inputs", images.len()),
            ));
        }
        let rates: Vec<f32> = images.iter().map(|&p| p * self.intensity).collect();
        // [steps, batch, n]: row by row, each in its columns.
        let mut full = vec![self.time_steps, b];
        full.extend_from_slice(&shape);
        if self.raster.shape() != full {
            self.raster = SpikeRaster::zeros(full);
        } else {
            self.raster.data_mut().fill(false);
        }
        let data = self.raster.data_mut();
        for row in 0..b {
            let rates = &rates[row * n..(row + 1) * n];
            let (dt, rng) = (self.net.dt(), &mut self.rng);
            poisson_into(rates, self.time_steps, dt, data, b * n, row * n, rng)?;
        }
        self.net.set_learning(learning);
        self.net.run_inputs(
            &[(self.input.as_str(), RunInput::from(&self.raster))],
            self.time_steps,
            &RunOptions::default(),
        )?;
        Ok(())
    }
}

impl Presenter for PoissonPresenter {
    fn network(&self) -> &Network {
        &self.net
    }
    fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }
    fn readout(&self) -> &str {
        &self.readout
    }
    fn input_connection(&self) -> &str {
        &self.connection
    }
    fn present(&mut self, images: &[f32], learning: bool) -> Result<Vec<f32>> {
        self.show(images, learning)?;
        let counts = self.net.monitor("__readout_counts")?.get("s")?.into_data();
        self.net.reset_state();
        Ok(counts)
    }
    fn record_spikes(&mut self, image: &[f32]) -> Result<Vec<(String, usize, Vec<f32>)>> {
        let b = self.net.batch_size();
        let names = self.net.population_names().to_vec();
        for name in &names {
            let key = format!("__raster/{name}");
            if self.net.monitor(&key).is_err() {
                self.net.add_monitor(&key, MonitorSpec::new(name, &["s"]))?;
            }
        }
        let images: Vec<f32> = (0..b).flat_map(|_| image.iter().copied()).collect();
        let learning = self.net.learning();
        let shown = self.show(&images, false);
        self.net.set_learning(learning);
        let mut out = Vec::with_capacity(names.len());
        if shown.is_ok() {
            for name in &names {
                let s = self.net.monitor(&format!("__raster/{name}"))?.get("s")?;
                let n: usize = s.shape()[2..].iter().product();
                // [steps, batch, n] → row 0.
                let data = s.data();
                let mut row = Vec::with_capacity(self.time_steps * n);
                for t in 0..self.time_steps {
                    row.extend_from_slice(&data[t * b * n..t * b * n + n]);
                }
                out.push((name.clone(), n, row));
            }
        }
        self.net.reset_state();
        shown.map(|()| out)
    }
    fn encoder_rng(&self) -> &Rng {
        &self.rng
    }
    fn set_encoder_rng(&mut self, rng: Rng) {
        self.rng = rng;
    }
}
