//! Spikes exchanged once per minimum-delay interval instead of every step.
//!
//! A spike of an exchanged population emitted at step `s` first acts on a
//! target at step `s + D`, where `D` is one step plus the smallest ring
//! delay ([`Topology::ring_delay`](crate::topology::Topology::ring_delay))
//! of the connections leaving its mirror. So within an interval of `D`
//! steps no spike emitted in it is needed in it: the parts step and
//! publish the interval's spikes, the connections leaving mirrors only
//! deliver what is already in their rings, and at the interval's end one
//! collective exchanges all of it. The network then replays the interval's
//! steps for those connections alone: the mirrors take step `s`'s spikes
//! (their traces move as at `s`), each connection learns step `s` against
//! its target as it stood at `s` (recorded here: spikes, trace, input sum,
//! the variable its rule reads, the reward) and hands step `s`'s spikes to
//! its ring as many steps late as have passed since. Every sum and every
//! weight change happens in the order of one process, so the bits are
//! one process's; an interval also ends with every run, so between runs
//! (snapshots, weights read, restores) the state is exactly that of a
//! network exchanging every step.
//!
//! The network falls back to an exchange per step for a run in which a
//! connection leaving a mirror has its weights or state monitored, or
//! weight masks (they act every step). A rule of a late connection that
//! fails (an array or whole-connection rule returning an error) stops the
//! run at the end of the interval in which it failed.

use super::hub::{SharedHub, Timing};
use crate::nodes::{NodeCore, Population};
use crate::spikes::Spikes;

/// The late connections of one process's network and what they need.
#[derive(Debug)]
pub(crate) struct IntervalExchange {
    hub: SharedHub,
    /// Steps per interval (`D`).
    interval: usize,
    /// The mirrors (population indices), in network order.
    mirrors: Vec<usize>,
    /// The connections leaving them (connection index, their target's
    /// record in `targets`), in network order.
    conns: Vec<(usize, usize)>,
    /// Per connection of the network: its source's silence, when it runs
    /// late (what it propagates during the interval).
    silent: Vec<Option<Spikes>>,
    targets: Vec<TargetRecord>,
    /// Each step's reward rows.
    rewards: Vec<Vec<f32>>,
    /// Steps of the interval in progress.
    steps: usize,
    /// Whether this run exchanges once per interval.
    on: bool,
}

/// A target of late connections, as it stood at each step of the interval.
#[derive(Debug)]
struct TargetRecord {
    pop: usize,
    /// The variable a rule reads (`Requirements::post_variable`).
    variable: Option<&'static str>,
    steps: Vec<CoreRecord>,
    /// What the rules read: a copy of the target's core, set from a record.
    core: NodeCore,
}

#[derive(Debug, Default, Clone)]
struct CoreRecord {
    /// Per batch row, the spiking neurons and (when not all 1) their values.
    active: Vec<Vec<u32>>,
    values: Vec<Vec<f32>>,
    binary: bool,
    trace: Vec<f32>,
    summed: Vec<f32>,
    variable: Vec<f32>,
}

/// A connection that runs late, as [`IntervalExchange::new`] takes it.
pub(crate) struct LateConnection {
    /// Its index in the network.
    pub index: usize,
    /// Its target population.
    pub target: usize,
    /// Its source's batch and size.
    pub source_size: (usize, usize),
    /// The target's variable its rule reads.
    pub variable: Option<&'static str>,
}

impl IntervalExchange {
    /// The late connections `conns` leaving `mirrors`, exchanging once per
    /// `interval` steps; `pops` as built.
    pub fn new(
        hub: SharedHub,
        interval: usize,
        mirrors: Vec<usize>,
        conns: &[LateConnection],
        n_conns: usize,
        pops: &[Box<dyn Population>],
    ) -> Self {
        let mut targets: Vec<TargetRecord> = Vec::new();
        let mut silent = vec![None; n_conns];
        let mut late = Vec::new();
        for c in conns {
            let r = match (targets.iter())
                .position(|t| t.pop == c.target && t.variable == c.variable)
            {
                Some(r) => r,
                None => {
                    targets.push(TargetRecord {
                        pop: c.target,
                        variable: c.variable,
                        steps: vec![CoreRecord::default(); interval],
                        core: pops[c.target].core().clone(),
                    });
                    targets.len() - 1
                }
            };
            let (batch, n) = c.source_size;
            silent[c.index] = Some(Spikes::new(batch, n));
            late.push((c.index, r));
        }
        IntervalExchange {
            hub,
            interval,
            mirrors,
            conns: late,
            silent,
            targets,
            rewards: vec![Vec::new(); interval],
            steps: 0,
            on: false,
        }
    }

    /// Steps per interval.
    pub fn interval(&self) -> usize {
        self.interval
    }

