//! NEST's `hpc_benchmark` ("W5"): the balanced random network with
//! power-law STDP that NEST measures its scaling with (Morrison, Aertsen &
//! Diesmann 2007; Helias et al. 2012; Kunkel et al. 2014), with the
//! parameters of NEST 3.10's `examples/pynest/hpc_benchmark.py`.
//!
//! ```text
//! E: NE = int(9000·scale), I: NI = int(2250·scale) iaf_psc_alpha neurons
//!    E_L 0, C_m 250 pF, τ_m 10 ms, t_ref 0.5 ms, V_th 20 mV, V_reset 0,
//!    τ_syn_ex = τ_syn_in = 0.32582722403722841 ms, V_m(0) ~ N(5.7, 7.2²) mV
//! every neuron: CE = int(NE/scale) synapses from E, CI = int(NI/scale) from I
//!    (fixed in-degree, drawn with replacement: multapses; no autapses)
//! E → E  stdp_pl_synapse_hom, initial JE_pA; α 0.0513, λ 0.1, μ 0.4,
//!        τ₊ 15 ms, τ₋ 30 ms                                        (receptor 0)
//! E → I  JE_pA                                                      (receptor 0)
//! I → E, I → I  g·JE_pA, g = −5                                     (receptor 1)
//! drive  independent Poisson trains of ν_ext·CE·1000 Hz per neuron,
//!        weight JE_pA                                               (receptor 0)
//! every delay 1.5 ms, dt 0.1 ms
//! ```
//!
//! `JE_pA` is the current of the PSC whose PSP peaks at `JE` = 0.14 mV
//! (NEST's `convert_synapse_weight`, through Lambert's W₋₁: 45.6096 pA),
//! and `ν_ext = η·V_th / (CE·JE_pA·e·τ_syn·τ_m/C_m)` with η = 1.685 (20.856
//! kHz at CE = 9000). As in NEST, the in-degrees do not scale: below scale
//! 1 a neuron has more inputs from E than E has neurons.
//!
//! Populations: `"E"`, `"I"`, and their drives `"PE"`, `"PI"`
//! ([`PoissonGenerator`], one train per neuron, connected one to one).
//! Delays: NEST delivers a spike emitted at step `t` at step `t + D`
//! (`D` = 15 steps); spikeflow's propagation adds one step, so each
//! connection carries [`WithDelays`] of `D − 1`, and the rule sees
//! postsynaptic spikes `D` steps late, all of the delay dendritic as NEST
//! counts it ([`StdpPowerLaw`]). Every random draw (initial voltages,
//! sources, drive) is counter-based and keyed by the global neuron index
//! (E first, then I), so it does not depend on how the network is split.
//! The draws are not NEST's: the network equals NEST's in distribution.
//!
//! ```
//! use spikeflow::models::HpcBenchmark;
//! let w5 = HpcBenchmark { scale: 0.02, ..Default::default() };
//! assert_eq!((w5.n_e(), w5.n_i(), w5.c_e(), w5.c_i()), (180, 45, 9000, 2250));
//! assert!((w5.je_pa() - 45.6096).abs() < 1e-4);
//! assert!((w5.poisson_rate_hz() - 20_856.04).abs() < 0.01);
//! ```

use crate::error::{Error, Result};
use crate::learning::StdpPowerLaw;
use crate::network::{Connect, Network, NetworkBuilder};
use crate::nodes::{IafPscAlphaNodes, NodeOptions, Param, PoissonGenerator};
use crate::rng::Keyed;
use crate::topology::{FixedIndegree, Sparse, WithDelays};

/// `hpc_benchmark`'s `tau_syn` (ms; its `0.32582722403722841` in f64): a
/// PSP rise time of 1.700759 ms.
pub const TAU_SYN_MS: f64 = 0.325_827_224_037_228_4;
/// Time step (ms).
pub const DT_MS: f32 = 0.1;
/// Every connection's delay (ms).
pub const DELAY_MS: f32 = 1.5;
/// NEST's presimulation (ms) before the measured simulation.
pub const PRESIM_MS: f32 = 50.0;
/// NEST's measured simulation (ms) in `hpc_benchmark.py` (1000 in the
/// papers).
pub const SIM_MS: f32 = 250.0;

