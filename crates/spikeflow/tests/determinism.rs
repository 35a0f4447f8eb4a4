//! Results do not depend on the number of threads, and Diehl & Cook's O(n)
//! lateral connections equal the dense matrices BindsNET builds.
//!
//! With the parallel thresholds scaled down (`spikeflow::parallel`), every
//! network here takes the parallel paths (column blocks of dense
//! propagation, batch rows, row blocks of dense learning, deferred replays,
//! whole-matrix clamping) with 2 threads and skips them with 1; every spike
//! of every step and every weight must agree bit for bit.

mod support;

use spikeflow::models::DiehlAndCook2015;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Bernoulli raster `[steps, batch, n]` with per-input probabilities `p`.
fn raster(steps: usize, batch: usize, p: &[f32], seed: u64) -> Tensor {
    let mut r = Rng::seed_from_u64(seed);
    let n = p.len();
    let data = (0..steps * batch * n)
        .map(|k| (r.uniform_f32() < p[k % n]) as u8 as f32)
        .collect();
    Tensor::new(vec![steps, batch, n], data).unwrap()
}

/// What is compared: per-step spikes of the named populations, the weights
/// of the named connections, and extra variables.
#[derive(Debug, PartialEq)]
struct Trace {
    spikes: Vec<Vec<u32>>,
    weights: Vec<Vec<u32>>,
    extra: Vec<Vec<u32>>,
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// W2-like: dense N(0,1) weights, Poisson input, PostPre (unbounded), and a
/// bounded variant with weight decay (whole-matrix decay and clamp).
fn dense_stdp(n: usize, steps: usize, bounded: bool) -> Trace {
    let mut r = Rng::seed_from_u64(11);
    let w: Vec<f32> = (0..n * n).map(|_| r.normal_f32()).collect();
    let opts = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().seed(3);
    b.add_population("X", &[n], Input, opts.clone());
    b.add_population("Y", &[n], LifNodes::default(), opts);
    let mut c = Connect::new("X", "Y", Dense::with_weights(w))
        .rule(PostPre)
        .nu((1e-4, 1e-2));
    if bounded {
        c = c.wmin(-1.0).wmax(1.0).weight_decay(1e-4);
    }
    b.connect(c);
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    let p: Vec<f32> = (0..n).map(|_| 0.1 * r.uniform_f32()).collect();
    let x = raster(steps, 1, &p, 5);
    net.run(&[("X", &x)], steps, &RunOptions::default())
        .unwrap();
    Trace {
        spikes: vec![bits(net.monitor("y").unwrap().get("s").unwrap().data())],
        weights: vec![bits(net.weights("X -> Y").unwrap())],
        extra: vec![bits(net.population("Y").unwrap().variable("v").unwrap())],
    }
}

/// Diehl & Cook with strong input, `samples` runs of `steps` (normalisation
/// after each), learning on or off.
fn diehl_cook(n: usize, batch: usize, learning: bool, fast_lateral: bool, samples: usize) -> Trace {
    let mut net = DiehlAndCook2015 {
        n_neurons: n,
        inh: 120.0,
        batch_size: batch,
        seed: 2,
        fast_lateral,
        ..Default::default()
    }
    .build()
    .unwrap();
    net.set_learning(learning);
    net.add_monitor("ae", MonitorSpec::new("Ae", &["s"]))
        .unwrap();
    net.add_monitor("ai", MonitorSpec::new("Ai", &["s"]))
        .unwrap();
    let mut r = Rng::seed_from_u64(9);
    let mut out = Trace {
        spikes: Vec::new(),
        weights: Vec::new(),
        extra: Vec::new(),
    };
    for k in 0..samples {
        // ~10 % of the 784 inputs per step: enough work for the parallel paths.
        let p: Vec<f32> = (0..784).map(|_| 0.2 * r.uniform_f32()).collect();
        let x = raster(60, batch, &p, 100 + k as u64);
        let x = Tensor::new(vec![60, batch, 1, 28, 28], x.into_data()).unwrap();
        net.run(&[("X", &x)], 60, &RunOptions::default()).unwrap();
        for m in ["ae", "ai"] {
            out.spikes
                .push(bits(net.monitor(m).unwrap().get("s").unwrap().data()));
        }
        out.extra.push(bits(
            net.population("Ae").unwrap().variable("theta").unwrap(),
        ));
        out.extra
            .push(bits(net.population("Ae").unwrap().variable("v").unwrap()));
        net.reset_state();
        out.weights.push(bits(net.weights("X -> Ae").unwrap()));
    }
    out
}

/// Learning off, batch 5: with 2 threads the run goes in lanes of 2 and 3
/// rows. Conductance neurons with two receptors (dense excitation, sparse
/// one-to-one and "all but self" inhibition), LIF, traces and input sums;
/// every kind of monitor; a clamp and a voltage injection; two runs, so
/// that sums and rings carry over from one run to the next.
fn lanes(steps: usize) -> Trace {
    let n_in = 60;
    let n = 40;
    let mut r = Rng::seed_from_u64(21);
    let traced = NodeOptions {
        traces: true,
        sum_input: true,
        ..Default::default()
    };
    let mut b = Network::builder().seed(4).batch_size(5).learning(false);
    b.add_population("X", &[n_in], Input, traced.clone());
    b.add_population("E", &[n], ConductanceLifNodes::default(), traced.clone());
    b.add_population("I", &[n], LifNodes::default(), traced);
    let w: Vec<f32> = (0..n_in * n).map(|_| 0.6 * r.uniform_f32()).collect();
    b.connect(Connect::new("X", "E", Dense::with_weights(w)));
    let one_to_one = (0..n as u32).map(|j| (j, j, 30.0)).collect();
    b.connect(Connect::new("E", "I", Sparse::Triplets(one_to_one)));
    b.connect(Connect::new("I", "E", AllButSelf { weight: 2.0 }).receptor(1));
    let mut net = b.build().unwrap();
    let monitors = [
        ("e", MonitorSpec::new("E", &["s", "v", "ge", "gi", "theta"])),
        ("ring", MonitorSpec::new("I", &["v", "s"]).capacity(7)),
        ("count", MonitorSpec::new("E", &["s", "theta"]).summed()),
        ("trace", MonitorSpec::new("X", &["x"]).capacity(3)),
    ];
    for (name, spec) in monitors {
        net.add_monitor(name, spec).unwrap();
    }
    let options = RunOptions {
        clamp: vec![("I".into(), Mask::Always(vec![3]))],
        inject_v: vec![(
            "E".into(),
            Tensor::new(vec![n], (0..n).map(|j| 0.01 * j as f32).collect()).unwrap(),
        )],
        ..Default::default()
    };
    let mut out = Trace {
        spikes: Vec::new(),
        weights: Vec::new(),
        extra: Vec::new(),
    };
    for k in 0..2 {
        let p: Vec<f32> = (0..n_in).map(|_| 0.3 * r.uniform_f32()).collect();
        let x = raster(steps, 5, &p, 200 + k);
        net.run(&[("X", &x)], steps, &options).unwrap();
        for (m, var) in [("e", "s"), ("ring", "s"), ("count", "s")] {
            let rec = net.monitor(m).unwrap().get(var).unwrap();
            out.spikes.push(bits(rec.data()));
        }
        for (m, var) in [("e", "v"), ("e", "ge"), ("e", "gi"), ("e", "theta")] {
            out.extra
                .push(bits(net.monitor(m).unwrap().get(var).unwrap().data()));
        }
        for (m, var) in [("ring", "v"), ("count", "theta"), ("trace", "x")] {
            out.extra
                .push(bits(net.monitor(m).unwrap().get(var).unwrap().data()));
        }
        for a in net.snapshot().arrays {
            out.extra.push(bits(&a.1));
        }
        out.extra.push(vec![
            net.population("E").unwrap().core().spikes().is_binary() as u32,
        ]);
    }
    out
}

/// One model behind a dense connection, learning off, batch 6 (lanes of
/// one or two rows with 2 threads): every variable of every step.
fn model_in_lanes(model: impl NodeModel + 'static, vars: &[&str]) -> Trace {
    let (n_in, n, steps) = (30, 20, 30);
    let mut r = Rng::seed_from_u64(31);
    let mut b = Network::builder().seed(6).batch_size(6).learning(false);
    b.add_population("X", &[n_in], Input, NodeOptions::default());
    let traced = NodeOptions {
        traces: true,
        ..Default::default()
    };
    b.add_population("Y", &[n], model, traced);
    let w: Vec<f32> = (0..n_in * n).map(|_| 8.0 * r.uniform_f32()).collect();
    b.connect(Connect::new("X", "Y", Dense::with_weights(w)));
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", vars)).unwrap();
    let p: Vec<f32> = (0..n_in).map(|_| 0.5 * r.uniform_f32()).collect();
    net.run(
        &[("X", &raster(steps, 6, &p, 300))],
        steps,
        &RunOptions::default(),
    )
    .unwrap();
    let m = net.monitor("y").unwrap();
    Trace {
        spikes: vec![bits(m.get("s").unwrap().data())],
        weights: Vec::new(),
        extra: vars
            .iter()
            .map(|v| bits(m.get(v).unwrap().data()))
            .collect(),
    }
}

fn same_for_1_and_2_threads(f: impl Fn() -> Trace + Sync) {
    // Thresholds far below the defaults, so that these small networks take
    // every parallel path with 2 threads (all tests here want it).
    spikeflow::parallel::set_threshold_scale(1.0 / 1024.0).unwrap();
    let one = pool(1).install(&f);
    let two = pool(2).install(&f);
    assert!(
        one.spikes.iter().flatten().any(|&s| s != 0),
        "the test network must spike"
    );
    assert_eq!(
        one.spikes, two.spikes,
        "spikes differ between 1 and 2 threads"
    );
    assert_eq!(
        one.weights, two.weights,
        "weights differ between 1 and 2 threads"
    );
    assert_eq!(
        one.extra, two.extra,
        "state differs between 1 and 2 threads"
    );
}

#[test]
fn dense_stdp_is_bit_identical_for_1_and_2_threads() {
    same_for_1_and_2_threads(|| dense_stdp(1500, 40, false));
}

#[test]
fn bounded_decaying_stdp_is_bit_identical_for_1_and_2_threads() {
    same_for_1_and_2_threads(|| dense_stdp(1200, 30, true));
}

#[test]
fn diehl_cook_training_is_bit_identical_for_1_and_2_threads() {
    same_for_1_and_2_threads(|| diehl_cook(1600, 1, true, true, 2));
}

#[test]
fn diehl_cook_batched_inference_is_bit_identical_for_1_and_2_threads() {
    same_for_1_and_2_threads(|| diehl_cook(2048, 8, false, true, 2));
}

#[test]
fn diehl_cook_batched_training_is_bit_identical_for_1_and_2_threads() {
    same_for_1_and_2_threads(|| diehl_cook(1024, 4, true, true, 1));
}

/// Poisson trains onto 240 LIF neurons and a recurrent fixed in-degree
/// connection, each with one delay for all synapses, learning with
/// power-law STDP: sparse delayed delivery, the targets in blocks.
fn sparse_delayed(steps: usize, batch: usize) -> Trace {
    use spikeflow::topology::{FixedIndegree, Sparse, WithDelays};
    let mut b = Network::builder().batch_size(batch).seed(3);
    let poisson = PoissonGenerator {
        rate_hz: 150.0,
        seed: 4,
        first_index: 0,
    };
    b.add_population("P", &[300], poisson, support::traced());
    let lif = LifNodes {
        thresh: (-62.0).into(),
        ..Default::default()
    };
    b.add_population("E", &[240], lif, support::traced());
    let mut r = Rng::seed_from_u64(8);
    let mut t = Vec::new();
    for i in 0..300 {
        for j in 0..240 {
            if r.uniform_f32() < 0.1 {
                t.push((i, j, 1.5 * r.uniform_f32()));
            }
        }
    }
    b.connect(Connect::new(
        "P",
        "E",
        WithDelays::new(Sparse::Triplets(t), vec![1]),
    ));
    let fixed = FixedIndegree {
        indegree: 40,
        weight: 0.8,
        autapses: false,
        seed: 5,
    };
    let ee = Connect::new("E", "E", WithDelays::new(fixed, vec![2]))
        .wmin(0.0)
        .wmax(3.0);
    b.connect(support::with_rule_family(ee, 7, (1e-2, 1e-2)));
    let mut net = b.build().unwrap();
    net.add_monitor("e", MonitorSpec::new("E", &["s", "v"]))
        .unwrap();
    net.run(&[], steps, &RunOptions::default()).unwrap();
    let m = net.monitor("e").unwrap();
    Trace {
        spikes: vec![bits(m.get("s").unwrap().data())],
        weights: vec![bits(net.weights("E -> E").unwrap())],
        extra: vec![bits(m.get("v").unwrap().data())],
    }
}

#[test]
fn sparse_delayed_delivery_is_bit_identical_for_1_and_2_threads() {
    same_for_1_and_2_threads(|| sparse_delayed(60, 2));
}

/// Batch 1: the power-law STDP's post terms wait in the log, and the rows
/// of each step's spiking sources catch up (and the last flush runs) on
/// the pool's threads.
#[test]
fn logged_sparse_learning_is_bit_identical_for_1_and_2_threads() {
    same_for_1_and_2_threads(|| sparse_delayed(150, 1));
}

#[test]
fn runs_in_lanes_are_bit_identical_to_one_thread() {
    same_for_1_and_2_threads(|| lanes(40));
}

#[test]
fn every_model_with_lanes_is_bit_identical_to_one_thread() {
    let lif = &["s", "v", "refrac_count", "x"];
    same_for_1_and_2_threads(|| model_in_lanes(LifNodes::default(), lif));
    same_for_1_and_2_threads(|| model_in_lanes(IfNodes::default(), lif));
    same_for_1_and_2_threads(|| model_in_lanes(BoostedLifNodes::default(), lif));
    same_for_1_and_2_threads(|| model_in_lanes(McCullochPitts::default(), &["s", "v"]));
    let current = &["s", "v", "i", "refrac_count"];
    same_for_1_and_2_threads(|| model_in_lanes(CurrentLifNodes::default(), current));
    let adaptive = &["s", "v", "theta", "refrac_count"];
    same_for_1_and_2_threads(|| model_in_lanes(AdaptiveLifNodes::default(), adaptive));
    same_for_1_and_2_threads(|| model_in_lanes(DiehlAndCookNodes::default(), adaptive));
}

#[test]
fn a_bad_input_value_stops_a_run_in_lanes_before_anything_changes() {
    spikeflow::parallel::set_threshold_scale(1.0 / 1024.0).unwrap();
    let attempt = |bad_step: usize| {
        let mut net = DiehlAndCook2015 {
            n_neurons: 50,
            batch_size: 6,
            ..Default::default()
        }
        .build()
        .unwrap();
        net.set_learning(false);
        net.add_monitor("ae", MonitorSpec::new("Ae", &["s"]).summed())
            .unwrap();
        let p = vec![0.2f32; 784];
        let good = raster(30, 6, &p, 1);
        let good = Tensor::new(vec![30, 6, 1, 28, 28], good.into_data()).unwrap();
        net.run(&[("X", &good)], 30, &RunOptions::default())
            .unwrap();
        let before = net.snapshot();
        let counts = net.monitor("ae").unwrap().get("s").unwrap();
        let mut bad = good.into_data();
        // Row 4: the last lane with 2 threads. With a second bad value in
        // the other lane, the first in data order is the one named.
        bad[(bad_step * 6 + 4) * 784 + 300] = f32::INFINITY;
        if bad_step == 20 {
            bad[(29 * 6 + 1) * 784 + 7] = f32::NAN;
        }
        let bad = Tensor::new(vec![30, 6, 1, 28, 28], bad).unwrap();
        let err = net
            .run(&[("X", &bad)], 30, &RunOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(net.snapshot(), before, "state changed by a failed run");
        assert_eq!(net.monitor("ae").unwrap().get("s").unwrap(), counts);
        err
    };
    for bad_step in [0, 1, 20] {
        let one = pool(1).install(|| attempt(bad_step));
        let two = pool(2).install(|| attempt(bad_step));
        assert!(one.contains("finite") && one.contains("inf"), "{one}");
        assert_eq!(one, two);
    }
}

#[test]
fn fast_lateral_connections_equal_the_dense_matrices() {
    // Training (batch 1) and batched inference: O(n) one-to-one excitation
    // and "all but self" inhibition against BindsNET's dense exc·I and
    // −inh·(1 − I).
    for (batch, learning) in [(1, true), (3, false)] {
        let fast = diehl_cook(100, batch, learning, true, 3);
        let dense = diehl_cook(100, batch, learning, false, 3);
        assert!(fast.spikes[0].iter().any(|&s| s != 0));
        assert_eq!(fast, dense, "batch {batch}, learning {learning}");
    }
}
