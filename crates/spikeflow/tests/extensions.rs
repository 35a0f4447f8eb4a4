//! What a user can add from outside the crate: a topology that learns with
//! every rule (through `SynapseLayout`), and a rule with per-neuron state
//! (a BCM rule with a sliding threshold), each checked against the built-in
//! machinery or a hand computation.

use spikeflow::learning::{NeuronState, NeuronStep, Requirements, Synapse, SynapseRule};
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::{Ends, SynapseLayout, SynapseMap, Topology, TopologySpec};

type R<T = ()> = spikeflow::Result<T>;

/// A band: source `i` reaches targets `i − 1`, `i`, `i + 1` (where they
/// exist), one weight per synapse, numbered in source-major order.
#[derive(Debug, Clone)]
struct Band {
    weights: Vec<f32>,
}

#[derive(Debug)]
struct BandLayout {
    n: usize,
    /// First weight index of each source, and one past the last.
    starts: Vec<usize>,
}

impl BandLayout {
    fn new(n: usize) -> Self {
        let mut starts = vec![0];
        for i in 0..n {
            let targets = Self::targets(n, i).count();
            starts.push(starts[i] + targets);
        }
        BandLayout { n, starts }
    }
    fn targets(n: usize, i: usize) -> impl Iterator<Item = usize> {
        i.saturating_sub(1)..(i + 2).min(n)
    }
}

impl SynapseLayout for BandLayout {
    fn n_pre(&self) -> usize {
        self.n
    }
    fn n_post(&self) -> usize {
        self.n
    }
    fn n_weights(&self) -> usize {
        self.starts[self.n]
    }
    fn for_each_out(&self, pre: usize, f: &mut dyn FnMut(usize, usize)) {
        for (k, j) in Self::targets(self.n, pre).enumerate() {
            f(j, self.starts[pre] + k);
        }
    }
    fn for_each_in(&self, post: usize, f: &mut dyn FnMut(usize, usize)) {
        for i in post.saturating_sub(1)..(post + 2).min(self.n) {
            let k = Self::targets(self.n, i).position(|j| j == post).unwrap();
            f(i, self.starts[i] + k);
        }
    }
}

#[derive(Debug)]
struct BandTopology {
    layout: BandLayout,
    w: Vec<f32>,
}

impl TopologySpec for Band {
    fn type_name(&self) -> &'static str {
        "Band"
    }
    fn build(&self, ends: &Ends<'_>, _rng: &mut Rng) -> R<Box<dyn Topology>> {
        let layout = BandLayout::new(ends.n_pre());
        if ends.n_pre() != ends.n_post() || self.weights.len() != layout.n_weights() {
            return Err(spikeflow::Error::shape(
                ends.name,
                format!("a band needs equal ends and {} weights", layout.n_weights()),
            ));
        }
        Ok(Box::new(BandTopology {
            layout,
            w: self.weights.clone(),
        }))
    }
}

impl Topology for BandTopology {
    fn type_name(&self) -> &'static str {
        "Band"
    }
    fn propagate(&mut self, src: &Spikes, out: &mut [f32]) {
        let n = self.layout.n;
        for b in 0..src.batch() {
            for &i in src.active(b) {
                let s = src.row(b)[i as usize];
                self.layout.for_each_out(i as usize, &mut |j, k| {
                    out[b * n + j] += s * self.w[k];
                });
            }
        }
    }
    fn weights(&self) -> Option<&[f32]> {
        Some(&self.w)
    }
    fn weights_mut(&mut self) -> Option<&mut [f32]> {
        Some(&mut self.w)
    }
    fn weights_dense(&self) -> Option<(Vec<usize>, Vec<f32>)> {
        let n = self.layout.n;
        let mut d = vec![0.0; n * n];
        for i in 0..n {
            self.layout
                .for_each_out(i, &mut |j, k| d[i * n + j] = self.w[k]);
        }
        Some((vec![n, n], d))
    }
    fn synapses(&self) -> Option<SynapseMap<'_>> {
        Some(SynapseMap::Custom(&self.layout))
    }
    fn learn_view(&mut self) -> Option<(SynapseMap<'_>, &mut [f32])> {
        Some((SynapseMap::Custom(&self.layout), &mut self.w))
    }
}

