//! Reward learning (`spikeflow::rl`): environments against their
//! equations, seeded determinism, selector distributions, encoders, the
//! pipeline's order and errors, and a task that must be learned.

use spikeflow::learning::{MovingAvgRpe, Nu, Phases, Requirements, Synapse, SynapseRule};
use spikeflow::prelude::*;
use spikeflow::rl::*;
use spikeflow::rng::Rng;

type R<T = ()> = spikeflow::Result<T>;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

// ---------------------------------------------------------------------------
// CartPole.
// ---------------------------------------------------------------------------

#[test]
fn cartpole_steps_from_rest_match_the_equations() -> R {
    // From rest, sin θ = 0 and cos θ = 1, so with F = +10, M = 1.1,
    // m_p·l = 0.05: tmp = 100/11, θ̈ = −(100/11)/(0.5·(4/3 − 0.1/1.1))
    // = −600/41, ẍ = 100/11 + 0.05·(600/41)/1.1 = 4400/451.
    let mut env = CartPole::new(CartPoleParams::default())?;
    env.set_state([0.0; 4]);
    let s = env.step(1)?;
    let want1 = [0.0, 0.02 * 4400.0 / 451.0, 0.0, -0.02 * 600.0 / 41.0];
    for (got, want) in env.state().iter().zip(want1) {
        assert!(close(*got, want, 1e-12), "{:?} vs {want1:?}", env.state());
    }
    assert_eq!(s.reward, 1.0);
    assert!(!s.done && !s.truncated);
    assert_eq!(s.observation, want1.map(|v| v as f32).to_vec());
    // Euler: positions move with the previous velocities; θ still 0, so
    // the accelerations repeat.
    env.step(1)?;
    let want2 = [
        0.02 * want1[1],
        2.0 * want1[1],
        0.02 * want1[3],
        2.0 * want1[3],
    ];
    for (got, want) in env.state().iter().zip(want2) {
        assert!(close(*got, want, 1e-12), "{:?} vs {want2:?}", env.state());
    }
    Ok(())
}

#[test]
fn cartpole_tilted_step_matches_the_equations() -> R {
    // θ = 0.1, pushed left (F = −10), by hand from the equations:
    // tmp = −10/1.1 = −9.0909091, θ̈ = (9.8·sin 0.1 − cos 0.1·tmp) /
    // (0.5·(4/3 − 0.1·cos²0.1/1.1)) = 10.0238601 / 0.6216652 = 16.1242107,
    // ẍ = tmp − 0.05·θ̈·cos 0.1/1.1 = −9.8201662.
    let mut env = CartPole::new(CartPoleParams::default())?;
    env.set_state([0.0, 0.0, 0.1, 0.0]);
    env.step(0)?;
    let want = [0.0, 0.02 * -9.820_166_2, 0.1, 0.02 * 16.124_210_7];
    for (got, want) in env.state().iter().zip(want) {
        assert!(close(*got, want, 1e-7), "{:?}", env.state());
    }
    Ok(())
}

#[test]
fn cartpole_terminates_truncates_and_refuses_bad_steps() -> R {
    // Tilted past 12° after one step: θ = 0.2094 + 0.02·1 > 0.20944.
    let mut env = CartPole::new(CartPoleParams::default())?;
    env.set_state([0.0, 0.0, 0.2094, 1.0]);
    let s = env.step(1)?;
    assert!(s.done && !s.truncated && s.reward == 1.0);
    assert!(env.step(0).is_err(), "a step after done is an error");
    // The failure signal: −1 on failure only.
    let p = CartPoleParams {
        reward: CartPoleReward::Failure,
        max_steps: 3,
        ..Default::default()
    };
    let mut env = CartPole::new(p)?;
    env.set_state([0.0, 0.0, 0.2094, 1.0]);
    assert_eq!(env.step(1)?.reward, -1.0);
    // Truncation after max_steps without failure: reward 0, truncated.
    env.set_state([0.0; 4]);
    let mut last = None;
    for a in [1, 0, 1] {
        last = Some(env.step(a)?);
    }
    let last = last.unwrap();
    assert!(last.done && last.truncated && last.reward == 0.0);
    // Bad actions and parameters.
    env.set_state([0.0; 4]);
    assert!(env.step(2).is_err());
    let bad = CartPoleParams {
        tau: f64::NAN,
        ..Default::default()
    };
    assert!(CartPole::new(bad).is_err());
    Ok(())
}

