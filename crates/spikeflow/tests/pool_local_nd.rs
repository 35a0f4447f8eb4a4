//! `MaxPool` and `LocalNd` over 1 and 3 spatial axes (the 2-D forms are
//! checked in `equivalence.rs` and `local_nd.rs`) against naive
//! implementations written here from BindsNET's definitions:
//!
//! * `MaxPool{1,3}dConnection`: `R ← R − decay·R + s`, and each window
//!   passes on the current spike of its first position of maximal `R`
//!   (padded positions never win);
//! * `LocalConnection{1,3}D`: `post[b, f·P + p] = Σ_c Σ_κ w[c, f·P + p, κ] ·
//!   s[b, c, window_p(κ)]`, and `PostPre` on those synapses.
//!
//! The target is a `McCullochPitts` population, whose `v` is exactly the
//! input it received, so the monitors read each connection's output.

use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::{LocalNd, MaxPool};

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for a in (0..shape.len().saturating_sub(1)).rev() {
        s[a] = s[a + 1] * shape[a + 1];
    }
    s
}

/// Every multi-index of `shape`, row-major.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &n in shape {
        out = out
            .into_iter()
            .flat_map(|p| {
                (0..n).map(move |i| {
                    let mut q = p.clone();
                    q.push(i);
                    q
                })
            })
            .collect();
    }
    out
}

/// Random 0/1 spikes `[steps, batch, n]`.
fn spikes(steps: usize, batch: usize, n: usize, p: f32, seed: u64) -> Tensor {
    let mut r = Rng::seed_from_u64(seed);
    let d = (0..steps * batch * n)
        .map(|_| (r.uniform_f32() < p) as u8 as f32)
        .collect();
    Tensor::new(vec![steps, batch, n], d).unwrap()
}

/// Runs `X [src] → Y [dst]` (McCullochPitts, thresh `thresh`) on `x` and
/// returns the monitors (`X.s`, `X.x`, `Y.v`, `Y.s`, `Y.x`) and the final
/// weights (if any).
struct Ran {
    y_v: Vec<f32>,
    x_s: Vec<f32>,
    x_x: Vec<f32>,
    y_s: Vec<f32>,
    y_x: Vec<f32>,
    w: Option<Vec<f32>>,
}

fn run(src: &[usize], dst: &[usize], conn: Connect, x: &Tensor, thresh: f32, learn: bool) -> Ran {
    let traced = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let batch = x.shape()[1];
    let mut b = Network::builder().batch_size(batch).learning(learn);
    b.add_population("X", src, Input, traced.clone());
    let mp = McCullochPitts {
        thresh: thresh.into(),
    };
    b.add_population("Y", dst, mp, traced);
    b.connect(conn);
    let mut net = b.build().unwrap();
    net.add_monitor("x", MonitorSpec::new("X", &["s", "x"]))
        .unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["v", "s", "x"]))
        .unwrap();
    net.run(&[("X", x)], x.shape()[0], &RunOptions::default())
        .unwrap();
    let get = |m: &str, v: &str| net.monitor(m).unwrap().get(v).unwrap().into_data();
    Ran {
        y_v: get("y", "v"),
        x_s: get("x", "s"),
        x_x: get("x", "x"),
        y_s: get("y", "s"),
        y_x: get("y", "x"),
        w: net.weights("X -> Y").ok().map(<[f32]>::to_vec),
    }
}

// ---------------------------------------------------------------- MaxPool

