//! Diehl & Cook 2015's STDP rule, written through the public
//! [`SynapseRule`] interface (no engine internals).
//!
//! ```text
//! traces (all *set* to 1 at a spike):  pre (τ 20 ms) on each input,
//!                                      post1 (τ 20 ms), post2 (τ 40 ms) on each target
//! pre spike:   pre ← 1;   w ← w − ν_pre · post1
//! post spike:  w ← w + ν_post · pre · post2(before this spike);  post1 ← 1;  post2 ← 1
//! ```
//! with `ν_pre = 1e-4`, `ν_post = 1e-2` (passed as the connection's
//! `nu((1e-4, 1e-2))`) and `w` clipped to `[0, w_max = 1]` (the connection's
//! bounds). Traces decay exactly, `x ← x·exp(−dt/τ)`.
//!
//! Same-step pairs follow the script's statement order with the pre code
//! first: a pre spike sees `post1` without this step's post spike, a post
//! spike sees `pre` already set to 1 by a pre spike of the same step.

use crate::learning::{
    ConnectionRule, Nu, Phases, RuleTraces, Synapse, SynapseRule, TraceSpec, WholeConnection,
};
use crate::topology::SynapseMap;

/// The paper's rule ("`eqs_stdp_ee`" of the authors' script).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperStdp {
    /// Presynaptic trace time constant (ms). Default 20.
    pub tau_pre: f32,
    /// First postsynaptic trace (depression) time constant (ms). Default 20.
    pub tau_post1: f32,
    /// Second postsynaptic trace (potentiation gate) time constant (ms).
    /// Default 40.
    pub tau_post2: f32,
}

impl Default for PaperStdp {
    fn default() -> Self {
        PaperStdp {
            tau_pre: 20.0,
            tau_post1: 20.0,
            tau_post2: 40.0,
        }
    }
}

fn set_to_one(tau_ms: f32) -> TraceSpec {
    TraceSpec {
        tau_ms,
        amplitude: 1.0,
        additive: false,
    }
}

impl SynapseRule for PaperStdp {
    fn name(&self) -> &'static str {
        "DiehlCookPaperSTDP"
    }
    fn phases(&self, nu: &Nu) -> Phases {
        Phases {
            pre: nu.pre_active(),
            post: nu.post_active(),
            every_step: false,
            eligibility: false,
        }
    }
    fn rule_traces(&self) -> RuleTraces {
        RuleTraces {
            pre: vec![set_to_one(self.tau_pre)],
            post: vec![set_to_one(self.tau_post1), set_to_one(self.tau_post2)],
        }
    }
    #[inline]
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        // post1 as it stands before this step's post spike.
        -s.nu_pre * s.post.traces[0]
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        // pre was already set to 1 if the input spiked this step.
        let pre = if s.pre.s != 0.0 { 1.0 } else { s.pre.traces[0] };
        s.nu_post * pre * s.post.traces[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// One input → one silent target (it spikes only when clamped), weight
    /// 0.5, learning with the paper's rule.
    fn pair_net(dt: f32) -> Network {
        let mut b = Network::builder().dt(dt);
        b.add_population("X", &[1], Input, NodeOptions::default());
        let silent = LifNodes {
            thresh: 1e9.into(),
            ..Default::default()
        };
        b.add_population("Y", &[1], silent, NodeOptions::default());
        b.connect(
            Connect::new("X", "Y", Dense::with_weights(vec![0.5]))
                .rule(PaperStdp::default())
                .nu((1e-4, 1e-2))
                .wmin(0.0)
                .wmax(1.0),
        );
        b.build().unwrap()
    }

    /// One input, one target, weight 0.5. The input spikes at step 0 and
    /// step 10; the target is forced to spike at step 4 (with clamping).
    #[test]
    fn hand_computed_pair() {
        let dt = 0.5f32;
        let mut net = pair_net(dt);
        let mut x = vec![0.0f32; 12];
        x[0] = 1.0;
        x[10] = 1.0;
        let x = Tensor::new(vec![12, 1, 1], x).unwrap();
        let clamp = Mask::PerStep(
            (0..12)
                .map(|t| if t == 4 { vec![0] } else { vec![] })
                .collect(),
        );
        let opts = RunOptions {
            clamp: vec![("Y".into(), clamp)],
            ..Default::default()
        };
        net.run(&[("X", &x)], 12, &opts).unwrap();
        // Step 0: pre spike, post1 = 0 → no change.
        // Step 4: post spike, pre = e^{−4·0.5/20}, post2(before) = 0 → no change.
        // Step 10: pre spike, post1 = e^{−6·0.5/20} → w −= 1e-4·post1.
        let post1 = (-6.0f32 * dt / 20.0).exp();
        let want = 0.5 - 1e-4 * post1;
        let w = net.weights("X -> Y").unwrap()[0];
        assert!((w - want).abs() < 1e-7, "{w} vs {want}");
    }

    /// Two post spikes: the second potentiates with post2 left by the first.
    #[test]
    fn potentiation_uses_post2_before_the_spike() {
        let dt = 0.5f32;
        let mut net = pair_net(dt);
        let mut x = vec![0.0f32; 10];
        x[2] = 1.0;
        let x = Tensor::new(vec![10, 1, 1], x).unwrap();
        let clamp = Mask::PerStep(
            (0..10)
                .map(|t| if t == 4 || t == 8 { vec![0] } else { vec![] })
                .collect(),
        );
        let opts = RunOptions {
            clamp: vec![("Y".into(), clamp)],
            ..Default::default()
        };
        net.run(&[("X", &x)], 10, &opts).unwrap();
        // Step 2 pre: post1 = 0. Step 4 post: post2 = 0. Step 8 post:
        // pre = e^{−6·dt/20}, post2(before) = e^{−4·dt/40}.
        let want = 0.5 + 1e-2 * (-6.0f32 * dt / 20.0).exp() * (-4.0f32 * dt / 40.0).exp();
        let w = net.weights("X -> Y").unwrap()[0];
        assert!((w - want).abs() < 1e-6, "{w} vs {want}");
    }
}

