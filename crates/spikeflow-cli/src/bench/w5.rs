//! W5: NEST's `hpc_benchmark` (`spikeflow::models::HpcBenchmark`) at a
//! scale: build, presimulate (NEST's 50 ms, not measured), then simulate
//! `--seconds` with learning on, timed. One JSON line per repetition with
//! the fields `bench/w5_nest.py` prints for NEST: mean rates of E and I
//! over the measured time, `out_spikes` (every spike of E and I in it),
//! `sum_w_ee` and `mean_w_ee` (E → E weights after the run, pA), wall
//! seconds per simulated second, the peak resident memory and bytes per
//! synapse (Linux `/proc/self/status`; `NaN` elsewhere), and the spike
//! exchanges between ranks in the measured run (`exchanges`: one per
//! 1.5 ms minimum delay, 0 alone).
//!
//! Under `mpirun -np K` (built with `--features mpi`) each rank builds and
//! runs its part ([`DistributedNetwork`]) and rank 0 prints the line, with
//! the totals over the ranks: `out_spikes` and `sum_w_ee` are the same for
//! every K (`sum_w_ee` sums each target's weights, then the targets in
//! order, in one process too), the memory is each rank's peak
//! (`peak_rss_bytes_per_rank`, `peak_rss_bytes` their maximum).
//!
//! `--save-state DIR` writes the whole network's state after the run (over
//! ranks put together from their parts, as one process writes it);
//! `--resume-state DIR` starts from it instead of presimulating, with any
//! number of ranks: the run goes on as one that never stopped.

use super::lazy_weights::LazyWeights;
use super::report::{emit, profile_json, profile_line};
use super::system::loadavg;
use super::Args;
use anyhow::{bail, Result};
use serde_json::{json, Map};
use spikeflow::distributed::{DistributedNetwork, Exchange};
use spikeflow::models::{hpc_benchmark, HpcBenchmark};
use spikeflow::prelude::*;
use spikeflow::Snapshot;
use std::time::{Duration, Instant};

/// W5's network state in a folder (`--save-state`, `--resume-state`): the
/// whole network's snapshot as a checkpoint (arrays and their CRCs), with
/// the model it belongs to.
mod state {
    use crate::checkpoint::{self, Array};
    use anyhow::{bail, Context, Result};
    use serde_json::json;
    use spikeflow::models::HpcBenchmark;
    use spikeflow::Snapshot;
    use std::path::Path;

    /// What the folder holds (beside the checkpoint format's own fields).
    const KIND: &str = "w5-state";

    fn model_json(m: &HpcBenchmark) -> serde_json::Value {
        json!({"scale": m.scale, "seed": m.seed, "plastic": m.plastic})
    }

    pub fn write(dir: &Path, model: &HpcBenchmark, snap: &Snapshot) -> Result<()> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("cannot replace {}", dir.display()))?;
        }
        let meta = json!({
            "format": checkpoint::FORMAT,
            "version": checkpoint::VERSION,
            "kind": KIND,
            "model": model_json(model),
            "rng": snap.rng.iter().map(|x| format!("{x:016x}")).collect::<Vec<_>>(),
        });
        let arrays = snap
            .arrays
            .iter()
            .map(|(n, v)| (n.clone(), Array::f32(v.clone())))
            .collect();
        checkpoint::write_checkpoint(dir, &meta, &arrays)
    }

    pub fn read(dir: &Path, model: &HpcBenchmark) -> Result<Snapshot> {
        let l = checkpoint::read_checkpoint(dir)?;
        if l.meta["kind"] != KIND {
            bail!(
                "{} is not a W5 state (--save-state writes one)",
                dir.display()
            );
        }
        if l.meta["model"] != model_json(model) {
            bail!(
                "{} holds W5 {}; this run is {}",
                dir.display(),
                l.meta["model"],
                model_json(model)
            );
        }
        let word = |i: usize| -> Option<u64> {
            u64::from_str_radix(l.meta["rng"].get(i)?.as_str()?, 16).ok()
        };
        let rng = [word(0), word(1), word(2), word(3)];
        let Some(rng) = rng.iter().copied().collect::<Option<Vec<u64>>>() else {
            bail!("{}: bad generator state", dir.display());
        };
        let mut arrays = Vec::with_capacity(l.arrays.len());
        for (name, _) in &l.arrays {
            arrays.push((name.clone(), l.f32(name)?.to_vec()));
        }
        Ok(Snapshot {
            arrays,
            rng: [rng[0], rng[1], rng[2], rng[3]],
        })
    }
}

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

