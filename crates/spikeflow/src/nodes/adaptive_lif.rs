//! `AdaptiveLIFNodes` and `DiehlAndCookNodes`: LIF with an adaptive threshold.
//!
//! ```text
//! v ← rest + (v − rest)·exp(−dt/tc_decay);  if learning: θ ← θ·exp(−dt/tc_theta_decay)
//! v ← v + [r ≤ 0]·input;  r ← r − dt;  s ← v ≥ thresh + θ
//! where s: r ← refrac, v ← reset
//! if learning: θ ← θ + theta_plus · Σ_batch s
//! ```
//! `θ` has no batch dimension: batch rows share (and jointly grow) it, as in
//! BindsNET. `DiehlAndCookNodes` adds `one_spike`: when a batch row has
//! several spikes, one is kept, chosen uniformly at random with the
//! network's seeded generator, after all crossing neurons were reset and
//! counted in θ (BindsNET's order).

use super::lif::{LifNodes, LifVectors};
use super::{
    apply_lbound, check_lbound, BuildContext, NodeCore, NodeModel, Param, Population, Result,
    StepContext,
};
use crate::error::positive;
use crate::rng::Rng;
use rayon::prelude::*;

/// Spreads row indices over the key space of one-spike draws (2⁶⁴/φ, odd).
const ROW_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// BindsNET's `AdaptiveLIFNodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveLifNodes {
    /// The LIF parameters (same defaults).
    pub lif: LifNodes,
    /// Threshold increment per spike (mV). Default 0.05.
    pub theta_plus: Param,
    /// Threshold decay time constant (ms). Default 1e7.
    pub tc_theta_decay: Param,
}

impl Default for AdaptiveLifNodes {
    fn default() -> Self {
        AdaptiveLifNodes {
            lif: LifNodes::default(),
            theta_plus: 0.05.into(),
            tc_theta_decay: 1e7.into(),
        }
    }
}

/// BindsNET's `DiehlAndCookNodes`: adaptive LIF with at most one spike per
/// batch row and step.
#[derive(Debug, Clone, PartialEq)]
pub struct DiehlAndCookNodes {
    /// The adaptive-LIF parameters (same defaults).
    pub adaptive: AdaptiveLifNodes,
    /// Keep at most one spike per batch row and step. Default true.
    pub one_spike: bool,
}

impl Default for DiehlAndCookNodes {
    fn default() -> Self {
        DiehlAndCookNodes {
            adaptive: AdaptiveLifNodes::default(),
            one_spike: true,
        }
    }
}

impl AdaptiveLifNodes {
    fn build_with(
        &self,
        ctx: &mut BuildContext<'_>,
        type_name: &'static str,
        one_spike: bool,
    ) -> Result<Box<dyn Population>> {
        check_lbound(ctx.name, self.lif.lbound)?;
        let core = NodeCore::new(ctx)?;
        let n = core.n();
        let len = ctx.batch * n;
        let theta_plus = ctx.expand("theta_plus", &self.theta_plus)?;
        let taus = ctx.expand("tc_theta_decay", &self.tc_theta_decay)?;
        for &t in &taus {
            positive(ctx.name, "tc_theta_decay", t)?;
        }
        let mut p = AdaptivePopulation {
            type_name,
            p: LifVectors::new(ctx, &self.lif)?,
            theta_plus,
            theta_decay: ctx.decay("tc_theta_decay", &self.tc_theta_decay)?,
            lbound: self.lif.lbound,
            one_spike,
            v: vec![0.0; len],
            refrac_count: vec![0.0; len],
            theta: vec![0.0; n],
            counts: vec![0; n],
            core,
        };
        p.reset_state();
        Ok(Box::new(p))
    }
}

impl NodeModel for AdaptiveLifNodes {
    fn type_name(&self) -> &'static str {
        "AdaptiveLIFNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        self.build_with(ctx, "AdaptiveLIFNodes", false)
    }
}

impl NodeModel for DiehlAndCookNodes {
    fn type_name(&self) -> &'static str {
        "DiehlAndCookNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        self.adaptive
            .build_with(ctx, "DiehlAndCookNodes", self.one_spike)
    }
}

#[derive(Debug, Clone)]
struct AdaptivePopulation {
    type_name: &'static str,
    core: NodeCore,
    p: LifVectors,
    theta_plus: Vec<f32>,
    theta_decay: Vec<f32>,
    lbound: Option<f32>,
    one_spike: bool,
    v: Vec<f32>,
    refrac_count: Vec<f32>,
    theta: Vec<f32>,
    /// Scratch: threshold crossings per neuron over the batch this step
    /// (back to zero between steps).
    counts: Vec<u32>,
}