/// The same rule as [`PaperStdp`] as a whole-connection rule
/// ([`ConnectionRule`]): a speed path for the paper's network, where the
/// generic per-synapse loop spends most of the training time (every input
/// spike visits `N` synapses). Each step it decays the traces, subtracts
/// `ν_pre·post1` from the rows of the inputs that spiked (one contiguous,
/// vectorised row per spike on a dense connection), adds
/// `ν_post·pre·post2(before)` to the columns of the targets that spiked,
/// clips the touched weights to `[wmin, wmax]` (as Brian's STDP clips the
/// weights it updates) and sets the traces. Batch rows are averaged (mean
/// reduction), as the generic loop does.
///
/// The results equal [`PaperStdp`] through the generic loop up to float
/// rounding (the unit test checks a network run), with one difference:
/// weights are clipped only where the rule touched them, so weights that
/// normalisation pushed above `wmax` stay there until the rule touches them
/// (Brian's behaviour; the generic loop clips every weight after an outside
/// change). Give the connection unbounded `wmin`/`wmax` so the shared tail
/// does not clamp every weight every step.
#[derive(Debug, Clone)]
pub struct PaperStdpDense {
    /// Time constants.
    pub rule: PaperStdp,
    /// Depression rate `ν_pre`.
    pub nu_pre: f32,
    /// Potentiation rate `ν_post`.
    pub nu_post: f32,
    /// Lower weight bound.
    pub wmin: f32,
    /// Upper weight bound.
    pub wmax: f32,
    pre: Vec<f32>,
    post1: Vec<f32>,
    post2: Vec<f32>,
}

impl PaperStdpDense {
    /// The rule with the paper's time constants, rates and bounds.
    pub fn new(rule: PaperStdp, nu: (f32, f32), wmin: f32, wmax: f32) -> Self {
        PaperStdpDense {
            rule,
            nu_pre: nu.0,
            nu_post: nu.1,
            wmin,
            wmax,
            pre: Vec::new(),
            post1: Vec::new(),
            post2: Vec::new(),
        }
    }
}

