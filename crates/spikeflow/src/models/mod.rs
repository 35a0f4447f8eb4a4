//! Ready-made networks, each a documented builder that returns a
//! [`Network`](crate::Network) with BindsNET's population names (`"X"`,
//! `"Ae"`, `"Ai"`, `"Y"`), so monitors and read-outs work as in BindsNET.

mod diehl_cook_2015;
pub mod diehl_cook_paper;
pub mod hpc_benchmark;
mod increasing_inhibition;
mod locally_connected;
mod presenter;
mod two_layer;

pub use diehl_cook_2015::{DiehlAndCook2015, DiehlAndCook2015v2};
pub use hpc_benchmark::HpcBenchmark;
pub use increasing_inhibition::IncreasingInhibitionNetwork;
pub use locally_connected::LocallyConnectedNetwork;
pub use presenter::{PoissonPresenter, Presenter};
pub use two_layer::TwoLayerNetwork;

use crate::rng::Rng;

/// `scale · U(0, 1)` weights, `n` of them, from a generator seeded by `seed`
/// (independent of the network's own stream).
pub(crate) fn uniform_weights(n: usize, scale: f32, seed: u64) -> Vec<f32> {
    let mut r = Rng::seed_from_u64(seed ^ 0x005E_ED0F_3E16_4752);
    (0..n).map(|_| scale * r.uniform_f32()).collect()
}

/// The one-to-one synapses `(i, i, w)` of two populations of size `n`.
pub(crate) fn diagonal(n: usize, w: f32) -> Vec<(u32, u32, f32)> {
    (0..n as u32).map(|i| (i, i, w)).collect()
}
