//! BindsNET's `IncreasingInhibitionNetwork` (Hazan et al. 2018, LM-SNN):
//! recurrent inhibition that grows with distance on a grid.

use super::DiehlAndCook2015;
use crate::error::{Error, Result};
use crate::network::{Connect, Network};
use crate::topology::Dense;

/// `X → Y` as in [`DiehlAndCook2015`]; recurrent `Y → Y` with neurons on a
/// `⌊√n⌋`-wide grid: `w_ij = (d_ij / max d)·max_inhib + start_inhib`, with
/// `d_ij = √‖g_i − g_j‖` for `i ≠ j` and `d_ii = 0` (so the diagonal is
/// `start_inhib`). No learning on the recurrent weights; change them
/// between samples with [`Network::weights_mut`] as the SOM example does.
#[derive(Debug, Clone)]
pub struct IncreasingInhibitionNetwork {
    /// Input/excitatory parameters (`n_neurons`, `nu`, bounds, `norm`, θ).
    pub params: DiehlAndCook2015,
    /// Inhibition at zero distance. Default 1.
    pub start_inhib: f32,
    /// Inhibition added at the largest distance. Default 100.
    pub max_inhib: f32,
}

impl Default for IncreasingInhibitionNetwork {
    fn default() -> Self {
        IncreasingInhibitionNetwork {
            params: DiehlAndCook2015::default(),
            start_inhib: 1.0,
            max_inhib: 100.0,
        }
    }
}

impl IncreasingInhibitionNetwork {
    /// Builds the network (`X`, `Y`).
    ///
    /// # Errors
    /// Invalid sizes or parameters.
    pub fn build(&self) -> Result<Network> {
        let p = &self.params;
        let n = p.n_neurons;
        let side = (n as f64).sqrt().floor() as usize;
        if side == 0 {
            return Err(Error::param(
                "IncreasingInhibitionNetwork",
                "n_neurons must be ≥ 1",
            ));
        }
        let pos = |i: usize| ((i / side) as f32, (i % side) as f32);
        let mut d = vec![0.0f32; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let ((a, b), (c, e)) = (pos(i), pos(j));
                    d[i * n + j] = ((a - c).powi(2) + (b - e).powi(2)).sqrt().sqrt();
                }
            }
        }
        let dmax = d
            .iter()
            .cloned()
            .fold(0.0f32, f32::max)
            .max(f32::MIN_POSITIVE);
        let w: Vec<f32> = d
            .iter()
            .map(|&x| x / dmax * self.max_inhib + self.start_inhib)
            .collect();
        let mut b = p.input_layers("Y");
        b.connect(Connect::new("Y", "Y", Dense::with_weights(w)));
        b.build()
    }
}
