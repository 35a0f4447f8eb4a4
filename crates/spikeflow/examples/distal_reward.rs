//! Izhikevich (2007) distal reward experiment (`spikeflow::rl::DistalReward`):
//! one synapse of a 1000-neuron recurrent network is rewarded 1–3 s after
//! each causal pair it takes part in; prints, every simulated minute, the
//! chosen synapse's weight against the mean excitatory weight.
//!
//! ```sh
//! cargo run --release -p spikeflow --example distal_reward -- [seconds] [seed] [--control]
//! ```
//! `--control` withholds the rewards. `spikeflow rl distal-reward` runs the
//! same experiment with a progress bar, a summary and a picture.

use spikeflow::rl::DistalReward;
use std::time::Instant;

fn main() -> Result<(), spikeflow::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (seconds, seed) = (num(0, 600), num(1, 0));
    let cfg = DistalReward {
        seed,
        rewarded: !args.iter().any(|a| a == "--control"),
        ..Default::default()
    };
    let mut run = cfg.build()?;
    let (n1, n2) = run.chosen();
    println!("chosen synapse {n1} -> {n2}; {seconds} s simulated, seed {seed}");
    println!(
        "{:>6} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "time s", "chosen", "mean", "earned", "given", "rate Hz"
    );
    let t0 = Instant::now();
    for s in 1..=seconds {
        let st = run.run_second()?;
        if s % 60 == 0 || s == seconds {
            let (earned, given) = run.rewards();
            println!(
                "{:>6} {:>8.3} {:>8.3} {:>8} {:>8} {:>7.2}",
                st.time_s,
                st.chosen_weight,
                st.mean_exc_weight,
                earned,
                given,
                st.spikes as f64 / 1000.0
            );
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "wall {wall:.1} s: {:.0} s per simulated hour",
        wall * 3600.0 / seconds as f64
    );
    Ok(())
}
