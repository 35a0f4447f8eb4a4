//! Delays on any topology (`spikeflow::topology::WithDelays`): zero delays
//! run exactly as the wrapped topology (spikes and learned weights) on
//! dense, sparse, convolutional and local connections, and with a bias; a
//! dense one with per-synapse delays equals `Delayed`; a sparse one equals
//! the dense `Delayed` with zeros where it has no synapse; spikes in flight
//! are cleared by `reset_state`; topologies that cannot carry delays and
//! malformed delays are refused.

mod support;

use spikeflow::learning::PostPre;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::{
    AllButSelf, Conv, Delayed, LocalNd, MaxPool, MeanField, Sparse, WithDelays,
};
use support::{spikes, traced};

const STEPS: usize = 60;

/// X `[1, 6, 6]` → Y `[2, 4, 4]`; returns Y's spikes over `STEPS` steps of
/// random input and the (learned, with `learn`) weights.
fn run(conn: Connect, learn: bool) -> (Vec<f32>, Vec<f32>) {
    let mut b = Network::builder().batch_size(2).learning(learn).seed(5);
    b.add_population("X", &[1, 6, 6], Input, traced());
    let lif = LifNodes {
        thresh: (-63.0).into(),
        ..Default::default()
    };
    b.add_population("Y", &[2, 4, 4], lif, traced());
    b.connect(if learn {
        conn.rule(PostPre).nu((1e-3, 1e-2))
    } else {
        conn
    });
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    let x = spikes(STEPS, 2, 36, 0.25, 11);
    net.run(&[("X", &x)], STEPS, &RunOptions::default())
        .unwrap();
    let s = net.monitor("y").unwrap().get("s").unwrap().data().to_vec();
    assert!(
        s.contains(&1.0),
        "no output spikes: the comparison is vacuous"
    );
    (s, net.weights("X -> Y").unwrap().to_vec())
}

fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut r = Rng::seed_from_u64(seed);
    (0..n).map(|_| lo + (hi - lo) * r.uniform_f32()).collect()
}

fn sparse_triplets(seed: u64) -> Vec<(u32, u32, f32)> {
    let mut r = Rng::seed_from_u64(seed);
    let mut t = Vec::new();
    for i in 0..36 {
        for j in 0..32 {
            if r.uniform_f32() < 0.4 {
                t.push((i, j, 0.3 + r.uniform_f32()));
            }
        }
    }
    t
}

#[test]
fn zero_delays_run_exactly_as_the_wrapped_topology() {
    let w_dense = uniform(36 * 32, 0.0, 0.8, 1);
    let w_conv = uniform(2 * 9, 0.5, 2.0, 2);
    let w_local = uniform(2 * 16 * 9, 0.5, 2.0, 3);
    let conv = || Conv::new(vec![3, 3]).weights(w_conv.clone());
    let local = || LocalNd {
        kernel: vec![3, 3],
        stride: vec![1, 1],
        n_filters: 2,
        w: Some(w_local.clone()),
    };
    type Pair = (Connect, Connect);
    let cases: Vec<(&str, Pair)> = vec![
        (
            "dense",
            (
                Connect::new("X", "Y", Dense::with_weights(w_dense.clone())),
                Connect::new(
                    "X",
                    "Y",
                    WithDelays::new(Dense::with_weights(w_dense.clone()), vec![0]),
                ),
            ),
        ),
        (
            "sparse",
            (
                Connect::new("X", "Y", Sparse::Triplets(sparse_triplets(4))),
                Connect::new(
                    "X",
                    "Y",
                    WithDelays::new(Sparse::Triplets(sparse_triplets(4)), vec![0]),
                ),
            ),
        ),
        (
            "conv",
            (
                Connect::new("X", "Y", conv()),
                Connect::new("X", "Y", WithDelays::new(conv(), vec![0])),
            ),
        ),
        (
            "local",
            (
                Connect::new("X", "Y", local()),
                Connect::new("X", "Y", WithDelays::new(local(), vec![0])),
            ),
        ),
    ];
    for (what, (plain, delayed)) in cases {
        let a = run(plain, true);
        let b = run(delayed, true);
        assert_eq!(a, b, "{what}");
    }
}

#[test]
fn a_bias_is_added_every_step_undelayed() {
    let w = uniform(2 * 9, 0.0, 1.0, 12);
    let conv = || {
        Conv::new(vec![3, 3])
            .weights(w.clone())
            .bias(vec![3.0, 5.0])
    };
    let a = run(Connect::new("X", "Y", conv()), false);
    let b = run(
        Connect::new("X", "Y", WithDelays::new(conv(), vec![0])),
        false,
    );
    assert_eq!(a, b);
}

#[test]
fn dense_with_delays_equals_delayed_and_learns_the_same() {
    let w = uniform(36 * 32, 0.0, 0.8, 6);
    let mut r = Rng::seed_from_u64(7);
    let d: Vec<u16> = (0..36 * 32).map(|_| r.below(6) as u16).collect();
    assert!(d.contains(&5));
    let a = run(
        Connect::new("X", "Y", Delayed::new(w.clone(), d.clone())),
        true,
    );
    let b = run(
        Connect::new("X", "Y", WithDelays::new(Dense::with_weights(w), d)),
        true,
    );
    assert_eq!(a, b);
}

#[test]
fn sparse_with_delays_equals_dense_delayed_with_zeros_off_the_synapses() {
    let t = sparse_triplets(8); // sorted by (pre, post): the weight order
    let mut r = Rng::seed_from_u64(9);
    let d: Vec<u16> = t.iter().map(|_| r.below(8) as u16).collect();
    let (mut w_full, mut d_full) = (vec![0.0; 36 * 32], vec![0u16; 36 * 32]);
    for (&(i, j, w), &d) in t.iter().zip(&d) {
        w_full[i as usize * 32 + j as usize] = w;
        d_full[i as usize * 32 + j as usize] = d;
    }
    let (a, _) = run(
        Connect::new("X", "Y", WithDelays::new(Sparse::Triplets(t), d)),
        false,
    );
    let (b, _) = run(Connect::new("X", "Y", Delayed::new(w_full, d_full)), false);
    assert_eq!(a, b);
}

