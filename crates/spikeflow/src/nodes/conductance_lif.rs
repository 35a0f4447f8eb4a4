//! Conductance-based leaky integrate-and-fire neurons (Diehl & Cook 2015's
//! neuron model), with an optional adaptive threshold.
//!
//! ```text
//! τ_m  dv/dt  = (v_rest − v) + g_e·(E_exc − v) + g_i·(E_inh − v)
//! τ_ge dg_e/dt = −g_e          τ_gi dg_i/dt = −g_i          τ_θ dθ/dt = −θ
//! spike when v > v_thresh + θ − θ_offset (and not refractory)
//! on a spike: v ← v_reset, θ ← θ + θ₊ (while learning)
//! ```
//!
//! Voltages in mV, times in ms, conductances dimensionless (in units of the
//! leak conductance, the script's `nS` normalisation). Synaptic input is not
//! added to the voltage: input channel 0 (connections with receptor 0, and
//! external input) is added to `g_e`, channel 1 (receptor 1) to `g_i`.
//!
//! # Step (the original Brian 1 script's, reproduced)
//!
//! The authors' script runs Brian 1 with forward Euler at dt = 0.5 ms, and
//! this model integrates exactly that scheme (it is the model's definition
//! at that step; at smaller `dt` it converges to the ODE). Per step:
//!
//! 1. `g_e += input[0]`, `g_i += input[1]` — spikes of the previous step
//!    (after their synaptic delay), as Brian adds them at the end of the
//!    previous step;
//! 2. one Euler step of every variable from the values at the start of the
//!    step: `v ← v + dt/τ_m·(…)`, `g ← g·(1 − dt/τ_g)`, and, while learning,
//!    `θ ← θ·(1 − dt/τ_θ)` (θ is frozen when learning is off, as in the
//!    script's test mode);
//! 3. threshold `v > v_thresh + θ − θ_offset`, only for neurons whose last
//!    spike is at least `refrac` ms ago (Brian 1.4's `next_allowed_spiketime`);
//! 4. spiking neurons: `v ← v_reset`, `θ ← θ + θ₊` while learning;
//! 5. refractory clamp: for `refrac` ms after a spike, *including* the step
//!    at which the neuron may fire again, `v` is held at `v_reset` (Brian
//!    1's `Refractoriness` clamps for `int(refrac/dt) + 1` steps counting
//!    the spike step). Conductances keep integrating input meanwhile.
//!
//! Where inhibition is strong — `dt/τ_m·(1 + g_e + g_i) > 1`, a dozen or
//! more inhibitory spikes in one step — Euler overshoots the step's
//! equilibrium `v_∞ = (v_rest + g_e·E_exc + g_i·E_inh) / (1 + g_e + g_i)`;
//! beyond a factor of 2 it diverges, and beyond about 2.5 the overshoot
//! swings `v` back up through the threshold two steps later. In a network
//! that is a runaway: every neuron fires, its inhibition swings `v` again,
//! and the population fires in lockstep, about once per refractory period
//! (the script's own step at 1600 and 6400 neurons: `docs/performance.md`,
//! "The script's Euler step at 1600 and 6400 neurons"). So where the factor
//! `dt/τ_m·G` exceeds [`ConductanceLifNodes::euler_limit`] (default 1:
//! never past `v_∞`) the step lands on `v_∞` instead — the limit the exact
//! solution approaches. Below the limit the step is the script's Euler
//! step, computed as it always was. A limit of 2 keeps the script's step wherever Euler is stable;
//! `f32::INFINITY` keeps it everywhere, runaway included.
//!
//! θ is accumulated in f64 (its per-step decay is below f32 resolution).
//! Conductances below 1e-30 are flushed to 0 (subnormal floats are very
//! slow; the effect on `v` is below 1e-28 mV).
//!
//! `θ` has no batch dimension: batch rows share it (as in BindsNET).

use super::{BuildContext, NodeCore, NodeModel, Param, Population, Result, StepContext};
use crate::error::{positive, Error};

/// The adaptive threshold of Diehl & Cook's excitatory neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveThreshold {
    /// Increment of θ per spike while learning (mV). Default 0.05.
    pub theta_plus: Param,
    /// Decay time constant of θ while learning (ms). Default 1e7.
    pub tau_theta: Param,
    /// Initial θ (mV). Default 20 (the script's starting value).
    pub theta_init: Param,
    /// Offset subtracted from the threshold (mV): the threshold is
    /// `v_thresh + θ − offset`. Default 20 (the script's `offset`), so a
    /// fresh neuron fires at `v_thresh`.
    pub offset: f32,
}

impl Default for AdaptiveThreshold {
    fn default() -> Self {
        AdaptiveThreshold {
            theta_plus: 0.05.into(),
            tau_theta: 1e7.into(),
            theta_init: 20.0.into(),
            offset: 20.0,
        }
    }
}

