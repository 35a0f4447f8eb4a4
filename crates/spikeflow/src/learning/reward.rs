//! Reward-modulated STDP (Florian 2007): `MSTDP` and `MSTDPET`.
//!
//! Both keep their own traces, `p⁺ ← p⁺·e^{−dt/tc_plus} + a_plus·s_pre` and
//! `p⁻ ← p⁻·e^{−dt/tc_minus} + a_minus·s_post`, and the eligibility
//! `ζ[i, j] = p⁺[i]·s_post[j] + s_pre[i]·p⁻[j]` (non-zero only at synapses
//! of neurons that spiked, which is what makes the rules event-driven).
//! By default the reward of step `t` multiplies the eligibility of step
//! `t − 1` (Florian's eq. 3.9); `zero_lag` uses this step's.

use super::{
    finite_param, positive_param, Modulation, Nu, Phases, Requirements, RuleTraces, Synapse,
    SynapseRule, TraceSpec,
};

/// BindsNET's `MSTDP`: `Δw = nu_pre · R_b(reward_b · ζ_b)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mstdp {
    /// `p⁺` time constant (ms). Default 20.
    pub tc_plus: f32,
    /// `p⁻` time constant (ms). Default 20.
    pub tc_minus: f32,
    /// `p⁺` increment. Default 1.
    pub a_plus: f32,
    /// `p⁻` increment. Default −1.
    pub a_minus: f32,
    /// Use this step's eligibility instead of the previous step's.
    pub zero_lag: bool,
}

impl Default for Mstdp {
    fn default() -> Self {
        Mstdp {
            tc_plus: 20.0,
            tc_minus: 20.0,
            a_plus: 1.0,
            a_minus: -1.0,
            zero_lag: false,
        }
    }
}

impl Mstdp {
    fn traces(&self) -> RuleTraces {
        RuleTraces {
            pre: vec![TraceSpec {
                tau_ms: self.tc_plus,
                amplitude: self.a_plus,
                additive: true,
            }],
            post: vec![TraceSpec {
                tau_ms: self.tc_minus,
                amplitude: self.a_minus,
                additive: true,
            }],
        }
    }
    /// The pre-triggered part of the eligibility, `s_pre · p⁻[j]`.
    #[inline]
    fn zeta_pre(&self, s: &Synapse<'_>) -> f32 {
        let mut p_minus = s.post.traces[0];
        if self.zero_lag {
            p_minus += self.a_minus * s.post.s;
        }
        s.pre.s * p_minus
    }
    /// The post-triggered part, `p⁺[i] · s_post`.
    #[inline]
    fn zeta_post(&self, s: &Synapse<'_>) -> f32 {
        let mut p_plus = s.pre.traces[0];
        if self.zero_lag {
            p_plus += self.a_plus * s.pre.s;
        }
        p_plus * s.post.s
    }
}

impl Mstdp {
    fn set(&mut self, name: &str, value: f32, rule: &str) -> Result<(), String> {
        let slot = match name {
            "a_plus" => &mut self.a_plus,
            "a_minus" => &mut self.a_minus,
            _ => {
                return Err(format!(
                    "{rule} has no run-time parameter {name:?} (a_plus, a_minus)"
                ))
            }
        };
        finite_param(name, value)?;
        *slot = value;
        Ok(())
    }
    fn check(&self) -> Result<(), String> {
        positive_param("tc_plus", self.tc_plus)?;
        positive_param("tc_minus", self.tc_minus)?;
        finite_param("a_plus", self.a_plus)?;
        finite_param("a_minus", self.a_minus)
    }
}

impl SynapseRule for Mstdp {
    fn name(&self) -> &'static str {
        "MSTDP"
    }
    fn validate(&self) -> Result<(), String> {
        self.check()
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            reward: true,
            ..Default::default()
        }
    }
    fn phases(&self, nu: &Nu) -> Phases {
        let on = nu.pre_active();
        Phases {
            pre: on,
            post: on,
            every_step: false,
            eligibility: false,
        }
    }
    fn rule_traces(&self) -> RuleTraces {
        self.traces()
    }
    fn lagged(&self) -> bool {
        !self.zero_lag
    }
    fn set_param(&mut self, name: &str, value: f32) -> Result<(), String> {
        self.set(name, value, "MSTDP")
    }
    #[inline]
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        s.nu_pre * (s.reward * self.zeta_pre(s))
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        s.nu_pre * (s.reward * self.zeta_post(s))
    }
}

/// BindsNET's `MSTDPET`: the eligibility feeds a decaying trace
/// `E ← E·e^{−dt/tc_e_trace} + ζ/tc_e_trace`, and `Δw = R_b(nu_pre·dt·reward_b·E_b)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MstdpEt {
    /// The MSTDP part (traces, lag).
    pub mstdp: Mstdp,
    /// Eligibility-trace time constant (ms). Default 25.
    pub tc_e_trace: f32,
}

impl Default for MstdpEt {
    fn default() -> Self {
        MstdpEt {
            mstdp: Mstdp::default(),
            tc_e_trace: 25.0,
        }
    }
}

impl SynapseRule for MstdpEt {
    fn name(&self) -> &'static str {
        "MSTDPET"
    }
    fn validate(&self) -> Result<(), String> {
        self.mstdp.check()?;
        positive_param("tc_e_trace", self.tc_e_trace)
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            reward: true,
            ..Default::default()
        }
    }
    fn phases(&self, _nu: &Nu) -> Phases {
        Phases {
            pre: true,
            post: true,
            every_step: false,
            eligibility: true,
        }
    }
    fn rule_traces(&self) -> RuleTraces {
        self.mstdp.traces()
    }
    fn lagged(&self) -> bool {
        !self.mstdp.zero_lag
    }
    #[inline]
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        self.mstdp.zeta_pre(s)
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        self.mstdp.zeta_post(s)
    }
    fn set_param(&mut self, name: &str, value: f32) -> Result<(), String> {
        self.mstdp.set(name, value, "MSTDPET")
    }
    fn eligibility_decay(&self, dt: f32) -> f32 {
        (-dt / self.tc_e_trace).exp()
    }
    #[inline]
    fn integrate(&self, e: &mut f32, ev: f32, m: &Modulation) -> f32 {
        *e = *e * m.decay + ev / self.tc_e_trace;
        m.nu_pre * m.dt * m.reward * *e
    }
}
