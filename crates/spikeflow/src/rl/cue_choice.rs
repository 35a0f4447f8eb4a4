//! A tiny generated task for tests and demonstrations: each trial shows
//! one of `n_cues` cues (one-hot observation, drawn uniformly from the
//! episode's seed) and rewards the action the cue is mapped to. With one
//! cue it is an `n_actions`-armed bandit with a single rewarded arm.
//!
//! Trial `k` of an episode shows cue `c_k`; action `a` earns
//! `reward_correct` if `a = mapping[c_k]` and `reward_wrong` otherwise.
//! An episode is `trials` trials; its return counts the correct choices
//! (with the defaults 1 / −1: `correct − wrong`). Chance level for a
//! policy that ignores the cue is `1 / n_actions` correct.

use super::env::{check_action, not_running, Environment, Space, Step};
use crate::rng::Rng;
use crate::{Error, Result};

/// The cue → action task.
#[derive(Debug, Clone)]
pub struct CueChoice {
    n_actions: usize,
    mapping: Vec<usize>,
    trials: usize,
    /// Reward of a correct choice. Default 1.
    pub reward_correct: f32,
    /// Reward of a wrong choice. Default −1.
    pub reward_wrong: f32,
    rng: Rng,
    cue: usize,
    trial: usize,
    running: bool,
}

impl CueChoice {
    /// Cue `c` is rewarded for action `mapping[c]`; `trials` trials per
    /// episode.
    ///
    /// # Errors
    /// No cue, fewer than 2 actions, a mapped action `≥ n_actions`, or 0
    /// trials.
    pub fn new(n_actions: usize, mapping: Vec<usize>, trials: usize) -> Result<Self> {
        let o = "CueChoice";
        if mapping.is_empty() {
            return Err(Error::param(o, "needs at least one cue"));
        }
        if n_actions < 2 {
            return Err(Error::param(
                o,
                format!("needs at least 2 actions, got {n_actions}"),
            ));
        }
        if let Some(a) = mapping.iter().find(|&&a| a >= n_actions) {
            return Err(Error::param(
                o,
                format!("mapped action {a} is outside 0..{n_actions}"),
            ));
        }
        if trials == 0 {
            return Err(Error::param(o, "trials must be > 0"));
        }
        Ok(CueChoice {
            n_actions,
            mapping,
            trials,
            reward_correct: 1.0,
            reward_wrong: -1.0,
            rng: Rng::seed_from_u64(0),
            cue: 0,
            trial: 0,
            running: false,
        })
    }

    /// `n_cues` cues each mapped to an action drawn uniformly from `seed`.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn random(n_cues: usize, n_actions: usize, trials: usize, seed: u64) -> Result<Self> {
        let mut rng = Rng::seed_from_u64(seed);
        let mapping = (0..n_cues).map(|_| rng.below(n_actions.max(1))).collect();
        Self::new(n_actions, mapping, trials)
    }

    /// The rewarded action of each cue.
    pub fn mapping(&self) -> &[usize] {
        &self.mapping
    }

    /// The cue shown now.
    pub fn cue(&self) -> usize {
        self.cue
    }

    fn observation(&self) -> Vec<f32> {
        let mut o = vec![0.0; self.mapping.len()];
        o[self.cue] = 1.0;
        o
    }
}

impl Environment for CueChoice {
    fn name(&self) -> &str {
        "CueChoice"
    }

    fn observation_space(&self) -> Space {
        let n = self.mapping.len();
        Space::Box {
            low: vec![0.0; n],
            high: vec![1.0; n],
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(self.n_actions)
    }

    fn reset(&mut self, seed: u64) -> Result<Vec<f32>> {
        self.rng = Rng::seed_from_u64(seed);
        self.cue = self.rng.below(self.mapping.len());
        self.trial = 0;
        self.running = true;
        Ok(self.observation())
    }

    fn step(&mut self, action: usize) -> Result<Step> {
        check_action("CueChoice", action, self.n_actions)?;
        if !self.running {
            return Err(not_running("CueChoice"));
        }
        let correct = action == self.mapping[self.cue];
        let cue = self.cue;
        self.trial += 1;
        let done = self.trial >= self.trials;
        self.running = !done;
        self.cue = self.rng.below(self.mapping.len());
        Ok(Step {
            observation: self.observation(),
            reward: if correct {
                self.reward_correct
            } else {
                self.reward_wrong
            },
            done,
            truncated: false,
            info: vec![
                ("correct".into(), f64::from(u8::from(correct))),
                ("cue".into(), cue as f64),
            ],
        })
    }
}