/// Conductance-based LIF neurons. [`Default`] is Diehl & Cook's excitatory
/// neuron ([`ConductanceLifNodes::excitatory`]); see
/// [`ConductanceLifNodes::inhibitory`] for their inhibitory one.
#[derive(Debug, Clone, PartialEq)]
pub struct ConductanceLifNodes {
    /// Resting potential (mV). Default −65.
    pub v_rest: Param,
    /// Reset potential (mV). Default −65.
    pub v_reset: Param,
    /// Threshold (mV), before the adaptive part. Default −52.
    pub v_thresh: Param,
    /// Initial voltage (mV), also restored by `reset_state`. Default −105
    /// (`v_rest − 40`, as the script).
    pub v_init: Param,
    /// Refractory period (ms). Default 5.
    pub refrac: Param,
    /// Membrane time constant (ms). Default 100.
    pub tau_m: Param,
    /// Excitatory conductance time constant (ms). Default 1.
    pub tau_ge: Param,
    /// Inhibitory conductance time constant (ms). Default 2.
    pub tau_gi: Param,
    /// Excitatory reversal potential (mV). Default 0.
    pub e_exc: Param,
    /// Inhibitory reversal potential (mV). Default −100.
    pub e_inh: Param,
    /// Adaptive threshold, or `None` for a fixed one. Default: the paper's.
    pub theta: Option<AdaptiveThreshold>,
    /// Largest Euler factor `dt/τ_m·(1 + g_e + g_i)` stepped as the script
    /// does; above it the step lands on the equilibrium `v_∞` (module
    /// docs). At least 1; default 1 (never past `v_∞`), 2 (the script's
    /// step wherever it is stable), `f32::INFINITY` (always the script's,
    /// which runs away under strong inhibition).
    pub euler_limit: f32,
}

impl Default for ConductanceLifNodes {
    fn default() -> Self {
        Self::excitatory()
    }
}

impl ConductanceLifNodes {
    /// Diehl & Cook's excitatory neuron: rest −65, reset −65, threshold
    /// −52 + θ − 20, refractory 5 ms, τ_m 100 ms, E_exc 0, E_inh −100 mV,
    /// τ_ge 1 ms, τ_gi 2 ms, θ₊ 0.05 mV, τ_θ 1e7 ms, θ starting at 20 mV.
    pub fn excitatory() -> Self {
        ConductanceLifNodes {
            v_rest: (-65.0).into(),
            v_reset: (-65.0).into(),
            v_thresh: (-52.0).into(),
            v_init: (-105.0).into(),
            refrac: 5.0.into(),
            tau_m: 100.0.into(),
            tau_ge: 1.0.into(),
            tau_gi: 2.0.into(),
            e_exc: 0.0.into(),
            e_inh: (-100.0).into(),
            theta: Some(AdaptiveThreshold::default()),
            euler_limit: 1.0,
        }
    }

    /// Diehl & Cook's inhibitory neuron: rest −60, reset −45, threshold −40,
    /// initial −100, refractory 2 ms, τ_m 10 ms, E_exc 0, E_inh −85 mV,
    /// τ_ge 1 ms, τ_gi 2 ms, no adaptation.
    pub fn inhibitory() -> Self {
        ConductanceLifNodes {
            v_rest: (-60.0).into(),
            v_reset: (-45.0).into(),
            v_thresh: (-40.0).into(),
            v_init: (-100.0).into(),
            refrac: 2.0.into(),
            tau_m: 10.0.into(),
            tau_ge: 1.0.into(),
            tau_gi: 2.0.into(),
            e_exc: 0.0.into(),
            e_inh: (-85.0).into(),
            theta: None,
            euler_limit: 1.0,
        }
    }
}

/// Euler factor `dt/τ`, checking τ > 0 and the step is stable (`dt ≤ τ`).
fn euler(ctx: &BuildContext<'_>, what: &str, p: &Param) -> Result<Vec<f32>> {
    ctx.expand(what, p)?
        .into_iter()
        .map(|t| {
            positive(ctx.name, what, t)?;
            if ctx.dt > t {
                return Err(Error::param(
                    ctx.name,
                    format!(
                        "{what} = {t} ms is shorter than dt = {} ms (Euler unstable)",
                        ctx.dt
                    ),
                ));
            }
            Ok(ctx.dt / t)
        })
        .collect()
}

