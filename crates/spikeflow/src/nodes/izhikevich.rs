//! `IzhikevichNodes`: the Izhikevich (2003) model with intrinsic coupling.
//!
//! Uses the previous step's spikes `s'`:
//! ```text
//! where s': v ← c, u ← u + d           (reset at the start of the next step)
//! input_j ← input_j + Σ_k S[j][k]·s'_k (intrinsic coupling, target-major S)
//! twice: v ← v + dt·½·(0.04v² + 5v + 140 − u + input)
//! u ← u + dt·a·(b·v − u);  v ← max(v, lbound);  s ← v ≥ thresh
//! ```
//! Per-neuron parameters are drawn with the network's generator (the first
//! `⌊n·excitatory⌋` neurons are excitatory: `a = 0.02`, `b = 0.2`,
//! `c = −65 + 15ρ²`, `d = 8 − 6ρ²`, column `S[:, k] = 0.5·U(0,1)`; the others
//! `a = 0.02 + 0.08ρ`, `b = 0.25 − 0.05ρ`, `c = −65`, `d = 2`,
//! `S[:, k] = −U(0,1)`) unless given explicitly.

use super::{check_lbound, BuildContext, NodeCore, NodeModel, Population, Result, StepContext};
use crate::error::{finite, Error};

/// Explicit per-neuron Izhikevich parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct IzhikevichParams {
    /// Recovery time scale, `[n]`.
    pub a: Vec<f32>,
    /// Recovery sensitivity, `[n]`.
    pub b: Vec<f32>,
    /// Reset voltage, `[n]`.
    pub c: Vec<f32>,
    /// Recovery reset increment, `[n]`.
    pub d: Vec<f32>,
    /// Intrinsic coupling, `[n × n]` row-major, `S[j][k]` = effect of neuron
    /// `k`'s spike on neuron `j`.
    pub s: Vec<f32>,
}

/// BindsNET's `IzhikevichNodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct IzhikevichNodes {
    /// Fraction of excitatory neurons in `[0, 1]`. Default 1.
    pub excitatory: f32,
    /// Spike cut-off (mV). Default 45.
    pub thresh: f32,
    /// Initial voltage (mV). Default −65.
    pub rest: f32,
    /// Optional lower voltage bound.
    pub lbound: Option<f32>,
    /// Explicit parameters; `None` draws them from the network's generator.
    pub params: Option<IzhikevichParams>,
}

impl Default for IzhikevichNodes {
    fn default() -> Self {
        IzhikevichNodes {
            excitatory: 1.0,
            thresh: 45.0,
            rest: -65.0,
            lbound: None,
            params: None,
        }
    }
}

impl IzhikevichNodes {
    fn draw(&self, n: usize, ctx: &mut BuildContext<'_>) -> IzhikevichParams {
        let n_exc = (n as f32 * self.excitatory.clamp(0.0, 1.0)).floor() as usize;
        let mut p = IzhikevichParams {
            a: vec![0.0; n],
            b: vec![0.0; n],
            c: vec![0.0; n],
            d: vec![0.0; n],
            s: vec![0.0; n * n],
        };
        for k in 0..n {
            let r = ctx.rng.uniform_f32();
            if k < n_exc {
                p.a[k] = 0.02;
                p.b[k] = 0.2;
                p.c[k] = -65.0 + 15.0 * r * r;
                p.d[k] = 8.0 - 6.0 * r * r;
            } else {
                p.a[k] = 0.02 + 0.08 * r;
                p.b[k] = 0.25 - 0.05 * r;
                p.c[k] = -65.0;
                p.d[k] = 2.0;
            }
        }
        for j in 0..n {
            for k in 0..n {
                let u = ctx.rng.uniform_f32();
                p.s[j * n + k] = if k < n_exc { 0.5 * u } else { -u };
            }
        }
        p
    }
}

impl NodeModel for IzhikevichNodes {
    fn type_name(&self) -> &'static str {
        "IzhikevichNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        check_lbound(ctx.name, self.lbound)?;
        finite(ctx.name, "thresh", self.thresh)?;
        finite(ctx.name, "rest", self.rest)?;
        if !(0.0..=1.0).contains(&self.excitatory) {
            return Err(Error::param(
                ctx.name,
                format!("excitatory must be in [0, 1], got {}", self.excitatory),
            ));
        }
        let core = NodeCore::new(ctx)?;
        let n = core.n();
        let params = match &self.params {
            Some(p) => {
                for (what, v, len) in [
                    ("a", &p.a, n),
                    ("b", &p.b, n),
                    ("c", &p.c, n),
                    ("d", &p.d, n),
                    ("S", &p.s, n * n),
                ] {
                    if v.len() != len {
                        return Err(Error::shape(
                            ctx.name,
                            format!("{what} has {} values, expected {len}", v.len()),
                        ));
                    }
                    if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                        return Err(Error::param(
                            ctx.name,
                            format!("{what} must be finite, got {x}"),
                        ));
                    }
                }
                p.clone()
            }
            None => self.draw(n, ctx),
        };
        let len = ctx.batch * n;
        let mut pop = IzhikevichPopulation {
            p: params,
            thresh: self.thresh,
            rest: self.rest,
            lbound: self.lbound,
            v: vec![0.0; len],
            u: vec![0.0; len],
            core,
        };
        pop.reset_state();
        Ok(Box::new(pop))
    }
}

#[derive(Debug)]
struct IzhikevichPopulation {
    core: NodeCore,
    p: IzhikevichParams,
    thresh: f32,
    rest: f32,
    lbound: Option<f32>,
    v: Vec<f32>,
    u: Vec<f32>,
}

impl Population for IzhikevichPopulation {
    population_accessors!("v" => v, "u" => u);
    fn type_name(&self) -> &'static str {
        "IzhikevichNodes"
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let dt = ctx.dt;
        let p = &self.p;
        for b in 0..self.core.batch() {
            // Reset and coupling from the previous step's spikes.
            let fired = self.core.spikes.active(b);
            for &k in fired {
                let k = k as usize;
                self.v[b * n + k] = p.c[k];
                self.u[b * n + k] += p.d[k];
            }
            if !fired.is_empty() {
                // Σ_k S[j][k]·s'_k is formed first, then added (BindsNET's rounding).
                for j in 0..n {
                    let row = &p.s[j * n..(j + 1) * n];
                    let coupling: f32 = fired.iter().map(|&k| row[k as usize]).sum();
                    input[b * n + j] += coupling;
                }
            }
            let (s, active) = self.core.spikes.row_mut(b);
            for j in 0..n {
                let idx = b * n + j;
                let x = input[idx];
                let mut v = self.v[idx];
                let mut u = self.u[idx];
                for _ in 0..2 {
                    v += dt * 0.5 * (0.04 * (v * v) + 5.0 * v + 140.0 - u + x);
                }
                u += dt * p.a[j] * (p.b[j] * v - u);
                if let Some(lb) = self.lbound {
                    if v < lb {
                        v = lb;
                    }
                }
                let fire = v >= self.thresh;
                if fire {
                    active.push(j as u32);
                }
                s[j] = fire as u8 as f32;
                self.v[idx] = v;
                self.u[idx] = u;
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        let n = self.core.n();
        self.v.fill(self.rest);
        for (k, u) in self.u.iter_mut().enumerate() {
            *u = self.p.b[k % n] * self.rest;
        }
    }
}
