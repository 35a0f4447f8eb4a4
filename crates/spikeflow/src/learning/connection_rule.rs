//! The escape hatch: rules that need the whole connection at once.
//!
//! What the network does for a [`ConnectionRule`]:
//!
//! * at build: checks its [`requirements`](ConnectionRule::requirements)
//!   (traces, bounds, reward, target variable) and calls
//!   [`validate`](ConnectionRule::validate) with a [`ConnectionInfo`]
//!   (names, batch size, topology, learning options), then
//!   [`resize`](ConnectionRule::resize) so that its state exists before the
//!   first step (a snapshot of a fresh network must have the same arrays as
//!   one of a trained network);
//! * every learning step: decays the rule traces it declared
//!   ([`rule_traces`](ConnectionRule::rule_traces)), calls
//!   [`update`](ConnectionRule::update), increments the traces with this
//!   step's spikes, then applies the shared tail to every weight (weight
//!   decay `w ← (1 − weight_decay)·w`, then clamping to `[wmin, wmax]`);
//! * saves and restores its rule traces and the arrays of
//!   [`save_state`](ConnectionRule::save_state) in snapshots.
//!
//! What the rule must do itself: apply the learning rate (`c.options.nu`),
//! reduce over the batch (`c.options.reduction`) and compute every change
//! from the weights before the step. [`WeightChanges`](super::WeightChanges) does the last two the
//! way the generic loop does (changes summed per weight — over batch rows,
//! and over positions for shared kernels — reduced, then added).

use super::engine::{decay_traces, increment_traces, relax_traces};
use super::{LearningOptions, Requirements, RuleTraces, TraceSpec};
use crate::nodes::NodeCore;
use crate::topology::{Bound, SynapseMap};

/// What a [`ConnectionRule`] gets each learning step.
#[non_exhaustive]
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
    /// The connection's learning options: `nu`, the batch reduction, the
    /// weight decay (applied by the network after `update`).
    pub options: &'a LearningOptions,
    /// Lower weight bounds (the network clamps every weight after `update`).
    pub wmin: &'a Bound,
    /// Upper weight bounds.
    pub wmax: &'a Bound,
    /// The rule traces of the sources, `[batch × n_pre × k_pre]` (see
    /// [`ConnectionRule::rule_traces`]): decayed for this step, not yet
    /// incremented by this step's spikes.
    pub pre_traces: &'a [f32],
    /// The rule traces of the targets, `[batch × n_post × k_post]`.
    pub post_traces: &'a [f32],
    /// The target variable asked for in
    /// [`Requirements::post_variable`], `[batch × n_post]`.
    pub post_variable: Option<&'a [f32]>,
}

/// What a [`ConnectionRule`] can check when the network is built.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ConnectionInfo<'a> {
    /// The connection's name, `"X -> Y"`.
    pub name: &'a str,
    /// The source population's name.
    pub source: &'a str,
    /// The target population's name.
    pub target: &'a str,
    /// The topology's type name (e.g. `"Dense"`, `"Delayed"`).
    pub topology: &'a str,
    /// The synapse map (its variant says how the weights are laid out).
    pub map: SynapseMap<'a>,
    /// Batch size.
    pub batch: usize,
    /// Time step (ms).
    pub dt: f32,
    /// The learning options given with `.nu(…)`, `.reduction(…)`,
    /// `.weight_decay(…)`.
    pub options: &'a LearningOptions,
    /// Lower weight bounds.
    pub wmin: &'a Bound,
    /// Upper weight bounds.
    pub wmax: &'a Bound,
}

