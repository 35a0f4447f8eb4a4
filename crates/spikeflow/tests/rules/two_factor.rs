//! Two-factor rules on the pair example.

use super::common::*;
use spikeflow::prelude::*;

// ---------------------------------------------------------------------------
// Two-factor rules: the pair example.
// ---------------------------------------------------------------------------

#[test]
fn postpre_pair_example() -> R {
    let mut net = pair_net(1, traced(), traced(), |c| c.rule(PostPre).nu((0.1, 1.0)))?;
    net.run(&[("X", &pair_input(4, 1, &[0]))], 4, &RunOptions::default())?;
    assert_eq!(
        net.monitor("y")?.get("s")?.data(),
        &[0.0, 1.0, 0.0, 0.0],
        "Y spikes once, one step after input 0"
    );
    let d = d20();
    let ws = w_per_step(&net)?;
    // Step 0: pre spike but x_post = 0: nothing. Step 1: post spike, w0 += 1.0·x_pre0 = d.
    assert_close(&ws[0], &[20.0, 0.5], 0.0);
    assert_close(&ws[1], &[20.0 + d, 0.5], 1e-6);
    // Step 2: pre 1 spikes, w1 −= 0.1·x_post = 0.1·d.
    assert_close(&ws[2], &[20.0 + d, 0.5 - 0.1 * d], 1e-6);
    assert_close(net.weights(XY)?, &[20.95123, 0.40488], 1e-5);
    Ok(())
}

#[test]
fn postpre_simultaneous_pre_and_post_both_depresses_and_potentiates() -> R {
    // Input 0 spikes at steps 0 and 1; Y spikes at step 1 (from step 0's
    // spike). At step 1 the traces already hold this step's spikes (x = 1),
    // so both terms fire: Δw0 = −0.1·1 + 1.0·1.
    let mut net = pair_net(1, traced(), traced(), |c| c.rule(PostPre).nu((0.1, 1.0)))?;
    net.run(
        &[("X", &spikes_at(2, 1, 2, &[(0, 0, 0), (1, 0, 0)]))],
        2,
        &RunOptions::default(),
    )?;
    assert_eq!(net.monitor("y")?.get("s")?.data(), &[0.0, 1.0]);
    assert_close(net.weights(XY)?, &[20.0 - 0.1 + 1.0, 0.5], 1e-6);
    Ok(())
}

#[test]
fn weight_dependent_postpre_pair_example() -> R {
    let mut net = pair_net(1, traced(), traced(), |c| {
        c.rule(WeightDependentPostPre)
            .nu((0.1, 1.0))
            .wmin(0.0)
            .wmax(30.0)
    })?;
    net.run(&[("X", &pair_input(4, 1, &[0]))], 4, &RunOptions::default())?;
    let d = d20();
    // w0 += 1.0·d·(wmax − w0) = 10·d;  w1 −= 0.1·d·(w1 − wmin) = 0.05·d.
    assert_close(net.weights(XY)?, &[20.0 + 10.0 * d, 0.5 - 0.05 * d], 1e-6);
    assert_close(net.weights(XY)?, &[29.51229, 0.45244], 1e-5);
    Ok(())
}

#[test]
fn weight_dependent_postpre_uses_per_synapse_bounds() -> R {
    let wmin = Bound::PerSynapse(vec![0.0, -1.5]);
    let wmax = Bound::PerSynapse(vec![25.0, 1.0]);
    let mut net = pair_net(1, traced(), traced(), |c| {
        c.rule(WeightDependentPostPre)
            .nu((0.1, 1.0))
            .wmin(wmin)
            .wmax(wmax)
    })?;
    net.run(&[("X", &pair_input(4, 1, &[0]))], 4, &RunOptions::default())?;
    let d = d20();
    assert_close(
        net.weights(XY)?,
        &[20.0 + 5.0 * d, 0.5 - 0.1 * d * 2.0],
        1e-6,
    );
    Ok(())
}

#[test]
fn hebbian_pair_example() -> R {
    let mut net = pair_net(1, traced(), traced(), |c| c.rule(Hebbian).nu((0.1, 1.0)))?;
    net.run(&[("X", &pair_input(4, 1, &[0]))], 4, &RunOptions::default())?;
    let d = d20();
    // Both terms potentiate: w0 += 1.0·d, w1 += 0.1·d.
    assert_close(net.weights(XY)?, &[20.0 + d, 0.5 + 0.1 * d], 1e-6);
    assert_close(net.weights(XY)?, &[20.95123, 0.59512], 1e-5);
    Ok(())
}

#[test]
fn diehl_and_cook_with_target_trace_and_exponent() -> R {
    // x_tar = 0.2, mu = 2, wmax = 30, nu_post = 0.01 (nu_pre = 5 is ignored).
    // At Y's spike (step 1): Δw_i = 0.01·(x_pre_i − 0.2)·max(30 − w_i, 0)².
    let rule = DiehlAndCook {
        x_tar: 0.2,
        mu: 2.0,
    };
    let mut net = pair_net(1, traced(), NodeOptions::default(), |c| {
        c.rule(rule).nu((5.0, 0.01)).wmax(30.0)
    })?;
    net.run(&[("X", &pair_input(4, 1, &[0]))], 4, &RunOptions::default())?;
    let d = d20();
    let want = [
        20.0 + 0.01 * (d - 0.2) * 100.0,
        0.5 + 0.01 * (0.0 - 0.2) * 29.5 * 29.5,
    ];
    assert_close(net.weights(XY)?, &want, 1e-5);
    // Only the post spike changed anything (the pre spike of step 2 did not).
    let ws = w_per_step(&net)?;
    assert_eq!(ws[1], ws[3]);
    assert_close(&want, &[20.751229, -1.2405], 1e-5);

    // mu = 1: f = wmax − w, no rectification.
    let rule = DiehlAndCook {
        x_tar: 0.2,
        mu: 1.0,
    };
    let mut net = pair_net(1, traced(), NodeOptions::default(), |c| {
        c.rule(rule).nu((0.0, 0.01)).wmax(30.0)
    })?;
    net.run(&[("X", &pair_input(4, 1, &[0]))], 4, &RunOptions::default())?;
    assert_close(
        net.weights(XY)?,
        &[20.0 + 0.01 * (d - 0.2) * 10.0, 0.5 - 0.01 * 0.2 * 29.5],
        1e-6,
    );
    Ok(())
}
