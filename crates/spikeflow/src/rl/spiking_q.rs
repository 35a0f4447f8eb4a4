//! A spiking Q-learning cart-pole controller: TD-error-modulated STDP on
//! one-hot state boxes (Liu & Pan 2023, "Spiking Neural-Networks-Based
//! Data-Driven Control", Electronics 12(2):310, its TD-STDP controller as
//! reimplemented in NESTML's cart-pole tutorial).
//!
//! Network: one input neuron per state box ([`StateBoxes`]) → two output
//! populations of `per_action` LIF neurons (one per action), all to all,
//! weights the voltage jump (mV) of an input spike. Each environment step
//! is one *decision window* of `window` network steps (1 ms each): the
//! network's state (voltages, traces, eligibility) is reset, the active
//! box's neuron fires every `input_period` steps, the other inputs are
//! silent, and
//!
//! * `Q(s, a) = q_scale × (spikes of population a in the window)`;
//! * the action is ε-greedy on Q (ties broken at random);
//! * the eligibility of each synapse is MSTDPET's (Florian 2007, the
//!   engine's [`MstdpEt`](crate::learning::MstdpEt)): STDP pairings `ζ`
//!   (pre trace × post spike, post trace × pre spike) integrated over the
//!   window, `E ← E·e^{−1/τ_e} + ζ/τ_e`; the window is run with reward 0,
//!   so the engine changes no weight and `E` is what it holds at the end.
//!
//! Learning is a three-factor rule: when the next state's window has been
//! run, the TD error ([`td_error`])
//!
//! ```text
//! δ = r + γ·max_a' Q(s', a') − Q(s, a)    (continuing, and at truncation)
//! δ = −Q(s, a)                            (the pole fell / the cart left)
//! ```
//!
//! is the third factor of MSTDPET's update, `Δw = nu·dt·δ·E` (dt = 1 ms),
//! applied — as in Liu & Pan — only to the synapses onto the population of
//! the action taken, with the eligibility of the window that chose it (the
//! controller keeps that window's `E`, because `δ` is known only after the
//! next window); weights are clipped to `[wmin, wmax]`. There is no penalty
//! at the step limit: a truncated episode bootstraps from `Q(s', ·)` like a
//! continuing one (Liu & Pan give `δ = 0` there).
//!
//! Differences from Liu & Pan's code, and why:
//!
//! * Current-based LIF (BindsNET's `LIFNodes`: rest and reset −65 mV,
//!   threshold −52 mV, τ_m 100 ms, no refractory period) instead of
//!   conductance-based neurons, and the input neuron firing every 1 ms
//!   (1 kHz, dt 1 ms) instead of 5 kHz at dt 0.1 ms.
//! * `a_minus` = −1.05e-3 × `a_plus` keeps their ratio of the post- to the
//!   pre-trace increment (−1.05e-7 / 1e-4): with an input spiking every
//!   step, a symmetric STDP window would cancel the eligibility.
//! * `wmin` is high enough that every output neuron fires in the window, so
//!   that every synapse of the active box has eligibility (a silent
//!   population would have none and could never learn back).
//! * The defaults ([`SpikingQ::default`]) — boxes, γ, the learning rate,
//!   the exploration schedule — are the best of a short sweep on seeds
//!   0–2, not Liu & Pan's (see the README for what was tried).
//!
//! Everything random (the initial weights, each episode's start state and
//! exploration draws) comes from `seed`, episode `e` from seeds derived
//! from `(seed, e)`, so a run resumed from saved weights continues as the
//! uninterrupted one.
//!
//! ```
//! use spikeflow::rl::SpikingQ;
//! let mut run = SpikingQ { seed: 3, ..Default::default() }.build()?;
//! let e = run.run_episode()?;
//! assert_eq!(e.episode, 0);
//! assert!(e.length >= 1 && e.length <= 200);
//! # Ok::<(), spikeflow::Error>(())
//! ```

