//! `BoostedLIFNodes`: LIF with rest and reset fixed at 0.
//!
//! `v ← v·exp(−dt/tc_decay)`; `input ← 0` where `r > 0`; `r ← r − dt`;
//! `v ← v + input`; `s ← v ≥ thresh`; where `s`: `r ← refrac`, `v ← 0`.

use super::{BuildContext, NodeCore, NodeModel, Param, Population, Result, StepContext};

/// BindsNET's `BoostedLIFNodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostedLifNodes {
    /// Threshold. Default 13.
    pub thresh: Param,
    /// Refractory period (ms). Default 5.
    pub refrac: Param,
    /// Membrane time constant (ms). Default 100.
    pub tc_decay: Param,
}

impl Default for BoostedLifNodes {
    fn default() -> Self {
        BoostedLifNodes {
            thresh: 13.0.into(),
            refrac: 5.0.into(),
            tc_decay: 100.0.into(),
        }
    }
}

impl NodeModel for BoostedLifNodes {
    fn type_name(&self) -> &'static str {
        "BoostedLIFNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        let core = NodeCore::new(ctx)?;
        let len = ctx.batch * core.n();
        Ok(Box::new(BoostedLifPopulation {
            thresh: ctx.expand("thresh", &self.thresh)?,
            refrac: ctx.expand("refrac", &self.refrac)?,
            decay: ctx.decay("tc_decay", &self.tc_decay)?,
            v: vec![0.0; len],
            refrac_count: vec![0.0; len],
            core,
        }))
    }
}

#[derive(Debug, Clone)]
struct BoostedLifPopulation {
    core: NodeCore,
    thresh: Vec<f32>,
    refrac: Vec<f32>,
    decay: Vec<f32>,
    v: Vec<f32>,
    refrac_count: Vec<f32>,
}

impl Population for BoostedLifPopulation {
    population_accessors!("v" => v, "refrac_count" => refrac_count);
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v, refrac_count)
    }
    fn type_name(&self) -> &'static str {
        "BoostedLIFNodes"
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        for b in 0..self.core.batch() {
            let (s, active) = self.core.spikes.row_mut(b);
            for j in 0..n {
                let k = b * n + j;
                let mut v = self.v[k] * self.decay[j];
                let mut r = self.refrac_count[k];
                if r > 0.0 {
                    input[k] = 0.0;
                }
                r -= ctx.dt;
                v += input[k];
                let fire = v >= self.thresh[j];
                if fire {
                    r = self.refrac[j];
                    v = 0.0;
                    active.push(j as u32);
                }
                s[j] = fire as u8 as f32;
                self.v[k] = v;
                self.refrac_count[k] = r;
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        self.v.fill(0.0);
        self.refrac_count.fill(0.0);
    }
}