impl NodeModel for ConductanceLifNodes {
    fn type_name(&self) -> &'static str {
        "ConductanceLIFNodes"
    }
    /// The parameters of neurons `range` alone (nothing is drawn: a part
    /// of a distributed network steps as the whole population would).
    fn slice(&self, range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        let r = || range.clone();
        Some(Box::new(ConductanceLifNodes {
            v_rest: self.v_rest.slice(r()),
            v_reset: self.v_reset.slice(r()),
            v_thresh: self.v_thresh.slice(r()),
            v_init: self.v_init.slice(r()),
            refrac: self.refrac.slice(r()),
            tau_m: self.tau_m.slice(r()),
            tau_ge: self.tau_ge.slice(r()),
            tau_gi: self.tau_gi.slice(r()),
            e_exc: self.e_exc.slice(r()),
            e_inh: self.e_inh.slice(r()),
            theta: self.theta.as_ref().map(|a| AdaptiveThreshold {
                theta_plus: a.theta_plus.slice(r()),
                tau_theta: a.tau_theta.slice(r()),
                theta_init: a.theta_init.slice(r()),
                offset: a.offset,
            }),
            euler_limit: self.euler_limit,
        }))
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        let core = NodeCore::new(ctx)?;
        let n = core.n();
        let len = ctx.batch * n;
        if self.euler_limit.is_nan() || self.euler_limit < 1.0 {
            return Err(Error::param(
                ctx.name,
                format!("euler_limit must be ≥ 1, got {}", self.euler_limit),
            ));
        }
        let refrac = ctx.expand("refrac", &self.refrac)?;
        if let Some(r) = refrac.iter().find(|r| **r < 0.0) {
            return Err(Error::param(
                ctx.name,
                format!("refrac must be ≥ 0, got {r}"),
            ));
        }
        let (theta_plus, theta_k, theta_init, offset) = match &self.theta {
            Some(a) => {
                if !a.offset.is_finite() {
                    return Err(Error::param(ctx.name, "theta offset must be finite"));
                }
                (
                    ctx.expand("theta_plus", &a.theta_plus)?,
                    euler(ctx, "tau_theta", &a.tau_theta)?,
                    ctx.expand("theta_init", &a.theta_init)?,
                    a.offset,
                )
            }
            None => (vec![0.0; n], vec![0.0; n], vec![0.0; n], 0.0),
        };
        let mut p = ConductancePopulation {
            v_rest: ctx.expand("v_rest", &self.v_rest)?,
            v_reset: ctx.expand("v_reset", &self.v_reset)?,
            v_thresh: ctx.expand("v_thresh", &self.v_thresh)?,
            v_init: ctx.expand("v_init", &self.v_init)?,
            // Refractory length in steps, as Brian (rounded to the grid).
            refrac_steps: refrac.iter().map(|r| (r / ctx.dt).round()).collect(),
            k_m: euler(ctx, "tau_m", &self.tau_m)?,
            k_ge: euler(ctx, "tau_ge", &self.tau_ge)?,
            k_gi: euler(ctx, "tau_gi", &self.tau_gi)?,
            e_exc: ctx.expand("e_exc", &self.e_exc)?,
            e_inh: ctx.expand("e_inh", &self.e_inh)?,
            adaptive: self.theta.is_some(),
            euler_limit: self.euler_limit,
            theta_plus,
            theta_k,
            offset,
            theta64: theta_init.iter().map(|&t| f64::from(t)).collect(),
            theta_low: vec![0.0; 2 * n],
            theta_set: false,
            theta: theta_init,
            v: vec![0.0; len],
            ge: vec![0.0; len],
            gi: vec![0.0; len],
            since_spike: vec![0.0; len],
            uniform: false,
            core,
        };
        let same = |v: &[f32]| v.iter().all(|x| x.to_bits() == v[0].to_bits());
        p.uniform = [
            &p.v_rest,
            &p.v_reset,
            &p.v_thresh,
            &p.k_m,
            &p.k_ge,
            &p.k_gi,
            &p.e_exc,
            &p.e_inh,
            &p.refrac_steps,
        ]
        .iter()
        .all(|v| same(v));
        p.reset_state();
        Ok(Box::new(p))
    }
}

/// Steps since the last spike saturate here ("never spiked").
const LONG_AGO: f32 = 1e6;

/// Conductances below this are set to 0: a conductance decaying without
/// input (halving every step with τ_ge = 1 ms at dt = 0.5 ms) would
/// otherwise enter the subnormal range, where float arithmetic is ~100×
/// slower. Its effect on `v` is below 1e-28 mV per step.
const TINY: f32 = 1e-30;

#[inline]
fn flush(g: f32) -> f32 {
    if g.abs() < TINY {
        0.0
    } else {
        g
    }
}

/// [`Population::quiet`]: conductances at most this large move `v` by
/// less than `k_m·|E − v|·g/k_g` ≈ 10⁻⁶ mV over all the steps to come,
/// which the closed form of [`Population::relax`] leaves out…
const QUIET_G: f32 = 1e-6;
/// …and `v` (and `v_rest`, where it relaxes to) at least this far below
/// the threshold, so that no neuron can reach it.
const QUIET_MARGIN_MV: f32 = 1e-3;

/// Neurons above which one batch row's update is split over the pool's
/// threads. The paper model's 6,400 stay below: their kernel takes ~3 µs a
/// step, less than a region costs (`docs/performance.md`, "Per-step regions
/// at 6400 neurons").
const PAR_MIN_NEURONS: usize = 1 << 15;

/// A neuron parameter as the kernel reads it: one value per neuron, or
/// one value for all (read once, not streamed from memory per neuron).
trait Per: Copy + Sync {
    /// Neuron `j` of the block.
    fn at(self, j: usize) -> f32;
    /// The block `r` (of length `n`).
    fn part(self, r: std::ops::Range<usize>, n: usize) -> Self;
}

impl Per for f32 {
    #[inline]
    fn at(self, _: usize) -> f32 {
        self
    }
    #[inline]
    fn part(self, _: std::ops::Range<usize>, _: usize) -> Self {
        self
    }
}

impl Per for &[f32] {
    #[inline]
    fn at(self, j: usize) -> f32 {
        self[j]
    }
    #[inline]
    fn part(self, r: std::ops::Range<usize>, n: usize) -> Self {
        &self[r][..n]
    }
}

/// A population's neuron parameters for [`kernel`] (θ is always per
/// neuron).
#[derive(Clone, Copy)]
struct Params<'a, P: Per> {
    v_rest: P,
    v_reset: P,
    v_thresh: P,
    k_m: P,
    k_ge: P,
    k_gi: P,
    e_exc: P,
    e_inh: P,
    refrac: P,
    theta: &'a [f32],
    offset: f32,
    euler_limit: f32,
}

