//! Reward-modulated rules.

use super::common::*;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;

// ---------------------------------------------------------------------------
// Reward-modulated rules.
// ---------------------------------------------------------------------------

pub(crate) fn mstdp_net(rule: Mstdp, batch: usize, reduction: Reduction) -> R<Network> {
    // MSTDP keeps its own traces: no node traces needed. nu_post is ignored.
    pair_net(batch, NodeOptions::default(), NodeOptions::default(), |c| {
        c.rule(rule).nu((0.1, 100.0)).reduction(reduction)
    })
}

#[test]
fn mstdp_lagged_versus_zero_lag() -> R {
    // Eligibility (a_plus 1, a_minus −1, tc 20): synapse 0 has ζ = p⁺·s_post
    // = d at step 1 (Y spikes, p⁺ decayed once); synapse 1 has
    // ζ = s_pre·p⁻ = −d at step 2. A reward at step t multiplies ζ(t − 1)
    // (lagged, default) or ζ(t) (zero_lag).
    let d = d20();
    let lagged = Mstdp::default();
    let zero = Mstdp {
        zero_lag: true,
        ..Mstdp::default()
    };
    let cases: [(Mstdp, [f32; 5], [f32; 2]); 6] = [
        (lagged, [1.0; 5], [20.0 + 0.1 * d, 0.5 - 0.1 * d]),
        (zero, [1.0; 5], [20.0 + 0.1 * d, 0.5 - 0.1 * d]),
        // Reward only at step 1: zero-lag sees ζ(1); lagged sees ζ(0) = 0.
        (zero, [0.0, 1.0, 0.0, 0.0, 0.0], [20.0 + 0.1 * d, 0.5]),
        (lagged, [0.0, 1.0, 0.0, 0.0, 0.0], [20.0, 0.5]),
        // Reward only at step 2: zero-lag sees ζ(2) (synapse 1), lagged ζ(1) (synapse 0).
        (zero, [0.0, 0.0, 1.0, 0.0, 0.0], [20.0, 0.5 - 0.1 * d]),
        (lagged, [0.0, 0.0, 1.0, 0.0, 0.0], [20.0 + 0.1 * d, 0.5]),
    ];
    for (rule, reward, want) in cases {
        let mut net = mstdp_net(rule, 1, Reduction::Mean)?;
        let o = RunOptions {
            reward: Reward::PerStep(reward.to_vec()),
            ..Default::default()
        };
        net.run(&[("X", &pair_input(5, 1, &[0]))], 5, &o)?;
        assert_close(net.weights(XY)?, &want, 1e-6);
    }
    // The step at which the change lands, with reward 1 throughout.
    for (rule, step0, step1) in [(lagged, 2, 3), (zero, 1, 2)] {
        let mut net = mstdp_net(rule, 1, Reduction::Mean)?;
        let o = RunOptions {
            reward: Reward::Scalar(1.0),
            ..Default::default()
        };
        net.run(&[("X", &pair_input(5, 1, &[0]))], 5, &o)?;
        let ws = w_per_step(&net)?;
        assert_eq!(
            ws[step0 - 1][0],
            20.0,
            "zero_lag {}: w0 before step {step0}",
            rule.zero_lag
        );
        assert_ne!(
            ws[step0][0], 20.0,
            "zero_lag {}: w0 at step {step0}",
            rule.zero_lag
        );
        assert_eq!(ws[step1 - 1][1], 0.5);
        assert_ne!(ws[step1][1], 0.5);
    }
    Ok(())
}

