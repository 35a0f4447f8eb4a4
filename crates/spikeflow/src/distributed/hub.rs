//! The spike exchange inside a step, and the two kinds of population that
//! use it.
//!
//! A process's network holds its part of every population, and for every
//! population some connection leaves, a *mirror*: an input population of
//! the whole population's size whose spikes at step `t` are the whole
//! population's spikes at step `t`. The mirrors come after every other
//! population, so by the time the first of them steps, every part has
//! stepped and *published* its spikes to the [`Hub`]; the first mirror then
//! runs the step's one all-gather, and every mirror takes its population's
//! spikes from it and updates its trace exactly as the whole population
//! does (same trace options, same spikes). Connections leave the mirrors:
//! propagation at `t + 1`, and learning at `t` with presynaptic spikes and
//! traces, see what they would see in one process.
//!
//! When every connection leaving a mirror delays its spikes by at least
//! `D` steps, the exchange runs once per `D` steps instead
//! ([`Timing::Interval`], driven by `super::interval`): the parts publish
//! the interval's steps one after another, the mirrors sit still during
//! them, and at the interval's end the network replays each step's
//! mirrors, and the connections leaving them, late.
//!
//! Wire format of one process's spikes of one population, per step:
//! `[binary, then per batch row: count, local indices…, (value bits…)]`,
//! the values only when some spike is not 1 (graded spikes, Poisson
//! counts); an exchange sends the steps since the last one, in order.

use super::exchange::Exchange;
use crate::error::Result;
use crate::nodes::{BuildContext, Input, NodeCore, NodeModel, Population, StepContext};
use crate::spikes::Spikes;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The exchange and the spikes passing through it.
pub(crate) struct Hub {
    exchange: Box<dyn Exchange>,
    pops: Vec<Exchanged>,
    send: Vec<u32>,
    recv: Vec<u32>,
    counts: Vec<usize>,
    timing: Timing,
    /// Exchanges of spikes run so far (collectives of `exchange`).
    exchanges: u64,
    /// Wall time of the exchanges run by a mirror's step (every step),
    /// which the network's profile counts in `integrate`; `None` unless
    /// profiling (two clock reads per step).
    in_steps: Option<Duration>,
}

/// When the mirrors take their spikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timing {
    /// Every step: the first mirror exchanges the step's spikes.
    EveryStep,
    /// Once per interval: the mirrors sit still while the parts step and
    /// publish; then the network exchanges and replays the interval, the
    /// mirrors taking step `replay` of it.
    Interval { replay: Option<usize> },
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("rank", &self.rank())
            .field("ranks", &self.ranks())
            .field("populations", &self.pops.len())
            .field("timing", &self.timing)
            .finish()
    }
}

/// One exchanged population.
struct Exchanged {
    /// Neurons of the whole population.
    n: usize,
    batch: usize,
    /// Every rank's neurons.
    ranges: Vec<Range<usize>>,
    /// This process's spikes of the steps since the last exchange, encoded.
    local: Vec<u32>,
    /// How many steps `local` holds.
    published: usize,
    /// The whole population's spikes of each step of the last exchange
    /// (the first `shown` entries; the others are spare allocations).
    steps: Vec<StepSpikes>,
    shown: usize,
}

/// A whole population's spikes of one step.
struct StepSpikes {
    /// Per batch row, the spiking neurons (increasing) and, when some spike
    /// is not 1, their values.
    active: Vec<Vec<u32>>,
    values: Vec<Vec<f32>>,
    /// Whether every spike of this step is 1.
    binary: bool,
}

/// The hub, shared by the populations of one process's network.
pub(crate) type SharedHub = Arc<Mutex<Hub>>;

