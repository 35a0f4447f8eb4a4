//! The generic synapse loop that runs every [`SynapseRule`] on every
//! topology, plus the shared tail (weight decay, clamping).
//!
//! Per step, for a rule with pre and post terms and no eligibility:
//! ```text
//! for each batch row b, each source i that spiked, each synapse (i, j, k):  Δ[k] += on_pre
//! for each batch row b, each target j that spiked, each synapse (i, j, k):  Δ[k] += on_post
//! for each touched weight k:  w[k] ← clamp(w[k] + R(Δ[k]), wmin, wmax)
//! ```
//! so the cost is proportional to spikes × fan-out, and every term sees the
//! weights as they were before the step.

use super::{
    Modulation, NeuronState, NeuronStep, Nu, Phases, Reduction, Requirements, RuleTraces, Side,
    Synapse, SynapseRule,
};
use crate::nodes::NodeCore;
use crate::spikes::Spikes;
use crate::topology::{Bound, SynapseMap};
use rayon::prelude::*;

mod array;
mod array_learner;
mod changes;
mod deferred;
mod eligibility;
mod in_place;
mod sparse_in_place;
mod term_log;
mod terms;
mod traces;

pub use array::{ArrayRule, Block, Phase, SynapseBatch};
pub(crate) use array_learner::ArrayLearner;
pub use changes::WeightChanges;
use deferred::PostLog;
use in_place::PostCols;
pub use terms::{TermShape, Terms};
pub(crate) use traces::{decay_traces, increment_traces, relax_traces};

/// What a learner needs for one update.
pub(crate) struct LearnContext<'a> {
    pub map: SynapseMap<'a>,
    pub w: &'a mut [f32],
    pub pre: &'a NodeCore,
    pub post: &'a NodeCore,
    /// The target variable the rule asked for, `[batch × n_post]`.
    pub post_aux: Option<&'a [f32]>,
    /// One reward per batch row (zeros without reward).
    pub reward: &'a [f32],
    pub dt: f32,
    pub tail: Tail<'a>,
}

/// The shared tail of every update: decay then clamp.
pub(crate) struct Tail<'a> {
    pub wmin: &'a Bound,
    pub wmax: &'a Bound,
    /// `1 − weight_decay`.
    pub decay: f32,
    /// Whether the rule clamps (every rule but NoOp).
    pub clamp: bool,
    /// Set when some weight may lie outside the bounds (after init or
    /// normalisation): the next clamp then covers every weight.
    pub dirty: &'a mut bool,
}

impl Tail<'_> {
    fn bounded(&self) -> bool {
        self.clamp && (self.wmin.any_finite() || self.wmax.any_finite())
    }

    /// Decay and clamp everything (after a dense update or when dirty).
    pub fn apply_all(&mut self, w: &mut [f32]) {
        // Element-wise, so blocks may run in parallel with identical results.
        // Above 8 blocks: W3 at N = 400 clamps its 313,600 weights once a
        // run, as fast on one thread as on two, and that region alone sent
        // each of the Python package's runs to a pool worker.
        const BLOCK: usize = 1 << 16;
        if self.decay == 1.0 && !self.bounded() {
            return;
        }
        let par = crate::parallel::worth(w.len(), 8 * BLOCK);
        if self.decay != 1.0 {
            let d = self.decay;
            if par {
                w.par_chunks_mut(BLOCK)
                    .for_each(|c| c.iter_mut().for_each(|x| *x *= d));
            } else {
                for x in w.iter_mut() {
                    *x *= d;
                }
            }
        }
        if self.bounded() {
            let (wmin, wmax) = (self.wmin, self.wmax);
            let clamp = |base: usize, c: &mut [f32]| match (wmin, wmax) {
                (Bound::Scalar(lo), Bound::Scalar(hi)) => {
                    c.iter_mut().for_each(|x| *x = x.max(*lo).min(*hi))
                }
                _ => {
                    for (k, x) in c.iter_mut().enumerate() {
                        *x = x.max(wmin.at(base + k)).min(wmax.at(base + k));
                    }
                }
            };
            if par {
                w.par_chunks_mut(BLOCK)
                    .enumerate()
                    .for_each(|(b, c)| clamp(b * BLOCK, c));
            } else {
                clamp(0, w);
            }
            *self.dirty = false;
        }
    }
}

