//! Lanes: independent batch rows on separate threads, one fork per run.
//!
//! With learning off nothing couples the rows of a batch: weights and
//! adaptive thresholds stay fixed, and every population, connection and
//! monitor treats each row on its own. A run then splits the batch into one
//! contiguous block of rows per pool thread (a *lane*: its own copy of the
//! populations' state for those rows, its own input buffers and monitors,
//! the connections' weights shared read-only), steps each lane on its own
//! thread from the first step to the last, and puts the rows back.
//!
//! This replaces several fork/joins per step — each region small when the
//! network is small, often no more work than the fork/join itself — by one
//! per run.
//! Each row gets the same operations in the same order as on one thread,
//! so the bits are the same (`tests/determinism.rs`). The lanes run for
//! milliseconds side by side, so the pool's workers should be on different
//! cores: the CLI pins them (`spikeflow-cli/src/pool.rs` says why).
//!
//! A run stays on the per-step path when a population cannot be split
//! ([`Population::lane`] is `None`: models whose random draws depend on
//! their rows), a topology keeps state of its own
//! ([`Topology::shared`](crate::topology::Topology::shared) is `None`), a
//! monitor records a connection, learning is on, the run is one-step or
//! masks weights, or
//! the work is too small for a fork. Profiling adds up the lanes' phase
//! times (thread time, so a phase can exceed the run's wall time).

use super::plan::Plan;
use super::stepper::{integrate, observe, Profile, INTEGRATE, OBSERVE, PROPAGATE};
use super::{Network, RunOptions};
use crate::error::Result;
use crate::monitor::{Monitor, MonitorTarget};
use crate::nodes::{Population, StepContext};
use crate::rng::Rng;
use crate::topology::SharedPropagation;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

/// Neuron updates (steps × batch × neurons) below which a run stays on
/// the per-step path: splitting and joining copy the state once and fork
/// once, about the cost of 10^5 neuron updates.
const LANE_MIN_WORK: usize = 1 << 17;

/// One block of batch rows with its own state.
struct Lane {
    rows: Range<usize>,
    pops: Vec<Box<dyn Population>>,
    bufs: Vec<Vec<f32>>,
    monitors: Vec<Monitor>,
    /// A copy of the network's generator: models with lanes draw from it
    /// the same numbers in every lane (see [`Population::lane`]), and the
    /// network's continues from the first lane's.
    rng: Rng,
    /// This lane's phase times, when the network profiles.
    profile: Profile,
    /// Steps this lane has done.
    done: usize,
}

impl Network {
    /// Runs `steps` steps in lanes when the batch rows are independent and
    /// the work is worth a fork, and returns the number of steps done
    /// (fewer than `steps` when `o.cancel` was raised); returns `None`,
    /// having changed nothing, otherwise.
    ///
    /// Each lane reads the cancel flag before each of its steps. The lanes
    /// that stopped early then catch up with the one that got furthest, so
    /// that every row has done the same steps when they are put back.
    ///
    /// Each lane checks that its rows of step `t + 1`'s external input are
    /// finite before it steps `t`: the check's loads bring the next step's
    /// input into cache while it is still far from needed, and no separate
    /// pass reads the whole raster first. A lane that finds a non-finite
    /// value stops them all; the lanes are dropped, the network is
    /// unchanged, and the error is the one the one-thread path gives.
    ///
    /// # Errors
    /// A non-finite input value (see `Plan::check_finite`).
    pub(super) fn run_in_lanes(
        &mut self,
        plan: &Plan<'_>,
        steps: usize,
        o: &RunOptions,
    ) -> Result<Option<usize>> {
        let threads = rayon::current_num_threads();
        // One lane per thread: measured faster than 2 or 4 smaller lanes per
        // thread once the CLI pins the workers (W4 batch 32, N = 100: 7.3–7.5
        // against 8.0–8.3 and 8.1–8.6 ms per run).
        let count = threads.min(self.batch);
        let neurons: usize = self.pops.iter().map(|p| p.core().n()).sum();
        if count < 2
            || self.learning
            || o.one_step
            || !o.weight_masks.is_empty()
            || !crate::parallel::worth(steps * self.batch * neurons, LANE_MIN_WORK)
            || self
                .conns
                .iter()
                .any(|c| c.learner.as_ref().is_some_and(|l| l.pending()))
            || (self.monitors.iter()).any(|(_, m)| matches!(m.target, MonitorTarget::Connection(_)))
        {
            return Ok(None);
        }
        let Some(shared) = (self.conns.iter())
            .map(|c| c.topology.shared())
            .collect::<Option<Vec<&dyn SharedPropagation>>>()
        else {
            return Ok(None);
        };
        let Some(mut lanes) = (0..count)
            .map(|k| self.lane(k * self.batch / count..(k + 1) * self.batch / count))
            .collect::<Option<Vec<Lane>>>()
        else {
            return Ok(None);
        };
        let (net, shared) = (&*self, &shared[..]);
        let n: Vec<usize> = self.pops.iter().map(|p| p.core().n()).collect();
        let bad_input = AtomicBool::new(false);
        // Steps `lane` up to step `to` (excluded), stopping early when
        // `cancel` says so or a lane saw a non-finite input.
        let advance = |lane: &mut Lane, to: usize, cancel: bool| {
            let rows = lane.rows.clone();
            let finite = |t: usize| t >= steps || plan.finite_at(t, &rows, &n);
            if lane.done == 0 && !finite(0) {
                bad_input.store(true, Ordering::Relaxed);
            }
            while lane.done < to {
                if cancel && o.cancelled() {
                    return;
                }
                let t = lane.done;
                if !finite(t + 1) {
                    bad_input.store(true, Ordering::Relaxed);
                }
                if bad_input.load(Ordering::Relaxed) {
                    return;
                }
                net.step_lane(lane, shared, plan, t);
                lane.done += 1;
            }
        };
        lanes
            .par_iter_mut()
            .for_each(|lane| advance(lane, steps, true));
        let done = lanes.iter().map(|l| l.done).max().unwrap_or(0);
        if done < steps && !bad_input.load(Ordering::Relaxed) {
            // Cancelled: bring every lane to the same step.
            lanes
                .par_iter_mut()
                .for_each(|lane| advance(lane, done, false));
        }
        if bad_input.into_inner() {
            // The lanes are dropped: the network is unchanged.
            plan.check_finite(&self.names)?;
            return Ok(None); // not reached: a lane saw a non-finite value
        }
        lanes_join(self, &lanes);
        for lane in &lanes {
            self.stepper.profile.add(&lane.profile);
        }
        // Every lane drew the same numbers (see `Population::lane`).
        debug_assert!(lanes.iter().all(|l| l.rng == lanes[0].rng));
        self.rng = lanes.swap_remove(0).rng;
        Ok(Some(done))
    }

