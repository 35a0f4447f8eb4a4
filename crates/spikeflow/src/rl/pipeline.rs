//! The environment loop (BindsNET's `EnvironmentPipeline`): observation →
//! input spikes → network run → action → environment step → reward →
//! learning rules, episode after episode.
//!
//! One environment step ([`EnvironmentPipeline::step`]):
//!
//! 1. if [`ResetPolicy::EnvStep`], reset the network's state;
//! 2. encode the current observation into `time` steps of input spikes
//!    (the [`ObservationEncoder`], drawing from the episode's generator);
//! 3. run the network for `time` steps, with the reward of
//!    [`RewardTiming`] (see below);
//! 4. choose the action from the output population's spikes of that run
//!    ([`ActionSelector`]);
//! 5. step the environment; check its observation and reward;
//! 6. the reward the rules get: the environment's reward, through the
//!    optional shaping function, then through the optional [`RewardFn`]
//!    (`compute`, once per environment step — BindsNET calls it once per
//!    `run`, which is once per environment step);
//! 7. [`RewardTiming::Immediate`]: run `steps` more steps on a fresh
//!    encoding of the same observation with that reward, so that it meets
//!    the eligibility of the spikes that chose the action;
//!    [`RewardTiming::NextRun`] (BindsNET): keep it for the run of the next
//!    observation — and when the episode ends, run once more on the final
//!    observation to deliver it (BindsNET runs the network on every
//!    observation `env.step` returns);
//! 8. at the end of an episode: `RewardFn::update(Σ shaped rewards, steps)`
//!    and the episode's return (sum of the environment's rewards) and
//!    length go to the [`EpisodeRecorder`].
//!
//! Differences from BindsNET: BindsNET chooses the action of step `k` from
//! the run of step `k − 1` and never runs the network on the observation of
//! `reset` (its first action of an episode comes from a stale or empty
//! record); here each action comes from the run on the observation it acts
//! on, the reset observation included. Reward delay, frame overlays and
//! forced random actions are not implemented. Episode `e` draws everything
//! (the environment's `reset` seed, encodings, selections) from seeds
//! derived from `(seed, e)`, so a run is reproducible episode by episode.

use super::encode::ObservationEncoder;
use super::env::{Environment, Space, Step};
use super::record::EpisodeRecorder;
use super::select::ActionSelector;
use crate::learning::RewardFn;
use crate::monitor::MonitorSpec;
use crate::rng::{splitmix64, Rng};
use crate::{Error, Network, Result, Reward, RunInput, RunOptions, SpikeRaster};

/// When the reward of an environment step reaches the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardTiming {
    /// BindsNET: with the run of the next observation (the run that chose
    /// the action gets the previous step's reward; the first run of an
    /// episode gets 0).
    NextRun,
    /// Right after the action: `steps` more network steps on the same
    /// observation carry the reward; the run that chooses gets 0.
    Immediate {
        /// Network steps of the reward phase (> 0).
        steps: usize,
    },
}

/// When the network's state (voltages, traces, eligibilities) is reset.
/// Weights are never reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetPolicy {
    /// At the start of every episode (BindsNET).
    Episode,
    /// Before every environment step.
    EnvStep,
    /// Never.
    Never,
}

/// The pipeline's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// The input population (its size = the encoder's inputs).
    pub input: String,
    /// The output population (its size = a multiple of the actions).
    pub output: String,
    /// Network steps per environment step (BindsNET's `time`).
    pub time: usize,
    /// How actions are chosen.
    pub selector: ActionSelector,
    /// When rewards reach the rules.
    pub timing: RewardTiming,
    /// When the network's state is reset.
    pub reset: ResetPolicy,
    /// Seed of every draw the pipeline and the environment make.
    pub seed: u64,
}

impl PipelineConfig {
    /// BindsNET's defaults: softmax selection, reward with the next run,
    /// reset per episode, seed 0.
    pub fn new(input: &str, output: &str, time: usize) -> Self {
        PipelineConfig {
            input: input.to_string(),
            output: output.to_string(),
            time,
            selector: ActionSelector::Softmax { temperature: 1.0 },
            timing: RewardTiming::NextRun,
            reset: ResetPolicy::Episode,
            seed: 0,
        }
    }
}

