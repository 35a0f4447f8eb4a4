//! The network: populations, connections and monitors, stepped in a fixed
//! order.
//!
//! Per time step `t` (BindsNET's order, which the reference vectors check):
//!
//! 1. **Propagate**: every connection, in insertion order, turns its
//!    source's spikes of step `t − 1` into input for its target (so every
//!    hop adds one step of delay; recurrent connections included).
//! 2. **Integrate**: every population, in insertion order, adds its
//!    external input for step `t`, updates its state, thresholds, resets,
//!    then updates its traces; clamps/unclamps are applied after.
//! 3. **Learn**: every connection with a rule updates its weights from this
//!    step's spikes and traces of both ends (and the reward); then weight
//!    decay, then clamping.
//! 4. **Observe**: monitors record.
//!
//! After each [`Network::run`] call, connections with `norm` normalise
//! their weights (no clamping afterwards).

mod builder;
mod connection;
mod lanes;
mod run;
mod state;

pub use builder::NetworkBuilder;
pub use connection::Connect;
use run::StepInput;
pub use run::{Mask, Reward, RunInput, RunOptions};
pub use state::Snapshot;

use crate::error::{Error, Result};
use crate::learning::RewardFn;
use crate::monitor::{Monitor, MonitorSpec, MonitorTarget};
use crate::nodes::{Population, SpikeValue, StepContext};
use crate::rng::Rng;
use crate::tensor::Tensor;
use connection::Connection;
use std::collections::HashMap;
use std::time::{Duration, Instant};

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
    /// Per connection: the target variable its rule reads, if any.
    aux_var: Vec<Option<&'static str>>,
    needs_reward: Vec<bool>,
    monitors: Vec<(String, Monitor)>,
    bufs: Vec<Vec<f32>>,
    reward_row: Vec<f32>,
    rng: Rng,
    reward_fn: Option<Box<dyn RewardFn>>,
    /// Per-phase timing (see [`Network::set_profiling`]).
    profile: Profile,
}

/// Accumulated wall time per phase of the step loop, when profiling is on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    on: bool,
    /// propagate, integrate, learn, observe, normalise.
    phases: [Duration; 5],
}

/// Names of the phases [`Network::profile`] reports, in its order.
const PHASES: [&str; 5] = ["propagate", "integrate", "learn", "observe", "normalise"];

