//! Neuron populations ("nodes" in BindsNET).
//!
//! Every model is a plain parameter struct whose [`Default`] is BindsNET's
//! default, plus a state in structure-of-arrays form (`Vec<f32>` per
//! variable, laid out `[batch × n]`). The network holds populations behind
//! the [`Population`] trait: one dynamic call per population per step, a
//! tight monomorphic loop inside.
//!
//! What every model shares lives in [`NodeCore`]: the shape, the spikes (kept
//! both as a dense 0/1 array and as per-row lists of active indices, see
//! [`Spikes`]), the optional spike trace `x` and the optional input sum.
//! After a model has set its spikes, the core's epilogue applies the step's
//! spike clamps (BindsNET's `clamp` / `unclamp` run arguments: forced spikes
//! set to 1, then suppressed ones to 0 — after the model's reset,
//! refractoriness and threshold adaptation, which therefore never see
//! them), then updates the trace
//!
//! ```text
//! x ← x · exp(−dt/tc_trace);  then  x ← x + trace_scale · s   (additive)
//!                                 or x ← trace_scale where s   (default)
//! ```
//! and, with `sum_input`, `summed ← summed + input`.

/// Implements the [`Population`] accessors (`core`, `core_mut`, `variable`,
/// `variable_mut`, `variable_names`) from a list of `"name" => field` pairs.
macro_rules! population_accessors {
    ($($name:literal => $field:ident),* $(,)?) => {
        fn core(&self) -> &$crate::nodes::NodeCore {
            &self.core
        }
        fn core_mut(&mut self) -> &mut $crate::nodes::NodeCore {
            &mut self.core
        }
        fn variable(&self, name: &str) -> Option<&[f32]> {
            match name {
                $($name => Some(&self.$field),)*
                _ => None,
            }
        }
        fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]> {
            match name {
                $($name => Some(&mut self.$field),)*
                _ => None,
            }
        }
        fn variable_names(&self) -> &'static [&'static str] {
            &[$($name),*]
        }
    };
}

/// [`Population::lane`] for a `Clone` population with a `core` field:
/// a copy whose core and listed per-row fields (`[batch × n]` state) hold
/// only the batch rows `rows`; parameters and per-neuron values (θ) are
/// copied whole.
macro_rules! lane_of {
    ($pop:expr, $rows:expr; $($field:ident),* $(,)?) => {{
        let (pop, rows) = ($pop, $rows);
        let mut lane = pop.clone();
        lane.core = pop.core.rows(rows.clone());
        let _span = rows.start * pop.core.n()..rows.end * pop.core.n();
        $(lane.$field = pop.$field[_span.clone()].to_vec();)*
        Some(Box::new(lane) as Box<dyn $crate::nodes::Population>)
    }};
}

mod adaptive_lif;
mod boosted_lif;
mod conductance_lif;
mod csrm;
mod current_lif;
mod iaf_psc_alpha;
mod if_nodes;
mod input;
mod izhikevich;
mod lif;
mod mcculloch_pitts;
mod param;
mod poisson_generator;
mod srm0;

pub(crate) use crate::spikes::SpikeValue;
use crate::spikes::Spikes;
pub use adaptive_lif::{AdaptiveLifNodes, DiehlAndCookNodes};
pub use boosted_lif::BoostedLifNodes;
pub use conductance_lif::{AdaptiveThreshold, ConductanceLifNodes};
pub use csrm::{CsrmNodes, ResponseKernel};
pub use current_lif::CurrentLifNodes;
pub use iaf_psc_alpha::IafPscAlphaNodes;
pub use if_nodes::IfNodes;
pub use input::Input;
pub use izhikevich::{IzhikevichNodes, IzhikevichParams};
pub use lif::LifNodes;
pub use mcculloch_pitts::McCullochPitts;
pub use param::Param;
pub use poisson_generator::PoissonGenerator;
pub use srm0::Srm0Nodes;

use crate::error::{positive, Error, Result};
use crate::rng::Rng;
use std::ops::Range;

/// What a population sees of the network while it steps.
pub struct StepContext<'a> {
    /// Simulation step in milliseconds.
    pub dt: f32,
    /// Whether the network learns (gates adaptive thresholds).
    pub learning: bool,
    /// The network's seeded generator (one-spike ties, SRM0 escape noise).
    pub rng: &'a mut Rng,
}

