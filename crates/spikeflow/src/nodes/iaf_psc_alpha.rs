//! NEST's `iaf_psc_alpha`: leaky integrate-and-fire neurons with
//! alpha-shaped postsynaptic currents, integrated exactly (Rotter &
//! Diesmann 1999), as NEST's `hpc_benchmark` uses them.
//!
//! ```text
//! C_m dV/dt = −C_m (V − E_L)/τ_m + I_ex + I_in + I_e
//! I_x(t) = Σ_spikes w · (e/τ_x) · t · e^{−t/τ_x}      (peak w, in pA, at t = τ_x)
//! spike when V ≥ V_th; then V ← V_reset for t_ref
//! ```
//!
//! Each current is the pair `(dI, I)` of the linear system
//! `dI' = −dI/τ`, `I' = dI − I/τ`; a spike of weight `w` adds `e·w/τ` to
//! `dI`. Over one step `h` the whole system advances by its exact
//! propagator (NEST's `P11 … P33`, with `a = 1/τ_m − 1/τ`):
//!
//! ```text
//! P11 = P22 = e^{−h/τ},   P21 = h·e^{−h/τ},   P33 = e^{−h/τ_m},   P30 = (τ_m/C_m)(1 − P33)
//! P32 = (P11 − P33) / (C_m·a),   P31 = (h·P11/a − (P11 − P33)/a²) / C_m
//! ```
//!
//! Per step, in NEST's order: the voltage advances (unless refractory)
//! from the currents at the start of the step; the currents advance; this
//! step's input is added to `dI`; `V ≥ V_th` fires and resets. Input
//! channel 0 (receptor 0) is the excitatory current and channel 1
//! (receptor 1) the inhibitory one, each in pA of peak current. NEST picks
//! the channel by the sign of the weight; here a connection picks it by
//! its receptor, and with equal `τ_syn_ex`, `τ_syn_in` (as in
//! `hpc_benchmark`) the two are the same. The propagators are computed in
//! f64, the state is
//! f32 (NEST keeps f64).
//!
//! ```
//! use spikeflow::prelude::*;
//! use spikeflow::nodes::IafPscAlphaNodes;
//! let mut b = Network::builder().dt(0.1);
//! b.add_population("N", &[1], IafPscAlphaNodes { i_e: 1000.0.into(), ..Default::default() }, NodeOptions::default());
//! let mut net = b.build()?;
//! net.add_monitor("s", MonitorSpec::new("N", &["s"]))?;
//! net.run(&[], 1000, &RunOptions::default())?; // 100 ms at 1 nA
//! // V → E_L + I_e·τ_m/C_m = −30 mV crosses −55 after 10·ln(40/25) = 4.7
//! // ms, then every 2 + 4.7 ms: 15 spikes.
//! let spikes: f32 = net.monitor("s")?.get("s")?.data().iter().sum();
//! assert_eq!(spikes, 15.0);
//! # Ok::<(), spikeflow::Error>(())
//! ```

use super::{BuildContext, NodeCore, NodeModel, Param, Population, Result, StepContext};
use crate::error::{positive, Error};

/// `iaf_psc_alpha` neurons. [`Default`] is NEST's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct IafPscAlphaNodes {
    /// Resting potential `E_L` (mV). Default −70.
    pub e_l: Param,
    /// Membrane capacitance `C_m` (pF). Default 250.
    pub c_m: Param,
    /// Membrane time constant `τ_m` (ms). Default 10.
    pub tau_m: Param,
    /// Refractory period `t_ref` (ms). Default 2.
    pub t_ref: Param,
    /// Threshold `V_th` (mV). Default −55.
    pub v_th: Param,
    /// Reset potential `V_reset` (mV). Default −70.
    pub v_reset: Param,
    /// Rise time of the excitatory current `τ_syn_ex` (ms). Default 2.
    pub tau_syn_ex: Param,
    /// Rise time of the inhibitory current `τ_syn_in` (ms). Default 2.
    pub tau_syn_in: Param,
    /// Constant input current `I_e` (pA). Default 0.
    pub i_e: Param,
    /// Initial voltage, also restored by `reset_state` (mV). Default −70.
    pub v_init: Param,
}

