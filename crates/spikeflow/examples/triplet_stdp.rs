//! A learning rule the library does not ship — triplet STDP (Pfister &
//! Gerstner 2006, all-to-all) — written in one short block and run,
//! unchanged, on a dense and on a convolutional connection.
//!
//! ```text
//! traces: r1 (τ+), r2 (τx) on each source; o1 (τ−), o2 (τy) on each target, +1 per spike
//! pre spike:   Δw = −nu_pre · o1 · (A2− + A3− · r2)
//! post spike:  Δw = +nu_post · r1 · (A2+ + A3+ · o2)
//! ```
//! (`r2` and `o2` are taken just before this step's increment, `r1` and `o1`
//! just after, so a pre and a post spike in the same step pair up.)
//!
//! Run with `cargo run --release -p spikeflow --example triplet_stdp`.

use spikeflow::learning::{Nu, Phases, RuleTraces, Synapse, SynapseRule, TraceSpec};
use spikeflow::prelude::*;
use spikeflow::rng::Rng;

/// Triplet STDP, all-to-all interactions (visual-cortex parameters).
/// Public so that `tests/triplet_stdp.rs` checks this very rule.
#[derive(Debug, Clone, Copy)]
pub struct TripletStdp {
    pub tau_plus: f32,
    pub tau_minus: f32,
    pub tau_x: f32,
    pub tau_y: f32,
    pub a2_plus: f32,
    pub a3_plus: f32,
    pub a2_minus: f32,
    pub a3_minus: f32,
}

impl Default for TripletStdp {
    fn default() -> Self {
        TripletStdp {
            tau_plus: 16.8,
            tau_minus: 33.7,
            tau_x: 101.0,
            tau_y: 125.0,
            a2_plus: 5e-10,
            a3_plus: 6.2e-3,
            a2_minus: 7e-3,
            a3_minus: 2.3e-4,
        }
    }
}

impl SynapseRule for TripletStdp {
    fn name(&self) -> &'static str {
        "TripletSTDP"
    }
    fn phases(&self, _nu: &Nu) -> Phases {
        Phases {
            pre: true,
            post: true,
            every_step: false,
            eligibility: false,
        }
    }
    fn rule_traces(&self) -> RuleTraces {
        let t = |tau_ms| TraceSpec {
            tau_ms,
            amplitude: 1.0,
            additive: true,
        };
        RuleTraces {
            pre: vec![t(self.tau_plus), t(self.tau_x)],
            post: vec![t(self.tau_minus), t(self.tau_y)],
        }
    }
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        let (o1, r2) = (s.post.traces[0] + s.post.s, s.pre.traces[1]);
        -s.nu_pre * s.pre.s * o1 * (self.a2_minus + self.a3_minus * r2)
    }
    fn on_post(&self, s: &Synapse<'_>) -> f32 {
        let (r1, o2) = (s.pre.traces[0] + s.pre.s, s.post.traces[1]);
        s.nu_post * s.post.s * r1 * (self.a2_plus + self.a3_plus * o2)
    }
}

/// Random spikes `[steps, 1, n]` at probability `p` per step.
fn spikes(steps: usize, n: usize, p: f32, rng: &mut Rng) -> Tensor {
    let data = (0..steps * n)
        .map(|_| (rng.uniform_f32() < p) as u8 as f32)
        .collect();
    Tensor::new(vec![steps, 1, n], data).expect("shape")
}

fn run(
    name: &str,
    target_shape: &[usize],
    connect: Connect,
    steps: usize,
) -> spikeflow::Result<()> {
    let mut b = Network::builder().seed(7);
    b.add_population("X", &[1, 8, 8], Input, NodeOptions::default());
    let lif = LifNodes {
        thresh: (-60.0).into(),
        ..Default::default()
    };
    b.add_population("Y", target_shape, lif, NodeOptions::default());
    b.connect(
        connect
            .rule(TripletStdp::default())
            .nu((0.05, 0.05))
            .wmin(0.0)
            .wmax(1.0),
    );
    let mut net = b.build()?;
    let before = net.weights("X -> Y")?.to_vec();
    let x = spikes(steps, 64, 0.1, &mut Rng::seed_from_u64(1));
    net.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
    net.run(&[("X", &x)], steps, &RunOptions::default())?;
    let after = net.weights("X -> Y")?;
    let changed = before.iter().zip(after).filter(|(a, b)| a != b).count();
    let drift: f32 =
        before.iter().zip(after).map(|(a, b)| b - a).sum::<f32>() / before.len() as f32;
    let out: f32 = net.monitor("y")?.get("s")?.data().iter().sum();
    println!(
        "{name:>5}: {} weights, {changed} changed, mean change {drift:+.5}, {out} output spikes",
        before.len()
    );
    Ok(())
}

fn main() -> spikeflow::Result<()> {
    // The same rule, unchanged, on two topologies.
    run(
        "dense",
        &[16],
        Connect::new("X", "Y", Dense::with_weights(vec![0.25; 64 * 16])),
        500,
    )?;
    run(
        "conv",
        &[2, 6, 6],
        Connect::new("X", "Y", Conv::new(vec![3, 3]).weights(vec![0.8; 2 * 9])),
        500,
    )?;
    Ok(())
}