#[test]
fn environments_are_deterministic_from_the_seed() -> R {
    let roll = |env: &mut dyn Environment, seed: u64| -> R<Vec<Vec<f32>>> {
        let mut out = vec![env.reset(seed)?];
        let mut a = Rng::seed_from_u64(99);
        for _ in 0..30 {
            let s = env.step(a.below(2))?;
            out.push(s.observation.clone());
            out.push(vec![s.reward]);
            if s.done {
                out.push(env.reset(seed + 1000)?);
            }
        }
        Ok(out)
    };
    let mut c1 = CartPole::new(CartPoleParams::default())?;
    let mut c2 = CartPole::new(CartPoleParams::default())?;
    assert_eq!(roll(&mut c1, 5)?, roll(&mut c2, 5)?);
    assert_ne!(roll(&mut c1, 5)?, roll(&mut c1, 6)?);
    // Starts uniform in [−0.05, 0.05).
    for seed in 0..200 {
        let o = c1.reset(seed)?;
        assert!(o.iter().all(|v| (-0.05..0.05).contains(v)), "{o:?}");
    }
    let mut q1 = CueChoice::random(3, 2, 10, 4)?;
    let mut q2 = CueChoice::random(3, 2, 10, 4)?;
    assert_eq!(q1.mapping(), q2.mapping());
    assert_eq!(roll(&mut q1, 7)?, roll(&mut q2, 7)?);
    assert_ne!(roll(&mut q1, 7)?, roll(&mut q1, 8)?);
    Ok(())
}

#[test]
fn cue_choice_rewards_the_mapped_action() -> R {
    let mut env = CueChoice::new(3, vec![2, 0], 4)?;
    let mut obs = env.reset(1)?;
    for k in 0..4 {
        let cue = obs.iter().position(|&v| v == 1.0).unwrap();
        assert_eq!(obs.iter().sum::<f32>(), 1.0);
        let right = [2, 0][cue];
        let wrong = (right + 1) % 3;
        let action = if k % 2 == 0 { right } else { wrong };
        let s = env.step(action)?;
        assert_eq!(s.reward, if k % 2 == 0 { 1.0 } else { -1.0 });
        assert_eq!(s.info("cue"), Some(cue as f64));
        assert_eq!(s.done, k == 3);
        obs = s.observation;
    }
    assert!(env.step(0).is_err());
    assert!(CueChoice::new(2, vec![2], 1).is_err());
    assert!(CueChoice::new(1, vec![0], 1).is_err());
    Ok(())
}

// ---------------------------------------------------------------------------
// Action selectors.
// ---------------------------------------------------------------------------

/// Spikes `[steps, n]` with `counts[j]` spikes of neuron `j` (at steps 0..).
fn spikes_with(counts: &[usize], steps: usize) -> Vec<f32> {
    let n = counts.len();
    let mut s = vec![0.0; steps * n];
    for (j, &c) in counts.iter().enumerate() {
        for t in 0..c {
            s[t * n + j] = 1.0;
        }
    }
    s
}

fn frequencies(sel: ActionSelector, spikes: &[f32], steps: usize, n_actions: usize) -> Vec<f64> {
    let mut rng = Rng::seed_from_u64(11);
    let draws = 40_000;
    let mut f = vec![0.0; n_actions];
    for _ in 0..draws {
        f[sel.select(spikes, steps, n_actions, &mut rng).unwrap()] += 1.0 / draws as f64;
    }
    f
}

fn assert_freq(got: &[f64], want: &[f64]) {
    // 40,000 draws: a standard error ≤ 0.0025; 0.012 is ~5 of them.
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() < 0.012,
            "frequencies {got:?}, expected {want:?}"
        );
    }
}

#[test]
fn softmax_and_multinomial_sample_their_distributions() {
    let s = spikes_with(&[2, 1, 0], 4);
    let e: Vec<f64> = [2.0f64, 1.0, 0.0].iter().map(|c| c.exp()).collect();
    let z: f64 = e.iter().sum();
    let soft = ActionSelector::Softmax { temperature: 1.0 };
    assert_freq(
        &frequencies(soft, &s, 4, 3),
        &[e[0] / z, e[1] / z, e[2] / z],
    );
    // Temperature 2: e^{c/2}.
    let e2: Vec<f64> = [1.0f64, 0.5, 0.0].iter().map(|c| c.exp()).collect();
    let z2: f64 = e2.iter().sum();
    let soft2 = ActionSelector::Softmax { temperature: 2.0 };
    assert_freq(
        &frequencies(soft2, &s, 4, 3),
        &[e2[0] / z2, e2[1] / z2, e2[2] / z2],
    );
    // Multinomial over groups: neurons (0,1) → action 0 with 3+0 spikes,
    // (2,3) → action 1 with 1+0: 3/4, 1/4.
    let g = spikes_with(&[3, 0, 1, 0], 4);
    assert_freq(
        &frequencies(ActionSelector::Multinomial, &g, 4, 2),
        &[0.75, 0.25],
    );
    // Silent: uniform.
    let silent = vec![0.0; 12];
    assert_freq(
        &frequencies(ActionSelector::Multinomial, &silent, 4, 3),
        &[1.0 / 3.0; 3],
    );
    assert_freq(&frequencies(soft, &silent, 4, 3), &[1.0 / 3.0; 3]);
}

