//! BindsNET's `TwoLayerNetwork`: input → LIF layer with STDP.

use crate::error::Result;
use crate::learning::{PostPre, Reduction};
use crate::network::{Connect, Network};
use crate::nodes::{Input, LifNodes, NodeOptions};
use crate::topology::Dense;

/// `X` (`Input`, traces) → `Y` (`LIFNodes` rest −65, reset −65, thresh −52,
/// refrac 5, `tc_decay` 100, traces) through a dense `0.3·U(0,1)` connection
/// with `PostPre`, bounds `[wmin, wmax]` and `norm`.
#[derive(Debug, Clone)]
pub struct TwoLayerNetwork {
    /// Inputs.
    pub n_inpt: usize,
    /// Output neurons. Default 100.
    pub n_neurons: usize,
    /// Time step (ms). Default 1.
    pub dt: f32,
    /// `(nu_pre, nu_post)`. Default `(1e-4, 1e-2)`.
    pub nu: (f32, f32),
    /// Batch reduction. Default mean.
    pub reduction: Reduction,
    /// Lower weight bound. Default 0.
    pub wmin: f32,
    /// Upper weight bound. Default 1.
    pub wmax: f32,
    /// Column norm. Default 78.4.
    pub norm: f32,
    /// Batch size. Default 1.
    pub batch_size: usize,
    /// Seed. Default 0.
    pub seed: u64,
}

impl Default for TwoLayerNetwork {
    fn default() -> Self {
        TwoLayerNetwork {
            n_inpt: 784,
            n_neurons: 100,
            dt: 1.0,
            nu: (1e-4, 1e-2),
            reduction: Reduction::Mean,
            wmin: 0.0,
            wmax: 1.0,
            norm: 78.4,
            batch_size: 1,
            seed: 0,
        }
    }
}

impl TwoLayerNetwork {
    /// Builds the network (`X`, `Y`).
    ///
    /// # Errors
    /// Invalid sizes or parameters.
    pub fn build(&self) -> Result<Network> {
        let traced = NodeOptions {
            traces: true,
            ..Default::default()
        };
        let mut b = Network::builder()
            .dt(self.dt)
            .batch_size(self.batch_size)
            .seed(self.seed);
        b.add_population("X", &[self.n_inpt], Input, traced.clone());
        b.add_population("Y", &[self.n_neurons], LifNodes::default(), traced);
        let w = super::uniform_weights(self.n_inpt * self.n_neurons, 0.3, self.seed);
        b.connect(
            Connect::new("X", "Y", Dense::with_weights(w))
                .rule(PostPre)
                .nu(self.nu)
                .reduction(self.reduction.clone())
                .wmin(self.wmin)
                .wmax(self.wmax)
                .norm(self.norm),
        );
        b.build()
    }
}