/// A function of the environment's step giving the reward the rules see
/// (before any [`RewardFn`]); e.g. [`failure_signal`].
pub type RewardShaping = Box<dyn FnMut(&Step) -> f32 + Send>;

/// Barto, Sutton & Anderson's (1983) failure signal: −1 when the episode
/// ends other than by truncation, 0 otherwise.
pub fn failure_signal(step: &Step) -> f32 {
    if step.done && !step.truncated {
        -1.0
    } else {
        0.0
    }
}

/// What one environment step did.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The action taken.
    pub action: usize,
    /// Spikes of each action's output group in the run that chose it.
    pub counts: Vec<u32>,
    /// The environment's reward.
    pub env_reward: f32,
    /// The reward handed to the rules (after shaping and the reward
    /// function).
    pub reward: f32,
    /// The episode ended.
    pub done: bool,
    /// It ended by truncation.
    pub truncated: bool,
}

/// One finished episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeSummary {
    /// Its index (0-based).
    pub episode: u64,
    /// Sum of the environment's rewards.
    pub episode_return: f32,
    /// Environment steps.
    pub length: usize,
}

const MONITOR: &str = "rl:output";

/// A seed derived from `(seed, k)`.
fn derive(seed: u64, k: u64) -> u64 {
    let mut s = seed ^ k.wrapping_mul(0xD1B5_4A32_D192_ED03);
    splitmix64(&mut s)
}

/// The environment loop; owns the network, environment and encoder.
pub struct EnvironmentPipeline {
    net: Network,
    env: Box<dyn Environment>,
    encoder: Box<dyn ObservationEncoder>,
    config: PipelineConfig,
    reward_fn: Option<Box<dyn RewardFn>>,
    shaping: Option<RewardShaping>,
    recorder: EpisodeRecorder,
    n_actions: usize,
    n_out: usize,
    episode: u64,
    // The episode in progress.
    active: bool,
    obs: Vec<f32>,
    rng: Rng,
    pending: f32,
    episode_return: f32,
    shaped_sum: f32,
    steps: usize,
}

impl std::fmt::Debug for EnvironmentPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvironmentPipeline")
            .field("env", &self.env)
            .field("encoder", &self.encoder)
            .field("config", &self.config)
            .field("reward_fn", &self.reward_fn)
            .field("shaping", &self.shaping.is_some())
            .field("episode", &self.episode)
            .finish_non_exhaustive()
    }
}

impl EnvironmentPipeline {
    /// Connects a network (batch 1, without a reward function of its own),
    /// an environment with discrete actions, and an encoder; adds a
    /// monitor `"rl:output"` on the output population.
    ///
    /// # Errors
    /// Unknown populations; sizes that disagree (encoder inputs vs the
    /// input population, encoder vs observation dimension, output vs
    /// actions); a non-discrete action space; `time` 0; batch ≠ 1; a
    /// network holding a reward function (give it to
    /// [`set_reward_fn`](Self::set_reward_fn) instead, so that it sees
    /// each environment reward once).
    pub fn new(
        mut net: Network,
        env: Box<dyn Environment>,
        encoder: Box<dyn ObservationEncoder>,
        config: PipelineConfig,
    ) -> Result<Self> {
        let o = "EnvironmentPipeline";
        if net.batch_size() != 1 {
            return Err(Error::param(
                o,
                format!("needs a network of batch size 1, got {}", net.batch_size()),
            ));
        }
        if net.reward_fn_mut().is_some() {
            return Err(Error::param(
                o,
                "the network has a reward function: give it to the pipeline \
                 (set_reward_fn) so that it sees each environment reward once",
            ));
        }
        if config.time == 0 {
            return Err(Error::param(o, "time must be > 0"));
        }
        if config.timing == (RewardTiming::Immediate { steps: 0 }) {
            return Err(Error::param(o, "the reward phase needs steps > 0"));
        }
        let n_in = net.population(&config.input)?.core().n();
        if n_in != encoder.n_inputs() {
            return Err(Error::shape(
                o,
                format!(
                    "the encoder makes {} inputs, population {:?} has {n_in}",
                    encoder.n_inputs(),
                    config.input
                ),
            ));
        }
        let obs_dim = env.observation_space().dim();
        if obs_dim != encoder.observation_dim() {
            return Err(Error::shape(
                o,
                format!(
                    "{} observations have {obs_dim} values, the encoder expects {}",
                    env.name(),
                    encoder.observation_dim()
                ),
            ));
        }
        let n_actions = match env.action_space() {
            Space::Discrete(n) => n,
            Space::Box { .. } => {
                return Err(Error::Unsupported(format!(
                    "{}: continuous actions (the pipeline needs a discrete action space)",
                    env.name()
                )))
            }
        };
        let n_out = net.population(&config.output)?.core().n();
        config.selector.validate(n_out, n_actions)?;
        net.add_monitor(
            MONITOR,
            MonitorSpec::new(&config.output, &["s"]).capacity(config.time),
        )?;
        Ok(EnvironmentPipeline {
            net,
            env,
            encoder,
            config,
            reward_fn: None,
            shaping: None,
            recorder: EpisodeRecorder::default(),
            n_actions,
            n_out,
            episode: 0,
            active: false,
            obs: Vec::new(),
            rng: Rng::seed_from_u64(0),
            pending: 0.0,
            episode_return: 0.0,
            shaped_sum: 0.0,
            steps: 0,
        })
    }

