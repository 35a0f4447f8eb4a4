//! Multapses — several synapses joining one `(pre, post)` pair, as NEST's
//! `fixed_indegree` draws them — in sparse connections: refused unless
//! asked for; once asked for, each is a synapse of its own (propagation
//! sums them, learning updates each from its own weight), the dense
//! (BindsNET) view sums a pair's synapses, and writing or masking through
//! that view is refused rather than guessing which synapse a value is for.

use spikeflow::learning::StdpPowerLaw;
use spikeflow::nodes::IafPscAlphaNodes;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::{FixedIndegree, Sparse, TopologySpec, WithDelays};
use spikeflow::{Error, NetworkBuilder};

fn two_inputs(n_pre: usize, n_post: usize) -> NetworkBuilder {
    let mut b = Network::builder().dt(0.1);
    b.add_population("X", &[n_pre], Input, NodeOptions::default());
    b.add_population("Y", &[n_post], Input, NodeOptions::default());
    b
}

fn err_text<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn duplicates_refused_unless_multapses_are_asked_for() {
    let trip = vec![(1, 2, 1.0), (0, 0, 3.0), (1, 2, 0.5)];
    let mut b = two_inputs(2, 3);
    b.connect(Connect::new("X", "Y", Sparse::Triplets(trip.clone())));
    let e = err_text(b.build());
    assert!(e.contains("duplicate") && e.contains("Multapses"), "{e}");

    let mut b = two_inputs(2, 3);
    b.connect(Connect::new("X", "Y", Sparse::Multapses(trip)));
    let mut net = b.build().unwrap();
    // Stored in (pre, post) order, a pair's synapses in the order given.
    assert_eq!(net.weights("X -> Y").unwrap(), &[3.0, 1.0, 0.5]);
    // The dense view shows what a pair transmits: the sum.
    let dense = net.weights_tensor("X -> Y").unwrap();
    assert_eq!(dense.data(), &[3.0, 0.0, 0.0, 0.0, 0.0, 1.5]);
    // Writing or masking through it is refused, and nothing changes.
    let e = err_text(net.set_weights_tensor("X -> Y", &dense));
    assert!(e.contains("multapses") && e.contains("weights_mut"), "{e}");
    let e = err_text(net.weight_mask_from_layout("X -> Y", &[2, 3], &[false; 6]));
    assert!(e.contains("multapses"), "{e}");
    assert_eq!(net.weights("X -> Y").unwrap(), &[3.0, 1.0, 0.5]);
    // Per synapse, writing works.
    net.weights_mut("X -> Y").unwrap()[2] = 0.25;
    assert_eq!(net.weights_tensor("X -> Y").unwrap().data()[5], 1.25);

    // Without repeats, Multapses is Triplets: the dense layout stays writable.
    let mut b = two_inputs(2, 3);
    b.connect(Connect::new("X", "Y", Sparse::Multapses(vec![(1, 2, 1.0)])));
    let mut net = b.build().unwrap();
    let w = Tensor::new(vec![2, 3], vec![0.0, 0.0, 0.0, 0.0, 0.0, 2.0]).unwrap();
    net.set_weights_tensor("X -> Y", &w).unwrap();
    assert_eq!(net.weights("X -> Y").unwrap(), &[2.0]);
}

/// Voltages of an iaf_psc_alpha population `Y` driven from `X` through
/// `topology` (and a delay of 3 steps), given `X`'s spikes.
fn voltages(topology: impl TopologySpec + 'static, x: &Tensor, steps: usize) -> Vec<f32> {
    let mut b = Network::builder().dt(0.1);
    b.add_population("X", &[3], Input, NodeOptions::default());
    let quiet = IafPscAlphaNodes {
        v_th: 1e9.into(),
        ..Default::default()
    };
    b.add_population("Y", &[2], quiet, NodeOptions::default());
    b.connect(Connect::new("X", "Y", WithDelays::new(topology, vec![3])));
    let mut net = b.build().unwrap();
    net.add_monitor("v", MonitorSpec::new("Y", &["v"])).unwrap();
    net.run(&[("X", x)], steps, &RunOptions::default()).unwrap();
    net.monitor("v").unwrap().get("v").unwrap().data().to_vec()
}

#[test]
fn propagation_sums_a_pairs_synapses() {
    let steps = 40;
    let mut r = Rng::seed_from_u64(3);
    let x: Vec<f32> = (0..steps * 3)
        .map(|_| f32::from(u8::from(r.uniform_f32() < 0.2)))
        .collect();
    let x = Tensor::new(vec![steps, 1, 3], x).unwrap();
    let multi = Sparse::Multapses(vec![
        (0, 1, 100.0),
        (2, 0, 50.0),
        (0, 1, 60.0),
        (2, 0, -20.0),
    ]);
    let single = Sparse::Triplets(vec![(0, 1, 160.0), (2, 0, 30.0)]);
    let (a, b) = (voltages(multi, &x, steps), voltages(single, &x, steps));
    assert!(a.iter().any(|&v| v != -70.0));
    for (k, (p, q)) in a.iter().zip(&b).enumerate() {
        assert!((p - q).abs() <= 1e-5 * q.abs().max(1.0), "{k}: {p} vs {q}");
    }
}

