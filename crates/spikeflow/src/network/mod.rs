//! The network: populations, connections and monitors, stepped in a fixed
//! order.
//!
//! Per time step `t` (BindsNET's order, which the reference vectors check):
//!
//! 1. **Propagate**: every connection, in insertion order, turns its
//!    source's spikes of step `t − 1` into input for its target (so every
//!    hop adds one step of delay; recurrent connections included).
//! 2. **Integrate**: every population, in insertion order, adds its
//!    external input for step `t`, updates its state, thresholds, resets;
//!    then the step's clamps/unclamps force or suppress spikes (without
//!    resetting or starting refractoriness), then the traces update.
//! 3. **Learn**: every connection with a rule updates its weights from this
//!    step's spikes and traces of both ends (and the reward); then weight
//!    decay, then clamping.
//! 4. **Observe**: monitors record.
//!
//! After each [`Network::run`] call, connections with `norm` normalise
//! their weights (no clamping afterwards).
//!
//! Files: this one is the owner (the registry of populations, connections
//! and monitors, and their accessors); `stepper.rs` runs a step with its
//! reusable buffers; `plan.rs` validates a run's inputs before anything is
//! stepped; `lanes.rs` runs independent batch rows on separate threads;
//! `monitors.rs`, `state.rs` (snapshots) and `builder.rs` the rest.

mod builder;
mod connection;
mod lanes;
mod late;
mod layout;
mod monitors;
mod plan;
mod relax;
mod run;
mod state;
mod stepper;

pub use builder::NetworkBuilder;
pub use connection::Connect;
pub use run::{Cancel, Mask, Progress, Reward, RunInput, RunOptions};
pub use state::Snapshot;

use crate::error::{Error, Result};
use crate::learning::RewardFn;
use crate::monitor::Monitor;
use crate::nodes::Population;
use crate::rng::Rng;
use crate::tensor::Tensor;
use connection::Connection;
use std::collections::HashMap;
use std::time::Duration;
use stepper::{Profile, Stepper, LEARN, NORMALISE, PHASES};
pub(crate) use stepper::{EXCHANGE, INTEGRATE};

/// A built, runnable network. Create one with [`Network::builder`].
#[derive(Debug)]
pub struct Network {
    dt: f32,
    batch: usize,
    learning: bool,
    names: Vec<String>,
    index: HashMap<String, usize>,
    pops: Vec<Box<dyn Population>>,
    conns: Vec<Connection>,
    monitors: Vec<(String, Monitor)>,
    rng: Rng,
    reward_fn: Option<Box<dyn RewardFn>>,
    stepper: Stepper,
    /// Connections that run at the end of each exchange interval (a
    /// distributed network's part; see `distributed/interval.rs`).
    late: Option<Box<crate::distributed::IntervalExchange>>,
}

/// What [`Network::run_observed`] calls after each step.
type Observer<'a> = dyn FnMut(&Network) -> Result<()> + 'a;

impl Network {
    /// A builder with BindsNET's defaults (dt 1 ms, batch 1, learning on).
    pub fn builder() -> NetworkBuilder {
        NetworkBuilder::new()
    }

    /// Simulation step (ms).
    pub fn dt(&self) -> f32 {
        self.dt
    }
    /// Batch size.
    pub fn batch_size(&self) -> usize {
        self.batch
    }
    /// Whether rules learn (and adaptive thresholds adapt).
    pub fn learning(&self) -> bool {
        self.learning
    }
    /// Turns learning on or off (BindsNET's `train(mode)`).
    pub fn set_learning(&mut self, on: bool) {
        self.learning = on;
    }
    /// Population names in insertion order.
    pub fn population_names(&self) -> &[String] {
        &self.names
    }
    /// Connection names (`"X -> Y"`) in insertion order.
    pub fn connection_names(&self) -> Vec<&str> {
        self.conns.iter().map(|c| c.name.as_str()).collect()
    }