/// One step of the neurons `first..first + len` of one batch row: `rows`
/// holds their `v`, `g_e`, `g_i`, steps since the last spike and spikes
/// (`len` each); `ie`, `ii` the whole row's input.
#[inline]
fn kernel<P: Per>(
    p: &Params<'_, P>,
    first: usize,
    rows: &mut [&mut [f32]],
    ie: &[f32],
    ii: &[f32],
) {
    let [vv, gev, giv, sincev, s] = rows else {
        return;
    };
    let n = vv.len();
    let r = first..first + n;
    // Every slice re-cut to `n` so that the compiler sees equal lengths
    // (no bounds checks in the loop, which vectorises; spikes are collected
    // in a second pass).
    let (vv, gev, giv) = (&mut vv[..n], &mut gev[..n], &mut giv[..n]);
    let (sincev, s) = (&mut sincev[..n], &mut s[..n]);
    let (ie, ii) = (&ie[r.clone()][..n], &ii[r.clone()][..n]);
    let part = |x: P| x.part(r.clone(), n);
    let (v_rest, v_reset, v_thresh) = (part(p.v_rest), part(p.v_reset), part(p.v_thresh));
    let (k_m, k_ge, k_gi) = (part(p.k_m), part(p.k_ge), part(p.k_gi));
    let (e_exc, e_inh, refrac) = (part(p.e_exc), part(p.e_inh), part(p.refrac));
    let theta = &p.theta[r][..n];
    let (offset, euler_limit) = (p.offset, p.euler_limit);
    for j in 0..n {
        let ge = gev[j] + ie[j];
        let gi = giv[j] + ii[j];
        let v0 = vv[j];
        let dv = (v_rest.at(j) - v0) + ge * (e_exc.at(j) - v0) + gi * (e_inh.at(j) - v0);
        // dv = G·(v_∞ − v0): Euler overshoots v_∞ when k_m·G > 1 and
        // diverges past 2 (module docs); above the limit the step lands on v_∞.
        let g = 1.0 + ge + gi;
        let v_inf = (v_rest.at(j) + ge * e_exc.at(j) + gi * e_inh.at(j)) / g;
        let v = if k_m.at(j) * g > euler_limit {
            v_inf
        } else {
            v0 + k_m.at(j) * dv
        };
        gev[j] = flush(ge - ge * k_ge.at(j));
        giv[j] = flush(gi - gi * k_gi.at(j));
        let since = (sincev[j] + 1.0).min(LONG_AGO);
        // `&`, not `&&`: no branch in the loop body (it vectorises
        // where the target has blend instructions, .cargo/config.toml).
        let fire = (since >= refrac.at(j)) & (v > v_thresh.at(j) + theta[j] - offset);
        let since = if fire { 0.0 } else { since };
        vv[j] = if since <= refrac.at(j) {
            v_reset.at(j)
        } else {
            v
        };
        sincev[j] = since;
        s[j] = if fire { 1.0 } else { 0.0 };
    }
}

#[derive(Debug, Clone)]
struct ConductancePopulation {
    core: NodeCore,
    v_rest: Vec<f32>,
    v_reset: Vec<f32>,
    v_thresh: Vec<f32>,
    v_init: Vec<f32>,
    refrac_steps: Vec<f32>,
    k_m: Vec<f32>,
    k_ge: Vec<f32>,
    k_gi: Vec<f32>,
    e_exc: Vec<f32>,
    e_inh: Vec<f32>,
    adaptive: bool,
    euler_limit: f32,
    theta_plus: Vec<f32>,
    theta_k: Vec<f32>,
    offset: f32,
    theta: Vec<f32>,
    /// θ kept in f64: its decay per step (θ·dt/τ_θ ≈ 2.5e-6 mV at 50 mV)
    /// is below half an f32 ulp of θ, so in f32 it would round to 0 or to
    /// a whole ulp. `theta` is its f32 image.
    theta64: Vec<f64>,
    /// What `theta` leaves out of `theta64`, as two f32 rows `[2 × n]`
    /// (`θ64 = θ + low₀ + low₁` exactly), so that a snapshot (all f32)
    /// restores θ to the bit; re-read with `theta` when either was set
    /// from outside.
    theta_low: Vec<f32>,
    /// Whether `theta` or `theta_low` was handed out to be written (a
    /// restore, a user): `theta64` is then joined from them again before
    /// θ next moves.
    theta_set: bool,
    v: Vec<f32>,
    ge: Vec<f32>,
    gi: Vec<f32>,
    /// Whole steps since the last spike (saturating at `LONG_AGO`).
    since_spike: Vec<f32>,
    /// Whether every neuron has the same parameters (θ aside), bit for bit.
    uniform: bool,
}