use super::boxes::StateBoxes;
use super::cartpole::{CartPole, CartPoleParams};
use super::env::Environment;
use super::pipeline::EpisodeSummary;
use super::record::EpisodeRecorder;
use crate::learning::{Mstdp, MstdpEt};
use crate::monitor::MonitorSpec;
use crate::network::{Connect, Network, Reward, RunInput, RunOptions};
use crate::nodes::{Input, LifNodes, NodeOptions};
use crate::rng::{splitmix64, Rng};
use crate::topology::Dense;
use crate::{Error, Result, SpikeRaster};

/// The input → output connection's name.
pub const SPIKING_Q_CONNECTION: &str = "X -> Y";
const MONITOR: &str = "spiking-q:output";

/// The controller's settings (defaults: the best configuration found).
#[derive(Debug, Clone, PartialEq)]
pub struct SpikingQ {
    /// The state boxes (one input neuron each).
    pub boxes: StateBoxes,
    /// Output LIF neurons per action. Default 10.
    pub per_action: usize,
    /// Network steps (ms) per decision. Default 10.
    pub window: usize,
    /// The active input fires every `input_period` steps. Default 1.
    pub input_period: usize,
    /// Initial weights, uniform in this range (mV). Default (4, 6).
    pub w_init: (f32, f32),
    /// Lower weight bound (mV). Default 3: every output neuron fires at
    /// least once in a 10 ms window, so every synapse of the active box has
    /// eligibility.
    pub wmin: f32,
    /// Upper weight bound (mV). Default 12: below the 13 mV from rest to
    /// threshold, where a neuron jumps from 4 to 9 spikes per window.
    pub wmax: f32,
    /// MSTDPET's eligibility time constant τ_e (ms). Default 1000 (next to
    /// no decay within a window, as Liu & Pan's non-decaying trace).
    pub tc_e: f32,
    /// MSTDP's pre-trace increment. Default 1.
    pub a_plus: f32,
    /// MSTDP's post-trace increment. Default −1.05e-3.
    pub a_minus: f32,
    /// Learning rate `nu` of `Δw = nu·dt·δ·E`. Default 15.
    pub nu: f32,
    /// Q per output spike. Default 0.5 (10 neurons × at most 4 spikes
    /// make Q ≤ 20 = 1/(1 − γ), the value of balancing for ever).
    pub q_scale: f32,
    /// Discount γ. Default 0.95.
    pub gamma: f32,
    /// Exploration probability of the first episodes. Default 0.5.
    pub epsilon_start: f32,
    /// Episodes at `epsilon_start` before it decays. Default 0.
    pub explore_episodes: usize,
    /// Factor per episode after that. Default 0.98.
    pub epsilon_decay: f32,
    /// Floor of the exploration probability. Default 0.
    pub epsilon_min: f32,
    /// Apply the updates (`false`: the frozen control).
    pub learning: bool,
    /// The cart-pole (default gym's v0: 200 steps).
    pub cartpole: CartPoleParams,
    /// Seed of every draw.
    pub seed: u64,
}

impl Default for SpikingQ {
    fn default() -> Self {
        SpikingQ {
            boxes: StateBoxes::barto_162(),
            per_action: 10,
            window: 10,
            input_period: 1,
            w_init: (4.0, 6.0),
            wmin: 3.0,
            wmax: 12.0,
            tc_e: 1000.0,
            a_plus: 1.0,
            a_minus: -1.05e-3,
            nu: 15.0,
            q_scale: 0.5,
            gamma: 0.95,
            epsilon_start: 0.5,
            explore_episodes: 0,
            epsilon_decay: 0.98,
            epsilon_min: 0.0,
            learning: true,
            cartpole: CartPoleParams::default(),
            seed: 0,
        }
    }
}

/// What the step after an action was, for the TD error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The episode goes on, or was truncated at the step limit: bootstrap
    /// from the best Q of the next state.
    Next {
        /// `max_a' Q(s', a')`.
        max_q: f32,
    },
    /// The pole fell or the cart left the track: the next state is worth 0.
    Failed,
}