impl Default for IafPscAlphaNodes {
    fn default() -> Self {
        IafPscAlphaNodes {
            e_l: (-70.0).into(),
            c_m: 250.0.into(),
            tau_m: 10.0.into(),
            t_ref: 2.0.into(),
            v_th: (-55.0).into(),
            v_reset: (-70.0).into(),
            tau_syn_ex: 2.0.into(),
            tau_syn_in: 2.0.into(),
            i_e: 0.0.into(),
            v_init: (-70.0).into(),
        }
    }
}

/// The exact propagator of one current channel over a step.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Channel {
    p11: f32,
    p21: f32,
    p31: f32,
    p32: f32,
    /// `e/τ`: `dI` added per pA of weight.
    jump: f32,
}

impl Channel {
    fn new(h: f64, tau_m: f64, c_m: f64, tau: f64) -> Channel {
        let p11 = (-h / tau).exp();
        let p33 = (-h / tau_m).exp();
        let a = 1.0 / tau_m - 1.0 / tau;
        // τ ≈ τ_m: the limits a → 0 (h·e^{−h/τ}/C and h²·e^{−h/τ}/(2C)).
        let (p31, p32) = if (a * h).abs() < 1e-6 {
            (h * h * p11 / (2.0 * c_m), h * p11 / c_m)
        } else {
            (
                (h * p11 / a - (p11 - p33) / (a * a)) / c_m,
                (p11 - p33) / (c_m * a),
            )
        };
        Channel {
            p11: p11 as f32,
            p21: (h * p11) as f32,
            p31: p31 as f32,
            p32: p32 as f32,
            jump: (std::f64::consts::E / tau) as f32,
        }
    }
}

impl NodeModel for IafPscAlphaNodes {
    fn type_name(&self) -> &'static str {
        "IafPscAlphaNodes"
    }
    fn build(&self, ctx: &mut BuildContext<'_>) -> Result<Box<dyn Population>> {
        let core = NodeCore::new(ctx)?;
        let n = core.n();
        let len = ctx.batch * n;
        let h = f64::from(ctx.dt);
        let positive_all = |what: &str, p: &Param| -> Result<Vec<f32>> {
            let v = ctx.expand(what, p)?;
            for &x in &v {
                positive(ctx.name, what, x)?;
            }
            Ok(v)
        };
        let (tau_m, c_m) = (
            positive_all("tau_m", &self.tau_m)?,
            positive_all("c_m", &self.c_m)?,
        );
        let (tau_ex, tau_in) = (
            positive_all("tau_syn_ex", &self.tau_syn_ex)?,
            positive_all("tau_syn_in", &self.tau_syn_in)?,
        );
        let t_ref = ctx.expand("t_ref", &self.t_ref)?;
        if let Some(r) = t_ref.iter().find(|r| !(**r >= 0.0 && r.is_finite())) {
            return Err(Error::param(
                ctx.name,
                format!("t_ref must be ≥ 0, got {r}"),
            ));
        }
        let mut ex = Vec::with_capacity(n);
        let mut inh = Vec::with_capacity(n);
        let (mut p30, mut p33) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for k in 0..n {
            let (tm, cm) = (f64::from(tau_m[k]), f64::from(c_m[k]));
            ex.push(Channel::new(h, tm, cm, f64::from(tau_ex[k])));
            inh.push(Channel::new(h, tm, cm, f64::from(tau_in[k])));
            p30.push((-tm / cm * (-h / tm).exp_m1()) as f32);
            p33.push((-h / tm).exp() as f32);
        }
        let mut p = IafPscAlphaPopulation {
            e_l: ctx.expand("e_l", &self.e_l)?,
            v_th: ctx.expand("v_th", &self.v_th)?,
            v_reset: ctx.expand("v_reset", &self.v_reset)?,
            i_e: ctx.expand("i_e", &self.i_e)?,
            v_init: ctx.expand("v_init", &self.v_init)?,
            // NEST's RefractoryCounts: t_ref on the grid.
            ref_steps: t_ref.iter().map(|r| (r / ctx.dt).round()).collect(),
            ex,
            inh,
            p30,
            p33,
            v: vec![0.0; len],
            di_ex: vec![0.0; len],
            i_ex: vec![0.0; len],
            di_in: vec![0.0; len],
            i_in: vec![0.0; len],
            refractory: vec![0.0; len],
            core,
        };
        p.reset_state();
        Ok(Box::new(p))
    }
    fn slice(&self, range: std::ops::Range<usize>) -> Option<Box<dyn NodeModel>> {
        let cut = |p: &Param| p.slice(range.clone());
        Some(Box::new(IafPscAlphaNodes {
            e_l: cut(&self.e_l),
            c_m: cut(&self.c_m),
            tau_m: cut(&self.tau_m),
            t_ref: cut(&self.t_ref),
            v_th: cut(&self.v_th),
            v_reset: cut(&self.v_reset),
            tau_syn_ex: cut(&self.tau_syn_ex),
            tau_syn_in: cut(&self.tau_syn_in),
            i_e: cut(&self.i_e),
            v_init: cut(&self.v_init),
        }))
    }
}

