//! Engine benchmarks: the LIF population step, event-driven dense
//! propagation at several input activities, and PostPre learning — the
//! event-driven update of the library against a naive dense outer-product
//! update (BindsNET's approach) written here.
//!
//! Run with `cargo bench -p spikeflow --bench engine`. Every benchmark times
//! a `Network::run` of [`STEPS`] steps (or the naive update over the same
//! recorded steps), so per-step figures are the reported time / `STEPS`.
//!
//! The learning benchmark measures the library's learning cost as
//! `run with learning on − run with learning off` on the same network and
//! inputs (the difference is the rule's update, decay and clamping), since
//! the learning loop is not public on its own.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use std::time::Duration;

/// Steps per timed run.
const STEPS: usize = 100;

fn quick<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(10);
    g
}

/// Bernoulli(p) spikes `[steps, 1, n]`.
fn spikes(rng: &mut Rng, steps: usize, n: usize, p: f32) -> Tensor {
    let d = (0..steps * n)
        .map(|_| f32::from(rng.uniform_f32() < p))
        .collect();
    Tensor::new(vec![steps, 1, n], d).unwrap()
}

fn traced() -> NodeOptions {
    NodeOptions {
        traces: true,
        ..Default::default()
    }
}

/// A LIF population that only fires when driven by a huge external current
/// (so the synaptic input never decides who spikes).
fn silent_lif() -> LifNodes {
    LifNodes {
        thresh: 1e6.into(),
        refrac: 0.0.into(),
        ..LifNodes::default()
    }
}

