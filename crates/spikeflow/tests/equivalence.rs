//! Topology equivalence: a sparse, a local and a convolutional connection,
//! each unrolled into the equivalent dense matrix, behave exactly like it —
//! same spikes, same weights after learning — for every two-factor and
//! reward-modulated rule (PostPre, Hebbian, WeightDependentPostPre, MSTDP,
//! MSTDPET), batch 1 and 3.
//!
//! * Sparse and local connections have unshared weights: the dense
//!   reference is a `Dense` connection whose absent synapses are pinned to
//!   zero with per-synapse bounds `[0, 0]` (BindsNET's mask), and the two
//!   networks run side by side for many steps.
//! * A convolution shares its kernels, so the dense unrolling cannot follow
//!   it over many learning steps. Forward: conv vs dense with the unrolled
//!   matrix, no learning, same spikes and voltages. Learning: before each
//!   step the dense weights are reset to the unrolled kernels (so both
//!   networks are in the same state); after the step the kernel change must
//!   equal the dense per-synapse changes folded back onto the kernel (summed
//!   over positions).
//!
//! The unrolling is computed here from the documented geometry, not taken
//! from the library. Inputs are seeded Bernoulli spike trains drawn with
//! [`spikeflow::rng::Rng`].

use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::TopologySpec;

type R<T = ()> = spikeflow::Result<T>;

const XY: &str = "X -> Y";
const TOL: f32 = 1e-5;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    PostPre,
    Hebbian,
    Wdpp,
    Mstdp,
    MstdpEt,
}

const RULES: [Rule; 5] = [
    Rule::PostPre,
    Rule::Hebbian,
    Rule::Wdpp,
    Rule::Mstdp,
    Rule::MstdpEt,
];

/// Bounds of the soft-bounded rule (never reached here).
const WDPP_BOUNDS: (f32, f32) = (-2.0, 4.0);

fn attach(c: Connect, rule: Rule) -> Connect {
    match rule {
        Rule::PostPre => c.rule(PostPre).nu((0.02, 0.04)),
        Rule::Hebbian => c.rule(Hebbian).nu((0.01, 0.02)),
        Rule::Wdpp => c.rule(WeightDependentPostPre).nu((0.05, 0.08)),
        Rule::Mstdp => c.rule(Mstdp::default()).nu(0.05),
        Rule::MstdpEt => c.rule(MstdpEt::default()).nu(0.2),
    }
}

fn traced() -> NodeOptions {
    NodeOptions {
        traces: true,
        ..Default::default()
    }
}

/// A LIF target that fires often enough for learning to matter.
fn lif() -> LifNodes {
    LifNodes {
        thresh: (-62.0).into(),
        refrac: 2.0.into(),
        tc_decay: 20.0.into(),
        ..LifNodes::default()
    }
}

/// `X` (Input, traces) → `Y` (LIF, traces) through `connect`, with a
/// monitor `"y"` of Y's spikes and voltages.
fn two_layer(batch: usize, src: &[usize], tgt: &[usize], connect: Connect) -> R<Network> {
    let mut b = Network::builder().batch_size(batch).seed(3);
    b.add_population("X", src, Input, traced());
    b.add_population("Y", tgt, lif(), traced());
    b.connect(connect);
    let mut net = b.build()?;
    net.add_monitor("y", MonitorSpec::new("Y", &["s", "v"]))?;
    Ok(net)
}

/// Seeded spike trains and per-row rewards.
struct Drive {
    x: Tensor,
    reward: Tensor,
    steps: usize,
}

fn drive(seed: u64, steps: usize, batch: usize, n_pre: usize, p: f32) -> Drive {
    let mut rng = Rng::seed_from_u64(seed);
    let x = (0..steps * batch * n_pre)
        .map(|_| f32::from(rng.uniform_f32() < p))
        .collect();
    let r = (0..steps * batch)
        .map(|_| 2.0 * rng.uniform_f32() - 1.0)
        .collect();
    Drive {
        x: Tensor::new(vec![steps, batch, n_pre], x).unwrap(),
        reward: Tensor::new(vec![steps, batch], r).unwrap(),
        steps,
    }
}

