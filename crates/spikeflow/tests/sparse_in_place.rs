//! The in-place path of the learning loop on compressed rows (sparse and
//! fixed in-degree connections, batch 1, scalar rates) gives the generic
//! loop's weights bit for bit, for every rule family, with multapses,
//! postsynaptic spikes seen late (power-law STDP's dendritic delay),
//! bounds, weight decay, and rows longer than the blocks in which a row's
//! pass looks for spiking targets. Per-synapse learning rates force the generic
//! loop, so comparing the two forms of the same rates checks the fast path
//! against the reference. Per-synapse bounds with weight decay, which the
//! in-place paths leave to the generic loop (the rule reads the bounds),
//! are checked the same way on a dense connection too. Without decay the
//! compressed rows' post terms wait in a log until their row is read: long
//! runs (the log fills and is flushed), a weight monitor (it is flushed
//! every step), and rates with no pre term (rows of spiking sources catch
//! up all the same) must still give the generic loop's weights.

mod support;

use spikeflow::learning::Nu;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::{Bound, FixedIndegree, Sparse, TopologySpec};
use std::sync::Arc;
use support::{traced, with_rule_family, RMAX, RULE_FAMILIES};

const STEPS: usize = 150;
const N_PRE: usize = 30;
const N_POST: usize = 24;

#[derive(Clone, Copy, Debug)]
enum Shape {
    /// Fixed in-degree 20 from 30 sources: multapses.
    FixedIndegree,
    /// Fixed in-degree 8 from 10 sources into 300 targets: rows of ~240
    /// synapses, longer than the blocks a row's pass searches for
    /// spiking targets.
    LongRows,
    /// 40 % of the pairs.
    Triplets,
    /// All pairs (the dense in-place path).
    Dense,
}

#[derive(Clone, Copy, Debug)]
enum Tail {
    /// Weights in [0, 1].
    Bounded,
    /// Weights in [0, 1] and 1 % decay per step.
    Decaying,
    /// A bound per synapse and 1 % decay per step.
    PerSynapseBounds,
}

/// Sources and targets of `shape`'s connection.
fn sizes(shape: Shape) -> (usize, usize) {
    match shape {
        Shape::LongRows => (10, 300),
        _ => (N_PRE, N_POST),
    }
}

fn topology(shape: Shape, seed: u64) -> (Box<dyn TopologySpec>, usize) {
    let mut r = Rng::seed_from_u64(seed);
    match shape {
        Shape::LongRows => (
            Box::new(FixedIndegree {
                indegree: 8,
                weight: 0.5,
                autapses: true,
                seed,
            }),
            sizes(shape).1 * 8,
        ),
        Shape::FixedIndegree => (
            Box::new(FixedIndegree {
                indegree: 20,
                weight: 0.5,
                autapses: true,
                seed,
            }),
            N_POST * 20,
        ),
        Shape::Triplets => {
            let mut t = Vec::new();
            for i in 0..N_PRE as u32 {
                for j in 0..N_POST as u32 {
                    if r.uniform_f32() < 0.4 {
                        t.push((i, j, 0.2 + 0.6 * r.uniform_f32()));
                    }
                }
            }
            let n = t.len();
            (Box::new(Sparse::Triplets(t)), n)
        }
        Shape::Dense => {
            let w = (0..N_PRE * N_POST)
                .map(|_| 0.2 + 0.6 * r.uniform_f32())
                .collect();
            (Box::new(Dense::with_weights(w)), N_PRE * N_POST)
        }
    }
}

/// The weights after two runs (70 + 80 steps) of random input.
fn run(shape: Shape, tail: Tail, family: usize, per_synapse_nu: bool, seed: u64) -> Vec<f32> {
    let (n_pre, n_post) = sizes(shape);
    let mut b = Network::builder().seed(seed);
    b.add_population("X", &[n_pre], Input, traced());
    let lif = LifNodes {
        thresh: (-63.0).into(),
        ..Default::default()
    };
    b.add_population("Y", &[n_post], lif, traced());
    let (spec, n) = topology(shape, seed);
    let mut c = Connect::new("X", "Y", spec);
    c = match tail {
        Tail::Bounded => c.wmin(0.0).wmax(1.0),
        Tail::Decaying => c.wmin(0.0).wmax(1.0).weight_decay(0.01),
        Tail::PerSynapseBounds => {
            let hi = (0..n).map(|k| 0.8 + 0.4 * (k % 3) as f32 / 2.0).collect();
            c.wmin(Bound::PerSynapse(vec![0.0; n]))
                .wmax(Bound::PerSynapse(hi))
                .weight_decay(0.01)
        }
    };
    let (a, bb) = (0.02, 0.05);
    let c = with_rule_family(c, family, (a, bb));
    let c = if per_synapse_nu {
        c.nu(Nu::PerSynapse(Arc::new(vec![a; n]), Arc::new(vec![bb; n])))
    } else {
        c
    };
    b.connect(c);
    let mut net = b.build().unwrap();
    let mut r = Rng::seed_from_u64(seed + 1);
    let x: Vec<f32> = (0..STEPS * n_pre)
        .map(|_| f32::from(u8::from(r.uniform_f32() < 0.25)))
        .collect();
    let reward = RunOptions {
        reward: Reward::Scalar(0.5),
        ..Default::default()
    };
    for (from, to) in [(0, 70), (70, STEPS)] {
        let part = Tensor::new(
            vec![to - from, 1, n_pre],
            x[from * n_pre..to * n_pre].to_vec(),
        )
        .unwrap();
        net.run(&[("X", &part)], to - from, &reward).unwrap();
    }
    net.weights("X -> Y").unwrap().to_vec()
}