pub(super) fn lock(hub: &SharedHub) -> MutexGuard<'_, Hub> {
    hub.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    pub fn new(exchange: Box<dyn Exchange>) -> Self {
        Hub {
            exchange,
            pops: Vec::new(),
            send: Vec::new(),
            recv: Vec::new(),
            counts: Vec::new(),
            timing: Timing::EveryStep,
            exchanges: 0,
            in_steps: None,
        }
    }

    pub fn set_timing(&mut self, timing: Timing) {
        self.timing = timing;
    }

    /// Exchanges of spikes run so far.
    pub fn exchanges(&self) -> u64 {
        self.exchanges
    }

    /// Wall time of the exchanges run inside a mirror's step (every step)
    /// since [`time_steps`](Self::time_steps) last turned the timing on.
    pub fn time_in_steps(&self) -> Duration {
        self.in_steps.unwrap_or_default()
    }

    /// Times the exchanges run inside a mirror's step from now on (from 0),
    /// or not.
    pub fn time_steps(&mut self, on: bool) {
        self.in_steps = on.then_some(Duration::ZERO);
    }

    /// The exchange, for another network.
    pub fn into_exchange(self) -> Box<dyn Exchange> {
        self.exchange
    }

    pub fn rank(&self) -> usize {
        self.exchange.rank()
    }

    pub fn ranks(&self) -> usize {
        self.exchange.ranks()
    }

    /// Registers a population of `n` neurons cut into `ranges`; its slot.
    pub fn add(&mut self, n: usize, batch: usize, ranges: Vec<Range<usize>>) -> usize {
        self.pops.push(Exchanged {
            n,
            batch,
            ranges,
            local: Vec::new(),
            published: 0,
            steps: Vec::new(),
            shown: 0,
        });
        self.pops.len() - 1
    }

    /// Every process's `local`, in rank order (a collective).
    pub fn all_gather(&mut self, local: &[u32]) -> (Vec<u32>, Vec<usize>) {
        let (mut out, mut counts) = (Vec::new(), Vec::new());
        self.exchange.all_gather(local, &mut out, &mut counts);
        (out, counts)
    }

    /// Records this process's spikes of population `slot` for this step,
    /// after those of the steps since the last exchange.
    fn publish(&mut self, slot: usize, spikes: &Spikes) {
        self.pops[slot].published += 1;
        let local = &mut self.pops[slot].local;
        let binary = spikes.is_binary();
        local.push(u32::from(binary));
        for b in 0..spikes.batch() {
            let active = spikes.active(b);
            local.push(active.len() as u32);
            local.extend_from_slice(active);
            if !binary {
                let row = spikes.row(b);
                local.extend(active.iter().map(|&j| row[j as usize].to_bits()));
            }
        }
    }

    /// The all-gather of the steps published since the last one: every
    /// population's spikes from every process into its steps' spike lists.
    pub fn exchange(&mut self) {
        self.send.clear();
        for p in &self.pops {
            self.send.push(p.local.len() as u32);
            self.send.extend_from_slice(&p.local);
        }
        self.exchange
            .all_gather(&self.send, &mut self.recv, &mut self.counts);
        self.exchanges += 1;
        for p in &mut self.pops {
            p.begin(p.published);
            p.local.clear();
            p.published = 0;
        }
        let mut at = 0;
        for (rank, &count) in self.counts.iter().enumerate() {
            let chunk = &self.recv[at..at + count];
            at += count;
            let mut k = 0;
            for p in &mut self.pops {
                let len = chunk[k] as usize;
                p.decode(rank, &chunk[k + 1..k + 1 + len]);
                k += 1 + len;
            }
        }
    }
}

impl Exchanged {
    /// Empties the spike lists of `steps` steps, for the ranks to fill.
    fn begin(&mut self, steps: usize) {
        // Lists are kept from one exchange to the next: no allocation once
        // the longest interval has been seen.
        while self.steps.len() < steps {
            self.steps.push(StepSpikes {
                active: vec![Vec::new(); self.batch],
                values: vec![Vec::new(); self.batch],
                binary: true,
            });
        }
        for step in &mut self.steps[..steps] {
            step.active.iter_mut().for_each(Vec::clear);
            step.values.iter_mut().for_each(Vec::clear);
            step.binary = true;
        }
        self.shown = steps;
    }

    /// Appends rank `rank`'s encoded spikes of every step to the steps'
    /// spike lists (ranks arrive in order, so each row's list stays
    /// increasing).
    fn decode(&mut self, rank: usize, words: &[u32]) {
        let start = self.ranges[rank].start as u32;
        let mut k = 0;
        for step in &mut self.steps[..self.shown] {
            let binary = words[k] == 1;
            k += 1;
            step.binary &= binary;
            for (active, values) in step.active.iter_mut().zip(&mut step.values) {
                let count = words[k] as usize;
                let idx = &words[k + 1..k + 1 + count];
                k += 1 + count;
                active.extend(idx.iter().map(|&j| start + j));
                if binary {
                    values.extend(std::iter::repeat_n(1.0, count));
                } else {
                    values.extend(words[k..k + count].iter().map(|&v| f32::from_bits(v)));
                    k += count;
                }
            }
        }
    }
}

impl StepSpikes {
    /// This step's spikes as a dense `[batch × n]` input.
    fn write_dense(&self, input: &mut [f32], n: usize) {
        input.fill(0.0);
        for (b, (active, values)) in self.active.iter().zip(&self.values).enumerate() {
            let row = &mut input[b * n..(b + 1) * n];
            for (&j, &v) in active.iter().zip(values) {
                row[j as usize] = v;
            }
        }
    }
}