/// Options shared by every neuron model (BindsNET's `Nodes` base class).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeOptions {
    /// Keep a spike trace `x` (needed by trace-based learning rules).
    pub traces: bool,
    /// Additive trace (`x += trace_scale·s`) instead of the default set
    /// (`x = trace_scale` where a spike occurred).
    pub traces_additive: bool,
    /// Trace time constant in ms (scalar or per neuron). Default 20.
    pub tc_trace: Param,
    /// Trace amplitude (scalar or per neuron). Default 1.
    pub trace_scale: Param,
    /// Keep the running sum of the input (`summed`).
    pub sum_input: bool,
}

impl NodeOptions {
    /// The options of neurons `range` alone (per-neuron trace parameters
    /// cut to the range).
    pub fn slice(&self, range: Range<usize>) -> NodeOptions {
        NodeOptions {
            tc_trace: self.tc_trace.slice(range.clone()),
            trace_scale: self.trace_scale.slice(range),
            ..self.clone()
        }
    }
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            traces: false,
            traces_additive: false,
            tc_trace: Param::Scalar(20.0),
            trace_scale: Param::Scalar(1.0),
            sum_input: false,
        }
    }
}

/// Everything a model needs to build its population.
pub struct BuildContext<'a> {
    /// The population's name (for error messages).
    pub name: &'a str,
    /// Its shape (`n` = product).
    pub shape: &'a [usize],
    /// Batch size.
    pub batch: usize,
    /// Simulation step in ms.
    pub dt: f32,
    /// Shared options.
    pub options: &'a NodeOptions,
    /// A generator for parameters drawn at construction (Izhikevich).
    pub rng: &'a mut Rng,
}

impl BuildContext<'_> {
    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.shape.iter().product()
    }
    /// Expands a parameter to one value per neuron, checking it is finite.
    pub fn expand(&self, what: &str, p: &Param) -> Result<Vec<f32>> {
        p.expand(self.n(), self.name, what)
    }
    /// Expands a time constant and turns it into `exp(−dt/τ)` per neuron.
    pub fn decay(&self, what: &str, tau: &Param) -> Result<Vec<f32>> {
        let taus = self.expand(what, tau)?;
        taus.iter()
            .map(|&t| {
                positive(self.name, what, t)?;
                Ok((-self.dt / t).exp())
            })
            .collect()
    }
}

/// A neuron model: parameters that know how to build a population.
///
/// Implement it (together with [`Population`]) to add a model of your own;
/// every built-in model implements it.
pub trait NodeModel: std::fmt::Debug {
    /// BindsNET's class name (`"LIFNodes"`, …).
    fn type_name(&self) -> &'static str;
    /// Validates the parameters and allocates the state.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the population and the parameter.
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>>;
    /// The same model for neurons `range` of the population alone, as one
    /// process of a [distributed](crate::distributed) network builds it:
    /// per-neuron parameters cut to the range, counter-based draws keyed
    /// by the neurons' index in the whole population. `None` (the default)
    /// for a model that cannot be cut so that the part steps exactly as it
    /// would in the whole: one that draws from the network's generator
    /// (which a part would consume differently) or couples its neurons
    /// (one-spike, winner-take-all).
    fn slice(&self, _range: Range<usize>) -> Option<Box<dyn NodeModel>> {
        None
    }
}

