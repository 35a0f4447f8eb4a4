//! Izhikevich (2007), "Solving the distal reward problem through linkage of
//! STDP and dopamine signaling", Cerebral Cortex 17:2443 — the experiment of
//! its Fig. 1, as the author's script `daspnet.m` runs it.
//!
//! 1000 Izhikevich neurons (800 regular-spiking excitatory: `a = 0.02`,
//! `d = 8`; 200 fast-spiking inhibitory: `a = 0.1`, `d = 2`; `b = 0.2`,
//! `c = −65`, spike at 30 mV), each with 100 random targets (excitatory
//! neurons: any other neuron, weight 1; inhibitory: excitatory neurons,
//! weight −1), 1 ms conduction delay, and a random thalamic current
//! `13·(U(0,1) − ½)` into every neuron every ms. One excitatory synapse
//! `n1 → n2` is chosen and starts at 0. Every time `n2` fires within 20 ms
//! after `n1`, a reward arrives 1–3 s later (uniform): dopamine
//! `DA ← DA + 0.5`, decaying with τ = 200 ms. The excitatory weights learn
//! by dopamine-modulated STDP: each synapse keeps an eligibility `c`
//! (τ_c = 1 s) fed by STDP (`+0.1·e^{−Δt/20}` for pre before post,
//! `−0.15·e^{−Δt/20}` for post before pre), and `ẇ = c·(0.002 + DA)/10 ms`,
//! clamped to `[0, 4]`. Over an hour the chosen synapse grows to the
//! maximum while the others stay near their mean: the eligibility of a
//! synapse whose pair caused the reward is still there when it arrives.
//!
//! The rule is BindsNET's `MSTDPET` (Florian 2007), unchanged: its
//! eligibility `E ← E·e^{−dt/τ_e} + ζ/τ_e` with `τ_e = τ_c = 1 s` is
//! `c/1000`, its `ζ = p⁺·s_post + s_pre·p⁻` with `a_plus = 0.1`,
//! `a_minus = −0.15` is the script's STDP, and `Δw = ν·dt·reward·E` with
//! `ν = 100` and the per-step reward `0.002 + DA` is the script's weight
//! change. Differences from the script, none believed to matter: weights
//! change every step instead of every 10 ms (the same rate), the STDP
//! traces add up instead of being set to 0.1 on a spike (they differ only
//! for two spikes of a neuron within a few τ), the eligibility sees the
//! previous step's pairs (MSTDPET's lag), each neuron's targets are
//! distinct (the script draws with replacement), and random numbers come
//! from spikeflow's seeded generator.
//!
//! ```
//! use spikeflow::rl::DistalReward;
//! // A small, fast version (the paper's is `DistalReward::default()`).
//! let mut exp = DistalReward { n_exc: 80, n_inh: 20, synapses: 10, ..Default::default() }
//!     .build()?;
//! let s = exp.run_second()?;
//! assert!(s.chosen_weight >= 0.0 && s.chosen_weight <= 4.0);
//! # Ok::<(), spikeflow::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::learning::MstdpEt;
use crate::monitor::MonitorSpec;
use crate::network::{Connect, Network, Reward, RunOptions};
use crate::nodes::{IzhikevichNodes, IzhikevichParams, NodeOptions};
use crate::rng::Rng;
use crate::topology::{Bound, Sparse};
use crate::Tensor;

const POP: &str = "N";
const CONN: &str = "N -> N";
const SPIKES: &str = "__distal_spikes";
/// Steps per [`DistalRewardRun::run_second`] (dt = 1 ms). Rewards come at
/// least 1 s after the pair that earned them, so every reward of a second
/// is known before it is simulated.
const STEPS: usize = 1000;

/// The experiment's parameters (defaults: the paper's).
#[derive(Debug, Clone, PartialEq)]
pub struct DistalReward {
    /// Excitatory neurons. Default 800.
    pub n_exc: usize,
    /// Inhibitory neurons. Default 200.
    pub n_inh: usize,
    /// Targets per neuron. Default 100.
    pub synapses: usize,
    /// Initial excitatory weight. Default 1.
    pub w_exc: f32,
    /// Inhibitory weight (fixed). Default −1.
    pub w_inh: f32,
    /// Upper bound of the excitatory weights. Default 4.
    pub w_max: f32,
    /// Thalamic current amplitude: `noise·(U(0,1) − ½)` per neuron per ms.
    /// Default 13.
    pub noise: f32,
    /// `n2` must fire within this many ms after `n1`. Default 20.
    pub window_ms: u64,
    /// Reward delay range (ms), uniform; at least 1000. Default 1001–3000
    /// (the script's `1000 + ceil(2000·U(0,1))`).
    pub delay_ms: (u64, u64),
    /// Dopamine per reward. Default 0.5.
    pub reward: f32,
    /// Dopamine decay time constant (ms). Default 200.
    pub tau_dopamine: f32,
    /// Baseline added to the dopamine level. Default 0.002.
    pub da_baseline: f32,
    /// Rewards given (`false`: the control, rewards withheld). Default true.
    pub rewarded: bool,
    /// Seed of the structure, the choice of synapse and the noise.
    pub seed: u64,
}

