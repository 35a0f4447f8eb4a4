//! Property tests: bounds hold after every step; mean and sum reductions
//! differ by exactly the batch size; custom reductions.

//! The shared machinery: weight decay, clamping, reductions, nu, rewards, reset.

use super::common::*;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use std::sync::Arc;

use super::random_nets::*;
#[test]
fn weights_stay_within_bounds_after_every_learning_step() -> R {
    let mut hits = [0usize; 2];
    for seed in 0..100u64 {
        for kind in ALL_KINDS {
            let mut rn = random_net(seed * 31 + kind as u64, kind, true)?;
            let check = |rn: &RandomNet, t: usize, hits: &mut [usize; 2]| -> R {
                let w = rn.net.weights(XY)?;
                for (k, &x) in w.iter().enumerate() {
                    assert!(
                        x >= rn.lo[k] && x <= rn.hi[k],
                        "seed {seed} {kind:?} step {t}: w[{k}] = {x} outside [{}, {}]",
                        rn.lo[k],
                        rn.hi[k]
                    );
                    hits[0] += usize::from(x == rn.lo[k]);
                    hits[1] += usize::from(x == rn.hi[k]);
                }
                Ok(())
            };
            // Given weights are clamped at construction already.
            check(&rn, 0, &mut hits)?;
            for t in 0..rn.steps {
                if t == rn.steps / 2 && !rn.hi.is_empty() {
                    // Push a weight out of bounds by hand: the next step clamps it.
                    let hi = rn.hi[0];
                    rn.net.weights_mut(XY)?[0] = hi + 5.0;
                }
                rn.step(t)?;
                check(&rn, t, &mut hits)?;
            }
        }
    }
    assert!(
        hits[0] > 100 && hits[1] > 100,
        "bounds are actually reached: {hits:?}"
    );
    Ok(())
}

/// Runs two copies of a network one step at a time, re-synchronising the
/// weights before each step, and returns per step `(w before, Δ of a, Δ of b)`.

#[test]
fn mean_and_sum_differ_exactly_by_the_batch_size() -> R {
    for kind in ALL_KINDS {
        for identical_rows in [true, false] {
            for seed in 0..3u64 {
                let mut mean = batch3_net(seed, kind, Reduction::Mean, identical_rows)?;
                let mut sum = batch3_net(seed, kind, Reduction::Sum, identical_rows)?;
                let mut moved = 0.0f32;
                for (t, (w0, dm, ds)) in synced_deltas(&mut mean, &mut sum)?.into_iter().enumerate()
                {
                    for k in 0..dm.len() {
                        moved += dm[k].abs();
                        // Each Δ is a difference of two rounded weights: allow their rounding.
                        let tol = 1e-6 * (1.0 + w0[k].abs() + ds[k].abs());
                        assert!(
                            (ds[k] - 3.0 * dm[k]).abs() <= tol,
                            "{kind:?} identical_rows {identical_rows} seed {seed} step {t} w[{k}]: sum Δ {} vs 3 × mean Δ {}",
                            ds[k],
                            3.0 * dm[k]
                        );
                    }
                }
                assert!(moved > 0.0, "{kind:?} seed {seed}: some learning happened");
            }
        }
    }
    Ok(())
}