    /// A lane of rows `rows`, or `None` if a population cannot be split.
    fn lane(&self, rows: Range<usize>) -> Option<Lane> {
        let pops = (self.pops.iter())
            .map(|p| p.lane(rows.clone()))
            .collect::<Option<Vec<_>>>()?;
        let bufs = (pops.iter())
            .map(|p| vec![0.0; p.input_channels() * rows.len() * p.core().n()])
            .collect();
        let monitors = (self.monitors.iter())
            .map(|(_, m)| m.lane(&rows, self.batch))
            .collect();
        Some(Lane {
            rows,
            pops,
            bufs,
            monitors,
            rng: self.rng.clone(),
            profile: Profile {
                on: self.stepper.profile.on,
                ..Default::default()
            },
            done: 0,
        })
    }

    /// One step of a lane: [`Network::step`] without learning, on the
    /// lane's rows.
    fn step_lane(
        &self,
        lane: &mut Lane,
        shared: &[&dyn SharedPropagation],
        plan: &Plan<'_>,
        t: usize,
    ) {
        let mut clock = lane.profile.start();
        let rows = lane.rows.len();
        for (p, buf) in lane.bufs.iter_mut().enumerate() {
            if !plan.input_only[p] {
                buf.fill(0.0);
            }
        }
        for (c, topology) in self.conns.iter().zip(shared) {
            // The connection's receptor block, for `rows` rows.
            let n_target = lane.pops[c.target].core().n();
            let offset = c.input_offset / (self.batch * n_target) * rows * n_target;
            topology.propagate_shared(
                lane.pops[c.source].core().spikes(),
                &mut lane.bufs[c.target][offset..],
            );
        }
        lane.profile.lap(PROPAGATE, &mut clock);
        let mut ctx = StepContext {
            dt: self.dt,
            learning: false,
            rng: &mut lane.rng,
        };
        for (p, (pop, buf)) in lane.pops.iter_mut().zip(&mut lane.bufs).enumerate() {
            integrate(pop.as_mut(), p, buf, plan, t, lane.rows.clone(), &mut ctx);
        }
        lane.profile.lap(INTEGRATE, &mut clock);
        for m in &mut lane.monitors {
            if let MonitorTarget::Population(p) = m.target {
                observe(m, lane.pops[p].as_ref());
            }
        }
        lane.profile.lap(OBSERVE, &mut clock);
    }
}

/// Puts the lanes' rows back into the network (populations, monitors).
fn lanes_join(net: &mut Network, lanes: &[Lane]) {
    for (p, pop) in net.pops.iter_mut().enumerate() {
        let (batch, n) = (pop.core().batch(), pop.core().n());
        let mut binary = true;
        for lane in lanes {
            let part = lane.pops[p].as_ref();
            let at = lane.rows.start;
            pop.core_mut().absorb_rows(at, part.core());
            binary &= part.core().spikes().is_binary();
            for &name in pop.variable_names() {
                let (Some(mine), Some(theirs)) = (pop.variable_mut(name), part.variable(name))
                else {
                    continue;
                };
                // Per-row state; per-neuron values (θ) did not change.
                if mine.len() == batch * n {
                    mine[at * n..at * n + theirs.len()].copy_from_slice(theirs);
                }
            }
        }
        pop.core_mut().spikes_mut().set_binary(binary);
    }
    for (k, (_, m)) in net.monitors.iter_mut().enumerate() {
        let parts: Vec<&Monitor> = lanes.iter().map(|l| &l.monitors[k]).collect();
        m.absorb_lanes(&parts);
    }
}
