//! `spikeflow rl`: reward learning on a built-in task through
//! `spikeflow::rl::EnvironmentPipeline`, with a progress bar (episodes/s,
//! running return), `summary.json` and `returns.png` (return per episode
//! with its 100-episode moving average); `distal-reward` runs Izhikevich's
//! (2007) experiment instead (`distal.rs`), `xor-rate` / `xor-temporal`
//! Florian's (2007) XOR (`xor.rs`).

mod distal;
mod nets;
mod plot;
mod resume;
mod xor;

use anyhow::{bail, Context, Result};
use clap::{Args as ClapArgs, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget};
use serde_json::json;
use spikeflow::rl::{EnvironmentPipeline, EpisodeRecorder, EpisodeSummary, SpikingQ, SpikingQRun};
use spikeflow::Network;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Built-in tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// Cart-pole balancing (gym's CartPole-v0: 200 steps, solved at an
    /// average return of 195 over 100 episodes).
    Cartpole,
    /// Two cues, each rewarded (+1, else −1) for the other action; one
    /// trial per episode.
    CueChoice,
    /// Izhikevich (2007): one synapse of a 1000-neuron recurrent network
    /// rewarded 1–3 s after each causal pair (`--seconds`, `--no-reward`).
    DistalReward,
    /// Florian (2007) §4.2: XOR with rate-coded input, 60 → 60 → 1 LIF
    /// neurons, ±1 per output spike (`--runs`, `--epochs`, `--no-reward`).
    XorRate,
    /// Florian (2007) §4.3: XOR with temporally coded input, 2 → 20 → 1.
    XorTemporal,
}

/// The reward-modulated rule on the input → output connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Rule {
    /// Florian's MSTDP (BindsNET `MSTDP`).
    Mstdp,
    /// MSTDP with an eligibility trace (BindsNET `MSTDPET`).
    Mstdpet,
}

/// The cart-pole controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Design {
    /// TD-error-modulated STDP on one-hot state boxes, Q = spike counts
    /// (Liu & Pan 2023; `spikeflow::rl::SpikingQ`).
    SpikingQ,
    /// 40 place-coded inputs → 2 × 10 LIF outputs, MSTDP/MSTDPET rewarded
    /// with the failure signal or an RPE (`--rule`, `--reward`, …).
    Place,
}

/// What the rules are rewarded with on cart-pole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CartpoleReward {
    /// Barto, Sutton & Anderson's failure signal: −1 when the pole falls
    /// or the cart leaves the track, 0 otherwise.
    Failure,
    /// gym's +1 per step, through BindsNET's MovingAvgRPE (reward minus
    /// its per-step moving average).
    Rpe,
}

