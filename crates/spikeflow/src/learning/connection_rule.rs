//! The escape hatch: rules that need the whole connection at once.

use crate::nodes::NodeCore;
use crate::topology::SynapseMap;

/// What a [`ConnectionRule`] gets each learning step.
pub struct WholeConnection<'a> {
    /// The synapse map (walk synapses of a neuron with it).
    pub map: SynapseMap<'a>,
    /// The weights, in the topology's order; change them in place.
    pub w: &'a mut [f32],
    /// The source population (spikes, traces, shape).
    pub pre: &'a NodeCore,
    /// The target population.
    pub post: &'a NodeCore,
    /// One reward per batch row (zeros without reward).
    pub reward: &'a [f32],
    /// Time step (ms).
    pub dt: f32,
}

/// A learning rule with access to the whole connection. After
/// [`update`](ConnectionRule::update) the shared tail (weight decay, then
/// clamping to `[wmin, wmax]`) is applied to every weight.
pub trait ConnectionRule: Send + Sync + std::fmt::Debug {
    /// The rule's name.
    fn name(&self) -> &str;
    /// One learning step.
    fn update(&mut self, c: WholeConnection<'_>);
    /// Resets the rule's own state (with the network's state).
    fn reset_state(&mut self) {}
}

/// Drives a [`ConnectionRule`] as a learner.
#[derive(Debug)]
pub(crate) struct WholeLearner(pub Box<dyn ConnectionRule>);

impl super::engine::Learner for WholeLearner {
    fn requirements(&self) -> super::Requirements {
        super::Requirements::default()
    }
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
    fn update(&mut self, ctx: super::engine::LearnContext<'_>) {
        let super::engine::LearnContext {
            map,
            w,
            pre,
            post,
            reward,
            dt,
            mut tail,
            ..
        } = ctx;
        self.0.update(WholeConnection {
            map,
            w: &mut *w,
            pre,
            post,
            reward,
            dt,
        });
        tail.apply_all(w);
    }
    fn reset_state(&mut self) {
        self.0.reset_state();
    }
    fn state(&self, _name: &str) -> Option<&[f32]> {
        None
    }
    fn save(&self) -> Vec<(&'static str, Vec<f32>)> {
        Vec::new()
    }
    fn load(&mut self, _get: &mut dyn FnMut(&str) -> Option<Vec<f32>>) -> Result<(), String> {
        Ok(())
    }
    fn resize(&mut self, _batch: usize, _n_pre: usize, _n_post: usize, _n_weights: usize) {}
}