impl ConnectionRule for PaperStdpDense {
    fn name(&self) -> &str {
        "DiehlCookPaperSTDP(dense)"
    }
    fn reset_state(&mut self) {
        self.pre.fill(0.0);
        self.post1.fill(0.0);
        self.post2.fill(0.0);
    }
    fn update(&mut self, c: WholeConnection<'_>) {
        let (n_pre, n_post) = (c.map.n_pre(), c.map.n_post());
        let batch = c.pre.batch();
        if self.pre.len() != batch * n_pre || self.post1.len() != batch * n_post {
            self.pre = vec![0.0; batch * n_pre];
            self.post1 = vec![0.0; batch * n_post];
            self.post2 = vec![0.0; batch * n_post];
        }
        let decay = |tau: f32| (-c.dt / tau).exp();
        let (d_pre, d1, d2) = (
            decay(self.rule.tau_pre),
            decay(self.rule.tau_post1),
            decay(self.rule.tau_post2),
        );
        // Traces below 1e-30 are flushed to 0 (subnormals are very slow;
        // such a trace changes a weight by < 1e-32).
        let step = |v: &mut [f32], d: f32| {
            v.iter_mut().for_each(|x| {
                let y = *x * d;
                *x = if y < 1e-30 { 0.0 } else { y };
            })
        };
        step(&mut self.pre, d_pre);
        step(&mut self.post1, d1);
        step(&mut self.post2, d2);
        let scale = 1.0 / batch as f32;
        let (nu_pre, nu_post) = (self.nu_pre * scale, self.nu_post * scale);
        let (lo, hi) = (self.wmin, self.wmax);
        let w = c.w;
        for b in 0..batch {
            let post1 = &self.post1[b * n_post..(b + 1) * n_post];
            let post2 = &self.post2[b * n_post..(b + 1) * n_post];
            let pre = &self.pre[b * n_pre..(b + 1) * n_pre];
            let pre_s = c.pre.spikes();
            if nu_pre != 0.0 {
                for &i in pre_s.active(b) {
                    match c.map {
                        SynapseMap::Dense { .. } => {
                            let row = &mut w[i as usize * n_post..(i as usize + 1) * n_post];
                            for (x, &p1) in row.iter_mut().zip(post1) {
                                *x -= nu_pre * p1;
                            }
                        }
                        _ => c
                            .map
                            .for_each_out(i as usize, |j, k| w[k] -= nu_pre * post1[j]),
                    }
                }
            }
            if nu_post != 0.0 {
                let s_pre = pre_s.row(b);
                for &j in c.post.spikes().active(b) {
                    let j = j as usize;
                    let p2 = post2[j];
                    c.map.for_each_in(j, |i, k| {
                        let p = if s_pre[i] != 0.0 { 1.0 } else { pre[i] };
                        w[k] += nu_post * p * p2;
                    });
                }
            }
        }
        // Clip what was touched.
        for b in 0..batch {
            for &i in c.pre.spikes().active(b) {
                c.map
                    .for_each_out(i as usize, |_, k| w[k] = w[k].max(lo).min(hi));
            }
            for &j in c.post.spikes().active(b) {
                c.map
                    .for_each_in(j as usize, |_, k| w[k] = w[k].max(lo).min(hi));
            }
        }
        for b in 0..batch {
            for &i in c.pre.spikes().active(b) {
                self.pre[b * n_pre + i as usize] = 1.0;
            }
            for &j in c.post.spikes().active(b) {
                self.post1[b * n_post + j as usize] = 1.0;
                self.post2[b * n_post + j as usize] = 1.0;
            }
        }
    }
}

#[cfg(test)]
mod equivalence {
    use crate::models::diehl_cook_paper::DiehlCookPaper;
    use crate::prelude::*;

    /// The paper's network, run 600 steps with the generic rule and with
    /// the fast one from the same seed: same spikes, same weights.
    #[test]
    fn fast_rule_equals_generic_rule() {
        let run = |fast: bool| {
            let cfg = DiehlCookPaper {
                n_neurons: 12,
                fast_rule: fast,
                arrival_time_stdp: false,
                ..Default::default()
            };
            let mut net = cfg.network().unwrap();
            let mut rng = crate::rng::Rng::seed_from_u64(5);
            let rates: Vec<f32> = (0..784).map(|_| 60.0 * rng.uniform_f32()).collect();
            let x = crate::encoding::poisson(&rates, &[784], 600, 0.5, &mut rng).unwrap();
            let x = Tensor::new(vec![600, 1, 784], x.into_data()).unwrap();
            net.add_monitor("s", MonitorSpec::new("Ae", &["s"]).summed())
                .unwrap();
            net.run(&[("X", &x)], 600, &RunOptions::default()).unwrap();
            let s = net.monitor("s").unwrap().get("s").unwrap().into_data();
            (net.weights("X -> Ae").unwrap().to_vec(), s)
        };
        let (wa, sa) = run(false);
        let (wb, sb) = run(true);
        assert_eq!(sa, sb);
        assert!(
            sa.iter().sum::<f32>() > 5.0,
            "too few spikes to test: {sa:?}"
        );
        let max = wa
            .iter()
            .zip(&wb)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max < 1e-6, "max weight difference {max}");
        assert!(wa.iter().zip(&wb).any(|(a, b)| a == b));
    }
}
