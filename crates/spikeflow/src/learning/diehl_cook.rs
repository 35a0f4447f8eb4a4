//! BindsNET 0.3.x's `DiehlAndCook` rule: post-triggered learning towards a
//! target presynaptic trace.

use super::{finite_param, positive_param, Nu, Phases, Requirements, Synapse, SynapseRule};

/// BindsNET's `DiehlAndCook` learning rule.
///
/// ```text
/// post spike:  Δw = nu_post · (x_pre − x_tar) · s_post · f(w),
///              f(w) = wmax − w   (mu = 1),  max(wmax − w, 0)^mu otherwise
/// ```
/// `nu_pre` is ignored. Needs source traces and a finite `wmax`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiehlAndCook {
    /// Target presynaptic trace. Default 0 (BindsNET 0.3.4's default: with
    /// it every post spike potentiates, as presynaptic traces are ≥ 0).
    pub x_tar: f32,
    /// Exponent of the weight dependence. Default 1.
    pub mu: f32,
}

impl Default for DiehlAndCook {
    fn default() -> Self {
        DiehlAndCook {
            x_tar: 0.0,
            mu: 1.0,
        }
    }
}

impl SynapseRule for DiehlAndCook {
    fn name(&self) -> &'static str {
        "DiehlAndCook"
    }
    fn validate(&self) -> Result<(), String> {
        finite_param("x_tar", self.x_tar)?;
        positive_param("mu", self.mu)
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            pre_traces: true,
            finite_wmax: true,
            ..Default::default()
        }
    }
    fn phases(&self, nu: &Nu) -> Phases {
        Phases {
            pre: false,
            post: nu.post_active(),
            every_step: false,
            eligibility: false,
        }
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        let mut f = s.wmax - s.w;
        if self.mu != 1.0 {
            f = f.max(0.0).powf(self.mu);
        }
        s.nu_post * ((s.pre.x - self.x_tar) * s.post.s) * f
    }
}
