//! How often a neuron of the paper model could skip its update exactly
//! (issue #18, "neurons that receive nothing in a step"): steps the
//! protocol of `PaperPresenter` one at a time (training, first MNIST
//! images) and counts, before each step, the neurons whose update would
//! change nothing — no input this step, `g_e = g_i = 0`, not refractory,
//! and `v` at the fixed point of its Euler step (`v + k_m·(v_rest − v)`
//! rounds to `v`) — and the neurons that merely receive nothing.
//!
//! ```text
//! cargo run --release -p spikeflow --example paper_idle -- DATA_DIR N IMAGES
//! ```

use spikeflow::datasets::Mnist;
use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
use spikeflow::prelude::*;
use spikeflow::rng::Rng;

#[derive(Default)]
struct Count {
    steps: u64,
    neuron_steps: u64,
    no_input: u64,
    idle: u64,
    all_idle_steps: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map_or("../shared/data/mnist", |s| s.as_str());
    let n: usize = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let images: usize = args.get(3).map_or(Ok(10), |s| s.parse())?;
    let data = Mnist::load(std::path::Path::new(dir))?;
    let cfg = DiehlCookPaper {
        n_neurons: n,
        ..Default::default()
    };
    let mut net = cfg.network()?;
    let (k_e, k_i) = (0.5 / 100.0, 0.5 / 10.0);
    let (rest_e, rest_i) = (-65.0f32, -60.0f32);
    let mut rng = Rng::seed_from_u64(1);
    let (mut ae, mut ai) = (Count::default(), Count::default());
    let mut prev_ae = vec![0.0f32; n];
    let mut prev_ai_any = false;
    let mut prev_in_any = false;
    for k in 0..images {
        let img = &data.train().images()[k * 784..(k + 1) * 784];
        let mut intensity = 2.0f32;
        loop {
            // Normalise the columns of X -> Ae to 78, as the presenter.
            let w = net.weights_mut("X -> Ae")?;
            let mut sums = vec![0.0f32; n];
            for row in w.chunks_exact(n) {
                sums.iter_mut().zip(row).for_each(|(s, &x)| *s += x);
            }
            for row in w.chunks_exact_mut(n) {
                row.iter_mut().zip(&sums).for_each(|(x, &s)| *x *= 78.0 / s);
            }
            let mut fired = 0.0f32;
            for t in 0..1000 {
                let x: Vec<f32> = img
                    .iter()
                    .map(|&p| {
                        let rate = f32::from(p) / 8.0 * intensity;
                        if t < 700 && rng.uniform_f32() < rate * 0.5e-3 {
                            1.0
                        } else {
                            0.0
                        }
                    })
                    .collect();
                // Before the step: who could skip it?
                for (pop, c, k_m, v_rest) in
                    [("Ae", &mut ae, k_e, rest_e), ("Ai", &mut ai, k_i, rest_i)]
                {
                    let p = net.population(pop)?;
                    let get = |v: &str| p.variable(v).map(<[f32]>::to_vec).unwrap_or_default();
                    let (v, ge, gi, since) = (get("v"), get("ge"), get("gi"), get("since_spike"));
                    let mut all = true;
                    for j in 0..n {
                        // Input this step: Ae gets X (after delays; any
                        // input spike in flight reaches every Ae neuron, so
                        // count "input spikes in the last 10 ms" as input)
                        // and Ai's spikes; Ai gets Ae's spike of j.
                        let input = if pop == "Ae" {
                            prev_in_any || prev_ai_any
                        } else {
                            prev_ae[j] != 0.0
                        };
                        let dv = (v_rest - v[j]) + 0.0 * (0.0 - v[j]) + 0.0 * (-100.0 - v[j]);
                        let fixed = v[j] + k_m * dv == v[j];
                        let quiet = ge[j] == 0.0 && gi[j] == 0.0 && since[j] >= 1e6;
                        c.neuron_steps += 1;
                        c.no_input += u64::from(!input);
                        let idle = !input && quiet && fixed;
                        c.idle += u64::from(idle);
                        all &= idle;
                    }
                    c.steps += 1;
                    c.all_idle_steps += u64::from(all);
                }
                let xt = Tensor::new(vec![1, 1, 784], x.clone())?;
                net.run(&[("X", &xt)], 1, &RunOptions::default())?;
                let s = net.population("Ae")?.core().spikes().row(0).to_vec();
                fired += if t < 700 { s.iter().sum::<f32>() } else { 0.0 };
                prev_ae = s;
                prev_ai_any = !net.population("Ai")?.core().spikes().active(0).is_empty();
                // Input spikes reach Ae up to 20 steps after emission.
                prev_in_any = t < 700 + 21;
            }
            if fired >= 5.0 || intensity >= 64.0 {
                break;
            }
            intensity += 1.0;
        }
    }
    for (name, c) in [("Ae", &ae), ("Ai", &ai)] {
        println!(
            "N={n} {name}: {} steps; neuron-steps without input {:.1} %, skippable exactly {:.1} %; steps with the whole population skippable {:.1} %",
            c.steps,
            100.0 * c.no_input as f64 / c.neuron_steps as f64,
            100.0 * c.idle as f64 / c.neuron_steps as f64,
            100.0 * c.all_idle_steps as f64 / c.steps as f64,
        );
    }
    Ok(())
}