/// Weights after `steps` of random pre/post spikes with power-law STDP on
/// the given connections, one per entry, from sources `X0`, `X1`, … that
/// all spike alike, onto `Y`.
fn learned(conns: Vec<Sparse>, steps: usize) -> Vec<Vec<f32>> {
    let mut b = Network::builder().dt(0.1);
    let names: Vec<String> = (0..conns.len()).map(|k| format!("X{k}")).collect();
    for n in &names {
        b.add_population(n, &[2], Input, NodeOptions::default());
    }
    b.add_population("Y", &[2], Input, NodeOptions::default());
    let rule = StdpPowerLaw {
        alpha: 0.0513,
        tau_plus: 15.0,
        tau_minus: 30.0,
        dendritic_delay_steps: 2,
        ..Default::default()
    };
    for (c, name) in conns.into_iter().zip(&names) {
        b.connect(Connect::new(name, "Y", c).rule(rule).nu(0.1).wmin(0.0));
    }
    let mut net = b.build().unwrap();
    let mut r = Rng::seed_from_u64(11);
    let mut train = || {
        let v: Vec<f32> = (0..steps * 2)
            .map(|_| f32::from(u8::from(r.uniform_f32() < 0.1)))
            .collect();
        Tensor::new(vec![steps, 1, 2], v).unwrap()
    };
    let (x, y) = (train(), train());
    let mut inputs: Vec<(&str, &Tensor)> = names.iter().map(|n| (n.as_str(), &x)).collect();
    inputs.push(("Y", &y));
    net.run(&inputs, steps, &RunOptions::default()).unwrap();
    names
        .iter()
        .map(|n| net.weights(&format!("{n} -> Y")).unwrap().to_vec())
        .collect()
}

#[test]
fn learning_treats_each_multapse_as_its_own_synapse() {
    // A pair joined by synapses of 10 and 40 (power-law STDP depends on
    // the weight) against the same synapses in two connections.
    let steps = 400;
    let multi = learned(
        vec![Sparse::Multapses(vec![
            (0, 1, 10.0),
            (1, 0, 5.0),
            (0, 1, 40.0),
        ])],
        steps,
    );
    let apart = learned(
        vec![
            Sparse::Triplets(vec![(0, 1, 10.0), (1, 0, 5.0)]),
            Sparse::Triplets(vec![(0, 1, 40.0)]),
        ],
        steps,
    );
    // Stored in (pre, post) order: (0, 1) twice, then (1, 0).
    let m = &multi[0];
    assert_eq!(m, &[apart[0][0], apart[1][0], apart[0][1]]);
    assert!(m[0] != 10.0 && m[1] != 40.0 && m[2] != 5.0, "{m:?}");
    assert!(
        m[1] - 40.0 != m[0] - 10.0,
        "weight-dependent changes: {m:?}"
    );
}

#[test]
fn fixed_indegree_draws_exactly_k_per_target_keyed_by_target() {
    let build = |n_post: usize, autapses: bool| {
        let mut b = Network::builder();
        b.add_population("X", &[40], Input, NodeOptions::default());
        b.add_population("Y", &[n_post], Input, NodeOptions::default());
        let f = FixedIndegree {
            indegree: 60,
            weight: 1.0,
            autapses,
            seed: 9,
        };
        b.connect(Connect::new("X", "Y", f));
        b.build().unwrap().weights_tensor("X -> Y").unwrap()
    };
    let (big, small) = (build(40, false), build(25, false));
    for j in 0..40 {
        let col: Vec<f32> = (0..40).map(|i| big.data()[i * 40 + j]).collect();
        // 60 synapses from 40 sources: multapses; never from itself.
        assert_eq!(col.iter().sum::<f32>(), 60.0);
        assert_eq!(col[j], 0.0);
        assert!(col.iter().any(|&c| c >= 2.0));
        if j < 25 {
            // The sources of target j do not depend on the other targets.
            let c2: Vec<f32> = (0..40).map(|i| small.data()[i * 25 + j]).collect();
            assert_eq!(col, c2, "target {j}");
        }
    }
    // With autapses some target draws itself.
    let with = build(40, true);
    assert!((0..40).any(|j| with.data()[j * 40 + j] > 0.0));

    let mut b = Network::builder();
    b.add_population("X", &[1], Input, NodeOptions::default());
    let f = FixedIndegree {
        indegree: 3,
        weight: 1.0,
        autapses: false,
        seed: 0,
    };
    b.connect(Connect::new("X", "X", f));
    let e = err_text(b.build());
    assert!(e.contains("X -> X") && e.contains("autapses"), "{e}");
}
