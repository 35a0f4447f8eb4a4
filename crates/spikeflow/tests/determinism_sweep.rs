//! The determinism sweep of issue #17: the same bits for 1, 2, 4 and 8
//! threads (oversubscribed on a 2-core machine) and for lanes on and off,
//! on small versions of the benchmark workloads W1–W4 (built as
//! `spikeflow bench` builds them), the paper model and every built-in rule
//! family; and a run split into pieces, with a snapshot restored into a
//! freshly built network between pieces (each on another thread count),
//! equal to the unsplit run.
//!
//! The parallel thresholds are scaled down (as in `determinism.rs`) so that
//! these small networks take every parallel path with more than one thread.
//! "Lanes off" adds a monitor of a connection's weights, which keeps a run
//! on the per-step path (`network/lanes.rs`) without changing its results.
//! Everything is compared as bits: every array of the final snapshot (state,
//! weights, traces, thresholds, the generator) and every recorded spike.

mod support;

use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
use spikeflow::models::{DiehlAndCook2015, Presenter};
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::Snapshot;
use support::{spikes, traced, with_rule_family, RMAX};

const THREADS: [usize; 4] = [1, 2, 4, 8];

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Everything a run leaves, as bits.
#[derive(Debug, PartialEq)]
struct Bits {
    /// Recorded spikes (and other monitored variables), in order.
    recorded: Vec<Vec<u32>>,
    /// The final snapshot: every named array, then the generator.
    state: Vec<(String, Vec<u32>)>,
    rng: [u64; 4],
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

impl Bits {
    fn new() -> Self {
        Bits {
            recorded: Vec::new(),
            state: Vec::new(),
            rng: [0; 4],
        }
    }
    fn record(&mut self, net: &Network, monitor: &str, var: &str) {
        let t = net.monitor(monitor).unwrap().get(var).unwrap();
        self.recorded.push(bits(t.data()));
    }
    fn finish(mut self, net: &Network) -> Self {
        let snap = net.snapshot();
        self.state = snap
            .arrays
            .iter()
            .map(|(n, a)| (n.clone(), bits(a)))
            .collect();
        self.rng = snap.rng;
        self
    }
    fn spiked(&self) -> bool {
        self.recorded.iter().flatten().any(|&b| b != 0)
    }
}

/// Runs `f(lanes)` for every thread count, lanes on and off, and asserts
/// that all give the bits of one thread.
fn same_everywhere(what: &str, f: impl Fn(bool) -> Bits + Sync) {
    spikeflow::parallel::set_threshold_scale(1.0 / 1024.0).unwrap();
    let reference = pool(1).install(|| f(true));
    assert!(reference.spiked(), "{what}: the test network must spike");
    for threads in THREADS {
        for lanes in [true, false] {
            let got = pool(threads).install(|| f(lanes));
            assert!(
                got == reference,
                "{what}: {threads} thread(s), lanes {}: {}",
                if lanes { "on" } else { "off" },
                first_difference(&reference, &got)
            );
        }
    }
}

fn first_difference(a: &Bits, b: &Bits) -> String {
    for (k, (x, y)) in a.recorded.iter().zip(&b.recorded).enumerate() {
        if x != y {
            return format!("recording {k} differs");
        }
    }
    for ((n, x), (_, y)) in a.state.iter().zip(&b.state) {
        if x != y {
            return format!("state array {n} differs");
        }
    }
    if a.rng != b.rng {
        return "the generator differs".into();
    }
    "shapes differ".into()
}

/// Keeps the run on the per-step path when `lanes` is false.
fn lanes_switch(net: &mut Network, lanes: bool, conn: &str) {
    if !lanes {
        net.add_monitor("no-lanes", MonitorSpec::new(conn, &["w"]).capacity(1))
            .unwrap();
    }
}

/// W1 / W2 as `spikeflow bench` builds them, small: `n` Poisson inputs
/// (rates U(0, 100) Hz, dt 1 ms) → `n` LIF through dense N(0, 1) weights,
/// PostPre with nu (1e-4, 1e-2) for W2; spike rasters as input.
fn w1_w2(n: usize, steps: usize, batch: usize, stdp: bool, lanes: bool) -> Bits {
    let mut r = Rng::seed_from_u64(0);
    let w: Vec<f32> = (0..n * n).map(|_| r.normal_f32()).collect();
    let rates: Vec<f32> = (0..n).map(|_| 100.0 * r.uniform_f32()).collect();
    let opts = NodeOptions {
        traces: stdp,
        ..Default::default()
    };
    let mut b = Network::builder().learning(stdp).seed(0).batch_size(batch);
    b.add_population("X", &[n], Input, opts.clone());
    b.add_population("Y", &[n], LifNodes::default(), opts);
    let c = Connect::new("X", "Y", Dense::with_weights(w));
    b.connect(if stdp {
        c.rule(PostPre).nu((1e-4, 1e-2))
    } else {
        c
    });
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    lanes_switch(&mut net, lanes, "X -> Y");
    let raster: Vec<bool> = (0..steps * batch * n)
        .map(|k| r.uniform_f32() < rates[k % n] * 1e-3)
        .collect();
    let x = SpikeRaster::new(vec![steps, batch, n], raster).unwrap();
    net.run_inputs(&[("X", RunInput::from(&x))], steps, &RunOptions::default())
        .unwrap();
    let mut out = Bits::new();
    out.record(&net, "y", "s");
    out.finish(&net)
}

/// Poisson spikes of `batch` random images (rates up to 128 Hz, dt 1 ms),
/// `[steps, batch, 1, 28, 28]`.
fn image_spikes(steps: usize, batch: usize, seed: u64) -> Tensor {
    let mut r = Rng::seed_from_u64(seed);
    let px: Vec<f32> = (0..batch * 784).map(|_| r.uniform_f32()).collect();
    let d = (0..steps * batch * 784)
        .map(|k| f32::from(r.uniform_f32() < 0.128 * px[k % (batch * 784)]))
        .collect();
    Tensor::new(vec![steps, batch, 1, 28, 28], d).unwrap()
}

/// W3 (learning on, batch 1) / W4 (learning off, any batch) as `spikeflow
/// bench` builds them: BindsNET's `DiehlAndCook2015` (exc 22.5, inh 120,
/// norm 78.4, θ+ 0.05), `images` images of `steps` steps, reset between.
fn w3_w4(n: usize, batch: usize, learn: bool, images: usize, steps: usize, lanes: bool) -> Bits {
    let mut net = w3_network(n, batch);
    net.set_learning(learn);
    net.add_monitor("ae", MonitorSpec::new("Ae", &["s"]))
        .unwrap();
    lanes_switch(&mut net, lanes, "X -> Ae");
    let mut out = Bits::new();
    for k in 0..images {
        let x = image_spikes(steps, batch, 40 + k as u64);
        net.run(&[("X", &x)], steps, &RunOptions::default())
            .unwrap();
        out.record(&net, "ae", "s");
        net.reset_state();
    }
    out.finish(&net)
}

fn w3_network(n: usize, batch: usize) -> Network {
    DiehlAndCook2015 {
        n_neurons: n,
        exc: 22.5,
        inh: 120.0,
        dt: 1.0,
        norm: 78.4,
        theta_plus: 0.05,
        nu: (1e-4, 1e-2),
        batch_size: batch,
        seed: 0,
        ..Default::default()
    }
    .build()
    .unwrap()
}

#[test]
fn w1_is_bit_identical_for_1_2_4_8_threads() {
    same_everywhere("W1", |lanes| w1_w2(400, 60, 1, false, lanes));
    // Batched (the lanes split its rows).
    same_everywhere("W1 batch 4", |lanes| w1_w2(300, 40, 4, false, lanes));
}

#[test]
fn w2_is_bit_identical_for_1_2_4_8_threads() {
    same_everywhere("W2", |lanes| w1_w2(400, 60, 1, true, lanes));
}

#[test]
fn w3_is_bit_identical_for_1_2_4_8_threads() {
    same_everywhere("W3", |lanes| w3_w4(100, 1, true, 2, 60, lanes));
}

#[test]
fn w4_is_bit_identical_for_1_2_4_8_threads_and_lanes() {
    same_everywhere("W4 batch 1", |lanes| w3_w4(100, 1, false, 2, 60, lanes));
    same_everywhere("W4 batch 8", |lanes| w3_w4(100, 8, false, 1, 60, lanes));
}

#[test]
fn the_paper_model_is_bit_identical_for_1_2_4_8_threads() {
    let run = |lanes: bool| {
        let mut p = DiehlCookPaper {
            n_neurons: 30,
            exposure_ms: 40.0,
            rest_ms: 10.0,
            intensity: 8.0,
            ..Default::default()
        }
        .build()
        .unwrap();
        lanes_switch(p.network_mut(), lanes, "X -> Ae");
        let mut r = Rng::seed_from_u64(5);
        let mut out = Bits::new();
        for learning in [true, true, false] {
            let img: Vec<f32> = (0..784).map(|_| r.uniform_f32()).collect();
            let counts = p.present(&img, learning).unwrap();
            out.recorded.push(bits(&counts));
        }
        out.recorded.push(vec![p.presentations() as u32]);
        out.finish(p.network())
    };
    same_everywhere("paper model", run);
}

/// Every built-in rule family on a dense and a sparse connection, batch 3,
/// with a reward for the reward-modulated ones.
fn rule_net(rule: usize, sparse: bool) -> Bits {
    let (n_in, n) = (50, 30);
    let mut r = Rng::seed_from_u64(70 + rule as u64);
    let mut w: Vec<f32> = (0..n_in * n).map(|_| r.uniform_f32()).collect();
    if sparse {
        for x in w.iter_mut() {
            if r.uniform_f32() < 0.5 {
                *x = 0.0;
            }
        }
    }
    let mut b = Network::builder().seed(8).batch_size(3);
    if rule == RMAX {
        // Rmax: additive input traces, stochastic SRM0 neurons (their draws
        // come from the network's generator).
        let additive = NodeOptions {
            traces_additive: true,
            ..traced()
        };
        b.add_population("X", &[n_in], Input, additive);
        b.add_population("Y", &[n], Srm0Nodes::default(), traced());
    } else {
        b.add_population("X", &[n_in], Input, traced());
        b.add_population("Y", &[n], LifNodes::default(), traced());
    }
    let topology: Box<dyn Fn() -> Connect> = if sparse {
        let t: Vec<(u32, u32, f32)> = (0..n_in * n)
            .filter(|&k| w[k] != 0.0)
            .map(|k| ((k / n) as u32, (k % n) as u32, w[k]))
            .collect();
        Box::new(move || Connect::new("X", "Y", Sparse::Triplets(t.clone())))
    } else {
        Box::new(move || Connect::new("X", "Y", Dense::with_weights(w.clone())))
    };
    let c = topology().wmin(-2.0).wmax(2.0);
    let nu = (0.01, 0.02);
    b.connect(with_rule_family(c, rule, nu));
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    let w0 = net.weights("X -> Y").unwrap().to_vec();
    let mut out = Bits::new();
    for k in 0..2 {
        let x = spikes(40, 3, n_in, 0.3, 90 + k);
        let options = RunOptions {
            reward: Reward::Scalar(if k == 0 { 1.0 } else { -0.5 }),
            ..Default::default()
        };
        net.run(&[("X", &x)], 40, &options).unwrap();
        out.record(&net, "y", "s");
    }
    assert_ne!(
        net.weights("X -> Y").unwrap(),
        w0,
        "rule {rule} learned nothing"
    );
    out.finish(&net)
}

#[test]
fn every_rule_family_is_bit_identical_for_1_2_4_8_threads() {
    let names = [
        "PostPre",
        "WeightDependentPostPre",
        "Hebbian",
        "DiehlAndCook",
        "Mstdp",
        "MstdpEt",
        "Rmax",
        "StdpPowerLaw",
    ];
    for (k, name) in names.iter().enumerate() {
        for sparse in [false, true] {
            // Learning is on: no lanes either way.
            same_everywhere(&format!("{name}, sparse {sparse}"), |_| rule_net(k, sparse));
        }
    }
}

/// A snapshot restored into a freshly built network, run on `threads`.
fn restored(snap: &Snapshot, build: &dyn Fn() -> Network) -> Network {
    let mut net = build();
    net.restore(snap).unwrap();
    net
}

#[test]
fn a_run_split_into_pieces_with_snapshots_equals_the_unsplit_run() {
    spikeflow::parallel::set_threshold_scale(1.0 / 1024.0).unwrap();
    // W2: one run of 240 steps against runs of 70, 1, 120 and 49 steps,
    // each in a new network restored from the previous piece's snapshot,
    // each on another thread count.
    let n = 300;
    let build = || {
        let mut r = Rng::seed_from_u64(3);
        let w: Vec<f32> = (0..n * n).map(|_| r.normal_f32()).collect();
        let mut b = Network::builder().seed(0);
        b.add_population("X", &[n], Input, traced());
        b.add_population("Y", &[n], LifNodes::default(), traced());
        b.connect(
            Connect::new("X", "Y", Dense::with_weights(w))
                .rule(PostPre)
                .nu((1e-4, 1e-2)),
        );
        b.build().unwrap()
    };
    let steps = 240;
    let x = spikes(steps, 1, n, 0.05, 17);
    let mut whole = build();
    pool(2)
        .install(|| whole.run(&[("X", &x)], steps, &RunOptions::default()))
        .unwrap();
    let mut snap = build().snapshot();
    let mut at = 0;
    for (len, threads) in [(70, 8), (1, 1), (120, 4), (49, 2)] {
        let piece =
            Tensor::new(vec![len, 1, n], x.data()[at * n..(at + len) * n].to_vec()).unwrap();
        let mut net = restored(&snap, &build);
        pool(threads)
            .install(|| net.run(&[("X", &piece)], len, &RunOptions::default()))
            .unwrap();
        snap = net.snapshot();
        at += len;
    }
    assert_eq!(at, steps);
    let a = Bits::new().finish(&whole);
    let b = Bits::new().finish(&restored(&snap, &build));
    assert!(a == b, "W2 split: {}", first_difference(&a, &b));
    assert_ne!(
        whole.weights("X -> Y").unwrap(),
        build().weights("X -> Y").unwrap(),
        "learning happened"
    );

    // W3: six images in one network against the same six with the
    // network rebuilt and restored after each, thread counts varying.
    let images: Vec<Tensor> = (0..6).map(|k| image_spikes(50, 1, 60 + k)).collect();
    let build3 = || w3_network(100, 1);
    let mut whole = build3();
    for x in &images {
        pool(1)
            .install(|| whole.run(&[("X", x)], 50, &RunOptions::default()))
            .unwrap();
        whole.reset_state();
    }
    let mut snap = build3().snapshot();
    for (k, x) in images.iter().enumerate() {
        let mut net = restored(&snap, &build3);
        pool(THREADS[k % 4])
            .install(|| net.run(&[("X", x)], 50, &RunOptions::default()))
            .unwrap();
        net.reset_state();
        snap = net.snapshot();
    }
    let a = Bits::new().finish(&whole);
    let b = Bits::new().finish(&restored(&snap, &build3));
    assert!(a == b, "W3 split: {}", first_difference(&a, &b));
}
