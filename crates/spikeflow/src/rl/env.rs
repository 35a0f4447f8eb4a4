//! The environment interface: what an agent observes, what it may do, and
//! what one step returns (gym's `reset`/`step` contract, seeded).

use crate::{Error, Result};

/// An observation or action space.
#[derive(Debug, Clone, PartialEq)]
pub enum Space {
    /// `n` choices `0..n`; as an observation, one value holding the index.
    Discrete(usize),
    /// A box of real vectors: `low[i] ≤ x[i] ≤ high[i]` (bounds may be
    /// infinite).
    Box {
        /// Lower bounds, one per dimension.
        low: Vec<f32>,
        /// Upper bounds, one per dimension.
        high: Vec<f32>,
    },
}

impl Space {
    /// Number of values in an element of the space (1 for `Discrete`).
    pub fn dim(&self) -> usize {
        match self {
            Space::Discrete(_) => 1,
            Space::Box { low, .. } => low.len(),
        }
    }

    /// Whether `x` is an element of the space.
    pub fn contains(&self, x: &[f32]) -> bool {
        match self {
            Space::Discrete(n) => {
                x.len() == 1 && x[0] >= 0.0 && x[0].fract() == 0.0 && (x[0] as usize) < *n
            }
            Space::Box { low, high } => {
                x.len() == low.len()
                    && x.iter()
                        .zip(low.iter().zip(high))
                        .all(|(v, (l, h))| *v >= *l && *v <= *h)
            }
        }
    }
}

/// What one [`Environment::step`] returns (gym's `(obs, reward, done, info)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The observation after the action.
    pub observation: Vec<f32>,
    /// The reward for the action.
    pub reward: f32,
    /// The episode is over (terminated or truncated); the next call must be
    /// a `reset`.
    pub done: bool,
    /// The episode was cut by a step limit rather than ended by the task
    /// (gym's `truncated`); implies `done`.
    pub truncated: bool,
    /// Named diagnostic values (gym's `info`).
    pub info: Vec<(String, f64)>,
}

impl Step {
    /// The `info` value called `key`, if present.
    pub fn info(&self, key: &str) -> Option<f64> {
        self.info.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// A reinforcement-learning task: deterministic given the seed of `reset`
/// and the actions taken.
pub trait Environment: Send + std::fmt::Debug {
    /// A short name for messages (`"CartPole"`).
    fn name(&self) -> &str;
    /// The space observations belong to.
    fn observation_space(&self) -> Space;
    /// The space of actions (the pipeline needs `Discrete`).
    fn action_space(&self) -> Space;
    /// Starts an episode; everything random in it comes from `seed`.
    ///
    /// # Errors
    /// Environment-specific (e.g. parameters that cannot be simulated).
    fn reset(&mut self, seed: u64) -> Result<Vec<f32>>;
    /// Applies `action`.
    ///
    /// # Errors
    /// An action outside the action space, or a step without a `reset`
    /// since the last `done`.
    fn step(&mut self, action: usize) -> Result<Step>;
}

/// The error for an action outside `0..n`.
pub(crate) fn check_action(env: &str, action: usize, n: usize) -> Result<()> {
    if action < n {
        Ok(())
    } else {
        Err(Error::param(
            env,
            format!("action {action} is outside the action space 0..{n}"),
        ))
    }
}

/// The error for a step without an active episode.
pub(crate) fn not_running(env: &str) -> Error {
    Error::param(
        env,
        "step called without an active episode: call reset first (after done, too)",
    )
}