#[derive(Debug, Clone)]
struct IafPscAlphaPopulation {
    core: NodeCore,
    e_l: Vec<f32>,
    v_th: Vec<f32>,
    v_reset: Vec<f32>,
    i_e: Vec<f32>,
    v_init: Vec<f32>,
    ref_steps: Vec<f32>,
    ex: Vec<Channel>,
    inh: Vec<Channel>,
    p30: Vec<f32>,
    p33: Vec<f32>,
    v: Vec<f32>,
    di_ex: Vec<f32>,
    i_ex: Vec<f32>,
    di_in: Vec<f32>,
    i_in: Vec<f32>,
    /// Steps of refractoriness left.
    refractory: Vec<f32>,
}

impl Population for IafPscAlphaPopulation {
    population_accessors!(
        "v" => v, "i_ex" => i_ex, "i_in" => i_in, "di_ex" => di_ex, "di_in" => di_in,
        "refractory" => refractory
    );
    fn lane(&self, rows: std::ops::Range<usize>) -> Option<Box<dyn Population>> {
        lane_of!(self, rows; v, di_ex, i_ex, di_in, i_in, refractory)
    }
    fn type_name(&self) -> &'static str {
        "IafPscAlphaNodes"
    }
    fn input_channels(&self) -> usize {
        2
    }
    fn step(&mut self, input: &mut [f32], _ctx: &mut StepContext<'_>) {
        let n = self.core.n();
        let len = self.core.batch() * n;
        let (in_ex, in_in) = input.split_at(len);
        for b in 0..self.core.batch() {
            let r = b * n..(b + 1) * n;
            let (s, active) = self.core.spikes.row_mut(b);
            let s = &mut s[..n];
            let v = &mut self.v[r.clone()][..n];
            let (di_ex, i_ex) = (
                &mut self.di_ex[r.clone()][..n],
                &mut self.i_ex[r.clone()][..n],
            );
            let (di_in, i_in) = (
                &mut self.di_in[r.clone()][..n],
                &mut self.i_in[r.clone()][..n],
            );
            let refractory = &mut self.refractory[r.clone()][..n];
            let (x_ex, x_in) = (&in_ex[r.clone()][..n], &in_in[r][..n]);
            for j in 0..n {
                let (ex, inh) = (self.ex[j], self.inh[j]);
                // 1. The voltage, from the currents at the start of the step.
                if refractory[j] > 0.0 {
                    refractory[j] -= 1.0;
                } else {
                    let y3 = v[j] - self.e_l[j];
                    let y3 = self.p30[j] * self.i_e[j]
                        + ex.p31 * di_ex[j]
                        + ex.p32 * i_ex[j]
                        + inh.p31 * di_in[j]
                        + inh.p32 * i_in[j]
                        + self.p33[j] * y3;
                    v[j] = self.e_l[j] + y3;
                }
                // 2. The currents; 3. this step's input.
                i_ex[j] = ex.p21 * di_ex[j] + ex.p11 * i_ex[j];
                di_ex[j] = ex.p11 * di_ex[j] + ex.jump * x_ex[j];
                i_in[j] = inh.p21 * di_in[j] + inh.p11 * i_in[j];
                di_in[j] = inh.p11 * di_in[j] + inh.jump * x_in[j];
                // 4. Threshold and reset.
                let fire = v[j] >= self.v_th[j];
                if fire {
                    refractory[j] = self.ref_steps[j];
                    v[j] = self.v_reset[j];
                }
                s[j] = if fire { 1.0 } else { 0.0 };
            }
            crate::spikes::collect_active(s, active);
        }
        self.core.spikes.mark_binary();
        self.core.finish_step(&input[..len]);
    }
    fn reset_state(&mut self) {
        self.core.reset();
        let n = self.core.n();
        for (k, v) in self.v.iter_mut().enumerate() {
            *v = self.v_init[k % n];
        }
        for x in [
            &mut self.di_ex,
            &mut self.i_ex,
            &mut self.di_in,
            &mut self.i_in,
            &mut self.refractory,
        ] {
            x.fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::NodeOptions;
    use crate::prelude::*;

    #[test]
    fn propagators_match_the_ode_integrated_finely() {
        // One spike of w pA at t = 0: integrate dI' = −dI/τ, I' = dI − I/τ,
        // V' = −V/τ_m + I/C with RK4 at h/1000 and compare one step.
        let (h, tau_m, c_m, tau) = (0.1f64, 10.0, 250.0, 0.3258);
        let ch = Channel::new(h, tau_m, c_m, tau);
        let f = |y: [f64; 3]| [-y[0] / tau, y[0] - y[1] / tau, -y[2] / tau_m + y[1] / c_m];
        let mut y = [1.0, 0.5, 2.0];
        let k = h / 1000.0;
        for _ in 0..1000 {
            let add = |a: [f64; 3], b: [f64; 3], s: f64| {
                [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]]
            };
            let k1 = f(y);
            let k2 = f(add(y, k1, k / 2.0));
            let k3 = f(add(y, k2, k / 2.0));
            let k4 = f(add(y, k3, k));
            for i in 0..3 {
                y[i] += k / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
        }
        let p33 = (-h / tau_m).exp();
        let v = f64::from(ch.p31) + f64::from(ch.p32) * 0.5 + p33 * 2.0;
        let i = f64::from(ch.p21) + f64::from(ch.p11) * 0.5;
        assert!((v - y[2]).abs() < 1e-6, "{v} vs {}", y[2]);
        assert!((i - y[1]).abs() < 1e-6, "{i} vs {}", y[1]);
        // τ = τ_m: the limit formulas agree with a nearby τ.
        let (a, b) = (
            Channel::new(h, 10.0, 250.0, 10.0),
            Channel::new(h, 10.0, 250.0, 10.0001),
        );
        assert!((a.p31 - b.p31).abs() < 1e-6 * a.p31.abs() + 1e-12);
        assert!((a.p32 - b.p32).abs() < 1e-5 * a.p32.abs());
    }

    #[test]
    fn a_spike_gives_the_alpha_psc_peak_at_tau_and_refractory_holds_reset() {
        let mut b = Network::builder().dt(0.1);
        let model = IafPscAlphaNodes {
            e_l: 0.0.into(),
            v_reset: 0.0.into(),
            v_init: 0.0.into(),
            v_th: 20.0.into(),
            t_ref: 0.5.into(),
            ..Default::default()
        };
        b.add_population("N", &[1], model, NodeOptions::default());
        let mut net = b.build().unwrap();
        net.add_monitor("m", MonitorSpec::new("N", &["i_ex", "v", "s"]))
            .unwrap();
        // 100 pA at step 0, nothing after: the current peaks at 100 pA τ = 2
        // ms (20 steps) later.
        let mut x = vec![0.0; 60];
        x[0] = 100.0;
        let x = Tensor::new(vec![60, 1, 1], x).unwrap();
        net.run(&[("N", &x)], 60, &RunOptions::default()).unwrap();
        let i = net
            .monitor("m")
            .unwrap()
            .get("i_ex")
            .unwrap()
            .data()
            .to_vec();
        let (peak, at) = i
            .iter()
            .enumerate()
            .fold((0.0f32, 0), |m, (k, &v)| if v > m.0 { (v, k) } else { m });
        assert!((peak - 100.0).abs() < 0.05, "{peak}");
        assert_eq!(at, 20);
        // A strong input makes it fire, then V stays at reset for 5 steps.
        let mut x = vec![0.0; 40];
        x[0] = 20000.0;
        let x = Tensor::new(vec![40, 1, 1], x).unwrap();
        net.reset_state();
        net.run(&[("N", &x)], 40, &RunOptions::default()).unwrap();
        let m = net.monitor("m").unwrap();
        let (s, v) = (
            m.get("s").unwrap().data().to_vec(),
            m.get("v").unwrap().data().to_vec(),
        );
        let t0 = s.iter().position(|&x| x == 1.0).expect("no spike");
        assert!(
            v[t0 + 1..=t0 + 5].iter().all(|&v| v == 0.0),
            "{:?}",
            &v[t0..t0 + 7]
        );
        assert!(v[t0 + 6] > 0.0);
    }
}