/// `spikeflow rl` arguments.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The task.
    #[arg(value_enum)]
    pub task: Task,
    /// Cart-pole: the controller (default spiking-q, the best found;
    /// `place` is the place-coded MSTDP/MSTDPET pipeline, chosen by default
    /// when one of its own flags is given: --rule, --time, --reward-steps,
    /// --tc-e, --reward, --norm).
    #[arg(long, value_enum)]
    pub design: Option<Design>,
    /// Learning rule (default mstdpet).
    #[arg(long, value_enum)]
    pub rule: Option<Rule>,
    /// Episodes to run.
    #[arg(long, default_value_t = 300)]
    pub episodes: usize,
    /// Seed of the network's weights, the environment and every draw.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (summary.json, returns.png).
    #[arg(long)]
    pub out: PathBuf,
    /// Random-policy baseline: uniform actions, no learning.
    #[arg(long)]
    pub random: bool,
    /// Control: the same network and selection with learning off (what the
    /// initial weights do without any reward).
    #[arg(long, conflicts_with = "random")]
    pub frozen: bool,
    /// Network steps (ms) per environment step (default 20).
    #[arg(long)]
    pub time: Option<usize>,
    /// Network steps that carry each reward right after its action
    /// (default 5).
    #[arg(long)]
    pub reward_steps: Option<usize>,
    /// Learning rate (the rule's nu); default 0.1 on cart-pole's place
    /// design, spiking-q's own default on spiking-q, 0.5 on cue-choice,
    /// the paper's γ on XOR.
    #[arg(long)]
    pub nu: Option<f32>,
    /// MSTDPET's eligibility time constant (ms); default 100 on cart-pole,
    /// 25 (BindsNET's) on cue-choice.
    #[arg(long)]
    pub tc_e: Option<f32>,
    /// Cart-pole: the reward the rules get (the recorded return is always
    /// gym's: the number of steps balanced); default failure.
    #[arg(long, value_enum)]
    pub reward: Option<CartpoleReward>,
    /// Cart-pole: keep each output neuron's summed input weight at this
    /// value after every run (BindsNET's `norm`; the initial sum is ~160).
    #[arg(long)]
    pub norm: Option<f32>,
    /// Write a checkpoint every K episodes (under DIR/checkpoints).
    #[arg(long, default_value_t = 0)]
    pub checkpoint_every: usize,
    /// Continue from the latest checkpoint in --out (same settings
    /// required); the result is that of the uninterrupted run.
    #[arg(long)]
    pub resume: bool,
    /// Distal reward: simulated seconds.
    #[arg(long, default_value_t = 3600)]
    pub seconds: u64,
    /// Distal reward, XOR: withhold the rewards (the control).
    #[arg(long)]
    pub no_reward: bool,
    /// XOR: epochs (each the four patterns once, 500 ms each).
    #[arg(long, default_value_t = 200)]
    pub epochs: usize,
    /// XOR: independent experiments, seeds --seed, --seed + 1, … (run on
    /// every core).
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl Args {
    /// The learning rule used.
    pub fn rule(&self) -> Rule {
        self.rule.unwrap_or(Rule::Mstdpet)
    }
    /// Network steps per environment step used.
    pub fn time(&self) -> usize {
        self.time.unwrap_or(20)
    }
    /// Reward-phase steps used.
    pub fn reward_steps(&self) -> usize {
        self.reward_steps.unwrap_or(5)
    }
    /// Cart-pole's reward used.
    pub fn reward(&self) -> CartpoleReward {
        self.reward.unwrap_or(CartpoleReward::Failure)
    }
    /// The place design's own flags given on the command line.
    fn place_flags(&self) -> Vec<&'static str> {
        [
            ("--rule", self.rule.is_some()),
            ("--time", self.time.is_some()),
            ("--reward-steps", self.reward_steps.is_some()),
            ("--tc-e", self.tc_e.is_some()),
            ("--reward", self.reward.is_some()),
            ("--norm", self.norm.is_some()),
        ]
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect()
    }
    /// The cart-pole controller: `--design`, else `place` when one of its
    /// flags is given, else spiking-q (the random baseline needs no
    /// network: it runs through the place design's pipeline).
    pub fn design(&self) -> Design {
        match self.design {
            Some(d) => d,
            None if self.task != Task::Cartpole || !self.place_flags().is_empty() => Design::Place,
            None => Design::SpikingQ,
        }
    }
    /// Whether this run is the spiking-q controller (cart-pole, learning or
    /// frozen; not the random baseline).
    pub fn spiking_q(&self) -> bool {
        self.task == Task::Cartpole && !self.random && self.design() == Design::SpikingQ
    }
    /// The learning rate used.
    pub fn nu(&self) -> f32 {
        if self.spiking_q() {
            return self.nu.unwrap_or(SpikingQ::default().nu);
        }
        self.nu.unwrap_or(match self.task {
            Task::Cartpole => 0.1,
            Task::CueChoice | Task::DistalReward | Task::XorRate | Task::XorTemporal => 0.5,
        })
    }
    /// MSTDPET's eligibility time constant used.
    pub fn tc_e(&self) -> f32 {
        self.tc_e.unwrap_or(match self.task {
            Task::Cartpole => 100.0,
            Task::CueChoice | Task::DistalReward | Task::XorRate | Task::XorTemporal => 25.0,
        })
    }
}

