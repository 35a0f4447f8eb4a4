//! The networks `spikeflow rl` trains, one per task.

use super::{Args, CartpoleReward, Rule, Task};
use anyhow::Result;
use spikeflow::learning::{MovingAvgRpe, RewardFn};
use spikeflow::prelude::*;
use spikeflow::rl::*;
use spikeflow::rng::Rng;
use std::sync::{Arc, Mutex};

/// `MovingAvgRpe` shared with the command, which saves and restores its
/// state in checkpoints while the pipeline owns the reward function.
#[derive(Debug, Clone, Default)]
pub struct SharedRpe(pub Arc<Mutex<MovingAvgRpe>>);

impl RewardFn for SharedRpe {
    fn compute(&mut self, reward: f32) -> f32 {
        self.0.lock().map_or(f32::NAN, |mut r| r.compute(reward))
    }
    fn update(&mut self, accumulated_reward: f32, steps: usize) {
        if let Ok(mut r) = self.0.lock() {
            r.update(accumulated_reward, steps);
        }
    }
}

/// Input → output (`groups` × `per_group` LIF neurons without refractory
/// period, as BindsNET's breakout read-out) with the chosen rule, and
/// uniform lateral inhibition between the outputs; `norm` keeps each
/// output's summed input weight at that value after every run (BindsNET's
/// `norm`).
fn network(
    a: &Args,
    n_in: usize,
    w: Vec<f32>,
    wmax: f32,
    n_out: usize,
    inh: f32,
    norm: Option<f32>,
) -> Result<Network> {
    let mut b = Network::builder().seed(a.seed);
    b.add_population("X", &[n_in], Input, NodeOptions::default());
    let lif = LifNodes {
        refrac: 0.0.into(),
        ..Default::default()
    };
    b.add_population("Y", &[n_out], lif, NodeOptions::default());
    let mut c = Connect::new("X", "Y", Dense::with_weights(w))
        .wmin(0.0)
        .wmax(wmax);
    if let Some(norm) = norm {
        c = c.norm(norm);
    }
    let c = match a.rule() {
        Rule::Mstdp => c.rule(Mstdp::default()).nu((a.nu(), 0.0)),
        Rule::Mstdpet => c
            .rule(MstdpEt {
                tc_e_trace: a.tc_e(),
                ..Default::default()
            })
            .nu((a.nu(), 0.0)),
    };
    b.connect(c);
    b.connect(Connect::new("Y", "Y", AllButSelf { weight: -inh }));
    let mut net = b.build()?;
    if a.random || a.frozen {
        net.set_learning(false);
    }
    Ok(net)
}

fn config(a: &Args, reset: ResetPolicy) -> PipelineConfig {
    let mut c = PipelineConfig::new("X", "Y", a.time());
    c.selector = if a.random {
        ActionSelector::Random
    } else {
        ActionSelector::HighestRandomTies
    };
    c.timing = RewardTiming::Immediate {
        steps: a.reward_steps().max(1),
    };
    c.reset = reset;
    c.seed = a.seed;
    c
}

/// The pipeline of `a.task`, and its reward function if it has one.
pub fn pipeline(a: &Args) -> Result<(EnvironmentPipeline, Option<SharedRpe>)> {
    let mut rpe = None;
    let mut rng = Rng::seed_from_u64(a.seed ^ 0x005E_ED0F_C0DE);
    let p = match a.task {
        Task::Cartpole => {
            // Place cells over x, ẋ, θ, θ̇ (10 each), 2 × 10 outputs.
            let enc = PlaceEncoder::new(
                vec![-2.4, -2.0, -0.21, -2.5],
                vec![2.4, 2.0, 0.21, 2.5],
                10,
                1.0,
                0.3,
            )?;
            let (n_in, n_out, wmax) = (40, 20, 10.0);
            let w = (0..n_in * n_out)
                .map(|_| 2.0 + 4.0 * rng.uniform_f32())
                .collect();
            let net = network(a, n_in, w, wmax, n_out, 5.0, a.norm)?;
            let env = CartPole::new(CartPoleParams::default())?;
            let mut p = EnvironmentPipeline::new(
                net,
                Box::new(env),
                Box::new(enc),
                config(a, ResetPolicy::Episode),
            )?;
            match a.reward() {
                CartpoleReward::Failure => p.set_reward_shaping(Some(Box::new(failure_signal))),
                CartpoleReward::Rpe => {
                    let f = SharedRpe::default();
                    rpe = Some(f.clone());
                    p.set_reward_fn(Some(Box::new(f)));
                }
            }
            p
        }
        Task::CueChoice => {
            // As the library's test: each cue drives 20 inputs, input i
            // starts connected to output i mod 2 only.
            let m = 20;
            let n_in = 2 * m;
            let mut w = vec![0.0; n_in * 2];
            for i in 0..n_in {
                w[i * 2 + i % 2] = 6.0;
            }
            let net = network(a, n_in, w, 18.0, 2, 20.0, None)?;
            let enc = RateEncoder::new(vec![0.0; 2], vec![1.0; 2], 0.1)?.copies(m)?;
            let env = CueChoice::new(2, vec![1, 0], 1)?;
            EnvironmentPipeline::new(
                net,
                Box::new(env),
                Box::new(enc),
                config(a, ResetPolicy::EnvStep),
            )?
        }
        Task::DistalReward | Task::XorRate | Task::XorTemporal => {
            unreachable!("{:?} has no environment pipeline", a.task)
        }
    };
    Ok((p, rpe))
}

/// The spiking Q controller's settings: its defaults (the best found),
/// `--nu` and `--seed`; `--frozen` applies no update.
pub fn spiking_q_config(a: &Args) -> SpikingQ {
    SpikingQ {
        nu: a.nu(),
        learning: !a.frozen,
        seed: a.seed,
        ..Default::default()
    }
}

/// The spiking Q controller of `spikeflow rl cartpole`.
pub fn spiking_q(a: &Args) -> Result<SpikingQRun> {
    Ok(spiking_q_config(a).build()?)
}

/// The spiking Q settings for summaries and checkpoints (each `f32` as
/// the `f64` of its shortest decimal form, so that a checkpoint's settings
/// read back equal).
pub fn spiking_q_settings(a: &Args) -> serde_json::Value {
    let c = spiking_q_config(a);
    let f = |v: f32| -> f64 { v.to_string().parse().unwrap_or(f64::NAN) };
    serde_json::json!({
        "boxes": c.boxes.n(),
        "per_action": c.per_action,
        "window_ms": c.window,
        "input_period_ms": c.input_period,
        "w_init": [f(c.w_init.0), f(c.w_init.1)],
        "wmin": f(c.wmin),
        "wmax": f(c.wmax),
        "tc_e": f(c.tc_e),
        "a_plus": f(c.a_plus),
        "a_minus": f(c.a_minus),
        "nu": f(c.nu),
        "q_scale": f(c.q_scale),
        "gamma": f(c.gamma),
        "epsilon_start": f(c.epsilon_start),
        "explore_episodes": c.explore_episodes,
        "epsilon_decay": f(c.epsilon_decay),
        "epsilon_min": f(c.epsilon_min),
        "learning": c.learning,
    })
}
