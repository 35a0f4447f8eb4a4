//! [`DistributedNetwork`]: one process's part of a network cut across
//! processes, built from the same [`NetworkBuilder`] every process is
//! given.

use super::exchange::Exchange;
use super::hub::{Hub, MirrorModel, PublishedModel, SharedHub};
use super::partition::block;
use crate::error::{Error, Result};
use crate::learning::Nu;
use crate::monitor::MonitorSpec;
use crate::network::{Mask, RunInput, RunOptions, Snapshot};
use crate::nodes::{NodeModel, NodeOptions};
use crate::topology::{Bound, TopologySpec};
use crate::{Connect, Network, NetworkBuilder, SpikeRaster, Tensor};
use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, Mutex};

mod gathers;
mod whole;

/// Suffix of a mirror's name: `"E@all"` holds the spikes of the whole of
/// population `"E"`.
const MIRROR: &str = "@all";

/// The snapshot array naming the partition a part belongs to: `[rank,
/// ranks]`.
const PARTITION: &str = "distributed/partition";

/// One process's part of a distributed network (see the [module
/// docs](super)). Every method that returns whole arrays (`gather_*`,
/// [`weight_sum`](Self::weight_sum)) and every run is a collective: every
/// process calls it, in the same order, with the same arguments.
#[derive(Debug)]
pub struct DistributedNetwork {
    net: Network,
    hub: SharedHub,
    rank: usize,
    ranks: usize,
    parts: Vec<Part>,
    /// Whole connection name → this process's connection name.
    conns: Vec<(String, String)>,
    /// The populations of `net` that mirror other parts.
    mirrors: Vec<usize>,
}

/// A population of the whole network, and this process's neurons of it.
#[derive(Debug)]
struct Part {
    name: String,
    shape: Vec<usize>,
    n: usize,
    ranges: Vec<Range<usize>>,
}