/// Runs `spikeflow rl`.
pub fn run(a: &Args) -> Result<ExitCode> {
    match a.task {
        Task::DistalReward => return distal::run(a),
        Task::XorRate | Task::XorTemporal => return xor::run(a),
        Task::Cartpole | Task::CueChoice => {}
    }
    if a.episodes == 0 {
        bail!("--episodes must be at least 1");
    }
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    if a.spiking_q() {
        let place = a.place_flags();
        if !place.is_empty() {
            bail!(
                "{} belong to --design place, not spiking-q",
                place.join(", ")
            );
        }
        let mut q = nets::spiking_q(a)?;
        if a.resume {
            resume::load(a, &mut q)?;
        }
        return drive(a, &mut q, None);
    }
    let (mut p, rpe) = nets::pipeline(a)?;
    if a.resume {
        let saved = resume::load(a, &mut p)?;
        if let (Some(shared), Some(saved)) = (&rpe, saved) {
            if let Ok(mut r) = shared.0.lock() {
                *r = saved;
            }
        }
    }
    drive(a, &mut p, rpe.as_ref())
}

/// A controller `spikeflow rl` runs episode by episode and checkpoints:
/// the environment pipeline or the spiking Q controller.
pub trait Agent {
    /// Runs one episode.
    fn run_episode(&mut self) -> spikeflow::Result<EpisodeSummary>;
    /// The finished episodes.
    fn recorder(&self) -> &EpisodeRecorder;
    /// The number of finished episodes.
    fn episode(&self) -> u64;
    /// The network.
    fn network(&self) -> &Network;
    /// The network, mutable.
    fn network_mut(&mut self) -> &mut Network;
    /// Continues after these finished episodes.
    fn restore(&mut self, rec: EpisodeRecorder);
}

impl Agent for EnvironmentPipeline {
    fn run_episode(&mut self) -> spikeflow::Result<EpisodeSummary> {
        // An episode can never be longer than this: cart-pole truncates
        // at 200.
        EnvironmentPipeline::run_episode(self, 1_000_000)
    }
    fn recorder(&self) -> &EpisodeRecorder {
        EnvironmentPipeline::recorder(self)
    }
    fn episode(&self) -> u64 {
        EnvironmentPipeline::episode(self)
    }
    fn network(&self) -> &Network {
        EnvironmentPipeline::network(self)
    }
    fn network_mut(&mut self) -> &mut Network {
        EnvironmentPipeline::network_mut(self)
    }
    fn restore(&mut self, rec: EpisodeRecorder) {
        EnvironmentPipeline::restore(self, rec)
    }
}

impl Agent for SpikingQRun {
    fn run_episode(&mut self) -> spikeflow::Result<EpisodeSummary> {
        SpikingQRun::run_episode(self)
    }
    fn recorder(&self) -> &EpisodeRecorder {
        SpikingQRun::recorder(self)
    }
    fn episode(&self) -> u64 {
        SpikingQRun::episode(self)
    }
    fn network(&self) -> &Network {
        SpikingQRun::network(self)
    }
    fn network_mut(&mut self) -> &mut Network {
        SpikingQRun::network_mut(self)
    }
    fn restore(&mut self, rec: EpisodeRecorder) {
        SpikingQRun::restore(self, rec)
    }
}