    /// Sets the reward function between the (shaped) environment reward
    /// and the rules (e.g. `MovingAvgRpe`).
    pub fn set_reward_fn(&mut self, f: Option<Box<dyn RewardFn>>) {
        self.reward_fn = f;
    }

    /// The reward function.
    pub fn reward_fn_mut(&mut self) -> Option<&mut (dyn RewardFn + 'static)> {
        self.reward_fn.as_deref_mut()
    }

    /// Sets the reward shaping (e.g. `Box::new(failure_signal)`).
    pub fn set_reward_shaping(&mut self, f: Option<RewardShaping>) {
        self.shaping = f;
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// The network, mutable (e.g. to turn learning off).
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.net
    }
    /// The environment.
    pub fn environment(&self) -> &dyn Environment {
        self.env.as_ref()
    }
    /// The settings.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }
    /// The finished episodes' returns and lengths.
    pub fn recorder(&self) -> &EpisodeRecorder {
        &self.recorder
    }
    /// Number of finished episodes (the index of the next one).
    pub fn episode(&self) -> u64 {
        self.episode
    }
    /// Continues from a saved point: `recorder` holds the finished
    /// episodes, and the next episode is `recorder.len()`, seeded as it
    /// would have been (abandons an episode in progress).
    pub fn restore(&mut self, recorder: EpisodeRecorder) {
        self.episode = recorder.len() as u64;
        self.recorder = recorder;
        self.active = false;
    }
    /// The network, the environment and the encoder back.
    pub fn into_parts(self) -> (Network, Box<dyn Environment>, Box<dyn ObservationEncoder>) {
        (self.net, self.env, self.encoder)
    }

    /// Starts episode [`episode`](Self::episode) (abandoning one in
    /// progress).
    ///
    /// # Errors
    /// The environment's reset fails or returns a bad observation.
    pub fn begin_episode(&mut self) -> Result<()> {
        let seed = self.config.seed;
        let obs = self.env.reset(derive(seed, 2 * self.episode))?;
        self.check_observation(&obs)?;
        self.obs = obs;
        self.rng = Rng::seed_from_u64(derive(seed, 2 * self.episode + 1));
        if self.config.reset == ResetPolicy::Episode {
            self.net.reset_state();
        }
        self.pending = 0.0;
        self.episode_return = 0.0;
        self.shaped_sum = 0.0;
        self.steps = 0;
        self.active = true;
        Ok(())
    }

    fn check_observation(&self, obs: &[f32]) -> Result<()> {
        let dim = self.encoder.observation_dim();
        if obs.len() != dim {
            return Err(Error::shape(
                self.env.name(),
                format!("observation has {} values, expected {dim}", obs.len()),
            ));
        }
        if let Some(bad) = obs.iter().find(|v| !v.is_finite()) {
            return Err(Error::param(
                self.env.name(),
                format!("observation values must be finite, got {bad}"),
            ));
        }
        Ok(())
    }

