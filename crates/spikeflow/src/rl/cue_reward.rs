//! BindsNET's cue-reward task (`bindsnet/environment/cue_reward.py`,
//! `CueRewardSimulator`), the task of Miconi et al.'s *Backpropamine*
//! (ICLR 2019, §4.2): remember which of four cues is this episode's target,
//! and answer, after each trial, whether the target was among the two cues
//! just shown.
//!
//! `reset(seed)` draws four distinct cue patterns of `cuebits` bits and the
//! episode's target cue. An episode is `epdur` steps of trials of 10–20
//! steps each (uniform). A trial shows one pair of the four cues (drawn
//! uniformly): at each of its steps but the last two, with probability
//! `1 − zprob`, the observation carries the next cue of the pair
//! (alternating), otherwise no cue. At its second-to-last step the
//! observation carries the *response cue* (the first bit alone set); the
//! action of the last step is the answer — 1: the target was shown, 0: it
//! was not — rewarded +1 if right and −1 if wrong, in that step's return.
//! Every other step's reward is 0 (the actions there are free).
//!
//! The observation is `cuebits + 4` values: the cue field, then the step
//! count since the episode began, the previous action one-hot (0, then 1),
//! and the previous step's reward. Two actions.
//!
//! Differences from BindsNET's code, where it does not do what its
//! docstring and the paper say: its trial length is
//! `randint(10, 20) // epdur` (0 for any episode longer than 20 steps, so
//! every step starts a new trial and is scored); it returns one shared
//! array as every observation and never clears it (a cue once shown stays
//! in the field); its target is drawn from 0..=4 (a fifth, never-shown cue
//! one time in five); and it reseeds Python's global generators with the
//! same seed at every reset. Here trials last 10–20 steps, each
//! observation is fresh, the target is one of the four cues and draws come
//! from spikeflow's generator, seeded per episode. The cue patterns are
//! drawn bit by bit (none all-zero, none equal to the response cue, all
//! distinct) rather than as integers written in binary.

use super::env::{check_action, not_running, Environment, Space, Step};
use crate::rng::Rng;
use crate::{Error, Result};

/// Cues per episode (BindsNET's `NUM_CUES`).
pub const N_CUES: usize = 4;
/// Shortest and longest trial, in steps.
const TRIAL_STEPS: (usize, usize) = (10, 20);

/// `CueRewardSimulator`'s parameters (defaults: BindsNET's).
#[derive(Debug, Clone, PartialEq)]
pub struct CueRewardParams {
    /// Steps per episode (`epdur`). 200.
    pub epdur: usize,
    /// Bits of a cue pattern (`cuebits`). 20.
    pub cuebits: usize,
    /// Probability of a step without a cue inside a trial (`zprob`). 0.6.
    pub zprob: f64,
}

impl Default for CueRewardParams {
    fn default() -> Self {
        CueRewardParams {
            epdur: 200,
            cuebits: 20,
            zprob: 0.6,
        }
    }
}

/// The cue-reward environment.
#[derive(Debug, Clone)]
pub struct CueRewardSimulator {
    p: CueRewardParams,
    rng: Rng,
    /// The four cue patterns, `N_CUES × cuebits`.
    cues: Vec<f32>,
    target: usize,
    step: usize,
    /// Steps left in the current trial.
    trial_left: usize,
    pair: [usize; 2],
    /// Which cue of the pair shows next.
    next_of_pair: usize,
    target_shown: bool,
    previous_action: usize,
    previous_reward: f32,
    running: bool,
}

