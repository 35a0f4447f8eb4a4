//! `Network::relax`: silent steps in closed form. It must refuse (changing
//! nothing) wherever something could still happen, agree with stepping up
//! to rounding where it goes ahead — learning off, or learning on with
//! rules that can relax — and, as the paper model's `closed_form_rest`,
//! leave training alone unless `closed_form_training_rest` asks.

mod support;

use spikeflow::distributed::{DistributedNetwork, Solo};
use spikeflow::learning::{ConnectionRule, RuleTraces, TraceSpec, WholeConnection};
use spikeflow::models::diehl_cook_paper::{DiehlCookPaper, PaperStdp, PaperStdpDelayed};
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
}

/// `network()` with `connect` for its connection, learning on, driven and
/// then idle long enough for everything to settle.
fn settled_learning(connect: impl FnOnce(Connect) -> Connect) -> Network {
    let mut b = Network::builder().dt(0.5).seed(7);
    b.add_population("X", &[4], Input, traced());
    b.add_population("Y", &[3], ConductanceLifNodes::excitatory(), traced());
    let delays = (0..12).map(|k| (k % 7) as u16).collect();
    b.connect(connect(Connect::new(
        "X",
        "Y",
        Delayed::new(vec![2.0; 12], delays),
    )));
    let mut net = b.build().unwrap();
    drive(&mut net, 20);
    idle(&mut net, 300);
    net
}

#[test]
fn relax_while_learning_needs_rules_that_can_and_no_weight_decay() {
    let refuses = |net: &mut Network, why: &str| {
        let before = net.snapshot();
        assert!(!net.relax(100), "relaxed with {why}");
        assert_eq!(before, net.snapshot(), "{why}: state changed");
    };
    // No rule: only θ moves while learning, in closed form.
    let mut net = settled_learning(|c| c);
    let theta = var(&net, "Y", "theta");
    assert!(net.relax(100));
    assert!(var(&net, "Y", "theta")
        .iter()
        .zip(&theta)
        .all(|(a, b)| a < b));
    // A rule without a closed form refuses while learning, not with
    // learning off.
    let mut net = settled_learning(|c| c.rule(PostPre).nu((1e-4, 1e-2)));
    refuses(&mut net, "a rule that cannot relax");
    net.set_learning(false);
    assert!(net.relax(100));
    // Weight decay moves the weights at every learning step.
    let mut net = settled_learning(|c| c.weight_decay(1e-3));
    refuses(&mut net, "weight decay");
}

/// A user's rule that keeps a trace at each end (kept by the network) and
/// changes no weight without spikes: it may say it is quiet.
#[derive(Debug)]
struct TracesOnly;

impl ConnectionRule for TracesOnly {
    fn name(&self) -> &str {
        "TracesOnly"
    }
    fn rule_traces(&self) -> RuleTraces {
        let t = |tau_ms| TraceSpec {
            tau_ms,
            amplitude: 1.0,
            additive: false,
        };
        RuleTraces {
            pre: vec![t(20.0)],
            post: vec![t(40.0)],
        }
    }
    fn update(&mut self, _c: WholeConnection<'_>) {}
    fn quiet(&self) -> bool {
        true
    }
}

#[test]
fn a_users_rule_has_its_traces_relaxed_by_the_network() {
    let (mut stepped, mut relaxed) = (
        settled_learning(|c| c.connection_rule(TracesOnly)),
        settled_learning(|c| c.connection_rule(TracesOnly)),
    );
    assert!(relaxed.relax(200));
    idle(&mut stepped, 200);
    for t in ["pre_trace", "post_trace"] {
        let name = format!("conn/X -> Y/rule/{t}");
        let (a, b) = (array(&stepped, &name), array(&relaxed, &name));
        assert!(a.iter().all(|&x| x > 0.0), "{t}: the test needs traces");
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-5 * x, "{t}: {x} against {y}");
        }
    }
}

#[test]
fn a_decaying_threshold_keeps_learning_stepping_where_it_would_fire() {
    // θ 7.5 mV: threshold −52 + 7.5 − 20 = −64.5 mV, just above v_rest
    // (−65). With τ_θ = 10 ms θ loses 5 % a step while learning, so after
    // two steps the threshold is below v_rest and the neuron will fire;
    // after one it is still above. With learning off θ stays.
    let mut b = Network::builder().dt(0.5);
    let model = ConductanceLifNodes {
        theta: Some(AdaptiveThreshold {
            tau_theta: 10.0.into(),
            theta_init: 7.5.into(),
            ..Default::default()
        }),
        ..ConductanceLifNodes::excitatory()
    };
    b.add_population("N", &[1], model, NodeOptions::default());
    let mut net = b.build().unwrap();
    let before = net.snapshot();
    assert!(!net.relax(2), "relaxed past the threshold's fall");
    assert!(before == net.snapshot());
    assert!(net.relax(1));
    net.set_learning(false);
    assert!(net.relax(1000));
}

#[test]
fn the_paper_rule_refuses_while_a_depression_is_due() {
    // Zero weights: the input's spike leaves nothing in the ring, nothing
    // in `Y`, but the rule still owes its synapses (delay 6) a depression
    // at step 6.
    let mut b = Network::builder().dt(0.5);
    b.add_population("X", &[1], Input, NodeOptions::default());
    b.add_population(
        "Y",
        &[2],
        ConductanceLifNodes::excitatory(),
        NodeOptions::default(),
    );
    let delays = vec![0u16, 6];
    b.connect(
        Connect::new("X", "Y", Delayed::new(vec![0.0; 2], delays.clone())).connection_rule(
            PaperStdpDelayed::new(PaperStdp::default(), (1e-4, 1e-2), 0.0, 1.0, delays),
        ),
    );
    let mut net = b.build().unwrap();
    let x = SpikeRaster::new(vec![1, 1, 1], vec![true]).unwrap();
    net.run_inputs(&[("X", RunInput::from(&x))], 1, &RunOptions::default())
        .unwrap();
    idle(&mut net, 5); // steps 1–5: the depression still to come
    let before = net.snapshot();
    assert!(!net.relax(100));
    assert_eq!(before, net.snapshot());
    idle(&mut net, 1); // step 6 applies it
    assert!(net.relax(100));
}

