//! NEST's `poisson_generator` connected to many targets: one independent
//! Poisson spike train per neuron of this population, emitted as the
//! *number* of spikes per step.
//!
//! ```text
//! s[b, j](t) ~ Poisson(rate · dt)        (a count; 0 most steps at low rates)
//! ```
//!
//! NEST draws, per target and per step, a Poisson count of spikes, which
//! the target receives as `count · weight`; connect this population one to
//! one to the targets (with their weight and delay) to get the same input
//! — e.g. `hpc_benchmark`'s 20.9 kHz external drive, about two spikes per
//! neuron per 0.1 ms step, at the cost of one draw per neuron per step.
//!
//! The draws are counter-based ([`Keyed`]): count `(j, t)` of batch row
//! `b` is a pure function of `seed`, `b`, the neuron's global index
//! `first_index + j` and the population's step `t`, so a population split
//! over processes draws what one process would. The step counter restarts
//! at [`reset_state`](Population::reset_state) and is the population's state
//! variable `"step"` (two exact `f32` halves, `t = step[0] + 65536·step[1]`),
//! so a snapshot restores it and a resumed run draws what the uninterrupted
//! one drew.
//!
//! ```
//! use spikeflow::prelude::*;
//! use spikeflow::nodes::PoissonGenerator;
//! let mut b = Network::builder().dt(0.1);
//! let drive = PoissonGenerator { rate_hz: 20_000.0, seed: 1, first_index: 0 };
//! b.add_population("P", &[1000], drive, NodeOptions::default());
//! let mut net = b.build()?;
//! net.add_monitor("s", MonitorSpec::new("P", &["s"]))?;
//! net.run(&[], 100, &RunOptions::default())?;
//! let mean: f32 = net.monitor("s")?.get("s")?.data().iter().sum::<f32>() / 1e5;
//! assert!((mean - 2.0).abs() < 0.05, "{mean}"); // 20 kHz × 0.1 ms
//! # Ok::<(), spikeflow::Error>(())
//! ```

use super::{BuildContext, NodeCore, NodeModel, Population, Result, StepContext};
use crate::error::Error;
use crate::rng::{Keyed, PoissonTable};

/// Largest mean count per step: inversion sampling costs about one
/// iteration per unit of the mean.
const MAX_MEAN_PER_STEP: f64 = 100.0;

/// Independent Poisson trains, one per neuron (NEST's `poisson_generator`
/// with one train per target).
#[derive(Debug, Clone, PartialEq)]
pub struct PoissonGenerator {
    /// Rate of each train (Hz). Default 0.
    pub rate_hz: f64,
    /// Seed of the draws. Default 0.
    pub seed: u64,
    /// Global index of this population's first neuron (what the draws are
    /// keyed by). Default 0.
    pub first_index: u64,
}

impl Default for PoissonGenerator {
    fn default() -> Self {
        PoissonGenerator {
            rate_hz: 0.0,
            seed: 0,
            first_index: 0,
        }
    }
}

impl NodeModel for PoissonGenerator {
    fn type_name(&self) -> &'static str {
        "PoissonGenerator"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        let mean = self.rate_hz * f64::from(ctx.dt) * 1e-3;
        if !(0.0..=MAX_MEAN_PER_STEP).contains(&mean) {
            return Err(Error::param(
                ctx.name,
                format!(
                    "rate_hz {} gives a mean of {mean} spikes per step of {} ms (must be in \
                     [0, {MAX_MEAN_PER_STEP}])",
                    self.rate_hz, ctx.dt
                ),
            ));
        }
        Ok(Box::new(PoissonGeneratorPopulation {
            core: NodeCore::new(ctx)?,
            counts: PoissonTable::new(mean),
            seed: self.seed,
            first_index: self.first_index,
            step: [0.0; 2],
        }))
    }
    /// The part's trains are drawn with the keys of their neurons in the
    /// whole population (`first_index` moves by the range's start).
    fn slice(&self, range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        Some(Box::new(PoissonGenerator {
            first_index: self.first_index + range.start as u64,
            ..self.clone()
        }))
    }
}

/// Trains per step above which a step's draws are spread over the pool's
/// threads (a draw costs ~15 ns; a fork/join tens of µs on the 2-core VMs).
const PARALLEL_NEURONS: usize = 4096;

#[derive(Debug, Clone)]
struct PoissonGeneratorPopulation {
    core: NodeCore,
    /// The distribution of a step's count.
    counts: PoissonTable,
    seed: u64,
    first_index: u64,
    /// Steps since the last reset, `step[0] + 65536·step[1]`: whole numbers
    /// below 2^16 and 2^24, exact in `f32` (snapshots save `f32` arrays).
    step: [f32; 2],
}

impl PoissonGeneratorPopulation {
    fn t(&self) -> u64 {
        self.step[0] as u64 + ((self.step[1] as u64) << 16)
    }
}

