//! Learning rules, written once for every topology.
//!
//! Two layers:
//!
//! * **Per-synapse rules** ([`SynapseRule`], the common case). A rule says
//!   what happens to one synapse when its presynaptic neuron spikes
//!   ([`SynapseRule::on_pre`]), when its postsynaptic neuron spikes
//!   ([`SynapseRule::on_post`]), and optionally every step
//!   ([`SynapseRule::every_step`]) or through a per-synapse eligibility
//!   state ([`SynapseRule::integrate`]), from the local quantities in a
//!   [`Synapse`]. One generic loop (in `engine`) walks any topology's
//!   [`SynapseMap`](crate::topology::SynapseMap) and calls the rule — a
//!   generic parameter, so it is inlined — which makes a rule written once
//!   work on dense, sparse, convolutional and local connections alike.
//!   Pre-triggered terms touch only the synapses of sources that spiked,
//!   post-triggered terms only those of targets that spiked.
//! * **Whole-connection rules** ([`ConnectionRule`], the escape hatch) get
//!   the weights, the synapse map, both populations, the learning options
//!   and their rule traces; [`WeightChanges`] sums, reduces and applies
//!   their changes as the generic loop does.
//! * **Phase-vectorised rules** ([`ArrayRule`]) compute a whole phase's
//!   terms from arrays ([`SynapseBatch`]: the synapses of the sources or
//!   targets that spiked) in one call — rules written in Python use this —
//!   and go through the same gathering, reduction and tail as a
//!   `SynapseRule`, on every topology.
//!
//! Rules written outside the crate check their parameters with
//! [`positive_param`] and [`finite_param`] in their `validate`, as the
//! built-in ones do.
//!
//! The shared machinery, not the rules, handles the learning rate `nu`
//! ([`Nu`]: scalar, pair or per-synapse), the batch [`Reduction`] (mean by
//! default), weight decay, clamping to `[wmin, wmax]` and normalisation.
//! Per step and connection the order is BindsNET's: rule update → weight
//! decay `w ← (1 − weight_decay)·w` → clamp. Contributions of one step are
//! all computed from the weights *before* the step's update, then summed
//! over the batch (and over positions for shared kernels) and reduced.

pub(crate) mod connection_rule;
mod diehl_cook;
pub(crate) mod engine;
mod hebbian;
mod reward;
mod reward_fn;
mod rmax;
mod stdp;
mod stdp_pl;

pub use connection_rule::{ConnectionInfo, ConnectionRule, RulePart, WholeConnection};
pub use diehl_cook::DiehlAndCook;
pub use engine::{ArrayRule, Block, Phase, SynapseBatch, TermShape, Terms, WeightChanges};
pub use hebbian::Hebbian;
pub use reward::{Mstdp, MstdpEt};
pub use reward_fn::{MovingAvgRpe, RewardFn};
pub use rmax::Rmax;
pub use stdp::{PostPre, WeightDependentPostPre};
pub use stdp_pl::StdpPowerLaw;

use std::sync::Arc;

/// Checks a rule parameter that must be finite and > 0 (time constants,
/// rates that divide): `Err` with a message naming it and its value. For
/// `validate` of rules written anywhere, as the built-in rules use it:
///
/// ```
/// use spikeflow::learning::positive_param;
/// assert!(positive_param("tc_plus", 20.0).is_ok());
/// assert_eq!(
///     positive_param("tc_plus", 0.0).unwrap_err(),
///     "tc_plus must be finite and > 0, got 0"
/// );
/// ```
pub fn positive_param(what: &str, v: f32) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("{what} must be finite and > 0, got {v}"))
    }
}

/// Checks a rule parameter that must be finite (amplitudes, targets):
/// `Err` with a message naming it and its value.
///
/// ```
/// use spikeflow::learning::finite_param;
/// assert!(finite_param("a_minus", -1.0).is_ok());
/// assert!(finite_param("a_minus", f32::NAN).is_err());
/// ```
pub fn finite_param(what: &str, v: f32) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{what} must be finite, got {v}"))
    }
}

/// Every declared rule trace needs a finite `tau_ms` > 0 and a finite
/// amplitude (checked at build for every rule).
pub(crate) fn check_rule_traces(t: &RuleTraces) -> Result<(), String> {
    for (side, specs) in [("pre", &t.pre), ("post", &t.post)] {
        for (i, spec) in specs.iter().enumerate() {
            positive_param(&format!("rule trace {side}[{i}] tau_ms"), spec.tau_ms)?;
            finite_param(&format!("rule trace {side}[{i}] amplitude"), spec.amplitude)?;
        }
    }
    Ok(())
}