/// The named array of `net`'s snapshot.
fn array(net: &Network, name: &str) -> Vec<f32> {
    net.snapshot()
        .arrays
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no array {name}"))
        .1
}

#[test]
fn closed_form_training_rest_agrees_with_stepping_up_to_rounding() {
    let cfg = DiehlCookPaper {
        n_neurons: 30,
        seed: 3,
        ..Default::default()
    };
    let quick = DiehlCookPaper {
        closed_form_training_rest: true,
        ..cfg.clone()
    };
    let imgs = images(4);
    let (mut a, mut b) = (cfg.build().unwrap(), quick.build().unwrap());
    assert_eq!(
        a.present(&imgs[0], true).unwrap(),
        b.present(&imgs[0], true).unwrap()
    );
    let (na, nb) = (a.network(), b.network());
    let names: Vec<String> = na.snapshot().arrays.into_iter().map(|(k, _)| k).collect();
    let rule = |k: &str| names.iter().find(|n| n.ends_with(k)).unwrap().clone();
    // No weight moves while nothing spikes: the weights are the stepped ones.
    assert_eq!(
        na.weights("X -> Ae").unwrap(),
        nb.weights("X -> Ae").unwrap()
    );
    // The clocks agree; traces, θ and v within rounding, not bit for bit.
    assert_eq!(array(na, &rule("step")), array(nb, &rule("step")));
    assert_eq!(var(na, "Ae", "since_spike"), var(nb, "Ae", "since_spike"));
    let close = |name: &str, tol: f32| {
        let (x, y) = (array(na, name), array(nb, name));
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(&y) {
            assert!(
                (p - q).abs() <= tol * p.abs().max(1e-30),
                "{name}: {p} against {q}"
            );
        }
    };
    for k in ["post1", "post2", "post1_history"] {
        close(&rule(k), 1e-5);
    }
    assert!(
        array(na, &rule("post1")).iter().any(|&x| x > 0.0),
        "the test needs post spikes"
    );
    close("pop/Ae/theta", 1e-6);
    close("pop/Ae/v", 1e-5);
    close("pop/Ai/v", 1e-5);
    assert_ne!(
        var(na, "Ae", "v"),
        var(nb, "Ae", "v"),
        "the rest was stepped"
    );
    // Everything else — weights, rings and their heads, the rule's pending
    // spikes and spike ages, conductances (flushed to 0 both ways),
    // refractory clocks, the generator — is the stepped state bit for bit;
    // θ's low parts within 1e-9 mV.
    let rounded = [
        "post1",
        "post2",
        "post1_history",
        "/v",
        "/theta",
        "/theta_low",
    ];
    let (sa, sb) = (na.snapshot(), nb.snapshot());
    assert_eq!(sa.rng, sb.rng);
    for ((name, x), (_, y)) in sa.arrays.iter().zip(&sb.arrays) {
        if name.ends_with("/theta_low") {
            assert!(
                x.iter().zip(y).all(|(p, q)| (p - q).abs() <= 1e-9),
                "{name}"
            );
        } else if !rounded.iter().any(|r| name.ends_with(r)) {
            assert!(x == y, "{name} differs");
        }
    }
    // A restore right after a relaxed rest goes on as the relaxed network.
    let mut c = quick.build().unwrap();
    c.network_mut().restore(&sb).unwrap();
    c.set_encoder_rng(b.encoder_rng().clone());
    // Training goes on alike.
    for img in &imgs[1..] {
        let counts = b.present(img, true).unwrap();
        assert_eq!(a.present(img, true).unwrap(), counts);
        assert_eq!(c.present(img, true).unwrap(), counts);
    }
    assert!(
        b.network().snapshot() == c.network().snapshot(),
        "restored after a relaxed rest, the network went on otherwise"
    );
    let (wa, wb) = (
        a.network().weights("X -> Ae").unwrap(),
        b.network().weights("X -> Ae").unwrap(),
    );
    for (x, y) in wa.iter().zip(wb) {
        assert!((x - y).abs() < 1e-5, "w: {x} against {y}");
    }
}

#[test]
fn parts_relax_together_as_one_network() {
    let stepped = DiehlCookPaper {
        n_neurons: 30,
        seed: 5,
        ..Default::default()
    };
    let quick = DiehlCookPaper {
        closed_form_rest: true,
        closed_form_training_rest: true,
        ..stepped.clone()
    };
    let imgs = images(5);
    let mut one = quick.build().unwrap();
    let mut slow = stepped.build().unwrap();
    let mut parts = quick.build_parts(3).unwrap();
    for (k, img) in imgs.iter().enumerate() {
        let learning = k < 3;
        let counts = one.present(img, learning).unwrap();
        assert_eq!(parts.present(img, learning).unwrap(), counts, "image {k}");
        slow.present(img, learning).unwrap();
    }
    let whole = parts.snapshot().unwrap();
    // (`assert!`: a failure would print every weight.)
    assert!(whole == one.network().snapshot(), "parts relaxed otherwise");
    assert!(
        whole != slow.network().snapshot(),
        "the parts stepped their rests"
    );
}