impl Population for PoissonGeneratorPopulation {
    population_accessors!("step" => step);
    fn shared_variables(&self) -> &'static [&'static str] {
        &["step"]
    }
    fn type_name(&self) -> &'static str {
        "PoissonGenerator"
    }
    fn step(&mut self, input: &mut [f32], _ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let first_row = self.core.first_row();
        let t = self.t();
        let (counts, first_index) = (&self.counts, self.first_index);
        // Each neuron's count is its own keyed draw, so blocks of neurons
        // may be drawn on separate threads with the same result (NEST's
        // hpc_benchmark at scale 1: 9,000 trains per step).
        let parallel = crate::parallel::worth(n, PARALLEL_NEURONS);
        for b in 0..self.core.batch() {
            let draws = Keyed::new(self.seed, (first_row + b) as u64);
            let (s, active) = self.core.spikes.row_mut(b);
            let fill = |block: &mut [f32], first: usize| {
                for (j, x) in (first..).zip(block.iter_mut()) {
                    *x = counts.sample(draws, first_index + j as u64, t) as f32;
                }
            };
            if parallel {
                use rayon::prelude::*;
                let block = n.div_ceil(rayon::current_num_threads()).max(1);
                s[..n]
                    .par_chunks_mut(block)
                    .enumerate()
                    .for_each(|(c, x)| fill(x, c * block));
            } else {
                fill(&mut s[..n], 0);
            }
            active.clear();
            crate::spikes::collect_active(&s[..n], active);
        }
        let binary = (0..self.core.batch()).all(|b| {
            let row = self.core.spikes.row(b);
            self.core
                .spikes
                .active(b)
                .iter()
                .all(|&j| row[j as usize] == 1.0)
        });
        self.core.spikes.set_binary(binary);
        let next = t + 1;
        self.step = [(next & 0xFFFF) as f32, (next >> 16) as f32];
        let len = self.core.batch() * n;
        self.core.finish_step(&input[..len]);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        self.step = [0.0; 2];
    }
}

#[cfg(test)]
mod tests {
    use crate::nodes::PoissonGenerator;
    use crate::prelude::*;

    fn counts(seed: u64, first_index: u64, n: usize, steps: usize) -> Vec<f32> {
        let mut b = Network::builder().dt(0.1);
        let g = PoissonGenerator {
            rate_hz: 20_856.04,
            seed,
            first_index,
        };
        b.add_population("P", &[n], g, NodeOptions::default());
        let mut net = b.build().unwrap();
        net.add_monitor("s", MonitorSpec::new("P", &["s"])).unwrap();
        net.run(&[], steps, &RunOptions::default()).unwrap();
        net.monitor("s").unwrap().get("s").unwrap().data().to_vec()
    }

    #[test]
    fn mean_and_variance_are_rate_times_dt_and_keyed_by_global_index() {
        let (n, steps) = (200, 500);
        let c = counts(5, 0, n, steps);
        let m = c.iter().map(|&x| f64::from(x)).sum::<f64>() / c.len() as f64;
        let v = c.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / c.len() as f64;
        assert!((m - 2.085_604).abs() < 0.02, "{m}");
        assert!((v - 2.085_604).abs() < 0.06, "{v}");
        assert!(c.iter().all(|x| x.fract() == 0.0 && *x >= 0.0));
        // Neurons 100..200 alone (first_index 100) draw what they drew as
        // part of the whole population; a reset draws the same again.
        let half = counts(5, 100, 100, steps);
        for t in 0..steps {
            assert_eq!(&c[t * n + 100..(t + 1) * n], &half[t * 100..(t + 1) * 100]);
        }
        assert_ne!(c, counts(6, 0, n, steps));
    }

    #[test]
    fn a_restored_network_draws_what_the_uninterrupted_one_drew() {
        let build = || {
            let mut b = Network::builder().dt(0.1);
            let g = PoissonGenerator {
                rate_hz: 20_000.0,
                seed: 3,
                first_index: 0,
            };
            b.add_population("P", &[50], g, NodeOptions::default());
            let mut net = b.build().unwrap();
            net.add_monitor("s", MonitorSpec::new("P", &["s"])).unwrap();
            net
        };
        let mut whole = build();
        whole.run(&[], 70_000, &RunOptions::default()).unwrap();
        let mut first = build();
        first.run(&[], 69_990, &RunOptions::default()).unwrap();
        let snap = first.snapshot();
        let mut resumed = build();
        resumed.restore(&snap).unwrap();
        resumed.run(&[], 10, &RunOptions::default()).unwrap();
        let tail = |net: &Network, from: usize| {
            net.monitor("s").unwrap().get("s").unwrap().data()[from * 50..].to_vec()
        };
        // Past 2^16 steps: both halves of the counter are in the snapshot.
        assert_eq!(tail(&whole, 69_990), tail(&resumed, 0));
    }
}
