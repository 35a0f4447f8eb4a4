//! The ready-made BindsNET models other than `DiehlAndCook2015`:
//! `DiehlAndCook2015v2`, `TwoLayerNetwork`, `IncreasingInhibitionNetwork`
//! and `LocallyConnectedNetwork`.
//!
//! Each model is checked against BindsNET's definition
//! (`bindsnet/models/models.py`) in two ways:
//!
//! * structure: population names and sizes, connection names, rules,
//!   initial weight shapes, ranges and (hand-computed) values;
//! * a "twin" network written here from BindsNET's numbers (neuron
//!   parameters, learning rates, bounds, norm, recurrent weights), given the
//!   model's initial input weights, must run exactly like the model on the
//!   same seeded input — so a wrong threshold, reset, time constant, `nu`,
//!   bound, norm or recurrent weight in the model makes the runs differ.
//!
//! Plus behaviour on a small seeded run: spikes occur, learning moves the
//! weights and keeps them within `[wmin, wmax]`, each target's input weights
//! sum to `norm` after a run, and two builds with one seed run identically.

use spikeflow::models::{
    DiehlAndCook2015, DiehlAndCook2015v2, IncreasingInhibitionNetwork, LocallyConnectedNetwork,
    TwoLayerNetwork,
};
use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::topology::LocalConnection;

const STEPS: usize = 100;

/// Bernoulli spikes `[steps, 1, n]` at probability `p` per input and step.
fn raster(steps: usize, n: usize, p: f32, seed: u64) -> Tensor {
    let mut r = Rng::seed_from_u64(seed);
    let d = (0..steps * n)
        .map(|_| (r.uniform_f32() < p) as u8 as f32)
        .collect();
    Tensor::new(vec![steps, 1, n], d).unwrap()
}

fn traced() -> NodeOptions {
    NodeOptions {
        traces: true,
        tc_trace: 20.0.into(),
        ..Default::default()
    }
}

/// BindsNET's `DiehlAndCookNodes` as the models build them (rest −65,
/// reset −60, thresh −52, refrac 5, tc_decay 100, θ+ 0.05, τ_θ 1e7,
/// one_spike).
fn bindsnet_diehl_cook_nodes() -> DiehlAndCookNodes {
    DiehlAndCookNodes {
        adaptive: AdaptiveLifNodes {
            lif: LifNodes {
                thresh: (-52.0).into(),
                rest: (-65.0).into(),
                reset: (-60.0).into(),
                refrac: 5.0.into(),
                tc_decay: 100.0.into(),
                lbound: None,
            },
            theta_plus: 0.05.into(),
            tc_theta_decay: 1e7.into(),
        },
        one_spike: true,
    }
}