/// Naive max pooling over `[C, *spatial]` per step (output of step `t`
/// from the spikes of step `t − 1`), batch rows independent.
#[allow(clippy::too_many_arguments)]
fn naive_pool(
    x: &Tensor,
    src: &[usize],
    kernel: &[usize],
    stride: &[usize],
    pad: &[usize],
    decay: f32,
) -> (Vec<usize>, Vec<f32>) {
    let (steps, batch) = (x.shape()[0], x.shape()[1]);
    let (c, sp) = (src[0], &src[1..]);
    let out: Vec<usize> = (0..sp.len())
        .map(|a| (sp[a] + 2 * pad[a] - kernel[a]) / stride[a] + 1)
        .collect();
    let n_in: usize = src.iter().product();
    let n_out = c * out.iter().product::<usize>();
    let st = strides(sp);
    let plane: usize = sp.iter().product();
    let mut rates = vec![0.0f32; batch * n_in];
    let mut prev = vec![0.0f32; batch * n_in];
    let mut result = vec![0.0f32; steps * batch * n_out];
    for t in 0..steps {
        for (r, &s) in rates.iter_mut().zip(&prev) {
            *r = *r - decay * *r + s;
        }
        for b in 0..batch {
            let (rb, sb) = (&rates[b * n_in..], &prev[b * n_in..]);
            let mut j = 0;
            for ch in 0..c {
                for o in indices(&out) {
                    let mut best: Option<(f32, usize)> = None;
                    for k in indices(kernel) {
                        // Position in the padded input; skip the padding.
                        let pos: Vec<isize> = (0..o.len())
                            .map(|a| (o[a] * stride[a] + k[a]) as isize - pad[a] as isize)
                            .collect();
                        if pos.iter().zip(sp).any(|(&p, &n)| p < 0 || p >= n as isize) {
                            continue;
                        }
                        let i = ch * plane
                            + pos
                                .iter()
                                .zip(&st)
                                .map(|(&p, &s)| p as usize * s)
                                .sum::<usize>();
                        if best.is_none_or(|(m, _)| rb[i] > m) {
                            best = Some((rb[i], i));
                        }
                    }
                    result[(t * batch + b) * n_out + j] = sb[best.unwrap().1];
                    j += 1;
                }
            }
        }
        prev.copy_from_slice(x.slab_of(t));
    }
    let mut shape = vec![c];
    shape.extend(out);
    (shape, result)
}

/// Extension: one step of a `[steps, …]` tensor.
trait Slab {
    fn slab_of(&self, t: usize) -> &[f32];
}
impl Slab for Tensor {
    fn slab_of(&self, t: usize) -> &[f32] {
        let n: usize = self.shape()[1..].iter().product();
        &self.data()[t * n..(t + 1) * n]
    }
}

fn check_pool(src: &[usize], pool: MaxPool, x: &Tensor) {
    let (dst, want) = naive_pool(
        x,
        src,
        &pool.kernel,
        &pool.stride,
        &pool.padding,
        pool.decay,
    );
    let got = run(
        src,
        &dst,
        Connect::new("X", "Y", pool.clone()),
        x,
        100.0,
        false,
    );
    assert_eq!(got.y_v, want, "{pool:?}");
    assert!(want.contains(&1.0), "no pooled spike: vacuous");
}

#[test]
fn max_pool_1d_matches_naive() {
    // Hand case: one channel of 4, kernel 2, stride 2, decay 1 (R = s).
    // Step 0 spikes at 1 and 2; step 1 output: window {0,1} → 1, {2,3} → 2.
    let x = Tensor::new(
        vec![3, 1, 4],
        vec![0., 1., 1., 0., 1., 0., 0., 1., 0., 0., 0., 0.],
    )
    .unwrap();
    let pool = MaxPool::new(vec![2], 1.0).stride(vec![2]);
    let got = run(
        &[1, 4],
        &[1, 2],
        Connect::new("X", "Y", pool),
        &x,
        100.0,
        false,
    );
    assert_eq!(got.y_v, [0., 0., 1., 1., 1., 1.]);
    for (decay, stride, pad) in [(1.0, 1, 0), (0.5, 2, 1), (0.25, 1, 1), (0.0, 3, 0)] {
        let mut pool = MaxPool::new(vec![3], decay).stride(vec![stride]);
        pool.padding = vec![pad];
        check_pool(&[2, 11], pool, &spikes(40, 2, 22, 0.3, 1));
    }
}

#[test]
fn max_pool_3d_matches_naive() {
    // decay 0 (R counts spikes) is where ties between positions with
    // different current spikes happen, so the tie rule shows.
    for (decay, stride, pad) in [
        (1.0, vec![1, 1, 1], 0),
        (0.5, vec![2, 1, 2], 0),
        (0.5, vec![1, 2, 1], 1),
        (0.0, vec![1, 1, 1], 0),
    ] {
        let mut pool = MaxPool::new(vec![2, 3, 2], decay).stride(stride);
        pool.padding = vec![pad; 3];
        check_pool(&[2, 4, 5, 4], pool, &spikes(30, 2, 160, 0.25, 2));
    }
}

