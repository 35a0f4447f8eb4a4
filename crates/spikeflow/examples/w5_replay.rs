//! Replays a NEST run of W5 through spikeflow's power-law STDP and compares
//! the E → E weights synapse by synapse: the spikes equal, what differs is
//! the rule's (how: `tests/support/nest_replay.rs`). Record the run with
//! `scripts/nest_w5_replay.py`, then
//!
//! ```text
//! cargo run --release -p spikeflow --example w5_replay -- target/w5_replay
//! ```
//!
//! Prints the mean weight and drift of both, how many pairs differ by more
//! than 1e-5 (relative) with and without a coincident spike pair, and the
//! largest differences.

#[path = "../tests/support/nest_replay.rs"]
mod nest_replay;

use nest_replay::{Recording, Res};

fn main() -> Res<()> {
    let dir = std::env::args().nth(1).ok_or("usage: w5_replay DIR")?;
    let rec = Recording::load(std::path::Path::new(&dir))?;
    let ours = rec.replay()?;
    let coincident = rec.coincident();
    let (mut sum_nest, mut sum_ours, mut n) = (0.0f64, 0.0f64, 0usize);
    let mut over = [0usize; 2];
    let mut worst = [0.0f64; 2];
    let mut rows = Vec::new();
    for ((p, &w), &c) in rec.pairs.iter().zip(&ours).zip(&coincident) {
        let w = f64::from(w);
        sum_nest += p.nest_w * p.count as f64;
        sum_ours += w * p.count as f64;
        n += p.count;
        let rel = (w - p.nest_w).abs() / p.nest_w.abs().max(1.0);
        over[usize::from(c)] += usize::from(rel > 1e-5);
        worst[usize::from(c)] = worst[usize::from(c)].max(rel);
        rows.push((rel, p, w, c));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let w0 = f64::from(rec.w0);
    let (mean_nest, mean_ours) = (sum_nest / n as f64, sum_ours / n as f64);
    let n_coincident = coincident.iter().filter(|&&c| c).count();
    println!(
        "synapses {n}, pairs {} ({n_coincident} with a coincident pre/post pair), {} E spikes, pre spikes delivered up to step {}",
        rec.pairs.len(),
        rec.spikes.len(),
        rec.delivered_until
    );
    println!(
        "mean weight: NEST {mean_nest:.9} pA (drift {:+.6}), spikeflow {mean_ours:.9} (drift {:+.6}), difference {:+.3e}",
        mean_nest - w0,
        mean_ours - w0,
        mean_ours - mean_nest
    );
    println!(
        "pairs over 1e-5 relative: {} of {} without a coincident pair (largest {:.2e}), {} of {n_coincident} with one (largest {:.2e})",
        over[0],
        rec.pairs.len() - n_coincident,
        worst[0],
        over[1],
        worst[1]
    );
    for (rel, p, w, c) in rows.iter().take(5) {
        println!(
            "  ({}, target {}): spikeflow {w} NEST {} (rel {rel:.2e}{})",
            p.source,
            rec.targets[p.target],
            p.nest_w,
            if *c { ", coincident" } else { "" }
        );
    }
    Ok(())
}