/// BindsNET's learned input connection of every model: `PostPre`,
/// `nu = (1e-4, 1e-2)`, `[0, 1]`, `norm` 78.4.
fn bindsnet_input_connection(target: &str, w: Vec<f32>) -> Connect {
    Connect::new("X", target, Dense::with_weights(w))
        .rule(PostPre)
        .nu((1e-4, 1e-2))
        .wmin(0.0)
        .wmax(1.0)
        .norm(78.4)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Column sums of a dense `[n_pre, n_post]` matrix.
fn column_sums(w: &[f32], n_post: usize) -> Vec<f32> {
    let mut s = vec![0.0; n_post];
    for (k, x) in w.iter().enumerate() {
        s[k % n_post] += x;
    }
    s
}

/// Runs `model` and `twin` on the same input (`runs` presentations of
/// `STEPS` steps, state reset in between, as BindsNET's scripts do) and
/// asserts they agree: spikes exactly, voltages, thresholds and every
/// connection's weights within float rounding. Returns the number of
/// spikes of `exc`.
fn assert_twins(model: &mut Network, twin: &mut Network, exc: &str, runs: usize, p: f32) -> usize {
    assert_eq!(model.population_names(), twin.population_names());
    assert_eq!(model.connection_names(), twin.connection_names());
    let vars: Vec<&str> = if model.population(exc).unwrap().variable("theta").is_some() {
        vec!["s", "v", "theta"]
    } else {
        vec!["s", "v"]
    };
    for net in [&mut *model, &mut *twin] {
        net.add_monitor("exc", MonitorSpec::new(exc, &vars))
            .unwrap();
    }
    let n_in = model.population("X").unwrap().core().n();
    let mut spikes = 0;
    for run in 0..runs {
        let x = raster(STEPS, n_in, p, 100 + run as u64);
        for net in [&mut *model, &mut *twin] {
            net.reset_state();
            net.run(&[("X", &x)], STEPS, &RunOptions::default())
                .unwrap();
        }
        let (a, b) = (model.monitor("exc").unwrap(), twin.monitor("exc").unwrap());
        let s = a.get("s").unwrap().into_data();
        let first = s
            .iter()
            .zip(b.get("s").unwrap().data())
            .position(|(x, y)| x != y);
        assert_eq!(
            first, None,
            "run {run}: spikes differ first at [step·n + neuron]"
        );
        spikes += s.iter().filter(|&&x| x != 0.0).count();
        for v in &vars[1..] {
            let d = max_abs_diff(a.get(v).unwrap().data(), b.get(v).unwrap().data());
            assert!(d <= 1e-4, "run {run}: {v} differs by {d}");
        }
        for c in model.connection_names() {
            let (wa, wb) = (
                model.weights_tensor(c).unwrap(),
                twin.weights_tensor(c).unwrap(),
            );
            assert_eq!(wa.shape(), wb.shape(), "{c}");
            let d = max_abs_diff(wa.data(), wb.data());
            assert!(d <= 1e-5, "run {run}: weights of {c} differ by {d}");
        }
    }
    spikes
}

/// Learning on `X -> target`: weights moved, stayed in `[0, 1]`, and each
/// column sums to `norm` after the run.
fn assert_learned_and_normalised(
    net: &Network,
    conn: &str,
    before: &[f32],
    n_post: usize,
    norm: f32,
) {
    let after = net.weights_tensor(conn).unwrap().into_data();
    let moved = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert!(
        moved > before.len() / 2,
        "{conn}: only {moved} weights changed"
    );
    assert!(
        after.iter().all(|&w| (0.0..=1.0).contains(&w)),
        "{conn}: a weight left [0, 1]"
    );
    for (j, s) in column_sums(&after, n_post).iter().enumerate() {
        assert!(
            (s - norm).abs() <= 1e-3 * norm,
            "{conn}: column {j} sums to {s}, not {norm}"
        );
    }
}

/// Two builds from one seed run identically; another seed draws other
/// initial weights.
fn assert_deterministic(build: impl Fn(u64) -> Network, conn: &str) {
    let n_in = build(0).population("X").unwrap().core().n();
    let x = raster(STEPS, n_in, 0.05, 7);
    let run = |seed| {
        let mut net = build(seed);
        net.run(&[("X", &x)], STEPS, &RunOptions::default())
            .unwrap();
        net.weights(conn).unwrap().to_vec()
    };
    assert_eq!(run(3), run(3), "same seed, different weights");
    assert_ne!(
        build(3).weights(conn).unwrap(),
        build(4).weights(conn).unwrap(),
        "the seed does not reach the initial weights"
    );
}

/// `0.3·U(0, 1)` initial input weights: in `[0, 0.3)`, mean ≈ 0.15.
fn assert_scaled_uniform(w: &[f32], scale: f32) {
    assert!(
        w.iter().all(|&x| (0.0..scale).contains(&x)),
        "outside [0, {scale})"
    );
    let mean = w.iter().sum::<f32>() / w.len() as f32;
    let hi = w.iter().cloned().fold(0.0, f32::max);
    assert!((mean - scale / 2.0).abs() < 0.05 * scale, "mean {mean}");
    assert!(hi > 0.9 * scale, "max {hi}: not U(0, {scale})");
}

// ---------------------------------------------------------------- v2

fn v2(seed: u64, fast_lateral: bool) -> Network {
    DiehlAndCook2015v2 {
        params: DiehlAndCook2015 {
            n_neurons: 9,
            seed,
            fast_lateral,
            ..Default::default()
        },
    }
    .build()
    .unwrap()
}

#[test]
fn diehl_cook_v2_structure_is_bindsnets() {
    let net = v2(0, true);
    assert_eq!(net.population_names(), ["X", "Y"]);
    assert_eq!(net.connection_names(), ["X -> Y", "Y -> Y"]);
    assert_eq!(net.population("X").unwrap().type_name(), "Input");
    assert_eq!(net.population("X").unwrap().core().shape(), [1, 28, 28]);
    assert_eq!(
        net.population("Y").unwrap().type_name(),
        "DiehlAndCookNodes"
    );
    assert_eq!(net.population("Y").unwrap().core().n(), 9);
    assert_eq!(net.rule_name("X -> Y").unwrap(), "PostPre");
    assert_eq!(net.rule_name("Y -> Y").unwrap(), "NoOp");
    let w = net.weights_tensor("X -> Y").unwrap();
    assert_eq!(w.shape(), [784, 9]);
    assert_scaled_uniform(w.data(), 0.3);
    // −inh·(1 − I) with BindsNET's default inh = 17.5, in both forms.
    for fast in [true, false] {
        let rec = v2(0, fast).weights_tensor("Y -> Y").unwrap();
        assert_eq!(rec.shape(), [9, 9]);
        for i in 0..9 {
            for j in 0..9 {
                let want = if i == j { 0.0 } else { -17.5 };
                assert_eq!(rec.data()[i * 9 + j], want, "({i}, {j}), fast {fast}");
            }
        }
    }
}

fn v2_twin(model: &Network, seed: u64) -> Network {
    let mut b = Network::builder().seed(seed);
    b.add_population("X", &[1, 28, 28], Input, traced());
    b.add_population("Y", &[9], bindsnet_diehl_cook_nodes(), traced());
    let w = model.weights("X -> Y").unwrap().to_vec();
    b.connect(bindsnet_input_connection("Y", w));
    let mut rec = vec![-17.5; 81];
    for i in 0..9 {
        rec[i * 9 + i] = 0.0;
    }
    b.connect(
        Connect::new("Y", "Y", Dense::with_weights(rec))
            .wmin(-17.5)
            .wmax(0.0),
    );
    b.build().unwrap()
}

#[test]
fn diehl_cook_v2_runs_as_bindsnets_definition() {
    for fast in [true, false] {
        let mut model = v2(5, fast);
        let before = model.weights("X -> Y").unwrap().to_vec();
        let mut twin = v2_twin(&model, 5);
        let spikes = assert_twins(&mut model, &mut twin, "Y", 3, 0.05);
        assert!(spikes > 10, "only {spikes} spikes: vacuous");
        assert_learned_and_normalised(&model, "X -> Y", &before, 9, 78.4);
    }
    assert_deterministic(|s| v2(s, true), "X -> Y");
}

// ---------------------------------------------------------------- TwoLayerNetwork

fn two_layer(seed: u64) -> Network {
    TwoLayerNetwork {
        n_neurons: 9,
        seed,
        ..Default::default()
    }
    .build()
    .unwrap()
}

#[test]
fn two_layer_structure_is_bindsnets() {
    let net = two_layer(0);
    assert_eq!(net.population_names(), ["X", "Y"]);
    assert_eq!(net.connection_names(), ["X -> Y"]);
    assert_eq!(net.population("X").unwrap().core().n(), 784);
    assert_eq!(net.population("Y").unwrap().type_name(), "LIFNodes");
    assert_eq!(net.population("Y").unwrap().core().n(), 9);
    assert!(net.population("Y").unwrap().core().trace().is_some());
    assert_eq!(net.rule_name("X -> Y").unwrap(), "PostPre");
    let w = net.weights_tensor("X -> Y").unwrap();
    assert_eq!(w.shape(), [784, 9]);
    assert_scaled_uniform(w.data(), 0.3);
    // BindsNET's default n_neurons is 100.
    let full = TwoLayerNetwork::default().build().unwrap();
    assert_eq!(full.population("Y").unwrap().core().n(), 100);
}

#[test]
fn two_layer_runs_as_bindsnets_definition() {
    let mut model = two_layer(2);
    let before = model.weights("X -> Y").unwrap().to_vec();
    let mut b = Network::builder().seed(2);
    b.add_population("X", &[784], Input, traced());
    let lif = LifNodes {
        thresh: (-52.0).into(),
        rest: (-65.0).into(),
        reset: (-65.0).into(),
        refrac: 5.0.into(),
        tc_decay: 100.0.into(),
        lbound: None,
    };
    b.add_population("Y", &[9], lif, traced());
    b.connect(bindsnet_input_connection("Y", before.clone()));
    let mut twin = b.build().unwrap();
    let spikes = assert_twins(&mut model, &mut twin, "Y", 3, 0.05);
    assert!(spikes > 10, "only {spikes} spikes: vacuous");
    assert_learned_and_normalised(&model, "X -> Y", &before, 9, 78.4);
    assert_deterministic(two_layer, "X -> Y");
}

// ---------------------------------------------------------------- IncreasingInhibitionNetwork

fn increasing(seed: u64, n: usize, start: f32, max: f32) -> Network {
    IncreasingInhibitionNetwork {
        params: DiehlAndCook2015 {
            n_neurons: n,
            seed,
            ..Default::default()
        },
        start_inhib: start,
        max_inhib: max,
    }
    .build()
    .unwrap()
}

/// BindsNET's recurrent weights, written from its loop: neurons on a
/// `⌊√n⌋`-wide grid, `d = √euclid` off the diagonal, `w = d/max d·max_inhib
/// + start_inhib`.
fn increasing_weights(n: usize, start: f32, max: f32) -> Vec<f32> {
    let side = (n as f64).sqrt() as usize;
    let mut d = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let (x1, y1) = ((i / side) as f64, (i % side) as f64);
                let (x2, y2) = ((j / side) as f64, (j % side) as f64);
                d[i * n + j] = ((x1 - x2).powi(2) + (y1 - y2).powi(2)).sqrt().sqrt();
            }
        }
    }
    let m = d.iter().cloned().fold(0.0, f64::max);
    d.iter()
        .map(|&x| (x / m * max as f64 + start as f64) as f32)
        .collect()
}

