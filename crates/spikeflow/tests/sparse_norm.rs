//! `norm` on a `Sparse` connection (BindsNET's `SparseConnection` fails
//! there; spikeflow defines it as the dense `Connection` does): after each
//! `run`, every target's incoming weights are scaled so that their absolute
//! values sum to `norm` (a target without weight keeps its zeros), and a
//! sparse connection ends exactly where the dense one with the same
//! connectivity does.

use spikeflow::prelude::*;
use spikeflow::rng::Rng;

const N_PRE: usize = 6;
const N_POST: usize = 4;

/// `[6, 4]`, mixed signs; column 3 has no synapse at all.
#[rustfmt::skip]
const W: [f32; N_PRE * N_POST] = [
     1.0,  0.0,  0.5, 0.0,
    -1.0,  0.0,  0.0, 0.0,
     2.0,  3.0,  0.0, 0.0,
     0.0,  0.0, -0.5, 0.0,
     0.0, -1.0,  0.0, 0.0,
     0.0,  0.0,  1.0, 0.0,
];

fn spikes(steps: usize, seed: u64) -> Tensor {
    let mut r = Rng::seed_from_u64(seed);
    let d = (0..steps * N_PRE)
        .map(|_| (r.uniform_f32() < 0.4) as u8 as f32)
        .collect();
    Tensor::new(vec![steps, 1, N_PRE], d).unwrap()
}

fn net(conn: Connect, learning: bool) -> Network {
    let traced = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().learning(learning);
    b.add_population("X", &[N_PRE], Input, traced.clone());
    let lif = LifNodes {
        thresh: (-64.0).into(),
        ..Default::default()
    };
    b.add_population("Y", &[N_POST], lif, traced);
    b.connect(conn.norm(2.0));
    b.build().unwrap()
}

fn abs_column_sums(w: &[f32]) -> Vec<f32> {
    let mut s = vec![0.0; N_POST];
    for (k, x) in w.iter().enumerate() {
        s[k % N_POST] += x.abs();
    }
    s
}

#[test]
fn sparse_norm_scales_each_target_to_norm_like_dense() {
    let x = spikes(10, 1);
    let mut sparse = net(Connect::new("X", "Y", Sparse::FromDense(W.to_vec())), false);
    let mut dense = net(
        Connect::new("X", "Y", Dense::with_weights(W.to_vec())),
        false,
    );
    for n in [&mut sparse, &mut dense] {
        n.run(&[("X", &x)], 10, &RunOptions::default()).unwrap();
    }
    let ws = sparse.weights_tensor("X -> Y").unwrap().into_data();
    let wd = dense.weights_tensor("X -> Y").unwrap().into_data();
    // By hand: column 0 has Σ|w| = 4 → ×0.5; column 1: 4 → ×0.5;
    // column 2: 2 → ×1; column 3: no weight → zeros (no NaN).
    #[rustfmt::skip]
    let want = [
         0.5,  0.0,  0.5, 0.0,
        -0.5,  0.0,  0.0, 0.0,
         1.0,  1.5,  0.0, 0.0,
         0.0,  0.0, -0.5, 0.0,
         0.0, -0.5,  0.0, 0.0,
         0.0,  0.0,  1.0, 0.0,
    ];
    assert_eq!(ws, want, "sparse");
    assert_eq!(wd, want, "dense");
    // One value per synapse, still 8 of them.
    assert_eq!(sparse.weights("X -> Y").unwrap().len(), 8);
}

#[test]
fn sparse_norm_after_learning_sums_to_norm_per_target() {
    // Non-negative weights with bounds: sparse learning, then normalisation.
    let w: Vec<f32> = W.iter().map(|x| x.abs() * 0.25).collect();
    let conn = || {
        Connect::new("X", "Y", Sparse::FromDense(w.clone()))
            .rule(PostPre)
            .nu((0.05, 0.1))
            .wmin(0.0)
            .wmax(1.0)
    };
    let mut a = net(conn(), true);
    a.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    let before = a.weights("X -> Y").unwrap().to_vec();
    for run in 0..3 {
        let x = spikes(30, 10 + run);
        a.run(&[("X", &x)], 30, &RunOptions::default()).unwrap();
        let after = a.weights_tensor("X -> Y").unwrap().into_data();
        let sums = abs_column_sums(&after);
        for (j, s) in sums.iter().enumerate().take(3) {
            assert!((s - 2.0).abs() < 1e-5, "run {run}: target {j} sums to {s}");
        }
        assert_eq!(sums[3], 0.0);
        // The structure is kept: absent synapses stay absent (a synapse
        // may be depressed to wmin = 0, though).
        for (k, (&a, &b)) in after.iter().zip(&W).enumerate() {
            assert!(b != 0.0 || a == 0.0, "run {run}: weight {k} appeared");
        }
        assert_eq!(a.weights("X -> Y").unwrap().len(), 8);
    }
    let spikes: f32 = a
        .monitor("y")
        .unwrap()
        .get("s")
        .unwrap()
        .data()
        .iter()
        .sum();
    assert!(spikes > 0.0, "no post spikes: learning was one-sided");
    // Learning moved the weights beyond a pure rescaling of each column.
    let after = a.weights("X -> Y").unwrap();
    let ratios: Vec<f32> = after.iter().zip(&before).map(|(a, b)| a / b).collect();
    assert!(
        ratios.windows(2).any(|r| (r[0] - r[1]).abs() > 1e-3),
        "weights were only rescaled"
    );
}