fn traced() -> NodeOptions {
    NodeOptions {
        traces: true,
        ..Default::default()
    }
}

/// `X` (n inputs) → `Y` (n LIF) through `topology`, PostPre, driven by
/// seeded Bernoulli input; returns the final dense weights.
fn postpre_run(topology: impl TopologySpec + 'static, n: usize, steps: usize) -> R<Vec<f32>> {
    let mut b = Network::builder().seed(3);
    b.add_population("X", &[n], Input, traced());
    b.add_population("Y", &[n], LifNodes::default(), traced());
    b.connect(
        Connect::new("X", "Y", topology)
            .rule(PostPre)
            .nu((1e-3, 2e-3))
            .wmin(0.0)
            .wmax(30.0),
    );
    let mut net = b.build()?;
    let mut rng = Rng::seed_from_u64(11);
    let x: Vec<f32> = (0..steps * n)
        .map(|_| f32::from(rng.uniform_f32() < 0.3))
        .collect();
    let x = Tensor::new(vec![steps, 1, n], x)?;
    net.run(&[("X", &x)], steps, &RunOptions::default())?;
    Ok(net.weights_tensor("X -> Y")?.data().to_vec())
}

#[test]
fn a_topology_written_outside_the_crate_learns_like_sparse() -> R {
    let n = 12;
    let layout = BandLayout::new(n);
    let mut trip = Vec::new();
    let mut weights = vec![0.0; layout.n_weights()];
    for i in 0..n {
        layout.for_each_out(i, &mut |j, k| {
            let w = 6.0 + ((i * 7 + j * 3) % 5) as f32;
            weights[k] = w;
            trip.push((i as u32, j as u32, w));
        });
    }
    let band = postpre_run(Band { weights }, n, 300)?;
    let sparse = postpre_run(Sparse::Triplets(trip.clone()), n, 300)?;
    assert_eq!(band, sparse);
    // The run learned: some weight moved.
    let moved = trip
        .iter()
        .filter(|&&(i, j, w)| band[i as usize * n + j as usize] != w)
        .count();
    assert!(moved > 0, "no weight changed");
    Ok(())
}

#[test]
fn kernel_normalisation_and_dense_weights_of_a_custom_layout() -> R {
    let n = 4;
    let layout = BandLayout::new(n);
    let weights: Vec<f32> = (0..layout.n_weights()).map(|k| 1.0 + k as f32).collect();
    let mut b = Network::builder();
    b.add_population("X", &[n], Input, NodeOptions::default());
    b.add_population("Y", &[n], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", Band { weights }).norm(2.0));
    let mut net = b.build()?;
    let x = Tensor::new(vec![1, 1, n], vec![0.0; n])?;
    net.run(&[("X", &x)], 1, &RunOptions::default())?;
    // Every target's incoming weights sum to the norm.
    let w = net.weights_tensor("X -> Y")?;
    for j in 0..n {
        let col: f32 = (0..n).map(|i| w.data()[i * n + j]).sum();
        assert!((col - 2.0).abs() < 1e-5, "target {j}: {col}");
    }
    Ok(())
}

/// BCM (Bienenstock, Cooper & Munro 1982) with rates estimated by the rule:
/// per postsynaptic neuron a rate `ȳ ← ȳ + (s − ȳ)·dt/τ_y` and a sliding
/// threshold `θ ← θ + (ȳ² − θ)·dt/τ_θ`; a presynaptic spike changes the
/// weight by `ν·ȳ·(ȳ − θ)`. The state is not a linear trace of spikes, so it
/// lives in [`SynapseRule::neuron_state`].
#[derive(Debug, Clone)]
struct Bcm {
    tau_y: f32,
    tau_theta: f32,
}

impl SynapseRule for Bcm {
    fn name(&self) -> &'static str {
        "BCM"
    }
    fn requirements(&self) -> Requirements {
        Requirements::default()
    }
    fn neuron_state(&self) -> NeuronState {
        NeuronState { pre: 0, post: 2 }
    }
    fn update_post_state(&self, st: &mut [f32], n: &NeuronStep) {
        st[0] += (n.s - st[0]) * (n.dt / self.tau_y);
        st[1] += (st[0] * st[0] - st[1]) * (n.dt / self.tau_theta);
    }
    fn on_pre(&self, s: &Synapse<'_>) -> f32 {
        let (y, theta) = (s.post.state[0], s.post.state[1]);
        s.nu_pre * s.pre.s * (y * (y - theta))
    }
}