impl DistributedNetwork {
    /// This process's part of the network `builder` describes: its block of
    /// every population ([`block`]), the synapses onto those neurons with
    /// their rules' state, and a mirror of every population a connection
    /// leaves. Every process builds from the same builder and the same
    /// kind of exchange.
    ///
    /// # Errors
    /// What [`NetworkBuilder::build`] refuses, and: a population with
    /// fewer neurons than processes; a neuron model or topology that cannot
    /// be cut ([`NodeModel::slice`],
    /// [`TopologySpec::restrict_targets`](crate::topology::TopologySpec::restrict_targets)
    /// return `None`: models drawing from the network's generator, drawn
    /// dense weights, convolutions…); per-synapse bounds or learning rates.
    pub fn build(builder: NetworkBuilder, exchange: impl Exchange + 'static) -> Result<Self> {
        let (rank, ranks) = (exchange.rank(), exchange.ranks());
        if ranks == 0 || rank >= ranks {
            return Err(Error::param(
                "distributed network",
                format!("rank {rank} of {ranks} processes"),
            ));
        }
        let NetworkBuilder {
            dt,
            batch,
            learning,
            seed,
            layers,
            conns,
            reward_fn,
        } = builder;
        let hub: SharedHub = Arc::new(Mutex::new(Hub::new(Box::new(exchange))));
        // Connections whose synapses stay within each process's blocks (a
        // one-to-one drive) read their source's own part; only the sources
        // of the others are exchanged.
        let size = |name: &str| {
            layers
                .iter()
                .find(|l| l.0 == name)
                .map(|l| l.1.iter().product::<usize>())
        };
        let within: Vec<Option<Box<dyn TopologySpec>>> = conns
            .iter()
            .map(|c| match (size(&c.source), size(&c.target)) {
                (Some(n_pre), Some(n_post)) if n_pre >= ranks && n_post >= ranks => c
                    .topology
                    .restrict_within_blocks(n_pre, n_post, ranks, rank),
                _ => None,
            })
            .collect();
        let sources: HashSet<String> = conns
            .iter()
            .zip(&within)
            .filter(|(_, w)| w.is_none())
            .map(|(c, _)| c.source.clone())
            .collect();
        let mut local = NetworkBuilder {
            dt,
            batch,
            learning,
            seed,
            layers: Vec::new(),
            conns: Vec::new(),
            reward_fn,
        };
        let mut parts = Vec::new();
        let mut mirrors = Vec::new();
        for (name, shape, model, options) in layers {
            let n: usize = shape.iter().product();
            if n < ranks {
                return Err(Error::param(
                    format!("population {name}"),
                    format!(
                        "{n} neurons cannot be cut into {ranks} parts (at least one neuron per \
                         process)"
                    ),
                ));
            }
            let ranges: Vec<_> = (0..ranks).map(|r| block(n, r, ranks)).collect();
            let mine = ranges[rank].clone();
            let part: Box<dyn NodeModel> = model.slice(mine.clone()).ok_or_else(|| {
                Error::Unsupported(format!(
                    "population {name} ({}) cannot be distributed: the model draws from the \
                     network's generator or couples its neurons",
                    model.type_name()
                ))
            })?;
            let part = if sources.contains(&name) {
                let slot = lock(&hub).add(n, batch, ranges.clone());
                mirrors.push((name.clone(), shape.clone(), options.clone(), slot));
                Box::new(PublishedModel {
                    inner: part,
                    hub: Arc::clone(&hub),
                    slot,
                })
            } else {
                part
            };
            local
                .layers
                .push((name.clone(), vec![mine.len()], part, options.slice(mine)));
            parts.push(Part {
                name,
                shape,
                n,
                ranges,
            });
        }
        for (k, (name, shape, options, slot)) in mirrors.into_iter().enumerate() {
            let mirror = MirrorModel {
                hub: Arc::clone(&hub),
                slot,
                leader: k == 0,
            };
            let options = NodeOptions {
                sum_input: false,
                ..options
            };
            local
                .layers
                .push((format!("{name}{MIRROR}"), shape, Box::new(mirror), options));
        }
        let mut names = Vec::new();
        for (c, within) in conns.into_iter().zip(within) {
            let whole = format!("{} -> {}", c.source, c.target);
            let find = |p: &str| {
                parts.iter().find(|q| q.name == p).ok_or_else(|| {
                    Error::Name(format!("connection {whole}: no population named {p:?}"))
                })
            };
            let (src, tgt) = (find(&c.source)?, find(&c.target)?);
            let per_synapse = matches!(c.wmin, Bound::PerSynapse(_))
                || matches!(c.wmax, Bound::PerSynapse(_))
                || matches!(c.options.nu, Nu::PerSynapse(..));
            if per_synapse {
                return Err(Error::Unsupported(format!(
                    "connection {whole}: per-synapse bounds or learning rates cannot be \
                     distributed (give one value for every synapse)"
                )));
            }
            if let Some(topology) = within {
                names.push((whole.clone(), whole));
                local.conns.push(Connect { topology, ..c });
                continue;
            }
            let topology = c
                .topology
                .restrict_targets(src.n, tgt.n, tgt.ranges[rank].clone())
                .ok_or_else(|| {
                    Error::Unsupported(format!(
                        "connection {whole} ({}) cannot be distributed: only given dense \
                         weights, given or fixed in-degree sparse synapses, with one delay for \
                         all, can be cut by target",
                        c.topology.type_name()
                    ))
                })?;
            let rule = match c.rule {
                Some(rule) => Some(
                    rule.restrict_targets(src.n, tgt.n, tgt.ranges[rank].clone())
                        .map_err(|name| {
                            Error::Unsupported(format!(
                                "connection {whole}: its rule {name} cannot be cut by target"
                            ))
                        })?,
                ),
                None => None,
            };
            let source = format!("{}{MIRROR}", c.source);
            names.push((whole, format!("{source} -> {}", c.target)));
            local.conns.push(Connect {
                source,
                topology,
                rule,
                ..c
            });
        }
        let mut net = local.build().map_err(whole_names)?;
        let mirrors: Vec<usize> = (net.population_names().iter().enumerate())
            .filter(|(_, name)| name.ends_with(MIRROR))
            .map(|(p, _)| p)
            .collect();
        net.enable_late(Arc::clone(&hub), mirrors.clone());
        let net = DistributedNetwork {
            net,
            hub,
            rank,
            ranks,
            parts,
            conns: names,
            mirrors,
        };
        net.check_same_network()?;
        Ok(net)
    }

    /// Refuses, on every process alike, a cluster whose processes were
    /// given different networks: each process's description (populations,
    /// connections, batch, `dt`) is hashed and the hashes compared (one
    /// all-gather), before any step could exchange spikes that do not fit.
    fn check_same_network(&self) -> Result<()> {
        // The standard hasher's fixed keys: the same value in every process
        // of one build (a different build may disagree, and is refused too).
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        for p in &self.parts {
            (&p.name, p.n).hash(&mut h);
        }
        self.conns.hash(&mut h);
        (self.net.batch_size(), self.net.dt().to_bits()).hash(&mut h);
        let all = self.gather_count(h.finish());
        match all.iter().position(|&x| x != all[0]) {
            None => Ok(()),
            Some(r) => Err(Error::param(
                "distributed network",
                format!(
                    "rank {r} was given another network than rank 0 (build every rank from the \
                     same description)"
                ),
            )),
        }
    }