/// The TD error `δ` of Q-learning: `r + γ·max Q(s') − Q(s, a)`, or
/// `−Q(s, a)` after a failure (Liu & Pan: the failing step earns nothing).
pub fn td_error(reward: f32, q_sa: f32, outcome: Outcome, gamma: f32) -> f32 {
    match outcome {
        Outcome::Next { max_q } => reward + gamma * max_q - q_sa,
        Outcome::Failed => -q_sa,
    }
}

/// One environment step of the controller.
#[derive(Debug, Clone, PartialEq)]
pub struct QStep {
    /// The box of the state acted in.
    pub state_box: usize,
    /// Q of each action there (before the update).
    pub q: [f32; 2],
    /// The action taken.
    pub action: usize,
    /// Whether it was an exploration draw.
    pub explored: bool,
    /// The environment's reward.
    pub reward: f32,
    /// Q of each action in the next state (`None` after a failure).
    pub next_q: Option<[f32; 2]>,
    /// The TD error that gated the update.
    pub delta: f32,
    /// The episode ended.
    pub done: bool,
    /// It ended by truncation.
    pub truncated: bool,
}

/// A running controller (built by [`SpikingQ::build`]).
#[derive(Debug)]
pub struct SpikingQRun {
    cfg: SpikingQ,
    net: Network,
    env: CartPole,
    recorder: EpisodeRecorder,
    episode: u64,
    /// The input of a window, reused from window to window.
    raster: SpikeRaster,
    // The episode in progress.
    active: bool,
    rng: Rng,
    epsilon: f32,
    state_box: usize,
    q: [f32; 2],
    elig: Vec<f32>,
    episode_return: f32,
    steps: usize,
}

/// A seed derived from `(seed, k)` (as the environment pipeline's).
fn derive(seed: u64, k: u64) -> u64 {
    let mut s = seed ^ k.wrapping_mul(0xD1B5_4A32_D192_ED03);
    splitmix64(&mut s)
}

impl SpikingQ {
    /// The exploration probability of episode `e`.
    pub fn epsilon(&self, e: u64) -> f32 {
        let k = e.saturating_sub(self.explore_episodes as u64);
        let k = i32::try_from(k).unwrap_or(i32::MAX);
        (self.epsilon_start * self.epsilon_decay.powi(k)).max(self.epsilon_min)
    }