    fn pop_index(&self, name: &str) -> Result<usize> {
        self.index.get(name).copied().ok_or_else(|| {
            Error::Name(format!(
                "no population named {name:?} (have {:?})",
                self.names
            ))
        })
    }

    fn conn_index(&self, name: &str) -> Result<usize> {
        let key: String = name.split_whitespace().collect::<Vec<_>>().join(" ");
        self.conns
            .iter()
            .position(|c| c.name == key)
            .ok_or_else(|| {
                Error::Name(format!(
                    "no connection named {name:?} (have {:?})",
                    self.connection_names()
                ))
            })
    }

    /// A population by name.
    ///
    /// # Errors
    /// [`Error::Name`] for an unknown name.
    pub fn population(&self, name: &str) -> Result<&dyn Population> {
        Ok(self.pops[self.pop_index(name)?].as_ref())
    }

    /// A population by name, mutable (e.g. to restore state).
    ///
    /// # Errors
    /// [`Error::Name`] for an unknown name.
    pub fn population_mut(&mut self, name: &str) -> Result<&mut dyn Population> {
        let i = self.pop_index(name)?;
        Ok(self.pops[i].as_mut())
    }

    /// A connection's weights in its topology's order (dense `[n_pre,
    /// n_post]` for dense connections, `[out, in, k…]` for convolutions, one
    /// value per synapse for sparse and local ones).
    ///
    /// # Errors
    /// Unknown connection, or one without weights (pooling).
    pub fn weights(&self, connection: &str) -> Result<&[f32]> {
        let c = &self.conns[self.conn_index(connection)?];
        c.topology
            .weights()
            .ok_or_else(|| Error::Unsupported(format!("connection {} has no weights", c.name)))
    }

    /// A connection's weights, mutable. Bounds are enforced again at the
    /// next learning step.
    ///
    /// # Errors
    /// Unknown connection, or one without weights.
    pub fn weights_mut(&mut self, connection: &str) -> Result<&mut [f32]> {
        let i = self.conn_index(connection)?;
        let c = &mut self.conns[i];
        c.dirty = true;
        let name = c.name.clone();
        c.topology
            .weights_mut()
            .ok_or_else(|| Error::Unsupported(format!("connection {name} has no weights")))
    }

    /// A connection's weights in BindsNET's layout, as a tensor (dense
    /// `[n_pre, n_post]` also for sparse and local connections).
    ///
    /// # Errors
    /// Unknown connection, or one without weights.
    pub fn weights_tensor(&self, connection: &str) -> Result<Tensor> {
        let c = &self.conns[self.conn_index(connection)?];
        let (shape, data) = c
            .topology
            .weights_dense()
            .ok_or_else(|| Error::Unsupported(format!("connection {} has no weights", c.name)))?;
        Tensor::new(shape, data)
    }

    /// Each target neuron's incoming weights summed in `f64`, sources in
    /// increasing order (a pair's multapses in their order): per target,
    /// the same sum whichever other targets the connection holds — which
    /// makes [`DistributedNetwork::weight_sum`](crate::distributed::DistributedNetwork::weight_sum)
    /// independent of the number of processes.
    ///
    /// # Errors
    /// Unknown connection, or one without weights.
    pub fn weight_sums_by_target(&self, connection: &str) -> Result<Vec<f64>> {
        let c = &self.conns[self.conn_index(connection)?];
        let (Some(map), Some(w)) = (c.topology.synapses(), c.topology.weights()) else {
            return Err(Error::Unsupported(format!(
                "connection {} has no weights",
                c.name
            )));
        };
        let mut sums = vec![0.0f64; map.n_post()];
        for i in 0..map.n_pre() {
            map.for_each_out(i, |j, k| sums[j] += f64::from(w[k]));
        }
        Ok(sums)
    }

    /// The name of the population monitor `name` watches (`None` for a
    /// monitor of a connection).
    pub(crate) fn monitored_population(&self, name: &str) -> Result<Option<&str>> {
        let m = self.monitor(name)?;
        Ok(match m.target {
            crate::monitor::MonitorTarget::Population(p) => Some(self.names[p].as_str()),
            crate::monitor::MonitorTarget::Connection(_) => None,
        })
    }

