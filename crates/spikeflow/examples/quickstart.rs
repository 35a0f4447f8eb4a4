//! A first network: 100 Poisson inputs → 10 LIF neurons with STDP.
//!
//! `cargo run --release -p spikeflow --example quickstart`

use spikeflow::encoding::poisson;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;

fn main() -> spikeflow::Result<()> {
    let traced = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().seed(42);
    b.add_population("X", &[100], Input, traced.clone());
    b.add_population("Y", &[10], LifNodes::default(), traced);
    b.connect(
        Connect::new("X", "Y", Dense::default()) // w ~ U(0, 1) from the seed
            .rule(PostPre)
            .nu((1e-4, 1e-2))
            .wmin(0.0)
            .wmax(1.0),
    );
    let mut net = b.build()?;
    net.add_monitor("spikes", MonitorSpec::new("Y", &["s"]))?;

    // One second of input at 0–50 Hz per neuron.
    let mut rng = Rng::seed_from_u64(1);
    let rates: Vec<f32> = (0..100).map(|_| 50.0 * rng.uniform_f32()).collect();
    let steps = 1000;
    let x = poisson(&rates, &[100], steps, net.dt(), &mut rng)?;
    let x = Tensor::new(vec![steps, 1, 100], x.into_data())?;

    let w0: f32 = net.weights("X -> Y")?.iter().sum();
    net.run(&[("X", &x)], steps, &RunOptions::default())?;
    let w1: f32 = net.weights("X -> Y")?.iter().sum();

    let s = net.monitor("spikes")?.get("s")?;
    let per_neuron: Vec<usize> = (0..10)
        .map(|j| {
            s.data()
                .chunks_exact(10)
                .filter(|row| row[j] != 0.0)
                .count()
        })
        .collect();
    println!(
        "input spikes:  {}",
        x.data().iter().filter(|&&v| v != 0.0).count()
    );
    println!("output spikes per neuron over {steps} ms: {per_neuron:?}");
    println!(
        "mean weight: {:.4} -> {:.4} (STDP)",
        w0 / 1000.0,
        w1 / 1000.0
    );
    Ok(())
}