/// A rule attached to a connection, as the network drives it.
pub(crate) trait Learner: Send + Sync + std::fmt::Debug {
    fn requirements(&self) -> Requirements;
    /// The rule's own checks, given the connection (at build).
    fn validate(&self, info: &super::ConnectionInfo<'_>) -> Result<(), String>;
    /// `Err` when the rule's phases, given its learning rates, leave
    /// nothing to run (checked at build, after the requirements).
    fn check_active(&self) -> Result<(), String> {
        Ok(())
    }
    fn update(&mut self, ctx: LearnContext<'_>);
    fn reset_state(&mut self);
    /// Rule state for inspection: `"pre_trace"`, `"post_trace"`
    /// (`[batch × n × k]`), `"eligibility"` (`[batch × n_weights]`).
    fn state(&self, name: &str) -> Option<&[f32]>;
    /// The rule's state arrays, by name, for checkpoints.
    fn save(&self) -> Vec<(&'static str, Vec<f32>)>;
    /// Restores arrays saved by [`save`](Learner::save); `Err` names the
    /// first missing or mis-sized one.
    fn load(&mut self, get: &mut dyn FnMut(&str) -> Option<Vec<f32>>) -> Result<(), String>;
    /// Allocates state for a batch size and synapse map.
    fn resize(&mut self, batch: usize, n_pre: usize, n_post: usize, n_weights: usize);
    /// How a saved array of the rule on a part of its connection stands to
    /// the whole connection's; `None`: unknown.
    fn part_layout(&self, _name: &str) -> Option<crate::distributed::PartLayout> {
        None
    }
    /// Whether some weight changes are deferred (not yet in the weights).
    fn pending(&self) -> bool {
        false
    }
    /// Applies every deferred weight change (before anything but
    /// propagation reads the weights: end of a run, a weight monitor).
    fn flush(&mut self, _map: SynapseMap<'_>, _w: &mut [f32]) {}
    /// Applies the deferred changes of the rows of `sources`, which
    /// propagation is about to read.
    fn catch_up_rows(&mut self, _map: SynapseMap<'_>, _w: &mut [f32], _sources: &[u32]) {}
    /// Why the last update could not run (a rule written in another
    /// language raised), taken once: the run stops after this step.
    fn take_error(&mut self) -> Option<String> {
        None
    }
    /// Changes a parameter of the rule between runs.
    fn set_rule_param(&mut self, name: &str, _value: f32) -> Result<(), String> {
        Err(format!("the rule has no run-time parameter {name:?}"))
    }
    /// Whether steps without spikes at either end change no weight and can
    /// be taken in closed form ([`relax`](Learner::relax)); `false` by
    /// default.
    fn quiet(&self) -> bool {
        false
    }
    /// Advances `steps` spike-free steps in closed form, the tail (a clamp)
    /// applied as a step would; called only when [`quiet`](Learner::quiet)
    /// said so.
    fn relax(&mut self, _steps: usize, _dt: f32, _w: &mut [f32], _tail: Tail<'_>) {}
}

/// Runs a [`SynapseRule`] through the generic loop.
#[derive(Debug)]
pub(crate) struct SynapticLearner<R: SynapseRule> {
    rule: R,
    nu: Nu,
    reduction: Reduction,
    phases: Phases,
    traces: RuleTraces,
    trace_decay_pre: Vec<f32>,
    trace_decay_post: Vec<f32>,
    lagged: bool,
    elig_decay: f32,
    batch: usize,
    n_pre: usize,
    n_post: usize,
    n_w: usize,
    pre_tr: Vec<f32>,
    post_tr: Vec<f32>,
    /// Values per neuron of the rule's own state, and the state
    /// (`[batch × n × k]`).
    kstate: NeuronState,
    pre_state: Vec<f32>,
    post_state: Vec<f32>,
    prev_pre: Option<Spikes>,
    prev_post: Option<Spikes>,
    /// The postsynaptic spikes of the last `post_delay_steps` steps, oldest
    /// first, for rules that see them late (see
    /// [`SynapseRule::post_delay_steps`]).
    post_history: std::collections::VecDeque<Spikes>,
    /// This step's terms, summed per weight (per row where kept apart).
    changes: WeightChanges,
    /// Eligibility state `[batch × n_w]`.
    elig: Vec<f32>,
    /// One value per batch row (eligibility integration).
    scratch: Vec<f32>,
    /// Zeros standing in for a population's missing trace or variable.
    zeros: Vec<f32>,
    /// This step's spiking targets with their values (in-place path).
    post_cols: PostCols,
    /// Deferred post terms (in-place path).
    log: PostLog,
    /// Bounds of the parallel tasks of a step's row updates (in-place path).
    task_ends: Vec<usize>,
    /// Scratch for the old weights of spiking targets (in-place path).
    old_w: Vec<f32>,
}

impl<R: SynapseRule> SynapticLearner<R> {
    pub fn new(rule: R, nu: Nu, reduction: Reduction, dt: f32) -> Self {
        let phases = rule.phases(&nu);
        let traces = rule.rule_traces();
        let kstate = rule.neuron_state();
        let decays = |v: &[super::TraceSpec]| v.iter().map(|t| (-dt / t.tau_ms).exp()).collect();
        SynapticLearner {
            trace_decay_pre: decays(&traces.pre),
            trace_decay_post: decays(&traces.post),
            lagged: rule.lagged(),
            elig_decay: rule.eligibility_decay(dt),
            rule,
            nu,
            reduction,
            phases,
            traces,
            batch: 0,
            n_pre: 0,
            n_post: 0,
            n_w: 0,
            pre_tr: Vec::new(),
            post_tr: Vec::new(),
            kstate,
            pre_state: Vec::new(),
            post_state: Vec::new(),
            prev_pre: None,
            prev_post: None,
            post_history: Default::default(),
            changes: WeightChanges::default(),
            elig: Vec::new(),
            scratch: Vec::new(),
            zeros: Vec::new(),
            post_cols: PostCols::default(),
            log: PostLog::default(),
            task_ends: Vec::new(),
            old_w: Vec::new(),
        }
    }

    fn per_row(&self) -> bool {
        matches!(self.reduction, Reduction::Custom(_)) || self.phases.eligibility
    }
}

impl<R: SynapseRule> Learner for SynapticLearner<R> {
    fn set_rule_param(&mut self, name: &str, value: f32) -> Result<(), String> {
        self.rule.set_param(name, value)?;
        // Only the traces' amplitudes may change: their time constants,
        // hence the decays, stay.
        self.traces = self.rule.rule_traces();
        Ok(())
    }
    fn requirements(&self) -> Requirements {
        self.rule.requirements()
    }
    fn validate(&self, _info: &super::ConnectionInfo<'_>) -> Result<(), String> {
        self.rule.validate()?;
        if self.lagged && self.rule.post_delay_steps() > 0 {
            return Err("a lagged rule cannot also see postsynaptic spikes late".into());
        }
        super::check_rule_traces(&self.traces)
    }
    fn check_active(&self) -> Result<(), String> {
        let p = self.phases;
        if !(p.pre || p.post || p.every_step || p.eligibility) {
            return Err(format!(
                "nu = {} switches off every term of the rule, so it would never change a \
                 weight; set .nu(…) or attach no rule",
                nu_text(&self.nu)
            ));
        }
        Ok(())
    }

    fn resize(&mut self, batch: usize, n_pre: usize, n_post: usize, n_w: usize) {
        self.batch = batch;
        self.n_pre = n_pre;
        self.n_post = n_post;
        self.n_w = n_w;
        self.pre_tr = vec![0.0; batch * n_pre * self.traces.pre.len()];
        self.post_tr = vec![0.0; batch * n_post * self.traces.post.len()];
        self.pre_state = vec![0.0; batch * n_pre * self.kstate.pre];
        self.post_state = vec![0.0; batch * n_post * self.kstate.post];
        self.prev_pre = self.lagged.then(|| Spikes::new(batch, n_pre));
        self.prev_post = self.lagged.then(|| Spikes::new(batch, n_post));
        self.post_history = (0..self.rule.post_delay_steps())
            .map(|_| Spikes::new(batch, n_post))
            .collect();
        self.changes = WeightChanges::with_rows(batch, n_w, self.reduction.clone(), self.per_row());
        self.elig = if self.phases.eligibility {
            vec![0.0; batch * n_w]
        } else {
            Vec::new()
        };
        self.scratch = vec![0.0; batch];
        self.zeros = vec![0.0; n_pre.max(n_post)];
        self.log
            .resize(n_pre, self.traces.pre.len(), self.traces.post.len());
    }

    fn reset_state(&mut self) {
        self.pre_tr.fill(0.0);
        self.post_tr.fill(0.0);
        self.pre_state.fill(0.0);
        self.post_state.fill(0.0);
        if let Some(p) = &mut self.prev_pre {
            p.clear();
        }
        if let Some(p) = &mut self.prev_post {
            p.clear();
        }
        for p in &mut self.post_history {
            p.clear();
        }
        self.elig.fill(0.0);
    }

    fn part_layout(&self, name: &str) -> Option<crate::distributed::PartLayout> {
        use crate::distributed::PartLayout::{TargetColumns, Whole};
        let per_target = |k: usize, rows: usize| match k {
            0 => Some(Whole), // empty
            1 => Some(TargetColumns { rows }),
            _ => None, // a target's values side by side: not a column
        };
        match name {
            // The sources' side: every process sees every source.
            "pre_trace" | "pre_state" | "prev_pre_spikes" => Some(Whole),
            "post_trace" => per_target(self.traces.post.len(), self.batch),
            "post_state" => per_target(self.kstate.post, self.batch),
            "prev_post_spikes" => per_target(1, self.batch),
            "delayed_post_spikes" => per_target(1, self.batch * self.post_history.len()),
            // Per synapse: not said (dense and compressed rows differ).
            "eligibility" if self.elig.is_empty() => Some(Whole),
            _ => None,
        }
    }

    fn save(&self) -> Vec<(&'static str, Vec<f32>)> {
        let mut v = vec![
            ("pre_trace", self.pre_tr.clone()),
            ("post_trace", self.post_tr.clone()),
            ("eligibility", self.elig.clone()),
        ];
        if self.kstate != NeuronState::default() {
            v.push(("pre_state", self.pre_state.clone()));
            v.push(("post_state", self.post_state.clone()));
        }
        if let (Some(a), Some(b)) = (&self.prev_pre, &self.prev_post) {
            v.push(("prev_pre_spikes", a.values().to_vec()));
            v.push(("prev_post_spikes", b.values().to_vec()));
        }
        if !self.post_history.is_empty() {
            let all = self
                .post_history
                .iter()
                .flat_map(|p| p.values().iter().copied());
            v.push(("delayed_post_spikes", all.collect()));
        }
        v
    }

    fn load(&mut self, get: &mut dyn FnMut(&str) -> Option<Vec<f32>>) -> Result<(), String> {
        fn put(
            dst: &mut Vec<f32>,
            name: &str,
            get: &mut dyn FnMut(&str) -> Option<Vec<f32>>,
        ) -> Result<(), String> {
            let v = get(name).ok_or_else(|| format!("missing {name}"))?;
            if v.len() != dst.len() {
                return Err(format!(
                    "{name} has {} values, expected {}",
                    v.len(),
                    dst.len()
                ));
            }
            *dst = v;
            Ok(())
        }
        put(&mut self.pre_tr, "pre_trace", get)?;
        put(&mut self.post_tr, "post_trace", get)?;
        put(&mut self.elig, "eligibility", get)?;
        if self.kstate != NeuronState::default() {
            put(&mut self.pre_state, "pre_state", get)?;
            put(&mut self.post_state, "post_state", get)?;
        }
        for (name, sp) in [
            ("prev_pre_spikes", &mut self.prev_pre),
            ("prev_post_spikes", &mut self.prev_post),
        ] {
            if let Some(sp) = sp {
                let mut v = sp.values().to_vec();
                put(&mut v, name, get)?;
                sp.set_values(&v);
            }
        }
        if !self.post_history.is_empty() {
            let len = self.post_history[0].values().len();
            let mut v = vec![0.0; len * self.post_history.len()];
            put(&mut v, "delayed_post_spikes", get)?;
            for (p, chunk) in self.post_history.iter_mut().zip(v.chunks_exact(len)) {
                p.set_values(chunk);
            }
        }
        Ok(())
    }

    fn pending(&self) -> bool {
        !self.log.is_empty()
    }

    fn flush(&mut self, map: SynapseMap<'_>, w: &mut [f32]) {
        self.log.flush(&self.rule, w, map);
    }

    fn catch_up_rows(&mut self, map: SynapseMap<'_>, w: &mut [f32], sources: &[u32]) {
        self.log.catch_up_rows(&self.rule, w, map, sources);
    }

    fn state(&self, name: &str) -> Option<&[f32]> {
        match name {
            "pre_trace" => Some(&self.pre_tr),
            "post_trace" => Some(&self.post_tr),
            "eligibility" if self.phases.eligibility => Some(&self.elig),
            "pre_state" if self.kstate.pre > 0 => Some(&self.pre_state),
            "post_state" if self.kstate.post > 0 => Some(&self.post_state),
            _ => None,
        }
    }

    fn update(&mut self, ctx: LearnContext<'_>) {
        let LearnContext {
            map,
            w,
            pre,
            post,
            post_aux,
            reward,
            dt,
            mut tail,
        } = ctx;
        if !self.lagged {
            decay_traces(&mut self.pre_tr, &self.traces.pre, &self.trace_decay_pre);
            decay_traces(&mut self.post_tr, &self.traces.post, &self.trace_decay_post);
        }
        if self.try_dense_in_place(map, &mut *w, pre, post, post_aux, reward, dt, &mut tail) {
            self.finish(pre, post, post_aux, dt);
            return;
        }
        if self.try_sparse_in_place(map, &mut *w, pre, post, post_aux, reward, dt, &mut tail) {
            self.finish(pre, post, post_aux, dt);
            return;
        }
        self.log.flush(&self.rule, w, map);
        let (pre_spikes, post_spikes) = match (&self.prev_pre, &self.prev_post) {
            (Some(a), Some(b)) => (a, b),
            _ => (
                pre.spikes(),
                self.post_history.front().unwrap_or(post.spikes()),
            ),
        };
        let view = StepView {
            rule: &self.rule,
            nu: &self.nu,
            wmin: tail.wmin,
            wmax: tail.wmax,
            w,
            pre_s: pre_spikes,
            post_s: post_spikes,
            pre_x: pre.trace(),
            post_x: post.trace(),
            pre_tr: &self.pre_tr,
            post_tr: &self.post_tr,
            kpre: self.traces.pre.len(),
            kpost: self.traces.post.len(),
            pre_state: &self.pre_state,
            post_state: &self.post_state,
            kstate: self.kstate,
            post_aux,
            reward,
            dt,
            n_pre: self.n_pre,
            n_post: self.n_post,
        };
        let n_w = self.n_w;
        let sink = &mut self.changes;
        if self.phases.pre {
            view.pre_terms(map, sink);
        }
        if self.phases.post {
            view.post_terms(map, sink);
        }
        if self.phases.every_step {
            view.dense_terms(map, sink);
        }
        let w = view.w;
        if self.phases.eligibility
            && self.batch == 1
            && tail.decay == 1.0
            && !matches!(self.reduction, Reduction::Custom(_))
        {
            let bounded = tail.bounded();
            eligibility::OnePass {
                rule: &self.rule,
                nu: &self.nu,
                bounds: bounded.then_some((tail.wmin, tail.wmax)),
                reward: reward[0],
                dt,
                decay: self.elig_decay,
            }
            .run(
                &mut w[..n_w],
                &mut self.elig[..n_w],
                self.changes.row_mut(0),
            );
            self.changes.forget_touched();
            if bounded {
                *tail.dirty = false;
            }
        } else if self.phases.eligibility {
            // Every weight: integrate the eligibility of each row, reduce.
            let b_n = self.batch;
            for k in 0..n_w {
                let (nu_pre, nu_post) = self.nu.at(k);
                for b in 0..b_n {
                    let m = Modulation {
                        w: w[k],
                        nu_pre,
                        nu_post,
                        reward: reward[b],
                        dt,
                        decay: self.elig_decay,
                    };
                    let ev = self.changes.take(b, k);
                    self.scratch[b] = self.rule.integrate(&mut self.elig[b * n_w + k], ev, &m);
                }
                w[k] += self.reduction.reduce(&self.scratch);
            }
            self.changes.forget_touched();
            tail.apply_all(w);
        } else {
            let bounded = tail.bounded() && tail.decay == 1.0 && !*tail.dirty;
            self.changes.drain(|k, d| {
                let mut x = w[k] + d;
                if bounded {
                    x = x.max(tail.wmin.at(k)).min(tail.wmax.at(k));
                }
                w[k] = x;
            });
            if !bounded {
                tail.apply_all(w);
            }
        }
        self.finish(pre, post, post_aux, dt);
    }
}

impl<R: SynapseRule> SynapticLearner<R> {
    /// The end of every update: lagged trace decay, trace increments, the
    /// rule's neuron state, the copy of this step's spikes for lagged rules.
    fn finish(&mut self, pre: &NodeCore, post: &NodeCore, post_aux: Option<&[f32]>, dt: f32) {
        if self.lagged {
            decay_traces(&mut self.pre_tr, &self.traces.pre, &self.trace_decay_pre);
            decay_traces(&mut self.post_tr, &self.traces.post, &self.trace_decay_post);
        }
        increment_traces(&mut self.pre_tr, &self.traces.pre, pre.spikes());
        match self.post_history.pop_front() {
            // Seen late: the spikes of `post_delay_steps` steps ago.
            Some(mut oldest) => {
                increment_traces(&mut self.post_tr, &self.traces.post, &oldest);
                oldest.clone_from(post.spikes());
                self.post_history.push_back(oldest);
            }
            None => increment_traces(&mut self.post_tr, &self.traces.post, post.spikes()),
        }
        let rule = &self.rule;
        update_state(
            &mut self.pre_state,
            self.kstate.pre,
            pre,
            None,
            dt,
            |st, n| rule.update_pre_state(st, n),
        );
        update_state(
            &mut self.post_state,
            self.kstate.post,
            post,
            post_aux,
            dt,
            |st, n| rule.update_post_state(st, n),
        );
        if let (Some(a), Some(b)) = (&mut self.prev_pre, &mut self.prev_post) {
            a.clone_from(pre.spikes());
            b.clone_from(post.spikes());
        }
    }
}

/// Calls `update` on every neuron's `k` state values (every batch row).
fn update_state(
    state: &mut [f32],
    k: usize,
    pop: &NodeCore,
    variable: Option<&[f32]>,
    dt: f32,
    mut update: impl FnMut(&mut [f32], &NeuronStep),
) {
    if k == 0 {
        return;
    }
    let (s, x) = (pop.spikes().values(), pop.trace());
    for (idx, st) in state.chunks_exact_mut(k).enumerate() {
        let n = NeuronStep {
            s: s[idx],
            x: x.map_or(0.0, |x| x[idx]),
            variable: variable.map_or(0.0, |v| v[idx]),
            dt,
        };
        update(st, &n);
    }
}

/// `nu` as the user gave it, for messages.
fn nu_text(nu: &Nu) -> String {
    match nu {
        Nu::Pair(a, b) if a == b => format!("{a}"),
        Nu::Pair(a, b) => format!("({a}, {b})"),
        Nu::PerSynapse(..) => "0 for every synapse".into(),
    }
}

/// The quantities every term reads, for one step.
struct StepView<'a, R: SynapseRule> {
    rule: &'a R,
    nu: &'a Nu,
    wmin: &'a Bound,
    wmax: &'a Bound,
    w: &'a mut [f32],
    pre_s: &'a Spikes,
    post_s: &'a Spikes,
    pre_x: Option<&'a [f32]>,
    post_x: Option<&'a [f32]>,
    pre_tr: &'a [f32],
    post_tr: &'a [f32],
    kpre: usize,
    kpost: usize,
    pre_state: &'a [f32],
    post_state: &'a [f32],
    kstate: NeuronState,
    post_aux: Option<&'a [f32]>,
    reward: &'a [f32],
    dt: f32,
    n_pre: usize,
    n_post: usize,
}

impl<R: SynapseRule> StepView<'_, R> {
    #[inline]
    fn pre_side(&self, b: usize, i: usize) -> Side<'_> {
        let idx = b * self.n_pre + i;
        Side {
            s: self.pre_s.values()[idx],
            x: self.pre_x.map_or(0.0, |x| x[idx]),
            traces: &self.pre_tr[idx * self.kpre..(idx + 1) * self.kpre],
            state: &self.pre_state[idx * self.kstate.pre..(idx + 1) * self.kstate.pre],
            variable: 0.0,
        }
    }

    #[inline]
    fn post_side(&self, b: usize, j: usize) -> Side<'_> {
        let idx = b * self.n_post + j;
        Side {
            s: self.post_s.values()[idx],
            x: self.post_x.map_or(0.0, |x| x[idx]),
            traces: &self.post_tr[idx * self.kpost..(idx + 1) * self.kpost],
            state: &self.post_state[idx * self.kstate.post..(idx + 1) * self.kstate.post],
            variable: self.post_aux.map_or(0.0, |x| x[idx]),
        }
    }

    #[inline]
    fn synapse<'s>(&self, k: usize, pre: Side<'s>, post: Side<'s>, reward: f32) -> Synapse<'s> {
        let (nu_pre, nu_post) = self.nu.at(k);
        Synapse {
            w: self.w[k],
            wmin: self.wmin.at(k),
            wmax: self.wmax.at(k),
            nu_pre,
            nu_post,
            pre,
            post,
            reward,
            dt: self.dt,
        }
    }

    fn pre_terms(&self, map: SynapseMap<'_>, sink: &mut WeightChanges) {
        for b in 0..self.pre_s.batch() {
            let r = self.reward[b];
            for &i in self.pre_s.active(b) {
                let pre = self.pre_side(b, i as usize);
                map.for_each_out(i as usize, |j, k| {
                    let syn = self.synapse(k, pre, self.post_side(b, j), r);
                    sink.add(b, k, self.rule.on_pre(&syn));
                });
            }
        }
    }

    fn post_terms(&self, map: SynapseMap<'_>, sink: &mut WeightChanges) {
        for b in 0..self.post_s.batch() {
            let r = self.reward[b];
            let active = self.post_s.active(b);
            if active.is_empty() {
                continue;
            }
            map.for_each_into(active, |i, j, k| {
                let syn = self.synapse(k, self.pre_side(b, i), self.post_side(b, j), r);
                sink.add(b, k, self.rule.on_post(&syn));
            });
        }
    }

    fn dense_terms(&self, map: SynapseMap<'_>, sink: &mut WeightChanges) {
        for b in 0..self.pre_s.batch() {
            let r = self.reward[b];
            for i in 0..self.n_pre {
                let pre = self.pre_side(b, i);
                map.for_each_out(i, |j, k| {
                    let syn = self.synapse(k, pre, self.post_side(b, j), r);
                    sink.add(b, k, self.rule.every_step(&syn));
                });
            }
        }
    }
}