impl Population for AdaptivePopulation {
    population_accessors!("v" => v, "refrac_count" => refrac_count, "theta" => theta);
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v, refrac_count)
    }
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let p = &self.p;
        if ctx.learning {
            for (t, d) in self.theta.iter_mut().zip(&self.theta_decay) {
                *t *= d;
            }
        }
        let dt = ctx.dt;
        let batch = self.core.batch();
        let (lbound, theta) = (self.lbound, &self.theta);
        let parallel = super::parallel_rows(batch, n);
        let (vals, lists) = self.core.spikes.parts_mut();
        let (vs, rcs, inps) = (
            &mut self.v[..],
            &mut self.refrac_count[..],
            &input[..batch * n],
        );
        // `move`: the scalars are copied in, so LLVM need not reload them
        // after every store (it cannot tell a captured `&dt` from the
        // arrays), and the loop vectorises.
        let kernel = move |((s, active), ((v, rc), inp)): KernelRow<'_>| {
            active.clear();
            // Every slice re-cut to length n (no bounds checks) and
            // branch-free (selects), so the loop vectorises; the spike list
            // is collected afterwards.
            let (rest, decay, thresh) = (&p.rest[..n], &p.decay[..n], &p.thresh[..n]);
            let (refrac, reset, theta) = (&p.refrac[..n], &p.reset[..n], &theta[..n]);
            let (s, v, rc, inp) = (&mut s[..n], &mut v[..n], &mut rc[..n], &inp[..n]);
            for j in 0..n {
                // Every array read unconditionally: a select on a loaded
                // value would become a masked load (`vmaskmovps`, slow on
                // AMD cores).
                let (rest, r, x) = (rest[j], rc[j], inp[j]);
                let (refrac, reset) = (refrac[j], reset[j]);
                let vd = (v[j] - rest) * decay[j] + rest;
                let vn = if r <= 0.0 { vd + x } else { vd };
                let fire = vn >= thresh[j] + theta[j];
                rc[j] = if fire { refrac } else { r - dt };
                v[j] = if fire { reset } else { vn };
                s[j] = if fire { 1.0 } else { 0.0 };
            }
            if lbound.is_some() {
                for x in v.iter_mut() {
                    *x = apply_lbound(*x, lbound);
                }
            }
            crate::spikes::collect_active(s, active);
        };
        if parallel {
            vals.par_chunks_mut(n)
                .zip(lists.par_iter_mut())
                .zip(
                    vs.par_chunks_mut(n)
                        .zip(rcs.par_chunks_mut(n))
                        .zip(inps.par_chunks(n)),
                )
                .for_each(kernel);
        } else {
            vals.chunks_mut(n)
                .zip(lists.iter_mut())
                .zip(vs.chunks_mut(n).zip(rcs.chunks_mut(n)).zip(inps.chunks(n)))
                .for_each(kernel);
        }
        // Threshold crossings per neuron over the batch (before one-spike).
        for b in 0..batch {
            for &j in self.core.spikes.active(b) {
                self.counts[j as usize] += 1;
            }
        }
        // θ += θ₊ · count, once per neuron that crossed (visiting the spike
        // lists, not all n); counts go back to zero for the next step.
        for b in 0..batch {
            for &j in self.core.spikes.active(b) {
                let j = j as usize;
                let c = std::mem::take(&mut self.counts[j]);
                if ctx.learning && c > 0 {
                    self.theta[j] += self.theta_plus[j] * c as f32;
                }
            }
        }
        if self.one_spike {
            // One key per step, whatever spiked; a row with several spikes
            // draws its survivor from the key and its network row index.
            // So a row's draw depends on no other row, and lanes of rows
            // (each with a copy of the generator) draw what one thread does.
            let key = ctx.rng.next_u64();
            let first = self.core.first_row();
            for b in 0..self.core.batch() {
                let active = self.core.spikes.active(b);
                if active.len() > 1 {
                    let row = (first + b) as u64;
                    let mut draw = Rng::seed_from_u64(key ^ row.wrapping_mul(ROW_MIX));
                    let keep = active[draw.below(active.len())];
                    self.core.spikes.keep_only(b, keep);
                }
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        super::reset_voltage(&mut self.v, &self.p.rest, &mut self.refrac_count);
    }
}

/// One batch row as the kernel gets it: (spike values, spike list), then
/// ((voltage, refractory count), input).
type KernelRow<'a> = (
    (&'a mut [f32], &'a mut Vec<u32>),
    ((&'a mut [f32], &'a mut [f32]), &'a [f32]),
);
