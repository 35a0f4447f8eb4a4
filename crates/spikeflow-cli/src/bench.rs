//! `spikeflow bench`: the workloads W1–W4 of the shared `peer/bench/WORKLOADS.md`,
//! built from the same portable counter-based SplitMix64 draws as the peer
//! scripts (`bench_bindsnet.py`, `bench_brian2.py`), timed the same way, and
//! printed as one JSON line per repetition with the fields of §5 (so that
//! `make_tables.py` tables them next to the peers).
//!
//! * W1 `dense-lif`: n Poisson inputs → n LIF, dense `w ~ N(0,1)`, 1000 steps.
//! * W2 `dense-lif-stdp`: W1 plus traces and PostPre `nu = (1e-4, 1e-2)`.
//! * W3 `diehl-cook-train`: `DiehlAndCook2015` (inh 120) on MNIST, learning on.
//! * W4 `diehl-cook-infer`: the same with learning off, batch 1 or 32.
//!
//! W1/W2 print `spikes_ok` (the output spike count against the reference).

use anyhow::{bail, Result};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use spikeflow::models::DiehlAndCook2015;
use spikeflow::prelude::*;
use spikeflow::rng::splitmix64;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Which workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Dense LIF, no learning.
    W1,
    /// Dense LIF with PostPre STDP.
    W2,
    /// Diehl & Cook 2015, training on MNIST.
    W3,
    /// Diehl & Cook 2015, inference on MNIST.
    W4,
}

#[derive(clap::Args)]
pub struct Args {
    /// Workload (W1–W4 of WORKLOADS.md).
    #[arg(value_enum)]
    workload: Workload,
    /// Sizes: n for W1/W2 (default 1000 2500 5000 10000 / 1000 2500 5000),
    /// N excitatory neurons for W3/W4 (default 100 400 1600 6400).
    #[arg(long, num_args = 1..)]
    sizes: Vec<usize>,
    /// Worker threads (rayon pool).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// W4 batch sizes (W3 always uses batch 1).
    #[arg(long, num_args = 1.., default_values_t = vec![1usize])]
    batch: Vec<usize>,
    /// W1/W2 repetitions per size (default 5 up to n = 2500, 3 above; W2: 3, 2 at 5000).
    #[arg(long)]
    reps: Option<usize>,
    /// W3/W4 measured samples at batch 1 (default 30, 8 for N ≥ 6400), or
    /// measured batches at batch > 1 (default 3, 2 for N ≥ 6400).
    #[arg(long)]
    samples: Option<usize>,
    /// W3/W4 warm-up samples at batch 1 (default 3) / batches at batch > 1 (default 1).
    #[arg(long)]
    warmup: Option<usize>,
    /// MNIST folder with `train-images-idx3-ubyte.gz` (default: the sample shipped in the repository).
    #[arg(long)]
    mnist: Option<PathBuf>,
    /// Seed of the portable draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// W1/W2 steps (1000 = 1 simulated second).
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// Per-phase timing (propagate / integrate / learn / observe / normalise),
    /// added to each JSON line and summarised on stderr.
    #[arg(long)]
    profile: bool,
    /// Scale of the work thresholds above which a step's regions run in
    /// parallel (`spikeflow::parallel::set_threshold_scale`; smaller goes
    /// parallel sooner), to tune for a machine.
    #[arg(long, default_value_t = 1.0)]
    parallel_scale: f32,
}

// ------------------------------------------------------------ portable RNG