#[test]
fn max_pool_ties_go_to_the_first_position_of_the_window() {
    // decay 0: R counts the spikes. One window of two positions.
    let pool = || Connect::new("X", "Y", MaxPool::new(vec![2], 0.0));
    // Position 1 spikes at step 0, position 0 at step 1: at step 2 both
    // counts are 1 and the first position's current spike (1) passes.
    let x = Tensor::new(vec![3, 1, 2], vec![0., 1., 1., 0., 0., 0.]).unwrap();
    assert_eq!(
        run(&[1, 2], &[1, 1], pool(), &x, 100.0, false).y_v,
        [0., 1., 1.]
    );
    // Swapped: the first position (count 1, current spike 0) still wins the
    // tie, so nothing passes although position 1 spikes.
    let x = Tensor::new(vec![3, 1, 2], vec![1., 0., 0., 1., 0., 0.]).unwrap();
    assert_eq!(
        run(&[1, 2], &[1, 1], pool(), &x, 100.0, false).y_v,
        [0., 1., 0.]
    );
}

// ---------------------------------------------------------------- LocalNd

/// `(j, i, weight index)` of every synapse of a compact local connection
/// from `[c_in, *sp]` with `n_filters`, written from BindsNET's definition:
/// `j = f·P + p`, weights `[c_in, n_post, K]`.
fn local_synapses(
    c_in: usize,
    sp: &[usize],
    kernel: &[usize],
    stride: &[usize],
    n_filters: usize,
) -> (usize, Vec<(usize, usize, usize)>) {
    let out: Vec<usize> = (0..sp.len())
        .map(|a| (sp[a] - kernel[a]) / stride[a] + 1)
        .collect();
    let p_count: usize = out.iter().product();
    let n_post = n_filters * p_count;
    let k_len: usize = kernel.iter().product();
    let (st, plane) = (strides(sp), sp.iter().product::<usize>());
    let mut syn = Vec::new();
    for c in 0..c_in {
        for f in 0..n_filters {
            for (p, o) in indices(&out).into_iter().enumerate() {
                let j = f * p_count + p;
                for (kappa, k) in indices(kernel).into_iter().enumerate() {
                    let i = c * plane
                        + (0..sp.len())
                            .map(|a| (o[a] * stride[a] + k[a]) * st[a])
                            .sum::<usize>();
                    syn.push((j, i, (c * n_post + j) * k_len + kappa));
                }
            }
        }
    }
    (n_post, syn)
}

fn check_local_forward(src: &[usize], kernel: Vec<usize>, stride: Vec<usize>, f: usize, seed: u64) {
    let (n_post, syn) = local_synapses(src[0], &src[1..], &kernel, &stride, f);
    let n_in: usize = src.iter().product();
    let mut r = Rng::seed_from_u64(seed);
    let w: Vec<f32> = (0..syn.len()).map(|_| r.uniform_f32()).collect();
    let x = spikes(20, 2, n_in, 0.3, seed + 1);
    let (steps, batch) = (20, 2);
    let mut want = vec![0.0f32; steps * batch * n_post];
    for t in 1..steps {
        for b in 0..batch {
            let s = &x.slab_of(t - 1)[b * n_in..(b + 1) * n_in];
            for &(j, i, k) in &syn {
                want[(t * batch + b) * n_post + j] += w[k] * s[i];
            }
        }
    }
    let conn = LocalNd {
        kernel: kernel.clone(),
        stride: stride.clone(),
        n_filters: f,
        w: Some(w),
    };
    let got = run(src, &[n_post], Connect::new("X", "Y", conn), &x, 1e9, false);
    let d = got
        .y_v
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(
        d < 1e-4,
        "kernel {kernel:?} stride {stride:?}: differs by {d}"
    );
    assert!(want.iter().any(|&v| v > 0.0), "vacuous");
}

