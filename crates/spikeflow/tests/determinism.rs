//! Results do not depend on the number of threads, and Diehl & Cook's O(n)
//! lateral connections equal the dense matrices BindsNET builds.
//!
//! With the parallel thresholds scaled down (`spikeflow::parallel`), every
//! network here takes the parallel paths (column blocks of dense
//! propagation, batch rows, row blocks of dense learning, deferred replays,
//! whole-matrix clamping) with 2 threads and skips them with 1; every spike
//! of every step and every weight must agree bit for bit.

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
