//! Connections that run late: a distributed network's part runs the
//! connections leaving its mirrors once per exchange interval (see
//! `distributed/interval.rs` for why the bits stay one process's). Here:
//! when the network does, and the replay itself.

use super::plan::Plan;
use super::run::RunOptions;
use super::stepper::{EXCHANGE, INTEGRATE, LEARN, PROPAGATE};
use super::Network;
use crate::distributed::{IntervalExchange, LateConnection, SharedHub};
use crate::monitor::MonitorTarget;
use crate::nodes::StepContext;

impl Network {
    /// Lets the connections leaving `mirrors` (population indices) run
    /// once per interval of their smallest delay. Nothing changes when
    /// some connection leaving them has no delay ring, or the smallest
    /// delay is one step: the spikes are then exchanged every step.
    pub(crate) fn enable_late(&mut self, hub: SharedHub, mirrors: Vec<usize>) {
        let mut interval = usize::MAX;
        let mut conns = Vec::new();
        for (ci, c) in self.conns.iter().enumerate() {
            if !mirrors.contains(&c.source) {
                continue;
            }
            let Some(ring) = c.topology.ring_delay() else {
                return;
            };
            interval = interval.min(ring + 1);
            let spikes = self.pops[c.source].core().spikes();
            conns.push(LateConnection {
                index: ci,
                target: c.target,
                source_size: (spikes.batch(), spikes.n()),
                variable: c.post_variable,
            });
        }
        if conns.is_empty() || interval < 2 {
            return;
        }
        self.late = Some(Box::new(IntervalExchange::new(
            hub,
            interval,
            mirrors,
            &conns,
            self.conns.len(),
            &self.pops,
        )));
    }

    /// Steps per spike exchange of this network's runs (1 unless it is a
    /// distributed network's part whose exchanged spikes are delayed).
    pub(crate) fn exchange_interval(&self) -> usize {
        self.late.as_ref().map_or(1, |l| l.interval())
    }

    /// Starts a run's intervals, unless something in the run acts on a late
    /// connection every step: a monitor of its weights or state, a weight
    /// mask, feed-forward mode.
    pub(super) fn begin_late(&mut self, plan: &Plan<'_>, o: &RunOptions) {
        let Some(late) = self.late.as_deref_mut() else {
            return;
        };
        let every_step = late.conns().iter().any(|&(ci, _)| {
            self.conns[ci].weights_watched
                || plan.weight_masks.iter().any(|&(m, _)| m == ci)
                || (self.monitors.iter())
                    .any(|(_, m)| matches!(m.target, MonitorTarget::Connection(c) if c == ci))
        });
        late.begin(!every_step && !o.one_step);
    }

    /// Replays the interval when it is full or the run ends (`last`).
    pub(super) fn run_late_if_due(&mut self, last: bool) {
        if self.late.as_ref().is_some_and(|l| l.due(last)) {
            self.run_late();
        }
    }

    /// Replays what is left of the interval and ends the run's intervals.
    pub(super) fn end_late(&mut self) {
        if self.late.as_ref().is_some_and(|l| l.pending() > 0) {
            self.run_late();
        }
        if let Some(late) = self.late.as_deref_mut() {
            late.end();
        }
    }

    /// The interval's exchange, then its steps for the late connections:
    /// the mirrors take step `k`'s spikes, each connection learns step `k`
    /// against its target's record, then hands step `k`'s spikes to its
    /// ring as late as they are.
    fn run_late(&mut self) {
        let Some(mut late) = self.late.take() else {
            return;
        };
        let steps = late.pending();
        let profile = &mut self.stepper.profile;
        let mut clock = profile.start();
        late.exchange();
        profile.lap(EXCHANGE, &mut clock);
        let mut ctx = StepContext {
            dt: self.dt,
            learning: self.learning,
            rng: &mut self.rng,
        };
        for k in 0..steps {
            late.show(k);
            for &p in late.mirrors() {
                self.pops[p].step(&mut self.stepper.bufs[p], &mut ctx);
            }
            profile.lap(INTEGRATE, &mut clock);
            for i in 0..late.conns().len() {
                let (ci, r) = late.conns()[i];
                let c = &mut self.conns[ci];
                let src = self.pops[c.source].core();
                if self.learning {
                    let (post, variable, reward) = late.target_at(r, k);
                    c.learn_cores(src, post, variable, reward, self.dt);
                }
                profile.lap(LEARN, &mut clock);
                c.propagate_late(src.spikes(), steps - 1 - k);
                profile.lap(PROPAGATE, &mut clock);
            }
        }
        late.next_interval();
        self.late = Some(late);
    }
}