    /// Ends this part and hands its exchange back, e.g. to build the part
    /// again and restore a checkpoint into it (MPI is started once per
    /// process).
    pub fn into_exchange(self) -> Box<dyn Exchange> {
        let DistributedNetwork { net, hub, .. } = self;
        // The populations hold the other references to the hub.
        drop(net);
        let hub = Arc::try_unwrap(hub)
            .expect("the network's populations, the only other owners of the hub, are dropped");
        hub.into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_exchange()
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.rank
    }
    /// The number of processes.
    pub fn ranks(&self) -> usize {
        self.ranks
    }
    /// This process's network: its part of every population (under the
    /// population's name), the mirrors (`"<name>@all"`) and its part of
    /// every connection (from the source's mirror: see
    /// [`local_connection`](Self::local_connection)).
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// This process's network, mutable (monitors, learning on or off).
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    fn part(&self, pop: &str) -> Result<&Part> {
        self.parts.iter().find(|p| p.name == pop).ok_or_else(|| {
            Error::Name(format!(
                "no population named {pop:?} (have {:?})",
                self.parts.iter().map(|p| &p.name).collect::<Vec<_>>()
            ))
        })
    }

    /// The neurons of population `pop` this process owns (flat indices of
    /// the whole population).
    ///
    /// # Errors
    /// An unknown population.
    pub fn neurons(&self, pop: &str) -> Result<Range<usize>> {
        Ok(self.part(pop)?.ranges[self.rank].clone())
    }

    /// The number of neurons of the whole population `pop`.
    ///
    /// # Errors
    /// An unknown population.
    pub fn population_len(&self, pop: &str) -> Result<usize> {
        Ok(self.part(pop)?.n)
    }

    /// The name in this process's network of the whole network's
    /// connection `name` (`"E -> E"` is `"E@all -> E"`).
    ///
    /// # Errors
    /// An unknown connection.
    pub fn local_connection(&self, name: &str) -> Result<&str> {
        let key: String = name.split_whitespace().collect::<Vec<_>>().join(" ");
        self.conns
            .iter()
            .find(|(whole, _)| *whole == key)
            .map(|(_, local)| local.as_str())
            .ok_or_else(|| Error::Name(format!("no connection named {name:?}")))
    }

    /// Runs `steps` steps without external input; see
    /// [`run_inputs`](Self::run_inputs).
    ///
    /// # Errors
    /// As [`run_inputs`](Self::run_inputs).
    pub fn run(&mut self, steps: usize, options: &RunOptions) -> Result<()> {
        self.run_inputs(&[], steps, options)
    }

    /// [`Network::relax`] for the whole distributed network: every process
    /// checks its part (its mirrors of the others only for being silent),
    /// the answers are gathered (one collective, in every process alike),
    /// and only if every part can relax do all of them take the `steps`
    /// steps in closed form; `true` then. The same state, bit for bit, as
    /// one network relaxing (each neuron's closed form is its own).
    /// Collective: call it in every process at the same point, with the
    /// same `steps` (processes that disagree on it all refuse alike).
    pub fn relax(&mut self, steps: usize) -> bool {
        let mine = self.net.relax_possible(steps, &self.mirrors);
        let ready = (steps as u64) << 1 | 1;
        let answer = (steps as u64) << 1 | u64::from(mine);
        if self.gather_count(answer).iter().all(|&x| x == ready) {
            self.net.relax_now(steps);
            true
        } else {
            false
        }
    }

    /// Steps per exchange of spikes: the smallest number of steps in which a
    /// spike crosses any connection leaving an exchanged population (one
    /// step plus its smallest [`WithDelays`](crate::topology::WithDelays)
    /// delay), or 1 when some such connection has no delays. NEST's
    /// `hpc_benchmark` (delays of 1.5 ms at dt 0.1 ms): 15.
    pub fn exchange_interval(&self) -> usize {
        self.net.exchange_interval()
    }

    /// The spike exchanges (collectives) run so far: one per interval of
    /// [`exchange_interval`](Self::exchange_interval) steps, an interval
    /// ending with every run. A run in which a connection leaving an
    /// exchanged population is monitored exchanges every step.
    pub fn exchanges(&self) -> u64 {
        lock(&self.hub).exchanges()
    }

    /// Turns this process's per-phase timing on or off and clears it (see
    /// [`profile`](Self::profile)).
    pub fn set_profiling(&mut self, on: bool) {
        self.net.set_profiling(on);
        lock(&self.hub).time_steps(on);
    }