#[test]
fn mean_over_identical_rows_equals_batch_one() -> R {
    // Deterministic targets only (SRM0 draws differ per row).
    for kind in [
        Kind::PostPre,
        Kind::Wdpp,
        Kind::Hebbian,
        Kind::DiehlCook,
        Kind::Mstdp,
        Kind::MstdpEt,
    ] {
        let mut b3 = batch3_net(7, kind, Reduction::Mean, true)?;
        // The batch-1 twin: same weights and rule, row 0 of the inputs.
        let mut rng = Rng::seed_from_u64(7);
        let w: Vec<f32> = (0..40).map(|_| uniform(&mut rng, 0.0, 4.0)).collect();
        let mut b = Network::builder().seed(7);
        b.add_population("X", &[8], Input, traced());
        let lif = LifNodes {
            thresh: (-60.0).into(),
            refrac: 1.0.into(),
            tc_decay: 20.0.into(),
            ..LifNodes::default()
        };
        b.add_population("Y", &[5], lif, traced());
        b.connect(
            kind.wide(kind.attach(Connect::new("X", "Y", Dense::with_weights(w)), (0.02, 0.03))),
        );
        let mut one = b.build()?;
        let row0 = |t: &Tensor, n: usize| {
            let d: Vec<f32> = (0..b3.steps)
                .flat_map(|s| t.slab(s)[..n].to_vec())
                .collect();
            Tensor::new(vec![b3.steps, 1, n], d).unwrap()
        };
        let (x1, c1) = (row0(&b3.x, 8), row0(&b3.cur, 5));
        let r1 = Tensor::new(
            vec![b3.steps, 1],
            (0..b3.steps).map(|t| b3.reward.slab(t)[0]).collect(),
        )?;
        one.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
        b3.net.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
        one.run(
            &[("X", &x1), ("Y", &c1)],
            b3.steps,
            &RunOptions {
                reward: Reward::PerStepRow(r1),
                ..Default::default()
            },
        )?;
        for t in 0..b3.steps {
            b3.step(t)?;
        }
        assert_close(b3.net.weights(XY)?, one.weights(XY)?, 1e-5);
        let (s3, s1) = (b3.net.monitor("y")?.get("s")?, one.monitor("y")?.get("s")?);
        for t in 0..b3.steps {
            for row in 0..3 {
                assert_eq!(
                    &s3.slab(t)[row * 5..(row + 1) * 5],
                    s1.slab(t),
                    "{kind:?} step {t} row {row}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn custom_reduction_hand_case() -> R {
    // Batch 2: the pair example in row 0, nothing in row 1.
    let max = Reduction::Custom(Arc::new(|r: &[f32]| {
        r.iter().copied().fold(f32::NEG_INFINITY, f32::max)
    }));
    let d = d20();
    let cases = [
        (max, [20.0 + d, 0.5]),
        (Reduction::Mean, [20.0 + d / 2.0, 0.5 - 0.1 * d / 2.0]),
        (Reduction::Sum, [20.0 + d, 0.5 - 0.1 * d]),
    ];
    for (reduction, want) in cases {
        let mut net = pair_net(2, traced(), traced(), |c| {
            c.rule(PostPre).nu((0.1, 1.0)).reduction(reduction)
        })?;
        net.run(&[("X", &pair_input(4, 2, &[0]))], 4, &RunOptions::default())?;
        assert_close(net.weights(XY)?, &want, 1e-6);
    }
    Ok(())
}

#[test]
fn custom_reduction_first_row_equals_a_batch_one_run() -> R {
    // `r[0]` maps zeros to zero, as a custom reduction must. A batch-2 net
    // that keeps only row 0's update follows the batch-1 net of row 0
    // exactly (also on the eligibility path of MSTDPET and Rmax's dense path).
    let first = Reduction::Custom(Arc::new(|r: &[f32]| r[0]));
    for kind in [
        Kind::PostPre,
        Kind::Hebbian,
        Kind::Wdpp,
        Kind::Mstdp,
        Kind::MstdpEt,
    ] {
        let mut rng = Rng::seed_from_u64(11);
        let (n_pre, n_post, steps) = (6, 4, 30);
        let w: Vec<f32> = (0..n_pre * n_post)
            .map(|_| uniform(&mut rng, 0.0, 4.0))
            .collect();
        let x = poisson(&mut rng, steps, 2, n_pre, 0.3);
        let r: Vec<f32> = (0..steps * 2)
            .map(|_| uniform(&mut rng, -1.0, 1.0))
            .collect();
        let build = |batch: usize, reduction: Reduction| -> R<Network> {
            let mut b = Network::builder().batch_size(batch);
            b.add_population("X", &[n_pre], Input, traced());
            let lif = LifNodes {
                thresh: (-60.0).into(),
                refrac: 1.0.into(),
                tc_decay: 20.0.into(),
                ..LifNodes::default()
            };
            b.add_population("Y", &[n_post], lif, traced());
            b.connect(
                kind.wide(kind.attach(
                    Connect::new("X", "Y", Dense::with_weights(w.clone())),
                    (0.02, 0.03),
                ))
                .reduction(reduction),
            );
            b.build()
        };
        let mut two = build(2, first.clone())?;
        let mut one = build(1, Reduction::Sum)?;
        let x0: Vec<f32> = (0..steps)
            .flat_map(|t| x.slab(t)[..n_pre].to_vec())
            .collect();
        let r0: Vec<f32> = (0..steps).map(|t| r[2 * t]).collect();
        two.run(
            &[("X", &x)],
            steps,
            &RunOptions {
                reward: Reward::PerStepRow(Tensor::new(vec![steps, 2], r)?),
                ..Default::default()
            },
        )?;
        one.run(
            &[("X", &Tensor::new(vec![steps, 1, n_pre], x0)?)],
            steps,
            &RunOptions {
                reward: Reward::PerStep(r0),
                ..Default::default()
            },
        )?;
        assert_close(two.weights(XY)?, one.weights(XY)?, 1e-6);
        assert!(
            one.weights(XY)? != w.as_slice(),
            "{kind:?}: learning happened"
        );
    }
    Ok(())
}
