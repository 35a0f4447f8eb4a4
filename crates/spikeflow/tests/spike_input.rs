//! A run given spikes (`SpikeRaster`) is the run given the same spikes as
//! 0/1 values (`Tensor`), bit for bit: into an `Input` population (with
//! traces and a summed monitor), as current into a LIF population, with
//! learning on (the in-place dense path) and off (batch rows in lanes), and
//! mixed with a values input in the same call.

use spikeflow::prelude::*;
use spikeflow::rng::Rng;

/// A Bernoulli raster `[steps, batch, n]`.
fn raster(steps: usize, batch: usize, n: usize, p: f32, seed: u64) -> SpikeRaster {
    let mut r = Rng::seed_from_u64(seed);
    let data = (0..steps * batch * n)
        .map(|_| r.uniform_f32() < p)
        .collect();
    SpikeRaster::new(vec![steps, batch, n], data).unwrap()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// How the inputs are given.
#[derive(Clone, Copy, Debug)]
enum Given {
    Values,
    Spikes,
    /// Spikes to X, values to Z, in one call.
    Mixed,
}

/// X (Input, traces) → Y (LIF) → Z (LIF), with input to X and current to
/// Z; returns every monitored value and the weights, as bits.
fn run(batch: usize, learning: bool, given: Given) -> Vec<u32> {
    let (n, steps) = (43, 60);
    let o = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().seed(5).batch_size(batch);
    b.add_population("X", &[n], Input, o.clone());
    b.add_population("Y", &[n], LifNodes::default(), o.clone());
    b.add_population("Z", &[n], LifNodes::default(), o);
    let mut r = Rng::seed_from_u64(9);
    let w: Vec<f32> = (0..n * n).map(|_| 4.0 * r.uniform_f32()).collect();
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(w.clone()))
            .rule(PostPre)
            .nu((1e-2, 1e-1)),
    );
    b.connect(Connect::new("Y", "Z", Dense::with_weights(w)));
    let mut net = b.build().unwrap();
    net.set_learning(learning);
    net.add_monitor("x", MonitorSpec::new("X", &["s", "x"]))
        .unwrap();
    net.add_monitor("xsum", MonitorSpec::new("X", &["s"]).summed())
        .unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s", "v"]))
        .unwrap();
    net.add_monitor("z", MonitorSpec::new("Z", &["s", "v"]))
        .unwrap();
    let x = raster(steps, batch, n, 0.3, 1);
    let z = raster(steps, batch, n, 0.5, 2);
    let (xv, zv) = (x.to_tensor(), z.to_tensor());
    let opts = RunOptions::default();
    // Two runs: the second starts from the state the first left.
    for _ in 0..2 {
        let inputs = match given {
            Given::Values => [("X", RunInput::from(&xv)), ("Z", RunInput::from(&zv))],
            Given::Spikes => [("X", RunInput::from(&x)), ("Z", RunInput::from(&z))],
            Given::Mixed => [("X", RunInput::from(&x)), ("Z", RunInput::from(&zv))],
        };
        net.run_inputs(&inputs, steps, &opts).unwrap();
    }
    let mut out = Vec::new();
    for (m, vars) in [
        ("x", &["s", "x"][..]),
        ("xsum", &["s"]),
        ("y", &["s", "v"]),
        ("z", &["s", "v"]),
    ] {
        for v in vars {
            out.extend(bits(net.monitor(m).unwrap().get(v).unwrap().data()));
        }
    }
    out.extend(bits(net.weights("X -> Y").unwrap()));
    out
}

#[test]
fn spikes_give_the_same_run_as_values() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for (batch, learning) in [(1, true), (1, false), (3, false), (2, true)] {
        let values = run(batch, learning, Given::Values);
        // The network did something.
        assert!(values.iter().any(|&b| b == 1.0f32.to_bits()));
        for given in [Given::Spikes, Given::Mixed] {
            let other = pool.install(|| run(batch, learning, given));
            assert_eq!(
                values, other,
                "batch {batch}, learning {learning}, {given:?}"
            );
        }
    }
}

#[test]
fn a_spike_raster_of_the_wrong_shape_is_an_error() {
    let mut b = Network::builder();
    b.add_population("X", &[4], Input, NodeOptions::default());
    let mut net = b.build().unwrap();
    let x = SpikeRaster::zeros(vec![3, 1, 5]);
    let err = net
        .run_inputs(&[("X", RunInput::from(&x))], 3, &RunOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("[3, 1, [4]]"), "{err}");
    assert!(SpikeRaster::new(vec![2, 2], vec![true; 3]).is_err());
}
