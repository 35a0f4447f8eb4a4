//! [`DistributedNetwork`]: one process's part of a network cut across
//! processes, built from the same [`NetworkBuilder`] every process is
//! given.

use super::exchange::Exchange;
use super::hub::{Hub, MirrorModel, PublishedModel, SharedHub};
use super::partition::{block, PartLayout};
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
        let net = DistributedNetwork {
            net: local.build().map_err(whole_names)?,
            hub,
            rank,
            ranks,
            parts,
            conns: names,
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

    /// Runs `steps` steps of every process's part, exchanging spikes once
    /// per step. `inputs` are the whole populations' inputs (every process
    /// is given the same; each takes its neurons), clamps name whole
    /// populations' neurons; the reward is shared.
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

    /// The snapshot one process running the whole network would take now:
    /// the same arrays in the same order under the whole network's names,
    /// put together from every process's part (the mirrors left out). It
    /// restores into a [`Network`] built from the same description, or into
    /// any number of processes ([`restore_whole`](Self::restore_whole)). A
    /// collective.
    ///
    /// # Errors
    /// [`Error::Unsupported`], on every process alike, for an array whose
    /// parts cannot be put together: a connection state whose topology or
    /// rule does not say how its parts stand to the whole
    /// ([`Topology::part_layout`](crate::topology::Topology::part_layout),
    /// [`ConnectionRule::part_layout`](crate::learning::ConnectionRule::part_layout)),
    /// or state other than the weights of a connection that stays within
    /// each process's blocks.
    pub fn whole_snapshot(&self) -> Result<Snapshot> {
        let local = self.net.snapshot();
        let mut arrays = Vec::new();
        for (name, values) in &local.arrays {
            let whole = match self.array_part(name)? {
                ArrayPart::Mirror(_) => continue,
                ArrayPart::Population(pop) => self.gather_rows(&pop, values)?,
                ArrayPart::Whole => values.clone(),
                ArrayPart::TargetColumns(target, rows) => {
                    let n_local = self.part(&target)?.ranges[self.rank].len();
                    if values.len() != rows * n_local {
                        return Err(Error::Unsupported(format!(
                            "snapshot array {name}: {} values, not the {rows} rows of {n_local} \
                             targets its layout gives",
                            values.len()
                        )));
                    }
                    self.gather_rows(&target, values)?
                }
                ArrayPart::SourceBlocks => self.gather(values).concat(),
            };
            arrays.push((self.whole_array_name(name), whole));
        }
        Ok(Snapshot {
            arrays,
            rng: local.rng,
        })
    }

    /// Restores a snapshot of the whole network (one process's, or
    /// [`whole_snapshot`](Self::whole_snapshot)'s with any number of
    /// processes): each process takes its part. A collective.
    ///
    /// # Errors
    /// As [`whole_snapshot`](Self::whole_snapshot); a snapshot without an
    /// array this part needs, or of another size; then as
    /// [`Network::restore`] (nothing is changed).
    pub fn restore_whole(&mut self, snap: &Snapshot) -> Result<()> {
        let bad = |m: String| Error::format("snapshot", m);
        let mine = self.net.snapshot();
        let mut arrays = Vec::with_capacity(mine.arrays.len());
        for (name, values) in &mine.arrays {
            let part = self.array_part(name)?;
            let whole_name = match &part {
                // A mirror holds the whole population's state.
                ArrayPart::Mirror(pop) => {
                    name.replacen(&format!("pop/{pop}{MIRROR}/"), &format!("pop/{pop}/"), 1)
                }
                _ => self.whole_array_name(name),
            };
            let whole = snap
                .arrays
                .iter()
                .find(|(n, _)| *n == whole_name)
                .map(|(_, v)| v.as_slice())
                .ok_or_else(|| bad(format!("no array {whole_name}")))?;
            let cut = |pop: &str| -> Result<Vec<f32>> {
                let p = self.part(pop)?;
                let mine = p.ranges[self.rank].clone();
                let rows = values.len() / mine.len().max(1);
                if whole.len() != rows * p.n {
                    return Err(bad(format!(
                        "array {whole_name} has {} values, not {rows} × {}",
                        whole.len(),
                        p.n
                    )));
                }
                Ok(crate::topology::columns(whole, p.n, &mine))
            };
            let local = match &part {
                ArrayPart::Mirror(_) | ArrayPart::Whole => whole.to_vec(),
                ArrayPart::Population(pop) => cut(pop)?,
                ArrayPart::TargetColumns(target, _) => cut(target)?,
                ArrayPart::SourceBlocks => {
                    let lens = self.gather_count(values.len() as u64);
                    let at: u64 = lens[..self.rank].iter().sum();
                    let total: u64 = lens.iter().sum();
                    if whole.len() as u64 != total {
                        return Err(bad(format!(
                            "array {whole_name} has {} values, the parts {total}",
                            whole.len()
                        )));
                    }
                    whole[at as usize..at as usize + values.len()].to_vec()
                }
            };
            arrays.push((name.clone(), local));
        }
        self.net.restore(&Snapshot {
            arrays,
            rng: snap.rng,
        })
    }

    /// The whole network's name of an array of this process's snapshot.
    fn whole_array_name(&self, name: &str) -> String {
        name.replacen(&format!("{MIRROR} -> "), " -> ", 1)
    }

    /// What an array of this process's snapshot is a part of.
    fn array_part(&self, name: &str) -> Result<ArrayPart> {
        let unsupported = |why: &str| {
            Err(Error::Unsupported(format!(
                "the parts of snapshot array {} cannot be put together: {why}",
                self.whole_array_name(name)
            )))
        };
        if let Some(rest) = name.strip_prefix("pop/") {
            let pop = rest.rsplit_once('/').map_or(rest, |(p, _)| p);
            return Ok(match pop.strip_suffix(MIRROR) {
                Some(whole) => ArrayPart::Mirror(whole.to_string()),
                None => ArrayPart::Population(pop.to_string()),
            });
        }
        let Some(rest) = name.strip_prefix("conn/") else {
            return unsupported("not a population's or a connection's");
        };
        let (conn, array, rule) = match rest.split_once("/rule/") {
            Some((c, a)) => (c, a, true),
            None => match rest.rsplit_once('/') {
                Some((c, a)) => (c, a, false),
                None => return unsupported("no array name"),
            },
        };
        if !conn.contains(MIRROR) {
            // Within blocks: each process holds its block of sources'
            // synapses, which the whole connection keeps in source order.
            return match (array, rule) {
                ("w", false) => Ok(ArrayPart::SourceBlocks),
                _ => unsupported("state of a connection within each process's blocks"),
            };
        }
        match self.net.part_layout(conn, array, rule) {
            Some(PartLayout::Whole) => Ok(ArrayPart::Whole),
            Some(PartLayout::TargetColumns { rows }) => {
                let target = conn.split("->").nth(1).map(str::trim).unwrap_or_default();
                Ok(ArrayPart::TargetColumns(target.to_string(), rows))
            }
            None => {
                unsupported("its topology or rule does not say how the parts stand to the whole")
            }
        }
    }

    /// Every process's `local` values, in rank order.
    fn gather(&self, local: &[f32]) -> Vec<Vec<f32>> {
        let words: Vec<u32> = local.iter().map(|x| x.to_bits()).collect();
        let (all, counts) = lock(&self.hub).all_gather(&words);
        let mut at = 0;
        counts
            .iter()
            .map(|&c| {
                at += c;
                all[at - c..at].iter().map(|&w| f32::from_bits(w)).collect()
            })
            .collect()
    }

    /// Arrays whose rows hold one value per neuron of this process's part
    /// of `pop`, as the whole population's rows (every process's part side
    /// by side).
    fn gather_rows(&self, pop: &str, local: &[f32]) -> Result<Vec<f32>> {
        let part = self.part(pop)?;
        let all = self.gather(local);
        let rows = local.len() / part.ranges[self.rank].len();
        let mut whole = vec![0.0; rows * part.n];
        for (range, values) in part.ranges.iter().zip(&all) {
            for (r, row) in values.chunks_exact(range.len()).enumerate() {
                whole[r * part.n + range.start..r * part.n + range.end].copy_from_slice(row);
            }
        }
        Ok(whole)
    }

    /// A variable of a whole population (`"s"`, `"x"`, `"v"`, …), shaped
    /// `[batch, *shape]`. A collective.
    ///
    /// # Errors
    /// An unknown population or variable (on every process alike).
    pub fn gather_population(&self, pop: &str, var: &str) -> Result<Tensor> {
        let p = self.net.population(pop)?;
        let local = p
            .core()
            .variable(var)
            .or_else(|| p.variable(var))
            .ok_or_else(|| Error::Name(format!("population {pop} has no variable {var:?}")))?;
        let whole = self.gather_rows(pop, local)?;
        let mut shape = vec![self.net.batch_size()];
        shape.extend_from_slice(&self.part(pop)?.shape);
        Tensor::new(shape, whole)
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

    /// What monitor `monitor` recorded of `var`: of a population, the whole
    /// population's `[time, batch, *shape]` (summed monitors: their shape
    /// with the whole population); of a connection, its whole weights
    /// `[time, n_pre, n_post]` (`"w"` only). A collective.
    ///
    /// # Errors
    /// An unknown monitor or variable, a monitor of a mirror, or a
    /// connection variable other than `"w"`.
    pub fn gather_recording(&self, monitor: &str, var: &str) -> Result<Tensor> {
        if let Some(local) = self.net.monitored_connection(monitor)? {
            let whole = self
                .conns
                .iter()
                .find(|(_, l)| l == local)
                .map(|(w, _)| w.clone())
                .ok_or_else(|| Error::Name(format!("monitor {monitor}: connection {local}")))?;
            if var != "w" {
                return Err(Error::Unsupported(format!(
                    "{var:?} of connection {whole} over processes (only \"w\" is gathered)"
                )));
            }
            let recorded = self.net.monitor(monitor)?.get(var)?;
            let records = recorded.shape().first().copied().unwrap_or(0);
            return self.whole_weights(&whole, recorded.data(), records);
        }
        let watched = self.net.monitored_population(monitor)?;
        let pop = watched
            .filter(|p| self.part(p).is_ok())
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "monitor {monitor} does not watch a population of the whole network"
                ))
            })?
            .to_string();
        let part = self.part(&pop)?;
        let local = self.net.monitor(monitor)?.get(var)?;
        let whole = self.gather_rows(&pop, local.data())?;
        let mut shape = local.shape().to_vec();
        shape.pop();
        shape.extend_from_slice(&part.shape);
        Tensor::new(shape, whole)
    }

    /// A connection's weights, dense `[n_pre, n_post]` as
    /// [`Network::weights_tensor`] gives them for the whole network (pairs'
    /// multapses summed in their order). A collective; every process holds
    /// the whole matrix, so keep it to connections that fit.
    ///
    /// # Errors
    /// An unknown connection or one without weights.
    pub fn gather_weights(&self, connection: &str) -> Result<Tensor> {
        let local = self
            .net
            .weights_tensor(self.local_connection(connection)?)?;
        let whole = self.whole_weights(connection, local.data(), 1)?;
        let mut shape = whole.shape().to_vec();
        shape.remove(0);
        Tensor::new(shape, whole.into_data())
    }

    /// `records` dense weight matrices of this process's part of
    /// `connection`, gathered into the whole connection's `[records, n_pre,
    /// n_post]`.
    fn whole_weights(&self, connection: &str, local: &[f32], records: usize) -> Result<Tensor> {
        let name = self.local_connection(connection)?;
        let mut ends = connection.split("->").map(str::trim);
        let (source, target) = (
            ends.next().unwrap_or_default(),
            ends.next().unwrap_or_default(),
        );
        let (src, tgt) = (self.part(source)?, self.part(target)?);
        if name.contains(MIRROR) {
            // From the whole source: every process holds whole rows.
            let whole = self.gather_rows(target, local)?;
            return Tensor::new(vec![records, src.n, tgt.n], whole);
        }
        // Within blocks: each process holds its diagonal block.
        let size = src.n * tgt.n;
        let mut whole = vec![0.0; records * size];
        for (r, values) in self.gather(local).iter().enumerate() {
            let (rows, cols) = (&src.ranges[r], &tgt.ranges[r]);
            let block = rows.len() * cols.len();
            for (t, m) in values.chunks_exact(block.max(1)).enumerate() {
                for (a, row) in m.chunks_exact(cols.len()).enumerate() {
                    let at = t * size + (rows.start + a) * tgt.n + cols.start;
                    whole[at..at + cols.len()].copy_from_slice(row);
                }
            }
        }
        Tensor::new(vec![records, src.n, tgt.n], whole)
    }

    /// A connection's rule state as one network holds it: `"pre_trace"`
    /// (`[batch × n_pre]`), `"post_trace"` (`[batch × n_post]`), or a dense
    /// connection's `"eligibility"` (`[batch × n_pre × n_post]`). A
    /// collective.
    ///
    /// # Errors
    /// An unknown connection or state; another state, or the eligibility
    /// of a connection whose parts are not dense rows (`Unsupported`).
    pub fn gather_connection_state(&self, connection: &str, var: &str) -> Result<Vec<f32>> {
        let name = self.local_connection(connection)?;
        let local = self.net.connection_state(name, var)?;
        let mut ends = connection.split("->").map(str::trim);
        let (source, target) = (
            ends.next().unwrap_or_default(),
            ends.next().unwrap_or_default(),
        );
        let from_mirror = name.contains(MIRROR);
        let n_local = self.part(target)?.ranges[self.rank].len();
        let dense_rows = self.net.weights(name)?.len() == self.part(source)?.n * n_local;
        match var {
            // From the mirror every process holds the whole source's trace.
            "pre_trace" if from_mirror => Ok(local.to_vec()),
            "pre_trace" => self.gather_rows(source, local),
            "post_trace" => self.gather_rows(target, local),
            "eligibility" if from_mirror && dense_rows => self.gather_rows(target, local),
            _ => Err(Error::Unsupported(format!(
                "state {var:?} of connection {connection} over processes"
            ))),
        }
    }

    /// The sum of a connection's weights, the same to the last bit for any
    /// number of processes: each target's weights summed in `f64` in the
    /// connection's order, then the targets' sums in target order. A
    /// collective.
    ///
    /// # Errors
    /// An unknown connection or one without weights.
    pub fn weight_sum(&self, connection: &str) -> Result<f64> {
        let per_target = self
            .net
            .weight_sums_by_target(self.local_connection(connection)?)?;
        let words: Vec<u32> = per_target
            .iter()
            .flat_map(|x| {
                let b = x.to_bits();
                [b as u32, (b >> 32) as u32]
            })
            .collect();
        let (all, _) = lock(&self.hub).all_gather(&words);
        Ok(all
            .chunks_exact(2)
            .map(|w| f64::from_bits(u64::from(w[0]) | (u64::from(w[1]) << 32)))
            .sum())
    }

    /// Every process's `local` number (a count, bytes of memory), in rank
    /// order. A collective.
    pub fn gather_count(&self, local: u64) -> Vec<u64> {
        let (all, _) = lock(&self.hub).all_gather(&[local as u32, (local >> 32) as u32]);
        all.chunks_exact(2)
            .map(|w| u64::from(w[0]) | (u64::from(w[1]) << 32))
            .collect()
    }
}

/// What an array of a process's snapshot is a part of (see
/// [`DistributedNetwork::whole_snapshot`]).
enum ArrayPart {
    /// A mirror's state: the whole population's, not saved.
    Mirror(String),
    /// One value per neuron of the process's block of a population, per row.
    Population(String),
    /// A connection's array every process holds whole.
    Whole,
    /// Rows of one value per target of the process's block (target, rows).
    TargetColumns(String, usize),
    /// The synapses of the process's block of sources (a connection within
    /// blocks), concatenated in rank order.
    SourceBlocks,
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
