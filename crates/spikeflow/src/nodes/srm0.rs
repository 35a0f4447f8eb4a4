//! `SRM0Nodes`: spike-response model with escape noise.
//!
//! ```text
//! v ← rest + (v − rest)·exp(−dt/tc_decay);  v ← v + [r ≤ 0]·eps_0·input
//! ρ ← rho_0·exp((v − thresh)/d_thresh);  s_prob ← 1 − exp(−ρ·dt)
//! r ← r − dt;  s ← U[0,1) < s_prob     (U from the network's generator)
//! where s: r ← refrac, v ← reset;  v ← max(v, lbound)
//! ```
//! `s_prob` is kept as a state variable (the `Rmax` rule reads it).

use super::lif::{LifNodes, LifVectors};
use super::{
    apply_lbound, check_lbound, BuildContext, NodeCore, NodeModel, Population, Result, StepContext,
};
use crate::error::{finite, positive};

/// BindsNET's `SRM0Nodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Srm0Nodes {
    /// LIF-like parameters. Defaults: thresh −50, rest −70, reset −70,
    /// refrac 5, tc_decay 10.
    pub lif: LifNodes,
    /// Input scale. Default 1.
    pub eps_0: f32,
    /// Escape rate at threshold (per ms). Default 1.
    pub rho_0: f32,
    /// Escape-noise width (mV). Default 5.
    pub d_thresh: f32,
}

impl Default for Srm0Nodes {
    fn default() -> Self {
        Srm0Nodes {
            lif: LifNodes {
                thresh: (-50.0).into(),
                rest: (-70.0).into(),
                reset: (-70.0).into(),
                refrac: 5.0.into(),
                tc_decay: 10.0.into(),
                lbound: None,
            },
            eps_0: 1.0,
            rho_0: 1.0,
            d_thresh: 5.0,
        }
    }
}

impl NodeModel for Srm0Nodes {
    fn type_name(&self) -> &'static str {
        "SRM0Nodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        check_lbound(ctx.name, self.lif.lbound)?;
        finite(ctx.name, "eps_0", self.eps_0)?;
        finite(ctx.name, "rho_0", self.rho_0)?;
        positive(ctx.name, "d_thresh", self.d_thresh)?;
        let core = NodeCore::new(ctx)?;
        let len = ctx.batch * core.n();
        let mut p = Srm0Population {
            p: LifVectors::new(ctx, &self.lif)?,
            eps_0: self.eps_0,
            rho_0: self.rho_0,
            d_thresh: self.d_thresh,
            lbound: self.lif.lbound,
            v: vec![0.0; len],
            refrac_count: vec![0.0; len],
            s_prob: vec![0.0; len],
            core,
        };
        p.reset_state();
        Ok(Box::new(p))
    }
}

#[derive(Debug)]
struct Srm0Population {
    core: NodeCore,
    p: LifVectors,
    eps_0: f32,
    rho_0: f32,
    d_thresh: f32,
    lbound: Option<f32>,
    v: Vec<f32>,
    refrac_count: Vec<f32>,
    s_prob: Vec<f32>,
}

impl Population for Srm0Population {
    population_accessors!("v" => v, "refrac_count" => refrac_count, "s_prob" => s_prob);
    fn type_name(&self) -> &'static str {
        "SRM0Nodes"
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
                if self.refrac_count[k] <= 0.0 {
                    v += self.eps_0 * input[k];
                }
                let rho = self.rho_0 * ((v - p.thresh[j]) / self.d_thresh).exp();
                let prob = 1.0 - (-rho * ctx.dt).exp();
                let mut r = self.refrac_count[k] - ctx.dt;
                let fire = ctx.rng.uniform_f32() < prob;
                if fire {
                    r = p.refrac[j];
                    v = p.reset[j];
                    active.push(j as u32);
                }
                s[j] = fire as u8 as f32;
                self.s_prob[k] = prob;
                self.v[k] = apply_lbound(v, self.lbound);
                self.refrac_count[k] = r;
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        super::reset_voltage(&mut self.v, &self.p.rest, &mut self.refrac_count);
        self.s_prob.fill(0.0);
    }
}
