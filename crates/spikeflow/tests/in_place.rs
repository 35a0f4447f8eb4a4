//! The in-place dense path of the learning loop (batch 1, scalar rates)
//! gives the generic loop's weights bit for bit, for every rule it serves —
//! including its deferred post terms, replayed row by row: over runs longer
//! than the deferral log, split into several runs, read every step by a
//! weight monitor, and in one-step mode (propagation reads rows of this
//! step's spikes). Per-synapse learning rates force the generic loop, so
//! comparing the two forms of the same rates checks the fast path against
//! the reference.

use spikeflow::learning::Nu;
use spikeflow::models::diehl_cook_paper::PaperStdp;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use std::sync::Arc;

/// How a run is driven.
#[derive(Clone, Copy, Debug)]
enum Drive {
    /// One run of 150 steps (over two deferral logs).
    Long,
    /// Runs of 70 + 1 + 79 steps.
    Split,
    /// 150 steps with a monitor recording the weights every step.
    Monitored,
    /// 150 steps in one-step mode.
    OneStep,
}

const STEPS: usize = 150;

/// Final weights, then the monitored weights of every step (if any).
fn run<R: SynapseRule + Clone>(rule: R, nu: Nu, seed: u64, drive: Drive) -> Vec<f32> {
    let o = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().seed(seed);
    b.add_population("X", &[30], Input, o.clone());
    b.add_population(
        "Y",
        &[12],
        LifNodes {
            thresh: (-62.0).into(),
            ..Default::default()
        },
        o,
    );
    let c = Connect::new("X", "Y", Dense::default()).wmin(0.0).wmax(1.0);
    // Rates all 0: no rule (a rule that would never run is refused).
    b.connect(if nu == Nu::Pair(0.0, 0.0) {
        c
    } else {
        c.rule(rule).nu(nu)
    });
    let mut net = b.build().unwrap();
    if let Drive::Monitored = drive {
        net.add_monitor("w", MonitorSpec::new("X -> Y", &["w"]))
            .unwrap();
    }
    let mut r = Rng::seed_from_u64(seed + 1);
    let x: Vec<f32> = (0..STEPS * 30)
        .map(|_| (r.uniform_f32() < 0.2) as u8 as f32)
        .collect();
    let options = RunOptions {
        one_step: matches!(drive, Drive::OneStep),
        ..Default::default()
    };
    let cuts: &[usize] = match drive {
        Drive::Split => &[0, 70, 71, STEPS],
        _ => &[0, STEPS],
    };
    for c in cuts.windows(2) {
        let part = Tensor::new(vec![c[1] - c[0], 1, 30], x[c[0] * 30..c[1] * 30].to_vec()).unwrap();
        net.run(&[("X", &part)], c[1] - c[0], &options).unwrap();
    }
    let mut out = net.weights("X -> Y").unwrap().to_vec();
    if let Drive::Monitored = drive {
        out.extend_from_slice(net.monitor("w").unwrap().get("w").unwrap().data());
    }
    out
}

fn same<R: SynapseRule + Clone>(rule: R) {
    let (a, b) = (0.02, 0.05);
    let n = 30 * 12;
    for (seed, drive) in [Drive::Long, Drive::Split, Drive::Monitored, Drive::OneStep]
        .into_iter()
        .enumerate()
    {
        let seed = seed as u64;
        let fast = run(rule.clone(), Nu::Pair(a, b), seed, drive);
        let generic = run(
            rule.clone(),
            Nu::PerSynapse(Arc::new(vec![a; n]), Arc::new(vec![b; n])),
            seed,
            drive,
        );
        assert_eq!(fast, generic, "{} {drive:?}", rule.name());
        assert_ne!(
            fast,
            run(rule.clone(), Nu::Pair(0.0, 0.0), seed, drive),
            "{} learned nothing",
            rule.name()
        );
    }
}

/// Its pre term branches on a postsynaptic spike in the same step (NEST's
/// potentiation before depression); the fast path's pre pass folds the
/// branch away where the spiking targets are redone.
#[test]
fn stdp_power_law() {
    same(spikeflow::learning::StdpPowerLaw::default());
}

#[test]
fn post_pre() {
    same(PostPre);
}

#[test]
fn weight_dependent_post_pre() {
    same(WeightDependentPostPre);
}

#[test]
fn hebbian() {
    same(Hebbian);
}

#[test]
fn diehl_and_cook() {
    same(DiehlAndCook::default());
}

#[test]
fn paper_stdp_with_rule_traces() {
    same(PaperStdp::default());
}