const TAU_M: f64 = 10.0;
const C_M: f64 = 250.0;
const V_TH: f64 = 20.0;
const JE_MV: f64 = 0.14;
const G: f64 = -5.0;
const ETA: f64 = 1.685;

/// Streams of the [`Keyed`] draws.
const STREAM_VM: u64 = 1;
const STREAM_CONN: u64 = 2;
const STREAM_DRIVE: u64 = 3;

/// NEST's `hpc_benchmark` network at a scale (see the module).
#[derive(Debug, Clone, PartialEq)]
pub struct HpcBenchmark {
    /// Size relative to 11,250 neurons. Default 1.
    pub scale: f64,
    /// Seed of every draw. Default 0.
    pub seed: u64,
    /// Whether E → E synapses learn (`stdp_pl_synapse_hom`). Default true.
    pub plastic: bool,
}

impl Default for HpcBenchmark {
    fn default() -> Self {
        HpcBenchmark {
            scale: 1.0,
            seed: 0,
            plastic: true,
        }
    }
}

impl HpcBenchmark {
    /// Excitatory neurons, `int(9000·scale)`.
    pub fn n_e(&self) -> usize {
        (9000.0 * self.scale) as usize
    }
    /// Inhibitory neurons, `int(2250·scale)`.
    pub fn n_i(&self) -> usize {
        (2250.0 * self.scale) as usize
    }
    /// Synapses from E onto each neuron, `int(NE/scale)` (9000 up to
    /// rounding).
    pub fn c_e(&self) -> usize {
        (self.n_e() as f64 / self.scale) as usize
    }
    /// Synapses from I onto each neuron, `int(NI/scale)` (2250 up to
    /// rounding).
    pub fn c_i(&self) -> usize {
        (self.n_i() as f64 / self.scale) as usize
    }
    /// The excitatory weight (pA): the PSC whose PSP peaks at 0.14 mV.
    pub fn je_pa(&self) -> f64 {
        JE_MV * psc_per_psp_mv(TAU_M, TAU_SYN_MS, C_M)
    }
    /// The rate of each neuron's Poisson drive (Hz).
    pub fn poisson_rate_hz(&self) -> f64 {
        let ce = self.c_e() as f64;
        let nu_thresh = V_TH / (ce * TAU_M / C_M * self.je_pa() * std::f64::consts::E * TAU_SYN_MS);
        nu_thresh * ETA * ce * 1000.0
    }
    /// The delay `D` in steps (15).
    pub fn delay_steps(&self) -> usize {
        (DELAY_MS / DT_MS).round() as usize
    }
    /// The E → E rule: `stdp_pl_synapse_hom` with `hpc_benchmark`'s
    /// parameters (λ = 0.1 is the connection's `nu`).
    pub fn stdp(&self) -> StdpPowerLaw {
        StdpPowerLaw {
            alpha: 0.0513,
            mu: 0.4,
            tau_plus: 15.0,
            tau_minus: 30.0,
            dendritic_delay_steps: self.delay_steps(),
        }
    }

    /// Builds the network (`E`, `I`, `PE`, `PI`; connections `"E -> E"`,
    /// `"E -> I"`, `"I -> E"`, `"I -> I"`, `"PE -> E"`, `"PI -> I"`).
    ///
    /// # Errors
    /// A scale that is not positive and finite or that leaves a population
    /// with fewer than two neurons.
    pub fn build(&self) -> Result<Network> {
        self.builder()?.build()
    }