fn lif_step(c: &mut Criterion) {
    let mut g = quick(c, "lif_step");
    for n in [1_000usize, 10_000] {
        // One LIF population fed a random current (mean 1.5 mV/step, so
        // neurons reach threshold and go refractory now and then).
        let mut b = Network::builder();
        b.add_population("Y", &[n], LifNodes::default(), traced());
        let mut net = b.build().unwrap();
        let mut rng = Rng::seed_from_u64(1);
        let cur = Tensor::new(
            vec![STEPS, 1, n],
            (0..STEPS * n).map(|_| 3.0 * rng.uniform_f32()).collect(),
        )
        .unwrap();
        g.throughput(Throughput::Elements((n * STEPS) as u64));
        g.bench_with_input(BenchmarkId::new("run_100_steps", n), &n, |bch, _| {
            bch.iter(|| {
                net.run(&[("Y", &cur)], STEPS, &RunOptions::default())
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn dense_propagation(c: &mut Criterion) {
    let mut g = quick(c, "dense_propagation");
    for n in [1_000usize, 5_000] {
        // n × n dense weights drawn by the builder; learning off.
        let mut b = Network::builder().learning(false).seed(2);
        b.add_population("X", &[n], Input, NodeOptions::default());
        b.add_population("Y", &[n], silent_lif(), NodeOptions::default());
        b.connect(Connect::new("X", "Y", Dense::default()));
        let mut net = b.build().unwrap();
        for p in [0.01f32, 0.05, 0.20] {
            let mut rng = Rng::seed_from_u64(3);
            let x = spikes(&mut rng, STEPS, n, p);
            let events: f32 = x.data().iter().sum::<f32>() * n as f32;
            g.throughput(Throughput::Elements(events as u64));
            let id = BenchmarkId::new(format!("{n}x{n}"), format!("{}%", (p * 100.0).round()));
            g.bench_with_input(id, &p, |bch, _| {
                bch.iter(|| {
                    net.run(&[("X", &x)], STEPS, &RunOptions::default())
                        .unwrap()
                })
            });
        }
    }
    g.finish();
}

/// What the naive update reads each step: spikes and traces of both ends.
struct Recorded {
    s_pre: Vec<Vec<f32>>,
    x_pre: Vec<Vec<f32>>,
    s_post: Vec<Vec<f32>>,
    x_post: Vec<Vec<f32>>,
}

/// BindsNET's dense PostPre step, fused into one pass over the matrix:
/// `w ← clamp(w − nu0·s_pre ⊗ x_post + nu1·x_pre ⊗ s_post, wmin, wmax)`.
/// Every synapse is visited every step, whatever the activity.
fn naive_postpre(w: &mut [f32], rec: &Recorded, nu: (f32, f32), (lo, hi): (f32, f32)) {
    let n_post = rec.x_post[0].len();
    for t in 0..rec.s_pre.len() {
        let (s_pre, x_pre, s_post, x_post) =
            (&rec.s_pre[t], &rec.x_pre[t], &rec.s_post[t], &rec.x_post[t]);
        for (i, row) in w.chunks_exact_mut(n_post).enumerate() {
            let a = nu.0 * s_pre[i];
            let b = nu.1 * x_pre[i];
            for ((wij, &xp), &sp) in row.iter_mut().zip(x_post).zip(s_post) {
                *wij = (*wij - a * xp + b * sp).clamp(lo, hi);
            }
        }
    }
}

fn postpre_learning(c: &mut Criterion) {
    let mut g = quick(c, "postpre_learning_1000x1000");
    let n = 1_000usize;
    let nu = (1e-4f32, 1e-2f32);
    for p in [0.01f32, 0.10] {
        // Pre spikes at rate p; post spikes forced at rate p by a current
        // far above threshold (synaptic input alone never reaches it).
        let mut rng = Rng::seed_from_u64(4);
        let x = spikes(&mut rng, STEPS, n, p);
        let drive = spikes(&mut rng, STEPS, n, p);
        let cur = Tensor::new(
            drive.shape().to_vec(),
            drive.data().iter().map(|&s| s * 2e6).collect(),
        )
        .unwrap();
        let make = || {
            let mut b = Network::builder().seed(5);
            b.add_population("X", &[n], Input, traced());
            b.add_population("Y", &[n], silent_lif(), traced());
            b.connect(
                Connect::new("X", "Y", Dense::default())
                    .rule(PostPre)
                    .nu(nu)
                    .wmin(0.0)
                    .wmax(1.0),
            );
            b.build().unwrap()
        };
        let o = RunOptions::default();
        // A recording twin: the spikes and traces the rule sees, and the
        // weights the engine reaches, to check the naive update against.
        let mut twin = make();
        let w0 = twin.weights("X -> Y").unwrap().to_vec();
        twin.add_monitor("x", MonitorSpec::new("X", &["s", "x"]))
            .unwrap();
        twin.add_monitor("y", MonitorSpec::new("Y", &["s", "x"]))
            .unwrap();
        twin.run(&[("X", &x), ("Y", &cur)], STEPS, &o).unwrap();
        let get = |m: &str, v: &str| -> Vec<Vec<f32>> {
            let t = twin.monitor(m).unwrap().get(v).unwrap();
            t.data().chunks(n).map(<[f32]>::to_vec).collect()
        };
        let rec = Recorded {
            s_pre: get("x", "s"),
            x_pre: get("x", "x"),
            s_post: get("y", "s"),
            x_post: get("y", "x"),
        };
        let post_rate = rec.s_post.iter().flatten().sum::<f32>() / (STEPS * n) as f32;
        assert!(
            (post_rate - p).abs() < p * 0.3 + 0.002,
            "post activity {post_rate} for target {p}"
        );
        let mut w = w0.clone();
        naive_postpre(&mut w, &rec, nu, (0.0, 1.0));
        let engine_w = twin.weights("X -> Y").unwrap();
        let max_diff = w
            .iter()
            .zip(engine_w)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            max_diff < 1e-5,
            "naive and event-driven updates disagree by {max_diff}"
        );
        drop(twin);

        let pct = format!("{}%", (p * 100.0).round());
        let mut net = make();
        net.set_learning(false);
        g.bench_function(BenchmarkId::new("engine_step_learning_off", &pct), |bch| {
            bch.iter(|| net.run(&[("X", &x), ("Y", &cur)], STEPS, &o).unwrap())
        });
        net.set_learning(true);
        g.bench_function(BenchmarkId::new("engine_step_learning_on", &pct), |bch| {
            bch.iter(|| net.run(&[("X", &x), ("Y", &cur)], STEPS, &o).unwrap())
        });
        g.bench_function(BenchmarkId::new("naive_dense_update", &pct), |bch| {
            bch.iter(|| naive_postpre(black_box(&mut w), &rec, nu, (0.0, 1.0)))
        });
    }
    g.finish();
}

/// Sparse propagation: cost ∝ spikes × fan-out. Same 5000 × 5000 ends and
/// activity, connection probability 1 %, 5 % and 20 %.
fn sparse_propagation(c: &mut Criterion) {
    let mut g = quick(c, "sparse_propagation");
    let n = 5_000usize;
    let mut rng = Rng::seed_from_u64(3);
    let x = spikes(&mut rng, STEPS, n, 0.05);
    for p in [0.01f32, 0.05, 0.20] {
        let mut b = Network::builder().learning(false).seed(2);
        b.add_population("X", &[n], Input, NodeOptions::default());
        b.add_population("Y", &[n], silent_lif(), NodeOptions::default());
        b.connect(Connect::new("X", "Y", Sparse::Random { p, seed: 4 }));
        let mut net = b.build().unwrap();
        let events = x.data().iter().sum::<f32>() * n as f32 * p;
        g.throughput(Throughput::Elements(events as u64));
        let id = BenchmarkId::new(
            "5000x5000_input5%",
            format!("fanout{}%", (p * 100.0).round()),
        );
        g.bench_with_input(id, &p, |bch, _| {
            bch.iter(|| {
                net.run(&[("X", &x)], STEPS, &RunOptions::default())
                    .unwrap()
            })
        });
    }
    g.finish();
}

/// Convolution forward with event-driven input: 8 × 28 × 28 input channels,
/// 16 filters of 5 × 5, at 1 %, 5 % and 20 % input activity.
fn conv_forward(c: &mut Criterion) {
    let mut g = quick(c, "conv_forward");
    let (c_in, c_out, side, k) = (8usize, 16usize, 28usize, 5usize);
    let out = side - k + 1;
    let n_in = c_in * side * side;
    let mut b = Network::builder().learning(false).seed(5);
    b.add_population("X", &[c_in, side, side], Input, NodeOptions::default());
    b.add_population(
        "Y",
        &[c_out, out, out],
        silent_lif(),
        NodeOptions::default(),
    );
    b.connect(Connect::new("X", "Y", Conv::new(vec![k, k])));
    let mut net = b.build().unwrap();
    for p in [0.01f32, 0.05, 0.20] {
        let mut rng = Rng::seed_from_u64(6);
        let x = spikes(&mut rng, STEPS, n_in, p);
        let x = Tensor::new(vec![STEPS, 1, c_in, side, side], x.into_data()).unwrap();
        // Each input spike reaches up to c_out·k² outputs.
        let events = x.data().iter().sum::<f32>() * (c_out * k * k) as f32;
        g.throughput(Throughput::Elements(events as u64));
        let id = BenchmarkId::new(
            "8x28x28_to_16x24x24_k5",
            format!("{}%", (p * 100.0).round()),
        );
        g.bench_with_input(id, &p, |bch, _| {
            bch.iter(|| {
                net.run(&[("X", &x)], STEPS, &RunOptions::default())
                    .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    lif_step,
    dense_propagation,
    sparse_propagation,
    conv_forward,
    postpre_learning
);
criterion_main!(benches);