#[test]
fn increasing_inhibition_structure_is_bindsnets() {
    let net = increasing(0, 4, 1.0, 100.0);
    assert_eq!(net.population_names(), ["X", "Y"]);
    assert_eq!(net.connection_names(), ["X -> Y", "Y -> Y"]);
    assert_eq!(
        net.population("Y").unwrap().type_name(),
        "DiehlAndCookNodes"
    );
    assert_eq!(net.rule_name("X -> Y").unwrap(), "PostPre");
    assert_eq!(net.rule_name("Y -> Y").unwrap(), "NoOp");
    assert_scaled_uniform(net.weights("X -> Y").unwrap(), 0.3);
    // n = 4 on a 2×2 grid with the defaults (start 1, max 100), by hand:
    // neighbours d = √1 = 1, diagonal neighbours d = √√2 (the maximum).
    let (near, far) = (1.0 / 2f32.sqrt().sqrt() * 100.0 + 1.0, 101.0);
    #[rustfmt::skip]
    let want = [
        1.0, near, near, far,
        near, 1.0, far, near,
        near, far, 1.0, near,
        far, near, near, 1.0,
    ];
    let rec = net.weights_tensor("Y -> Y").unwrap();
    assert_eq!(rec.shape(), [4, 4]);
    assert!(max_abs_diff(rec.data(), &want) < 1e-4, "{:?}", rec.data());
    // n = 5 is not a square: a 2-wide grid, neuron 4 at (2, 0); the
    // farthest pair is (1, 4) at √√5.
    let rec = increasing(0, 5, 1.0, 100.0)
        .weights("Y -> Y")
        .unwrap()
        .to_vec();
    assert!((rec[5 + 4] - 101.0).abs() < 1e-4, "{rec:?}");
    assert!((rec[4] - (2f32.sqrt() / 5f32.sqrt().sqrt() * 100.0 + 1.0)).abs() < 1e-3);
    assert!(max_abs_diff(&rec, &increasing_weights(5, 1.0, 100.0)) < 1e-4);
    // The SOM example's start 10, max −40.
    let rec = increasing(0, 9, 10.0, -40.0);
    assert!(
        max_abs_diff(
            rec.weights("Y -> Y").unwrap(),
            &increasing_weights(9, 10.0, -40.0)
        ) < 1e-4
    );
}

