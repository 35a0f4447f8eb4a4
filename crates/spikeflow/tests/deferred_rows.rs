//! `RunOptions::keep_deferred` and `Network::catch_up_rows`: a run of one
//! step at a time that leaves the deferred weight changes pending, and
//! brings only the rows of the step's spiking sources up to date, shows
//! those rows with the bits a full flush after every step shows (NEST's
//! read-out of `stdp_pl_synapse_hom` weights, `spikeflow bench w5
//! --nest-weights`, rests on it), and ends where a plain run ends.

use spikeflow::models::HpcBenchmark;
use spikeflow::prelude::*;

const STEPS: usize = 300;

/// Each synapse's weight as of the end of its source's last spiking step,
/// read one step at a time: `keep` leaves the deferred changes pending
/// between steps and catches up only the spiking sources' rows.
fn weights_at_last_spike(model: &HpcBenchmark, keep: bool) -> (Vec<f32>, Vec<f32>, usize) {
    let mut net = model.build().unwrap();
    let w0 = model.je_pa() as f32;
    // The rows' extents: every weight starts at w0, so the dense view
    // counts each pair's synapses (stored source by source).
    let dense = net.weights_tensor("E -> E").unwrap();
    let (n_pre, n_post) = (dense.shape()[0], dense.shape()[1]);
    let mut row_ptr = vec![0usize; n_pre + 1];
    for i in 0..n_pre {
        let row = &dense.data()[i * n_post..(i + 1) * n_post];
        let count: f32 = row.iter().map(|&x| (x / w0).round()).sum();
        row_ptr[i + 1] = row_ptr[i] + count as usize;
    }
    let mut seen = net.weights("E -> E").unwrap().to_vec();
    assert_eq!(row_ptr[n_pre], seen.len());
    let mut rows_read = 0;
    for t in 0..STEPS {
        let options = RunOptions {
            keep_deferred: keep && t + 1 < STEPS,
            ..RunOptions::default()
        };
        net.run(&[], 1, &options).unwrap();
        let spiked = net
            .population("E")
            .unwrap()
            .core()
            .spikes()
            .active(0)
            .to_vec();
        if keep {
            net.catch_up_rows("E -> E", &spiked).unwrap();
        }
        let w = net.weights("E -> E").unwrap();
        for &i in &spiked {
            let r = row_ptr[i as usize]..row_ptr[i as usize + 1];
            seen[r.clone()].copy_from_slice(&w[r]);
        }
        rows_read += spiked.len();
    }
    (seen, net.weights("E -> E").unwrap().to_vec(), rows_read)
}

#[test]
fn rows_caught_up_after_each_step_match_a_flush_after_each_step() {
    let model = HpcBenchmark {
        scale: 0.02,
        seed: 3,
        plastic: true,
    };
    let (flushed_seen, flushed_end, rows) = weights_at_last_spike(&model, false);
    let (kept_seen, kept_end, _) = weights_at_last_spike(&model, true);
    assert!(rows > 50, "too few spikes to test: {rows}");
    let w0 = model.je_pa() as f32;
    assert!(
        flushed_seen.iter().filter(|&&w| w != w0).count() > 1000,
        "too few weights moved"
    );
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&kept_seen), bits(&flushed_seen));
    assert_eq!(bits(&kept_end), bits(&flushed_end));
    let mut plain = model.build().unwrap();
    plain.run(&[], STEPS, &RunOptions::default()).unwrap();
    assert_eq!(bits(plain.weights("E -> E").unwrap()), bits(&kept_end));
}

#[test]
fn kept_deferred_changes_leave_rows_behind_until_caught_up() {
    let model = HpcBenchmark {
        scale: 0.02,
        seed: 3,
        plastic: true,
    };
    let mut kept = model.build().unwrap();
    let keep = RunOptions {
        keep_deferred: true,
        ..RunOptions::default()
    };
    kept.run(&[], STEPS, &keep).unwrap();
    let mut plain = model.build().unwrap();
    plain.run(&[], STEPS, &RunOptions::default()).unwrap();
    let behind = kept.weights("E -> E").unwrap().to_vec();
    assert_ne!(
        behind,
        plain.weights("E -> E").unwrap(),
        "nothing was left pending"
    );
    // Every row caught up: the plain run's weights, bit for bit.
    let n_e = model.n_e() as u32;
    kept.catch_up_rows("E -> E", &(0..n_e).collect::<Vec<_>>())
        .unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(kept.weights("E -> E").unwrap()),
        bits(plain.weights("E -> E").unwrap())
    );
    let e = kept
        .catch_up_rows("E -> E", &[n_e])
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("row {n_e}")), "{e}");
}