    fn validate(&self) -> Result<()> {
        let o = "SpikingQ";
        if self.per_action == 0 || self.window == 0 || self.input_period == 0 {
            return Err(Error::param(
                o,
                "per_action, window and input_period must be > 0",
            ));
        }
        if self.boxes.dim() != 4 {
            return Err(Error::param(o, "the boxes must cover 4 variables"));
        }
        let finite = [
            self.w_init.0,
            self.w_init.1,
            self.wmin,
            self.wmax,
            self.nu,
            self.q_scale,
            self.gamma,
            self.epsilon_start,
            self.epsilon_decay,
            self.epsilon_min,
        ];
        if finite.iter().any(|v| !v.is_finite()) {
            return Err(Error::param(o, "parameters must be finite"));
        }
        if !(self.wmin <= self.w_init.0
            && self.w_init.0 <= self.w_init.1
            && self.w_init.1 <= self.wmax)
        {
            return Err(Error::param(o, "needs wmin ≤ w_init.0 ≤ w_init.1 ≤ wmax"));
        }
        let probs = [self.epsilon_start, self.epsilon_decay, self.epsilon_min];
        if probs.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(Error::param(o, "epsilon values must be in [0, 1]"));
        }
        if !(0.0..=1.0).contains(&self.gamma) {
            return Err(Error::param(o, "gamma must be in [0, 1]"));
        }
        Ok(())
    }

    /// Builds the network and the environment.
    ///
    /// # Errors
    /// Invalid settings.
    pub fn build(&self) -> Result<SpikingQRun> {
        self.validate()?;
        let n_in = self.boxes.n();
        let n_out = 2 * self.per_action;
        let mut rng = Rng::seed_from_u64(derive(self.seed, u64::MAX));
        let (lo, hi) = self.w_init;
        let w = (0..n_in * n_out)
            .map(|_| lo + (hi - lo) * rng.uniform_f32())
            .collect();
        let mut b = Network::builder().seed(self.seed);
        b.add_population("X", &[n_in], Input, NodeOptions::default());
        let lif = LifNodes {
            refrac: 0.0.into(),
            ..Default::default()
        };
        b.add_population("Y", &[n_out], lif, NodeOptions::default());
        let rule = MstdpEt {
            mstdp: Mstdp {
                a_plus: self.a_plus,
                a_minus: self.a_minus,
                ..Default::default()
            },
            tc_e_trace: self.tc_e,
        };
        b.connect(
            Connect::new("X", "Y", Dense::with_weights(w))
                .rule(rule)
                .nu((self.nu, 0.0))
                .wmin(self.wmin)
                .wmax(self.wmax),
        );
        let mut net = b.build()?;
        net.add_monitor(MONITOR, MonitorSpec::new("Y", &["s"]).capacity(self.window))?;
        let env = CartPole::new(self.cartpole.clone())?;
        Ok(SpikingQRun {
            cfg: self.clone(),
            net,
            env,
            recorder: EpisodeRecorder::default(),
            episode: 0,
            raster: SpikeRaster::zeros(vec![self.window, 1, n_in]),
            active: false,
            rng: Rng::seed_from_u64(0),
            epsilon: 0.0,
            state_box: 0,
            q: [0.0; 2],
            elig: vec![0.0; self.per_action],
            episode_return: 0.0,
            steps: 0,
        })
    }
}