#[test]
fn increasing_inhibition_runs_as_bindsnets_definition() {
    let mut model = increasing(3, 9, 10.0, -40.0);
    let before = model.weights("X -> Y").unwrap().to_vec();
    let mut b = Network::builder().seed(3);
    b.add_population("X", &[1, 28, 28], Input, traced());
    b.add_population("Y", &[9], bindsnet_diehl_cook_nodes(), traced());
    b.connect(bindsnet_input_connection("Y", before.clone()));
    b.connect(Connect::new(
        "Y",
        "Y",
        Dense::with_weights(increasing_weights(9, 10.0, -40.0)),
    ));
    let mut twin = b.build().unwrap();
    let spikes = assert_twins(&mut model, &mut twin, "Y", 3, 0.05);
    assert!(spikes > 10, "only {spikes} spikes: vacuous");
    assert_learned_and_normalised(&model, "X -> Y", &before, 9, 78.4);
    assert_deterministic(|s| increasing(s, 9, 10.0, -40.0), "X -> Y");
}

// ---------------------------------------------------------------- LocallyConnectedNetwork

/// 8×8 input, kernel 4, stride 2: a 3×3 grid of patches, 2 filters.
fn locally(seed: u64) -> Network {
    LocallyConnectedNetwork {
        params: DiehlAndCook2015 {
            n_inpt: 64,
            inpt_shape: None,
            seed,
            ..Default::default()
        },
        input_shape: (8, 8),
        kernel_size: 4,
        stride: 2,
        n_filters: 2,
        ..Default::default()
    }
    .build()
    .unwrap()
}

