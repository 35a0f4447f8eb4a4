//! Building a network: everything is validated in [`NetworkBuilder::build`].

use super::connection::{Connect, Connection};
use super::Network;
use crate::error::{Error, Result};
use crate::learning::{ConnectionInfo, Nu, RewardFn};
use crate::nodes::{BuildContext, NodeModel, NodeOptions, Population};
use crate::rng::Rng;
use crate::topology::{Bound, Ends};
use std::collections::HashMap;

/// Collects populations and connections; [`build`](Self::build) validates
/// them and returns a [`Network`].
///
/// ```
/// use spikeflow::prelude::*;
///
/// let mut b = Network::builder().seed(1);
/// b.add_population("X", &[4], Input, NodeOptions { traces: true, ..Default::default() });
/// b.add_population("Y", &[2], LifNodes::default(), NodeOptions { traces: true, ..Default::default() });
/// b.connect(Connect::new("X", "Y", Dense::with_weights(vec![20.0; 8])).rule(PostPre).nu((1e-4, 1e-2)));
/// let net = b.build().unwrap();
/// assert_eq!(net.population_names(), ["X", "Y"]);
/// ```
#[derive(Debug)]
pub struct NetworkBuilder {
    pub(crate) dt: f32,
    pub(crate) batch: usize,
    pub(crate) learning: bool,
    pub(crate) seed: u64,
    pub(crate) layers: Vec<LayerSpec>,
    pub(crate) conns: Vec<Connect>,
    pub(crate) reward_fn: Option<Box<dyn RewardFn>>,
}

/// A population waiting to be built: name, shape, model, options.
pub(crate) type LayerSpec = (String, Vec<usize>, Box<dyn NodeModel>, NodeOptions);