    /// The name of the connection monitor `name` watches (`None` for a
    /// monitor of a population).
    pub(crate) fn monitored_connection(&self, name: &str) -> Result<Option<&str>> {
        let m = self.monitor(name)?;
        Ok(match m.target {
            crate::monitor::MonitorTarget::Connection(c) => Some(self.conns[c].name.as_str()),
            crate::monitor::MonitorTarget::Population(_) => None,
        })
    }

    /// A connection's internal variable (`"firing_rates"` of pooling) or its
    /// rule's state (`"pre_trace"`, `"post_trace"`, `"eligibility"`).
    ///
    /// # Errors
    /// Unknown connection or variable.
    pub fn connection_state(&self, connection: &str, var: &str) -> Result<&[f32]> {
        let c = &self.conns[self.conn_index(connection)?];
        c.topology
            .variable(var)
            .or_else(|| c.learner.as_ref().and_then(|l| l.state(var)))
            .ok_or_else(|| Error::Name(format!("connection {} has no state {var:?}", c.name)))
    }

    /// Changes a parameter of a connection's rule between runs — BindsNET's
    /// run-time `a_plus` / `a_minus` of `MSTDP` and `MSTDPET`.
    ///
    /// # Errors
    /// Unknown connection, no rule, a rule without that parameter, or a
    /// value the rule refuses.
    pub fn set_rule_param(&mut self, connection: &str, name: &str, value: f32) -> Result<()> {
        let i = self.conn_index(connection)?;
        let c = &mut self.conns[i];
        c.flush_learning();
        let what = format!("connection {}", c.name);
        let learner = c.learner.as_mut().ok_or_else(|| {
            Error::param(what.clone(), format!("no learning rule to set {name:?} on"))
        })?;
        learner
            .set_rule_param(name, value)
            .map_err(|e| Error::param(what, e))
    }

    /// The name of the rule attached to a connection (`"NoOp"` if none).
    ///
    /// # Errors
    /// Unknown connection.
    pub fn rule_name(&self, connection: &str) -> Result<&str> {
        Ok(&self.conns[self.conn_index(connection)?].rule_name)
    }

    /// Resets every population's state, pooling rate estimates, learning
    /// rules' own state and the monitors. Weights and adaptive thresholds
    /// are kept (BindsNET's `reset_state_variables`, except that rule state
    /// is reset too).
    pub fn reset_state(&mut self) {
        for p in &mut self.pops {
            p.reset_state();
        }
        for c in &mut self.conns {
            c.topology.reset_state();
            if let Some(l) = &mut c.learner {
                l.reset_state();
            }
        }
        for (_, m) in &mut self.monitors {
            m.clear();
        }
    }