/// What a rule sees of one neuron at one end of a synapse, in one batch row.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The spike (0/1; an `Input` population may carry other values).
    pub s: f32,
    /// The population's spike trace `x` (0 if it keeps none).
    pub x: f32,
    /// The rule's own traces of this neuron (see [`SynapseRule::rule_traces`]).
    pub traces: &'a [f32],
    /// The rule's own state of this neuron (see [`SynapseRule::neuron_state`]),
    /// as it stood at the end of the previous step.
    pub state: &'a [f32],
    /// The target variable the rule asked for ([`Requirements::post_variable`]),
    /// 0 on the presynaptic side.
    pub variable: f32,
}

/// How many values a rule keeps per neuron at each end, besides its traces
/// (see [`SynapseRule::neuron_state`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeuronState {
    /// Values per presynaptic neuron.
    pub pre: usize,
    /// Values per postsynaptic neuron.
    pub post: usize,
}

/// One neuron at the end of a step, as [`SynapseRule::update_pre_state`] and
/// [`SynapseRule::update_post_state`] see it.
#[derive(Debug, Clone, Copy)]
pub struct NeuronStep {
    /// This step's spike (0/1; an `Input` population may carry other values).
    pub s: f32,
    /// The population's spike trace `x` after this step (0 if it keeps none).
    pub x: f32,
    /// The target variable the rule asked for ([`Requirements::post_variable`]),
    /// 0 on the presynaptic side.
    pub variable: f32,
    /// Time step (ms).
    pub dt: f32,
}

/// Everything a per-synapse rule can read about one synapse in one batch row.
#[derive(Debug, Clone, Copy)]
pub struct Synapse<'a> {
    /// The weight before this step's update.
    pub w: f32,
    /// Lower bound of this weight.
    pub wmin: f32,
    /// Upper bound of this weight.
    pub wmax: f32,
    /// Learning rate of pre-triggered terms (`nu[0]`).
    pub nu_pre: f32,
    /// Learning rate of post-triggered terms (`nu[1]`).
    pub nu_post: f32,
    /// The presynaptic neuron.
    pub pre: Side<'a>,
    /// The postsynaptic neuron.
    pub post: Side<'a>,
    /// The reward of this batch row at this step (0 without reward).
    pub reward: f32,
    /// Time step (ms).
    pub dt: f32,
}

/// What [`SynapseRule::integrate`] sees of a synapse with eligibility state.
#[derive(Debug, Clone, Copy)]
pub struct Modulation {
    /// The weight before this step's update.
    pub w: f32,
    /// Learning rate of pre-triggered terms.
    pub nu_pre: f32,
    /// Learning rate of post-triggered terms.
    pub nu_post: f32,
    /// The reward of this batch row.
    pub reward: f32,
    /// Time step (ms).
    pub dt: f32,
    /// The per-step eligibility decay ([`SynapseRule::eligibility_decay`]).
    pub decay: f32,
}

/// A trace a rule keeps for itself on each pre- or postsynaptic neuron:
/// `r ← r·exp(−dt/tau)`, then `r ← r + amplitude·s` (additive) or
/// `r ← amplitude` where the neuron spiked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceSpec {
    /// Time constant (ms).
    pub tau_ms: f32,
    /// Increment (or value set) per spike.
    pub amplitude: f32,
    /// Additive or set.
    pub additive: bool,
}

/// The traces a rule keeps on each end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleTraces {
    /// Traces of presynaptic neurons.
    pub pre: Vec<TraceSpec>,
    /// Traces of postsynaptic neurons.
    pub post: Vec<TraceSpec>,
}

/// What a rule needs from its connection, checked when the network is built.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    /// The source must keep spike traces.
    pub pre_traces: bool,
    /// The source traces must be additive.
    pub additive_pre_traces: bool,
    /// The target must keep spike traces.
    pub post_traces: bool,
    /// `wmin` and `wmax` must be finite (soft-bounded rules).
    pub finite_bounds: bool,
    /// `wmax` must be finite.
    pub finite_wmax: bool,
    /// A reward must be given to `run`.
    pub reward: bool,
    /// A state variable the target population must have (exposed as
    /// [`Side::variable`] of the postsynaptic side), e.g. `"s_prob"`.
    pub post_variable: Option<&'static str>,
}

