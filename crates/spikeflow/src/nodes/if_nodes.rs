//! `IFNodes`: integrate-and-fire without leak.
//!
//! Per step: `v ← v + [r ≤ 0]·input`; `r ← r − dt`; `s ← v ≥ thresh`;
//! where `s`: `r ← refrac`, `v ← reset`; `v ← max(v, lbound)`.
//! The voltage starts at `reset` (the model has no rest potential).

use super::{
    apply_lbound, check_lbound, BuildContext, NodeCore, NodeModel, Param, Population, Result,
    StepContext,
};

/// BindsNET's `IFNodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct IfNodes {
    /// Threshold (mV). Default −52.
    pub thresh: Param,
    /// Reset and initial voltage (mV). Default −65.
    pub reset: Param,
    /// Refractory period (ms). Default 5.
    pub refrac: Param,
    /// Optional lower voltage bound.
    pub lbound: Option<f32>,
}

impl Default for IfNodes {
    fn default() -> Self {
        IfNodes {
            thresh: (-52.0).into(),
            reset: (-65.0).into(),
            refrac: 5.0.into(),
            lbound: None,
        }
    }
}

impl NodeModel for IfNodes {
    fn type_name(&self) -> &'static str {
        "IFNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        check_lbound(ctx.name, self.lbound)?;
        let core = NodeCore::new(ctx)?;
        let len = ctx.batch * core.n();
        let reset = ctx.expand("reset", &self.reset)?;
        let mut p = IfPopulation {
            thresh: ctx.expand("thresh", &self.thresh)?,
            refrac: ctx.expand("refrac", &self.refrac)?,
            reset,
            lbound: self.lbound,
            v: vec![0.0; len],
            refrac_count: vec![0.0; len],
            core,
        };
        p.reset_state();
        Ok(Box::new(p))
    }
    fn slice(&self, range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        Some(Box::new(IfNodes {
            thresh: self.thresh.slice(range.clone()),
            reset: self.reset.slice(range.clone()),
            refrac: self.refrac.slice(range),
            lbound: self.lbound,
        }))
    }
}

#[derive(Debug, Clone)]
struct IfPopulation {
    core: NodeCore,
    thresh: Vec<f32>,
    reset: Vec<f32>,
    refrac: Vec<f32>,
    lbound: Option<f32>,
    v: Vec<f32>,
    refrac_count: Vec<f32>,
}

impl Population for IfPopulation {
    population_accessors!("v" => v, "refrac_count" => refrac_count);
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v, refrac_count)
    }
    fn type_name(&self) -> &'static str {
        "IFNodes"
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        for b in 0..self.core.batch() {
            let (s, active) = self.core.spikes.row_mut(b);
            for j in 0..n {
                let k = b * n + j;
                let mut v = self.v[k];
                if self.refrac_count[k] <= 0.0 {
                    v += input[k];
                }
                let mut r = self.refrac_count[k] - ctx.dt;
                let fire = v >= self.thresh[j];
                if fire {
                    r = self.refrac[j];
                    v = self.reset[j];
                    active.push(j as u32);
                }
                s[j] = fire as u8 as f32;
                self.v[k] = apply_lbound(v, self.lbound);
                self.refrac_count[k] = r;
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        super::reset_voltage(&mut self.v, &self.reset, &mut self.refrac_count);
    }
}