/// SplitMix64's output function of `x` (WORKLOADS.md §0).
fn sm(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

/// `key(seed, stream) = splitmix64(splitmix64(seed) ^ stream)`.
fn key(seed: u64, stream: u64) -> u64 {
    sm(sm(seed) ^ stream)
}

/// `uniform(seed, stream, k)` given the stream's key: f64 in [0, 1).
#[inline]
fn uniform(key: u64, k: u64) -> f64 {
    (sm(key.wrapping_add(k)) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `normal_f32(seed, stream, k)` given the stream's key (Box–Muller in f64).
#[inline]
fn normal_f32(key: u64, k: u64) -> f32 {
    let u1 = uniform(key, 2 * k);
    let u2 = uniform(key, 2 * k + 1);
    ((-2.0 * (-u1).ln_1p()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

const STREAM_RATES: u64 = 1;
const STREAM_WEIGHTS: u64 = 2;
const STREAM_SPIKES: u64 = 3;
const STREAM_DC_WEIGHTS: u64 = 4;
const STREAM_DC_SPIKES: u64 = 5;

/// W1/W2 rates in Hz: `100 · uniform(seed, 1, i)`.
fn w1_rates(n: usize, seed: u64) -> Vec<f64> {
    let k = key(seed, STREAM_RATES);
    (0..n as u64).map(|i| 100.0 * uniform(k, i)).collect()
}

/// W1/W2 weights `[n][n]`: `normal_f32(seed, 2, i·n + j)` (parallel, order-free).
fn w1_weights(n: usize, seed: u64) -> Vec<f32> {
    let k = key(seed, STREAM_WEIGHTS);
    let mut w = vec![0.0f32; n * n];
    w.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        let base = (i * n) as u64;
        for (j, x) in row.iter_mut().enumerate() {
            *x = normal_f32(k, base + j as u64);
        }
    });
    w
}

/// W1/W2 raster `[steps, 1, n]` of spikes (a bool raster, as the peers
/// feed): `uniform(seed, 3, t·n + i) < r_i·(dt/1000)`.
fn w1_raster(n: usize, steps: usize, seed: u64, dt: f64) -> (Vec<bool>, usize) {
    let k = key(seed, STREAM_SPIKES);
    let p: Vec<f64> = w1_rates(n, seed)
        .iter()
        .map(|r| r * (dt / 1000.0))
        .collect();
    let mut x = vec![false; steps * n];
    x.par_chunks_mut(n).enumerate().for_each(|(t, row)| {
        let base = (t * n) as u64;
        for (i, v) in row.iter_mut().enumerate() {
            *v = uniform(k, base + i as u64) < p[i];
        }
    });
    let count = x.iter().filter(|&&v| v).count();
    (x, count)
}

/// W3/W4 initial weights `[784][N]`: `f32(0.3 · uniform(seed, 4, i·N + j))`.
fn dc_weights(n_inpt: usize, n: usize, seed: u64) -> Vec<f32> {
    let k = key(seed, STREAM_DC_WEIGHTS);
    (0..(n_inpt * n) as u64)
        .map(|i| (0.3 * uniform(k, i)) as f32)
        .collect()
}

/// W3/W4 raster for images `first..first+B`, `[T, B, 784]` of spikes:
/// `uniform(seed, 5, (k·T + t)·784 + i) < pixel/255·intensity·(dt/1000)`.
fn dc_encode(
    images: &[&[u8]],
    first: usize,
    t_steps: usize,
    seed: u64,
    intensity: f64,
    dt: f64,
    out: &mut [bool],
) -> usize {
    let key5 = key(seed, STREAM_DC_SPIKES);
    let b_n = images.len();
    let mut count = 0;
    for (b, img) in images.iter().enumerate() {
        let p: Vec<f64> = img
            .iter()
            .map(|&px| px as f64 / 255.0 * intensity * (dt / 1000.0))
            .collect();
        let k = (first + b) as u64;
        for t in 0..t_steps {
            let row = &mut out[(t * b_n + b) * 784..(t * b_n + b + 1) * 784];
            let base = (k * t_steps as u64 + t as u64) * 784;
            for (i, v) in row.iter_mut().enumerate() {
                let s = p[i] > 0.0 && uniform(key5, base + i as u64) < p[i];
                *v = s;
                count += s as usize;
            }
        }
    }
    count
}

// ------------------------------------------------------------------ MNIST

/// Reads the first `count` training images (28×28, u8) with the library's
/// validated IDX reader (gzip or raw).
fn read_mnist_images(dir: &Path, count: usize) -> Result<Vec<u8>> {
    let gz = dir.join("train-images-idx3-ubyte.gz");
    let path = if gz.exists() {
        gz
    } else {
        dir.join("train-images-idx3-ubyte")
    };
    if !path.exists() {
        bail!("no MNIST training images in {} (expected train-images-idx3-ubyte.gz); pass --mnist DIR", dir.display());
    }
    let arr = spikeflow::datasets::idx::read_images(&path)?;
    if arr.dims()[1..] != [28, 28] || arr.dims()[0] < count {
        bail!(
            "{}: {count} images of 28×28 requested, the file holds {:?}",
            path.display(),
            arr.dims()
        );
    }
    let mut data = arr.into_data();
    data.truncate(count * 784);
    Ok(data)
}

/// The MNIST sample shipped in the repository: the first 2000 training
/// images, which are the ones W3/W4 present (bench/compare.sh passes the
/// full set explicitly with `--mnist`).
fn default_mnist() -> PathBuf {
    crate::train::default_data_dir()
}

// ------------------------------------------------------------------ output

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(f64::NAN)
}

fn unix_time() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_secs_f64() * 1000.0).round() / 1000.0)
}

