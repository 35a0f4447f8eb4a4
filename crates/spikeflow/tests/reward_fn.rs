//! A reward function (BindsNET's `reward_fn`, here `MovingAvgRpe`) between
//! the reward given to `run` and the rules: the rule sees `reward − r̂`,
//! with `r̂` the moving average updated per episode; `compute` is called
//! once per given reward value (once per `run` for a scalar, as BindsNET).

mod support;

use spikeflow::learning::{MovingAvgRpe, RewardFn};
use spikeflow::prelude::*;
use support::RewardProbe;

fn probe_net(reward_fn: Option<MovingAvgRpe>, batch: usize) -> Network {
    let mut b = Network::builder().batch_size(batch);
    if let Some(f) = reward_fn {
        b = b.reward_fn(f);
    }
    b.add_population("X", &[1], Input, NodeOptions::default());
    b.add_population("Y", &[1], McCullochPitts::default(), NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(vec![0.0]))
            .rule(RewardProbe)
            .nu(1.0)
            .reduction(Reduction::Sum),
    );
    b.build().unwrap()
}

fn run(net: &mut Network, steps: usize, reward: Reward) -> f32 {
    let x = Tensor::zeros(vec![steps, net.batch_size(), 1]);
    let before = net.weights("X -> Y").unwrap()[0];
    let o = RunOptions {
        reward,
        ..Default::default()
    };
    net.run(&[("X", &x)], steps, &o).unwrap();
    net.weights("X -> Y").unwrap()[0] - before
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-5 * (1.0 + b.abs())
}

#[test]
fn the_rule_sees_the_reward_prediction_error() {
    let mut net = probe_net(Some(MovingAvgRpe::default()), 1);
    // r̂ = 0: the rule sees the reward itself, 5 steps of 1.
    assert!(close(run(&mut net, 5, Reward::Scalar(1.0)), 5.0));
    // End of an episode that accumulated 10 over 10 steps, window 10:
    // r̂ = 0.9·0 + 0.1·1 = 0.1, R̂ = 0.1·10 = 1.
    net.reward_fn_mut().unwrap().update(10.0, 10);
    // The rule now sees 1 − 0.1 = 0.9 per step.
    assert!(close(run(&mut net, 5, Reward::Scalar(1.0)), 4.5));
    // Per-step rewards 0, 1, 2 → −0.1, 0.9, 1.9.
    assert!(close(
        run(&mut net, 3, Reward::PerStep(vec![0.0, 1.0, 2.0])),
        2.7
    ));
    // A second episode, accumulated 30 over 10 steps:
    // r̂ = 0.9·0.1 + 0.1·3 = 0.39, R̂ = 0.9·1 + 0.1·30 = 3.9.
    net.reward_fn_mut().unwrap().update(30.0, 10);
    assert!(close(run(&mut net, 4, Reward::Scalar(0.0)), -4.0 * 0.39));
}

#[test]
fn the_reward_function_applies_to_every_batch_row() {
    let mut f = MovingAvgRpe::default();
    f.update(20.0, 10); // r̂ = 0.2
    let mut net = probe_net(Some(f), 2);
    // Rows see 1 − 0.2 and 3 − 0.2, summed over the batch, 2 steps.
    let d = run(&mut net, 2, Reward::PerRow(vec![1.0, 3.0]));
    assert!(close(d, 2.0 * (0.8 + 2.8)), "{d}");
}

#[test]
fn a_shipped_rule_learns_from_the_computed_reward() {
    // MSTDP with a reward function and reward 1 (r̂ = 0.25) ends exactly
    // where MSTDP without one ends with reward 0.75.
    let make = |f: Option<MovingAvgRpe>| {
        let mut b = Network::builder();
        if let Some(f) = f {
            b = b.reward_fn(f);
        }
        b.add_population("X", &[3], Input, NodeOptions::default());
        b.add_population("Y", &[2], McCullochPitts::default(), NodeOptions::default());
        b.connect(
            Connect::new(
                "X",
                "Y",
                Dense::with_weights(vec![0.6, 0.5, 0.4, 0.7, 0.9, 0.2]),
            )
            .rule(Mstdp::default())
            .nu(0.1),
        );
        b.build().unwrap()
    };
    let mut f = MovingAvgRpe {
        ema_window: 4.0,
        ..Default::default()
    };
    f.update(10.0, 10); // r̂ = 0.25
    let mut a = make(Some(f));
    let mut b = make(None);
    #[rustfmt::skip]
    let x = Tensor::new(vec![4, 1, 3], vec![
        1., 1., 0.,
        0., 1., 1.,
        1., 0., 1.,
        1., 1., 1.,
    ]).unwrap();
    let opts = |r| RunOptions {
        reward: Reward::Scalar(r),
        ..Default::default()
    };
    a.run(&[("X", &x)], 4, &opts(1.0)).unwrap();
    b.run(&[("X", &x)], 4, &opts(0.75)).unwrap();
    let (wa, wb) = (a.weights("X -> Y").unwrap(), b.weights("X -> Y").unwrap());
    assert_eq!(wa, wb);
    assert_ne!(wa, &[0.6, 0.5, 0.4, 0.7, 0.9, 0.2], "MSTDP did not learn");
}

/// Counts its calls.
#[derive(Debug, Default)]
struct Counting(usize);

impl RewardFn for Counting {
    fn compute(&mut self, reward: f32) -> f32 {
        self.0 += 1;
        reward
    }
    fn update(&mut self, _: f32, _: usize) {}
}

#[test]
fn compute_is_called_once_per_scalar_reward_and_run() {
    // BindsNET calls `reward_fn.compute(reward)` once per `run`; a stateful
    // reward function must not be advanced once per step and batch row.
    let mut net = probe_net(None, 2);
    net.set_reward_fn(Some(Box::new(Counting::default())));
    run(&mut net, 7, Reward::Scalar(1.0));
    let calls = format!("{:?}", net.reward_fn_mut().unwrap());
    assert_eq!(calls, "Counting(1)");
    // Per-step rewards: once per given value.
    run(&mut net, 3, Reward::PerStep(vec![1.0, 2.0, 3.0]));
    let calls = format!("{:?}", net.reward_fn_mut().unwrap());
    assert_eq!(calls, "Counting(4)");
}
