//! `Network::relax`: silent steps in closed form. It must refuse (changing
//! nothing) wherever something could still happen, agree with stepping up
//! to rounding where it goes ahead, and, as the paper model's
//! `closed_form_rest`, leave training alone.

mod support;

use spikeflow::distributed::{DistributedNetwork, Solo};
use spikeflow::models::diehl_cook_paper::DiehlCookPaper;
use spikeflow::models::Presenter;
use spikeflow::prelude::*;
use spikeflow::topology::Delayed;
use support::{images, traced};

/// `X` (4 inputs) → `Y` (3 of Diehl & Cook's excitatory neurons) through
/// delays of 0–6 steps, with traces at both ends.
fn network() -> Network {
    let mut b = Network::builder().dt(0.5).seed(7);
    b.add_population("X", &[4], Input, traced());
    b.add_population("Y", &[3], ConductanceLifNodes::default(), traced());
    let w = vec![2.0; 12];
    let delays = (0..12).map(|k| (k % 7) as u16).collect();
    b.connect(Connect::new("X", "Y", Delayed::new(w, delays)));
    let mut net = b.build().unwrap();
    net.set_learning(false);
    net
}

/// Every input spiking at each of the first `steps` steps.
fn drive(net: &mut Network, steps: usize) {
    let x = SpikeRaster::new(vec![steps, 1, 4], vec![true; steps * 4]).unwrap();
    net.run_inputs(&[("X", RunInput::from(&x))], steps, &RunOptions::default())
        .unwrap();
}

fn idle(net: &mut Network, steps: usize) {
    net.run(&[], steps, &RunOptions::default()).unwrap();
}

fn var(net: &Network, pop: &str, name: &str) -> Vec<f32> {
    let p = net.population(pop).unwrap();
    p.variable(name)
        .or_else(|| p.core().variable(name))
        .unwrap()
        .to_vec()
}

#[test]
fn relax_agrees_with_stepping_up_to_rounding() {
    let (mut stepped, mut relaxed) = (network(), network());
    drive(&mut stepped, 20);
    drive(&mut relaxed, 20);
    assert!(
        var(&stepped, "Y", "since_spike").iter().any(|&s| s < 20.0),
        "the test needs spikes"
    );
    // Stepped 10 at a time until quiet, the rest of 300 steps at once.
    let mut left = 300;
    let mut jumped = 0;
    while left > 0 {
        idle(&mut relaxed, 10);
        left -= 10;
        if relaxed.relax(left) {
            jumped = left;
            break;
        }
    }
    assert!(jumped >= 200, "quiet only {jumped} steps before the end");
    idle(&mut stepped, 300);
    let close = |name: &str, pop: &str, tol: f32| {
        for (a, b) in var(&stepped, pop, name)
            .iter()
            .zip(var(&relaxed, pop, name))
        {
            assert!(
                (a - b).abs() <= tol * a.abs().max(1.0),
                "{pop}.{name}: {a} against {b}"
            );
        }
    };
    close("v", "Y", 1e-5);
    close("ge", "Y", 1e-6);
    close("gi", "Y", 1e-6);
    close("x", "Y", 1e-5);
    close("x", "X", 1e-5);
    assert_eq!(
        var(&stepped, "Y", "since_spike"),
        var(&relaxed, "Y", "since_spike")
    );
    let head = |n: &Network| {
        n.snapshot()
            .arrays
            .into_iter()
            .find(|(k, _)| k.ends_with("head"))
            .unwrap()
    };
    assert_eq!(head(&stepped), head(&relaxed));
    // Not the stepped bits: the closed form rounds once.
    assert_ne!(var(&stepped, "Y", "v"), var(&relaxed, "Y", "v"));
    // Both go on alike.
    drive(&mut stepped, 20);
    drive(&mut relaxed, 20);
    assert_eq!(
        var(&stepped, "Y", "since_spike"),
        var(&relaxed, "Y", "since_spike")
    );
}

