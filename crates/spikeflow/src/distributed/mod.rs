//! One network over several processes, with the same spikes and weights
//! as one process (NEST's scheme, on any [`Exchange`]: MPI with the
//! feature `mpi`, threads for tests).
//!
//! Every process is given the same [`NetworkBuilder`](crate::NetworkBuilder)
//! and builds its part of it with [`DistributedNetwork::build`]:
//!
//! - every population is cut into contiguous blocks of neurons, one per
//!   process ([`block`]); a process steps its block
//!   ([`NodeModel::slice`](crate::nodes::NodeModel::slice) cuts the
//!   per-neuron parameters; counter-based draws stay keyed by the neuron's
//!   index in the whole population);
//! - a process owns the synapses *onto* its neurons, with their weights,
//!   delays and learning-rule state
//!   ([`TopologySpec::restrict_targets`](crate::topology::TopologySpec::restrict_targets)),
//!   so every rule stays local to a process and is written once, as in one
//!   process;
//! - the spikes of every population some connection leaves are exchanged
//!   by one all-gather ([`Exchange::all_gather`]) into a *mirror* of the
//!   whole population (`"<name>@all"`) whose trace is updated as the
//!   population's own; connections leave the mirrors. The exchange runs
//!   once per *minimum delay*, as NEST's: when every connection leaving a
//!   mirror carries [`WithDelays`](crate::topology::WithDelays) delays of
//!   at least `d` steps, a spike first acts `D = d + 1` steps after it was
//!   emitted, so the processes meet once per `D` steps and the connections
//!   leaving mirrors replay each interval's steps late, in step order
//!   ([`DistributedNetwork::exchange_interval`]; NEST's `hpc_benchmark`:
//!   15 steps). Otherwise they meet every step.
//!   A connection whose synapses all stay within each process's blocks (a
//!   one-to-one drive, [`TopologySpec::restrict_within_blocks`](crate::topology::TopologySpec::restrict_within_blocks))
//!   reads its source's own part instead, and a population only such
//!   connections leave is not exchanged (as NEST keeps its devices local).
//!
//! Each target neuron therefore sums the same inputs in the same order,
//! and each synapse learns from the same spikes and traces, whatever the
//! number of processes: spikes, voltages and weights are bit for bit those
//! of one process (`tests/distributed.rs` checks 1, 2 and 3 processes
//! against [`Network`](crate::Network) with every rule family that can be
//! cut, delays, multapses, a batch, reward, clamps, monitors and a
//! checkpoint). Processes given different networks refuse them at build (a
//! fingerprint of the description is compared). A run always ends with its
//! interval, so between runs (snapshots, weights, monitors read) the state
//! is one process's whatever the interval; a run in which a connection
//! leaving a mirror is monitored (its weights recorded every step)
//! exchanges every step.
//!
//! What can be cut: `Input`, `IFNodes`, `LIFNodes`, `CurrentLIFNodes`,
//! `McCullochPitts`, `IafPscAlphaNodes` and `PoissonGenerator`; dense
//! connections with given weights, sparse connections with given synapses
//! (`Sparse::{FromDense, Triplets, Multapses}`) and
//! [`FixedIndegree`](crate::topology::FixedIndegree), each optionally with
//! one delay for all synapses ([`WithDelays`](crate::topology::WithDelays)).
//! Others are refused by name when the network is built: models that draw
//! from the network's generator (Izhikevich, SRM0, adaptive thresholds) or
//! couple their neurons (one-spike), drawn dense weights, convolutions and
//! local connections (shared or windowed kernels).
//!
//! ```
//! use spikeflow::distributed::{local_cluster, DistributedNetwork};
//! use spikeflow::NetworkBuilder;
//! use spikeflow::prelude::*;
//! use spikeflow::topology::FixedIndegree;
//!
//! fn builder() -> NetworkBuilder {
//!     let mut b = Network::builder().seed(7);
//!     b.add_population("P", &[40], PoissonGenerator { rate_hz: 200.0, seed: 1, first_index: 0 },
//!                      NodeOptions::default());
//!     b.add_population("E", &[30], LifNodes::default(), NodeOptions::default());
//!     let fixed = FixedIndegree { indegree: 20, weight: 4.0, autapses: true, seed: 2 };
//!     b.connect(Connect::new("P", "E", fixed));
//!     b
//! }
//! let spikes_of = |net: DistributedNetwork| -> Vec<f32> {
//!     let mut net = net;
//!     net.network_mut().add_monitor("e", MonitorSpec::new("E", &["s"])).unwrap();
//!     net.run(100, &RunOptions::default()).unwrap();
//!     net.gather_recording("e", "s").unwrap().data().to_vec()
//! };
//! // Two processes as two threads of this one.
//! let parts: Vec<_> = local_cluster(2)
//!     .into_iter()
//!     .map(|x| std::thread::spawn(move || spikes_of(DistributedNetwork::build(builder(), x).unwrap())))
//!     .collect();
//! let one = spikes_of(DistributedNetwork::build(builder(), spikeflow::distributed::Solo).unwrap());
//! for p in parts {
//!     assert_eq!(p.join().unwrap(), one);
//! }
//! ```

mod exchange;
mod hub;
mod interval;
mod local_cluster;
#[cfg(feature = "mpi")]
mod mpi;
mod network;
mod partition;

pub use exchange::{Exchange, Solo};
pub(crate) use hub::SharedHub;
pub(crate) use interval::{IntervalExchange, LateConnection};
pub use local_cluster::{local_cluster, LocalExchange, LOCAL_TIMEOUT};
#[cfg(feature = "mpi")]
pub use mpi::MpiExchange;
pub use network::DistributedNetwork;
pub use partition::{block, owner, PartLayout};
