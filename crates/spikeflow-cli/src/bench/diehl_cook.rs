//! W3 `diehl-cook-train` and W4 `diehl-cook-infer`: BindsNET's
//! `DiehlAndCook2015` (inh 120) as its `eth_mnist.py` builds it, 250 steps
//! per MNIST image, learning on (W3, batch 1) or off (W4, batch 1 or more),
//! the state reset between images; timed per sample.

use super::draws::{dc_encode, dc_weights};
use super::report::{emit, median, profile_json, profile_line};
use super::system::loadavg;
use super::Args;
use anyhow::{bail, Result};
use serde_json::{json, Map};
use spikeflow::models::DiehlAndCook2015;
use spikeflow::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Runs W3 (`learn` true) or W4 at every size and batch size.
pub(super) fn run(a: &Args, learn: bool) -> Result<()> {
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
                    rec.insert("profile".into(), profile_json(&net.profile()));
                }
                emit(rec);
            }
            eprintln!(
                "  median {:.3} ms/sample, Ae spikes/sample median {:.1}",
                median(&times) * 1e3,
                median(&ae_all)
            );
            if a.profile {
                let phases = net.profile();
                profile_line(
                    &format!("{wl} N={n} batch {bsz}, last measured sample"),
                    &phases,
                );
            }
        }
    }
    Ok(())
}

/// (warm-up, measured) samples (batch 1) or batches (batch > 1), as `run_all.sh`.
pub(super) fn plan(a: &Args, n: usize, b: usize) -> (usize, usize) {
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

/// Reads the first `count` training images (28×28, u8) with the library's
/// validated IDX reader (gzip or raw).
pub(super) fn read_mnist_images(dir: &Path, count: usize) -> Result<Vec<u8>> {
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
pub(super) fn default_mnist() -> PathBuf {
    crate::train::default_data_dir()
}
