//! Action selectors: the output population's spikes over one run → an
//! action (BindsNET's `pipeline/action.py`, plus ε-greedy), each drawing
//! from a seeded [`Rng`].
//!
//! The output's `n` neurons are split into `n_actions` equal groups in
//! order (`n = n_actions` is one neuron per action; BindsNET's
//! `select_multinomial` population code generalised to every selector).
//! `c_a` is the number of spikes of group `a` over the run.
//!
//! | selector | action | BindsNET |
//! |---|---|---|
//! | `Softmax { temperature: T }` | `P(a) = e^{c_a/T} / Σ_b e^{c_b/T}` | `select_softmax` (`T = 1`) |
//! | `Multinomial` | `P(a) = c_a / Σ_b c_b`; uniform if silent | `select_multinomial` (which reads only the run's last step) |
//! | `Highest` | the lowest `a` with maximal `c_a` (0 if silent) | `select_highest` |
//! | `HighestRandomTies` | uniform over the `a` with maximal `c_a` | — |
//! | `FirstSpike` | the group of the earliest spike (lowest neuron index within a step); 0 if silent | `select_first_spike` |
//! | `Random` | uniform | `select_random` |
//! | `EpsilonGreedy { epsilon: ε }` | uniform with probability `ε`, else `HighestRandomTies` | — |

use crate::rng::Rng;
use crate::{Error, Result};

/// How an action is chosen from output spikes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ActionSelector {
    /// Sample from a softmax of the spike counts at `temperature`.
    Softmax {
        /// `T > 0`; 1 is BindsNET's.
        temperature: f32,
    },
    /// Sample proportionally to the spike counts (uniform if silent).
    Multinomial,
    /// Arg-max of the counts, ties to the lowest action.
    Highest,
    /// Arg-max of the counts, ties broken uniformly.
    HighestRandomTies,
    /// The action of the first spike.
    FirstSpike,
    /// Uniformly random (ignores the network).
    Random,
    /// Uniform with probability `epsilon`, else arg-max with random ties.
    EpsilonGreedy {
        /// `ε ∈ [0, 1]`.
        epsilon: f32,
    },
}

impl ActionSelector {
    /// Checks the selector's parameters and that `n_out` output neurons
    /// split into `n_actions` groups.
    ///
    /// # Errors
    /// A bad temperature or ε, no action, or `n_out` not a positive
    /// multiple of `n_actions`.
    pub fn validate(&self, n_out: usize, n_actions: usize) -> Result<()> {
        let o = "action selector";
        match *self {
            ActionSelector::Softmax { temperature } => {
                crate::error::positive(o, "softmax temperature", temperature)?
            }
            ActionSelector::EpsilonGreedy { epsilon } if !(0.0..=1.0).contains(&epsilon) => {
                return Err(Error::param(
                    o,
                    format!("epsilon must be in [0, 1], got {epsilon}"),
                ))
            }
            _ => {}
        }
        if n_actions == 0 {
            return Err(Error::param(o, "the action space is empty"));
        }
        if n_out == 0 || n_out % n_actions != 0 {
            return Err(Error::shape(
                o,
                format!(
                    "{n_out} output neurons cannot be split into {n_actions} equal action groups"
                ),
            ));
        }
        Ok(())
    }

    /// Chooses an action from `spikes`, the output's spikes `[steps, n_out]`
    /// (row-major, any non-zero value is a spike).
    ///
    /// # Errors
    /// As [`validate`](Self::validate), or `spikes` not `steps × n_out`.
    pub fn select(
        &self,
        spikes: &[f32],
        steps: usize,
        n_actions: usize,
        rng: &mut Rng,
    ) -> Result<usize> {
        let n_out = spikes.len().checked_div(steps).unwrap_or(0);
        if steps == 0 || n_out * steps != spikes.len() {
            return Err(Error::shape(
                "action selector",
                format!("{} spike values are not {steps} steps × n", spikes.len()),
            ));
        }
        self.validate(n_out, n_actions)?;
        let group = n_out / n_actions;
        let counts = || {
            let mut c = vec![0.0f64; n_actions];
            for row in spikes.chunks(n_out) {
                for (j, &s) in row.iter().enumerate() {
                    if s != 0.0 {
                        c[j / group] += 1.0;
                    }
                }
            }
            c
        };
        Ok(match *self {
            ActionSelector::Random => rng.below(n_actions),
            ActionSelector::Softmax { temperature } => {
                let c = counts();
                let max = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let w: Vec<f64> = c
                    .iter()
                    .map(|&x| ((x - max) / f64::from(temperature)).exp())
                    .collect();
                sample(&w, rng)
            }
            ActionSelector::Multinomial => {
                let c = counts();
                if c.iter().all(|&x| x == 0.0) {
                    rng.below(n_actions)
                } else {
                    sample(&c, rng)
                }
            }
            ActionSelector::Highest => {
                let c = counts();
                let max = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                c.iter().position(|&x| x == max).unwrap_or(0)
            }
            ActionSelector::HighestRandomTies => highest_random_ties(&counts(), rng),
            ActionSelector::FirstSpike => spikes
                .iter()
                .position(|&s| s != 0.0)
                .map_or(0, |k| (k % n_out) / group),
            ActionSelector::EpsilonGreedy { epsilon } => {
                if rng.uniform_f32() < epsilon {
                    rng.below(n_actions)
                } else {
                    highest_random_ties(&counts(), rng)
                }
            }
        })
    }
}

fn highest_random_ties(c: &[f64], rng: &mut Rng) -> usize {
    let max = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let best: Vec<usize> = (0..c.len()).filter(|&a| c[a] == max).collect();
    best[rng.below(best.len())]
}

/// Samples an index with probability proportional to `w` (non-negative,
/// not all zero) by inverting the cumulative sum.
fn sample(w: &[f64], rng: &mut Rng) -> usize {
    let total: f64 = w.iter().sum();
    let u = rng.uniform_f64() * total;
    let mut acc = 0.0;
    for (k, &x) in w.iter().enumerate() {
        acc += x;
        if u < acc {
            return k;
        }
    }
    // Rounding: the last index with a non-zero weight.
    w.iter().rposition(|&x| x > 0.0).unwrap_or(0)
}
