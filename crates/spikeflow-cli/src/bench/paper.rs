//! `paper`: Diehl & Cook's own model (`spikeflow::models::diehl_cook_paper`:
//! conductance neurons, delayed input, dt 0.5 ms, 350 ms per image plus
//! 150 ms of rest, re-presented at a higher intensity below 5 spikes), the
//! first training images in order, timed per image while learning and then
//! per image with learning off on the same network, then with learning off in
//! blocks as `spikeflow train` labels and tests (one copy of the network per
//! thread, each showing the images in order; the time per image is the wall
//! time over all the copies' images: a mean, re-presentations included, to be
//! compared with the mean of the per-image lines). No peer runs it (BindsNET has no
//! equivalent); one JSON line per measured image and phase, one for the
//! blocks.

use super::diehl_cook::{default_mnist, plan, read_mnist_images};
use super::report::{emit, median};
use super::system::loadavg;
use super::Args;
use anyhow::Result;
use rayon::prelude::*;
use serde_json::{json, Map};
use spikeflow::models::diehl_cook_paper::{DiehlCookPaper, PaperParts, PaperPresenter};
use spikeflow::models::Presenter;
use spikeflow::nodes::ConductanceLifNodes;
use std::time::Instant;

/// Runs the paper model at every size: `warm + measured` images learning,
/// then as many with learning off.
pub(super) fn run(a: &Args) -> Result<()> {
    let sizes = if a.sizes.is_empty() {
        vec![100, 400, 1600, 6400]
    } else {
        a.sizes.clone()
    };
    let need = sizes
        .iter()
        .map(|&n| {
            let (w, k) = plan(a, n, 1);
            w + k
        })
        .max()
        .unwrap_or(0);
    let dir = a.mnist.clone().unwrap_or_else(default_mnist);
    let images = read_mnist_images(&dir, need)?;
    let img = |i: usize| -> Vec<f32> {
        images[i * 784..(i + 1) * 784]
            .iter()
            .map(|&x| f32::from(x) / 255.0)
            .collect()
    };
    let cfg_of = |n: usize| DiehlCookPaper {
        n_neurons: n,
        seed: a.seed,
        closed_form_rest: a.closed_form_rest,
        closed_form_training_rest: a.closed_form_training_rest,
        excitatory: ConductanceLifNodes {
            euler_limit: a.euler_limit,
            ..ConductanceLifNodes::excitatory()
        },
        inhibitory: ConductanceLifNodes {
            euler_limit: a.euler_limit,
            ..ConductanceLifNodes::inhibitory()
        },
        ..Default::default()
    };
    for &n in &sizes {
        let (warm, measured) = plan(a, n, 1);
        let t0 = Instant::now();
        let cfg = cfg_of(n);
        let mut p = if a.parts > 1 {
            Model::Parts(cfg.build_parts(a.parts)?)
        } else {
            Model::One(Box::new(cfg.build()?))
        };
        let build_s = t0.elapsed().as_secs_f64();
        eprintln!(
            "[paper] N={n} threads={} parts={} warmup={warm} measured={measured} (build {build_s:.2}s)",
            a.threads, a.parts
        );
        for learn in [true, false] {
            let mut times = Vec::new();
            for k in 0..warm + measured {
                let x = img(k);
                let shown = p.presentations();
                let t = Instant::now();
                let counts = p.present(&x, learn)?;
                let s = t.elapsed().as_secs_f64();
                if k < warm {
                    continue;
                }
                times.push(s);
                let mut rec = record(a, n, learn, s);
                rec.insert("sample".into(), json!(k - warm));
                rec.insert("presentations".into(), json!(p.presentations() - shown));
                rec.insert(
                    "ae_spikes_per_sample".into(),
                    json!(counts.iter().map(|&c| f64::from(c)).sum::<f64>()),
                );
                rec.insert("build_s".into(), json!(build_s));
                rec.insert("loadavg1".into(), json!(loadavg()));
                emit(rec);
            }
            eprintln!(
                "[paper] N={n} learning={learn}: median {:.3}, mean {:.3} ms per image",
                1e3 * median(&times),
                1e3 * times.iter().sum::<f64>() / times.len().max(1) as f64
            );
        }
        // Learning off in blocks: a copy per thread from the trained state.
        let Model::One(p) = p else {
            continue;
        };
        let snap = p.network().snapshot();
        let blocks = a.threads.max(1);
        let mut copies = (0..blocks)
            .map(|_| {
                let mut q = cfg_of(n).build()?;
                q.network_mut().restore(&snap)?;
                Ok(q)
            })
            .collect::<Result<Vec<_>>>()?;
        let show = |copies: &mut [_], range: std::ops::Range<usize>| -> Result<f64> {
            let t = Instant::now();
            copies
                .par_iter_mut()
                .try_for_each(|q: &mut PaperPresenter| {
                    range
                        .clone()
                        .try_for_each(|k| q.present(&img(k), false).map(|_| ()))
                })?;
            Ok(t.elapsed().as_secs_f64())
        };
        show(&mut copies, 0..warm)?;
        let s = show(&mut copies, warm..warm + measured)? / (blocks * measured).max(1) as f64;
        let mut rec = record(a, n, false, s);
        rec.insert("blocks".into(), json!(blocks));
        rec.insert("loadavg1".into(), json!(loadavg()));
        emit(rec);
        eprintln!(
            "[paper] N={n} learning=false in {blocks} blocks: {:.3} ms per image",
            1e3 * s
        );
    }
    Ok(())
}

/// The network timed: one presenter, or one cut into parts on threads.
enum Model {
    One(Box<PaperPresenter>),
    Parts(PaperParts),
}

impl Model {
    fn present(&mut self, image: &[f32], learning: bool) -> spikeflow::Result<Vec<f32>> {
        match self {
            Model::One(p) => p.present(image, learning),
            Model::Parts(p) => p.present(image, learning),
        }
    }
    fn presentations(&self) -> u64 {
        match self {
            Model::One(p) => p.presentations(),
            Model::Parts(p) => p.presentations(),
        }
    }
}

/// The fields every line of the workload has.
fn record(a: &Args, n: usize, learning: bool, s_per_sample: f64) -> Map<String, serde_json::Value> {
    let mut rec = Map::new();
    rec.insert("bench".into(), json!("paper"));
    rec.insert("workload".into(), json!("diehl-cook-paper"));
    rec.insert("impl".into(), json!("spikeflow"));
    rec.insert("n_neurons".into(), json!(n));
    rec.insert("n".into(), json!(n));
    rec.insert("threads".into(), json!(a.threads));
    rec.insert("parts".into(), json!(a.parts));
    rec.insert("closed_form_rest".into(), json!(a.closed_form_rest));
    rec.insert(
        "closed_form_training_rest".into(),
        json!(a.closed_form_training_rest),
    );
    // JSON has no infinity: the unlimited step is written "inf".
    let limit = if a.euler_limit.is_finite() {
        json!(a.euler_limit)
    } else {
        json!(a.euler_limit.to_string())
    };
    rec.insert("euler_limit".into(), limit);
    rec.insert("dt_ms".into(), json!(0.5));
    rec.insert("seed".into(), json!(a.seed));
    rec.insert("learning".into(), json!(learning));
    rec.insert("s_per_sample".into(), json!(s_per_sample));
    rec
}
