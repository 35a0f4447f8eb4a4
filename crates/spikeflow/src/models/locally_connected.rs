//! BindsNET's `LocallyConnectedNetwork`: input → locally connected
//! adaptive layer with competition between filters at the same position.

use super::DiehlAndCook2015;
use crate::error::{Error, Result};
use crate::learning::PostPre;
use crate::network::{Connect, Network};
use crate::nodes::{Input, NodeOptions};
use crate::topology::{Dense, LocalConnection};

/// `X` (`input_shape`) → `Y` (`DiehlAndCookNodes`, `n_filters ·
/// conv_size²` neurons) through a legacy [`LocalConnection`] with `PostPre`
/// (`norm` per kernel element, so the effective norm is `norm·k²`), and
/// recurrent `Y → Y` weight `−inh` between different filters at the same
/// position.
#[derive(Debug, Clone)]
pub struct LocallyConnectedNetwork {
    /// Excitatory parameters (`nu`, bounds, θ, thresholds, seed, dt).
    pub params: DiehlAndCook2015,
    /// Input `(H, W)`.
    pub input_shape: (usize, usize),
    /// Kernel size (square).
    pub kernel_size: usize,
    /// Stride.
    pub stride: usize,
    /// Number of filters.
    pub n_filters: usize,
    /// Competition weight magnitude. Default 25.
    pub inh: f32,
    /// Norm per kernel element. Default 0.2.
    pub norm: f32,
}

impl Default for LocallyConnectedNetwork {
    fn default() -> Self {
        LocallyConnectedNetwork {
            params: DiehlAndCook2015::default(),
            input_shape: (28, 28),
            kernel_size: 12,
            stride: 4,
            n_filters: 25,
            inh: 25.0,
            norm: 0.2,
        }
    }
}

impl LocallyConnectedNetwork {
    /// Builds the network (`X`, `Y`).
    ///
    /// # Errors
    /// Invalid geometry or parameters.
    pub fn build(&self) -> Result<Network> {
        let p = &self.params;
        let (h, w) = self.input_shape;
        let k = self.kernel_size;
        if k == 0 || self.stride == 0 || k > h || k > w {
            return Err(Error::param(
                "LocallyConnectedNetwork",
                format!(
                    "kernel {k} / stride {} do not fit the input {h}×{w}",
                    self.stride
                ),
            ));
        }
        let conv = if (k, k) == (h, w) {
            (1, 1)
        } else {
            ((h - k) / self.stride + 1, (w - k) / self.stride + 1)
        };
        let positions = conv.0 * conv.1;
        let n = self.n_filters * positions;
        let traced = NodeOptions {
            traces: true,
            ..Default::default()
        };
        let mut b = Network::builder()
            .dt(p.dt)
            .batch_size(p.batch_size)
            .seed(p.seed);
        b.add_population("X", &[h * w], Input, traced.clone());
        b.add_population("Y", &[n], p.excitatory(), traced);
        b.connect(
            Connect::new(
                "X",
                "Y",
                LocalConnection {
                    kernel: (k, k),
                    stride: (self.stride, self.stride),
                    n_filters: self.n_filters,
                    input_shape: Some((h, w)),
                    w: None,
                    b: None,
                },
            )
            .rule(PostPre)
            .nu(p.nu)
            .reduction(p.reduction.clone())
            .wmin(p.wmin)
            .wmax(p.wmax)
            .norm(self.norm),
        );
        let mut rec = vec![0.0; n * n];
        for f1 in 0..self.n_filters {
            for f2 in 0..self.n_filters {
                if f1 != f2 {
                    for q in 0..positions {
                        rec[(f1 * positions + q) * n + f2 * positions + q] = -self.inh;
                    }
                }
            }
        }
        b.connect(Connect::new("Y", "Y", Dense::with_weights(rec)));
        b.build()
    }
}