impl Population for ConductancePopulation {
    fn core(&self) -> &NodeCore {
        &self.core
    }
    fn core_mut(&mut self) -> &mut NodeCore {
        &mut self.core
    }
    fn variable(&self, name: &str) -> Option<&[f32]> {
        Some(match name {
            "v" => &self.v,
            "ge" => &self.ge,
            "gi" => &self.gi,
            "theta" => &self.theta,
            "theta_low" => &self.theta_low,
            "since_spike" => &self.since_spike,
            _ => return None,
        })
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        Some(match name {
            "v" => &mut self.v,
            "ge" => &mut self.ge,
            "gi" => &mut self.gi,
            "theta" | "theta_low" => {
                self.theta_set = true;
                if name == "theta" {
                    &mut self.theta
                } else {
                    &mut self.theta_low
                }
            }
            "since_spike" => &mut self.since_spike,
            _ => return None,
        })
    }
    fn variable_names(&self) -> &'static [&'static str] {
        &["v", "ge", "gi", "theta", "theta_low", "since_spike"]
    }
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v, ge, gi, since_spike)
    }
    fn type_name(&self) -> &'static str {
        "ConductanceLIFNodes"
    }
    fn input_channels(&self) -> usize {
        2
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let len = self.core.batch() * n;
        let (in_e, in_i) = input.split_at(len);
        let learn_theta = self.adaptive && ctx.learning;
        if learn_theta {
            self.rejoin_theta();
            let (low0, low1) = self.theta_low.split_at_mut(n);
            for ((((t, t64), k), l0), l1) in self
                .theta
                .iter_mut()
                .zip(&mut self.theta64)
                .zip(&self.theta_k)
                .zip(low0.iter_mut())
                .zip(low1.iter_mut())
            {
                *t64 -= *t64 * f64::from(*k);
                (*t, *l0, *l1) = split_theta(*t64);
            }
        }
        let par = Params {
            v_rest: &self.v_rest[..n],
            v_reset: &self.v_reset[..n],
            v_thresh: &self.v_thresh[..n],
            k_m: &self.k_m[..n],
            k_ge: &self.k_ge[..n],
            k_gi: &self.k_gi[..n],
            e_exc: &self.e_exc[..n],
            e_inh: &self.e_inh[..n],
            refrac: &self.refrac_steps[..n],
            theta: &self.theta[..n],
            offset: self.offset,
            euler_limit: self.euler_limit,
        };
        // The same parameters for every neuron (the paper's populations):
        // scalars, so that the kernel streams 9 arrays fewer.
        let one = |v: &[f32]| v[0];
        let uniform = self.uniform.then(|| Params {
            v_rest: one(par.v_rest),
            v_reset: one(par.v_reset),
            v_thresh: one(par.v_thresh),
            k_m: one(par.k_m),
            k_ge: one(par.k_ge),
            k_gi: one(par.k_gi),
            e_exc: one(par.e_exc),
            e_inh: one(par.e_inh),
            refrac: one(par.refrac),
            theta: par.theta,
            offset: par.offset,
            euler_limit: par.euler_limit,
        });
        let split = self.core.batch() == 1 && crate::parallel::worth(n, PAR_MIN_NEURONS);
        for b in 0..self.core.batch() {
            let r = b * n..(b + 1) * n;
            let (s, _) = self.core.spikes.row_mut(b);
            let mut rows = [
                &mut self.v[r.clone()][..n],
                &mut self.ge[r.clone()][..n],
                &mut self.gi[r.clone()][..n],
                &mut self.since_spike[r.clone()][..n],
                &mut s[..n],
            ];
            let (ie, ii) = (&in_e[r.clone()][..n], &in_i[r][..n]);
            let run = |rows: &mut [&mut [f32]], first: usize| match &uniform {
                Some(u) => kernel(u, first, rows, ie, ii),
                None => kernel(&par, first, rows, ie, ii),
            };
            if split {
                // Blocks of neurons on the pool's threads (each neuron's
                // update is the same whichever block it is in).
                crate::parallel::for_column_blocks(rows.into(), n, &run);
            } else {
                run(&mut rows, 0);
            }
            let (s, active) = self.core.spikes.row_mut(b);
            crate::spikes::collect_active(s, active);
        }
        if learn_theta {
            for b in 0..self.core.batch() {
                for &j in self.core.spikes.active(b) {
                    let j = j as usize;
                    self.theta64[j] += f64::from(self.theta_plus[j]);
                    store_theta(&mut self.theta, &mut self.theta_low, j, self.theta64[j]);
                }
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(&input[..len]);
    }
    fn quiet(&self, steps: usize, learning: bool) -> bool {
        let n = self.core.n();
        // While learning θ decays towards 0 (`θ·(1 − k_θ)^m` after m
        // steps), and the threshold with it: check against its lowest.
        let learn_theta = self.adaptive && learning;
        let mut theta_decay = DecayPow::new(steps);
        let mut lowest_theta = |j: usize| {
            let t = self.theta[j];
            if learn_theta {
                let end = (f64::from(t) * theta_decay.of(self.theta_k[j])) as f32;
                t.min(end)
            } else {
                t
            }
        };
        (0..self.v.len()).all(|k| {
            let j = k % n;
            let threshold = self.v_thresh[j] + lowest_theta(j) - self.offset - QUIET_MARGIN_MV;
            self.since_spike[k] > self.refrac_steps[j]
                && self.ge[k].abs() <= QUIET_G
                && self.gi[k].abs() <= QUIET_G
                && self.v[k].max(self.v_rest[j]) < threshold
        })
    }
    fn relax(&mut self, steps: usize, learning: bool) {
        // Without conductances the Euler step is v ← v + k_m·(v_rest − v):
        // after m steps v_rest + (v − v_rest)·(1 − k_m)^m.
        let m = steps as f64;
        let n = self.core.n();
        if self.adaptive && learning {
            // θ ← θ·(1 − k_θ) per step, in f64 as the step does.
            self.rejoin_theta();
            let mut theta_decay = DecayPow::new(steps);
            for j in 0..n {
                self.theta64[j] *= theta_decay.of(self.theta_k[j]);
                store_theta(&mut self.theta, &mut self.theta_low, j, self.theta64[j]);
            }
        }
        let (mut d_m, mut d_ge, mut d_gi) = (
            DecayPow::new(steps),
            DecayPow::new(steps),
            DecayPow::new(steps),
        );
        for k in 0..self.v.len() {
            let j = k % n;
            let rest = f64::from(self.v_rest[j]);
            self.v[k] = (rest + (f64::from(self.v[k]) - rest) * d_m.of(self.k_m[j])) as f32;
            self.ge[k] = flush((f64::from(self.ge[k]) * d_ge.of(self.k_ge[j])) as f32);
            self.gi[k] = flush((f64::from(self.gi[k]) * d_gi.of(self.k_gi[j])) as f32);
            self.since_spike[k] =
                (f64::from(self.since_spike[k]) + m).min(f64::from(LONG_AGO)) as f32;
        }
        self.core.relax_trace(steps);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        let n = self.core.n();
        for (k, v) in self.v.iter_mut().enumerate() {
            *v = self.v_init[k % n];
        }
        self.ge.fill(0.0);
        self.gi.fill(0.0);
        self.since_spike.fill(LONG_AGO);
    }
}

/// `(1 − k)^m`, what `m` steps of `x ← x − x·k` (or `x·(1 − k)`) multiply
/// `x` by, in f64 — remembered for the last `k` asked: a population's
/// neurons mostly share their parameters, so a relax costs one `powf` per
/// parameter, not one per neuron.
struct DecayPow {
    m: f64,
    last: (u32, f64),
}

impl DecayPow {
    fn new(m: usize) -> Self {
        DecayPow {
            m: m as f64,
            last: (f32::NAN.to_bits(), f64::NAN),
        }
    }

    fn of(&mut self, k: f32) -> f64 {
        if k.to_bits() != self.last.0 {
            self.last = (k.to_bits(), (1.0 - f64::from(k)).powf(self.m));
        }
        self.last.1
    }
}

impl ConductancePopulation {
    /// Joins `theta64` from `theta` and `theta_low` again if either was
    /// set from outside (θ alone written: low₀, low₁ are its old rest).
    fn rejoin_theta(&mut self) {
        if std::mem::take(&mut self.theta_set) {
            let n = self.core.n();
            let (low0, low1) = self.theta_low.split_at(n);
            for (((t, t64), l0), l1) in self.theta.iter().zip(&mut self.theta64).zip(low0).zip(low1)
            {
                *t64 = join_theta(*t, *l0, *l1);
            }
        }
    }
}

/// θ as three f32 that sum to it exactly: its f32 image and two more
/// (24 + 24 + 24 bits cover f64's 53).
fn split_theta(t64: f64) -> (f32, f32, f32) {
    let t = t64 as f32;
    let rest = t64 - f64::from(t);
    let l0 = rest as f32;
    (t, l0, (rest - f64::from(l0)) as f32)
}

/// Stores neuron `j`'s θ (`t64`) as its f32 image in `theta` and the rest
/// in the two rows of `theta_low` (`[2 × n]`, n = `theta.len()`).
fn store_theta(theta: &mut [f32], theta_low: &mut [f32], j: usize, t64: f64) {
    let n = theta.len();
    let (t, l0, l1) = split_theta(t64);
    theta[j] = t;
    theta_low[j] = l0;
    theta_low[n + j] = l1;
}

/// The θ of [`split_theta`]'s three parts.
fn join_theta(t: f32, l0: f32, l1: f32) -> f64 {
    f64::from(t) + f64::from(l0) + f64::from(l1)
}

#[cfg(test)]
mod tests {
    use crate::nodes::NodeOptions;
    use crate::prelude::*;

    fn single(model: ConductanceLifNodes, dt: f32) -> Network {
        let mut b = Network::builder().dt(dt);
        b.add_population("N", &[1], model, NodeOptions::default());
        b.build().unwrap()
    }

    fn get(net: &Network, var: &str) -> f32 {
        net.population("N").unwrap().variable(var).unwrap()[0]
    }

    /// Holds `g_e`, `g_i` at the given values at the start of every step.
    fn drive(net: &mut Network, ge: f32, gi: f32, steps: usize) {
        for _ in 0..steps {
            let p = net.population_mut("N").unwrap();
            p.variable_mut("ge").unwrap()[0] = ge;
            p.variable_mut("gi").unwrap()[0] = gi;
            net.run(&[], 1, &RunOptions::default()).unwrap();
        }
    }

    #[test]
    fn constant_conductance_reaches_analytic_steady_state() {
        // No threshold in reach: v* = (v_rest + ge·E_e + gi·E_i)/(1 + ge + gi).
        let model = ConductanceLifNodes {
            v_thresh: 100.0.into(),
            theta: None,
            ..ConductanceLifNodes::excitatory()
        };
        let mut net = single(model, 0.5);
        let (ge, gi) = (0.1f32, 0.05f32);
        drive(&mut net, ge, gi, 4000);
        let want = (-65.0 + ge * 0.0 + gi * -100.0) / (1.0 + ge + gi);
        let v = get(&net, "v");
        assert!((v - want).abs() < 1e-3, "v = {v}, analytic {want}");
    }

    #[test]
    fn euler_step_matches_hand_computation() {
        let model = ConductanceLifNodes {
            theta: None,
            ..ConductanceLifNodes::excitatory()
        };
        let mut net = single(model, 0.5);
        // One input of 2 on g_e at step 0.
        let x = Tensor::new(vec![1, 1, 1], vec![2.0]).unwrap();
        net.run(&[("N", &x)], 1, &RunOptions::default()).unwrap();
        // v = −105 + 0.005·((−65 + 105) + 2·(0 + 105)) = −103.75; g_e = 2·(1 − 0.5).
        assert!((get(&net, "v") + 103.75).abs() < 1e-4);
        assert!((get(&net, "ge") - 1.0).abs() < 1e-6);
    }

    #[test]
    fn refractory_blocks_spikes_and_clamps_voltage() {
        // Inhibitory neuron (refrac 2 ms = 4 steps at 0.5 ms), driven hard.
        let mut net = single(ConductanceLifNodes::inhibitory(), 0.5);
        net.add_monitor("m", MonitorSpec::new("N", &["s", "v"]))
            .unwrap();
        drive(&mut net, 5.0, 0.0, 30);
        let m = net.monitor("m").unwrap();
        let s = m.get("s").unwrap().into_data();
        let v = m.get("v").unwrap().into_data();
        let times: Vec<usize> = (0..s.len()).filter(|&t| s[t] == 1.0).collect();
        assert!(times.len() >= 3, "spikes at {times:?}");
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= 4, "refractory violated: {times:?}");
        }
        // Clamped at reset for the spike step and the next 4 steps unless
        // it fired again at the 4th.
        let t0 = times[0];
        for k in t0..=t0 + 4 {
            assert_eq!(v[k], -45.0, "step {k}");
        }
    }

    #[test]
    fn theta_grows_per_spike_only_while_learning_and_raises_threshold() {
        let mut net = single(ConductanceLifNodes::excitatory(), 0.5);
        drive(&mut net, 1.0, 0.0, 400);
        let spikes_theta = get(&net, "theta");
        assert!(spikes_theta > 20.0, "theta {spikes_theta}");
        // Each spike adds 0.05 (decay over 200 ms with τ 1e7 is ~2e-5).
        let k = ((spikes_theta - 20.0) / 0.05).round();
        assert!(((spikes_theta - 20.0) - 0.05 * k).abs() < 1e-3);
        net.set_learning(false);
        drive(&mut net, 1.0, 0.0, 400);
        assert_eq!(get(&net, "theta"), spikes_theta);
    }

    #[test]
    fn inhibitory_channel_hyperpolarises() {
        let mut b = Network::builder().dt(0.5);
        b.add_population("X", &[1], Input, NodeOptions::default());
        b.add_population(
            "N",
            &[1],
            ConductanceLifNodes {
                v_init: (-65.0).into(),
                ..ConductanceLifNodes::excitatory()
            },
            NodeOptions::default(),
        );
        b.connect(Connect::new("X", "N", Dense::with_weights(vec![1.0])).receptor(1));
        let mut net = b.build().unwrap();
        let x = Tensor::new(vec![2, 1, 1], vec![1.0, 0.0]).unwrap();
        net.run(&[("X", &x)], 2, &RunOptions::default()).unwrap();
        assert!(get(&net, "v") < -65.0);
        assert!(get(&net, "gi") > 0.0);
        assert_eq!(get(&net, "ge"), 0.0);
    }

    /// Per-neuron parameters (the kernel's slice path) give each neuron
    /// the bits it gets alone with the same values as scalars (the scalar
    /// path).
    #[test]
    fn per_neuron_parameters_equal_the_scalar_ones_neuron_by_neuron() {
        use crate::nodes::Param;
        let (thresh, tau_m, refrac) = ([-52.0f32, -55.0], [100.0f32, 20.0], [5.0f32, 2.0]);
        let run = |model: ConductanceLifNodes, n: usize| {
            let mut b = Network::builder().dt(0.5);
            b.add_population("N", &[n], model, NodeOptions::default());
            let mut net = b.build().unwrap();
            net.add_monitor("m", MonitorSpec::new("N", &["s", "v", "ge"]))
                .unwrap();
            let steps = 400;
            let x: Vec<f32> = (0..steps * n)
                .map(|k| if (k / n) % 2 == 0 { 1.5 } else { 0.0 })
                .collect();
            let x = Tensor::new(vec![steps, 1, n], x).unwrap();
            net.run(&[("N", &x)], steps, &RunOptions::default())
                .unwrap();
            let m = net.monitor("m").unwrap();
            ["s", "v", "ge"].map(|v| m.get(v).unwrap().into_data())
        };
        let both = run(
            ConductanceLifNodes {
                v_thresh: Param::PerNeuron(thresh.to_vec()),
                tau_m: Param::PerNeuron(tau_m.to_vec()),
                refrac: Param::PerNeuron(refrac.to_vec()),
                ..ConductanceLifNodes::excitatory()
            },
            2,
        );
        for k in 0..2 {
            let alone = run(
                ConductanceLifNodes {
                    v_thresh: thresh[k].into(),
                    tau_m: tau_m[k].into(),
                    refrac: refrac[k].into(),
                    ..ConductanceLifNodes::excitatory()
                },
                1,
            );
            for (a, b) in alone.iter().zip(&both) {
                let mine: Vec<u32> = b.iter().skip(k).step_by(2).map(|x| x.to_bits()).collect();
                let want: Vec<u32> = a.iter().map(|x| x.to_bits()).collect();
                assert_eq!(mine, want, "neuron {k}");
            }
            assert!(alone[0].iter().sum::<f32>() > 0.0, "neuron {k} must spike");
        }
    }

    /// An excitatory neuron at rest (−65 mV) with `euler_limit`, hit by
    /// `g_i` for one step and then left alone for `free` steps: its spikes
    /// and voltages, step by step.
    fn after_inhibition(limit: f32, gi: f32, free: usize) -> (Vec<f32>, Vec<f32>) {
        let model = ConductanceLifNodes {
            v_init: (-65.0).into(),
            euler_limit: limit,
            ..ConductanceLifNodes::excitatory()
        };
        let mut net = single(model, 0.5);
        net.add_monitor("m", MonitorSpec::new("N", &["s", "v"]))
            .unwrap();
        drive(&mut net, 0.0, gi, 1);
        net.run(&[], free, &RunOptions::default()).unwrap();
        let m = net.monitor("m").unwrap();
        let data = |var: &str| m.get(var).unwrap().into_data();
        (data("s"), data("v"))
    }

    #[test]
    fn huge_inhibition_does_not_overshoot_into_a_spike() {
        // 60 inhibitory spikes at once (g_i = 1020): Euler alone would take v
        // to −65 + 0.005·1020·(−35) ≈ −244 mV, then back up past threshold
        // (≈ +306 mV) the next step. The limited step lands on v_∞ instead.
        let (s, v) = after_inhibition(1.0, 1020.0, 40);
        assert_eq!(s.iter().sum::<f32>(), 0.0);
        assert!(v.iter().all(|&v| (-100.0..=-64.0).contains(&v)), "{v:?}");
    }

    #[test]
    fn euler_limit_two_keeps_the_scripts_overshooting_but_stable_step() {
        // g_i = 299: factor 0.005·(1 + 299) = 1.5, past 1, below 2. From
        // v = −65: Euler gives −65 + 0.005·299·(−100 + 65) = −117.325 mV,
        // past v_∞ = (−65 + 299·−100)/300 = −99.883 mV.
        let step = |limit: f32| {
            let model = ConductanceLifNodes {
                v_init: (-65.0).into(),
                euler_limit: limit,
                ..ConductanceLifNodes::excitatory()
            };
            let mut net = single(model, 0.5);
            drive(&mut net, 0.0, 299.0, 1);
            get(&net, "v")
        };
        let v_inf = (-65.0 + 299.0 * -100.0) / 300.0;
        assert!((step(1.0) - v_inf).abs() < 1e-4, "{}", step(1.0));
        assert!((step(2.0) + 117.325).abs() < 1e-3, "{}", step(2.0));
        assert_eq!(step(2.0), step(f32::INFINITY));
    }

    #[test]
    fn unlimited_euler_swings_back_up_into_a_spike() {
        // The script's own step under 60 inhibitory spikes (g_i = 1020,
        // factor 5.1): −65 → −243.5 mV, then, g_i down to 765 (factor
        // 3.8), back up to ≈ +306 mV — a spike the inhibition caused.
        let (s, v) = after_inhibition(f32::INFINITY, 1020.0, 3);
        assert!((v[0] + 243.5).abs() < 1e-3, "{v:?}");
        assert_eq!(s[1], 1.0, "{v:?}");
    }

    #[test]
    fn euler_limit_below_one_or_nan_is_refused() {
        for limit in [0.5, 0.0, -1.0, f32::NAN] {
            let model = ConductanceLifNodes {
                euler_limit: limit,
                ..ConductanceLifNodes::excitatory()
            };
            let mut b = Network::builder().dt(0.5);
            b.add_population("N", &[1], model, NodeOptions::default());
            let Err(err) = b.build() else {
                panic!("euler_limit {limit} must be refused");
            };
            let err = err.to_string();
            assert!(err.contains("euler_limit must be ≥ 1"), "{err}");
        }
    }

    #[test]
    fn huge_inhibition_below_the_reversal_potential_does_not_spike() {
        // The 1600-neuron runaway: v starts at v_init = −105 mV, below
        // E_inh = −100, and ~150 inhibitory spikes arrive (g_i = 2500). Euler
        // would add 0.005·2500·5 ≈ 63 mV in one step, up past the threshold
        // (−52 mV); v must instead rise monotonically towards E_inh.
        let mut net = single(ConductanceLifNodes::excitatory(), 0.5);
        net.add_monitor("m", MonitorSpec::new("N", &["s", "v"]))
            .unwrap();
        drive(&mut net, 0.0, 2500.0, 1);
        net.run(&[], 40, &RunOptions::default()).unwrap();
        let m = net.monitor("m").unwrap();
        assert_eq!(m.get("s").unwrap().into_data().iter().sum::<f32>(), 0.0);
        let v = m.get("v").unwrap().into_data();
        assert!(v.windows(2).all(|w| w[1] >= w[0]), "{v:?}");
        assert!(v.iter().all(|&v| (-105.0..=-65.0).contains(&v)), "{v:?}");
    }
}
