//! A connection as the network holds it: topology, bounds, normalisation
//! and the attached learning rule.

use crate::learning::connection_rule::WholeLearner;
use crate::learning::engine::{ArrayLearner, LearnContext, Learner, SynapticLearner, Tail};
use crate::learning::{ArrayRule, ConnectionRule, LearningOptions, RulePart, SynapseRule};
use crate::nodes::{NodeCore, Population};
use crate::topology::{Bound, NormMode, SynapseMap, Topology, TopologySpec};

/// How to build a connection: its ends, topology, bounds, normalisation and
/// learning rule. Created with [`Connect::new`], handed to
/// [`NetworkBuilder::connect`](crate::NetworkBuilder::connect).
#[derive(Debug)]
pub struct Connect {
    pub(crate) source: String,
    pub(crate) target: String,
    pub(crate) topology: Box<dyn TopologySpec>,
    pub(crate) wmin: Bound,
    pub(crate) wmax: Bound,
    pub(crate) norm: Option<f32>,
    pub(crate) rule: Option<PendingRule>,
    pub(crate) options: LearningOptions,
    pub(crate) receptor: usize,
}

/// A rule attached to a [`Connect`], built into its [`Learner`] once the
/// network knows the learning options and `dt`: one constructor for
/// per-synapse and whole-connection rules alike.
pub(crate) struct PendingRule {
    name: String,
    make: Make,
}

/// Builds a learner from the connection's learning options and `dt`.
type BuildLearner = dyn FnOnce(&LearningOptions, f32) -> Box<dyn Learner> + Send;

/// How a pending rule becomes a learner. A whole-connection rule stays a
/// rule until then, so that a distributed network can cut it
/// ([`PendingRule::restrict_targets`]).
enum Make {
    Whole(Box<dyn ConnectionRule>),
    Other(Box<BuildLearner>),
}

impl PendingRule {
    fn synaptic<R: SynapseRule>(rule: R) -> Self {
        PendingRule {
            name: rule.name().to_string(),
            make: Make::Other(Box::new(move |o, dt| {
                Box::new(SynapticLearner::new(
                    rule,
                    o.nu.clone(),
                    o.reduction.clone(),
                    dt,
                ))
            })),
        }
    }

    fn whole(rule: Box<dyn ConnectionRule>) -> Self {
        PendingRule {
            name: rule.name().to_string(),
            make: Make::Whole(rule),
        }
    }

    fn array(rule: Box<dyn ArrayRule>) -> Self {
        PendingRule {
            name: rule.name().to_string(),
            make: Make::Other(Box::new(move |o, _dt| {
                Box::new(ArrayLearner::new(rule, o.nu.clone(), o.reduction.clone()))
            })),
        }
    }

    /// The learner, for these options and this time step.
    pub fn build(self, options: &LearningOptions, dt: f32) -> Box<dyn Learner> {
        match self.make {
            Make::Whole(rule) => Box::new(WholeLearner::new(rule, options, dt)),
            Make::Other(make) => make(options, dt),
        }
    }

    /// The rule of the part of its connection onto `targets` (see
    /// [`ConnectionRule::restrict_targets`]); per-synapse and array rules
    /// keep no per-synapse configuration and serve any part as they are.
    /// `Err` names a whole-connection rule that cannot be cut.
    pub fn restrict_targets(
        self,
        n_pre: usize,
        n_post: usize,
        targets: std::ops::Range<usize>,
    ) -> std::result::Result<Self, String> {
        match self.make {
            Make::Whole(rule) => match rule.restrict_targets(n_pre, n_post, targets) {
                RulePart::Cut(part) => Ok(PendingRule::whole(part)),
                RulePart::Unchanged => Ok(PendingRule::whole(rule)),
                RulePart::Refused => Err(self.name),
            },
            other => Ok(PendingRule {
                name: self.name,
                make: other,
            }),
        }
    }
}

impl std::fmt::Debug for PendingRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PendingRule").field(&self.name).finish()
    }
}

