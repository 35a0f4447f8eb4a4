//! Helpers shared by several test files (each file uses what it needs).
#![allow(dead_code)]

pub mod distributed;

use spikeflow::datasets::Mnist;
use spikeflow::learning::{Nu, Phases, Requirements, StdpPowerLaw, Synapse, SynapseRule};
use spikeflow::prelude::*;
use std::path::Path;

/// The first `k` training images of the repository's MNIST sample, pixels
/// in [0, 1].
pub fn images(k: usize) -> Vec<Vec<f32>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-sample");
    let data = Mnist::load(&dir).unwrap();
    let all = data.train().images();
    (0..k)
        .map(|i| {
            all[i * 784..(i + 1) * 784]
                .iter()
                .map(|&x| f32::from(x) / 255.0)
                .collect()
        })
        .collect()
}

/// Node options with spike traces on.
pub fn traced() -> NodeOptions {
    NodeOptions {
        traces: true,
        ..Default::default()
    }
}

/// Deterministic 0/1 input `[steps × batch × n]`, about `p` spikes per
/// neuron and step (xorshift, independent of the library's generator).
pub fn spikes(steps: usize, batch: usize, n: usize, p: f32, seed: u64) -> Tensor {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let x = (0..steps * batch * n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            f32::from(((s >> 40) as f32 / (1u64 << 24) as f32) < p)
        })
        .collect();
    Tensor::new(vec![steps, batch, n], x).unwrap()
}

/// A rule that adds `nu_pre · reward` to every weight every step: a
/// weight's change is the sum of the rewards the rule saw.
#[derive(Debug, Clone, Copy)]
pub struct RewardProbe;

impl SynapseRule for RewardProbe {
    fn name(&self) -> &'static str {
        "RewardProbe"
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            reward: true,
            ..Default::default()
        }
    }
    fn phases(&self, _nu: &Nu) -> Phases {
        Phases {
            pre: false,
            post: false,
            every_step: true,
            eligibility: false,
        }
    }
    fn every_step(&self, s: &Synapse<'_>) -> f32 {
        s.nu_pre * s.reward
    }
}

/// The built-in rule families, by index (0 PostPre, 1 WeightDependentPostPre,
/// 2 Hebbian, 3 DiehlAndCook, 4 MSTDP, 5 MSTDPET, 6 Rmax, 7 NEST's power-law
/// STDP seeing postsynaptic spikes 3 steps late), attached with `nu`; any
/// other index leaves the connection without a rule.
pub const RULE_FAMILIES: usize = 8;

/// Index of Rmax in [`with_rule_family`] (needs additive source traces and
/// an SRM0 target).
pub const RMAX: usize = 6;

/// `c` with rule family `k` (see [`RULE_FAMILIES`]).
pub fn with_rule_family(c: Connect, k: usize, nu: (f32, f32)) -> Connect {
    match k {
        0 => c.rule(PostPre).nu(nu),
        1 => c.rule(WeightDependentPostPre).nu(nu),
        2 => c.rule(Hebbian).nu(nu),
        3 => c
            .rule(DiehlAndCook {
                x_tar: 0.3,
                mu: 1.5,
            })
            .nu(nu),
        4 => c.rule(Mstdp::default()).nu(nu),
        5 => c.rule(MstdpEt::default()).nu(nu),
        6 => c.rule(Rmax::default()).nu(nu),
        7 => c
            .rule(StdpPowerLaw {
                dendritic_delay_steps: 3,
                ..Default::default()
            })
            .nu(nu),
        _ => c,
    }
}

/// Runs `f`, failing the test with a clear message if it panics.
#[track_caller]
pub fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{what}: panicked instead of returning an error: {msg}")
        }
    }
}