fn emit(mut rec: Map<String, Value>) {
    rec.insert("unix_time".into(), json!(unix_time()));
    println!("{}", Value::Object(rec));
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split_once(':').map_or("", |x| x.1).trim().to_string())
        })
        .unwrap_or_default()
}

/// Per-phase seconds of the network's profile, as JSON.
fn profile_json(net: &Network) -> Value {
    let mut m = Map::new();
    let mut total = 0.0;
    for (name, d) in net.profile() {
        m.insert(format!("{name}_s"), json!(d.as_secs_f64()));
        total += d.as_secs_f64();
    }
    m.insert("total_s".into(), json!(total));
    Value::Object(m)
}

fn profile_line(label: &str, p: &Value) {
    let total = p["total_s"].as_f64().unwrap_or(0.0).max(1e-12);
    let mut s = format!("[profile] {label}:");
    for ph in ["propagate", "integrate", "learn", "observe", "normalise"] {
        let v = p[format!("{ph}_s")].as_f64().unwrap_or(0.0);
        s += &format!(" {ph} {:.2} ms ({:.0} %)", v * 1e3, 100.0 * v / total);
    }
    eprintln!("{s}");
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len();
    if m == 0 {
        f64::NAN
    } else if m % 2 == 1 {
        v[m / 2]
    } else {
        0.5 * (v[m / 2 - 1] + v[m / 2])
    }
}

// --------------------------------------------------------------- W1 / W2

const W1_REF: [(usize, u64); 4] = [
    (1000, 30366),
    (2500, 96836),
    (5000, 213384),
    (10000, 479014),
];
const W2_REF: [(usize, u64); 3] = [(1000, 93096), (2500, 275489), (5000, 591513)];

fn build_dense(n: usize, w0: Vec<f32>, stdp: bool) -> Result<Network> {
    let opts = NodeOptions {
        traces: stdp,
        ..Default::default()
    };
    let mut b = Network::builder().learning(stdp).seed(0);
    b.add_population("X", &[n], Input, opts.clone());
    b.add_population("Y", &[n], LifNodes::default(), opts);
    let c = Connect::new("X", "Y", Dense::with_weights(w0));
    b.connect(if stdp {
        c.rule(PostPre).nu((1e-4, 1e-2))
    } else {
        c
    });
    let mut net = b.build()?;
    net.add_monitor("Y_s", MonitorSpec::new("Y", &["s"]).summed())?;
    Ok(net)
}

