//! `CSRMNodes`: cumulative spike-response model.
//!
//! ```text
//! v ← v·exp(−dt/tc_decay)                     (decays towards 0, as BindsNET)
//! if learning: θ ← θ·exp(−dt/tc_theta_decay)
//! v ← v + Σ_lag K_res[lag]·input(t − lag) + Σ_lag K_ref[lag]·s(t − 1 − lag)
//! s ← v ≥ thresh + θ;  if learning: θ ← θ + theta_plus·Σ_batch s
//! v ← max(v, lbound)
//! ```
//! The response kernel is sampled at lags `0, dt, …` over `res_window_size`
//! ms, the refractory kernel `−reset_const·exp(−lag/tau)` over
//! `ref_window_size` ms. No voltage reset: refractoriness comes from the
//! kernel. BindsNET keeps a window of *source spikes* in each incoming
//! connection and multiplies it by the current weights; spikeflow keeps the
//! window of the population's summed input instead (identical while weights
//! do not change; see `docs/differences-from-bindsnet.md`).

use super::{check_lbound, BuildContext, NodeCore, NodeModel, Population, Result, StepContext};
use crate::error::{finite, positive, Error};

/// Shape of the synaptic response kernel (BindsNET's kernel classes), as a
/// function of the lag `τ_k` with time constant `τ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKernel {
    /// `τ_k·e^{−τ_k/τ} / τ²`.
    Alpha,
    /// `τ_k·e^{1 − τ_k/τ} / τ`.
    AlphaSlayer,
    /// `e^{−|τ_k/τ|} / (2τ)`.
    Laplacian,
    /// `e^{−τ_k/τ} / τ` (default).
    Exponential,
    /// `(1 − τ_k/τ) / τ`.
    Triangular,
    /// constant `1/(2τ)` (crashes in BindsNET; works here).
    Rectangular,
}

impl ResponseKernel {
    fn value(self, lag: f32, tau: f32) -> f32 {
        match self {
            ResponseKernel::Alpha => lag * (-lag / tau).exp() / (tau * tau),
            ResponseKernel::AlphaSlayer => lag * (1.0 - lag / tau).exp() / tau,
            ResponseKernel::Laplacian => (-(lag / tau).abs()).exp() / (2.0 * tau),
            ResponseKernel::Exponential => (-lag / tau).exp() / tau,
            ResponseKernel::Triangular => (1.0 - lag / tau) / tau,
            ResponseKernel::Rectangular => 1.0 / (2.0 * tau),
        }
    }
}

/// BindsNET's `CSRMNodes`.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrmNodes {
    /// Initial voltage (mV). Default −65.
    pub rest: f32,
    /// Threshold (mV). Default −52.
    pub thresh: f32,
    /// Response kernel. Default exponential.
    pub response_kernel: ResponseKernel,
    /// Kernel time constant (ms). Default 1.
    pub tau: f32,
    /// Input window (ms). Default 20.
    pub res_window_size: f32,
    /// Refractory window (ms). Default 10.
    pub ref_window_size: f32,
    /// Refractory kernel amplitude. Default 50.
    pub reset_const: f32,
    /// Voltage decay time constant (ms). Default 100.
    pub tc_decay: f32,
    /// Threshold increment per spike. Default 0.05.
    pub theta_plus: f32,
    /// Threshold decay time constant (ms). Default 1e7.
    pub tc_theta_decay: f32,
    /// Optional lower voltage bound.
    pub lbound: Option<f32>,
}

impl Default for CsrmNodes {
    fn default() -> Self {
        CsrmNodes {
            rest: -65.0,
            thresh: -52.0,
            response_kernel: ResponseKernel::Exponential,
            tau: 1.0,
            res_window_size: 20.0,
            ref_window_size: 10.0,
            reset_const: 50.0,
            tc_decay: 100.0,
            theta_plus: 0.05,
            tc_theta_decay: 1e7,
            lbound: None,
        }
    }
}

fn window_len(name: &str, what: &str, window: f32, dt: f32) -> Result<usize> {
    positive(name, what, window)?;
    let k = (window / dt).floor() as usize;
    if k == 0 {
        return Err(Error::param(
            name,
            format!("{what} {window} ms is shorter than dt {dt} ms"),
        ));
    }
    Ok(k)
}