#[test]
fn mstdp_trace_amplitudes_and_time_constants() -> R {
    // a_plus 2, tc_plus 10: ζ0(1) = 2·e^{-1/10}. a_minus −0.5, tc_minus 5: ζ1(2) = −0.5·e^{-1/5}.
    let rule = Mstdp {
        a_plus: 2.0,
        tc_plus: 10.0,
        a_minus: -0.5,
        tc_minus: 5.0,
        zero_lag: false,
    };
    let mut net = mstdp_net(rule, 1, Reduction::Mean)?;
    let o = RunOptions {
        reward: Reward::Scalar(1.0),
        ..Default::default()
    };
    net.run(&[("X", &pair_input(5, 1, &[0]))], 5, &o)?;
    let want = [
        20.0 + 0.1 * 2.0 * (-0.1f32).exp(),
        0.5 - 0.1 * 0.5 * (-0.2f32).exp(),
    ];
    assert_close(net.weights(XY)?, &want, 1e-6);
    Ok(())
}

#[test]
fn mstdpet_eligibility_trace() -> R {
    // E ← E·e^{-dt/25} + ζ/25;  Δw = nu·dt·reward·E, every step.
    // ζ0 = d at step 1, ζ1 = −d at step 2 (see above); lagged shifts by one.
    for dt in [1.0f32, 0.5] {
        for zero_lag in [false, true] {
            let steps = 8;
            let rule = MstdpEt {
                mstdp: Mstdp {
                    zero_lag,
                    ..Mstdp::default()
                },
                tc_e_trace: 25.0,
            };
            let mut b = Network::builder().dt(dt);
            b.add_population("X", &[2], Input, NodeOptions::default());
            b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
            b.connect(
                Connect::new("X", "Y", Dense::with_weights(vec![20.0, 0.5]))
                    .rule(rule)
                    .nu(0.1),
            );
            let mut net = b.build()?;
            net.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
            let o = RunOptions {
                reward: Reward::Scalar(1.0),
                ..Default::default()
            };
            net.run(&[("X", &pair_input(steps, 1, &[0]))], steps, &o)?;
            assert_eq!(net.monitor("y")?.get("s")?.data()[1], 1.0);
            let d = (-dt / 20.0).exp();
            let de = (-dt / 25.0).exp() as f64;
            let lag = usize::from(!zero_lag);
            // Synapse 0: ζ enters E at step 1 + lag; Δw accrues from then on.
            let sum =
                |first: usize| -> f64 { (first..steps).map(|t| de.powi((t - first) as i32)).sum() };
            let nu_dt = 0.1 * dt as f64;
            let want0 = 20.0 + nu_dt * (d as f64 / 25.0) * sum(1 + lag);
            let want1 = 0.5 - nu_dt * (d as f64 / 25.0) * sum(2 + lag);
            assert_close(net.weights(XY)?, &[want0 as f32, want1 as f32], 1e-5);
        }
    }
    Ok(())
}

#[test]
fn rmax_on_srm0_deterministic_escape() -> R {
    // With d_thresh = 0.05 the escape probability is exactly 0 far below
    // threshold (exp(−400) underflows) and exactly 1 above it (exp(200) = ∞),
    // so the SRM0 neuron is deterministic: input 0 (w 30) at step 0 lifts
    // v to −40 > −50 at step 1 → s_prob = 1, s = 1.
    // E(1) = x_pre·(1 − 1/(1 + tc_c/dt·1)) = d·5/6;  E(2) = E(1)·(1 − 1/25).
    let mut b = Network::builder();
    b.add_population("X", &[1], Input, additive());
    b.add_population(
        "Y",
        &[1],
        Srm0Nodes {
            d_thresh: 0.05,
            ..Srm0Nodes::default()
        },
        NodeOptions::default(),
    );
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(vec![30.0]))
            .rule(Rmax::default())
            .nu(0.1),
    );
    let mut net = b.build()?;
    net.add_monitor("y", MonitorSpec::new("Y", &["s", "s_prob"]))?;
    let o = RunOptions {
        reward: Reward::Scalar(1.0),
        ..Default::default()
    };
    net.run(&[("X", &spikes_at(3, 1, 1, &[(0, 0, 0)]))], 3, &o)?;
    assert_eq!(net.monitor("y")?.get("s")?.data(), &[0.0, 1.0, 0.0]);
    assert_eq!(net.monitor("y")?.get("s_prob")?.data(), &[0.0, 1.0, 0.0]);
    let e1 = d20() * 5.0 / 6.0;
    assert_close(net.weights(XY)?, &[30.0 + 0.1 * e1 * (1.0 + 0.96)], 1e-6);
    Ok(())
}