    fn run(&mut self, steps: usize, reward: f32) -> Result<()> {
        let x: SpikeRaster = self.encoder.encode(&self.obs, steps, &mut self.rng)?;
        let options = RunOptions {
            reward: Reward::Scalar(reward),
            ..Default::default()
        };
        self.net
            .run_inputs(&[(&self.config.input, RunInput::from(&x))], steps, &options)
    }

    /// One environment step (starting an episode first if none is in
    /// progress); see the module docs for the order.
    ///
    /// # Errors
    /// The network's, encoder's or environment's errors; an observation of
    /// the wrong length or with non-finite values; a non-finite reward
    /// (from the environment, the shaping or the reward function). After
    /// an error the episode is abandoned.
    pub fn step(&mut self) -> Result<Transition> {
        if !self.active {
            self.begin_episode()?;
        }
        let out = self.step_inner();
        if out.is_err() {
            self.active = false;
        }
        out
    }

    fn step_inner(&mut self) -> Result<Transition> {
        let time = self.config.time;
        if self.config.reset == ResetPolicy::EnvStep {
            self.net.reset_state();
        }
        let decision_reward = match self.config.timing {
            RewardTiming::NextRun => self.pending,
            RewardTiming::Immediate { .. } => 0.0,
        };
        self.run(time, decision_reward)?;
        let spikes = self.net.monitor(MONITOR)?.get("s")?;
        let spikes = spikes.data();
        let action = self
            .config
            .selector
            .select(spikes, time, self.n_actions, &mut self.rng)?;
        let group = self.n_out / self.n_actions;
        let mut counts = vec![0u32; self.n_actions];
        for row in spikes.chunks(self.n_out) {
            for (j, &s) in row.iter().enumerate() {
                counts[j / group] += u32::from(s != 0.0);
            }
        }
        let step = self.env.step(action)?;
        self.check_observation(&step.observation)?;
        let name = self.env.name().to_string();
        let finite = |what: &str, r: f32| {
            if r.is_finite() {
                Ok(r)
            } else {
                Err(Error::param(
                    name.as_str(),
                    format!(
                        "{what} must be finite, got {r} (episode step {})",
                        self.steps + 1
                    ),
                ))
            }
        };
        let env_reward = finite("reward", step.reward)?;
        let shaped = match &mut self.shaping {
            Some(f) => f(&step),
            None => env_reward,
        };
        let shaped = finite("shaped reward", shaped)?;
        let reward = match &mut self.reward_fn {
            Some(f) => f.compute(shaped),
            None => shaped,
        };
        let reward = finite("reward from the reward function", reward)?;
        self.episode_return += env_reward;
        self.shaped_sum += shaped;
        self.steps += 1;
        match self.config.timing {
            RewardTiming::Immediate { steps } => self.run(steps, reward)?,
            RewardTiming::NextRun => self.pending = reward,
        }
        self.obs = step.observation;
        if step.done {
            if self.config.timing == RewardTiming::NextRun {
                if self.config.reset == ResetPolicy::EnvStep {
                    self.net.reset_state();
                }
                self.run(time, self.pending)?;
            }
            if let Some(f) = &mut self.reward_fn {
                f.update(self.shaped_sum, self.steps);
            }
            self.recorder.push(self.episode_return, self.steps);
            self.episode += 1;
            self.active = false;
        }
        Ok(Transition {
            action,
            counts,
            env_reward,
            reward,
            done: step.done,
            truncated: step.truncated,
        })
    }

    /// Runs one whole episode (finishing the one in progress, if any).
    ///
    /// # Errors
    /// As [`step`](Self::step); also an episode longer than `max_steps`
    /// environment steps (an environment that never ends).
    pub fn run_episode(&mut self, max_steps: usize) -> Result<EpisodeSummary> {
        let episode = self.episode;
        for _ in 0..max_steps {
            if self.step()?.done {
                return Ok(EpisodeSummary {
                    episode,
                    episode_return: *self.recorder.returns().last().unwrap_or(&0.0),
                    length: *self.recorder.lengths().last().unwrap_or(&0),
                });
            }
        }
        self.active = false;
        Err(Error::param(
            self.env.name(),
            format!("episode {episode} did not end within {max_steps} steps"),
        ))
    }
}