/// BindsNET's receptive field of target `j = f·P + c1·conv + c2` (square
/// input of side `h`): pixels `c1·s·h + c2·s + k1·h + k2`.
fn receptive_field(j: usize, h: usize, k: usize, s: usize, conv: usize) -> Vec<usize> {
    let p = j % (conv * conv);
    let (c1, c2) = (p / conv, p % conv);
    let mut f = Vec::new();
    for k1 in 0..k {
        for k2 in 0..k {
            f.push(c1 * s * h + c2 * s + k1 * h + k2);
        }
    }
    f.sort_unstable();
    f
}

#[test]
fn locally_connected_structure_is_bindsnets() {
    let net = locally(0);
    assert_eq!(net.population_names(), ["X", "Y"]);
    assert_eq!(net.connection_names(), ["X -> Y", "Y -> Y"]);
    assert_eq!(
        net.population("Y").unwrap().type_name(),
        "DiehlAndCookNodes"
    );
    // n_filters · conv² = 2 · 3².
    assert_eq!(net.population("Y").unwrap().core().n(), 18);
    assert_eq!(net.rule_name("X -> Y").unwrap(), "PostPre");
    assert_eq!(net.rule_name("Y -> Y").unwrap(), "NoOp");
    let w = net.weights_tensor("X -> Y").unwrap();
    assert_eq!(w.shape(), [64, 18]);
    let w = w.data();
    for j in 0..18 {
        let field: Vec<usize> = (0..64).filter(|&i| w[i * 18 + j] != 0.0).collect();
        assert_eq!(field, receptive_field(j, 8, 4, 2, 3), "target {j}");
    }
    // U(0, 1) on the receptive fields (BindsNET does not scale these by 0.3).
    let nz: Vec<f32> = w.iter().copied().filter(|&x| x != 0.0).collect();
    assert_eq!(nz.len(), 18 * 16);
    assert_scaled_uniform(&nz, 1.0);
    // −inh = −25 between different filters at the same position, 0 elsewhere.
    let rec = net.weights_tensor("Y -> Y").unwrap();
    assert_eq!(rec.shape(), [18, 18]);
    for a in 0..18 {
        for b in 0..18 {
            let want = if a != b && a % 9 == b % 9 { -25.0 } else { 0.0 };
            assert_eq!(rec.data()[a * 18 + b], want, "({a}, {b})");
        }
    }
    // Kernel as large as the input: one position.
    let whole = LocallyConnectedNetwork {
        params: DiehlAndCook2015 {
            n_inpt: 64,
            inpt_shape: None,
            ..Default::default()
        },
        input_shape: (8, 8),
        kernel_size: 8,
        stride: 3,
        n_filters: 5,
        ..Default::default()
    }
    .build()
    .unwrap();
    assert_eq!(whole.population("Y").unwrap().core().n(), 5);
}