#[test]
fn rmax_matches_its_equations_on_recorded_escape_noise() -> R {
    // Stochastic SRM0 (default d_thresh 5: 0 < s_prob < 1): recompute the
    // rule from the recorded x_pre, s_post and s_prob, in the same f32 order.
    for (seed, batch) in [(1u64, 1usize), (2, 1), (3, 2)] {
        let (n_pre, n_post, steps) = (4, 3, 40);
        let mut rng = Rng::seed_from_u64(seed);
        let w0: Vec<f32> = (0..n_pre * n_post)
            .map(|_| uniform(&mut rng, 0.0, 15.0))
            .collect();
        let x = poisson(&mut rng, steps, batch, n_pre, 0.3);
        let reward: Vec<f32> = (0..steps).map(|_| uniform(&mut rng, -1.0, 1.0)).collect();
        let mut b = Network::builder().batch_size(batch).seed(seed);
        b.add_population("X", &[n_pre], Input, additive());
        b.add_population("Y", &[n_post], Srm0Nodes::default(), NodeOptions::default());
        let rule = Rmax {
            tc_c: 5.0,
            tc_e_trace: 25.0,
        };
        b.connect(
            Connect::new("X", "Y", Dense::with_weights(w0.clone()))
                .rule(rule)
                .nu(0.3)
                .reduction(Reduction::Sum),
        );
        let mut net = b.build()?;
        net.add_monitor("x", MonitorSpec::new("X", &["x"]))?;
        net.add_monitor("y", MonitorSpec::new("Y", &["s", "s_prob"]))?;
        let o = RunOptions {
            reward: Reward::PerStep(reward.clone()),
            ..Default::default()
        };
        net.run(&[("X", &x)], steps, &o)?;
        let (xs, ys, ps) = (
            net.monitor("x")?.get("x")?,
            net.monitor("y")?.get("s")?,
            net.monitor("y")?.get("s_prob")?,
        );
        let ps_data = ps.data();
        assert!(
            ps_data.iter().any(|&p| p > 0.01 && p < 0.99),
            "escape noise is exercised"
        );
        let mut e = vec![0.0f32; batch * n_pre * n_post];
        let mut w = w0.clone();
        let decay = 1.0 - 1.0f32 / 25.0;
        for t in 0..steps {
            let mut dw = vec![0.0f32; n_pre * n_post];
            for b in 0..batch {
                for i in 0..n_pre {
                    let xi = xs.data()[(t * batch + b) * n_pre + i];
                    for j in 0..n_post {
                        let s = ys.data()[(t * batch + b) * n_post + j];
                        let p = ps_data[(t * batch + b) * n_post + j];
                        let k = i * n_post + j;
                        let ev = (s - p / (1.0 + 5.0 / 1.0 * p)) * xi;
                        let ek = &mut e[b * n_pre * n_post + k];
                        *ek = *ek * decay + ev;
                        dw[k] += 0.3 * reward[t] * *ek;
                    }
                }
            }
            for (a, d) in w.iter_mut().zip(dw) {
                *a += d;
            }
        }
        assert_close(net.weights(XY)?, &w, 1e-5);
        assert!(
            w.iter().zip(&w0).any(|(a, b)| a != b),
            "the rule changed something"
        );
    }
    Ok(())
}