/// A population of neurons as the network steps it.
pub trait Population: Send + Sync + std::fmt::Debug {
    /// BindsNET's class name.
    fn type_name(&self) -> &'static str;
    /// The shared part: shape, spikes, traces.
    fn core(&self) -> &NodeCore;
    /// The shared part, mutable.
    fn core_mut(&mut self) -> &mut NodeCore;
    /// One time step. `input` is `[batch × n]` (synaptic plus external
    /// input); the model may modify it (LIF zeroes refractory entries, as
    /// BindsNET does, and `summed` then adds what is left). Implementations
    /// set the spikes, then call [`NodeCore::finish_step`].
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>);
    /// One time step whose only input is `external` (`[batch × n]`, the
    /// caller's array: no connection adds to it). The default writes it
    /// into `buffer` (the population's input buffer, every channel) and
    /// calls [`step`](Self::step); a model that only reads its input can
    /// read `external` directly and save that pass.
    fn step_external(&mut self, external: &[f32], buffer: &mut [f32], ctx: &mut StepContext<'_>) {
        load_external(external, buffer);
        self.step(buffer, ctx);
    }
    /// [`step_external`](Self::step_external) with spikes: 1 for a spike,
    /// 0 otherwise, the same bits as the values would give.
    fn step_external_spikes(
        &mut self,
        spikes: &[bool],
        buffer: &mut [f32],
        ctx: &mut StepContext<'_>,
    ) {
        load_external(spikes, buffer);
        self.step(buffer, ctx);
    }
    /// Resets the state variables to their initial values (learned
    /// parameters such as adaptive thresholds are kept, as in BindsNET).
    fn reset_state(&mut self);
    /// A model-specific state variable (`"v"`, `"refrac_count"`, `"theta"`,
    /// `"i"`, `"u"`, `"s_prob"`), or `None` if the model has no such variable.
    fn variable(&self, name: &str) -> Option<&[f32]>;
    /// Mutable access to a model-specific state variable (checkpoint restore,
    /// voltage injection).
    fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]>;
    /// Names of the model-specific variables.
    fn variable_names(&self) -> &'static [&'static str];
    /// Those of [`variable_names`](Self::variable_names) that are not one
    /// value per neuron (a step counter): every part of a population cut
    /// over processes holds the same.
    fn shared_variables(&self) -> &'static [&'static str] {
        &[]
    }
    /// A population for the batch rows `rows` of this one, with the same
    /// parameters and per-neuron values and those rows' state, or `None`.
    ///
    /// With learning off, batch rows are independent; the network then
    /// runs contiguous blocks of rows ("lanes") on separate threads, one
    /// fork per run, and takes the lanes' rows back with
    /// [`NodeCore`] and [`variable_mut`](Self::variable_mut) (every
    /// variable of `batch × n` values is per row). Each lane steps with a
    /// copy of the network's generator, so a model may draw random numbers
    /// only in a way that does not depend on its rows — e.g. one key per
    /// step, mixed with the row's network index
    /// ([`NodeCore::first_row`]` + b`), as one-spike does; a model whose
    /// draws depend on its rows keeps `None` (the default), so that results
    /// never depend on the thread count.
    fn lane(&self, _rows: Range<usize>) -> Option<Box<dyn Population>> {
        None
    }
    /// Number of input channels ("receptors"). The input given to
    /// [`step`](Population::step) holds `channels` consecutive blocks of
    /// `[batch × n]`; a connection picks its block with
    /// [`Connect::receptor`](crate::Connect::receptor), external input goes
    /// to block 0. Default 1 (current/voltage input); a conductance-based
    /// model may take excitatory and inhibitory conductances apart.
    fn input_channels(&self) -> usize {
        1
    }
    /// Whether no neuron can spike in the next `steps` steps without
    /// input, with learning on or off as `learning` says (an adaptive
    /// threshold decays while learning), and the model can advance that
    /// far in closed form ([`relax`](Self::relax)). `false` (the default)
    /// keeps the population, and the network around it, stepping
    /// ([`Network::relax`](crate::Network::relax)).
    fn quiet(&self, _steps: usize, _learning: bool) -> bool {
        false
    }
    /// Advances `steps` steps without input in closed form, learning on or
    /// off as `learning` says; called only when [`quiet`](Self::quiet)
    /// said so for the same arguments. The result is the stepped one up to
    /// rounding (and to what the model's `quiet` neglects), not bit for
    /// bit.
    fn relax(&mut self, _steps: usize, _learning: bool) {}
}

/// `buffer ← 0 + external`, then zeros for any further input channels:
/// exactly what clearing the buffer and adding the input gives.
fn load_external<T: SpikeValue>(external: &[T], buffer: &mut [f32]) {
    let (head, tail) = buffer.split_at_mut(external.len());
    for (a, &x) in head.iter_mut().zip(external) {
        *a = 0.0 + x.raw();
    }
    tail.fill(0.0);
}

/// One batch row for [`NodeCore::pass_through`]: spikes, index list,
/// input, trace.
type RowWithTrace<'a, T> = ((&'a mut [f32], &'a mut Vec<u32>), (&'a [T], &'a mut [f32]));