    /// The late connections: (connection index, target record).
    pub fn conns(&self) -> &[(usize, usize)] {
        &self.conns
    }

    pub fn mirrors(&self) -> &[usize] {
        &self.mirrors
    }

    /// Starts a run, exchanging once per interval or (`on` false) every
    /// step.
    pub fn begin(&mut self, on: bool) {
        self.on = on;
        self.steps = 0;
        let timing = if on {
            Timing::Interval { replay: None }
        } else {
            Timing::EveryStep
        };
        super::hub::lock(&self.hub).set_timing(timing);
    }

    /// Ends a run (its last interval replayed): every step again, as
    /// between runs.
    pub fn end(&mut self) {
        self.on = false;
        super::hub::lock(&self.hub).set_timing(Timing::EveryStep);
    }

    /// What connection `ci` propagates during this step: no spikes, when it
    /// runs late.
    pub fn silent_source(&self, ci: usize) -> Option<&Spikes> {
        self.silent.get(ci)?.as_ref().filter(|_| self.on)
    }

    /// Whether connection `ci` learns at the interval's end.
    pub fn runs_late(&self, ci: usize) -> bool {
        self.on && self.silent.get(ci).is_some_and(Option::is_some)
    }

    /// Counts a step of the interval after its learning phase, recording
    /// the targets and the reward when the network learns (`reward`).
    pub fn step_done(&mut self, pops: &[Box<dyn Population>], reward: Option<&[f32]>) {
        if !self.on {
            return;
        }
        let k = self.steps;
        if let Some(reward) = reward {
            for t in &mut self.targets {
                let pop = pops[t.pop].as_ref();
                t.steps[k].take(pop.core(), t.variable.and_then(|v| pop.variable(v)));
            }
            self.rewards[k].clear();
            self.rewards[k].extend_from_slice(reward);
        }
        self.steps += 1;
    }

    /// Whether the interval must be replayed now: it is full, or the run
    /// ends.
    pub fn due(&self, last: bool) -> bool {
        self.on && self.steps > 0 && (self.steps == self.interval || last)
    }

    /// Steps recorded in the interval in progress.
    pub fn pending(&self) -> usize {
        if self.on {
            self.steps
        } else {
            0
        }
    }

    /// The collective: every process's spikes of the interval.
    pub fn exchange(&mut self) {
        super::hub::lock(&self.hub).exchange();
    }

    /// The mirrors show step `k` of the interval from now on.
    pub fn show(&mut self, k: usize) {
        super::hub::lock(&self.hub).set_timing(Timing::Interval { replay: Some(k) });
    }

    /// Target record `r` as it stood at step `k`: the core, the variable
    /// the rule reads, the reward rows.
    pub fn target_at(&mut self, r: usize, k: usize) -> (&NodeCore, Option<&[f32]>, &[f32]) {
        let t = &mut self.targets[r];
        let rec = &t.steps[k];
        rec.restore(&mut t.core);
        let variable = t.variable.map(|_| rec.variable.as_slice());
        (&t.core, variable, &self.rewards[k])
    }

    /// The interval is replayed: the next one starts.
    pub fn next_interval(&mut self) {
        self.steps = 0;
        super::hub::lock(&self.hub).set_timing(Timing::Interval { replay: None });
    }
}

impl CoreRecord {
    fn take(&mut self, core: &NodeCore, variable: Option<&[f32]>) {
        let spikes = core.spikes();
        self.binary = spikes.is_binary();
        self.active.resize(spikes.batch(), Vec::new());
        self.values.resize(spikes.batch(), Vec::new());
        for b in 0..spikes.batch() {
            self.active[b].clear();
            self.active[b].extend_from_slice(spikes.active(b));
            self.values[b].clear();
            if !self.binary {
                let row = spikes.row(b);
                (self.values[b]).extend(spikes.active(b).iter().map(|&j| row[j as usize]));
            }
        }
        copy(&mut self.trace, core.trace.as_ref().map(|t| t.x.as_slice()));
        copy(&mut self.summed, core.summed.as_deref());
        copy(&mut self.variable, variable);
    }

    fn restore(&self, core: &mut NodeCore) {
        if self.binary {
            core.spikes.set_binary_active(&self.active);
        } else {
            core.spikes.clear();
            for (b, (active, values)) in self.active.iter().zip(&self.values).enumerate() {
                for (&j, &v) in active.iter().zip(values) {
                    core.spikes.set(b, j as usize, v);
                }
            }
        }
        if let Some(t) = core.trace.as_mut() {
            t.x.copy_from_slice(&self.trace);
        }
        if let Some(s) = core.summed.as_mut() {
            s.copy_from_slice(&self.summed);
        }
    }
}

fn copy(dst: &mut Vec<f32>, src: Option<&[f32]>) {
    dst.clear();
    if let Some(src) = src {
        dst.extend_from_slice(src);
    }
}