impl Default for DistalReward {
    fn default() -> Self {
        DistalReward {
            n_exc: 800,
            n_inh: 200,
            synapses: 100,
            w_exc: 1.0,
            w_inh: -1.0,
            w_max: 4.0,
            noise: 13.0,
            window_ms: 20,
            delay_ms: (1001, 3000),
            reward: 0.5,
            tau_dopamine: 200.0,
            da_baseline: 0.002,
            rewarded: true,
            seed: 0,
        }
    }
}

/// What one simulated second did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecondStats {
    /// Simulated time at the end of the second (s).
    pub time_s: u64,
    /// The chosen synapse's weight.
    pub chosen_weight: f32,
    /// Mean excitatory weight (the chosen one included).
    pub mean_exc_weight: f32,
    /// Rewards delivered during this second.
    pub rewards: u32,
    /// Spikes of the whole network during this second.
    pub spikes: u64,
}

/// The experiment, ready to run a second at a time.
#[derive(Debug)]
pub struct DistalRewardRun {
    cfg: DistalReward,
    net: Network,
    rng: Rng,
    n: usize,
    n1: usize,
    n2: usize,
    /// Index of `n1 → n2` in the connection's weights.
    chosen: usize,
    /// Indices of the excitatory weights.
    exc: std::ops::Range<usize>,
    dopamine: f32,
    decay: f32,
    /// Reward times (ms), not yet delivered.
    pending: Vec<u64>,
    last_n1: Option<u64>,
    t_ms: u64,
    delivered: u64,
    earned: u64,
    noise: Vec<f32>,
    rewards: Vec<f32>,
}

fn check(cfg: &DistalReward) -> Result<()> {
    let bad = |what: &str| Err(Error::param("DistalReward", what.to_string()));
    if cfg.n_exc < 2 || cfg.n_inh == 0 {
        return bad("needs at least 2 excitatory and 1 inhibitory neuron");
    }
    let n = cfg.n_exc + cfg.n_inh;
    if cfg.synapses == 0 || cfg.synapses >= n || cfg.synapses > cfg.n_exc {
        return bad("synapses per neuron must be ≥ 1 and below the number of targets");
    }
    let finite = [
        cfg.w_exc,
        cfg.w_inh,
        cfg.w_max,
        cfg.noise,
        cfg.reward,
        cfg.da_baseline,
    ];
    if finite.iter().any(|v| !v.is_finite()) || cfg.w_max <= 0.0 {
        return bad("weights, noise and rewards must be finite, w_max > 0");
    }
    if !(cfg.tau_dopamine > 0.0 && cfg.tau_dopamine.is_finite()) {
        return bad("tau_dopamine must be > 0");
    }
    if cfg.delay_ms.0 < STEPS as u64 || cfg.delay_ms.1 < cfg.delay_ms.0 {
        return bad("the reward delay must be at least 1000 ms (low ≤ high)");
    }
    Ok(())
}