/// The one-pass eligibility update of batch 1 (no weight decay) gives the
/// general path's weights bit for bit: the same network at batch 2 with
/// both rows identical (the mean of two equal changes is that change).
#[test]
fn eligibility_one_pass_equals_the_general_path() -> R {
    let mut rng = Rng::seed_from_u64(41);
    let (steps, n_x, n_y) = (120, 6, 4);
    let x1 = poisson(&mut rng, steps, 1, n_x, 0.3);
    let x2 = Tensor::new(
        vec![steps, 2, n_x],
        (0..steps)
            .flat_map(|t| {
                let row = &x1.data()[t * n_x..(t + 1) * n_x];
                row.iter().chain(row).copied().collect::<Vec<_>>()
            })
            .collect(),
    )?;
    let reward: Vec<f32> = (0..steps).map(|_| uniform(&mut rng, -1.0, 2.0)).collect();
    let w0: Vec<f32> = (0..n_x * n_y)
        .map(|_| uniform(&mut rng, 0.5, 3.0))
        .collect();
    let bounds = [
        (
            Bound::Scalar(f32::NEG_INFINITY),
            Bound::Scalar(f32::INFINITY),
        ),
        (Bound::Scalar(0.0), Bound::Scalar(2.5)),
        (
            Bound::PerSynapse((0..24).map(|k| 0.1 * (k % 3) as f32).collect()),
            Bound::PerSynapse((0..24).map(|k| 2.0 + 0.1 * k as f32).collect()),
        ),
    ];
    for (lo, hi) in bounds {
        let run = |batch: usize, x: &Tensor| -> R<Vec<f32>> {
            let mut b = Network::builder().batch_size(batch).seed(2);
            b.add_population("X", &[n_x], Input, NodeOptions::default());
            let lif = LifNodes {
                thresh: (-63.0).into(),
                ..Default::default()
            };
            b.add_population("Y", &[n_y], lif, NodeOptions::default());
            b.connect(
                Connect::new("X", "Y", Dense::with_weights(w0.clone()))
                    .rule(MstdpEt::default())
                    .nu((0.5, 0.0))
                    .wmin(lo.clone())
                    .wmax(hi.clone()),
            );
            let mut net = b.build()?;
            let o = RunOptions {
                reward: Reward::PerStep(reward.clone()),
                ..Default::default()
            };
            net.run(&[("X", x)], steps, &o)?;
            Ok(net.weights(XY)?.to_vec())
        };
        let (one, two) = (run(1, &x1)?, run(2, &x2)?);
        assert_ne!(one, w0, "nothing learned");
        assert_eq!(one, two, "bounds {lo:?} {hi:?}");
    }
    Ok(())
}

/// `set_rule_param` changes MSTDP's `a_plus` / `a_minus` between runs as
/// if the rule had been built with them; other names, values and rules
/// are refused.
#[test]
fn run_time_a_plus_a_minus() -> R {
    let built = Mstdp {
        a_plus: 2.0,
        a_minus: -0.5,
        ..Mstdp::default()
    };
    let o = RunOptions {
        reward: Reward::Scalar(1.0),
        ..Default::default()
    };
    let x = pair_input(6, 1, &[0]);
    let mut a = mstdp_net(Mstdp::default(), 1, Reduction::Mean)?;
    a.set_rule_param(XY, "a_plus", 2.0)?;
    a.set_rule_param(XY, "a_minus", -0.5)?;
    a.run(&[("X", &x)], 6, &o)?;
    let mut b = mstdp_net(built, 1, Reduction::Mean)?;
    b.run(&[("X", &x)], 6, &o)?;
    assert_eq!(a.weights(XY)?, b.weights(XY)?);
    let mut c = mstdp_net(Mstdp::default(), 1, Reduction::Mean)?;
    c.run(&[("X", &x)], 6, &o)?;
    assert_ne!(a.weights(XY)?, c.weights(XY)?);
    for (name, v) in [("a_plus", f32::NAN), ("tc_plus", 5.0)] {
        assert!(a.set_rule_param(XY, name, v).is_err(), "{name}");
    }
    let mut p = pair_net(1, traced(), traced(), |c| c.rule(PostPre).nu((0.1, 0.1)))?;
    let e = p.set_rule_param(XY, "a_plus", 1.0).unwrap_err();
    assert!(e.to_string().contains("PostPre"), "{e}");
    Ok(())
}
