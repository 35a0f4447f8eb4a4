//! Helpers shared by the rule tests.

use spikeflow::prelude::*;
use spikeflow::rng::Rng;

pub type R<T = ()> = spikeflow::Result<T>;

pub const XY: &str = "X -> Y";

/// `e^{-1/20}`, the one-step decay of a default trace (f32, as the library).
pub fn d20() -> f32 {
    (-1.0f32 / 20.0).exp()
}

pub fn traced() -> NodeOptions {
    NodeOptions {
        traces: true,
        ..Default::default()
    }
}

pub fn additive() -> NodeOptions {
    NodeOptions {
        traces: true,
        traces_additive: true,
        ..Default::default()
    }
}

/// A `[steps, batch, n]` tensor with ones at the given `(step, row, index)`.
pub fn spikes_at(steps: usize, batch: usize, n: usize, ones: &[(usize, usize, usize)]) -> Tensor {
    let mut d = vec![0.0; steps * batch * n];
    for &(t, b, i) in ones {
        d[(t * batch + b) * n + i] = 1.0;
    }
    Tensor::new(vec![steps, batch, n], d).unwrap()
}

/// Bernoulli(p) spikes `[steps, batch, n]`.
pub fn poisson(rng: &mut Rng, steps: usize, batch: usize, n: usize, p: f32) -> Tensor {
    let d = (0..steps * batch * n)
        .map(|_| f32::from(rng.uniform_f32() < p))
        .collect();
    Tensor::new(vec![steps, batch, n], d).unwrap()
}

/// Random currents: `amp` with probability `p`, else 0.
pub fn currents(rng: &mut Rng, steps: usize, batch: usize, n: usize, p: f32, amp: f32) -> Tensor {
    let d = (0..steps * batch * n)
        .map(|_| if rng.uniform_f32() < p { amp } else { 0.0 })
        .collect();
    Tensor::new(vec![steps, batch, n], d).unwrap()
}

pub fn uniform(rng: &mut Rng, lo: f32, hi: f32) -> f32 {
    lo + rng.uniform_f32() * (hi - lo)
}

/// Step `t` of a `[steps, …]` tensor, as a one-step tensor.
pub fn slab(x: &Tensor, t: usize) -> Tensor {
    let mut shape = x.shape().to_vec();
    shape[0] = 1;
    Tensor::new(shape, x.slab(t).to_vec()).unwrap()
}

#[track_caller]
pub fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "index {k}: got {g}, want {w} (tol {tol})\n got {got:?}\nwant {want:?}"
        );
    }
}

/// The pair example: `X` (2 inputs) → `Y` (1 LIF), weights `[20, 0.5]`.
pub fn pair_net(
    batch: usize,
    x_opts: NodeOptions,
    y_opts: NodeOptions,
    connect: impl FnOnce(Connect) -> Connect,
) -> R<Network> {
    pair_net_w(batch, vec![20.0, 0.5], x_opts, y_opts, connect)
}

pub fn pair_net_w(
    batch: usize,
    w: Vec<f32>,
    x_opts: NodeOptions,
    y_opts: NodeOptions,
    connect: impl FnOnce(Connect) -> Connect,
) -> R<Network> {
    let mut b = Network::builder().batch_size(batch);
    b.add_population("X", &[2], Input, x_opts);
    b.add_population("Y", &[1], LifNodes::default(), y_opts);
    b.connect(connect(Connect::new("X", "Y", Dense::with_weights(w))));
    let mut net = b.build()?;
    net.add_monitor("w", MonitorSpec::new(XY, &["w"]))?;
    net.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
    Ok(net)
}

/// Input 0 at step 0 and input 1 at step 2, in every batch row listed.
pub fn pair_input(steps: usize, batch: usize, rows: &[usize]) -> Tensor {
    let ones: Vec<_> = rows.iter().flat_map(|&b| [(0, b, 0), (2, b, 1)]).collect();
    spikes_at(steps, batch, 2, &ones)
}

/// The weights recorded after each step, `[steps][n_w]`.
pub fn w_per_step(net: &Network) -> R<Vec<Vec<f32>>> {
    let w = net.monitor("w")?.get("w")?;
    Ok(w.data().chunks(w.stride0()).map(<[f32]>::to_vec).collect())
}