impl NodeModel for CsrmNodes {
    fn type_name(&self) -> &'static str {
        "CSRMNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        check_lbound(ctx.name, self.lbound)?;
        for (what, v) in [
            ("rest", self.rest),
            ("thresh", self.thresh),
            ("reset_const", self.reset_const),
            ("theta_plus", self.theta_plus),
        ] {
            finite(ctx.name, what, v)?;
        }
        for (what, v) in [
            ("tau", self.tau),
            ("tc_decay", self.tc_decay),
            ("tc_theta_decay", self.tc_theta_decay),
        ] {
            positive(ctx.name, what, v)?;
        }
        let res_len = window_len(ctx.name, "res_window_size", self.res_window_size, ctx.dt)?;
        let ref_len = window_len(ctx.name, "ref_window_size", self.ref_window_size, ctx.dt)?;
        let res_kernel = (0..res_len)
            .map(|k| self.response_kernel.value(k as f32 * ctx.dt, self.tau))
            .collect();
        let ref_kernel = (0..ref_len)
            .map(|k| -self.reset_const * (-(k as f32 * ctx.dt) / self.tau).exp())
            .collect();
        let core = NodeCore::new(ctx)?;
        let n = core.n();
        let len = ctx.batch * n;
        Ok(Box::new(CsrmPopulation {
            rest: self.rest,
            thresh: self.thresh,
            decay: (-ctx.dt / self.tc_decay).exp(),
            theta_decay: (-ctx.dt / self.tc_theta_decay).exp(),
            theta_plus: self.theta_plus,
            lbound: self.lbound,
            res_kernel,
            ref_kernel,
            inputs: vec![0.0; res_len * len],
            past_spikes: vec![0.0; ref_len * len],
            head_in: 0,
            head_s: 0,
            v: vec![self.rest; len],
            theta: vec![0.0; n],
            counts: vec![0; n],
            core,
        }))
    }
}

#[derive(Debug)]
struct CsrmPopulation {
    core: NodeCore,
    rest: f32,
    thresh: f32,
    decay: f32,
    theta_decay: f32,
    theta_plus: f32,
    lbound: Option<f32>,
    /// Response kernel by lag (index 0 = lag 0).
    res_kernel: Vec<f32>,
    /// Refractory kernel by lag (index 0 = the previous step's spike).
    ref_kernel: Vec<f32>,
    /// Ring of past inputs, `[res_len][batch × n]`; `head_in` is the newest.
    inputs: Vec<f32>,
    /// Ring of past spikes, `[ref_len][batch × n]`; `head_s` is the newest.
    past_spikes: Vec<f32>,
    head_in: usize,
    head_s: usize,
    v: Vec<f32>,
    theta: Vec<f32>,
    /// Scratch: spikes per neuron over the batch this step.
    counts: Vec<u32>,
}

impl Population for CsrmPopulation {
    population_accessors!("v" => v, "theta" => theta);
    fn type_name(&self) -> &'static str {
        "CSRMNodes"
    }
    fn step(&mut self, input: &mut [f32], ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let len = self.v.len();
        let (res_len, ref_len) = (self.res_kernel.len(), self.ref_kernel.len());
        self.head_in = (self.head_in + 1) % res_len;
        self.inputs[self.head_in * len..(self.head_in + 1) * len].copy_from_slice(input);
        if ctx.learning {
            for t in &mut self.theta {
                *t *= self.theta_decay;
            }
        }
        for (k, v) in self.v.iter_mut().enumerate() {
            let mut acc = *v * self.decay;
            for (lag, &kv) in self.res_kernel.iter().enumerate() {
                acc += kv * self.inputs[((self.head_in + res_len - lag) % res_len) * len + k];
            }
            for (lag, &kv) in self.ref_kernel.iter().enumerate() {
                acc += kv * self.past_spikes[((self.head_s + ref_len - lag) % ref_len) * len + k];
            }
            *v = acc;
        }
        self.counts.fill(0);
        for b in 0..self.core.batch() {
            let (s, active) = self.core.spikes.row_mut(b);
            for j in 0..n {
                let fire = self.v[b * n + j] >= self.thresh + self.theta[j];
                if fire {
                    active.push(j as u32);
                    self.counts[j] += 1;
                }
                s[j] = fire as u8 as f32;
            }
        }
        for (j, &c) in self.counts.iter().enumerate() {
            if ctx.learning && c > 0 {
                self.theta[j] += self.theta_plus * c as f32;
            }
        }
        self.head_s = (self.head_s + 1) % ref_len;
        self.past_spikes[self.head_s * len..(self.head_s + 1) * len]
            .copy_from_slice(self.core.spikes.values());
        if let Some(lb) = self.lbound {
            for v in &mut self.v {
                if *v < lb {
                    *v = lb;
                }
            }
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(input);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        self.v.fill(self.rest);
        self.inputs.fill(0.0);
        self.past_spikes.fill(0.0);
    }
}