impl SpikingQRun {
    /// The settings.
    pub fn config(&self) -> &SpikingQ {
        &self.cfg
    }
    /// The network (connection [`SPIKING_Q_CONNECTION`]).
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// The network, mutable (e.g. to restore saved weights).
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }
    /// The finished episodes.
    pub fn recorder(&self) -> &EpisodeRecorder {
        &self.recorder
    }
    /// Number of finished episodes (the index of the next one).
    pub fn episode(&self) -> u64 {
        self.episode
    }
    /// Continues from a saved point (the weights restored separately):
    /// `recorder` holds the finished episodes; abandons an episode in
    /// progress.
    pub fn restore(&mut self, recorder: EpisodeRecorder) {
        self.episode = recorder.len() as u64;
        self.recorder = recorder;
        self.active = false;
    }

    /// Runs one decision window with box `b` active (from a reset state);
    /// returns each action's Q.
    fn window(&mut self, b: usize) -> Result<[f32; 2]> {
        let n_in = self.cfg.boxes.n();
        self.net.reset_state();
        let raster = self.raster.data_mut();
        raster.fill(false);
        for t in (0..self.cfg.window).step_by(self.cfg.input_period) {
            raster[t * n_in + b] = true;
        }
        let options = RunOptions {
            reward: Reward::Scalar(0.0),
            ..Default::default()
        };
        self.net.run_inputs(
            &[("X", RunInput::from(&self.raster))],
            self.cfg.window,
            &options,
        )?;
        let s = self.net.monitor(MONITOR)?.get("s")?;
        let k = self.cfg.per_action;
        let mut counts = [0u32; 2];
        for row in s.data().chunks(2 * k) {
            for (j, &v) in row.iter().enumerate() {
                counts[j / k] += u32::from(v != 0.0);
            }
        }
        Ok(counts.map(|c| self.cfg.q_scale * c as f32))
    }

    /// Keeps box `b`'s eligibility onto `action`'s population, now.
    fn keep_eligibility(&mut self, b: usize, action: usize) -> Result<()> {
        let k = self.cfg.per_action;
        let e = self
            .net
            .connection_state(SPIKING_Q_CONNECTION, "eligibility")?;
        let row = b * 2 * k + action * k;
        self.elig.copy_from_slice(&e[row..row + k]);
        Ok(())
    }

    fn choose(&mut self, q: [f32; 2]) -> (usize, bool) {
        if self.rng.uniform_f32() < self.epsilon {
            return (self.rng.below(2), true);
        }
        let a = if q[0] == q[1] {
            self.rng.below(2)
        } else {
            usize::from(q[1] > q[0])
        };
        (a, false)
    }

    /// `Δw = nu·dt·δ·E` on box `b`'s synapses onto `action`'s population.
    fn update(&mut self, b: usize, action: usize, delta: f32) -> Result<()> {
        if !self.cfg.learning || delta == 0.0 {
            return Ok(());
        }
        let k = self.cfg.per_action;
        let (nu, lo, hi) = (self.cfg.nu, self.cfg.wmin, self.cfg.wmax);
        let w = self.net.weights_mut(SPIKING_Q_CONNECTION)?;
        let row = b * 2 * k + action * k;
        for (w, e) in w[row..row + k].iter_mut().zip(&self.elig) {
            *w = (*w + nu * delta * e).clamp(lo, hi);
        }
        Ok(())
    }

    fn begin_episode(&mut self) -> Result<()> {
        let seed = self.cfg.seed;
        let obs = self.env.reset(derive(seed, 2 * self.episode))?;
        self.rng = Rng::seed_from_u64(derive(seed, 2 * self.episode + 1));
        self.epsilon = self.cfg.epsilon(self.episode);
        self.state_box = self.cfg.boxes.index(&obs)?;
        self.q = self.window(self.state_box)?;
        self.episode_return = 0.0;
        self.steps = 0;
        self.active = true;
        Ok(())
    }

    /// One environment step (starting an episode if none is in progress):
    /// choose from the current window's Q, act, run the next state's
    /// window, apply the TD-gated update.
    ///
    /// # Errors
    /// An engine error (none expected for a network built by
    /// [`SpikingQ::build`]). After an error the episode is abandoned.
    pub fn step(&mut self) -> Result<QStep> {
        if !self.active {
            self.begin_episode()?;
        }
        let out = self.step_inner();
        if out.is_err() {
            self.active = false;
        }
        out
    }

    fn step_inner(&mut self) -> Result<QStep> {
        let (b, q) = (self.state_box, self.q);
        let (action, explored) = self.choose(q);
        self.keep_eligibility(b, action)?;
        let step = self.env.step(action)?;
        self.episode_return += step.reward;
        self.steps += 1;
        let failed = step.done && !step.truncated;
        let (next_q, delta) = if failed {
            (None, td_error(step.reward, q[action], Outcome::Failed, 0.0))
        } else {
            let nb = self.cfg.boxes.index(&step.observation)?;
            let nq = self.window(nb)?;
            self.state_box = nb;
            self.q = nq;
            let max_q = nq[0].max(nq[1]);
            let d = td_error(
                step.reward,
                q[action],
                Outcome::Next { max_q },
                self.cfg.gamma,
            );
            (Some(nq), d)
        };
        self.update(b, action, delta)?;
        if step.done {
            self.recorder.push(self.episode_return, self.steps);
            self.episode += 1;
            self.active = false;
        }
        Ok(QStep {
            state_box: b,
            q,
            action,
            explored,
            reward: step.reward,
            next_q,
            delta,
            done: step.done,
            truncated: step.truncated,
        })
    }

    /// Runs one whole episode (finishing the one in progress, if any).
    ///
    /// # Errors
    /// As [`step`](Self::step).
    pub fn run_episode(&mut self) -> Result<EpisodeSummary> {
        let episode = self.episode;
        while !self.step()?.done {}
        Ok(EpisodeSummary {
            episode,
            episode_return: *self.recorder.returns().last().unwrap_or(&0.0),
            length: *self.recorder.lengths().last().unwrap_or(&0),
        })
    }
}