    /// The network's random generator (e.g. to draw a Poisson encoding in
    /// step with the network's seed).
    pub fn rng_mut(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Replaces the reward function (BindsNET's `reward_fn`).
    pub fn set_reward_fn(&mut self, f: Option<Box<dyn RewardFn>>) {
        self.reward_fn = f;
    }

    /// The reward function, e.g. to call its per-episode `update`.
    pub fn reward_fn_mut(&mut self) -> Option<&mut (dyn RewardFn + 'static)> {
        self.reward_fn.as_deref_mut()
    }

    /// Runs `steps` time steps. `inputs` pairs a population name with a
    /// tensor `[steps, batch, *shape]` (spikes for an `Input` population,
    /// added current for any other). [`run_inputs`](Self::run_inputs) also
    /// takes spike rasters.
    ///
    /// # Errors
    /// As [`run_inputs`](Self::run_inputs).
    pub fn run(
        &mut self,
        inputs: &[(&str, &Tensor)],
        steps: usize,
        options: &RunOptions,
    ) -> Result<()> {
        let inputs: Vec<_> = inputs
            .iter()
            .map(|&(n, t)| (n, RunInput::Values(t)))
            .collect();
        self.run_inputs(&inputs, steps, options)
    }

    /// Runs `steps` time steps with each population's input as values
    /// ([`Tensor`]) or spikes ([`SpikeRaster`](crate::SpikeRaster), the
    /// same run from a quarter of the memory).
    ///
    /// ```
    /// use spikeflow::prelude::*;
    ///
    /// let mut b = Network::builder();
    /// b.add_population("X", &[2], Input, NodeOptions::default());
    /// b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
    /// b.connect(Connect::new("X", "Y", Dense::with_weights(vec![20.0, 0.5])));
    /// let mut net = b.build()?;
    /// net.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
    /// let x = SpikeRaster::new(vec![3, 1, 2], vec![true, false, false, false, false, false])?;
    /// net.run_inputs(&[("X", RunInput::from(&x))], 3, &RunOptions::default())?;
    /// assert_eq!(net.monitor("y")?.get("s")?.data(), &[0.0, 1.0, 0.0]);
    /// # Ok::<(), spikeflow::Error>(())
    /// ```
    ///
    /// With learning off and a batch, the rows run in lanes, one per pool
    /// thread, for the whole run (`network/lanes.rs`); otherwise large
    /// per-step regions run in parallel. The result is the same bit for
    /// bit whatever the number of threads.
    ///
    /// # Errors
    /// Unknown names, inputs of the wrong shape, a reward rule without a
    /// reward, bad clamp indices or voltage injections: nothing is stepped
    /// when one of these is returned. [`Error::Interrupted`] when
    /// `options.cancel` was raised: the steps done so far are kept (see
    /// [`Cancel`]); `options.progress` counts the steps done ([`Progress`]).
    /// A rule whose update fails (an
    /// [`ArrayRule`](crate::learning::ArrayRule) or
    /// [`ConnectionRule`](crate::learning::ConnectionRule) returning an
    /// error, e.g. a Python exception) stops the run after the step in
    /// which it failed, with [`Error::Rule`]: that step is complete (monitors
    /// recorded it) except the failed rule's update, which is not applied;
    /// deferred changes of other rules are applied; `norm` is not.
    pub fn run_inputs(
        &mut self,
        inputs: &[(&str, RunInput<'_>)],
        steps: usize,
        options: &RunOptions,
    ) -> Result<()> {
        self.run_watched(inputs, steps, options, None)
    }

    /// [`run`](Self::run), handing the network to `observe` after every
    /// step. Learning may leave weight changes deferred inside a run (a
    /// row's changes wait until the row is next read, as NEST applies
    /// potentiation at the next presynaptic spike; every run ends by
    /// applying them all), so `observe` sees each row of a learning
    /// connection as of its last catch-up, and some rows may lag. Which
    /// rows are current depends on the learning path: for STDP on
    /// compressed rows (fixed in-degree, sparse), the rows of the sources
    /// that spiked in the step just run (`tests/run_observed.rs`) — what
    /// reading NEST's way needs, where a run of one step per call would
    /// apply every deferred change after each step. The run itself is the
    /// same, bit for bit, and never runs in lanes.
    ///
    /// ```
    /// use spikeflow::prelude::*;
    ///
    /// let mut b = Network::builder();
    /// b.add_population("X", &[2], Input, NodeOptions::default());
    /// b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
    /// b.connect(Connect::new("X", "Y", Dense::with_weights(vec![20.0, 0.5])));
    /// let mut net = b.build()?;
    /// let x = Tensor::new(vec![3, 1, 2], vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0])?;
    /// let mut spikes = Vec::new();
    /// net.run_observed(&[("X", &x)], 3, &RunOptions::default(), |net| {
    ///     spikes.push(net.population("Y")?.core().spikes().values()[0]);
    ///     Ok(())
    /// })?;
    /// assert_eq!(spikes, [0.0, 1.0, 0.0]);
    /// # Ok::<(), spikeflow::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`run`](Self::run); an error `observe` returns stops the run
    /// after that step, as a failing rule does (deferred changes applied,
    /// `norm` not), and is returned.
    pub fn run_observed(
        &mut self,
        inputs: &[(&str, &Tensor)],
        steps: usize,
        options: &RunOptions,
        mut observe: impl FnMut(&Network) -> Result<()>,
    ) -> Result<()> {
        let inputs: Vec<_> = inputs
            .iter()
            .map(|&(n, t)| (n, RunInput::Values(t)))
            .collect();
        self.run_watched(&inputs, steps, options, Some(&mut observe))
    }

    /// The body of [`run_inputs`](Self::run_inputs) and
    /// [`run_observed`](Self::run_observed).
    fn run_watched(
        &mut self,
        inputs: &[(&str, RunInput<'_>)],
        steps: usize,
        options: &RunOptions,
        mut observe: Option<&mut Observer<'_>>,
    ) -> Result<()> {
        let plan = self.plan(inputs, steps, options)?;
        let rewards = self.rewards(steps, options)?;
        options.report(0);
        let lanes = match observe {
            Some(_) => None,
            None => self.run_in_lanes(&plan, steps, options)?,
        };
        let done = match lanes {
            Some(done) => {
                options.report(done);
                done
            }
            None => {
                plan.check_finite(&self.names)?;
                self.begin_late(&plan, options);
                let mut done = steps;
                for t in 0..steps {
                    if options.cancelled() {
                        done = t;
                        break;
                    }
                    self.step(t, &plan, rewards.as_ref(), options);
                    self.run_late_if_due(t + 1 == steps);
                    options.report(t + 1);
                    let failed = self.conns.iter_mut().find_map(|c| c.take_rule_error());
                    let failed = match (failed, observe.as_mut()) {
                        (None, Some(f)) => f(self).err(),
                        (failed, _) => failed,
                    };
                    if let Some(e) = failed {
                        // A rule failed (one written in another language raised)
                        // or the observer did: stop after this step, weights
                        // current, no normalisation.
                        self.end_late();
                        for c in &mut self.conns {
                            c.flush_learning();
                        }
                        return Err(e);
                    }
                }
                self.end_late();
                done
            }
        };
        let mut clock = self.stepper.profile.start();
        for c in &mut self.conns {
            c.flush_learning();
        }
        self.stepper.profile.lap(LEARN, &mut clock);
        for c in &mut self.conns {
            c.normalize();
        }
        self.stepper.profile.lap(NORMALISE, &mut clock);
        if done < steps {
            return Err(Error::Interrupted {
                steps: done,
                of: steps,
            });
        }
        Ok(())
    }

    /// Turns per-phase timing of [`run`](Self::run) on or off, and clears
    /// what was accumulated. Off by default; when on, each step reads the
    /// clock five times (a few tens of nanoseconds).
    pub fn set_profiling(&mut self, on: bool) {
        self.stepper.profile = Profile {
            on,
            ..Default::default()
        };
    }

    /// Wall time spent in each phase since profiling was turned on:
    /// `propagate` (connections turn spikes into input), `integrate`
    /// (populations update), `learn` (rules, decay, clamping, weight masks), `observe`
    /// (monitors), `normalise` (end-of-run weight normalisation) and
    /// `exchange` (a [distributed](crate::distributed) network's part: the
    /// collectives of spikes delayed past a step, waiting for the other
    /// processes included; 0 otherwise). For
    /// runs in lanes (see [`run`](Self::run)) a phase's time is summed
    /// over the lanes: thread time, which can exceed the wall time. A part
    /// that exchanges every step runs its collective inside a population's
    /// update: [`DistributedNetwork::profile`](crate::distributed::DistributedNetwork::profile)
    /// moves that time from `integrate` to `exchange`.
    pub fn profile(&self) -> [(&'static str, Duration); 6] {
        let p = &self.stepper.profile.phases;
        std::array::from_fn(|k| (PHASES[k], p[k]))
    }
}