/// Spike trace state of a population.
#[derive(Debug, Clone)]
pub(crate) struct TraceState {
    pub x: Vec<f32>,
    params: TraceParams,
}

/// How a trace follows the spikes, per neuron.
#[derive(Debug, Clone)]
struct TraceParams {
    decay: Vec<f32>,
    scale: Vec<f32>,
    additive: bool,
}

impl TraceParams {
    /// One step of one batch row: `x ← x·decay + scale·s` (additive) or
    /// `x ← s ≠ 0 ? scale : x·decay`. Zipped iterators (no bounds checks)
    /// and one branch-free loop per mode, so each vectorises.
    #[inline]
    fn update(&self, x: &mut [f32], s: &[f32]) {
        let lanes = x.iter_mut().zip(s).zip(self.decay.iter().zip(&self.scale));
        if self.additive {
            for ((x, &s), (&d, &k)) in lanes {
                *x = *x * d + k * s;
            }
        } else {
            for ((x, &s), (&d, &k)) in lanes {
                let decayed = *x * d;
                *x = if s != 0.0 { k } else { decayed };
            }
        }
    }
}

/// The part every population shares: shape, spikes, trace, input sum.
#[derive(Debug, Clone)]
pub struct NodeCore {
    shape: Vec<usize>,
    n: usize,
    batch: usize,
    /// The network's batch row this core's row 0 is (non-zero in lanes).
    first_row: usize,
    pub(crate) spikes: Spikes,
    pub(crate) trace: Option<TraceState>,
    pub(crate) summed: Option<Vec<f32>>,
    /// Spike clamps of the step being taken, set by the network just
    /// before the population steps and applied by the epilogue.
    pub(crate) clamps: PendingClamps,
}

/// The spike clamps of one step of one population: neurons forced to spike
/// (`on`) and neurons whose spikes are suppressed (`off`), in every batch
/// row; `off` wins where both name a neuron.
#[derive(Debug, Clone, Default)]
pub(crate) struct PendingClamps {
    on: Vec<usize>,
    off: Vec<usize>,
    pending: bool,
}

impl PendingClamps {
    /// Adds neurons to force on (`value` 1) or off (`value` 0) this step.
    pub(crate) fn add(&mut self, indices: &[usize], value: f32) {
        let list = if value == 0.0 {
            &mut self.off
        } else {
            &mut self.on
        };
        list.extend_from_slice(indices);
        self.pending = true;
    }
    /// Whether clamps are waiting to be applied.
    pub(crate) fn pending(&self) -> bool {
        self.pending
    }
}

impl NodeCore {
    /// Builds the shared state from the build context.
    ///
    /// # Errors
    /// Invalid trace parameters or an empty shape.
    pub fn new(ctx: &BuildContext<'_>) -> Result<Self> {
        let n = ctx.n();
        if n == 0 || ctx.shape.is_empty() {
            return Err(Error::param(
                ctx.name,
                format!(
                    "shape must be non-empty with no zero axis, got {:?}",
                    ctx.shape
                ),
            ));
        }
        let o = ctx.options;
        let trace = if o.traces {
            Some(TraceState {
                x: vec![0.0; ctx.batch * n],
                params: TraceParams {
                    decay: ctx.decay("tc_trace", &o.tc_trace)?,
                    scale: ctx.expand("trace_scale", &o.trace_scale)?,
                    additive: o.traces_additive,
                },
            })
        } else {
            None
        };
        Ok(NodeCore {
            shape: ctx.shape.to_vec(),
            n,
            batch: ctx.batch,
            first_row: 0,
            spikes: Spikes::new(ctx.batch, n),
            trace,
            summed: o.sum_input.then(|| vec![0.0; ctx.batch * n]),
            clamps: PendingClamps::default(),
        })
    }

