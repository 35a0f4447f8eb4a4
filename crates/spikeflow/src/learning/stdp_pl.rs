//! Power-law STDP (Morrison, Aertsen & Diesmann 2007), NEST's
//! `stdp_pl_synapse_hom`: the plastic synapse of NEST's `hpc_benchmark`.
//!
//! ```text
//! post spike (seen at the synapse):  w ← w + λ·w^μ·K⁺        (potentiation)
//! pre spike:                         w ← max(w − λ·α·w·K⁻, 0)  (depression)
//! K⁺ ← K⁺·e^{−dt/τ₊} + Σ pre spikes,   K⁻ ← K⁻·e^{−dt/τ₋} + Σ post spikes
//! ```
//!
//! λ is the connection's learning rate (`nu`; NEST's `lambda`), both
//! terms read the traces as they stood *before* this step's spikes, so a
//! pre and a post spike at the same time neither potentiate nor depress
//! through each other (NEST's exclusion of coincident pairs). The weight
//! is clipped at 0 (connect with `wmin(0.0)`), with no upper bound.
//!
//! Delays, as NEST: the whole synaptic delay is dendritic, so the synapse
//! compares a presynaptic spike at its emission with a postsynaptic spike
//! back-propagated by the delay, `t_post + d`. Set
//! `dendritic_delay_steps` to `d` in steps; the rule then sees the
//! postsynaptic spikes (and counts them into `K⁻`) that many steps late
//! ([`SynapseRule::post_delay_steps`]). When a presynaptic spike comes at
//! the step a postsynaptic one reaches the synapse, NEST potentiates first
//! and depresses the potentiated weight; so does this rule (the depression
//! reads `w + λ·w^μ·K⁺`): replayed on NEST's own W5 spike trains, every
//! weight equals NEST's to 3·10⁻⁷ relative, those with such coincidences
//! included (`tests/nest_w5_replay.rs`).
//!
//! ```
//! use spikeflow::learning::StdpPowerLaw;
//! use spikeflow::prelude::*;
//! let mut b = Network::builder().dt(0.1);
//! b.add_population("X", &[4], Input, NodeOptions::default());
//! b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
//! let rule = StdpPowerLaw { dendritic_delay_steps: 15, ..Default::default() };
//! b.connect(Connect::new("X", "Y", Dense::with_weights(vec![45.6; 8])).rule(rule).nu(0.1).wmin(0.0));
//! let net = b.build()?;
//! # Ok::<(), spikeflow::Error>(())
//! ```

use super::{finite_param, positive_param, RuleTraces, Synapse, SynapseRule, TraceSpec};

/// NEST's `stdp_pl_synapse_hom` (defaults: NEST's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StdpPowerLaw {
    /// Depression relative to potentiation `α`. Default 1.
    pub alpha: f32,
    /// Potentiation exponent `μ`. Default 0.4.
    pub mu: f32,
    /// Presynaptic trace time constant `τ₊` (ms). Default 20.
    pub tau_plus: f32,
    /// Postsynaptic trace time constant `τ₋` (ms; a property of the
    /// neuron in NEST). Default 20.
    pub tau_minus: f32,
    /// Steps by which postsynaptic spikes reach the synapse late (NEST: the
    /// connection's delay). Default 0.
    pub dendritic_delay_steps: usize,
}

impl Default for StdpPowerLaw {
    fn default() -> Self {
        StdpPowerLaw {
            alpha: 1.0,
            mu: 0.4,
            tau_plus: 20.0,
            tau_minus: 20.0,
            dendritic_delay_steps: 0,
        }
    }
}

impl StdpPowerLaw {
    /// The weight after this step's potentiation (a postsynaptic spike
    /// reaching the synapse now).
    #[cold]
    #[inline(never)]
    fn potentiated(&self, s: &Synapse<'_>) -> f32 {
        s.w + self.on_post(s)
    }
}

impl SynapseRule for StdpPowerLaw {
    fn name(&self) -> &'static str {
        "StdpPowerLaw"
    }
    fn validate(&self) -> Result<(), String> {
        finite_param("alpha", self.alpha)?;
        finite_param("mu", self.mu)?;
        positive_param("tau_plus", self.tau_plus)?;
        positive_param("tau_minus", self.tau_minus)
    }
    fn rule_traces(&self) -> RuleTraces {
        let trace = |tau_ms| TraceSpec {
            tau_ms,
            amplitude: 1.0,
            additive: true,
        };
        RuleTraces {
            pre: vec![trace(self.tau_plus)],
            post: vec![trace(self.tau_minus)],
        }
    }
    fn post_delay_steps(&self) -> usize {
        self.dendritic_delay_steps
    }
    // Always inlined, the coincident case kept out of line: loops that
    // pass `post.s` = 0 (the branch-free row pass) drop the branch and
    // vectorise.
    #[inline(always)]
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        // A postsynaptic spike reaching the synapse at this step potentiates
        // first (NEST's order).
        let w = if s.post.s != 0.0 {
            self.potentiated(s)
        } else {
            s.w
        };
        -(s.nu_pre * self.alpha * w * s.post.traces[0]) * s.pre.s
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        s.nu_post * s.w.max(0.0).powf(self.mu) * s.pre.traces[0] * s.post.s
    }
}