#[test]
fn reset_state_drops_the_spikes_in_flight() {
    let mut b = Network::builder();
    b.add_population("X", &[1], Input, NodeOptions::default());
    b.add_population("Y", &[1], IfNodes::default(), NodeOptions::default());
    let sparse = Sparse::Triplets(vec![(0, 0, 100.0)]);
    b.connect(Connect::new("X", "Y", WithDelays::new(sparse, vec![4])));
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    let one = Tensor::new(vec![1, 1, 1], vec![1.0]).unwrap();
    let none = Tensor::zeros(vec![8, 1, 1]);
    let opts = RunOptions::default();
    net.run(&[("X", &one)], 1, &opts).unwrap();
    net.run(&[("X", &none)], 8, &opts).unwrap();
    // The spike is propagated at step 1 and arrives 4 steps later.
    let s = net.monitor("y").unwrap().get("s").unwrap().data().to_vec();
    assert_eq!(s.iter().position(|&x| x == 1.0), Some(5), "{s:?}");
    net.reset_state();
    net.run(&[("X", &one)], 1, &opts).unwrap();
    net.run(&[("X", &Tensor::zeros(vec![2, 1, 1]))], 2, &opts)
        .unwrap();
    net.reset_state();
    net.run(&[("X", &none)], 8, &opts).unwrap();
    let s = net.monitor("y").unwrap().get("s").unwrap().data().to_vec();
    assert!(
        s.iter().all(|&x| x == 0.0),
        "a spike survived reset_state: {s:?}"
    );
}

#[test]
fn topologies_that_cannot_carry_delays_and_bad_delays_are_refused() {
    let build = |c: Connect, target: &[usize]| {
        let mut b = Network::builder();
        b.add_population("X", &[1, 4, 4], Input, NodeOptions::default());
        b.add_population("Y", target, IfNodes::default(), NodeOptions::default());
        b.connect(c);
        b.build().unwrap_err().to_string()
    };
    let pool = MaxPool::new(vec![2, 2], 0.5);
    let e = build(
        Connect::new("X", "Y", WithDelays::new(pool, vec![1])),
        &[1, 3, 3],
    );
    assert!(e.contains("no synapse map"), "{e}");
    let abs = AllButSelf { weight: -1.0 };
    let e = build(
        Connect::new("X", "Y", WithDelays::new(abs, vec![1])),
        &[1, 4, 4],
    );
    assert!(e.contains("no synapse map"), "{e}");
    let mean = MeanField::Scalar(1.0);
    let e = build(
        Connect::new("X", "Y", WithDelays::new(mean, vec![1])),
        &[1, 2, 2],
    );
    assert!(e.contains("mean"), "{e}");
    let dense = |d: Vec<u16>| Connect::new("X", "Y", WithDelays::new(Dense::default(), d));
    let e = build(dense(vec![1, 2, 3]), &[1, 2, 2]);
    assert!(e.contains("3 values for 64 weights"), "{e}");
    let e = build(dense(vec![5000]), &[1, 2, 2]);
    assert!(e.contains("exceeds"), "{e}");
}

#[test]
fn a_run_split_with_snapshots_equals_the_unsplit_run() {
    // Spikes in flight on the synapses and postsynaptic spikes on their way
    // back to a delayed rule are state: both must survive a snapshot.
    let build = || {
        let mut b = Network::builder().learning(true).seed(2);
        b.add_population("X", &[1, 6, 6], Input, traced());
        let lif = LifNodes {
            thresh: (-63.0).into(),
            ..Default::default()
        };
        b.add_population("Y", &[2, 4, 4], lif, traced());
        let t = sparse_triplets(13);
        let mut r = Rng::seed_from_u64(14);
        let d: Vec<u16> = t.iter().map(|_| r.below(7) as u16).collect();
        let rule = spikeflow::learning::StdpPowerLaw {
            dendritic_delay_steps: 4,
            ..Default::default()
        };
        b.connect(
            Connect::new("X", "Y", WithDelays::new(Sparse::Triplets(t), d))
                .rule(rule)
                .nu(0.05)
                .wmin(0.0),
        );
        b.build().unwrap()
    };
    let x = spikes(STEPS, 1, 36, 0.25, 15);
    let mut whole = build();
    whole
        .run(&[("X", &x)], STEPS, &RunOptions::default())
        .unwrap();
    let mut snap = build().snapshot();
    let mut at = 0;
    for len in [17, 1, 30, 12] {
        let piece = Tensor::new(
            vec![len, 1, 36],
            x.data()[at * 36..(at + len) * 36].to_vec(),
        )
        .unwrap();
        let mut net = build();
        net.restore(&snap).unwrap();
        net.run(&[("X", &piece)], len, &RunOptions::default())
            .unwrap();
        snap = net.snapshot();
        at += len;
    }
    assert_eq!(at, STEPS);
    let mut split = build();
    split.restore(&snap).unwrap();
    let w0 = build().weights("X -> Y").unwrap().to_vec();
    let (a, b) = (
        whole.weights("X -> Y").unwrap(),
        split.weights("X -> Y").unwrap(),
    );
    assert_ne!(a, &w0[..], "nothing learned: the comparison is vacuous");
    assert_eq!(a, b);
    assert_eq!(
        whole.population("Y").unwrap().variable("v"),
        split.population("Y").unwrap().variable("v")
    );
}