impl Drive {
    fn run(&self, net: &mut Network) -> R {
        let o = RunOptions {
            reward: Reward::PerStepRow(self.reward.clone()),
            ..Default::default()
        };
        net.run(&[("X", &self.x)], self.steps, &o)
    }
    /// Runs only step `t`.
    fn step(&self, net: &mut Network, t: usize) -> R {
        let mut xs = self.x.shape().to_vec();
        xs[0] = 1;
        let x = Tensor::new(xs, self.x.slab(t).to_vec())?;
        let r = Tensor::new(
            vec![1, self.reward.shape()[1]],
            self.reward.slab(t).to_vec(),
        )?;
        net.run(
            &[("X", &x)],
            1,
            &RunOptions {
                reward: Reward::PerStepRow(r),
                ..Default::default()
            },
        )
    }
}

#[track_caller]
fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= TOL * w.abs().max(1.0),
            "{what}: index {k}: got {g}, want {w}"
        );
    }
}

/// Same spikes exactly, same voltages within `TOL`, at every step.
#[track_caller]
fn assert_same_activity(a: &Network, b: &Network, what: &str) -> R {
    let (ma, mb) = (a.monitor("y")?, b.monitor("y")?);
    let (sa, sb) = (ma.get("s")?, mb.get("s")?);
    assert_eq!(sa.shape(), sb.shape(), "{what}");
    for t in 0..sa.shape()[0] {
        assert_eq!(sa.slab(t), sb.slab(t), "{what}: spikes differ at step {t}");
    }
    assert!(
        sa.data().iter().sum::<f32>() > 0.0,
        "{what}: the target fired"
    );
    assert_close(
        ma.get("v")?.data(),
        mb.get("v")?.data(),
        &format!("{what}: v"),
    );
    Ok(())
}

/// Dense-reference bounds: absent synapses pinned to `[0, 0]`; present ones
/// get the rule's bounds (unbounded except for the soft-bounded rule).
fn masked_bounds(present: &[bool], rule: Rule) -> (Bound, Bound) {
    let (lo, hi) = if rule == Rule::Wdpp {
        WDPP_BOUNDS
    } else {
        (f32::NEG_INFINITY, f32::INFINITY)
    };
    let lo_v = present.iter().map(|&p| if p { lo } else { 0.0 }).collect();
    let hi_v = present.iter().map(|&p| if p { hi } else { 0.0 }).collect();
    (Bound::PerSynapse(lo_v), Bound::PerSynapse(hi_v))
}

fn plain_bounds(c: Connect, rule: Rule) -> Connect {
    if rule == Rule::Wdpp {
        c.wmin(WDPP_BOUNDS.0).wmax(WDPP_BOUNDS.1)
    } else {
        c
    }
}

/// Runs `other` (a sparse or local connection with structure `present`)
/// next to a masked dense connection with the same initial weights `w`, and
/// compares spikes, voltages and weights.
fn compare_with_masked_dense(
    what: &str,
    batch: usize,
    src: &[usize],
    n_post: usize,
    w: &[f32],
    other: impl TopologySpec + 'static,
    rule: Rule,
    seed: u64,
) -> R {
    let n_pre: usize = src.iter().product();
    let present: Vec<bool> = w.iter().map(|&x| x != 0.0).collect();
    let nnz = present.iter().filter(|&&p| p).count();
    let (lo, hi) = masked_bounds(&present, rule);
    let dense_c = attach(
        Connect::new("X", "Y", Dense::with_weights(w.to_vec())),
        rule,
    )
    .wmin(lo)
    .wmax(hi);
    let mut dense = two_layer(batch, src, &[n_post], dense_c)?;
    let mut sparse = two_layer(
        batch,
        src,
        &[n_post],
        plain_bounds(attach(Connect::new("X", "Y", other), rule), rule),
    )?;
    assert_eq!(
        sparse.weights(XY)?.len(),
        nnz,
        "{what}: one weight per present synapse"
    );
    let d = drive(seed, 40, batch, n_pre, 0.25);
    d.run(&mut dense)?;
    d.run(&mut sparse)?;
    assert_same_activity(&dense, &sparse, what)?;
    let ws = sparse.weights_tensor(XY)?;
    assert_eq!(ws.shape(), &[n_pre, n_post], "{what}: dense layout");
    let wd = dense.weights(XY)?;
    assert_close(ws.data(), wd, &format!("{what}: weights"));
    let mut changed = 0;
    for k in 0..w.len() {
        if present[k] {
            changed += usize::from(wd[k] != w[k]);
        } else {
            assert_eq!(ws.data()[k], 0.0, "{what}: no synapse created at {k}");
            assert_eq!(wd[k], 0.0, "{what}: the dense mask holds at {k}");
        }
    }
    assert!(
        changed > nnz / 10,
        "{what}: learning changed {changed} of {nnz} weights"
    );
    assert_eq!(
        sparse.weights(XY)?.len(),
        nnz,
        "{what}: still one weight per present synapse"
    );
    Ok(())
}

