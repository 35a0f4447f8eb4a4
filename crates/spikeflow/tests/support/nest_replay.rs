//! A NEST run of W5 replayed through spikeflow's power-law STDP, synapse by
//! synapse (`scripts/nest_w5_replay.py` records the run; used by
//! `tests/nest_w5_replay.rs` and `examples/w5_replay.rs`).
//!
//! The presynaptic population replays NEST's E spikes; each recorded target
//! is a neuron made to fire at the steps NEST's fired (an input one step
//! before it, through a weight far above threshold), so that both simulators
//! see the same spike trains and any difference left is the rule's. The
//! synapses are NEST's, multapses included, as `WithDelays` of sparse rows
//! as in `HpcBenchmark`, and the weights are read as NEST reports them: each
//! synapse as of its source's last delivered spike (`Network::run_observed`).

use serde_json::Value;
use spikeflow::learning::StdpPowerLaw;
use spikeflow::prelude::*;
use spikeflow::topology::{Sparse, WithDelays};
use std::path::Path;

pub type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// One (source, target) pair of NEST's E → E synapses onto the targets.
pub struct Pair {
    /// Index in E.
    pub source: usize,
    /// Index among the recording's targets.
    pub target: usize,
    /// The pair's synapses (multapses; their weights stay equal).
    pub count: usize,
    /// NEST's weight after the run (pA).
    pub nest_w: f64,
}

/// What `scripts/nest_w5_replay.py` wrote.
pub struct Recording {
    pub n_e: usize,
    pub steps: usize,
    /// The last step whose spikes NEST had delivered (applied to weights).
    pub delivered_until: usize,
    pub delay_steps: usize,
    /// The targets' indices in E.
    pub targets: Vec<usize>,
    pub w0: f32,
    pub rule: StdpPowerLaw,
    pub lambda: f32,
    /// `(step, neuron)` for every E spike, in step order.
    pub spikes: Vec<(usize, usize)>,
    /// In (source, target) order.
    pub pairs: Vec<Pair>,
}

/// The line's `n` fields: whole numbers, then (if `weight`) a last one
/// that may be any number.
fn fields(file: &str, at: usize, line: &str, n: usize, weight: bool) -> Res<(Vec<usize>, f64)> {
    let bad = || format!("{file} line {}: expected {n} numbers: {line:?}", at + 1);
    let v: Vec<&str> = line.split_whitespace().collect();
    if v.len() != n {
        return Err(bad().into());
    }
    let ints = if weight { n - 1 } else { n };
    let whole = v[..ints]
        .iter()
        .map(|x| x.parse::<usize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| bad())?;
    let w = if weight {
        v[n - 1].parse::<f64>().map_err(|_| bad())?
    } else {
        0.0
    };
    Ok((whole, w))
}

impl Recording {
    pub fn load(dir: &Path) -> Res<Recording> {
        let read = |f: &str| {
            let path = dir.join(f);
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
        };
        let meta: Value = serde_json::from_str(&read("meta.json")?)?;
        let int = |k: &str| {
            meta[k]
                .as_u64()
                .map(|x| x as usize)
                .ok_or(format!("meta.json: no {k}"))
        };
        let stdp = &meta["stdp"];
        let p = |k: &str| {
            stdp[k]
                .as_f64()
                .map(|x| x as f32)
                .ok_or(format!("meta.json: no stdp.{k}"))
        };
        let (n_e, steps) = (int("n_e")?, int("steps")?);
        let delivered_until = int("delivered_until_step")?;
        let delay_steps = int("delay_steps")?;
        if !(1..=usize::from(u16::MAX) + 1).contains(&delay_steps) || delivered_until >= steps {
            return Err("meta.json: delay_steps or delivered_until_step out of range".into());
        }
        let rule = StdpPowerLaw {
            alpha: p("alpha")?,
            mu: p("mu")?,
            tau_plus: p("tau_plus")?,
            tau_minus: p("tau_minus")?,
            dendritic_delay_steps: delay_steps,
        };
        let targets = meta["targets"]
            .as_array()
            .ok_or("meta.json: no targets")?
            .iter()
            .map(|t| t.as_u64().map(|x| x as usize).ok_or("meta.json: targets"))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if targets.windows(2).any(|t| t[0] >= t[1]) || targets.last().is_some_and(|&t| t >= n_e) {
            return Err("meta.json: targets must be ascending indices into E".into());
        }
        let mut spikes = Vec::new();
        for (at, line) in read("spikes.txt")?.lines().enumerate() {
            let (v, _) = fields("spikes.txt", at, line, 2, false)?;
            if v[0] >= steps || v[1] >= n_e {
                return Err(
                    format!("spikes.txt line {}: step or neuron out of range", at + 1).into(),
                );
            }
            spikes.push((v[0], v[1]));
        }
        let mut pairs: Vec<Pair> = Vec::new();
        for (at, line) in read("synapses.txt")?.lines().enumerate() {
            let (v, w) = fields("synapses.txt", at, line, 4, true)?;
            let ordered = pairs
                .last()
                .is_none_or(|p| (p.source, p.target) < (v[0], v[1]));
            if v[0] >= n_e || v[1] >= targets.len() || v[2] == 0 || !ordered {
                return Err(format!(
                    "synapses.txt line {}: pairs must be distinct, in (source, target) order, in range, with synapses",
                    at + 1
                )
                .into());
            }
            pairs.push(Pair {
                source: v[0],
                target: v[1],
                count: v[2],
                nest_w: w,
            });
        }
        let synapses: usize = pairs.iter().map(|p| p.count).sum();
        if (int("e_spikes")?, int("synapses")?) != (spikes.len(), synapses) {
            return Err("meta.json: e_spikes or synapses do not match the files".into());
        }
        Ok(Recording {
            n_e,
            steps,
            delivered_until,
            delay_steps,
            targets,
            w0: meta["w0"].as_f64().ok_or("meta.json: no w0")? as f32,
            rule,
            lambda: p("lambda")?,
            spikes,
            pairs,
        })
    }

