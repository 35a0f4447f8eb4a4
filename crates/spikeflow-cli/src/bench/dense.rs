//! W1 `dense-lif` and W2 `dense-lif-stdp`: n Poisson inputs → n LIF through
//! a dense `w ~ N(0,1)` connection, without (W1) or with (W2) PostPre STDP,
//! `--steps` steps of 1 ms; each repetition's output spike count is checked
//! against the reference counts of BENCHMARKS.md.

use super::draws::{w1_raster, w1_rates, w1_weights};
use super::report::{emit, median, profile_json, profile_line};
use super::system::loadavg;
use super::Args;
use anyhow::Result;
use serde_json::{json, Map};
use spikeflow::prelude::*;
use std::time::Instant;

/// W1 reference output spike counts (seed 0, 1000 steps) by n.
const W1_REF: [(usize, u64); 4] = [
    (1000, 30366),
    (2500, 96836),
    (5000, 213384),
    (10000, 479014),
];

/// W2 reference output spike counts (seed 0, 1000 steps) by n.
const W2_REF: [(usize, u64); 3] = [(1000, 93096), (2500, 275489), (5000, 591513)];

/// The network of W1 (`stdp` false) or W2, with a summed spike monitor on `Y`.
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

/// Runs W1 (`stdp` false) or W2 at every size; false if any output spike
/// count differs from its reference.
pub(super) fn run(a: &Args, stdp: bool) -> Result<bool> {
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
                let phases = net.profile();
                profile_line(&format!("{wl} n={n} rep {r}"), &phases);
                rec.insert("profile".into(), profile_json(&phases));
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