/// Random weights in `[lo, hi)` with a fraction `zeros` of structural zeros.
fn sparse_weights(rng: &mut Rng, n: usize, zeros: f32, lo: f32, hi: f32) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let keep = rng.uniform_f32() >= zeros;
            let v = lo + rng.uniform_f32() * (hi - lo);
            if keep {
                v
            } else {
                0.0
            }
        })
        .collect()
}

#[test]
fn sparse_equals_masked_dense() -> R {
    let (n_pre, n_post) = (30, 12);
    for batch in [1, 3] {
        for rule in RULES {
            for (v, variant) in ["FromDense", "Triplets"].into_iter().enumerate() {
                let seed = 100 + batch as u64 * 10 + rule as u64 + 50 * v as u64;
                let mut rng = Rng::seed_from_u64(seed);
                let w = sparse_weights(&mut rng, n_pre * n_post, 0.7, 0.1, 1.2);
                let topo = if variant == "FromDense" {
                    Sparse::FromDense(w.clone())
                } else {
                    // Triplets in a shuffled order.
                    let mut t: Vec<(u32, u32, f32)> = (0..w.len())
                        .filter(|&k| w[k] != 0.0)
                        .map(|k| ((k / n_post) as u32, (k % n_post) as u32, w[k]))
                        .collect();
                    for i in (1..t.len()).rev() {
                        t.swap(i, rng.below(i + 1));
                    }
                    Sparse::Triplets(t)
                };
                let what = format!("Sparse::{variant} batch {batch} {rule:?}");
                compare_with_masked_dense(&what, batch, &[n_pre], n_post, &w, topo, rule, seed)?;
            }
        }
    }
    Ok(())
}

#[test]
fn random_sparse_equals_masked_dense() -> R {
    // The structure drawn by Sparse::Random, read back in dense layout.
    let (n_pre, n_post) = (30, 12);
    for batch in [1, 3] {
        for rule in RULES {
            let spec = Sparse::Random { p: 0.3, seed: 42 };
            let probe = two_layer(
                batch,
                &[n_pre],
                &[n_post],
                Connect::new("X", "Y", spec.clone()),
            )?;
            let w = probe.weights_tensor(XY)?.into_data();
            // Keep only the structure; redraw positive weights so none is 0.
            let mut rng = Rng::seed_from_u64(7);
            let w: Vec<f32> = w
                .iter()
                .map(|&x| {
                    if x != 0.0 {
                        0.1 + rng.uniform_f32()
                    } else {
                        0.0
                    }
                })
                .collect();
            let nnz = w.iter().filter(|&&x| x != 0.0).count();
            assert!(nnz > 50 && nnz < 200, "p = 0.3 of 360: {nnz}");
            let trip = (0..w.len())
                .filter(|&k| w[k] != 0.0)
                .map(|k| ((k / n_post) as u32, (k % n_post) as u32, w[k]))
                .collect();
            let what = format!("Sparse::Random batch {batch} {rule:?}");
            compare_with_masked_dense(
                &what,
                batch,
                &[n_pre],
                n_post,
                &w,
                Sparse::Triplets(trip),
                rule,
                5,
            )?;
        }
    }
    Ok(())
}

