//! The R-max rule (Vasilaki et al. 2009) for stochastic SRM0 targets.

use super::{positive_param, Modulation, Nu, Phases, Requirements, Synapse, SynapseRule};

/// BindsNET's `Rmax`:
/// ```text
/// E ← E·(1 − dt/tc_e_trace) + x_pre · (s_post − p / (1 + (tc_c/dt)·p))
/// Δw = nu_pre · reward · E
/// ```
/// with `p` the target's spike probability `s_prob` this step. Needs
/// additive source traces and an `SRM0Nodes` target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rmax {
    /// Time constant of the spike-probability correction (ms). Default 5.
    pub tc_c: f32,
    /// Eligibility-trace time constant (ms). Default 25.
    pub tc_e_trace: f32,
}

impl Default for Rmax {
    fn default() -> Self {
        Rmax {
            tc_c: 5.0,
            tc_e_trace: 25.0,
        }
    }
}

impl SynapseRule for Rmax {
    fn name(&self) -> &'static str {
        "Rmax"
    }
    fn validate(&self) -> Result<(), String> {
        // tc_c = 0 is allowed: the naive Hebbian limit.
        if !(self.tc_c.is_finite() && self.tc_c >= 0.0) {
            return Err(format!("tc_c must be finite and ≥ 0, got {}", self.tc_c));
        }
        positive_param("tc_e_trace", self.tc_e_trace)
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            pre_traces: true,
            additive_pre_traces: true,
            reward: true,
            post_variable: Some("s_prob"),
            ..Default::default()
        }
    }
    fn phases(&self, _nu: &Nu) -> Phases {
        Phases {
            pre: false,
            post: false,
            every_step: true,
            eligibility: true,
        }
    }
    #[inline]
    fn every_step(&self, s: &Synapse<'_>) -> f32 {
        let p = s.post.variable;
        (s.post.s - p / (1.0 + self.tc_c / s.dt * p)) * s.pre.x
    }
    fn eligibility_decay(&self, dt: f32) -> f32 {
        1.0 - dt / self.tc_e_trace
    }
    #[inline]
    fn integrate(&self, e: &mut f32, ev: f32, m: &Modulation) -> f32 {
        *e = *e * m.decay + ev;
        m.nu_pre * m.reward * *e
    }
}
