//! Pair-based, trace STDP: `PostPre` and its soft-bounded variant.

use super::{Requirements, Synapse, SynapseRule};

/// BindsNET's `PostPre` (online STDP with the populations' traces).
///
/// ```text
/// pre spike:   Δw = −nu_pre · s_pre · x_post     (depression)
/// post spike:  Δw = +nu_post · x_pre · s_post    (potentiation)
/// ```
/// Traces already include this step's spikes, so a simultaneous pre/post
/// pair both depresses and potentiates. Needs traces on both populations.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PostPre;

impl SynapseRule for PostPre {
    fn name(&self) -> &'static str {
        "PostPre"
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            pre_traces: true,
            post_traces: true,
            ..Default::default()
        }
    }
    #[inline]
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        -(s.pre.s * (s.post.x * s.nu_pre))
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        s.pre.x * (s.post.s * s.nu_post)
    }
}

/// BindsNET's `WeightDependentPostPre` (soft-bounded STDP).
///
/// ```text
/// pre spike:   Δw = −nu_pre · s_pre · x_post · (w − wmin)
/// post spike:  Δw = +nu_post · x_pre · s_post · (wmax − w)
/// ```
/// with `w` the weight before the step. Needs finite `wmin` and `wmax`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeightDependentPostPre;

impl SynapseRule for WeightDependentPostPre {
    fn name(&self) -> &'static str {
        "WeightDependentPostPre"
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            pre_traces: true,
            post_traces: true,
            finite_bounds: true,
            ..Default::default()
        }
    }
    #[inline]
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        -s.nu_pre * (s.pre.s * s.post.x) * (s.w - s.wmin)
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        s.nu_post * (s.pre.x * s.post.s) * (s.wmax - s.w)
    }
}