/// A learning rule with access to the whole connection. After
/// [`update`](ConnectionRule::update) the shared tail (weight decay, then
/// clamping to `[wmin, wmax]`) is applied to every weight. See the
/// guide (`docs/adding-a-learning-rule.md` §3) for what the network does and what the rule must do.
pub trait ConnectionRule: Send + Sync + std::fmt::Debug {
    /// The rule's name.
    fn name(&self) -> &str;
    /// What the rule needs from its connection (checked at build, as for a
    /// [`SynapseRule`](super::SynapseRule)).
    fn requirements(&self) -> Requirements {
        Requirements::default()
    }
    /// Refuses a connection the rule cannot learn on (called at build;
    /// the message is reported with the connection's and rule's names).
    fn validate(&self, _c: &ConnectionInfo<'_>) -> Result<(), String> {
        Ok(())
    }
    /// Per-neuron traces the network keeps for the rule (as
    /// [`SynapseRule::rule_traces`](super::SynapseRule::rule_traces)),
    /// passed as [`WholeConnection::pre_traces`] / `post_traces`.
    fn rule_traces(&self) -> RuleTraces {
        RuleTraces::default()
    }
    /// Allocates the rule's state for a batch size and synapse map (called
    /// at build, before the first step).
    fn resize(&mut self, _batch: usize, _n_pre: usize, _n_post: usize, _n_weights: usize) {}
    /// One learning step.
    fn update(&mut self, c: WholeConnection<'_>);
    /// Resets the rule's own state (with the network's state).
    fn reset_state(&mut self) {}
    /// The rule's state arrays by name, for snapshots (checkpoints). Names
    /// must differ from `"pre_trace"` and `"post_trace"` (the rule traces,
    /// saved by the network), and each array's length must depend only on
    /// the configuration (it is the same after [`resize`](Self::resize)
    /// as after training).
    fn save_state(&self) -> Vec<(&'static str, Vec<f32>)> {
        Vec::new()
    }
    /// Restores arrays saved by [`save_state`](Self::save_state); `get`
    /// returns an array by name. `Err` names the missing or bad array.
    fn load_state(&mut self, _get: &mut dyn FnMut(&str) -> Option<Vec<f32>>) -> Result<(), String> {
        Ok(())
    }
    /// The rule of the part of its connection onto targets `targets` of
    /// `n_post` (target `j` renumbered `j − targets.start`, sources
    /// unchanged), which one process of a
    /// [distributed](crate::distributed) network owns. The default,
    /// [`RulePart::Unchanged`], suits a rule that sizes everything it keeps
    /// in [`resize`](Self::resize); a rule configured per synapse (delays,
    /// masks) cuts its configuration ([`RulePart::Cut`]) or refuses.
    fn restrict_targets(
        &self,
        _n_pre: usize,
        _n_post: usize,
        _targets: std::ops::Range<usize>,
    ) -> RulePart {
        RulePart::Unchanged
    }
    /// How the saved array `name` ([`save_state`](Self::save_state)) of the
    /// rule on a part of its connection ([`restrict_targets`](Self::restrict_targets))
    /// stands to the whole connection's, so that the parts' snapshots can be
    /// put together. `None` (the default): they cannot.
    fn part_layout(&self, _name: &str) -> Option<crate::distributed::PartLayout> {
        None
    }
    /// Why the last [`update`](Self::update) failed, if it did (a rule
    /// written in another language raised); taken once. The network then
    /// stops the run after this step with
    /// [`Error::Rule`](crate::Error::Rule). The shared tail is not applied
    /// after a failed update.
    fn take_error(&mut self) -> Option<String> {
        None
    }
    /// Whether steps in which neither end of the connection spikes would
    /// change no weight, whatever the reward and the target variable the
    /// rule reads, nothing of the rule's own being still in flight (spikes
    /// whose effect is due later), so that the rule can advance over them
    /// in closed form ([`relax`](Self::relax)) when the network does
    /// ([`Network::relax`](crate::Network::relax) with learning on; a rule
    /// that needs a reward is stepped regardless). `false` (the default)
    /// keeps a learning network stepping.
    fn quiet(&self) -> bool {
        false
    }
    /// Advances `steps` steps without spikes at either end in closed form
    /// (traces decayed, clocks moved; no weight changes); called only when
    /// [`quiet`](Self::quiet) said so. The rule traces the network keeps
    /// for it ([`rule_traces`](Self::rule_traces)) are relaxed by the
    /// network.
    fn relax(&mut self, _steps: usize, _dt: f32) {}
}

/// What a [`ConnectionRule`] becomes on one process's part of its
/// connection ([`ConnectionRule::restrict_targets`]).
#[derive(Debug)]
pub enum RulePart {
    /// The rule serves the part as it is.
    Unchanged,
    /// The rule of the part.
    Cut(Box<dyn ConnectionRule>),
    /// The rule cannot learn on a part of its connection.
    Refused,
}

/// Drives a [`ConnectionRule`] as a learner: keeps its rule traces, hands it
/// the learning options, applies the shared tail.
#[derive(Debug)]
pub(crate) struct WholeLearner {
    rule: Box<dyn ConnectionRule>,
    options: LearningOptions,
    traces: RuleTraces,
    decay_pre: Vec<f32>,
    decay_post: Vec<f32>,
    pre_tr: Vec<f32>,
    post_tr: Vec<f32>,
    /// The batch size the traces were sized for.
    batch: usize,
    error: Option<String>,
}

impl WholeLearner {
    pub fn new(rule: Box<dyn ConnectionRule>, options: &LearningOptions, dt: f32) -> Self {
        let traces = rule.rule_traces();
        let decays = |v: &[TraceSpec]| v.iter().map(|t| (-dt / t.tau_ms).exp()).collect();
        WholeLearner {
            decay_pre: decays(&traces.pre),
            decay_post: decays(&traces.post),
            rule,
            options: options.clone(),
            traces,
            pre_tr: Vec::new(),
            post_tr: Vec::new(),
            batch: 0,
            error: None,
        }
    }
}

impl super::engine::Learner for WholeLearner {
    fn requirements(&self) -> Requirements {
        self.rule.requirements()
    }
    fn validate(&self, info: &ConnectionInfo<'_>) -> Result<(), String> {
        super::check_rule_traces(&self.traces)?;
        self.rule.validate(info)
    }
    fn update(&mut self, ctx: super::engine::LearnContext<'_>) {
        let super::engine::LearnContext {
            map,
            w,
            pre,
            post,
            post_aux,
            reward,
            dt,
            mut tail,
        } = ctx;
        decay_traces(&mut self.pre_tr, &self.traces.pre, &self.decay_pre);
        decay_traces(&mut self.post_tr, &self.traces.post, &self.decay_post);
        self.rule.update(WholeConnection {
            map,
            w: &mut *w,
            pre,
            post,
            reward,
            dt,
            options: &self.options,
            wmin: tail.wmin,
            wmax: tail.wmax,
            pre_traces: &self.pre_tr,
            post_traces: &self.post_tr,
            post_variable: post_aux,
        });
        increment_traces(&mut self.pre_tr, &self.traces.pre, pre.spikes());
        increment_traces(&mut self.post_tr, &self.traces.post, post.spikes());
        if let Some(e) = self.rule.take_error() {
            self.error = Some(e);
            return;
        }
        tail.apply_all(w);
    }
    fn take_error(&mut self) -> Option<String> {
        self.error.take()
    }
    fn quiet(&self) -> bool {
        self.error.is_none() && self.rule.quiet()
    }
    fn relax(&mut self, steps: usize, dt: f32, w: &mut [f32], mut tail: super::engine::Tail<'_>) {
        relax_traces(&mut self.pre_tr, &self.traces.pre, &self.decay_pre, steps);
        relax_traces(
            &mut self.post_tr,
            &self.traces.post,
            &self.decay_post,
            steps,
        );
        self.rule.relax(steps, dt);
        // The tail every step would apply: a clamp (the weight decay is 1
        // here, `Connection::learning_quiet`), the same once as m times.
        tail.apply_all(w);
    }
    fn reset_state(&mut self) {
        self.pre_tr.fill(0.0);
        self.post_tr.fill(0.0);
        self.rule.reset_state();
    }
    fn state(&self, name: &str) -> Option<&[f32]> {
        match name {
            "pre_trace" => Some(&self.pre_tr),
            "post_trace" => Some(&self.post_tr),
            _ => None,
        }
    }
    fn save(&self) -> Vec<(&'static str, Vec<f32>)> {
        let mut v = Vec::new();
        if !self.traces.pre.is_empty() {
            v.push(("pre_trace", self.pre_tr.clone()));
        }
        if !self.traces.post.is_empty() {
            v.push(("post_trace", self.post_tr.clone()));
        }
        v.extend(self.rule.save_state());
        v
    }
    fn load(&mut self, get: &mut dyn FnMut(&str) -> Option<Vec<f32>>) -> Result<(), String> {
        for (name, on, dst) in [
            ("pre_trace", !self.traces.pre.is_empty(), &mut self.pre_tr),
            (
                "post_trace",
                !self.traces.post.is_empty(),
                &mut self.post_tr,
            ),
        ] {
            if !on {
                continue;
            }
            let v = get(name).ok_or_else(|| format!("missing {name}"))?;
            if v.len() != dst.len() {
                return Err(format!(
                    "{name} has {} values, expected {}",
                    v.len(),
                    dst.len()
                ));
            }
            *dst = v;
        }
        self.rule.load_state(get)
    }
    fn resize(&mut self, batch: usize, n_pre: usize, n_post: usize, n_weights: usize) {
        self.pre_tr = vec![0.0; batch * n_pre * self.traces.pre.len()];
        self.post_tr = vec![0.0; batch * n_post * self.traces.post.len()];
        self.batch = batch;
        self.rule.resize(batch, n_pre, n_post, n_weights);
    }
    fn part_layout(&self, name: &str) -> Option<crate::distributed::PartLayout> {
        use crate::distributed::PartLayout;
        match name {
            // A part reads the whole source (its mirror).
            "pre_trace" => Some(PartLayout::Whole),
            // `[batch × n_post × k]`: one value per target per row when k = 1.
            "post_trace" if self.traces.post.len() == 1 => {
                Some(PartLayout::TargetColumns { rows: self.batch })
            }
            "post_trace" => None,
            _ => self.rule.part_layout(name),
        }
    }
}