impl Connect {
    /// A connection from population `source` to `target` with a topology
    /// (e.g. [`Dense`](crate::topology::Dense)). Defaults: unbounded
    /// weights, no normalisation, no learning.
    pub fn new(source: &str, target: &str, topology: impl TopologySpec + 'static) -> Self {
        Connect {
            source: source.to_string(),
            target: target.to_string(),
            topology: Box::new(topology),
            wmin: Bound::Scalar(f32::NEG_INFINITY),
            wmax: Bound::Scalar(f32::INFINITY),
            norm: None,
            rule: None,
            options: LearningOptions::default(),
            receptor: 0,
        }
    }
    /// The target's input channel this connection feeds (default 0; see
    /// [`Population::input_channels`](crate::nodes::Population::input_channels)).
    pub fn receptor(mut self, channel: usize) -> Self {
        self.receptor = channel;
        self
    }
    /// Lower weight bound.
    pub fn wmin(mut self, wmin: impl Into<Bound>) -> Self {
        self.wmin = wmin.into();
        self
    }
    /// Upper weight bound.
    pub fn wmax(mut self, wmax: impl Into<Bound>) -> Self {
        self.wmax = wmax.into();
        self
    }
    /// Normalise the incoming weights of every target neuron (or kernel) to
    /// sum to `norm` after each `run` call.
    pub fn norm(mut self, norm: f32) -> Self {
        self.norm = Some(norm);
        self
    }
    /// Attaches a per-synapse learning rule.
    pub fn rule<R: SynapseRule>(mut self, rule: R) -> Self {
        self.rule = Some(PendingRule::synaptic(rule));
        self
    }
    /// Attaches a whole-connection learning rule.
    pub fn connection_rule(mut self, rule: impl ConnectionRule + 'static) -> Self {
        self.rule = Some(PendingRule::whole(Box::new(rule)));
        self
    }
    /// Attaches a phase-vectorised learning rule (see
    /// [`ArrayRule`]).
    pub fn array_rule(mut self, rule: impl ArrayRule + 'static) -> Self {
        self.rule = Some(PendingRule::array(Box::new(rule)));
        self
    }
    /// Learning rate(s): `0.01`, `(1e-4, 1e-2)` or [`Nu::PerSynapse`](crate::learning::Nu).
    pub fn nu(mut self, nu: impl Into<crate::learning::Nu>) -> Self {
        self.options.nu = nu.into();
        self
    }
    /// Batch reduction of the rule's updates (default mean).
    pub fn reduction(mut self, r: crate::learning::Reduction) -> Self {
        self.options.reduction = r;
        self
    }
    /// Weight decay per step: `w ← (1 − weight_decay)·w`.
    pub fn weight_decay(mut self, d: f32) -> Self {
        self.options.weight_decay = d;
        self
    }
    /// The rule's name, or `"NoOp"`.
    pub(crate) fn rule_name(&self) -> &str {
        self.rule.as_ref().map_or("NoOp", |r| &r.name)
    }
}

/// A built connection.
#[derive(Debug)]
pub(crate) struct Connection {
    pub name: String,
    pub source: usize,
    pub target: usize,
    /// Offset of the target input channel in the target's input buffer.
    pub input_offset: usize,
    pub topology: Box<dyn Topology>,
    pub wmin: Bound,
    pub wmax: Bound,
    /// Effective norm (user's `norm` times the topology's scale).
    pub norm: Option<f32>,
    pub learner: Option<Box<dyn Learner>>,
    pub weight_decay_factor: f32,
    pub dirty: bool,
    pub rule_name: String,
    /// The target variable the rule reads ([`Requirements::post_variable`](crate::learning::Requirements)).
    pub post_variable: Option<&'static str>,
    /// The rule needs a reward to run.
    pub needs_reward: bool,
    /// A monitor records the weights every step: deferred changes are
    /// applied at the end of each learning step.
    pub weights_watched: bool,
}

impl Connection {
    pub fn tail(
        &mut self,
    ) -> (
        Tail<'_>,
        &mut Box<dyn Topology>,
        Option<&mut Box<dyn Learner>>,
    ) {
        (
            Tail {
                wmin: &self.wmin,
                wmax: &self.wmax,
                decay: self.weight_decay_factor,
                clamp: self.learner.is_some(),
                dirty: &mut self.dirty,
            },
            &mut self.topology,
            self.learner.as_mut(),
        )
    }

    /// Propagates the source's spikes, first applying the deferred weight
    /// changes of the rows that propagation reads.
    pub fn propagate(&mut self, src: &crate::spikes::Spikes, out: &mut [f32]) {
        self.catch_up(src);
        self.topology.propagate(src, out);
    }

    /// Propagates the source's spikes `late` steps after the step that
    /// would have (see [`Topology::propagate_late`]), with the same
    /// deferred weight changes applied first.
    pub fn propagate_late(&mut self, src: &crate::spikes::Spikes, late: usize) {
        self.catch_up(src);
        self.topology.propagate_late(src, late);
    }

    /// Applies the deferred weight changes of the rows of `src`'s spiking
    /// neurons, which propagation is about to read.
    fn catch_up(&mut self, src: &crate::spikes::Spikes) {
        if let Some(l) = self.learner.as_mut().filter(|l| l.pending()) {
            if let Some((map, w)) = self.topology.learn_view() {
                for b in 0..src.batch() {
                    l.catch_up_rows(map, w, src.active(b));
                }
            }
        }
    }

    /// Why the rule's last update failed, as the run's error (taken once).
    pub fn take_rule_error(&mut self) -> Option<crate::Error> {
        let message = self.learner.as_mut()?.take_error()?;
        Some(crate::Error::Rule {
            connection: self.name.clone(),
            rule: self.rule_name.clone(),
            message,
        })
    }

    /// Applies every deferred weight change of the learner.
    pub fn flush_learning(&mut self) {
        if let Some(l) = self.learner.as_mut().filter(|l| l.pending()) {
            if let Some((map, w)) = self.topology.learn_view() {
                l.flush(map, w);
            }
        }
    }