#[test]
fn local_1d_forward_matches_naive() {
    // Hand case: 1 channel of 5, kernel 3, stride 2, 1 filter: positions
    // {0,1,2} and {2,3,4}. Spikes at 2 and 4 at step 0.
    let w = vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let conn = LocalNd {
        kernel: vec![3],
        stride: vec![2],
        n_filters: 1,
        w: Some(w),
    };
    let x = Tensor::new(vec![2, 1, 5], vec![0., 0., 1., 0., 1., 0., 0., 0., 0., 0.]).unwrap();
    let got = run(&[1, 5], &[2], Connect::new("X", "Y", conn), &x, 1e9, false);
    // Position 0 sees pixel 2 through κ = 2 (0.3); position 1 sees pixel 2
    // through κ = 0 (0.4) and pixel 4 through κ = 2 (0.6).
    assert_eq!(got.y_v[..2], [0.0, 0.0]);
    assert!(
        (got.y_v[2] - 0.3).abs() < 1e-6 && (got.y_v[3] - 1.0).abs() < 1e-6,
        "{:?}",
        got.y_v
    );
    check_local_forward(&[2, 9], vec![3], vec![2], 3, 3);
    check_local_forward(&[1, 7], vec![7], vec![1], 2, 4);
}

#[test]
fn local_3d_forward_matches_naive() {
    check_local_forward(&[2, 4, 5, 3], vec![2, 3, 2], vec![2, 1, 1], 2, 5);
    check_local_forward(&[1, 3, 3, 3], vec![2, 2, 2], vec![1, 1, 1], 3, 6);
}

/// `PostPre` (nu_pre, nu_post), mean over the batch, clamp to `[0, 1]`,
/// step by step from the monitored spikes and traces of both ends.
fn check_local_learning(
    src: &[usize],
    kernel: Vec<usize>,
    stride: Vec<usize>,
    f: usize,
    seed: u64,
) {
    let (n_post, syn) = local_synapses(src[0], &src[1..], &kernel, &stride, f);
    let n_in: usize = src.iter().product();
    let mut r = Rng::seed_from_u64(seed);
    let w0: Vec<f32> = (0..syn.len())
        .map(|_| 0.2 + 0.6 * r.uniform_f32())
        .collect();
    // Rates small enough that the weights stay inside (0, 1): a clamped
    // weight would hide which synapse got which term.
    let (steps, batch, nu) = (40, 2, (0.002f32, 0.004f32));
    let x = spikes(steps, batch, n_in, 0.3, seed + 1);
    let conn = LocalNd {
        kernel: kernel.clone(),
        stride,
        n_filters: f,
        w: Some(w0.clone()),
    };
    let c = Connect::new("X", "Y", conn)
        .rule(PostPre)
        .nu(nu)
        .reduction(Reduction::Mean)
        .wmin(0.0)
        .wmax(1.0);
    let got = run(src, &[n_post], c, &x, 1.0, true);
    let mut w = w0.clone();
    for t in 0..steps {
        let mut dw = vec![0.0f32; w.len()];
        for b in 0..batch {
            let pre = (t * batch + b) * n_in;
            let post = (t * batch + b) * n_post;
            for &(j, i, k) in &syn {
                dw[k] += -nu.0 * got.x_s[pre + i] * got.y_x[post + j]
                    + nu.1 * got.x_x[pre + i] * got.y_s[post + j];
            }
        }
        for (w, d) in w.iter_mut().zip(dw) {
            *w = (*w + d / batch as f32).clamp(0.0, 1.0);
        }
    }
    let got_w = got.w.unwrap();
    let d = got_w
        .iter()
        .zip(&w)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(d < 1e-4, "kernel {kernel:?}: weights differ by {d}");
    let moved = w.iter().zip(&w0).filter(|(a, b)| a != b).count();
    assert!(
        moved > w.len() / 2,
        "only {moved} of {} weights moved",
        w.len()
    );
    let clamped = w.iter().filter(|&&x| x == 0.0 || x == 1.0).count();
    assert_eq!(clamped, 0, "weights reached a bound");
    let spread = w
        .iter()
        .zip(&w0)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(
        spread > 1e-2,
        "weights moved by at most {spread}: too little to tell synapses apart"
    );
    assert!(got.y_s.contains(&1.0), "no post spikes");
}

#[test]
fn local_1d_learning_matches_naive_post_pre() {
    check_local_learning(&[2, 9], vec![3], vec![2], 2, 7);
}

#[test]
fn local_3d_learning_matches_naive_post_pre() {
    check_local_learning(&[2, 4, 4, 3], vec![2, 2, 2], vec![2, 1, 1], 2, 8);
}