impl Default for NetworkBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl NetworkBuilder {
    /// dt 1 ms, batch 1, learning on, seed 0.
    pub fn new() -> Self {
        NetworkBuilder {
            dt: 1.0,
            batch: 1,
            learning: true,
            seed: 0,
            layers: Vec::new(),
            conns: Vec::new(),
            reward_fn: None,
        }
    }
    /// Simulation step (ms).
    pub fn dt(mut self, dt_ms: f32) -> Self {
        self.dt = dt_ms;
        self
    }
    /// Batch size (number of independent samples simulated together).
    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch = b;
        self
    }
    /// Learning on or off.
    pub fn learning(mut self, on: bool) -> Self {
        self.learning = on;
        self
    }
    /// Seed of every random draw of the network.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// A reward function applied to the rewards given to `run`.
    pub fn reward_fn(mut self, f: impl RewardFn + 'static) -> Self {
        self.reward_fn = Some(Box::new(f));
        self
    }
    /// Adds a population; insertion order is update order.
    pub fn add_population(
        &mut self,
        name: &str,
        shape: &[usize],
        model: impl NodeModel + 'static,
        options: NodeOptions,
    ) -> &mut Self {
        self.layers
            .push((name.to_string(), shape.to_vec(), Box::new(model), options));
        self
    }
    /// Adds a connection; insertion order is propagation and learning order.
    pub fn connect(&mut self, c: Connect) -> &mut Self {
        self.conns.push(c);
        self
    }

    /// Validates everything and builds the network.
    ///
    /// # Errors
    /// Bad `dt` or batch size, duplicate or unknown names, invalid
    /// parameters, shape mismatches, and rules that cannot work where they
    /// are attached — each naming the object and the values.
    pub fn build(self) -> Result<Network> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(Error::param(
                "network",
                format!("dt must be finite and > 0, got {}", self.dt),
            ));
        }
        if self.batch == 0 {
            return Err(Error::param("network", "batch size must be ≥ 1"));
        }
        let mut rng = Rng::seed_from_u64(self.seed);
        let mut index = HashMap::new();
        let mut names = Vec::new();
        let mut pops: Vec<Box<dyn Population>> = Vec::new();
        for (name, shape, model, options) in &self.layers {
            if index.insert(name.clone(), pops.len()).is_some() {
                return Err(Error::Name(format!("population name {name:?} used twice")));
            }
            check_state_size(name, shape, self.batch)?;
            let mut ctx = BuildContext {
                name,
                shape,
                batch: self.batch,
                dt: self.dt,
                options,
                rng: &mut rng,
            };
            pops.push(model.build(&mut ctx).map_err(|e| match e {
                Error::InvalidParameter { object, message } => Error::InvalidParameter {
                    object: format!("population {object} ({})", model.type_name()),
                    message,
                },
                other => other,
            })?);
            names.push(name.clone());
        }
        let mut conns = Vec::new();
        let mut pairs = std::collections::HashSet::new();
        for spec in self.conns {
            let name = format!("{} -> {}", spec.source, spec.target);
            let find = |n: &str| {
                index.get(n).copied().ok_or_else(|| {
                    Error::Name(format!(
                        "connection {name}: no population named {n:?} (have {names:?})"
                    ))
                })
            };
            let (s, t) = (find(&spec.source)?, find(&spec.target)?);
            if !pairs.insert((s, t)) {
                return Err(Error::Name(format!("connection {name} given twice")));
            }
            let (pre, post) = (pops[s].core(), pops[t].core());
            let ends = Ends {
                name: &name,
                source_shape: pre.shape(),
                target_shape: post.shape(),
                batch: self.batch,
                wmin: &spec.wmin,
                wmax: &spec.wmax,
            };
            let channels = pops[t].input_channels();
            if spec.receptor >= channels {
                return Err(Error::param(
                    format!("connection {name}"),
                    format!(
                        "receptor {} but target {:?} ({}) has {channels} input channel(s)",
                        spec.receptor,
                        spec.target,
                        pops[t].type_name()
                    ),
                ));
            }
            let input_offset = spec.receptor * self.batch * post.n();
            let mut topology = spec.topology.build(&ends, &mut rng)?;
            for (what, values) in [("w", topology.weights()), ("b", topology.bias())] {
                if let Some(bad) = values.and_then(|v| v.iter().find(|x| !x.is_finite())) {
                    return Err(Error::param(
                        format!("connection {name}"),
                        format!("{what} must be finite, got {bad}"),
                    ));
                }
            }
            let rule_name = spec.rule_name().to_string();
            let rule_err = |m: String| Error::Rule {
                connection: name.clone(),
                rule: rule_name.clone(),
                message: m,
            };
            check_bounds(
                &name,
                &spec.wmin,
                &spec.wmax,
                topology.weights().map_or(0, <[f32]>::len),
            )?;
            let o = &spec.options;
            if !(0.0..=1.0).contains(&o.weight_decay) {
                return Err(Error::param(
                    format!("connection {name}"),
                    format!("weight_decay must be in [0, 1], got {}", o.weight_decay),
                ));
            }
            check_nu(&name, &o.nu, topology.weights().map_or(0, <[f32]>::len))?;
            let norm = match spec.norm {
                Some(n) if !n.is_finite() => {
                    return Err(Error::param(
                        format!("connection {name}"),
                        format!("norm must be finite, got {n}"),
                    ))
                }
                Some(n) => Some(n * spec.topology.norm_scale()),
                None => None,
            };
            if norm.is_some() && !topology.supports_norm() {
                return Err(Error::param(
                    format!("connection {name}"),
                    format!(
                        "{} has no per-target column of weights to normalise",
                        topology.type_name()
                    ),
                ));
            }
            if topology.synapses().is_none()
                && (spec.rule.is_some() || norm.is_some() || o.weight_decay != 0.0)
            {
                return Err(rule_err(format!(
                    "{} has no learnable weights: no learning rule, norm or weight decay",
                    topology.type_name()
                )));
            }
            if topology.weights().is_none() && (spec.wmin.any_finite() || spec.wmax.any_finite()) {
                return Err(Error::param(
                    format!("connection {name}"),
                    format!("{} has no weights to bound", topology.type_name()),
                ));
            }
            let mut learner = spec.rule.map(|r| r.build(&spec.options, self.dt));
            let mut aux = None;
            let mut reward = false;
            if let Some(l) = &mut learner {
                let info = ConnectionInfo {
                    name: &name,
                    source: &spec.source,
                    target: &spec.target,
                    topology: topology.type_name(),
                    map: topology.synapses().expect("checked: has weights"),
                    batch: self.batch,
                    dt: self.dt,
                    options: &spec.options,
                    wmin: &spec.wmin,
                    wmax: &spec.wmax,
                };
                l.validate(&info).map_err(&rule_err)?;
                let req = l.requirements();
                if req.pre_traces && pre.trace().is_none() {
                    return Err(rule_err(format!(
                        "needs traces on source {:?} (NodeOptions::traces)",
                        spec.source
                    )));
                }
                if req.additive_pre_traces && !pre.trace_is_additive() {
                    return Err(rule_err(format!(
                        "needs additive traces on source {:?} (NodeOptions::traces_additive)",
                        spec.source
                    )));
                }
                if req.post_traces && post.trace().is_none() {
                    return Err(rule_err(format!(
                        "needs traces on target {:?} (NodeOptions::traces)",
                        spec.target
                    )));
                }
                if req.finite_bounds && !(spec.wmin.all_finite() && spec.wmax.all_finite()) {
                    return Err(rule_err(format!(
                        "is soft-bounded: wmin and wmax must be finite, got {:?} and {:?}",
                        spec.wmin, spec.wmax
                    )));
                }
                if req.finite_wmax && !spec.wmax.all_finite() {
                    return Err(rule_err(format!(
                        "needs a finite wmax, got {:?}",
                        spec.wmax
                    )));
                }
                if let Some(v) = req.post_variable {
                    if pops[t].variable(v).is_none() {
                        return Err(rule_err(format!(
                            "needs a target with variable {v:?} (e.g. SRM0Nodes), got {}",
                            pops[t].type_name()
                        )));
                    }
                    aux = Some(v);
                }
                l.check_active().map_err(&rule_err)?;
                reward = req.reward;
                let map = topology.synapses().expect("checked: has weights");
                l.resize(self.batch, map.n_pre(), map.n_post(), map.n_weights());
            }
            // BindsNET clamps given weights into finite bounds at construction.
            let mut dirty = false;
            if spec.wmin.any_finite() || spec.wmax.any_finite() {
                if let Some(w) = topology.weights_mut() {
                    for (k, x) in w.iter_mut().enumerate() {
                        *x = x.max(spec.wmin.at(k)).min(spec.wmax.at(k));
                    }
                }
                dirty = false;
            }
            conns.push(Connection {
                name,
                source: s,
                target: t,
                input_offset,
                topology,
                wmin: spec.wmin,
                wmax: spec.wmax,
                norm,
                learner,
                weight_decay_factor: 1.0 - o.weight_decay,
                dirty,
                rule_name,
                post_variable: aux,
                needs_reward: reward,
                weights_watched: false,
            });
        }
        let bufs = pops
            .iter()
            .map(|p| vec![0.0; p.input_channels() * self.batch * p.core().n()])
            .collect();
        Ok(Network {
            dt: self.dt,
            batch: self.batch,
            learning: self.learning,
            names,
            index,
            pops,
            conns,
            monitors: Vec::new(),
            rng,
            reward_fn: self.reward_fn,
            stepper: super::stepper::Stepper::new(bufs, self.batch),
            late: None,
        })
    }
}