    /// The network's description, e.g. for each process of a
    /// [`DistributedNetwork`](crate::distributed::DistributedNetwork) to
    /// build its part (every population and connection of W5 can be cut).
    ///
    /// # Errors
    /// As [`build`](Self::build).
    pub fn builder(&self) -> Result<NetworkBuilder> {
        if !(self.scale.is_finite() && self.scale > 0.0) || self.n_i() < 2 {
            return Err(Error::param(
                "HpcBenchmark",
                format!(
                    "scale {} gives {} E and {} I neurons (needs at least 2 of each)",
                    self.scale,
                    self.n_e(),
                    self.n_i()
                ),
            ));
        }
        let (ne, ni) = (self.n_e(), self.n_i());
        let je = self.je_pa() as f32;
        let ji = (G * self.je_pa()) as f32;
        let vm = Keyed::new(self.seed, STREAM_VM);
        let neurons = |first: usize, n: usize| IafPscAlphaNodes {
            e_l: 0.0.into(),
            c_m: (C_M as f32).into(),
            tau_m: (TAU_M as f32).into(),
            t_ref: 0.5.into(),
            v_th: (V_TH as f32).into(),
            v_reset: 0.0.into(),
            tau_syn_ex: (TAU_SYN_MS as f32).into(),
            tau_syn_in: (TAU_SYN_MS as f32).into(),
            i_e: 0.0.into(),
            v_init: Param::PerNeuron(
                (first..first + n)
                    .map(|g| (5.7 + 7.2 * vm.normal(g as u64, 0)) as f32)
                    .collect(),
            ),
        };
        let mut b = Network::builder().dt(DT_MS).seed(self.seed);
        let plain = NodeOptions::default();
        b.add_population("E", &[ne], neurons(0, ne), plain.clone());
        b.add_population("I", &[ni], neurons(ne, ni), plain.clone());
        let drive_seed = Keyed::new(self.seed, STREAM_DRIVE).u64(0, 0);
        let rate_hz = self.poisson_rate_hz();
        let drive = |first_index: usize| PoissonGenerator {
            rate_hz,
            seed: drive_seed,
            first_index: first_index as u64,
        };
        b.add_population("PE", &[ne], drive(0), plain.clone());
        b.add_population("PI", &[ni], drive(ne), plain);

        let d = vec![(self.delay_steps() - 1) as u16];
        let conn_seed = |k: u64| Keyed::new(self.seed, STREAM_CONN).u64(k, 0);
        let fixed = |k: u64, indegree: usize, weight: f32, autapses: bool| {
            let f = FixedIndegree {
                indegree,
                weight,
                autapses,
                seed: conn_seed(k),
            };
            WithDelays::new(f, d.clone())
        };
        let mut ee = Connect::new("E", "E", fixed(0, self.c_e(), je, false));
        if self.plastic {
            ee = ee.rule(self.stdp()).nu(0.1).wmin(0.0);
        }
        b.connect(ee);
        b.connect(Connect::new("E", "I", fixed(1, self.c_e(), je, true)));
        b.connect(Connect::new("I", "E", fixed(2, self.c_i(), ji, true)).receptor(1));
        b.connect(Connect::new("I", "I", fixed(3, self.c_i(), ji, false)).receptor(1));
        let one_to_one =
            |n: usize| WithDelays::new(Sparse::Triplets(super::diagonal(n, je)), d.clone());
        b.connect(Connect::new("PE", "E", one_to_one(ne)));
        b.connect(Connect::new("PI", "I", one_to_one(ni)));
        Ok(b)
    }
}

/// NEST's `convert_synapse_weight`: the peak current (pA) of an alpha PSC
/// whose PSP on an `iaf_psc_alpha` at rest peaks at 1 mV.
fn psc_per_psp_mv(tau_m: f64, tau_syn: f64, c_m: f64) -> f64 {
    let a = tau_m / tau_syn;
    let b = 1.0 / tau_syn - 1.0 / tau_m;
    let t_rise = 1.0 / b * (-lambert_w_m1(-(-1.0 / a).exp() / a) - 1.0 / a);
    let v_max = std::f64::consts::E / (tau_syn * c_m * b)
        * (((-t_rise / tau_m).exp() - (-t_rise / tau_syn).exp()) / b
            - t_rise * (-t_rise / tau_syn).exp());
    1.0 / v_max
}

