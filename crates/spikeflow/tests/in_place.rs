//! The in-place dense path of the learning loop (batch 1, scalar rates)
//! gives the generic loop's weights bit for bit, for every rule it serves.
//! Per-synapse learning rates force the generic loop, so comparing the two
//! forms of the same rates checks the fast path against the reference.

use spikeflow::learning::Nu;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use std::sync::Arc;

fn run<R: SynapseRule + Clone>(rule: R, nu: Nu, seed: u64) -> Vec<f32> {
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
    b.connect(
        Connect::new("X", "Y", Dense::default())
            .rule(rule)
            .nu(nu)
            .wmin(0.0)
            .wmax(1.0),
    );
    let mut net = b.build().unwrap();
    let mut r = Rng::seed_from_u64(seed + 1);
    let x: Vec<f32> = (0..60 * 30)
        .map(|_| (r.uniform_f32() < 0.2) as u8 as f32)
        .collect();
    let x = Tensor::new(vec![60, 1, 30], x).unwrap();
    net.run(&[("X", &x)], 60, &RunOptions::default()).unwrap();
    net.weights("X -> Y").unwrap().to_vec()
}

fn same<R: SynapseRule + Clone>(rule: R) {
    let (a, b) = (0.02, 0.05);
    let n = 30 * 12;
    for seed in 0..3 {
        let fast = run(rule.clone(), Nu::Pair(a, b), seed);
        let generic = run(
            rule.clone(),
            Nu::PerSynapse(Arc::new(vec![a; n]), Arc::new(vec![b; n])),
            seed,
        );
        assert_eq!(fast, generic, "{} seed {seed}", rule.name());
        assert_ne!(
            fast,
            run(rule.clone(), Nu::Pair(0.0, 0.0), seed),
            "{} learned nothing",
            rule.name()
        );
    }
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
