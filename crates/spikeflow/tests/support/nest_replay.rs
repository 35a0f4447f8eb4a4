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

fn numbers(line: &str) -> Res<Vec<f64>> {
    Ok(line
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()?)
}

impl Recording {
    pub fn load(dir: &Path) -> Res<Recording> {
        let read = |f: &str| std::fs::read_to_string(dir.join(f));
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
        let delay_steps = int("delay_steps")?;
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
        let mut spikes = Vec::new();
        for line in read("spikes.txt")?.lines() {
            let v = numbers(line)?;
            spikes.push((v[0] as usize, v[1] as usize));
        }
        let mut pairs = Vec::new();
        for line in read("synapses.txt")?.lines() {
            let v = numbers(line)?;
            pairs.push(Pair {
                source: v[0] as usize,
                target: v[1] as usize,
                count: v[2] as usize,
                nest_w: v[3],
            });
        }
        Ok(Recording {
            n_e: int("n_e")?,
            steps: int("steps")?,
            delivered_until: int("delivered_until_step")?,
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
    /// postsynaptic spike reached the synapse (NEST then potentiates before
    /// it depresses; spikeflow sums both terms from the step's start weight).
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