    /// Whether a delivered presynaptic spike of the pair came at the step a
    /// postsynaptic spike reached the synapse (where NEST potentiates before
    /// it depresses).
    pub fn coincident(&self) -> Vec<bool> {
        let mut post = vec![std::collections::HashSet::new(); self.targets.len()];
        let mut pre = vec![Vec::new(); self.n_e];
        for &(k, n) in &self.spikes {
            if let Ok(t) = self.targets.binary_search(&n) {
                post[t].insert(k + self.delay_steps);
            }
            if k <= self.delivered_until {
                pre[n].push(k);
            }
        }
        self.pairs
            .iter()
            .map(|p| pre[p.source].iter().any(|k| post[p.target].contains(k)))
            .collect()
    }

    /// Each pair's weight after spikeflow's replay, as NEST reports it.
    pub fn replay(&self) -> Res<Vec<f32>> {
        let (n_e, n_t, steps) = (self.n_e, self.targets.len(), self.steps);
        // Pre spikes: those NEST delivered. Post spikes: one step early on Z.
        let mut x = vec![0.0f32; steps * n_e];
        let mut z = vec![0.0f32; steps * n_t];
        let mut post_spikes = 0usize;
        for &(k, n) in &self.spikes {
            if k <= self.delivered_until {
                x[k * n_e + n] = 1.0;
            }
            if let Ok(t) = self.targets.binary_search(&n) {
                if k == 0 {
                    return Err(format!("target {n} fired at step 0: cannot be replayed").into());
                }
                z[(k - 1) * n_t + t] = 1.0;
                post_spikes += 1;
            }
        }
        let mut triplets = Vec::new();
        let mut row_ptr = vec![0usize; n_e + 1];
        for p in &self.pairs {
            for _ in 0..p.count {
                triplets.push((p.source as u32, p.target as u32, self.w0));
            }
            row_ptr[p.source + 1] += p.count;
        }
        for i in 0..n_e {
            row_ptr[i + 1] += row_ptr[i];
        }

        let mut b = Network::builder().dt(0.1);
        b.add_population("X", &[n_e], Input, NodeOptions::default());
        b.add_population("Z", &[n_t], Input, NodeOptions::default());
        let never_alone = LifNodes {
            thresh: 1e9.into(),
            refrac: 0.0.into(),
            ..Default::default()
        };
        b.add_population("Y", &[n_t], never_alone, NodeOptions::default());
        let mut diag = vec![0.0f32; n_t * n_t];
        for t in 0..n_t {
            diag[t * n_t + t] = 1e10;
        }
        b.connect(Connect::new("Z", "Y", Dense::with_weights(diag)));
        // Propagation adds a step to the ring's delay (as in HpcBenchmark).
        let delays = vec![(self.delay_steps - 1) as u16];
        b.connect(
            Connect::new(
                "X",
                "Y",
                WithDelays::new(Sparse::Multapses(triplets), delays),
            )
            .rule(self.rule)
            .nu(self.lambda)
            .wmin(0.0),
        );
        let mut net = b.build()?;
        let xs = Tensor::new(vec![steps, 1, n_e], x)?;
        let zs = Tensor::new(vec![steps, 1, n_t], z)?;
        let mut seen = net.weights("X -> Y")?.to_vec();
        let mut y_spikes = 0usize;
        net.run_observed(
            &[("X", &xs), ("Z", &zs)],
            steps,
            &RunOptions::default(),
            |net| {
                let w = net.weights("X -> Y")?;
                for &i in net.population("X")?.core().spikes().active(0) {
                    let r = row_ptr[i as usize]..row_ptr[i as usize + 1];
                    seen[r.clone()].copy_from_slice(&w[r]);
                }
                y_spikes += net.population("Y")?.core().spikes().active(0).len();
                Ok(())
            },
        )?;
        if y_spikes != post_spikes {
            return Err(format!("targets fired {y_spikes} times, NEST's {post_spikes}").into());
        }
        // Each pair's first synapse (its multapses must be equal).
        let mut at = 0usize;
        let mut out = Vec::with_capacity(self.pairs.len());
        for p in &self.pairs {
            let w = &seen[at..at + p.count];
            if w.iter().any(|&x| x != w[0]) {
                return Err(format!("multapses of ({}, {}) differ", p.source, p.target).into());
            }
            out.push(w[0]);
            at += p.count;
        }
        Ok(out)
    }
}