    /// Whether learning steps without spikes at either end leave the
    /// weights as they are, in a way the rule can take in closed form: no
    /// weight decay, and no rule or a quiet one with nothing deferred that
    /// needs no reward (a step would hand it one).
    pub fn learning_quiet(&self) -> bool {
        self.weight_decay_factor == 1.0
            && !self.needs_reward
            && self
                .learner
                .as_ref()
                .is_none_or(|l| l.quiet() && !l.pending())
    }

    /// Takes `steps` learning steps without spikes in closed form; only
    /// after [`learning_quiet`](Self::learning_quiet).
    pub fn relax_learning(&mut self, steps: usize, dt: f32) {
        let (tail, topology, learner) = self.tail();
        if let (Some(l), Some((_, w))) = (learner, topology.learn_view()) {
            l.relax(steps, dt, w, tail);
        }
    }

    /// One learning step (rule, decay, clamp), given both ends; then, if
    /// a monitor reads the weights, every deferred change.
    pub fn learn(&mut self, pre: &dyn Population, post: &dyn Population, reward: &[f32], dt: f32) {
        let post_aux = self.post_variable.and_then(|v| post.variable(v));
        self.learn_cores(pre.core(), post.core(), post_aux, reward, dt);
    }

    /// [`learn`](Self::learn) given the ends' cores and the target's
    /// variable the rule reads (`post_variable`), which may be records of
    /// an earlier step.
    pub fn learn_cores(
        &mut self,
        pre: &NodeCore,
        post: &NodeCore,
        post_aux: Option<&[f32]>,
        reward: &[f32],
        dt: f32,
    ) {
        let (mut tail, topology, learner) = self.tail();
        let Some((map, w)) = topology.learn_view() else {
            return;
        };
        match learner {
            Some(l) => l.update(LearnContext {
                map,
                w,
                pre,
                post,
                post_aux,
                reward,
                dt,
                tail,
            }),
            None => {
                if tail.decay != 1.0 {
                    tail.apply_all(w);
                }
            }
        }
        if self.weights_watched {
            self.flush_learning();
        }
    }

    /// Sets the weights flagged in `mask` to 0 (BindsNET's run-time
    /// `masks`, after every learning step, learning or not).
    pub fn apply_weight_mask(&mut self, mask: &[bool]) {
        self.flush_learning();
        if let Some(w) = self.topology.weights_mut() {
            for (x, &m) in w.iter_mut().zip(mask) {
                if m {
                    *x = 0.0;
                }
            }
        }
        // Masked weights may now lie outside the bounds.
        self.dirty = true;
    }

    /// Normalisation after a `run` call (no clamping afterwards, as BindsNET).
    pub fn normalize(&mut self) {
        let Some(norm) = self.norm else { return };
        let mode = self.topology.norm_mode();
        let Some((map, w)) = self.topology.learn_view() else {
            return;
        };
        normalize(map, w, mode, norm);
        self.dirty = true;
    }
}

/// Scales weights so that each target's incoming weights (or each kernel)
/// sum to `norm` (see [`NormMode`]).
pub(crate) fn normalize(map: SynapseMap<'_>, w: &mut [f32], mode: NormMode, norm: f32) {
    match (mode, map) {
        (NormMode::Kernel, SynapseMap::Conv(_) | SynapseMap::Local(_) | SynapseMap::Custom(_)) => {
            for kernel in w.chunks_exact_mut(map.kernel_len()) {
                let sum: f32 = kernel.iter().sum();
                let f = norm / sum;
                for x in kernel {
                    *x *= f;
                }
            }
        }
        _ => {
            let abs = mode == NormMode::ColumnAbs;
            let mut sums = vec![0.0f32; map.n_post()];
            // Dense weights row by row, in the visit's order (same sums), as
            // plain slices that vectorise whatever the compiler makes of
            // `for_each_out` (measured: 2.0 vs 4.1 ms per W3 N = 6400 sample).
            if let SynapseMap::Dense { n_post, .. } = map {
                for row in w.chunks_exact(n_post) {
                    for (s, &x) in sums.iter_mut().zip(row) {
                        *s += if abs { x.abs() } else { x };
                    }
                }
            } else {
                for i in 0..map.n_pre() {
                    map.for_each_out(i, |j, k| {
                        sums[j] += if abs { w[k].abs() } else { w[k] };
                    });
                }
            }
            let factors: Vec<f32> = sums
                .iter()
                .map(|&s| norm / if abs && s == 0.0 { 1.0 } else { s })
                .collect();
            if let SynapseMap::Dense { n_post, .. } = map {
                for row in w.chunks_exact_mut(n_post) {
                    for (x, &f) in row.iter_mut().zip(&factors) {
                        *x *= f;
                    }
                }
            } else {
                for i in 0..map.n_pre() {
                    map.for_each_out(i, |j, k| w[k] *= factors[j]);
                }
            }
        }
    }
}