/// Which parts of the generic loop a rule uses (decided once, at build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    /// Call [`SynapseRule::on_pre`] for synapses of spiking sources.
    pub pre: bool,
    /// Call [`SynapseRule::on_post`] for synapses of spiking targets.
    pub post: bool,
    /// Call [`SynapseRule::every_step`] for every synapse, every step.
    pub every_step: bool,
    /// Keep one eligibility value per weight and batch row, fed by the
    /// terms above and turned into a weight change by
    /// [`SynapseRule::integrate`].
    pub eligibility: bool,
}

impl Phases {
    /// Pre terms where `nu_pre` is non-zero somewhere, post terms where
    /// `nu_post` is; no every-step terms, no eligibility (the default of
    /// [`SynapseRule::phases`] and [`ArrayRule::phases`]).
    pub fn from_rates(nu: &Nu) -> Phases {
        Phases {
            pre: nu.pre_active(),
            post: nu.post_active(),
            every_step: false,
            eligibility: false,
        }
    }
}

/// A learning rule stated for one synapse. See the [module docs](self) and
/// `docs/adding-a-learning-rule.md`.
///
/// Without eligibility, the terms returned by `on_pre`, `on_post` and
/// `every_step` are weight changes; they are summed per batch row, reduced
/// over the batch and added to the weight. With eligibility, they are added
/// to the row's eligibility input `ev`, and `integrate` returns the change.
pub trait SynapseRule: Send + Sync + std::fmt::Debug + 'static {
    /// The rule's name (BindsNET's class name for the built-in rules).
    fn name(&self) -> &'static str;
    /// What the rule needs from its connection.
    fn requirements(&self) -> Requirements {
        Requirements::default()
    }
    /// Checks the rule's own parameters (called when the network is built);
    /// the message names the parameter and its value.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
    /// The parts of the loop the rule uses, given the effective learning
    /// rates (so that a zero rate skips its phase). By default: pre terms
    /// where `nu_pre` is non-zero somewhere, post terms where `nu_post` is.
    fn phases(&self, nu: &Nu) -> Phases {
        Phases::from_rates(nu)
    }
    /// The rule's own per-neuron traces.
    fn rule_traces(&self) -> RuleTraces {
        RuleTraces::default()
    }
    /// How many values of its own the rule keeps per neuron at each end,
    /// besides its traces: state that is not a linear trace of spikes, such
    /// as BCM's sliding threshold. Terms read it as [`Side::state`]; the
    /// rule updates it once per step with
    /// [`update_pre_state`](Self::update_pre_state) /
    /// [`update_post_state`](Self::update_post_state). All zeros at build and
    /// after a reset, saved in checkpoints.
    fn neuron_state(&self) -> NeuronState {
        NeuronState::default()
    }
    /// Updates one presynaptic neuron's state, once per step and batch row,
    /// after the step's terms (so terms see the previous step's state).
    fn update_pre_state(&self, _state: &mut [f32], _n: &NeuronStep) {}
    /// Updates one postsynaptic neuron's state (as
    /// [`update_pre_state`](Self::update_pre_state)).
    fn update_post_state(&self, _state: &mut [f32], _n: &NeuronStep) {}
    /// If true, the pre/post terms are evaluated for the spikes of the
    /// *previous* step, with the rule traces as they stood at its end (the
    /// lagged eligibility of MSTDP, Florian 2007 eq. 3.9). Otherwise they
    /// see this step's spikes, and rule traces decayed but not yet
    /// incremented by this step's spikes.
    fn lagged(&self) -> bool {
        false
    }
    /// Steps by which the rule sees the postsynaptic spikes late: its
    /// post-triggered terms fire, and its own post traces
    /// ([`rule_traces`](Self::rule_traces)) count a spike, this many steps
    /// after the neuron fired — NEST's dendritic delay, with which STDP
    /// compares a presynaptic spike with `t_post + d` (the postsynaptic
    /// spike back-propagated to the synapse). The population's own trace
    /// ([`Side::x`]) and state stay undelayed. Default 0.
    fn post_delay_steps(&self) -> usize {
        0
    }
    /// Term for a synapse whose presynaptic neuron spiked.
    fn on_pre(&self, _s: &Synapse<'_>) -> f32 {
        0.0
    }
    /// Term for a synapse whose postsynaptic neuron spiked.
    fn on_post(&self, _s: &Synapse<'_>) -> f32 {
        0.0
    }
    /// Term for every synapse, every step.
    fn every_step(&self, _s: &Synapse<'_>) -> f32 {
        0.0
    }
    /// Eligibility rules: the factor by which the eligibility decays each
    /// step (computed once, passed as [`Modulation::decay`]).
    fn eligibility_decay(&self, _dt: f32) -> f32 {
        1.0
    }
    /// Eligibility rules: updates the state `e` from this step's input `ev`
    /// and returns the weight change of this batch row.
    fn integrate(&self, _e: &mut f32, _ev: f32, _m: &Modulation) -> f32 {
        0.0
    }
    /// Changes a parameter between runs (BindsNET's run-time `a_plus` /
    /// `a_minus` of MSTDP and MSTDPET); `Err` names what the rule has. The
    /// rule's traces are re-read afterwards ([`rule_traces`](Self::rule_traces)).
    fn set_param(&mut self, name: &str, _value: f32) -> Result<(), String> {
        Err(format!(
            "{} has no run-time parameter {name:?}",
            self.name()
        ))
    }
}