    /// The population's shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Batch size.
    pub fn batch(&self) -> usize {
        self.batch
    }
    /// The network's batch row that this core's row 0 is: 0, except in a
    /// lane (see [`Population::lane`]).
    pub fn first_row(&self) -> usize {
        self.first_row
    }
    /// This step's spikes.
    pub fn spikes(&self) -> &Spikes {
        &self.spikes
    }
    /// Mutable spikes (for models, clamping).
    pub fn spikes_mut(&mut self) -> &mut Spikes {
        &mut self.spikes
    }
    /// The spike trace `x` `[batch × n]`, if the population keeps one.
    pub fn trace(&self) -> Option<&[f32]> {
        self.trace.as_ref().map(|t| t.x.as_slice())
    }
    /// The spike trace, mutable (checkpoint restore).
    pub fn trace_mut(&mut self) -> Option<&mut [f32]> {
        self.trace.as_mut().map(|t| t.x.as_mut_slice())
    }
    /// Whether the trace is additive.
    pub fn trace_is_additive(&self) -> bool {
        self.trace.as_ref().is_some_and(|t| t.params.additive)
    }
    /// The running input sum, if kept.
    pub fn summed(&self) -> Option<&[f32]> {
        self.summed.as_deref()
    }
    /// The running input sum, mutable (checkpoint restore).
    pub fn summed_mut(&mut self) -> Option<&mut [f32]> {
        self.summed.as_deref_mut()
    }

    /// The shared epilogue of every step: the step's spike clamps (see
    /// [`RunOptions::clamp`](crate::RunOptions::clamp)), trace update, then
    /// input sum.
    pub fn finish_step(&mut self, input: &[f32]) {
        self.apply_clamps();
        self.update_trace();
        self.finish_sum(input);
    }

    /// Applies and clears the pending spike clamps: forced spikes set to 1,
    /// then suppressed ones to 0, in every batch row, keeping the index
    /// lists in step with the values.
    pub(crate) fn apply_clamps(&mut self) {
        if !self.clamps.pending {
            return;
        }
        for b in 0..self.spikes.batch() {
            for &i in &self.clamps.on {
                self.spikes.set(b, i, 1.0);
            }
            for &i in &self.clamps.off {
                self.spikes.set(b, i, 0.0);
            }
        }
        self.clamps.on.clear();
        self.clamps.off.clear();
        self.clamps.pending = false;
    }

    /// `x ← x·decay`, then the spikes of this step (additive or set).
    fn update_trace(&mut self) {
        if let Some(t) = &mut self.trace {
            let n = self.n;
            let s = self.spikes.values();
            // Batch rows are independent (parallel for large batches).
            let row = |(x, srow): (&mut [f32], &[f32])| t.params.update(x, srow);
            if parallel_rows(self.batch, n) {
                use rayon::prelude::*;
                t.x.par_chunks_exact_mut(n)
                    .zip(s.par_chunks_exact(n))
                    .for_each(row);
            } else {
                t.x.chunks_exact_mut(n).zip(s.chunks_exact(n)).for_each(row);
            }
        }
    }

