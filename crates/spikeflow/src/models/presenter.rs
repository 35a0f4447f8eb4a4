//! How one image is shown to a network: the MNIST training protocols.

use crate::encoding::poisson;
use crate::error::{Error, Result};
use crate::monitor::MonitorSpec;
use crate::network::{Network, RunOptions};
use crate::rng::Rng;

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
    /// The generator of the input encoding (checkpointed with the network).
    fn encoder_rng(&self) -> &Rng;
    /// Restores the encoder's generator.
    fn set_encoder_rng(&mut self, rng: Rng);
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
        })
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
        // [steps, batch, n]: encode each row, then interleave.
        let mut data = vec![0.0; self.time_steps * b * n];
        for row in 0..b {
            let t = poisson(
                &rates[row * n..(row + 1) * n],
                &[n],
                self.time_steps,
                self.net.dt(),
                &mut self.rng,
            )?;
            for (step, slab) in t.data().chunks_exact(n).enumerate() {
                data[(step * b + row) * n..(step * b + row + 1) * n].copy_from_slice(slab);
            }
        }
        let mut full = vec![self.time_steps, b];
        full.extend_from_slice(&shape);
        let x = crate::Tensor::new(full, data)?;
        self.net.set_learning(learning);
        self.net.run(
            &[(self.input.as_str(), &x)],
            self.time_steps,
            &RunOptions::default(),
        )?;
        let counts = self.net.monitor("__readout_counts")?.get("s")?.into_data();
        self.net.reset_state();
        Ok(counts)
    }
    fn encoder_rng(&self) -> &Rng {
        &self.rng
    }
    fn set_encoder_rng(&mut self, rng: Rng) {
        self.rng = rng;
    }
}