/// Runs the episodes left, with checkpoints, and writes the outputs.
fn drive(a: &Args, p: &mut dyn Agent, rpe: Option<&nets::SharedRpe>) -> Result<ExitCode> {
    if p.episode() as usize > a.episodes {
        bail!(
            "--resume: the checkpoint has {} episodes, more than --episodes {}",
            p.episode(),
            a.episodes
        );
    }
    let wall = Instant::now();
    let tty = std::io::stderr().is_terminal() && !a.quiet;
    let bar = if tty {
        ProgressBar::with_draw_target(Some(a.episodes as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(crate::train::bar_style(true));
    bar.set_prefix("episodes");
    bar.set_position(p.episode());
    while (p.episode() as usize) < a.episodes {
        let e = p.run_episode()?;
        if a.checkpoint_every > 0 && p.episode() as usize % a.checkpoint_every == 0 {
            let state = rpe.and_then(|r| r.0.lock().ok().map(|r| r.clone()));
            resume::save(a, p, state.as_ref())?;
        }
        let rec = p.recorder();
        bar.inc(1);
        bar.set_message(format!(
            "return {} (mean of last 100: {:.1})",
            e.episode_return,
            rec.mean_return_last(100).unwrap_or(0.0)
        ));
    }
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64();
    write_outputs(a, p, elapsed)?;
    let rec = p.recorder();
    // A closed stdout (`| head`) is not an error of the run.
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "{:?} {} seed {}: {} episodes in {:.1} s; mean return of the last 100 {:.2}; best 100-episode mean {:.2}",
        a.task,
        policy_name(a),
        a.seed,
        rec.len(),
        elapsed,
        rec.mean_return_last(100).unwrap_or(0.0),
        best_window(rec, 100),
    );
    let _ = writeln!(stdout, "wrote {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

fn policy_name(a: &Args) -> &'static str {
    match (a.random, a.frozen, a.rule()) {
        (true, _, _) => "random",
        (_, true, _) if a.spiking_q() => "spiking-q frozen",
        (_, true, _) => "frozen",
        _ if a.spiking_q() => "spiking-q",
        (_, _, Rule::Mstdp) => "mstdp",
        (_, _, Rule::Mstdpet) => "mstdpet",
    }
}

/// The best trailing mean over `window` full episodes (the mean of all
/// when fewer).
fn best_window(rec: &EpisodeRecorder, window: usize) -> f32 {
    let ma = rec.moving_average(window);
    if ma.len() < window {
        return ma.last().copied().unwrap_or(0.0);
    }
    ma[window - 1..]
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max)
}

/// The first episode (1-based count of episodes) whose trailing mean over
/// `window` full episodes reaches `threshold`.
fn first_reaching(rec: &EpisodeRecorder, window: usize, threshold: f32) -> Option<usize> {
    let ma = rec.moving_average(window);
    (window.max(1) - 1..ma.len())
        .find(|&k| ma[k] >= threshold)
        .map(|k| k + 1)
}

fn write_outputs(a: &Args, p: &dyn Agent, elapsed: f64) -> Result<()> {
    let rec = p.recorder();
    let mut summary = json!({
        "task": format!("{:?}", a.task),
        "policy": policy_name(a),
        "seed": a.seed,
        "episodes": rec.len(),
        "mean_return_last_100": rec.mean_return_last(100),
        "best_mean_return_100": best_window(rec, 100),
        "first_episode_mean_100_at_least_195": first_reaching(rec, 100, 195.0),
        "mean_return_all": rec.mean_return_last(usize::MAX),
        "elapsed_s": elapsed,
        "returns": rec.returns(),
        "lengths": rec.lengths(),
    });
    let extra = if a.spiking_q() {
        json!({ "design": "spiking-q", "spiking_q": nets::spiking_q_settings(a) })
    } else {
        json!({
            "design": "place",
            "time_per_env_step": a.time(),
            "reward_steps": a.reward_steps(),
            "nu": a.nu(),
            "tc_e_trace": a.tc_e(),
            "cartpole_reward": format!("{:?}", a.reward()),
            "norm": a.norm,
        })
    };
    if let (Some(s), Some(e)) = (summary.as_object_mut(), extra.as_object()) {
        s.extend(e.clone());
    }
    let path = a.out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    let title = format!("{:?}, {}, seed {}", a.task, policy_name(a), a.seed);
    plot::returns(&a.out.join("returns.png"), &title, rec, 100)
}