    /// This process's wall time per phase since
    /// [`set_profiling`](Self::set_profiling), as [`Network::profile`]
    /// reports it, with every collective in `exchange`: the time a process
    /// waits there for the slowest one shows how evenly the parts share the
    /// work. (A part that exchanges every step runs the collective inside a
    /// mirror's update, which its network counts in `integrate`; it is
    /// moved here when profiling was turned on by this type's
    /// `set_profiling`, not the network's own.)
    ///
    /// ```
    /// use spikeflow::distributed::{DistributedNetwork, Solo};
    /// use spikeflow::prelude::*;
    /// let mut b = Network::builder();
    /// b.add_population("X", &[20], Input, NodeOptions::default());
    /// b.add_population("Y", &[5], LifNodes::default(), NodeOptions::default());
    /// b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.5; 100])));
    /// let mut net = DistributedNetwork::build(b, Solo)?;
    /// net.set_profiling(true);
    /// net.run(10, &RunOptions::default())?;
    /// let phases = net.profile();
    /// assert_eq!(phases.map(|(name, _)| name)[5], "exchange");
    /// # Ok::<(), spikeflow::Error>(())
    /// ```
    pub fn profile(&self) -> [(&'static str, std::time::Duration); 6] {
        use crate::network::{EXCHANGE, INTEGRATE};
        let mut phases = self.net.profile();
        let in_steps = lock(&self.hub).time_in_steps();
        phases[INTEGRATE].1 = phases[INTEGRATE].1.saturating_sub(in_steps);
        phases[EXCHANGE].1 += in_steps;
        phases
    }

    /// Runs `steps` steps of every process's part, exchanging spikes once
    /// per [`exchange_interval`](Self::exchange_interval). `inputs` are the
    /// whole populations' inputs (every process is given the same; each
    /// takes its neurons), clamps name whole populations' neurons; the
    /// reward is shared.
    ///
    /// # Errors
    /// As [`Network::run_inputs`], checked on the whole inputs so that
    /// every process refuses the same run; and, refused because one
    /// process alone could act on them (leaving the others waiting):
    /// `one_step`, `cancel`, weight masks and voltage injection.
    pub fn run_inputs(
        &mut self,
        inputs: &[(&str, RunInput<'_>)],
        steps: usize,
        options: &RunOptions,
    ) -> Result<()> {
        let refuse = |what: &str| {
            Err(Error::Unsupported(format!(
                "a distributed run does not take {what}"
            )))
        };
        if options.one_step {
            return refuse("one_step");
        }
        if options.cancel.is_some() {
            return refuse("cancel (one process alone would stop)");
        }
        if !options.weight_masks.is_empty() {
            return refuse("weight masks");
        }
        if !options.inject_v.is_empty() {
            return refuse("voltage injection");
        }
        let mut local_options = options.clone();
        local_options.clamp = self.local_masks(&options.clamp, steps)?;
        local_options.unclamp = self.local_masks(&options.unclamp, steps)?;
        let mut values = Vec::new();
        let mut spikes = Vec::new();
        for &(name, input) in inputs {
            let part = self.part(name)?;
            let shape = input.shape();
            let rows = shape.first().copied().unwrap_or(0) * self.net.batch_size();
            if rows == 0 || input.len() != rows * part.n {
                return Err(Error::shape(
                    format!("input of {name}"),
                    format!(
                        "shape {shape:?} for [steps, {}, {:?}]",
                        self.net.batch_size(),
                        part.shape
                    ),
                ));
            }
            let mine = part.ranges[self.rank].clone();
            let local_shape = vec![shape[0], self.net.batch_size(), mine.len()];
            match input {
                RunInput::Values(t) => {
                    if let Some(bad) = t.data().iter().find(|x| !x.is_finite()) {
                        return Err(Error::param(
                            format!("input of {name}"),
                            format!("values must be finite, got {bad}"),
                        ));
                    }
                    let data = crate::topology::columns(t.data(), part.n, &mine);
                    values.push((name, Tensor::new(local_shape.clone(), data)?));
                }
                RunInput::Spikes(s) => {
                    let data = crate::topology::columns(s.data(), part.n, &mine);
                    spikes.push((name, SpikeRaster::new(local_shape, data)?));
                }
            }
        }
        let local: Vec<(&str, RunInput<'_>)> = values
            .iter()
            .map(|(n, t)| (*n, RunInput::Values(t)))
            .chain(spikes.iter().map(|(n, s)| (*n, RunInput::Spikes(s))))
            .collect();
        self.net.run_inputs(&local, steps, &local_options)
    }

    /// Clamp masks of whole populations, as this process's neurons.
    fn local_masks(&self, masks: &[(String, Mask)], steps: usize) -> Result<Vec<(String, Mask)>> {
        let mut out = Vec::new();
        for (name, mask) in masks {
            let part = self.part(name)?;
            let mine = part.ranges[self.rank].clone();
            let cut = |v: &[usize]| -> Result<Vec<usize>> {
                if let Some(bad) = v.iter().find(|&&i| i >= part.n) {
                    return Err(Error::param(
                        format!("clamp of {name}"),
                        format!("neuron {bad} of {}", part.n),
                    ));
                }
                Ok(v.iter()
                    .filter(|i| mine.contains(i))
                    .map(|i| i - mine.start)
                    .collect())
            };
            let local = match mask {
                Mask::Always(v) => Mask::Always(cut(v)?),
                Mask::PerStep(v) => {
                    if v.len() != steps {
                        return Err(Error::shape(
                            format!("clamp of {name}"),
                            format!("{} steps of masks for {steps} steps", v.len()),
                        ));
                    }
                    Mask::PerStep(v.iter().map(|s| cut(s)).collect::<Result<_>>()?)
                }
            };
            out.push((name.clone(), local));
        }
        Ok(out)
    }

    /// This process's part of the state (a checkpoint: each process saves
    /// its own), marked with the partition it belongs to.
    pub fn snapshot(&self) -> Snapshot {
        let mut snap = self.net.snapshot();
        snap.arrays.push((
            PARTITION.to_string(),
            vec![self.rank as f32, self.ranks as f32],
        ));
        snap
    }

    /// Restores this process's part from its [`snapshot`](Self::snapshot).
    ///
    /// # Errors
    /// [`Error::Format`] for a snapshot of another process or another
    /// number of processes (a part's arrays only fit the same partition), or
    /// one not taken from a distributed network; then as
    /// [`Network::restore`].
    pub fn restore(&mut self, snap: &Snapshot) -> Result<()> {
        let mark = snap.arrays.iter().find(|(name, _)| name == PARTITION);
        let (rank, ranks) = match mark.map(|(_, v)| v.as_slice()) {
            Some(&[rank, ranks]) => (rank as usize, ranks as usize),
            _ => {
                return Err(Error::format(
                    "snapshot",
                    format!("not of a distributed network's part (no {PARTITION:?})"),
                ))
            }
        };
        if (rank, ranks) != (self.rank, self.ranks) {
            return Err(Error::format(
                "snapshot",
                format!(
                    "of rank {rank} of {ranks} processes; this process is rank {} of {}: \
                     restore with the same number of processes",
                    self.rank, self.ranks
                ),
            ));
        }
        let mut local = snap.clone();
        local.arrays.retain(|(name, _)| name != PARTITION);
        self.net.restore(&local)
    }

    /// Adds a monitor to this process's part: of a population (its part),
    /// or of a connection of the whole network by its whole name (`"E ->
    /// E"`; its part's weights, `"w"`). Read the whole recording with
    /// [`gather_recording`](Self::gather_recording).
    ///
    /// # Errors
    /// As [`Network::add_monitor`].
    pub fn add_monitor(&mut self, name: &str, mut spec: MonitorSpec) -> Result<()> {
        if spec.target.contains("->") && self.net.population(&spec.target).is_err() {
            spec.target = self.local_connection(&spec.target)?.to_string();
        }
        self.net.add_monitor(name, spec)
    }
}

/// An error of a process's network in the whole network's names: the
/// mirrors' connections (`"E@all -> E"`) are the user's `"E -> E"`.
fn whole_names(e: Error) -> Error {
    let fix = |s: String| s.replace(&format!("{MIRROR} -> "), " -> ");
    match e {
        Error::InvalidParameter { object, message } => Error::InvalidParameter {
            object: fix(object),
            message: fix(message),
        },
        Error::Shape { object, message } => Error::Shape {
            object: fix(object),
            message: fix(message),
        },
        Error::Name(m) => Error::Name(fix(m)),
        Error::Rule {
            connection,
            rule,
            message,
        } => Error::Rule {
            connection: fix(connection),
            rule,
            message: fix(message),
        },
        Error::Unsupported(m) => Error::Unsupported(fix(m)),
        other => other,
    }
}

fn lock(hub: &SharedHub) -> std::sync::MutexGuard<'_, Hub> {
    hub.lock().unwrap_or_else(|e| e.into_inner())
}
