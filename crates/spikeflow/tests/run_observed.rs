//! `Network::run_observed`: an observer called after every step sees the
//! rows of the step's spiking sources with the bits a run of one step per
//! call (every deferred weight change applied after each step) shows —
//! NEST's read-out of `stdp_pl_synapse_hom` weights, `spikeflow bench w5
//! --nest-weights`, rests on it — while the run stays a plain run, and an
//! observer's error stops the run after its step with the weights current.

use spikeflow::models::HpcBenchmark;
use spikeflow::prelude::*;

const STEPS: usize = 300;

fn model() -> HpcBenchmark {
    HpcBenchmark {
        scale: 0.02,
        seed: 3,
        plastic: true,
    }
}

/// The rows of `E -> E`, `row_ptr[i]..row_ptr[i + 1]` for source `i`: every
/// weight starts at `w0`, so the dense view counts each pair's synapses
/// (stored source by source).
fn rows(net: &Network, w0: f32) -> Vec<usize> {
    let dense = net.weights_tensor("E -> E").unwrap();
    let (n_pre, n_post) = (dense.shape()[0], dense.shape()[1]);
    let mut row_ptr = vec![0usize; n_pre + 1];
    for i in 0..n_pre {
        let row = &dense.data()[i * n_post..(i + 1) * n_post];
        let count: f32 = row.iter().map(|&x| (x / w0).round()).sum();
        row_ptr[i + 1] = row_ptr[i] + count as usize;
    }
    row_ptr
}

/// Copies the rows of the sources that spiked in the step just run.
fn copy_spiking_rows(net: &Network, row_ptr: &[usize], seen: &mut [f32]) -> usize {
    let w = net.weights("E -> E").unwrap();
    let spiked = net.population("E").unwrap().core().spikes().active(0);
    for &i in spiked {
        let r = row_ptr[i as usize]..row_ptr[i as usize + 1];
        seen[r.clone()].copy_from_slice(&w[r]);
    }
    spiked.len()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn an_observer_sees_the_spiking_rows_a_step_per_run_sees() {
    let w0 = model().je_pa() as f32;
    // A run of one step per call: every deferred change applied after each.
    let mut stepped = model().build().unwrap();
    let row_ptr = rows(&stepped, w0);
    let mut want = stepped.weights("E -> E").unwrap().to_vec();
    let mut spikes = 0;
    for _ in 0..STEPS {
        stepped.run(&[], 1, &RunOptions::default()).unwrap();
        spikes += copy_spiking_rows(&stepped, &row_ptr, &mut want);
    }
    assert!(spikes > 50, "too few spikes to test: {spikes}");
    assert!(
        want.iter().filter(|&&w| w != w0).count() > 1000,
        "too few weights moved"
    );
    // One run, observed.
    let mut observed = model().build().unwrap();
    let mut got = observed.weights("E -> E").unwrap().to_vec();
    let mut calls = 0;
    observed
        .run_observed(&[], STEPS, &RunOptions::default(), |net| {
            calls += 1;
            copy_spiking_rows(net, &row_ptr, &mut got);
            Ok(())
        })
        .unwrap();
    assert_eq!(calls, STEPS);
    assert_eq!(bits(&got), bits(&want));
    // The run itself is a plain run.
    let mut plain = model().build().unwrap();
    plain.run(&[], STEPS, &RunOptions::default()).unwrap();
    assert_eq!(
        bits(observed.weights("E -> E").unwrap()),
        bits(plain.weights("E -> E").unwrap())
    );
    assert_eq!(
        bits(stepped.weights("E -> E").unwrap()),
        bits(plain.weights("E -> E").unwrap())
    );
}

#[test]
fn an_observer_error_stops_the_run_after_its_step() {
    let stop = 120;
    let mut observed = model().build().unwrap();
    let mut calls = 0;
    let e = observed
        .run_observed(&[], STEPS, &RunOptions::default(), |_| {
            calls += 1;
            if calls == stop {
                Err(spikeflow::Error::param("observer", "enough"))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
    assert!(e.to_string().contains("enough"), "{e}");
    assert_eq!(calls, stop);
    // Stopped after step `stop`, every deferred change applied.
    let mut plain = model().build().unwrap();
    plain.run(&[], stop, &RunOptions::default()).unwrap();
    assert_eq!(
        bits(observed.weights("E -> E").unwrap()),
        bits(plain.weights("E -> E").unwrap())
    );
}