/// The legacy local connection's dense-with-zeros weights, from its
/// documented geometry: target `j = f·P + c1·cw + c2` reads the source
/// pixels `(c1·sh + k1)·W + c2·sw + k2`.
fn local_weights(
    rng: &mut Rng,
    (h, w_in): (usize, usize),
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    filters: usize,
) -> (Vec<f32>, usize) {
    let (ch, cw) = ((h - kh) / sh + 1, (w_in - kw) / sw + 1);
    let p = ch * cw;
    let (n_pre, n_post) = (h * w_in, filters * p);
    let mut d = vec![0.0; n_pre * n_post];
    for f in 0..filters {
        for c1 in 0..ch {
            for c2 in 0..cw {
                let j = f * p + c1 * cw + c2;
                for k1 in 0..kh {
                    for k2 in 0..kw {
                        let i = (c1 * sh + k1) * w_in + c2 * sw + k2;
                        d[i * n_post + j] = 0.1 + 0.9 * rng.uniform_f32();
                    }
                }
            }
        }
    }
    (d, n_post)
}

#[test]
fn local_connection_equals_masked_dense() -> R {
    let (hw, kernel, filters) = ((6, 7), (3, 2), 2);
    for batch in [1, 3] {
        for stride in [(1, 1), (2, 2)] {
            for rule in RULES {
                let seed = 300 + batch as u64 * 10 + stride.0 as u64 * 100 + rule as u64;
                let mut rng = Rng::seed_from_u64(seed);
                let (w, n_post) = local_weights(&mut rng, hw, kernel, stride, filters);
                let local = LocalConnection {
                    kernel,
                    stride,
                    n_filters: filters,
                    input_shape: Some(hw),
                    w: Some(w.clone()),
                    b: None,
                };
                let what = format!("LocalConnection stride {stride:?} batch {batch} {rule:?}");
                compare_with_masked_dense(
                    &what,
                    batch,
                    &[hw.0, hw.1],
                    n_post,
                    &w,
                    local,
                    rule,
                    seed,
                )?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Convolutions.
// ---------------------------------------------------------------------------

/// A convolution's geometry, with the unrolling computed independently of
/// the library: source `[c_in, *input]`, target `[c_out, *out]`, weights
/// `[c_out][c_in][k…]`, `out = ⌊(in + 2p − d·(k − 1) − 1)/s⌋ + 1`.
#[derive(Debug, Clone)]
struct Geo {
    c_in: usize,
    c_out: usize,
    input: Vec<usize>,
    kernel: Vec<usize>,
    stride: Vec<usize>,
    padding: Vec<usize>,
    dilation: Vec<usize>,
}

/// Row-major multi-index of `flat` in `shape`.
fn unflatten(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        idx[a] = flat % shape[a];
        flat /= shape[a];
    }
    idx
}

fn flatten(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

impl Geo {
    fn conv2d(
        c_in: usize,
        c_out: usize,
        input: [usize; 2],
        k: usize,
        stride: usize,
        padding: usize,
    ) -> Self {
        Geo {
            c_in,
            c_out,
            input: input.to_vec(),
            kernel: vec![k, k],
            stride: vec![stride; 2],
            padding: vec![padding; 2],
            dilation: vec![1; 2],
        }
    }
    fn out(&self) -> Vec<usize> {
        (0..self.input.len())
            .map(|a| {
                (self.input[a] + 2 * self.padding[a] - self.dilation[a] * (self.kernel[a] - 1) - 1)
                    / self.stride[a]
                    + 1
            })
            .collect()
    }
    fn src_shape(&self) -> Vec<usize> {
        [vec![self.c_in], self.input.clone()].concat()
    }
    fn tgt_shape(&self) -> Vec<usize> {
        [vec![self.c_out], self.out()].concat()
    }
    fn n_pre(&self) -> usize {
        self.src_shape().iter().product()
    }
    fn n_post(&self) -> usize {
        self.tgt_shape().iter().product()
    }
    fn kernel_len(&self) -> usize {
        self.kernel.iter().product()
    }
    fn n_w(&self) -> usize {
        self.c_out * self.c_in * self.kernel_len()
    }
    /// Every synapse `(pre, post, kernel weight)`; padding is no synapse.
    fn synapses(&self) -> Vec<(usize, usize, usize)> {
        let out = self.out();
        let n_out: usize = out.iter().product();
        let mut v = Vec::new();
        for o in 0..self.c_out {
            for op in 0..n_out {
                let opos = unflatten(op, &out);
                for c in 0..self.c_in {
                    for kp in 0..self.kernel_len() {
                        let kpos = unflatten(kp, &self.kernel);
                        let ipos: Option<Vec<usize>> = (0..self.input.len())
                            .map(|a| {
                                let t = (opos[a] * self.stride[a] + kpos[a] * self.dilation[a])
                                    as isize
                                    - self.padding[a] as isize;
                                (t >= 0 && (t as usize) < self.input[a]).then_some(t as usize)
                            })
                            .collect();
                        if let Some(ipos) = ipos {
                            let pre = c * self.input.iter().product::<usize>()
                                + flatten(&ipos, &self.input);
                            let post = o * n_out + op;
                            let k = (o * self.c_in + c) * self.kernel_len() + kp;
                            v.push((pre, post, k));
                        }
                    }
                }
            }
        }
        v
    }
    fn unroll(&self, w: &[f32]) -> Vec<f32> {
        let n_post = self.n_post();
        let mut d = vec![0.0; self.n_pre() * n_post];
        for (i, j, k) in self.synapses() {
            d[i * n_post + j] = w[k];
        }
        d
    }
    /// Sums a dense per-synapse array onto the kernel weights.
    fn fold(&self, dense: &[f32]) -> Vec<f32> {
        let n_post = self.n_post();
        let mut w = vec![0.0; self.n_w()];
        for (i, j, k) in self.synapses() {
            w[k] += dense[i * n_post + j];
        }
        w
    }
    fn spec(&self, w: Vec<f32>) -> Conv {
        Conv::new(self.kernel.clone())
            .stride(self.stride.clone())
            .padding(self.padding.clone())
            .dilation(self.dilation.clone())
            .weights(w)
    }
    fn random_weights(&self, rng: &mut Rng) -> Vec<f32> {
        let scale = 1.5 / self.c_in as f32;
        (0..self.n_w())
            .map(|_| scale * (0.05 + 0.95 * rng.uniform_f32()))
            .collect()
    }
}

/// The 2-D grid of the brief: 1 and 3 input channels, stride 1 and 2,
/// padding 0 and 1 (7 × 7 input, 3 × 3 kernel, 2 output channels).
fn conv_grid() -> Vec<Geo> {
    let mut v = Vec::new();
    for c_in in [1, 3] {
        for stride in [1, 2] {
            for padding in [0, 1] {
                v.push(Geo::conv2d(c_in, 2, [7, 7], 3, stride, padding));
            }
        }
    }
    v
}

/// 1-D and 3-D convolutions, dilation and uneven per-axis settings, with
/// several input channels (BindsNET's Conv1d/3d are exact only for C_in = 1).
fn conv_extra() -> Vec<Geo> {
    vec![
        Geo {
            dilation: vec![2, 1],
            ..Geo::conv2d(2, 2, [7, 6], 3, 1, 1)
        },
        Geo {
            c_in: 2,
            c_out: 3,
            input: vec![11],
            kernel: vec![3],
            stride: vec![2],
            padding: vec![1],
            dilation: vec![2],
        },
        Geo {
            c_in: 2,
            c_out: 2,
            input: vec![3, 5, 4],
            kernel: vec![2, 3, 2],
            stride: vec![1, 2, 1],
            padding: vec![1, 0, 1],
            dilation: vec![1, 1, 1],
        },
    ]
}

#[test]
fn unrolling_counts_every_synapse_once() {
    // Self-check of the reference: each (pre, post) pair appears at most
    // once, and without padding each position sees a full kernel.
    for g in conv_grid().into_iter().chain(conv_extra()) {
        let syn = g.synapses();
        let mut pairs: Vec<(usize, usize)> = syn.iter().map(|&(i, j, _)| (i, j)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), syn.len(), "{g:?}");
        if g.padding.iter().all(|&p| p == 0) {
            assert_eq!(syn.len(), g.n_post() * g.c_in * g.kernel_len(), "{g:?}");
        }
    }
}

#[test]
fn conv_forward_equals_unrolled_dense() -> R {
    for (n, g) in conv_grid().into_iter().chain(conv_extra()).enumerate() {
        for batch in [1, 3] {
            let mut rng = Rng::seed_from_u64(500 + n as u64);
            let w = g.random_weights(&mut rng);
            let bias: Vec<f32> = (0..g.c_out).map(|_| rng.uniform_f32() - 0.3).collect();
            let per = g.n_post() / g.c_out;
            let bias_dense: Vec<f32> = (0..g.n_post()).map(|j| bias[j / per]).collect();
            let what = format!("{g:?} batch {batch}");
            let mut conv = two_layer(
                batch,
                &g.src_shape(),
                &g.tgt_shape(),
                Connect::new("X", "Y", g.spec(w.clone()).bias(bias)),
            )?;
            let mut dense = two_layer(
                batch,
                &g.src_shape(),
                &g.tgt_shape(),
                Connect::new("X", "Y", Dense::with_weights(g.unroll(&w)).bias(bias_dense)),
            )?;
            conv.set_learning(false);
            dense.set_learning(false);
            let d = drive(600 + n as u64, 30, batch, g.n_pre(), 0.2);
            d.run(&mut conv)?;
            d.run(&mut dense)?;
            assert_same_activity(&conv, &dense, &what)?;
            assert_eq!(conv.weights(XY)?, w.as_slice(), "{what}: no learning");
        }
    }
    Ok(())
}

/// One learning step at a time: the kernel change equals the folded dense
/// change from the same state.
fn conv_learning_matches_folded_dense(g: &Geo, batch: usize, rule: Rule, seed: u64) -> R {
    let what = format!("{g:?} batch {batch} {rule:?}");
    let mut rng = Rng::seed_from_u64(seed);
    let w = g.random_weights(&mut rng);
    // Same (scalar) bounds on both: the soft-bound factors use the same w.
    let mut conv = two_layer(
        batch,
        &g.src_shape(),
        &g.tgt_shape(),
        plain_bounds(
            attach(Connect::new("X", "Y", g.spec(w.clone())), rule),
            rule,
        ),
    )?;
    let mut dense = two_layer(
        batch,
        &g.src_shape(),
        &g.tgt_shape(),
        plain_bounds(
            attach(
                Connect::new("X", "Y", Dense::with_weights(g.unroll(&w))),
                rule,
            ),
            rule,
        ),
    )?;
    let d = drive(seed + 1, 15, batch, g.n_pre(), 0.25);
    let mut moved = 0.0f32;
    for t in 0..d.steps {
        let wc = conv.weights(XY)?.to_vec();
        let wd0 = g.unroll(&wc);
        dense.weights_mut(XY)?.copy_from_slice(&wd0);
        d.step(&mut conv, t)?;
        d.step(&mut dense, t)?;
        assert_eq!(
            conv.population("Y")?.core().spikes().values(),
            dense.population("Y")?.core().spikes().values(),
            "{what}: spikes differ at step {t}"
        );
        let delta: Vec<f32> = dense
            .weights(XY)?
            .iter()
            .zip(&wd0)
            .map(|(a, b)| a - b)
            .collect();
        // Clamping comes after the summed update: a shared kernel weight can
        // overshoot a soft bound that no single synapse crosses.
        let (lo, hi) = if rule == Rule::Wdpp {
            WDPP_BOUNDS
        } else {
            (f32::NEG_INFINITY, f32::INFINITY)
        };
        let want: Vec<f32> = wc
            .iter()
            .zip(g.fold(&delta))
            .map(|(a, b)| (a + b).clamp(lo, hi))
            .collect();
        let got = conv.weights(XY)?;
        assert_close(got, &want, &format!("{what}: weights after step {t}"));
        moved += got.iter().zip(&wc).map(|(a, b)| (a - b).abs()).sum::<f32>();
    }
    assert!(moved > 0.0, "{what}: learning happened");
    assert_same_activity(&conv, &dense, &what)?;
    Ok(())
}

#[test]
fn conv_learning_equals_folded_dense_updates() -> R {
    for (n, g) in conv_grid().into_iter().enumerate() {
        for batch in [1, 3] {
            for rule in RULES {
                conv_learning_matches_folded_dense(
                    &g,
                    batch,
                    rule,
                    700 + 10 * n as u64 + rule as u64,
                )?;
            }
        }
    }
    Ok(())
}

#[test]
fn conv_1d_3d_and_dilated_learning_equals_folded_dense_updates() -> R {
    for (n, g) in conv_extra().into_iter().enumerate() {
        for batch in [1, 3] {
            for rule in RULES {
                conv_learning_matches_folded_dense(
                    &g,
                    batch,
                    rule,
                    900 + 10 * n as u64 + rule as u64,
                )?;
            }
        }
    }
    Ok(())
}