#[test]
fn greedy_first_spike_random_and_epsilon_selectors() {
    let mut rng = Rng::seed_from_u64(3);
    let s = spikes_with(&[1, 3, 3], 4);
    // Highest: the lowest of the maxima (BindsNET); silent → 0.
    assert_eq!(
        ActionSelector::Highest.select(&s, 4, 3, &mut rng).unwrap(),
        1
    );
    assert_eq!(
        ActionSelector::Highest
            .select(&[0.0; 12], 4, 3, &mut rng)
            .unwrap(),
        0
    );
    // Random ties: uniform over the maxima.
    assert_freq(
        &frequencies(ActionSelector::HighestRandomTies, &s, 4, 3),
        &[0.0, 0.5, 0.5],
    );
    // First spike: neuron 2 at step 1, then neuron 0 at step 2 → action 2.
    let mut f = vec![0.0; 12];
    f[3 + 2] = 1.0;
    f[2 * 3] = 1.0;
    assert_eq!(
        ActionSelector::FirstSpike
            .select(&f, 4, 3, &mut rng)
            .unwrap(),
        2
    );
    assert_eq!(
        ActionSelector::FirstSpike
            .select(&[0.0; 12], 4, 3, &mut rng)
            .unwrap(),
        0
    );
    // Random ignores the spikes.
    assert_freq(
        &frequencies(ActionSelector::Random, &s, 4, 3),
        &[1.0 / 3.0; 3],
    );
    // ε-greedy, best action 2: P(2) = 1 − ε + ε/3.
    let g = spikes_with(&[0, 1, 3], 4);
    let eps = ActionSelector::EpsilonGreedy { epsilon: 0.3 };
    assert_freq(&frequencies(eps, &g, 4, 3), &[0.1, 0.1, 0.8]);
}

#[test]
fn selectors_refuse_bad_parameters_and_shapes() {
    let mut rng = Rng::seed_from_u64(0);
    let s = vec![0.0; 12];
    let bad = [
        (ActionSelector::Softmax { temperature: 0.0 }, 3),
        (ActionSelector::EpsilonGreedy { epsilon: 1.5 }, 3),
        (ActionSelector::Highest, 2), // 3 neurons into 2 groups
        (ActionSelector::Highest, 0),
    ];
    for (sel, n_actions) in bad {
        assert!(sel.select(&s, 4, n_actions, &mut rng).is_err(), "{sel:?}");
    }
    // 12 values are not 5 steps × n.
    assert!(ActionSelector::Random.select(&s, 5, 3, &mut rng).is_err());
    assert!(ActionSelector::Random.select(&s, 0, 3, &mut rng).is_err());
}

// ---------------------------------------------------------------------------
// Encoders.
// ---------------------------------------------------------------------------

#[test]
fn encoders_give_their_probabilities() -> R {
    let rate = RateEncoder::new(vec![0.0, -1.0], vec![1.0, 1.0], 0.8)?.copies(2)?;
    // x = (0.5, 2.0): p = 0.8·0.5, then clamped to 0.8.
    assert_eq!(rate.probabilities(&[0.5, 2.0])?, vec![0.4, 0.4, 0.8, 0.8]);
    let place = PlaceEncoder::new(vec![-1.0], vec![1.0], 3, 1.0, 0.5)?;
    // Centres −1, 0, 1, σ = 1: x = 0.5 → 0.5·e^{−(1.5)²/2}, 0.5·e^{−0.125}, 0.5·e^{−0.125}.
    let p = place.probabilities(&[0.5])?;
    let want = [
        0.5 * (-1.125f32).exp(),
        0.5 * (-0.125f32).exp(),
        0.5 * (-0.125f32).exp(),
    ];
    for (g, w) in p.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{p:?}");
    }
    // Spike frequencies match the probabilities.
    let mut enc = rate.clone();
    let mut rng = Rng::seed_from_u64(1);
    let x = enc.encode(&[0.5, 2.0], 20_000, &mut rng)?;
    assert_eq!(x.shape(), &[20_000, 1, 4]);
    for (j, want) in [0.4, 0.4, 0.8, 0.8].iter().enumerate() {
        let f = (0..20_000).filter(|t| x.data()[t * 4 + j]).count() as f32 / 20_000.0;
        assert!((f - want).abs() < 0.015, "input {j}: {f}");
    }
    // Wrong length, non-finite values, bad parameters: errors.
    assert!(enc.encode(&[0.5], 3, &mut rng).is_err());
    assert!(enc.encode(&[0.5, f32::NAN], 3, &mut rng).is_err());
    assert!(RateEncoder::new(vec![1.0], vec![0.0], 0.5).is_err());
    assert!(RateEncoder::new(vec![0.0], vec![1.0], 1.5).is_err());
    assert!(PlaceEncoder::new(vec![0.0], vec![1.0], 1, 1.0, 0.5).is_err());
    assert!(PlaceEncoder::new(vec![0.0], vec![f32::INFINITY], 4, 1.0, 0.5).is_err());
    Ok(())
}