/// W5's network: whole in this process, or this rank's part of it.
enum W5Net {
    Whole(Network),
    Part(DistributedNetwork),
}

impl W5Net {
    fn build(model: &HpcBenchmark, ranks: Option<Box<dyn Exchange>>) -> Result<Self> {
        Ok(match ranks {
            None => W5Net::Whole(model.build()?),
            Some(x) => W5Net::Part(DistributedNetwork::build(model.builder()?, x)?),
        })
    }
    /// The exchange back, for the next repetition.
    fn into_ranks(self) -> Option<Box<dyn Exchange>> {
        match self {
            W5Net::Whole(_) => None,
            W5Net::Part(d) => Some(d.into_exchange()),
        }
    }
    fn net(&self) -> &Network {
        match self {
            W5Net::Whole(n) => n,
            W5Net::Part(d) => d.network(),
        }
    }
    fn net_mut(&mut self) -> &mut Network {
        match self {
            W5Net::Whole(n) => n,
            W5Net::Part(d) => d.network_mut(),
        }
    }
    fn set_profiling(&mut self, on: bool) {
        match self {
            W5Net::Whole(n) => n.set_profiling(on),
            W5Net::Part(d) => d.set_profiling(on),
        }
    }
    /// Wall time per phase, the collectives in `exchange`.
    fn profile(&self) -> [(&'static str, Duration); 6] {
        match self {
            W5Net::Whole(n) => n.profile(),
            W5Net::Part(d) => d.profile(),
        }
    }
    fn rank(&self) -> usize {
        match self {
            W5Net::Whole(_) => 0,
            W5Net::Part(d) => d.rank(),
        }
    }
    fn run(&mut self, steps: usize) -> Result<()> {
        match self {
            W5Net::Whole(n) => n.run(&[], steps, &RunOptions::default())?,
            W5Net::Part(d) => d.run(steps, &RunOptions::default())?,
        }
        Ok(())
    }
    /// The name of `E -> E` in this process's network.
    fn ee(&self) -> Result<&str> {
        Ok(match self {
            W5Net::Whole(_) => "E -> E",
            W5Net::Part(d) => d.local_connection("E -> E")?,
        })
    }
    /// Every rank's `local` (one value in one process).
    fn per_rank(&self, local: u64) -> Vec<u64> {
        match self {
            W5Net::Whole(_) => vec![local],
            W5Net::Part(d) => d.gather_count(local),
        }
    }
    /// Spikes counted by the summed monitor `name`, over every rank.
    fn spikes_of(&self, name: &str) -> Result<f64> {
        let s = self.net().monitor(name)?.get("s")?;
        let local: f64 = s.data().iter().map(|&x| f64::from(x)).sum();
        Ok(self.per_rank(local as u64).iter().sum::<u64>() as f64)
    }
    /// The whole network's snapshot (a collective over ranks).
    fn whole_snapshot(&self) -> Result<Snapshot> {
        Ok(match self {
            W5Net::Whole(n) => n.snapshot(),
            W5Net::Part(d) => d.whole_snapshot()?,
        })
    }
    /// Restores a whole network's snapshot (each rank takes its part).
    fn restore_whole(&mut self, snap: &Snapshot) -> Result<()> {
        match self {
            W5Net::Whole(n) => {
                // `Network::restore` takes the arrays in its own order; the
                // state's folder keeps them by name.
                let order: Vec<String> = n.snapshot().arrays.into_iter().map(|(k, _)| k).collect();
                let mut arrays = Vec::with_capacity(order.len());
                for name in order {
                    match snap.arrays.iter().find(|(k, _)| *k == name) {
                        Some(a) => arrays.push(a.clone()),
                        None => bail!("the W5 state has no array {name}"),
                    }
                }
                n.restore(&Snapshot {
                    arrays,
                    rng: snap.rng,
                })?
            }
            W5Net::Part(d) => d.restore_whole(snap)?,
        }
        Ok(())
    }
    /// Spike exchanges run so far (none alone).
    fn exchanges(&self) -> u64 {
        match self {
            W5Net::Whole(_) => 0,
            W5Net::Part(d) => d.exchanges(),
        }
    }
    /// The sum of the E → E weights, the same for any number of ranks.
    fn sum_w_ee(&self) -> Result<f64> {
        Ok(match self {
            W5Net::Whole(n) => n.weight_sums_by_target("E -> E")?.iter().sum(),
            W5Net::Part(d) => d.weight_sum("E -> E")?,
        })
    }
}

/// Runs W5 at `--scale` for `--reps` repetitions (default 1), over the
/// MPI ranks `ranks` when given.
pub(super) fn run(a: &Args, mut ranks: Option<Box<dyn Exchange>>) -> Result<()> {
    let k = ranks.as_ref().map_or(1, |x| x.ranks());
    if a.nest_weights && k > 1 {
        bail!("--nest-weights runs in one process (its read-out is not gathered over ranks)");
    }
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
    // Read (and checked against the model) before anything is built.
    let resume = match &a.resume_state {
        Some(dir) => Some(state::read(dir, &model)?),
        None => None,
    };
    for rep in 0..a.reps.unwrap_or(1) {
        let rss0 = proc_status_bytes("VmRSS:");
        let t0 = Instant::now();
        let mut net = W5Net::build(&model, ranks.take())?;
        let build_s = t0.elapsed().as_secs_f64();
        let rss_built = proc_status_bytes("VmRSS:");
        let root = net.rank() == 0;
        if root {
            eprintln!(
                "[w5] scale={} NE={ne} NI={ni} CE={} CI={} synapses={synapses} ranks={k} threads={} (build {build_s:.2}s)",
                a.scale,
                model.c_e(),
                model.c_i(),
                a.threads
            );
        }
        let mut lazy = if a.nest_weights {
            Some(LazyWeights::new(
                net.net(),
                "E -> E",
                "E",
                model.je_pa() as f32,
            )?)
        } else {
            None
        };
        // With --nest-weights, the E → E rows of each step's spiking sources
        // are copied after the step (one process: refused above otherwise;
        // a lone MPI rank steps one call at a time).
        let mut run = |net: &mut W5Net, steps: usize| -> Result<()> {
            match (&mut lazy, &mut *net) {
                (None, net) => net.run(steps)?,
                (Some(l), W5Net::Whole(n)) => {
                    n.run_observed(&[], steps, &RunOptions::default(), |n| l.observe(n))?
                }
                (Some(l), net) => {
                    for _ in 0..steps {
                        net.run(1)?;
                        l.observe(net.net())?;
                    }
                }
            }
            Ok(())
        };
        let t = Instant::now();
        if let Some(snap) = &resume {
            net.restore_whole(snap)?;
        } else if presim_steps > 0 {
            run(&mut net, presim_steps)?;
        }
        let presim_s = t.elapsed().as_secs_f64();
        for p in ["E", "I"] {
            net.net_mut()
                .add_monitor(p, MonitorSpec::new(p, &["s"]).summed())?;
        }
        net.set_profiling(a.profile);
        let exchanges0 = net.exchanges();
        let t = Instant::now();
        run(&mut net, steps)?;
        let sim_s = t.elapsed().as_secs_f64();
        let exchanges = net.exchanges() - exchanges0;
        let (n_e, n_i) = (net.spikes_of("E")?, net.spikes_of("I")?);
        let n_ee: u64 = net
            .per_rank(net.net().weights(net.ee()?)?.len() as u64)
            .iter()
            .sum();
        let sum_w = net.sum_w_ee()?;
        let sim_sec = steps as f64 * dt / 1000.0;
        // Bytes as whole numbers, so the ranks can gather them (NaN: 0).
        let peaks = net.per_rank(proc_status_bytes("VmHWM:") as u64);
        let built: u64 = net
            .per_rank((rss_built - rss0).max(0.0) as u64)
            .iter()
            .sum();
        let peak = peaks.iter().copied().max().unwrap_or(0) as f64;
        let peak_total = peaks.iter().sum::<u64>() as f64;
        let profile = a.profile.then(|| net.profile());
        if let Some(dir) = &a.save_state {
            let snap = net.whole_snapshot()?;
            if root {
                state::write(dir, &model, &snap)?;
            }
        }
        ranks = net.into_ranks();
        if !root {
            continue;
        }
        let mut rec = Map::new();
        rec.insert("bench".into(), json!("w5"));
        rec.insert("workload".into(), json!("hpc-benchmark"));
        rec.insert("impl".into(), json!("spikeflow"));
        rec.insert("rep".into(), json!(rep));
        rec.insert("scale".into(), json!(a.scale));
        rec.insert("threads".into(), json!(a.threads));
        rec.insert("ranks".into(), json!(k));
        rec.insert("n_e".into(), json!(ne));
        rec.insert("n_i".into(), json!(ni));
        rec.insert("ce".into(), json!(model.c_e()));
        rec.insert("ci".into(), json!(model.c_i()));
        rec.insert("je_pa".into(), json!(model.je_pa()));
        rec.insert("poisson_rate_hz".into(), json!(model.poisson_rate_hz()));
        let presim_ms = if resume.is_some() {
            0.0
        } else {
            presim_steps as f64 * dt
        };
        rec.insert("presim_ms".into(), json!(presim_ms));
        rec.insert("resumed".into(), json!(resume.is_some()));
        rec.insert("sim_ms".into(), json!(steps as f64 * dt));
        rec.insert("seed".into(), json!(a.seed));
        rec.insert("plastic".into(), json!(!a.static_ee));
        rec.insert("synapses".into(), json!(synapses));
        rec.insert("n_ee".into(), json!(n_ee));
        rec.insert("build_s".into(), json!(build_s));
        rec.insert("presim_s".into(), json!(presim_s));
        rec.insert("sim_s".into(), json!(sim_s));
        rec.insert("wall_s_per_sim_s".into(), json!(sim_s / sim_sec));
        rec.insert("exchanges".into(), json!(exchanges));
        rec.insert("out_spikes".into(), json!(n_e + n_i));
        rec.insert("rate_e_hz".into(), json!(n_e / ne as f64 / sim_sec));
        rec.insert("rate_i_hz".into(), json!(n_i / ni as f64 / sim_sec));
        rec.insert("sum_w_ee".into(), json!(sum_w));
        rec.insert("mean_w_ee".into(), json!(sum_w / n_ee.max(1) as f64));
        if let Some(l) = &lazy {
            rec.insert("mean_w_ee_nest_view".into(), json!(l.mean()));
        }
        rec.insert("peak_rss_bytes".into(), json!(peak));
        rec.insert("peak_rss_bytes_per_rank".into(), json!(peaks));
        rec.insert(
            "bytes_per_synapse".into(),
            json!(peak_total / synapses as f64),
        );
        rec.insert(
            "build_bytes_per_synapse".into(),
            json!(built as f64 / synapses as f64),
        );
        rec.insert("loadavg1".into(), json!(loadavg()));
        if let Some(phases) = profile {
            let of = if k > 1 { " (rank 0)" } else { "" };
            profile_line(&format!("w5 scale {}{of}", a.scale), &phases);
            rec.insert("profile".into(), profile_json(&phases));
        }
        eprintln!(
            "[w5] {:.3} s per simulated second; E {:.2} Hz, I {:.2} Hz, mean w_EE {:.4} pA",
            sim_s / sim_sec,
            n_e / ne as f64 / sim_sec,
            n_i / ni as f64 / sim_sec,
            sum_w / n_ee.max(1) as f64
        );
        emit(rec);
    }
    Ok(())
}