impl Profile {
    #[inline]
    fn start(&self) -> Option<Instant> {
        self.on.then(Instant::now)
    }
    #[inline]
    fn lap(&mut self, phase: usize, t: &mut Option<Instant>) {
        if let Some(t0) = t {
            let now = Instant::now();
            self.phases[phase] += now - *t0;
            *t0 = now;
        }
    }
    /// Adds another profile's times (a lane's).
    fn add(&mut self, other: &Profile) {
        for (a, b) in self.phases.iter_mut().zip(other.phases) {
            *a += b;
        }
    }
}

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

    /// The name of the rule attached to a connection (`"NoOp"` if none).
    ///
    /// # Errors
    /// Unknown connection.
    pub fn rule_name(&self, connection: &str) -> Result<&str> {
        Ok(&self.conns[self.conn_index(connection)?].rule_name)
    }

    /// Adds a monitor under `name`.
    ///
    /// # Errors
    /// Unknown target or variable, or a duplicate monitor name.
    pub fn add_monitor(&mut self, name: &str, spec: MonitorSpec) -> Result<()> {
        if spec.capacity == Some(0) {
            return Err(Error::param(
                format!("monitor {name:?}"),
                "capacity must be ≥ 1 step",
            ));
        }
        if self.monitors.iter().any(|(n, _)| n == name) {
            return Err(Error::Name(format!(
                "a monitor named {name:?} exists already"
            )));
        }
        let (target, mut vars) = (MonitorTarget::Population(0), Vec::new());
        let target = if spec.target.contains("->") {
            let ci = self.conn_index(&spec.target)?;
            let c = &self.conns[ci];
            for v in &spec.vars {
                let shape = match v.as_str() {
                    "w" => c.topology.weights_dense().map(|(s, _)| s),
                    other => c.topology.variable(other).map(|x| vec![x.len()]),
                };
                let shape = shape.ok_or_else(|| {
                    Error::Name(format!("connection {} has no variable {v:?}", c.name))
                })?;
                vars.push((v.clone(), shape, false));
            }
            MonitorTarget::Connection(ci)
        } else {
            let pi = self.pop_index(&spec.target)?;
            let p = &self.pops[pi];
            for v in &spec.vars {
                let mut shape = vec![self.batch];
                shape.extend_from_slice(p.core().shape());
                let per_row = v != "theta";
                if !per_row {
                    shape.remove(0);
                }
                if p.core().variable(v).is_none() && p.variable(v).is_none() {
                    return Err(Error::Name(format!(
                        "population {:?} ({}) has no variable {v:?}; it has s, {:?}{}",
                        spec.target,
                        p.type_name(),
                        p.variable_names(),
                        if p.core().trace().is_some() {
                            ", x"
                        } else {
                            ""
                        }
                    )));
                }
                vars.push((v.clone(), shape, per_row));
            }
            let _ = target;
            MonitorTarget::Population(pi)
        };
        self.monitors.push((
            name.to_string(),
            Monitor::new(target, spec.capacity, spec.sum, vars),
        ));
        Ok(())
    }

    /// A monitor by name.
    ///
    /// # Errors
    /// [`Error::Name`] for an unknown monitor.
    pub fn monitor(&self, name: &str) -> Result<&Monitor> {
        self.monitors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
            .ok_or_else(|| Error::Name(format!("no monitor named {name:?}")))
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
    /// reward, bad clamp indices or voltage injections. Nothing is stepped
    /// when an error is returned.
    pub fn run_inputs(
        &mut self,
        inputs: &[(&str, RunInput<'_>)],
        steps: usize,
        options: &RunOptions,
    ) -> Result<()> {
        let plan = self.plan(inputs, steps, options)?;
        let rewards = self.rewards(steps, options)?;
        if !self.run_in_lanes(&plan, steps, options)? {
            plan.check_finite(&self.names)?;
            for t in 0..steps {
                self.step(t, &plan, rewards.as_ref(), options);
            }
        }
        let mut clock = self.profile.start();
        for c in &mut self.conns {
            c.flush_learning();
        }
        self.profile.lap(2, &mut clock);
        for c in &mut self.conns {
            c.normalize();
        }
        self.profile.lap(4, &mut clock);
        Ok(())
    }

    /// Turns per-phase timing of [`run`](Self::run) on or off, and clears
    /// what was accumulated. Off by default; when on, each step reads the
    /// clock five times (a few tens of nanoseconds).
    pub fn set_profiling(&mut self, on: bool) {
        self.profile = Profile {
            on,
            ..Default::default()
        };
    }

    /// Wall time spent in each phase since profiling was turned on:
    /// `propagate` (connections turn spikes into input), `integrate`
    /// (populations update), `learn` (rules, decay, clamping), `observe`
    /// (monitors) and `normalise` (end-of-run weight normalisation). For
    /// runs in lanes (see [`run`](Self::run)) a phase's time is summed
    /// over the lanes: thread time, which can exceed the wall time.
    pub fn profile(&self) -> [(&'static str, Duration); 5] {
        let p = &self.profile.phases;
        std::array::from_fn(|k| (PHASES[k], p[k]))
    }

    fn plan<'a>(
        &self,
        inputs: &[(&str, RunInput<'a>)],
        steps: usize,
        o: &'a RunOptions,
    ) -> Result<Plan<'a>> {
        let mut ext: Vec<Option<RunInput<'a>>> = vec![None; self.pops.len()];
        for &(name, t) in inputs {
            let p = self.pop_index(name)?;
            let n = self.pops[p].core().n();
            let want = steps * self.batch * n;
            // [steps, batch, *shape] or [steps, batch, n].
            let shape_ok = t.shape().len() >= 3
                && t.shape()[0] == steps
                && t.shape()[1] == self.batch
                && (t.shape()[2..] == *self.pops[p].core().shape() || t.shape()[2..] == [n]);
            if !shape_ok || t.len() != want {
                return Err(Error::shape(
                    format!("input of population {name:?}"),
                    format!(
                        "got {:?}, expected [{steps}, {}, {:?}] (steps, batch, shape)",
                        t.shape(),
                        self.batch,
                        self.pops[p].core().shape()
                    ),
                ));
            }
            // Values are checked finite before anything is stepped: by
            // `Plan::check_finite`, or lane by lane (`lanes.rs`).
            if ext[p].replace(t).is_some() {
                return Err(Error::Name(format!(
                    "input for population {name:?} given twice"
                )));
            }
        }
        let mut clamps = Vec::new();
        for (list, value) in [(&o.clamp, 1.0f32), (&o.unclamp, 0.0)] {
            for (name, mask) in list {
                let p = self.pop_index(name)?;
                let n = self.pops[p].core().n();
                if let crate::network::Mask::PerStep(v) = mask {
                    if v.len() != steps {
                        return Err(Error::shape(
                            format!("clamp of {name:?}"),
                            format!("{} steps of indices for a run of {steps}", v.len()),
                        ));
                    }
                }
                for t in 0..match mask {
                    crate::network::Mask::PerStep(_) => steps,
                    _ => 1,
                } {
                    if let Some(&bad) = mask.at(t).iter().find(|&&i| i >= n) {
                        return Err(Error::param(
                            format!("clamp of {name:?}"),
                            format!("neuron index {bad} ≥ n = {n}"),
                        ));
                    }
                }
                clamps.push((p, mask, value));
            }
        }
        let mut injects = Vec::new();
        for (name, t) in &o.inject_v {
            let p = self.pop_index(name)?;
            let n = self.pops[p].core().n();
            if self.pops[p].variable("v").is_none() {
                return Err(Error::param(
                    format!("inject_v of {name:?}"),
                    "population has no voltage",
                ));
            }
            let per_step = match t.data().len() {
                l if l == n => false,
                l if l == n * steps => true,
                _ => {
                    return Err(Error::shape(
                        format!("inject_v of {name:?}"),
                        format!("got {:?}, expected [{n}] or [{steps}, {n}]", t.shape()),
                    ))
                }
            };
            injects.push((p, t, per_step));
        }
        let input_only = (0..self.pops.len())
            .map(|p| ext[p].is_some() && !self.conns.iter().any(|c| c.target == p))
            .collect();
        Ok(Plan {
            ext,
            input_only,
            clamps,
            injects,
        })
    }

    fn rewards(&mut self, steps: usize, o: &RunOptions) -> Result<Option<Vec<f32>>> {
        let b = self.batch;
        // The values as given, checked.
        let given: Option<&[f32]> = match &o.reward {
            Reward::None => None,
            Reward::Scalar(x) => Some(std::slice::from_ref(x)),
            Reward::PerStep(v) => {
                if v.len() != steps {
                    return Err(Error::shape(
                        "reward",
                        format!("{} values for {steps} steps", v.len()),
                    ));
                }
                Some(v)
            }
            Reward::PerRow(v) => {
                if v.len() != b {
                    return Err(Error::shape(
                        "reward",
                        format!("{} values for batch {b}", v.len()),
                    ));
                }
                Some(v)
            }
            Reward::PerStepRow(t) => {
                if t.data().len() != steps * b {
                    return Err(Error::shape(
                        "reward",
                        format!("got {:?}, expected [{steps}, {b}]", t.shape()),
                    ));
                }
                Some(t.data())
            }
        };
        if let Some(bad) = given.into_iter().flatten().find(|x| !x.is_finite()) {
            return Err(Error::param("reward", format!("must be finite, got {bad}")));
        }
        // The reward function sees each given value once — a scalar once
        // per run, as BindsNET's `reward_fn.compute` — before the values are
        // spread over the steps and batch rows.
        let mut given = given.map(<[f32]>::to_vec);
        if let (Some(v), Some(f)) = (&mut given, &mut self.reward_fn) {
            for x in v.iter_mut() {
                *x = f.compute(*x);
            }
        }
        let r = given.map(|v| match &o.reward {
            Reward::Scalar(_) => vec![v[0]; steps * b],
            Reward::PerStep(_) => v.iter().flat_map(|&x| std::iter::repeat_n(x, b)).collect(),
            Reward::PerRow(_) => (0..steps).flat_map(|_| v.iter().copied()).collect(),
            Reward::None | Reward::PerStepRow(_) => v,
        });
        if r.is_none() && self.learning {
            if let Some(ci) = self.needs_reward.iter().position(|&x| x) {
                let c = &self.conns[ci];
                return Err(Error::Rule {
                    connection: c.name.clone(),
                    rule: c.rule_name.clone(),
                    message: "needs a reward: pass RunOptions::reward".into(),
                });
            }
        }
        Ok(r)
    }

    fn step(&mut self, t: usize, plan: &Plan<'_>, rewards: Option<&Vec<f32>>, o: &RunOptions) {
        let mut clock = self.profile.start();
        for (p, buf) in self.bufs.iter_mut().enumerate() {
            if !plan.input_only[p] {
                buf.fill(0.0); // input-only populations: `step_external`
            }
        }
        if !o.one_step {
            for c in &mut self.conns {
                c.propagate(
                    self.pops[c.source].core().spikes(),
                    &mut self.bufs[c.target][c.input_offset..],
                );
            }
        }
        self.profile.lap(0, &mut clock);
        let mut ctx = StepContext {
            dt: self.dt,
            learning: self.learning,
            rng: &mut self.rng,
        };
        for p in 0..self.pops.len() {
            if o.one_step {
                for c in self.conns.iter_mut().filter(|c| c.target == p) {
                    c.propagate(
                        self.pops[c.source].core().spikes(),
                        &mut self.bufs[p][c.input_offset..],
                    );
                }
            }
            let rows = 0..self.batch;
            integrate(
                self.pops[p].as_mut(),
                p,
                &mut self.bufs[p],
                plan,
                t,
                rows,
                &mut ctx,
            );
        }
        self.profile.lap(1, &mut clock);
        if self.learning {
            let b = self.batch;
            match rewards {
                Some(r) => self.reward_row.copy_from_slice(&r[t * b..(t + 1) * b]),
                None => self.reward_row.fill(0.0),
            }
            for (ci, c) in self.conns.iter_mut().enumerate() {
                let post = &self.pops[c.target];
                let aux = self.aux_var[ci].and_then(|v| post.variable(v));
                c.learn(
                    self.pops[c.source].core(),
                    post.core(),
                    aux,
                    &self.reward_row,
                    self.dt,
                );
            }
        }
        for (_, m) in &self.monitors {
            if let MonitorTarget::Connection(ci) = m.target {
                if m.tracks.iter().any(|t| t.var == "w") {
                    self.conns[ci].flush_learning();
                }
            }
        }
        self.profile.lap(2, &mut clock);
        for (_, m) in &mut self.monitors {
            match m.target {
                MonitorTarget::Population(p) => observe(m, self.pops[p].as_ref()),
                MonitorTarget::Connection(ci) => {
                    let c = &self.conns[ci];
                    for k in 0..m.tracks.len() {
                        if m.tracks[k].var == "w" {
                            if let Some((_, w)) = c.topology.weights_dense() {
                                m.push(k, &w);
                            }
                        } else if let Some(v) = c.topology.variable(&m.tracks[k].var) {
                            m.push(k, v);
                        }
                    }
                }
            }
        }
        self.profile.lap(3, &mut clock);
    }
}

/// The integrate phase of population `p` (batch rows `rows` of the run's
/// inputs: all of them, or a lane's): external input, voltage injection,
/// the model's step, clamps.
fn integrate(
    pop: &mut dyn Population,
    p: usize,
    buf: &mut [f32],
    plan: &Plan<'_>,
    t: usize,
    rows: std::ops::Range<usize>,
    ctx: &mut StepContext<'_>,
) {
    let n = pop.core().n();
    let ext = plan.ext[p].map(|x| x.at(t, rows.start * n..rows.end * n));
    // Values or spikes (1 or 0) added to the input.
    fn add<T: SpikeValue>(buf: &mut [f32], x: &[T]) {
        for (a, &v) in buf.iter_mut().zip(x) {
            *a += v.raw();
        }
    }
    match ext.filter(|_| !plan.input_only[p]) {
        Some(StepInput::Values(x)) => add(buf, x),
        Some(StepInput::Spikes(x)) => add(buf, x),
        None => {}
    }
    for &(q, inj, per_step) in &plan.injects {
        if q == p {
            let src = if per_step {
                &inj.data()[t * n..(t + 1) * n]
            } else {
                inj.data()
            };
            if let Some(v) = pop.variable_mut("v") {
                for (k, x) in v.iter_mut().enumerate() {
                    *x += src[k % n];
                }
            }
        }
    }
    match ext {
        Some(StepInput::Values(x)) if plan.input_only[p] => pop.step_external(x, buf, ctx),
        Some(StepInput::Spikes(x)) if plan.input_only[p] => pop.step_external_spikes(x, buf, ctx),
        _ => pop.step(buf, ctx),
    }
    for &(q, mask, value) in &plan.clamps {
        if q == p {
            let spikes = pop.core_mut().spikes_mut();
            for b in 0..spikes.batch() {
                for &i in mask.at(t) {
                    spikes.set(b, i, value);
                }
            }
        }
    }
}

/// Records this step of a population's variables.
fn observe(m: &mut Monitor, pop: &dyn Population) {
    for k in 0..m.tracks.len() {
        // Borrow the name only for the look-up: no per-step allocation.
        let vals = {
            let var = m.tracks[k].var.as_str();
            pop.core()
                .variable(var)
                .or_else(|| pop.variable(var))
                .unwrap_or(&[])
        };
        m.push(k, vals);
    }
}

/// Whether every value is finite: a block at a time with no early exit
/// inside a block, so that the test vectorises.
fn all_finite(values: &[f32]) -> bool {
    let finite = |c: &[f32]| c.iter().fold(true, |ok, x| ok & x.is_finite());
    values.chunks(256).all(finite)
}

impl Plan<'_> {
    /// Errors unless every external input value is finite, naming the
    /// first non-finite value of the first such input.
    fn check_finite(&self, names: &[String]) -> Result<()> {
        use rayon::prelude::*;
        for (p, x) in self.ext.iter().enumerate() {
            // Spikes are always finite.
            let Some(RunInput::Values(x)) = x else {
                continue;
            };
            // A raster is millions of values: blocks over the pool's threads.
            if x.data().par_chunks(1 << 16).all(all_finite) {
                continue;
            }
            if let Some(bad) = x.data().iter().find(|v| !v.is_finite()) {
                return Err(Error::param(
                    format!("input of population {:?}", names[p]),
                    format!("values must be finite, got {bad}"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the external inputs of step `t` are finite in batch rows
    /// `rows` (`n[p]` neurons in population `p`).
    fn finite_at(&self, t: usize, rows: &std::ops::Range<usize>, n: &[usize]) -> bool {
        self.ext.iter().zip(n).all(|(x, &n)| match x {
            Some(RunInput::Values(x)) => all_finite(&x.slab(t)[rows.start * n..rows.end * n]),
            _ => true,
        })
    }
}

/// Validated per-run inputs.
struct Plan<'a> {
    ext: Vec<Option<RunInput<'a>>>,
    /// Per population: external input and no connection into it.
    input_only: Vec<bool>,
    clamps: Vec<(usize, &'a Mask, f32)>,
    injects: Vec<(usize, &'a Tensor, bool)>,
}