#[test]
fn relax_refuses_while_anything_can_happen_and_changes_nothing() {
    let refuses = |net: &mut Network, why: &str| {
        let before = net.snapshot();
        assert!(!net.relax(100), "relaxed with {why}");
        assert_eq!(before, net.snapshot(), "{why}: state changed");
    };
    // Input in flight (delays up to 6 steps) and spikes just emitted.
    let mut net = network();
    drive(&mut net, 1);
    refuses(&mut net, "input in flight");
    // Conductances still high after the ring has drained.
    idle(&mut net, 7);
    refuses(&mut net, "conductances above 1e-6");
    idle(&mut net, 300);
    // Learning on.
    net.set_learning(true);
    refuses(&mut net, "learning on");
    net.set_learning(false);
    // A monitor that records every step.
    net.add_monitor("v", MonitorSpec::new("Y", &["v"])).unwrap();
    refuses(&mut net, "a per-step monitor");
    // Spike counts summed over time stay as they are: allowed.
    let mut net = network();
    net.add_monitor("count", MonitorSpec::new("Y", &["s"]).summed())
        .unwrap();
    drive(&mut net, 20);
    idle(&mut net, 300);
    assert!(net.relax(100));
    // A distributed network's part (one process) must keep in step with
    // the other parts, also where its spikes are exchanged every step (no
    // delays on the connections leaving its mirrors, so no late
    // connections either).
    let mut b = Network::builder().dt(0.5);
    b.add_population("X", &[4], Input, traced());
    b.add_population("Y", &[3], ConductanceLifNodes::default(), traced());
    b.connect(Connect::new("X", "Y", Dense::with_weights(vec![2.0; 12])));
    let mut dist = DistributedNetwork::build(b, Solo).unwrap();
    assert_eq!(dist.exchange_interval(), 1);
    dist.network_mut().set_learning(false);
    dist.run(300, &RunOptions::default()).unwrap();
    refuses(dist.network_mut(), "a distributed network's part");
}

#[test]
fn closed_form_rest_leaves_training_alone_and_tests_alike() {
    let cfg = DiehlCookPaper {
        n_neurons: 30,
        seed: 2,
        ..Default::default()
    };
    let quick = DiehlCookPaper {
        closed_form_rest: true,
        ..cfg.clone()
    };
    let imgs = images(6);
    let (mut a, mut b) = (cfg.build().unwrap(), quick.build().unwrap());
    let bits = |p: &dyn Presenter, pop: &str, v: &str| -> Vec<u32> {
        let net = p.network();
        let p = net.population(pop).unwrap();
        p.variable(v).unwrap().iter().map(|x| x.to_bits()).collect()
    };
    // Training steps the whole rest either way: the same bits.
    for img in &imgs[..3] {
        assert_eq!(a.present(img, true).unwrap(), b.present(img, true).unwrap());
    }
    assert_eq!(a.network().snapshot(), b.network().snapshot());
    // Learning off: the same counts here, the state within rounding.
    for img in &imgs[3..] {
        assert_eq!(
            a.present(img, false).unwrap(),
            b.present(img, false).unwrap()
        );
    }
    assert_ne!(
        bits(&a, "Ae", "v"),
        bits(&b, "Ae", "v"),
        "the rest was stepped"
    );
    let (va, vb) = (
        a.network().population("Ae").unwrap().variable("v").unwrap(),
        b.network().population("Ae").unwrap().variable("v").unwrap(),
    );
    for (x, y) in va.iter().zip(vb) {
        assert!((x - y).abs() < 1e-3, "v: {x} against {y}");
    }
    assert_eq!(bits(&a, "Ae", "theta"), bits(&b, "Ae", "theta"));
    let err = quick.build_parts(2).unwrap_err().to_string();
    assert!(err.contains("closed_form_rest"), "{err}");
}