fn run_dense(a: &Args, stdp: bool) -> Result<bool> {
    let (wl, name) = if stdp {
        ("w2", "dense-lif-stdp")
    } else {
        ("w1", "dense-lif")
    };
    let sizes = if a.sizes.is_empty() {
        if stdp {
            vec![1000, 2500, 5000]
        } else {
            vec![1000, 2500, 5000, 10000]
        }
    } else {
        a.sizes.clone()
    };
    let dt = 1.0f64;
    let sim_seconds = a.steps as f64 * dt / 1000.0;
    let mut all_ok = true;
    for &n in &sizes {
        let t0 = Instant::now();
        let w0 = w1_weights(n, a.seed);
        let weights_s = t0.elapsed().as_secs_f64();
        let rates = w1_rates(n, a.seed);
        let rate_mean = rates.iter().sum::<f64>() / n as f64;
        let t0 = Instant::now();
        let mut net = build_dense(n, w0, stdp)?;
        let build_s = t0.elapsed().as_secs_f64();
        let w0 = if stdp {
            net.weights("X -> Y")?.to_vec()
        } else {
            Vec::new()
        };
        let reps = a.reps.unwrap_or(match (stdp, n) {
            (false, n) if n <= 2500 => 5,
            (false, _) => 3,
            (true, n) if n < 5000 => 3,
            (true, _) => 2,
        });
        eprintln!(
            "[{wl}] n={n} threads={} reps={reps} (weights {weights_s:.2}s, build {build_s:.2}s)",
            a.threads
        );
        // Warm-up: 20 silent steps, not measured (as the BindsNET script).
        let warm = a.steps.min(20);
        let zeros = Tensor::new(vec![warm, 1, n], vec![0.0; warm * n])?;
        net.run(&[("X", &zeros)], warm, &RunOptions::default())?;
        let reference = if a.seed == 0 && a.steps == 1000 {
            (if stdp { &W2_REF[..] } else { &W1_REF[..] })
                .iter()
                .find(|r| r.0 == n)
                .map(|r| r.1)
        } else {
            None
        };
        let mut sims = Vec::new();
        for r in 0..reps {
            net.reset_state();
            if stdp {
                net.weights_mut("X -> Y")?.copy_from_slice(&w0);
            }
            net.set_profiling(a.profile);
            let ta = Instant::now();
            let (raster, in_spikes) = w1_raster(n, a.steps, a.seed, dt);
            let x = SpikeRaster::new(vec![a.steps, 1, n], raster)?;
            let tb = Instant::now();
            net.run_inputs(
                &[("X", RunInput::from(&x))],
                a.steps,
                &RunOptions::default(),
            )?;
            let tc = Instant::now();
            let sim_s = (tc - tb).as_secs_f64();
            let e2e_s = (tc - ta).as_secs_f64();
            sims.push(sim_s);
            let out_spikes = net
                .monitor("Y_s")?
                .get("s")?
                .data()
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>() as u64;
            let mut rec = Map::new();
            rec.insert("bench".into(), json!(wl));
            rec.insert("workload".into(), json!(name));
            rec.insert("impl".into(), json!("spikeflow"));
            rec.insert("variant".into(), json!("event-driven"));
            rec.insert("n".into(), json!(n));
            rec.insert("rep".into(), json!(r));
            rec.insert("threads".into(), json!(a.threads));
            rec.insert("steps".into(), json!(a.steps));
            rec.insert("dt_ms".into(), json!(dt));
            rec.insert("seed".into(), json!(a.seed));
            rec.insert("input".into(), json!("pregen-portable"));
            rec.insert("sim_s".into(), json!(sim_s));
            rec.insert("e2e_s".into(), json!(e2e_s));
            rec.insert("inputgen_s".into(), json!((tb - ta).as_secs_f64()));
            rec.insert("s_per_sim_s".into(), json!(sim_s / sim_seconds));
            rec.insert("e2e_s_per_sim_s".into(), json!(e2e_s / sim_seconds));
            rec.insert("build_s".into(), json!(build_s));
            rec.insert("weights_gen_or_load_s".into(), json!(weights_s));
            rec.insert("out_spikes".into(), json!(out_spikes));
            rec.insert("in_spikes".into(), json!(in_spikes));
            rec.insert(
                "out_rate_hz".into(),
                json!(out_spikes as f64 / n as f64 / sim_seconds),
            );
            rec.insert(
                "in_rate_hz_measured".into(),
                json!(in_spikes as f64 / n as f64 / sim_seconds),
            );
            rec.insert("in_rate_hz_mean_param".into(), json!(rate_mean));
            rec.insert("loadavg1".into(), json!(loadavg()));
            if let Some(want) = reference {
                rec.insert("ref_out_spikes".into(), json!(want));
                rec.insert("spikes_ok".into(), json!(want == out_spikes));
                all_ok &= want == out_spikes;
            }
            if stdp {
                let w = net.weights("X -> Y")?;
                let sum: f64 = w.iter().map(|&x| x as f64).sum();
                let diff: f64 = w
                    .iter()
                    .zip(&w0)
                    .map(|(&x, &y)| (x - y).abs() as f64)
                    .sum::<f64>()
                    / w.len() as f64;
                rec.insert("w_sum".into(), json!(sum));
                rec.insert("w_absdiff_mean".into(), json!(diff));
            }
            if a.profile {
                let p = profile_json(&net);
                profile_line(&format!("{wl} n={n} rep {r}"), &p);
                rec.insert("profile".into(), p);
            }
            emit(rec);
            eprintln!(
                "  rep {r}: sim {sim_s:.4}s e2e {e2e_s:.4}s out_spikes {out_spikes}{}",
                match reference {
                    Some(w) if w == out_spikes => " (= reference)".to_string(),
                    Some(w) => format!(" (reference {w}: MISMATCH)"),
                    None => String::new(),
                }
            );
        }
        eprintln!(
            "  median {:.4} s per simulated s",
            median(&sims) / sim_seconds
        );
    }
    Ok(all_ok)
}

