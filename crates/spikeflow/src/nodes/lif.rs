//! `LIFNodes`: leaky integrate-and-fire.
//!
//! Per step, in BindsNET's order:
//! ```text
//! v ← rest + (v − rest)·exp(−dt/tc_decay)
//! input ← 0 where r > 0            (refractory neurons ignore input)
//! r ← r − dt;  v ← v + input;  s ← v ≥ thresh
//! where s: r ← refrac, v ← reset;  v ← max(v, lbound)
//! ```
//! After a spike, input is ignored for `ceil(refrac/dt)` steps.

use super::{
    apply_lbound, check_lbound, BuildContext, NodeCore, NodeModel, Param, Population, Result,
    StepContext,
};
use rayon::prelude::*;

/// BindsNET's `LIFNodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct LifNodes {
    /// Threshold (mV). Default −52.
    pub thresh: Param,
    /// Resting potential (mV), also the initial voltage. Default −65.
    pub rest: Param,
    /// Reset potential after a spike (mV). Default −65.
    pub reset: Param,
    /// Refractory period (ms). Default 5.
    pub refrac: Param,
    /// Membrane time constant (ms). Default 100.
    pub tc_decay: Param,
    /// Optional lower voltage bound.
    pub lbound: Option<f32>,
}

impl Default for LifNodes {
    fn default() -> Self {
        LifNodes {
            thresh: (-52.0).into(),
            rest: (-65.0).into(),
            reset: (-65.0).into(),
            refrac: 5.0.into(),
            tc_decay: 100.0.into(),
            lbound: None,
        }
    }
}

impl LifNodes {
    /// The parameters of neurons `range` alone.
    pub(crate) fn sliced(&self, range: std::ops::Range<usize>) -> LifNodes {
        LifNodes {
            thresh: self.thresh.slice(range.clone()),
            rest: self.rest.slice(range.clone()),
            reset: self.reset.slice(range.clone()),
            refrac: self.refrac.slice(range.clone()),
            tc_decay: self.tc_decay.slice(range),
            lbound: self.lbound,
        }
    }
}

impl NodeModel for LifNodes {
    fn type_name(&self) -> &'static str {
        "LIFNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        check_lbound(ctx.name, self.lbound)?;
        let core = NodeCore::new(ctx)?;
        let len = ctx.batch * core.n();
        let mut p = LifPopulation {
            p: LifVectors::new(ctx, self)?,
            lbound: self.lbound,
            v: vec![0.0; len],
            refrac_count: vec![0.0; len],
            core,
        };
        p.reset_state();
        Ok(Box::new(p))
    }
    fn slice(&self, range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        Some(Box::new(self.sliced(range)))
    }
}

/// Per-neuron LIF parameters, shared with the models built on LIF.
#[derive(Debug, Clone)]
pub(crate) struct LifVectors {
    pub thresh: Vec<f32>,
    pub rest: Vec<f32>,
    pub reset: Vec<f32>,
    pub refrac: Vec<f32>,
    pub decay: Vec<f32>,
}

impl LifVectors {
    pub fn new(ctx: &BuildContext<'_>, p: &LifNodes) -> Result<Self> {
        Ok(LifVectors {
            thresh: ctx.expand("thresh", &p.thresh)?,
            rest: ctx.expand("rest", &p.rest)?,
            reset: ctx.expand("reset", &p.reset)?,
            refrac: ctx.expand("refrac", &p.refrac)?,
            decay: ctx.decay("tc_decay", &p.tc_decay)?,
        })
    }
}

#[derive(Debug, Clone)]
struct LifPopulation {
    core: NodeCore,
    p: LifVectors,
    lbound: Option<f32>,
    v: Vec<f32>,
    refrac_count: Vec<f32>,
}

impl Population for LifPopulation {
    population_accessors!("v" => v, "refrac_count" => refrac_count);
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v, refrac_count)
    }
    fn type_name(&self) -> &'static str {
        "LIFNodes"
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let p = &self.p;
        let dt = ctx.dt;
        let batch = self.core.batch();
        let lbound = self.lbound;
        let parallel = super::parallel_rows(batch, n);
        let (vals, lists) = self.core.spikes.parts_mut();
        let (vs, rcs, inps) = (
            &mut self.v[..],
            &mut self.refrac_count[..],
            &mut input[..batch * n],
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
            let (refrac, reset) = (&p.refrac[..n], &p.reset[..n]);
            let (s, v, rc, inp) = (&mut s[..n], &mut v[..n], &mut rc[..n], &mut inp[..n]);
            for j in 0..n {
                // Every array is read and written unconditionally: a select
                // on a loaded value would become a masked load or store
                // (`vmaskmovps`), which is slow on AMD cores.
                let (rest, r, x) = (rest[j], rc[j], inp[j]);
                let (refrac, reset) = (refrac[j], reset[j]);
                // Refractory neurons take no input: x with its bits
                // cleared (+0), an `and`, not a select.
                let keep = if r > 0.0 { 0 } else { u32::MAX };
                let i = f32::from_bits(x.to_bits() & keep);
                inp[j] = i;
                let vn = ((v[j] - rest) * decay[j] + rest) + i;
                let fire = vn >= thresh[j];
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
                        .zip(inps.par_chunks_mut(n)),
                )
                .for_each(kernel);
        } else {
            vals.chunks_mut(n)
                .zip(lists.iter_mut())
                .zip(
                    vs.chunks_mut(n)
                        .zip(rcs.chunks_mut(n))
                        .zip(inps.chunks_mut(n)),
                )
                .for_each(kernel);
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
    ((&'a mut [f32], &'a mut [f32]), &'a mut [f32]),
);
