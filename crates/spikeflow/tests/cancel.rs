//! A run stopped by its `Cancel` flag leaves exactly what a run of the steps
//! it completed leaves, on the per-step path (learning on) and in lanes
//! (learning off, batch > 1), and the network runs again afterwards.

use spikeflow::prelude::*;
use spikeflow::rng::Rng;
use spikeflow::{Cancel, Error, SpikeRaster};
use std::time::Duration;

const N: usize = 200;

fn raster(steps: usize, batch: usize, seed: u64) -> SpikeRaster {
    let mut r = Rng::seed_from_u64(seed);
    let data = (0..steps * batch * N)
        .map(|_| r.uniform_f32() < 0.05)
        .collect();
    SpikeRaster::new(vec![steps, batch, N], data).unwrap()
}

fn net(batch: usize, learning: bool) -> Network {
    let traced = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder()
        .batch_size(batch)
        .learning(learning)
        .seed(3);
    b.add_population("X", &[N], Input, traced.clone());
    b.add_population("Y", &[N], LifNodes::default(), traced);
    b.connect(
        Connect::new("X", "Y", Dense::default())
            .rule(PostPre)
            .nu((1e-4, 1e-2))
            .wmin(0.0)
            .wmax(1.0)
            .norm(20.0),
    );
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s", "v"]))
        .unwrap();
    net
}

/// Everything compared between the interrupted run and the short one.
fn state(net: &Network) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let m = net.monitor("y").unwrap();
    (
        m.get("s").unwrap().into_data(),
        m.get("v").unwrap().into_data(),
        net.weights("X -> Y").unwrap().to_vec(),
        net.population("Y").unwrap().variable("v").unwrap().to_vec(),
    )
}

fn interrupted_equals_short_run(batch: usize, learning: bool) {
    let steps = 200_000 / batch;
    let x = raster(steps, batch, 1);
    let mut a = net(batch, learning);
    let cancel = Cancel::new();
    let o = RunOptions {
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    let raiser = {
        let c = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            c.cancel();
        })
    };
    let r = a.run_inputs(&[("X", RunInput::from(&x))], steps, &o);
    raiser.join().unwrap();
    let done = match r {
        Err(Error::Interrupted { steps: k, of }) => {
            assert_eq!(of, steps);
            assert!(k < steps);
            k
        }
        Ok(()) => steps, // a very fast machine: nothing to interrupt
        Err(e) => panic!("{e}"),
    };
    // The same network run for `done` steps on the same input.
    let mut b = net(batch, learning);
    let prefix =
        SpikeRaster::new(vec![done, batch, N], x.data()[..done * batch * N].to_vec()).unwrap();
    b.run_inputs(
        &[("X", RunInput::from(&prefix))],
        done,
        &RunOptions::default(),
    )
    .unwrap();
    assert!(state(&a) == state(&b), "interrupted after {done} steps");

    // A raised flag stops the next run before its first step: what a run
    // of 0 steps does (which normalises the weights again) …
    let short = raster(5, batch, 2);
    let r = a.run_inputs(&[("X", RunInput::from(&short))], 5, &o);
    assert!(matches!(r, Err(Error::Interrupted { steps: 0, of: 5 })));
    let none = SpikeRaster::new(vec![0, batch, N], vec![]).unwrap();
    b.run_inputs(&[("X", RunInput::from(&none))], 0, &RunOptions::default())
        .unwrap();
    assert!(state(&a) == state(&b));
    // … and once lowered the network runs on.
    cancel.reset();
    a.run_inputs(&[("X", RunInput::from(&short))], 5, &o)
        .unwrap();
    assert_eq!(
        a.monitor("y").unwrap().get("s").unwrap().shape()[0],
        done + 5
    );
}

#[test]
fn per_step_path_keeps_the_steps_done() {
    interrupted_equals_short_run(1, true);
}

#[test]
fn lanes_keep_the_same_steps_in_every_row() {
    interrupted_equals_short_run(8, false);
}
