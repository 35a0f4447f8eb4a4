//! Compact local connections (LocalConnection1D/2D/3D): forward equals the
//! dense unrolling, learning equals learning on the unrolled sparse matrix;
//! multi-channel input and batch > 1 work (both broken in BindsNET).

use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::LocalNd;

fn spikes(steps: usize, batch: usize, n: usize, p: f32, seed: u64) -> Tensor {
    let mut r = Rng::seed_from_u64(seed);
    let d = (0..steps * batch * n)
        .map(|_| (r.uniform_f32() < p) as u8 as f32)
        .collect();
    Tensor::new(vec![steps, batch, n], d).unwrap()
}

/// Dense `[n_pre, n_post]` matrix of a 2-D compact local connection.
fn unroll(
    w: &[f32],
    c_in: usize,
    hw: (usize, usize),
    k: usize,
    s: usize,
    f: usize,
) -> (Vec<f32>, usize) {
    let (h, wd) = hw;
    let (oh, ow) = ((h - k) / s + 1, (wd - k) / s + 1);
    let p = oh * ow;
    let n_post = f * p;
    let n_pre = c_in * h * wd;
    let mut d = vec![0.0; n_pre * n_post];
    for c in 0..c_in {
        for fi in 0..f {
            for y in 0..oh {
                for x in 0..ow {
                    let j = fi * p + y * ow + x;
                    for ky in 0..k {
                        for kx in 0..k {
                            let i = c * h * wd + (y * s + ky) * wd + x * s + kx;
                            d[i * n_post + j] = w[(c * n_post + j) * k * k + ky * k + kx];
                        }
                    }
                }
            }
        }
    }
    (d, n_post)
}

fn run(
    conn: Connect,
    n_post: usize,
    batch: usize,
    x: &Tensor,
    learn: bool,
) -> (Vec<f32>, Vec<f32>) {
    let opts = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().batch_size(batch).learning(learn);
    b.add_population("X", &[2, 6, 6], Input, opts.clone());
    b.add_population(
        "Y",
        &[n_post],
        LifNodes {
            thresh: (-63.0).into(),
            ..Default::default()
        },
        opts,
    );
    b.connect(conn);
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s", "v"]))
        .unwrap();
    net.run(&[("X", x)], x.shape()[0], &RunOptions::default())
        .unwrap();
    let m = net.monitor("y").unwrap();
    let mut out = m.get("s").unwrap().into_data();
    out.extend(m.get("v").unwrap().into_data());
    (out, net.weights("X -> Y").unwrap().to_vec())
}

#[test]
fn forward_equals_dense_unrolling_with_two_channels_and_batch_three() {
    let (c_in, k, s, f) = (2, 3, 1, 3);
    let n_w = c_in * f * 16 * k * k;
    let mut r = Rng::seed_from_u64(3);
    let w: Vec<f32> = (0..n_w).map(|_| r.uniform_f32()).collect();
    let (dense, n_post) = unroll(&w, c_in, (6, 6), k, s, f);
    let x = spikes(30, 3, 72, 0.2, 9);
    let local = LocalNd {
        kernel: vec![k, k],
        stride: vec![s, s],
        n_filters: f,
        w: Some(w),
    };
    let (a, _) = run(Connect::new("X", "Y", local), n_post, 3, &x, false);
    let (b, _) = run(
        Connect::new("X", "Y", Dense::with_weights(dense)),
        n_post,
        3,
        &x,
        false,
    );
    assert!(
        a.iter().zip(&b).all(|(p, q)| (p - q).abs() <= 1e-4),
        "local and dense differ"
    );
    assert!(
        a[..30 * 3 * n_post].contains(&1.0),
        "no output spikes: test is vacuous"
    );
}

#[test]
fn learning_matches_the_unrolled_sparse_matrix() {
    let (c_in, k, s, f) = (2, 3, 2, 2);
    let (oh, ow) = ((6 - k) / s + 1, (6 - k) / s + 1);
    let n_w = c_in * f * oh * ow * k * k;
    let mut r = Rng::seed_from_u64(5);
    let w: Vec<f32> = (0..n_w).map(|_| 0.5 + 0.5 * r.uniform_f32()).collect();
    let (dense, n_post) = unroll(&w, c_in, (6, 6), k, s, f);
    let x = spikes(40, 3, 72, 0.25, 11);
    let local = LocalNd {
        kernel: vec![k, k],
        stride: vec![s, s],
        n_filters: f,
        w: Some(w),
    };
    let rule = |c: Connect| {
        c.rule(PostPre)
            .nu((0.01, 0.02))
            .reduction(Reduction::Mean)
            .wmin(0.0)
            .wmax(1.0)
    };
    let (sa, wa) = run(rule(Connect::new("X", "Y", local)), n_post, 3, &x, true);
    // The reference keeps the structure fixed: the unrolling as a sparse matrix.
    let (sb, wb) = run(
        rule(Connect::new("X", "Y", Sparse::FromDense(dense.clone()))),
        n_post,
        3,
        &x,
        true,
    );
    assert_eq!(
        &sa[..40 * 3 * n_post],
        &sb[..40 * 3 * n_post],
        "spikes differ"
    );
    // Sparse weights are in row-major order of the non-zero entries.
    let (folded, _) = unroll(&wa, c_in, (6, 6), k, s, f);
    let local_nz: Vec<f32> = folded
        .iter()
        .zip(&dense)
        .filter(|(_, &d)| d != 0.0)
        .map(|(&w, _)| w)
        .collect();
    let start: Vec<f32> = dense.iter().copied().filter(|&d| d != 0.0).collect();
    assert_eq!(local_nz.len(), wb.len());
    let mut moved = 0;
    for (idx, (&p, &q)) in local_nz.iter().zip(&wb).enumerate() {
        assert!(
            (p - q).abs() <= 1e-5,
            "synapse {idx}: local {p} vs sparse {q}"
        );
        moved += (q != start[idx]) as usize;
    }
    assert!(moved > 0, "no weight changed: test is vacuous");
}

#[test]
fn bad_geometry_is_an_error() {
    let mut b = Network::builder();
    b.add_population("X", &[1, 4, 4], Input, NodeOptions::default());
    b.add_population("Y", &[10], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new(
        "X",
        "Y",
        LocalNd::new(vec![5, 5], vec![1, 1], 1),
    ));
    let e = b.build().unwrap_err().to_string();
    assert!(e.contains("X -> Y") && e.contains("kernel"), "{e}");
}