/// A learning rate: one for both terms, a pre/post pair, or per synapse.
#[derive(Debug, Clone, PartialEq)]
pub enum Nu {
    /// `[nu_pre, nu_post]`.
    Pair(f32, f32),
    /// One rate per weight for each term, in the topology's weight order.
    PerSynapse(Arc<Vec<f32>>, Arc<Vec<f32>>),
}

impl Default for Nu {
    fn default() -> Self {
        Nu::Pair(0.0, 0.0)
    }
}

impl From<f32> for Nu {
    fn from(v: f32) -> Self {
        Nu::Pair(v, v)
    }
}

impl From<(f32, f32)> for Nu {
    fn from((a, b): (f32, f32)) -> Self {
        Nu::Pair(a, b)
    }
}

impl Nu {
    /// The two rates of weight `k`.
    #[inline]
    pub fn at(&self, k: usize) -> (f32, f32) {
        match self {
            Nu::Pair(a, b) => (*a, *b),
            Nu::PerSynapse(a, b) => (a[k], b[k]),
        }
    }
    /// Whether the pre rate is non-zero somewhere.
    pub fn pre_active(&self) -> bool {
        match self {
            Nu::Pair(a, _) => *a != 0.0,
            Nu::PerSynapse(a, _) => a.iter().any(|&x| x != 0.0),
        }
    }
    /// Whether the post rate is non-zero somewhere.
    pub fn post_active(&self) -> bool {
        match self {
            Nu::Pair(_, b) => *b != 0.0,
            Nu::PerSynapse(_, b) => b.iter().any(|&x| x != 0.0),
        }
    }
}

/// How per-row weight changes are combined over the batch.
#[derive(Clone, Default)]
pub enum Reduction {
    /// The mean over batch rows (default, as BindsNET's guide documents).
    #[default]
    Mean,
    /// The sum over batch rows (BindsNET's actual default for batch > 1).
    Sum,
    /// Any function of the per-row values of one weight (it must map all
    /// zeros to zero: weights no event touched are skipped).
    Custom(Arc<ReduceFn>),
}

/// A custom batch reduction: per-row values of one weight → one change.
pub type ReduceFn = dyn Fn(&[f32]) -> f32 + Send + Sync;

impl Reduction {
    /// Combines the per-row values of one weight into one change (what
    /// the generic loop does for each weight a step touched).
    pub fn reduce(&self, rows: &[f32]) -> f32 {
        match self {
            Reduction::Sum => rows.iter().sum(),
            Reduction::Mean => rows.iter().sum::<f32>() / rows.len() as f32,
            Reduction::Custom(f) => f(rows),
        }
    }
}

impl std::fmt::Debug for Reduction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reduction::Mean => write!(f, "Mean"),
            Reduction::Sum => write!(f, "Sum"),
            Reduction::Custom(_) => write!(f, "Custom(..)"),
        }
    }
}

/// Per-connection learning options shared by every rule.
#[derive(Debug, Clone, Default)]
pub struct LearningOptions {
    /// Learning rates (`nu` of BindsNET).
    pub nu: Nu,
    /// Batch reduction.
    pub reduction: Reduction,
    /// Weight decay per step: `w ← (1 − weight_decay)·w`.
    pub weight_decay: f32,
}
