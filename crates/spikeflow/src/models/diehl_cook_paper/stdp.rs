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
//!
//! This is the rule's one per-synapse statement; the generic loop runs it
//! on any topology (on a dense or delayed connection with batch 1, through
//! its in-place path). The only other version is
//! [`PaperStdpDelayed`](super::PaperStdpDelayed), because arrival-time
//! learning on delayed synapses shifts each synapse's view of its input
//! spikes by its own delay, which a per-synapse rule cannot state.

use crate::learning::{RuleTraces, Synapse, SynapseRule, TraceSpec};

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