/// The [`Population`] methods both wrappers below hand to the population
/// they wrap (`self.inner`): everything but stepping.
macro_rules! forward_to_inner {
    () => {
        fn type_name(&self) -> &'static str {
            self.inner.type_name()
        }
        fn core(&self) -> &NodeCore {
            self.inner.core()
        }
        fn core_mut(&mut self) -> &mut NodeCore {
            self.inner.core_mut()
        }
        fn reset_state(&mut self) {
            self.inner.reset_state();
        }
        fn variable(&self, name: &str) -> Option<&[f32]> {
            self.inner.variable(name)
        }
        fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]> {
            self.inner.variable_mut(name)
        }
        fn variable_names(&self) -> &'static [&'static str] {
            self.inner.variable_names()
        }
        fn input_channels(&self) -> usize {
            self.inner.input_channels()
        }
    };
}

/// A process's part of a population some connection leaves: the model's
/// population, publishing its spikes after every step.
pub(crate) struct PublishedModel {
    pub inner: Box<dyn NodeModel>,
    pub hub: SharedHub,
    pub slot: usize,
}

impl std::fmt::Debug for PublishedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Published")
            .field("inner", &self.inner)
            .finish()
    }
}

impl NodeModel for PublishedModel {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        Ok(Box::new(Published {
            inner: self.inner.build(ctx)?,
            hub: Arc::clone(&self.hub),
            slot: self.slot,
        }))
    }
}

struct Published {
    inner: Box<dyn Population>,
    hub: SharedHub,
    slot: usize,
}

impl std::fmt::Debug for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Published")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Published {
    fn publish(&mut self) {
        if self.inner.core().clamps.pending() {
            self.inner.core_mut().apply_clamps();
        }
        lock(&self.hub).publish(self.slot, self.inner.core().spikes());
    }
}

impl Population for Published {
    forward_to_inner!();
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        self.inner.step(input, ctx);
        self.publish();
    }
    fn step_external(&mut self, external: &[f32], buffer: &mut [f32], ctx: &mut StepContext<'_>) {
        self.inner.step_external(external, buffer, ctx);
        self.publish();
    }
    fn step_external_spikes(
        &mut self,
        spikes: &[bool],
        buffer: &mut [f32],
        ctx: &mut StepContext<'_>,
    ) {
        self.inner.step_external_spikes(spikes, buffer, ctx);
        self.publish();
    }
    /// Silent steps publish nothing: the parts relax together
    /// (`DistributedNetwork::relax`), and the next step publishes again.
    fn quiet(&self, steps: usize, learning: bool) -> bool {
        self.inner.quiet(steps, learning)
    }
    fn relax(&mut self, steps: usize, learning: bool) {
        self.inner.relax(steps, learning);
    }
}

/// The mirror of a whole population (see the module docs); `leader` runs
/// the step's exchange.
pub(crate) struct MirrorModel {
    pub hub: SharedHub,
    pub slot: usize,
    pub leader: bool,
}

impl std::fmt::Debug for MirrorModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").field("slot", &self.slot).finish()
    }
}

impl NodeModel for MirrorModel {
    fn type_name(&self) -> &'static str {
        "Input"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        Ok(Box::new(Mirror {
            inner: Input.build(ctx)?,
            hub: Arc::clone(&self.hub),
            slot: self.slot,
            leader: self.leader,
        }))
    }
}

struct Mirror {
    inner: Box<dyn Population>,
    hub: SharedHub,
    slot: usize,
    leader: bool,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").field("slot", &self.slot).finish()
    }
}

impl Population for Mirror {
    forward_to_inner!();
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        {
            let mut hub = lock(&self.hub);
            let k = match hub.timing {
                Timing::EveryStep => {
                    if self.leader {
                        let t0 = hub.in_steps.is_some().then(Instant::now);
                        hub.exchange();
                        if let (Some(t), Some(t0)) = (&mut hub.in_steps, t0) {
                            *t += t0.elapsed();
                        }
                    }
                    0
                }
                Timing::Interval { replay: Some(k) } => k,
                // The connections leaving the mirror run at the interval's
                // end, and nothing else reads it.
                Timing::Interval { replay: None } => return,
            };
            let pop = &hub.pops[self.slot];
            let step = &pop.steps[k];
            let core = self.inner.core_mut();
            if step.binary
                && core.trace.is_none()
                && core.summed.is_none()
                && !core.clamps.pending()
            {
                // All the input step would do: set the spikes. Only the
                // neurons that spiked at the last step or this one are
                // touched, not the whole population.
                core.spikes.set_binary_active(&step.active);
                return;
            }
            step.write_dense(input, pop.n);
        }
        self.inner.step(input, ctx);
    }
    // Not `quiet` on its own: the other parts' neurons are silent only if
    // all parts agree (`DistributedNetwork::relax`), which then relaxes it.
    fn relax(&mut self, steps: usize, learning: bool) {
        self.inner.relax(steps, learning);
    }
}
