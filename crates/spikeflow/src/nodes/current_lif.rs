//! `CurrentLIFNodes`: LIF driven by an exponentially decaying synaptic current.
//!
//! ```text
//! v ← rest + (v − rest)·exp(−dt/tc_decay);  i ← i·exp(−dt/tc_i_decay)
//! r ← r − dt            (before the test: one refractory step shorter than LIF)
//! i ← i + input;  v ← v + [r ≤ 0]·i;  s ← v ≥ thresh
//! where s: r ← refrac, v ← reset;  v ← max(v, lbound)
//! ```

use super::lif::{LifNodes, LifVectors};
use super::{
    apply_lbound, check_lbound, BuildContext, NodeCore, NodeModel, Param, Population, Result,
    StepContext,
};

/// BindsNET's `CurrentLIFNodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentLifNodes {
    /// The LIF parameters (same defaults).
    pub lif: LifNodes,
    /// Synaptic current time constant (ms). Default 2.
    pub tc_i_decay: Param,
}

impl Default for CurrentLifNodes {
    fn default() -> Self {
        CurrentLifNodes {
            lif: LifNodes::default(),
            tc_i_decay: 2.0.into(),
        }
    }
}

impl NodeModel for CurrentLifNodes {
    fn type_name(&self) -> &'static str {
        "CurrentLIFNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        check_lbound(ctx.name, self.lif.lbound)?;
        let core = NodeCore::new(ctx)?;
        let len = ctx.batch * core.n();
        let mut p = CurrentLifPopulation {
            p: LifVectors::new(ctx, &self.lif)?,
            i_decay: ctx.decay("tc_i_decay", &self.tc_i_decay)?,
            lbound: self.lif.lbound,
            v: vec![0.0; len],
            i: vec![0.0; len],
            refrac_count: vec![0.0; len],
            core,
        };
        p.reset_state();
        Ok(Box::new(p))
    }
    fn slice(&self, range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        Some(Box::new(CurrentLifNodes {
            lif: self.lif.sliced(range.clone()),
            tc_i_decay: self.tc_i_decay.slice(range),
        }))
    }
}

#[derive(Debug, Clone)]
struct CurrentLifPopulation {
    core: NodeCore,
    p: LifVectors,
    i_decay: Vec<f32>,
    lbound: Option<f32>,
    v: Vec<f32>,
    i: Vec<f32>,
    refrac_count: Vec<f32>,
}

impl Population for CurrentLifPopulation {
    population_accessors!("v" => v, "i" => i, "refrac_count" => refrac_count);
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v, i, refrac_count)
    }
    fn type_name(&self) -> &'static str {
        "CurrentLIFNodes"
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let p = &self.p;
        for b in 0..self.core.batch() {
            let (s, active) = self.core.spikes.row_mut(b);
            for j in 0..n {
                let k = b * n + j;
                let rest = p.rest[j];
                let mut v = (self.v[k] - rest) * p.decay[j] + rest;
                let mut i = self.i[k] * self.i_decay[j];
                let mut r = self.refrac_count[k] - ctx.dt;
                i += input[k];
                if r <= 0.0 {
                    v += i;
                }
                let fire = v >= p.thresh[j];
                if fire {
                    r = p.refrac[j];
                    v = p.reset[j];
                    active.push(j as u32);
                }
                s[j] = fire as u8 as f32;
                self.v[k] = apply_lbound(v, self.lbound);
                self.i[k] = i;
                self.refrac_count[k] = r;
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        super::reset_voltage(&mut self.v, &self.p.rest, &mut self.refrac_count);
        self.i.fill(0.0);
    }
}
