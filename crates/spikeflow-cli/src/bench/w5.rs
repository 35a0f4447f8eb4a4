//! W5: NEST's `hpc_benchmark` (`spikeflow::models::HpcBenchmark`) at a
//! scale: build, presimulate (NEST's 50 ms, not measured), then simulate
//! `--seconds` with learning on, timed. One JSON line per repetition with
//! the fields `bench/w5_nest.py` prints for NEST: mean rates of E and I
//! over the measured time, `out_spikes` (every spike of E and I in it),
//! `sum_w_ee` and `mean_w_ee` (E → E weights after the run, pA), wall
//! seconds per simulated second, the peak resident memory and bytes per
//! synapse (Linux `/proc/self/status`; `NaN` elsewhere).

use super::lazy_weights::LazyWeights;
use super::report::{emit, profile_json, profile_line};
use super::system::loadavg;
use super::Args;
use anyhow::{bail, Result};
use serde_json::{json, Map};
use spikeflow::models::{hpc_benchmark, HpcBenchmark};
use spikeflow::prelude::*;
use std::time::Instant;

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`), `NaN` where
/// unknown.
fn proc_status_bytes(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
                    .map(|kb| kb * 1024.0)
            })
        })
        .unwrap_or(f64::NAN)
}

/// Spikes counted by the summed monitor `name`.
fn spikes_of(net: &Network, name: &str) -> Result<f64> {
    let s = net.monitor(name)?.get("s")?;
    Ok(s.data().iter().map(|&x| f64::from(x)).sum())
}

/// Runs W5 at `--scale` for `--reps` repetitions (default 1).
pub(super) fn run(a: &Args) -> Result<()> {
    let valid = a.seconds.is_finite() && a.seconds > 0.0 && a.presim_ms.is_finite();
    if !valid || a.presim_ms < 0.0 {
        bail!("--seconds must be > 0 and --presim-ms ≥ 0");
    }
    let model = HpcBenchmark {
        scale: a.scale,
        seed: a.seed,
        plastic: !a.static_ee,
    };
    let dt = f64::from(hpc_benchmark::DT_MS);
    let presim_steps = (a.presim_ms / dt).round() as usize;
    let steps = (a.seconds * 1000.0 / dt).round() as usize;
    let (ne, ni) = (model.n_e(), model.n_i());
    let synapses = (ne + ni) * (model.c_e() + model.c_i()) + ne + ni;
    for rep in 0..a.reps.unwrap_or(1) {
        let rss0 = proc_status_bytes("VmRSS:");
        let t0 = Instant::now();
        let mut net = model.build()?;
        let build_s = t0.elapsed().as_secs_f64();
        let rss_built = proc_status_bytes("VmRSS:");
        eprintln!(
            "[w5] scale={} NE={ne} NI={ni} CE={} CI={} synapses={synapses} threads={} (build {build_s:.2}s)",
            a.scale,
            model.c_e(),
            model.c_i(),
            a.threads
        );
        let mut lazy = if a.nest_weights {
            Some(LazyWeights::new(&net, "E -> E", "E", model.je_pa() as f32)?)
        } else {
            None
        };
        // With --nest-weights, one step per call (to see each step's spikes).
        let mut run = |net: &mut Network, steps: usize| -> Result<()> {
            match &mut lazy {
                None => net.run(&[], steps, &RunOptions::default())?,
                Some(l) => {
                    for _ in 0..steps {
                        net.run(&[], 1, &RunOptions::default())?;
                        l.observe(net)?;
                    }
                }
            }
            Ok(())
        };
        let t = Instant::now();
        if presim_steps > 0 {
            run(&mut net, presim_steps)?;
        }
        let presim_s = t.elapsed().as_secs_f64();
        for p in ["E", "I"] {
            net.add_monitor(p, MonitorSpec::new(p, &["s"]).summed())?;
        }
        net.set_profiling(a.profile);
        let t = Instant::now();
        run(&mut net, steps)?;
        let sim_s = t.elapsed().as_secs_f64();
        let (n_e, n_i) = (spikes_of(&net, "E")?, spikes_of(&net, "I")?);
        let w = net.weights("E -> E")?;
        let sum_w: f64 = w.iter().map(|&x| f64::from(x)).sum();
        let sim_sec = steps as f64 * dt / 1000.0;
        let peak = proc_status_bytes("VmHWM:");
        let mut rec = Map::new();
        rec.insert("bench".into(), json!("w5"));
        rec.insert("workload".into(), json!("hpc-benchmark"));
        rec.insert("impl".into(), json!("spikeflow"));
        rec.insert("rep".into(), json!(rep));
        rec.insert("scale".into(), json!(a.scale));
        rec.insert("threads".into(), json!(a.threads));
        rec.insert("n_e".into(), json!(ne));
        rec.insert("n_i".into(), json!(ni));
        rec.insert("ce".into(), json!(model.c_e()));
        rec.insert("ci".into(), json!(model.c_i()));
        rec.insert("je_pa".into(), json!(model.je_pa()));
        rec.insert("poisson_rate_hz".into(), json!(model.poisson_rate_hz()));
        rec.insert("presim_ms".into(), json!(presim_steps as f64 * dt));
        rec.insert("sim_ms".into(), json!(steps as f64 * dt));
        rec.insert("seed".into(), json!(a.seed));
        rec.insert("plastic".into(), json!(!a.static_ee));
        rec.insert("synapses".into(), json!(synapses));
        rec.insert("n_ee".into(), json!(w.len()));
        rec.insert("build_s".into(), json!(build_s));
        rec.insert("presim_s".into(), json!(presim_s));
        rec.insert("sim_s".into(), json!(sim_s));
        rec.insert("wall_s_per_sim_s".into(), json!(sim_s / sim_sec));
        rec.insert("out_spikes".into(), json!(n_e + n_i));
        rec.insert("rate_e_hz".into(), json!(n_e / ne as f64 / sim_sec));
        rec.insert("rate_i_hz".into(), json!(n_i / ni as f64 / sim_sec));
        rec.insert("sum_w_ee".into(), json!(sum_w));
        rec.insert("mean_w_ee".into(), json!(sum_w / w.len().max(1) as f64));
        if let Some(l) = &lazy {
            rec.insert("mean_w_ee_nest_view".into(), json!(l.mean()));
        }
        rec.insert("peak_rss_bytes".into(), json!(peak));
        rec.insert("bytes_per_synapse".into(), json!(peak / synapses as f64));
        rec.insert(
            "build_bytes_per_synapse".into(),
            json!((rss_built - rss0) / synapses as f64),
        );
        rec.insert("loadavg1".into(), json!(loadavg()));
        if a.profile {
            let p = profile_json(&net);
            profile_line(&format!("w5 scale {}", a.scale), &p);
            rec.insert("profile".into(), p);
        }
        eprintln!(
            "[w5] {:.3} s per simulated second; E {:.2} Hz, I {:.2} Hz, mean w_EE {:.4} pA",
            sim_s / sim_sec,
            n_e / ne as f64 / sim_sec,
            n_i / ni as f64 / sim_sec,
            sum_w / w.len().max(1) as f64
        );
        emit(rec);
    }
    Ok(())
}
