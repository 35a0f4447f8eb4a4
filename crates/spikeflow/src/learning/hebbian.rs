//! Hebbian learning: both pre and post spikes potentiate.

use super::{Requirements, Synapse, SynapseRule};

/// BindsNET's `Hebbian`.
///
/// ```text
/// pre spike:   Δw = +nu_pre · s_pre · x_post
/// post spike:  Δw = +nu_post · x_pre · s_post
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hebbian;

impl SynapseRule for Hebbian {
    fn name(&self) -> &'static str {
        "Hebbian"
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
        s.pre.s * (s.post.x * s.nu_pre)
    }
    #[inline]
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        s.pre.x * (s.post.s * s.nu_post)
    }
}