/// The lower branch `W₋₁(x)` of Lambert's W for `x ∈ [−1/e, 0)`: the
/// solution `w ≤ −1` of `w·e^w = x` (Halley's iteration from the
/// asymptotic `ln(−x) − ln(−ln(−x))`).
fn lambert_w_m1(x: f64) -> f64 {
    let l1 = (-x).ln();
    let mut w = if x < -0.25 {
        -1.0 - (2.0 * (1.0 + std::f64::consts::E * x)).sqrt()
    } else {
        l1 - (-l1).ln()
    };
    for _ in 0..50 {
        let ew = w.exp();
        let f = w * ew - x;
        let step = f / (ew * (w + 1.0) - (w + 2.0) * f / (2.0 * w + 2.0));
        w -= step;
        if step.abs() <= 1e-15 * w.abs() {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_equal_nest_hpc_benchmark_py() {
        // Computed by hpc_benchmark.py's own functions (scipy's lambertw)
        // in the peer venv.
        let w5 = HpcBenchmark::default();
        assert!((psc_per_psp_mv(10.0, TAU_SYN_MS, 250.0) - 325.782_859_403_863_94).abs() < 1e-9);
        assert!((w5.je_pa() - 45.609_600_316_540_956).abs() < 1e-10);
        assert!((w5.poisson_rate_hz() - 20_856.037_200_898_867).abs() < 1e-7);
        for x in [-0.3, -0.1, -0.0315, -1e-5] {
            let w = lambert_w_m1(x);
            assert!(w <= -1.0 && (w * w.exp() - x).abs() < 1e-15, "{x}: {w}");
        }
        // int() truncation as in NEST's script.
        let at = |scale| HpcBenchmark {
            scale,
            ..Default::default()
        };
        assert_eq!(
            (at(0.5).n_e(), at(0.5).n_i(), at(0.5).c_e(), at(0.5).c_i()),
            (4500, 1125, 9000, 2250)
        );
        assert_eq!((at(0.01).n_i(), at(0.01).c_i()), (22, 2200));
        assert_eq!((at(0.25).n_i(), at(0.25).c_i()), (562, 2248));
    }

    #[test]
    fn structure_in_degrees_weights_and_initial_voltages() {
        let w5 = HpcBenchmark {
            scale: 0.02,
            seed: 4,
            plastic: true,
        };
        let net = w5.build().unwrap();
        let (ne, ni) = (w5.n_e(), w5.n_i());
        assert_eq!(net.weights("E -> E").unwrap().len(), ne * 9000);
        assert_eq!(net.weights("I -> I").unwrap().len(), ni * 2250);
        let ee = net.weights_tensor("E -> E").unwrap();
        // Each target receives 9000 from E; the dense view sums multapses;
        // no autapses.
        for j in 0..ne {
            let col: f32 = (0..ne).map(|i| ee.data()[i * ne + j]).sum();
            assert!((col / w5.je_pa() as f32 - 9000.0).abs() < 0.5, "{col}");
            assert_eq!(ee.data()[j * ne + j], 0.0);
        }
        let ii = net.weights("I -> I").unwrap();
        assert!(ii
            .iter()
            .all(|&w| (w - (-5.0 * w5.je_pa()) as f32).abs() < 1e-3));
        let v = net.population("E").unwrap().variable("v").unwrap();
        let m = v.iter().map(|&x| f64::from(x)).sum::<f64>() / ne as f64;
        assert!((m - 5.7).abs() < 3.0 * 7.2 / (ne as f64).sqrt(), "{m}");
        assert!(HpcBenchmark {
            scale: 0.0,
            ..Default::default()
        }
        .build()
        .is_err());
    }
}