// --------------------------------------------------------------- W3 / W4

fn run_dc(a: &Args, learn: bool) -> Result<()> {
    let (wl, name) = if learn {
        ("w3", "diehl-cook-train")
    } else {
        ("w4", "diehl-cook-infer")
    };
    let sizes = if a.sizes.is_empty() {
        vec![100, 400, 1600, 6400]
    } else {
        a.sizes.clone()
    };
    let batches = if learn { vec![1] } else { a.batch.clone() };
    let t_steps = 250usize;
    let (dt, intensity) = (1.0f64, 128.0f64);
    let dir = a.mnist.clone().unwrap_or_else(default_mnist);
    // The most images any configuration needs.
    let mut need = 0;
    for &n in &sizes {
        for &b in &batches {
            let (w, k) = plan(a, n, b);
            need = need.max((w + k) * b);
        }
    }
    let images = read_mnist_images(&dir, need)?;
    for &n in &sizes {
        for &bsz in &batches {
            let (warm, measured) = plan(a, n, bsz);
            let t0 = Instant::now();
            let model = DiehlAndCook2015 {
                n_neurons: n,
                exc: 22.5,
                inh: 120.0,
                dt: dt as f32,
                norm: 78.4,
                theta_plus: 0.05,
                nu: (1e-4, 1e-2),
                batch_size: bsz,
                seed: a.seed,
                ..Default::default()
            };
            let mut net = model.build()?;
            net.weights_mut("X -> Ae")?
                .copy_from_slice(&dc_weights(784, n, a.seed));
            net.add_monitor("Ae_spikes", MonitorSpec::new("Ae", &["s"]).summed())?;
            net.set_learning(learn);
            let build_s = t0.elapsed().as_secs_f64();
            eprintln!("[{wl}] N={n} batch={bsz} threads={} warmup={warm} measured={measured} (build {build_s:.2}s)", a.threads);
            let mut x = SpikeRaster::zeros(vec![t_steps, bsz, 1, 28, 28]);
            let mut times = Vec::new();
            let mut ae_all = Vec::new();
            for k in 0..warm + measured {
                let imgs: Vec<&[u8]> = (0..bsz)
                    .map(|b| &images[(k * bsz + b) * 784..(k * bsz + b + 1) * 784])
                    .collect();
                let ta = Instant::now();
                let in_spikes =
                    dc_encode(&imgs, k * bsz, t_steps, a.seed, intensity, dt, x.data_mut());
                net.set_profiling(a.profile && k >= warm);
                let tb = Instant::now();
                net.run_inputs(
                    &[("X", RunInput::from(&x))],
                    t_steps,
                    &RunOptions::default(),
                )?;
                let tc = Instant::now();
                let ae = net
                    .monitor("Ae_spikes")?
                    .get("s")?
                    .data()
                    .iter()
                    .map(|&v| v as f64)
                    .sum::<f64>();
                let tc2 = Instant::now();
                net.reset_state();
                let td = Instant::now();
                if k < warm {
                    continue;
                }
                // Reading the monitor is not part of the sample's time.
                let reset_s = (td - tc2).as_secs_f64();
                let run_s = (tc - tb).as_secs_f64();
                let per = (run_s + reset_s) / bsz as f64;
                times.push(per);
                ae_all.push(ae / bsz as f64);
                let mut rec = Map::new();
                rec.insert("bench".into(), json!(wl));
                rec.insert("workload".into(), json!(name));
                rec.insert("impl".into(), json!("spikeflow"));
                rec.insert("variant".into(), json!("event-driven"));
                rec.insert("n_neurons".into(), json!(n));
                rec.insert("n".into(), json!(n));
                rec.insert("batch".into(), json!(bsz));
                rec.insert("sample".into(), json!(k - warm));
                rec.insert("threads".into(), json!(a.threads));
                rec.insert("time_steps".into(), json!(t_steps));
                rec.insert("dt_ms".into(), json!(dt));
                rec.insert("seed".into(), json!(a.seed));
                rec.insert("encoder".into(), json!("portable"));
                rec.insert("init".into(), json!("portable"));
                rec.insert("monitors".into(), json!("ae"));
                rec.insert("learning".into(), json!(learn));
                rec.insert("run_s".into(), json!(run_s));
                rec.insert("reset_s".into(), json!(reset_s));
                rec.insert("enc_s".into(), json!((tb - ta).as_secs_f64()));
                rec.insert("s_per_sample".into(), json!(per));
                rec.insert(
                    "e2e_s_per_sample".into(),
                    json!(((tb - ta).as_secs_f64() + run_s + reset_s) / bsz as f64),
                );
                rec.insert(
                    "in_spikes_per_sample".into(),
                    json!(in_spikes as f64 / bsz as f64),
                );
                rec.insert("ae_spikes_per_sample".into(), json!(ae / bsz as f64));
                rec.insert("build_s".into(), json!(build_s));
                rec.insert("loadavg1".into(), json!(loadavg()));
                if learn {
                    let th = net.population("Ae")?.variable("theta").unwrap_or(&[]);
                    rec.insert(
                        "theta_mean".into(),
                        json!(th.iter().map(|&v| v as f64).sum::<f64>() / th.len().max(1) as f64),
                    );
                }
                if a.profile {
                    rec.insert("profile".into(), profile_json(&net));
                }
                emit(rec);
            }
            eprintln!(
                "  median {:.3} ms/sample, Ae spikes/sample median {:.1}",
                median(&times) * 1e3,
                median(&ae_all)
            );
            if a.profile {
                let p = profile_json(&net);
                profile_line(&format!("{wl} N={n} batch {bsz}, last measured sample"), &p);
            }
        }
    }
    Ok(())
}