#[test]
fn locally_connected_runs_as_bindsnets_definition() {
    let mut model = locally(4);
    let before = model.weights_tensor("X -> Y").unwrap().into_data();
    let mut b = Network::builder().seed(4);
    b.add_population("X", &[64], Input, traced());
    b.add_population("Y", &[18], bindsnet_diehl_cook_nodes(), traced());
    let local = LocalConnection {
        kernel: (4, 4),
        stride: (2, 2),
        n_filters: 2,
        input_shape: Some((8, 8)),
        w: Some(before.clone()),
        b: None,
    };
    b.connect(
        Connect::new("X", "Y", local)
            .rule(PostPre)
            .nu((1e-4, 1e-2))
            .wmin(0.0)
            .wmax(1.0)
            .norm(0.2),
    );
    let mut rec = vec![0.0; 18 * 18];
    for f1 in 0..2 {
        for f2 in 0..2 {
            if f1 != f2 {
                for p in 0..9 {
                    rec[(f1 * 9 + p) * 18 + f2 * 9 + p] = -25.0;
                }
            }
        }
    }
    b.connect(Connect::new("Y", "Y", Dense::with_weights(rec)));
    let mut twin = b.build().unwrap();
    // The model drew its local weights from the network's generator, the
    // twin was given them: start the twin's generator (one-spike ties)
    // where the model's is.
    *twin.rng_mut() = model.rng_mut().clone();
    // Stronger input: each neuron sees only 16 pixels.
    let spikes = assert_twins(&mut model, &mut twin, "Y", 3, 0.3);
    assert!(spikes > 10, "only {spikes} spikes: vacuous");
    // BindsNET multiplies the per-element norm 0.2 by K = 16.
    let after = model.weights_tensor("X -> Y").unwrap().into_data();
    let nz_before: Vec<f32> = before.iter().copied().filter(|&x| x != 0.0).collect();
    let nz_after: Vec<f32> = after.iter().copied().filter(|&x| x != 0.0).collect();
    assert_eq!(nz_before.len(), nz_after.len(), "the mask changed");
    for (i, (&a, &b)) in before.iter().zip(&after).enumerate() {
        assert_eq!(a == 0.0, b == 0.0, "weight {i} left or joined the mask");
    }
    assert_learned_and_normalised_local(&after, &nz_before, &nz_after);
    assert_deterministic(locally, "X -> Y");
}

fn assert_learned_and_normalised_local(after: &[f32], nz_before: &[f32], nz_after: &[f32]) {
    let moved = nz_before
        .iter()
        .zip(nz_after)
        .filter(|(a, b)| a != b)
        .count();
    assert!(moved > nz_before.len() / 2, "only {moved} weights changed");
    assert!(
        nz_after.iter().all(|&w| (0.0..=1.0).contains(&w)),
        "a weight left [0, 1]"
    );
    for (j, s) in column_sums(after, 18).iter().enumerate() {
        assert!((s - 3.2).abs() < 1e-4, "column {j} sums to {s}, not 0.2·16");
    }
}
