//! Reward learning: environments, observation encoders, action selectors
//! and the environment loop (BindsNET's `bindsnet/environment` and
//! `EnvironmentPipeline`).
//!
//! * [`Environment`]: gym's contract — `reset(seed) → observation`,
//!   `step(action) → Step { observation, reward, done, truncated, info }`,
//!   observation and action [`Space`]s — deterministic from the seed.
//!   Built in: [`CartPole`] (Barto, Sutton & Anderson 1983, gym's
//!   constants), BindsNET's dot-tracing task ([`DotSimulator`]), its
//!   cue-reward task ([`CueRewardSimulator`], Backpropamine's) and
//!   [`CueChoice`] (a generated cue → action task; one cue makes it a
//!   bandit).
//! * [`ObservationEncoder`]: observation → input spikes for one
//!   environment step ([`RateEncoder`], [`PlaceEncoder`]).
//! * [`ActionSelector`]: output spikes → action (BindsNET's softmax,
//!   multinomial, highest, first spike, random; plus ε-greedy).
//! * [`EnvironmentPipeline`]: the loop (observation → spikes → run →
//!   action → reward → rules), with the reward handed to the rules as
//!   `RunOptions::reward`, optionally through reward shaping and a
//!   [`RewardFn`](crate::learning::RewardFn) such as
//!   [`MovingAvgRpe`](crate::learning::MovingAvgRpe) (its `update` called
//!   at the end of every episode).
//! * [`EpisodeRecorder`]: returns and lengths per episode, moving averages.
//! * [`DistalReward`]: Izhikevich's (2007) distal reward experiment — a
//!   recurrent network, one synapse rewarded 1–3 s after it takes part in
//!   a causal pair, learned by `MstdpEt` with a 1 s eligibility trace.
//! * [`FlorianXor`]: Florian's (2007) XOR with rate-coded and temporally
//!   coded input, learned by `Mstdp` or `MstdpEt` from a reward of ±1 per
//!   output spike.
//! * [`SpikingQ`]: a spiking Q-learning cart-pole controller (Liu & Pan
//!   2023): one-hot [`StateBoxes`] → two LIF action populations, Q = spike
//!   counts, the TD error as the third factor of `MstdpEt`'s update on the
//!   chosen action's synapses; solves `CartPole-v0`.
//!
//! The learning itself is the reward-modulated rules of
//! [`learning`](crate::learning) (`Mstdp`, `MstdpEt`; Florian 2007).
//!
//! ```
//! use spikeflow::prelude::*;
//! use spikeflow::rl::*;
//!
//! // Two cues, each rewarded for the other action: 1 trial per episode.
//! let env = CueChoice::new(2, vec![1, 0], 1)?;
//! let encoder = RateEncoder::new(vec![0.0; 2], vec![1.0; 2], 0.5)?;
//! let mut b = Network::builder().seed(1);
//! b.add_population("X", &[2], Input, NodeOptions::default());
//! b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
//! b.connect(Connect::new("X", "Y", Dense::with_weights(vec![30.0; 4]))
//!     .rule(Mstdp::default()).nu((0.5, 0.0)).wmin(0.0).wmax(60.0));
//! let mut config = PipelineConfig::new("X", "Y", 20);
//! config.selector = ActionSelector::HighestRandomTies;
//! config.timing = RewardTiming::Immediate { steps: 5 };
//! let mut pipeline = EnvironmentPipeline::new(
//!     b.build()?, Box::new(env), Box::new(encoder), config)?;
//! let episode = pipeline.run_episode(10)?;
//! assert_eq!(episode.length, 1);
//! assert_eq!(pipeline.recorder().len(), 1);
//! # Ok::<(), spikeflow::Error>(())
//! ```

mod boxes;
mod cartpole;
mod cue_choice;
mod cue_reward;
mod distal_reward;
mod dot;
mod encode;
mod env;
mod florian_xor;
mod pipeline;
mod record;
mod select;
mod spiking_q;

pub use boxes::StateBoxes;
pub use cartpole::{CartPole, CartPoleParams, CartPoleReward};
pub use cue_choice::CueChoice;
pub use cue_reward::{CueRewardParams, CueRewardSimulator, N_CUES};
pub use distal_reward::{DistalReward, DistalRewardRun, SecondStats};
pub use dot::{DotBounds, DotFitness, DotParams, DotSimulator};
pub use encode::{ObservationEncoder, PlaceEncoder, RateEncoder};
pub use env::{Environment, Space, Step};
pub use florian_xor::{FlorianXor, FlorianXorRun, ModulatedRule, XorCoding, XorEpoch};
pub use pipeline::{
    failure_signal, EnvironmentPipeline, EpisodeSummary, PipelineConfig, ResetPolicy,
    RewardShaping, RewardTiming, Transition,
};
pub use record::{trailing_mean, EpisodeRecorder};
pub use select::ActionSelector;
pub use spiking_q::{td_error, Outcome, QStep, SpikingQ, SpikingQRun, SPIKING_Q_CONNECTION};
