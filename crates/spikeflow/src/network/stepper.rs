//! The stepper: the per-step buffers, the reward row and the profile, and
//! the step itself (propagate → integrate → learn → observe, see the
//! [module docs](super)). The [`Network`] owns populations, connections
//! and monitors; the stepper is what runs them, one step at a time.

use super::plan::Plan;
use super::run::{RunOptions, StepInput};
use super::Network;
use crate::monitor::{Monitor, MonitorTarget};
use crate::nodes::{Population, StepContext};
use crate::spikes::SpikeValue;
use std::time::{Duration, Instant};

/// Scratch the step loop reuses: no allocation inside a step.
#[derive(Debug)]
pub(crate) struct Stepper {
    /// Per population: its input buffer (`[channels × batch × n]`).
    pub bufs: Vec<Vec<f32>>,
    /// This step's reward of each batch row.
    pub reward_row: Vec<f32>,
    /// Per-phase timing (see [`Network::set_profiling`]).
    pub profile: Profile,
}

impl Stepper {
    pub fn new(bufs: Vec<Vec<f32>>, batch: usize) -> Self {
        Stepper {
            bufs,
            reward_row: vec![0.0; batch],
            profile: Profile::default(),
        }
    }
}

/// Accumulated wall time per phase of the step loop, when profiling is on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    pub on: bool,
    /// propagate, integrate, learn, observe, normalise, exchange.
    pub phases: [Duration; 6],
}

/// Names of the phases [`Network::profile`] reports, in its order.
pub(crate) const PHASES: [&str; 6] = [
    "propagate",
    "integrate",
    "learn",
    "observe",
    "normalise",
    "exchange",
];

/// Indices into [`PHASES`].
pub(crate) const PROPAGATE: usize = 0;
pub(crate) const INTEGRATE: usize = 1;
pub(crate) const LEARN: usize = 2;
pub(crate) const OBSERVE: usize = 3;
pub(crate) const NORMALISE: usize = 4;
pub(crate) const EXCHANGE: usize = 5;

impl Profile {
    #[inline]
    pub fn start(&self) -> Option<Instant> {
        self.on.then(Instant::now)
    }
    #[inline]
    pub fn lap(&mut self, phase: usize, t: &mut Option<Instant>) {
        if let Some(t0) = t {
            let now = Instant::now();
            self.phases[phase] += now - *t0;
            *t0 = now;
        }
    }
    /// Adds another profile's times (a lane's).
    pub fn add(&mut self, other: &Profile) {
        for (a, b) in self.phases.iter_mut().zip(other.phases) {
            *a += b;
        }
    }
}

impl Network {
    pub(super) fn step(
        &mut self,
        t: usize,
        plan: &Plan<'_>,
        rewards: Option<&Vec<f32>>,
        o: &RunOptions,
    ) {
        let mut clock = self.stepper.profile.start();
        for (p, buf) in self.stepper.bufs.iter_mut().enumerate() {
            if !plan.input_only[p] {
                buf.fill(0.0); // input-only populations: `step_external`
            }
        }
        if !o.one_step {
            let late = self.late.as_deref();
            for (ci, c) in self.conns.iter_mut().enumerate() {
                // A connection that runs late delivers its ring alone now.
                let src = late
                    .and_then(|l| l.silent_source(ci))
                    .unwrap_or_else(|| self.pops[c.source].core().spikes());
                c.propagate(src, &mut self.stepper.bufs[c.target][c.input_offset..]);
            }
        }
        self.stepper.profile.lap(PROPAGATE, &mut clock);
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
                        &mut self.stepper.bufs[p][c.input_offset..],
                    );
                }
            }
            let rows = 0..self.batch;
            integrate(
                self.pops[p].as_mut(),
                p,
                &mut self.stepper.bufs[p],
                plan,
                t,
                rows,
                &mut ctx,
            );
        }
        self.stepper.profile.lap(INTEGRATE, &mut clock);
        if self.learning {
            let b = self.batch;
            match rewards {
                Some(r) => self
                    .stepper
                    .reward_row
                    .copy_from_slice(&r[t * b..(t + 1) * b]),
                None => self.stepper.reward_row.fill(0.0),
            }
            let late = self.late.as_deref();
            for (ci, c) in self.conns.iter_mut().enumerate() {
                if late.is_some_and(|l| l.runs_late(ci)) {
                    continue; // at the interval's end
                }
                c.learn(
                    self.pops[c.source].as_ref(),
                    self.pops[c.target].as_ref(),
                    &self.stepper.reward_row,
                    self.dt,
                );
            }
        }
        if let Some(late) = self.late.as_deref_mut() {
            let reward = self.learning.then_some(self.stepper.reward_row.as_slice());
            late.step_done(&self.pops, reward);
        }
        for &(ci, mask) in &plan.weight_masks {
            self.conns[ci].apply_weight_mask(mask);
        }
        self.stepper.profile.lap(LEARN, &mut clock);
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
        self.stepper.profile.lap(OBSERVE, &mut clock);
    }
}

/// The integrate phase of population `p` (batch rows `rows` of the run's
/// inputs: all of them, or a lane's): external input, voltage injection,
/// clamps (applied by the model's epilogue), the model's step.
pub(crate) fn integrate(
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
    // Clamps go to the core, whose epilogue applies them after the model's
    // update and before the trace (BindsNET 0.3.4).
    for &(q, mask, value) in &plan.clamps {
        if q == p {
            pop.core_mut().clamps.add(mask.at(t), value);
        }
    }
    match ext {
        Some(StepInput::Values(x)) if plan.input_only[p] => pop.step_external(x, buf, ctx),
        Some(StepInput::Spikes(x)) if plan.input_only[p] => pop.step_external_spikes(x, buf, ctx),
        _ => pop.step(buf, ctx),
    }
    // A model of the user's that skipped `finish_step`: clamp after its
    // update all the same.
    if pop.core().clamps.pending() {
        pop.core_mut().apply_clamps();
    }
}

/// Records this step of a population's variables.
pub(crate) fn observe(m: &mut Monitor, pop: &dyn Population) {
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