fn same(shape: Shape, tail: Tail) {
    for family in (0..RULE_FAMILIES).filter(|&f| f != RMAX) {
        let seed = 3 + family as u64;
        let fast = run(shape, tail, family, false, seed);
        let generic = run(shape, tail, family, true, seed);
        assert_eq!(fast, generic, "{shape:?} {tail:?} family {family}");
        assert_ne!(
            fast,
            run(shape, tail, 99, false, seed),
            "{shape:?} {tail:?} family {family} learned nothing"
        );
    }
}

#[test]
fn fixed_indegree_with_multapses() {
    same(Shape::FixedIndegree, Tail::Bounded);
    same(Shape::FixedIndegree, Tail::Decaying);
}

#[test]
fn long_rows() {
    same(Shape::LongRows, Tail::Bounded);
    same(Shape::LongRows, Tail::Decaying);
}

#[test]
fn triplets() {
    same(Shape::Triplets, Tail::Bounded);
    same(Shape::Triplets, Tail::Decaying);
}

#[test]
fn per_synapse_bounds_with_decay_sparse_and_dense() {
    same(Shape::Triplets, Tail::PerSynapseBounds);
    same(Shape::Dense, Tail::PerSynapseBounds);
}

/// PostPre and power-law STDP on fixed in-degree rows, bounded (the logged
/// path): `steps` steps in one run, `nu` as given, a weight monitor or not;
/// the weights (and those recorded) against the generic loop's.
fn logged(family: usize, steps: usize, nu: (f32, f32), watch: bool, generic: bool) -> Vec<f32> {
    let mut b = Network::builder().seed(11);
    b.add_population("X", &[N_PRE], Input, traced());
    let lif = LifNodes {
        thresh: (-63.0).into(),
        ..Default::default()
    };
    b.add_population("Y", &[N_POST], lif, traced());
    let (spec, n) = topology(Shape::FixedIndegree, 11);
    let c = Connect::new("X", "Y", spec).wmin(0.0).wmax(1.0);
    let c = with_rule_family(c, family, nu);
    b.connect(if generic {
        c.nu(Nu::PerSynapse(
            Arc::new(vec![nu.0; n]),
            Arc::new(vec![nu.1; n]),
        ))
    } else {
        c
    });
    let mut net = b.build().unwrap();
    if watch {
        net.add_monitor("w", MonitorSpec::new("X -> Y", &["w"]))
            .unwrap();
    }
    let mut r = Rng::seed_from_u64(12);
    let x: Vec<f32> = (0..steps * N_PRE)
        .map(|_| f32::from(u8::from(r.uniform_f32() < 0.05)))
        .collect();
    let x = Tensor::new(vec![steps, 1, N_PRE], x).unwrap();
    net.run(&[("X", &x)], steps, &RunOptions::default())
        .unwrap();
    let mut out = net.weights("X -> Y").unwrap().to_vec();
    if watch {
        out.extend_from_slice(net.monitor("w").unwrap().get("w").unwrap().data());
    }
    out
}

#[test]
fn logged_post_terms_long_runs_weight_monitors_and_no_pre_term() {
    const POWER_LAW: usize = 7;
    for family in [0, POWER_LAW] {
        // 5,000 steps: more than the log holds for these 30 sources.
        for (steps, nu, watch) in [
            (5000, (0.002, 0.005), false),
            (300, (0.02, 0.05), true),
            (600, (0.0, 0.05), false),
        ] {
            let fast = logged(family, steps, nu, watch, false);
            let generic = logged(family, steps, nu, watch, true);
            assert_eq!(
                fast, generic,
                "family {family}, {steps} steps, nu {nu:?}, monitor {watch}"
            );
            assert_ne!(
                fast,
                logged(99, steps, nu, watch, false),
                "family {family} learned nothing"
            );
        }
    }
}