impl CueRewardSimulator {
    /// A simulator with `p`.
    ///
    /// # Errors
    /// `epdur` of 0, `cuebits` below 2 (a cue field too small for four
    /// distinct cues besides the response cue), or `zprob` outside `[0, 1]`.
    pub fn new(p: CueRewardParams) -> Result<Self> {
        let o = "CueRewardSimulator";
        if p.epdur == 0 {
            return Err(Error::param(o, "epdur must be at least 1 step"));
        }
        if p.cuebits < 3 {
            return Err(Error::param(
                o,
                format!(
                    "cuebits = {} leaves no room for {N_CUES} distinct cues besides the \
                     response cue (at least 3)",
                    p.cuebits
                ),
            ));
        }
        if !(0.0..=1.0).contains(&p.zprob) {
            return Err(Error::param(
                o,
                format!("zprob = {} must be a probability in [0, 1]", p.zprob),
            ));
        }
        Ok(CueRewardSimulator {
            cues: vec![0.0; N_CUES * p.cuebits],
            p,
            rng: Rng::seed_from_u64(0),
            target: 0,
            step: 0,
            trial_left: 0,
            pair: [0, 1],
            next_of_pair: 0,
            target_shown: false,
            previous_action: 0,
            previous_reward: 0.0,
            running: false,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &CueRewardParams {
        &self.p
    }

    /// This episode's target cue (`0..4`).
    pub fn target(&self) -> usize {
        self.target
    }

    /// Cue `k`'s pattern (`cuebits` values of 0 or 1).
    pub fn cue(&self, k: usize) -> &[f32] {
        &self.cues[k * self.p.cuebits..(k + 1) * self.p.cuebits]
    }

    fn draw_cues(&mut self) {
        let b = self.p.cuebits;
        let mut k = 0;
        while k < N_CUES {
            let c: Vec<f32> = (0..b)
                .map(|_| {
                    if self.rng.next_u64() >> 63 == 1 {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            let ones = c.iter().filter(|&&x| x == 1.0).count();
            let response_cue = ones == 1 && c[0] == 1.0;
            let seen = (0..k).any(|j| self.cues[j * b..(j + 1) * b] == c[..]);
            if ones == 0 || response_cue || seen {
                continue;
            }
            self.cues[k * b..(k + 1) * b].copy_from_slice(&c);
            k += 1;
        }
    }

    fn new_trial(&mut self) {
        let (lo, hi) = TRIAL_STEPS;
        self.trial_left = lo + self.rng.below(hi - lo + 1);
        let a = self.rng.below(N_CUES);
        let b = (a + 1 + self.rng.below(N_CUES - 1)) % N_CUES;
        self.pair = [a, b];
        self.target_shown = self.pair.contains(&self.target);
        self.next_of_pair = 0;
    }

    fn observation(&self, cue: Option<&[f32]>) -> Vec<f32> {
        let b = self.p.cuebits;
        let mut o = vec![0.0; b + 4];
        if let Some(c) = cue {
            o[..b].copy_from_slice(c);
        }
        o[b] = self.step as f32;
        o[b + 1] = f32::from(u8::from(self.previous_action == 0));
        o[b + 2] = f32::from(u8::from(self.previous_action == 1));
        o[b + 3] = self.previous_reward;
        o
    }
}

impl Environment for CueRewardSimulator {
    fn name(&self) -> &str {
        "CueRewardSimulator"
    }

    fn observation_space(&self) -> Space {
        let b = self.p.cuebits;
        let mut low = vec![0.0; b + 4];
        let mut high = vec![1.0; b + 4];
        high[b] = self.p.epdur as f32;
        low[b + 3] = -1.0;
        Space::Box { low, high }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(2)
    }

    fn reset(&mut self, seed: u64) -> Result<Vec<f32>> {
        self.rng = Rng::seed_from_u64(seed);
        self.draw_cues();
        self.target = self.rng.below(N_CUES);
        self.step = 0;
        self.trial_left = 0;
        self.previous_action = 0;
        self.previous_reward = 0.0;
        self.running = true;
        Ok(self.observation(None))
    }

    fn step(&mut self, action: usize) -> Result<Step> {
        let o = "CueRewardSimulator";
        if !self.running {
            return Err(not_running(o));
        }
        check_action(o, action, 2)?;
        self.step += 1;
        if self.trial_left == 0 {
            self.new_trial();
        }
        // The observation's history fields describe the step before this one.
        let mut reward = 0.0;
        let mut cue: Option<Vec<f32>> = None;
        match self.trial_left {
            2 => {
                let mut r = vec![0.0; self.p.cuebits];
                r[0] = 1.0;
                cue = Some(r);
            }
            1 => {
                reward = if (action == 1) == self.target_shown {
                    1.0
                } else {
                    -1.0
                }
            }
            _ => {
                if self.rng.uniform_f64() >= self.p.zprob {
                    let k = self.pair[self.next_of_pair];
                    cue = Some(self.cue(k).to_vec());
                    self.next_of_pair ^= 1;
                }
            }
        }
        let observation = self.observation(cue.as_deref());
        self.trial_left -= 1;
        self.previous_action = action;
        self.previous_reward = reward;
        let done = self.step >= self.p.epdur;
        self.running = !done;
        Ok(Step {
            observation,
            reward,
            done,
            truncated: false,
            info: vec![
                ("target".into(), self.target as f64),
                ("pair_first".into(), self.pair[0] as f64),
                ("pair_second".into(), self.pair[1] as f64),
                (
                    "target_shown".into(),
                    f64::from(u8::from(self.target_shown)),
                ),
            ],
        })
    }
}