/// (warm-up, measured) samples (batch 1) or batches (batch > 1), as `run_all.sh`.
fn plan(a: &Args, n: usize, b: usize) -> (usize, usize) {
    let big = n >= 6400;
    if b == 1 {
        (
            a.warmup.unwrap_or(3),
            a.samples.unwrap_or(if big { 8 } else { 30 }),
        )
    } else {
        (
            a.warmup.unwrap_or(1),
            a.samples.unwrap_or(if big { 2 } else { 3 }),
        )
    }
}

pub fn run(a: &Args) -> Result<ExitCode> {
    if a.threads == 0 {
        bail!("--threads must be ≥ 1");
    }
    let pinned = crate::pool::init(a.threads)?;
    spikeflow::parallel::set_threshold_scale(a.parallel_scale)?;
    let mut meta = Map::new();
    meta.insert("bench".into(), json!("meta"));
    meta.insert("impl".into(), json!("spikeflow"));
    meta.insert(
        "argv".into(),
        json!(std::env::args().skip(1).collect::<Vec<_>>()),
    );
    meta.insert("spikeflow".into(), json!(env!("CARGO_PKG_VERSION")));
    meta.insert("threads".into(), json!(a.threads));
    meta.insert("pinned_workers".into(), json!(pinned));
    meta.insert("parallel_scale".into(), json!(a.parallel_scale));
    meta.insert("cpu".into(), json!(cpu_model()));
    meta.insert(
        "nproc".into(),
        json!(std::thread::available_parallelism().map_or(0, |x| x.get())),
    );
    meta.insert("debug_build".into(), json!(cfg!(debug_assertions)));
    emit(meta);
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; measure with --release");
    }
    let body = || -> Result<ExitCode> {
        match a.workload {
            Workload::W1 | Workload::W2 => {
                let ok = run_dense(a, a.workload == Workload::W2)?;
                if !ok {
                    eprintln!("error: output spike counts differ from the reference");
                    return Ok(ExitCode::from(1));
                }
            }
            Workload::W3 => run_dc(a, true)?,
            Workload::W4 => run_dc(a, false)?,
        }
        Ok(ExitCode::SUCCESS)
    };
    crate::pool::on_worker(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // test vectors as WORKLOADS.md prints them
    fn portable_rng_test_vectors() {
        assert_eq!(sm(0), 0xe220a8397b1dcdaf);
        assert_eq!(sm(1), 0x910a2dec89025cc1);
        let keys = [
            0x08b4fda8c892b50e,
            0xd7cc9674ff5ffa39,
            0xc810565020d09481,
            0x1e2385c4a57ef30d,
            0x3eb2ecbc903907fc,
        ];
        for (s, &k) in keys.iter().enumerate() {
            assert_eq!(key(0, s as u64 + 1), k);
        }
        let k1 = key(0, 1);
        assert_eq!(sm(k1), 0x44e5b98100c67fb0);
        assert_eq!(sm(k1 + 2), 0xfd7a8b00efefa600);
        let u = [
            0.2691303195904541,
            0.27471265698820735,
            0.9901511075294693,
            0.9150415601833555,
        ];
        for (k, &want) in u.iter().enumerate() {
            assert_eq!(uniform(k1, k as u64), want);
        }
        let k2 = key(0, 2);
        assert_eq!(normal_f32(k2, 0).to_bits(), 0x3f3b87cb);
        let z = [
            0.7325407862663269f32,
            0.8117351531982422,
            -0.7206510901451111,
            -1.3781119585037231,
            0.2239331603050232,
            0.3080712556838989,
        ];
        for (k, &want) in z.iter().enumerate() {
            assert_eq!(normal_f32(k2, k as u64), want);
        }
    }

    #[test]
    #[allow(clippy::excessive_precision)] // reference values as WORKLOADS.md prints them
    fn w1_inputs_match_workloads_md() {
        let w = w1_weights(1000, 0);
        let sum: f64 = w.iter().map(|&x| x as f64).sum();
        assert!((sum - 526.8438467571018).abs() < 1e-9, "{sum}");
        assert_eq!(w[999 * 1000 + 999], 2.7394919395446777);
        let (x, total) = w1_raster(1000, 1000, 0, 1.0);
        assert_eq!(total, 50893);
        assert_eq!(x[..1000].iter().filter(|&&v| v).count(), 51);
        assert_eq!((0..1000).filter(|&t| x[t * 1000]).count(), 33);
        let r = w1_rates(1000, 0);
        assert_eq!(r[0], 26.91303195904541);
    }
}