impl DistalReward {
    /// Builds the network and chooses the rewarded synapse.
    ///
    /// # Errors
    /// Invalid parameters.
    pub fn build(&self) -> Result<DistalRewardRun> {
        check(self)?;
        let (ne, n) = (self.n_exc, self.n_exc + self.n_inh);
        let mut rng = Rng::seed_from_u64(self.seed ^ 0x1217_2007_D15A_0001);
        // Distinct targets per neuron, sorted: the connection's weight order
        // (by source, then target).
        let mut trip = Vec::with_capacity(n * self.synapses);
        let mut bounds = (Vec::new(), Vec::new());
        let mut pick = vec![false; n];
        for i in 0..n {
            let (pool, w) = if i < ne {
                (n, self.w_exc)
            } else {
                (ne, self.w_inh)
            };
            let mut got = 0;
            while got < self.synapses {
                let j = rng.below(pool);
                if j != i && !pick[j] {
                    pick[j] = true;
                    got += 1;
                }
            }
            for j in 0..n {
                if std::mem::take(&mut pick[j]) {
                    trip.push((i as u32, j as u32, w));
                    let (lo, hi) = if i < ne { (0.0, self.w_max) } else { (w, w) };
                    bounds.0.push(lo);
                    bounds.1.push(hi);
                }
            }
        }
        let n1 = rng.below(ne);
        let chosen = n1 * self.synapses + rng.below(self.synapses);
        let n2 = trip[chosen].1 as usize;
        trip[chosen].2 = 0.0;
        let exc = 0..ne * self.synapses;

        let params = IzhikevichParams {
            a: (0..n).map(|k| if k < ne { 0.02 } else { 0.1 }).collect(),
            b: vec![0.2; n],
            c: vec![-65.0; n],
            d: (0..n).map(|k| if k < ne { 8.0 } else { 2.0 }).collect(),
            s: vec![0.0; n * n],
        };
        let nodes = IzhikevichNodes {
            thresh: 30.0,
            params: Some(params),
            ..Default::default()
        };
        let rule = MstdpEt {
            mstdp: crate::learning::Mstdp {
                a_plus: 0.1,
                a_minus: -0.15,
                ..Default::default()
            },
            tc_e_trace: 1000.0,
        };
        let mut b = Network::builder().dt(1.0).seed(self.seed);
        b.add_population(POP, &[n], nodes, NodeOptions::default());
        b.connect(
            Connect::new(POP, POP, Sparse::Triplets(trip))
                .rule(rule)
                .nu((100.0, 0.0))
                .wmin(Bound::PerSynapse(bounds.0))
                .wmax(Bound::PerSynapse(bounds.1)),
        );
        let mut net = b.build()?;
        net.add_monitor(SPIKES, MonitorSpec::new(POP, &["s"]).capacity(STEPS))?;
        Ok(DistalRewardRun {
            cfg: self.clone(),
            net,
            rng,
            n,
            n1,
            n2,
            chosen,
            exc,
            dopamine: 0.0,
            decay: (-1.0 / self.tau_dopamine).exp(),
            pending: Vec::new(),
            last_n1: None,
            t_ms: 0,
            delivered: 0,
            earned: 0,
            noise: vec![0.0; STEPS * n],
            rewards: vec![0.0; STEPS],
        })
    }
}

impl DistalRewardRun {
    /// The chosen synapse `(n1, n2)`.
    pub fn chosen(&self) -> (usize, usize) {
        (self.n1, self.n2)
    }

    /// The network (weights: connection `"N -> N"`, excitatory sources
    /// first, each source's targets in ascending order).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Rewards earned (pairs `n1 → n2` within the window) and delivered.
    pub fn rewards(&self) -> (u64, u64) {
        (self.earned, self.delivered)
    }

    /// Simulates one second (1000 steps of 1 ms).
    ///
    /// # Errors
    /// An engine error (none expected for a network built by
    /// [`DistalReward::build`]).
    pub fn run_second(&mut self) -> Result<SecondStats> {
        let start = self.t_ms;
        // The dopamine level of each step: decay, then this step's rewards.
        let mut delivered = 0;
        for (k, r) in self.rewards.iter_mut().enumerate() {
            let t = start + k as u64;
            self.dopamine *= self.decay;
            let due = self.pending.iter().filter(|&&p| p == t).count();
            self.dopamine += due as f32 * self.cfg.reward;
            delivered += due;
            *r = self.cfg.da_baseline + self.dopamine;
        }
        self.pending.retain(|&p| p >= start + STEPS as u64);
        let amp = self.cfg.noise;
        for x in self.noise.iter_mut() {
            *x = amp * (self.rng.uniform_f32() - 0.5);
        }
        let input = Tensor::new(vec![STEPS, 1, self.n], std::mem::take(&mut self.noise))?;
        let options = RunOptions {
            reward: Reward::PerStep(self.rewards.clone()),
            ..Default::default()
        };
        let r = self.net.run(&[(POP, &input)], STEPS, &options);
        self.noise = input.into_data();
        r?;
        // Pairs n1 → n2 earn a reward 1–3 s later (n1 checked first: a
        // pair in the same step does not count).
        let s = self.net.monitor(SPIKES)?.get("s")?;
        let s = s.data();
        let mut spikes = 0u64;
        for k in 0..STEPS {
            let t = start + k as u64;
            let row = &s[k * self.n..(k + 1) * self.n];
            spikes += row.iter().filter(|&&v| v != 0.0).count() as u64;
            if row[self.n1] != 0.0 {
                self.last_n1 = Some(t);
            }
            let paired = (self.last_n1).is_some_and(|t1| t > t1 && t - t1 < self.cfg.window_ms);
            if row[self.n2] != 0.0 && paired {
                self.earned += 1;
                if self.cfg.rewarded {
                    let (lo, hi) = self.cfg.delay_ms;
                    let d = lo + self.rng.below((hi - lo + 1) as usize) as u64;
                    self.pending.push(t + d);
                }
            }
        }
        self.t_ms += STEPS as u64;
        self.delivered += delivered as u64;
        let w = self.net.weights(CONN)?;
        let exc = &w[self.exc.clone()];
        Ok(SecondStats {
            time_s: self.t_ms / 1000,
            chosen_weight: w[self.chosen],
            mean_exc_weight: exc.iter().sum::<f32>() / exc.len() as f32,
            rewards: delivered as u32,
            spikes,
        })
    }
}
