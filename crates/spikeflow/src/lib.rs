//! # spikeflow
//!
//! An event-driven spiking-neural-network simulator with local learning
//! rules, faithful to BindsNET 0.3.4's semantics and much faster.
//!
//! * [`nodes`]: neuron populations (LIF, adaptive, Diehl & Cook, Izhikevich, SRM0, …).
//! * [`topology`]: dense, sparse, convolutional, pooling and local connections.
//! * [`learning`]: rules written once for every topology (PostPre, Hebbian, MSTDP, …).
//! * [`Network`]: the step loop (see its module docs for the exact order).
//! * [`monitor`], [`encoding`]: recordings and spike encoders.
//! * [`rl`]: environments and the environment loop for reward learning.
//! * [`conformance`]: replays BindsNET reference runs recorded as JSON.
//!
//! ```
//! use spikeflow::prelude::*;
//!
//! // Two inputs drive one LIF neuron; input 0 spikes at step 0.
//! let mut b = Network::builder();
//! b.add_population("X", &[2], Input, NodeOptions::default());
//! b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
//! b.connect(Connect::new("X", "Y", Dense::with_weights(vec![20.0, 0.5])));
//! let mut net = b.build()?;
//! net.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
//! let x = Tensor::new(vec![3, 1, 2], vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0])?;
//! net.run(&[("X", &x)], 3, &RunOptions::default())?;
//! // The spike reaches Y one step later (every connection delays one step).
//! assert_eq!(net.monitor("y")?.get("s")?.data(), &[0.0, 1.0, 0.0]);
//! # Ok::<(), spikeflow::Error>(())
//! ```
#![deny(missing_docs)]

pub mod conformance;
pub mod datasets;
pub mod distributed;
pub mod encoding;
mod error;
pub mod evaluation;
pub mod learning;
mod memory;
pub mod models;
pub mod monitor;
mod network;
pub mod nodes;
pub mod parallel;
pub mod rl;
pub mod rng;
mod spike_raster;
mod spikes;
mod tensor;
pub mod topology;

pub use error::{Error, Result};
pub use network::{
    Cancel, Connect, Mask, Network, NetworkBuilder, Progress, Reward, RunInput, RunOptions,
    Snapshot,
};
pub use spike_raster::SpikeRaster;
pub use spikes::Spikes;
pub use tensor::Tensor;

/// The names most programs need.
pub mod prelude {
    pub use crate::learning::{
        DiehlAndCook, Hebbian, Mstdp, MstdpEt, Nu, PostPre, Reduction, Rmax, SynapseRule,
        WeightDependentPostPre,
    };
    pub use crate::monitor::MonitorSpec;
    pub use crate::nodes::*;
    pub use crate::topology::{
        AllButSelf, Bound, Conv, Dense, LocalConnection, LocalNd, MaxPool, MeanField, Sparse,
    };
    pub use crate::{
        Connect, Mask, Network, Reward, RunInput, RunOptions, SpikeRaster, Spikes, Tensor,
    };
}