fn check_bounds(name: &str, wmin: &Bound, wmax: &Bound, n_w: usize) -> Result<()> {
    for (what, b) in [("wmin", wmin), ("wmax", wmax)] {
        if let Bound::PerSynapse(v) = b {
            if v.len() != n_w {
                return Err(Error::shape(
                    format!("connection {name}"),
                    format!("{what} has {} values for {n_w} weights", v.len()),
                ));
            }
        }
        let nan = match b {
            Bound::Scalar(x) => x.is_nan(),
            Bound::PerSynapse(v) => v.iter().any(|x| x.is_nan()),
        };
        if nan {
            return Err(Error::param(
                format!("connection {name}"),
                format!("{what} must not be NaN"),
            ));
        }
    }
    for k in 0..n_w {
        if wmin.at(k) > wmax.at(k) {
            return Err(Error::param(
                format!("connection {name}"),
                format!("wmin {} > wmax {} at weight {k}", wmin.at(k), wmax.at(k)),
            ));
        }
    }
    Ok(())
}

fn check_nu(name: &str, nu: &Nu, n_w: usize) -> Result<()> {
    let bad = |m: String| Err(Error::param(format!("connection {name}"), m));
    match nu {
        Nu::Pair(a, b) if !a.is_finite() || !b.is_finite() => {
            bad(format!("nu must be finite, got ({a}, {b})"))
        }
        Nu::PerSynapse(a, b) if a.len() != n_w || b.len() != n_w => bad(format!(
            "per-synapse nu has {} and {} values for {n_w} weights",
            a.len(),
            b.len()
        )),
        Nu::PerSynapse(a, b) if a.iter().chain(b.iter()).any(|x| !x.is_finite()) => {
            bad("per-synapse nu must be finite".into())
        }
        _ => Ok(()),
    }
}

/// Bytes of state per neuron and batch row a population may hold (voltages,
/// thresholds, refractory counts, traces, summed input, spikes: a generous
/// upper bound, 16 `f32` arrays).
const STATE_BYTES_PER_NEURON: u128 = 64;

/// Refuses, before anything is allocated, a population whose batch × neurons
/// overflows or whose state (at [`STATE_BYTES_PER_NEURON`]) exceeds the
/// machine's memory: the allocator would otherwise abort the process.
fn check_state_size(name: &str, shape: &[usize], batch: usize) -> Result<()> {
    let mut dims = shape.to_vec();
    dims.push(batch);
    crate::memory::check_fits(
        &format!("population {name}"),
        &format!("shape {shape:?} with batch {batch}"),
        crate::memory::product(&dims),
        STATE_BYTES_PER_NEURON,
    )
}