    /// The whole step of a population whose spikes are its input
    /// (`Input`): per batch row, the copy, the index list and the trace in
    /// one visit while the row is in cache (rows in parallel for large
    /// batches); then the input sum.
    pub(crate) fn pass_through<T: SpikeValue>(&mut self, input: &[T]) {
        use rayon::prelude::*;
        // Clamps act between the spikes and the trace: the general path.
        let pending = self.clamps.pending;
        let Some(t) = self.trace.as_mut().filter(|_| !pending) else {
            self.spikes.set_values(input);
            self.apply_clamps();
            self.update_trace();
            return self.finish_sum(input);
        };
        let n = self.n;
        let parallel = parallel_rows(self.batch, n);
        let (vals, lists) = self.spikes.parts_mut();
        let params = &t.params;
        let row = |((s, list), (inp, x)): RowWithTrace<'_, T>| {
            let binary = crate::spikes::set_row(inp, s, list);
            params.update(x, s);
            binary
        };
        let binary = if parallel {
            (vals.par_chunks_mut(n).zip(lists.par_iter_mut()))
                .zip(input.par_chunks(n).zip(t.x.par_chunks_mut(n)))
                .map(row)
                .reduce(|| true, |a, b| a & b)
        } else {
            (vals.chunks_mut(n).zip(lists.iter_mut()))
                .zip(input.chunks(n).zip(t.x.chunks_mut(n)))
                .map(row)
                .fold(true, |a, b| a & b)
        };
        self.spikes.set_binary(binary);
        self.finish_sum(input);
    }

    fn finish_sum<T: SpikeValue>(&mut self, input: &[T]) {
        if let Some(sum) = &mut self.summed {
            for (a, &x) in sum.iter_mut().zip(input) {
                *a += x.raw();
            }
        }
    }

    /// Whether no neuron spiked at the last step (nothing for the
    /// connections out of the population to deliver).
    pub(crate) fn silent(&self) -> bool {
        self.spikes.values().iter().all(|&s| s == 0.0)
    }

    /// The trace after `steps` steps without spikes, `x ← x·decay^steps`
    /// (in `f64`, rounded once: not the stepped rounding, bit for bit).
    pub(crate) fn relax_trace(&mut self, steps: usize) {
        let Some(t) = &mut self.trace else { return };
        for row in t.x.chunks_exact_mut(self.n) {
            for (x, &d) in row.iter_mut().zip(&t.params.decay) {
                *x = (f64::from(*x) * f64::from(d).powf(steps as f64)) as f32;
            }
        }
    }

    /// Batch rows `rows` as a core of their own (a lane of the batch).
    pub(crate) fn rows(&self, rows: Range<usize>) -> NodeCore {
        let cut = |v: &[f32]| v[rows.start * self.n..rows.end * self.n].to_vec();
        NodeCore {
            shape: self.shape.clone(),
            n: self.n,
            batch: rows.len(),
            first_row: self.first_row + rows.start,
            spikes: self.spikes.rows(rows.clone()),
            trace: self.trace.as_ref().map(|t| TraceState {
                x: cut(&t.x),
                params: t.params.clone(),
            }),
            summed: self.summed.as_deref().map(cut),
            clamps: PendingClamps::default(),
        }
    }

    /// Takes back the state of `lane` (from [`rows`](Self::rows)) from
    /// batch row `at` on; whether the spikes are 0/1 is decided by the
    /// caller once every lane is back.
    pub(crate) fn absorb_rows(&mut self, at: usize, lane: &NodeCore) {
        let span = at * self.n..(at + lane.batch) * self.n;
        self.spikes.absorb_rows(at, &lane.spikes);
        if let (Some(t), Some(l)) = (&mut self.trace, &lane.trace) {
            t.x[span.clone()].copy_from_slice(&l.x);
        }
        if let (Some(s), Some(l)) = (&mut self.summed, &lane.summed) {
            s[span].copy_from_slice(l);
        }
    }

    /// Resets spikes, trace and input sum to zero.
    pub fn reset(&mut self) {
        self.spikes.clear();
        if let Some(t) = &mut self.trace {
            t.x.fill(0.0);
        }
        if let Some(s) = &mut self.summed {
            s.fill(0.0);
        }
    }

    /// A shared variable by name: `"s"`, `"x"`, `"summed"`.
    pub fn variable(&self, name: &str) -> Option<&[f32]> {
        match name {
            "s" => Some(self.spikes.values()),
            "x" => self.trace(),
            "summed" => self.summed(),
            _ => None,
        }
    }
}

/// Whether a population update of `batch` rows of `n` neurons is worth
/// spreading over the thread pool (batch rows are independent, so the
/// result is the same either way).
#[inline]
pub(crate) fn parallel_rows(batch: usize, n: usize) -> bool {
    // Measured on W4 batch 32: below ~500k values a row-parallel kernel
    // costs more in fork/join than it saves (`crate::parallel`).
    batch > 1 && crate::parallel::worth(batch * n, 1 << 19)
}

/// Sets every batch row of a voltage `[batch × n]` to the per-neuron
/// `initial` values and zeroes the refractory counters (the reset of every
/// LIF-like model).
pub(crate) fn reset_voltage(v: &mut [f32], initial: &[f32], refrac_count: &mut [f32]) {
    for row in v.chunks_exact_mut(initial.len()) {
        row.copy_from_slice(initial);
    }
    refrac_count.fill(0.0);
}

/// Applies the optional lower voltage bound (`v ← max(v, lbound)`).
#[inline]
pub(crate) fn apply_lbound(v: f32, lbound: Option<f32>) -> f32 {
    match lbound {
        Some(lb) if v < lb => lb,
        _ => v,
    }
}

/// Checks an optional lower bound is not NaN.
pub(crate) fn check_lbound(name: &str, lbound: Option<f32>) -> Result<()> {
    match lbound {
        Some(l) if l.is_nan() => Err(Error::param(name, "lbound must not be NaN")),
        _ => Ok(()),
    }
}