/// Input spikes of source 0 and 1 and forced spikes of the one target.
fn bcm_schedule(steps: usize) -> (Vec<[bool; 2]>, Vec<bool>) {
    let pre = (0..steps).map(|t| [t % 3 == 0, t % 5 == 1]).collect();
    let post = (0..steps).map(|t| t % 4 != 3 && t < 30).collect();
    (pre, post)
}

fn bcm_run(topology: impl TopologySpec + 'static, steps: usize) -> R<(Vec<f32>, Network)> {
    let (pre, post) = bcm_schedule(steps);
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    // A threshold no input reaches: the target spikes only where forced.
    let never = LifNodes {
        thresh: 1e9.into(),
        ..Default::default()
    };
    b.add_population("Y", &[1], never, NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", topology)
            .rule(Bcm {
                tau_y: 5.0,
                tau_theta: 10.0,
            })
            .nu(0.5),
    );
    let mut net = b.build()?;
    let x: Vec<f32> = pre
        .iter()
        .flat_map(|p| p.map(f32::from))
        .collect::<Vec<_>>();
    let x = Tensor::new(vec![steps, 1, 2], x)?;
    let clamp = (0..steps)
        .map(|t| if post[t] { vec![0] } else { vec![] })
        .collect();
    let o = RunOptions {
        clamp: vec![("Y".into(), Mask::PerStep(clamp))],
        ..Default::default()
    };
    net.run(&[("X", &x)], steps, &o)?;
    let w = net.weights_tensor("X -> Y")?.data().to_vec();
    Ok((w, net))
}

#[test]
fn a_rule_with_per_neuron_state_matches_its_equations_on_every_topology() -> R {
    let steps = 40;
    let w0 = [0.3f32, 0.2];
    // By hand: terms see the state of the end of the previous step.
    let (pre, post) = bcm_schedule(steps);
    let (mut w, mut y, mut theta) = (w0, 0.0f32, 0.0f32);
    for t in 0..steps {
        for i in 0..2 {
            if pre[t][i] {
                w[i] += 0.0 + 0.5 * (y * (y - theta));
            }
        }
        y += (f32::from(post[t]) - y) * (1.0 / 5.0);
        theta += (y * y - theta) * (1.0 / 10.0);
    }
    let (dense, net) = bcm_run(Dense::with_weights(w0.to_vec()), steps)?;
    for (g, e) in dense.iter().zip(&w) {
        assert!((g - e).abs() < 1e-6, "dense {dense:?} vs by hand {w:?}");
    }
    // Depression and potentiation both happened: the threshold slid.
    assert!(w[0] != w0[0] && w[1] != w0[1]);
    let state = net.connection_state("X -> Y", "post_state")?;
    assert!((state[0] - y).abs() < 1e-6 && (state[1] - theta).abs() < 1e-6);
    let (sparse, _) = bcm_run(Sparse::FromDense(w0.to_vec()), steps)?;
    assert_eq!(dense, sparse);
    Ok(())
}

#[test]
fn per_neuron_rule_state_is_reset_and_survives_a_snapshot() -> R {
    let (_, mut net) = bcm_run(Dense::with_weights(vec![0.3, 0.2]), 20)?;
    let before = net.connection_state("X -> Y", "post_state")?.to_vec();
    assert!(before.iter().any(|&v| v != 0.0));
    let snap = net.snapshot();
    net.reset_state();
    assert!(net
        .connection_state("X -> Y", "post_state")?
        .iter()
        .all(|&v| v == 0.0));
    net.restore(&snap)?;
    assert_eq!(net.connection_state("X -> Y", "post_state")?, &before[..]);
    Ok(())
}
