//! Run options and state handling of the network: clamp/unclamp, voltage
//! injection, one-step mode, monitors, snapshots, rewards.

use spikeflow::prelude::*;
use spikeflow::rng::Rng;

fn chain() -> Network {
    let mut b = Network::builder();
    b.add_population("X", &[1], Input, NodeOptions::default());
    b.add_population("Y", &[1], McCullochPitts::default(), NodeOptions::default());
    b.add_population("Z", &[1], McCullochPitts::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", Dense::with_weights(vec![1.0])));
    b.connect(Connect::new("Y", "Z", Dense::with_weights(vec![1.0])));
    let mut net = b.build().unwrap();
    for p in ["Y", "Z"] {
        net.add_monitor(p, MonitorSpec::new(p, &["s"])).unwrap();
    }
    net
}

fn spikes(net: &Network, m: &str) -> Vec<f32> {
    net.monitor(m).unwrap().get("s").unwrap().into_data()
}

#[test]
fn each_hop_delays_one_step_but_one_step_mode_crosses_the_chain() {
    let x = Tensor::new(vec![3, 1, 1], vec![1.0, 0.0, 0.0]).unwrap();
    let mut net = chain();
    net.run(&[("X", &x)], 3, &RunOptions::default()).unwrap();
    assert_eq!(spikes(&net, "Y"), [0.0, 1.0, 0.0]);
    assert_eq!(spikes(&net, "Z"), [0.0, 0.0, 1.0]);
    let mut net = chain();
    net.run(
        &[("X", &x)],
        3,
        &RunOptions {
            one_step: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(spikes(&net, "Y"), [1.0, 0.0, 0.0]);
    assert_eq!(spikes(&net, "Z"), [1.0, 0.0, 0.0]);
}

#[test]
fn one_step_mode_keeps_external_input() {
    // BindsNET drops external input of a layer that has incoming connections.
    let mut net = chain();
    let x = Tensor::new(vec![1, 1, 1], vec![0.0]).unwrap();
    let y = Tensor::new(vec![1, 1, 1], vec![1.0]).unwrap();
    let o = RunOptions {
        one_step: true,
        ..Default::default()
    };
    net.run(&[("X", &x), ("Y", &y)], 1, &o).unwrap();
    assert_eq!(spikes(&net, "Y"), [1.0]);
}

#[test]
fn clamp_and_unclamp_act_after_the_update() {
    let mut net = chain();
    let x = Tensor::new(vec![2, 1, 1], vec![1.0, 1.0]).unwrap();
    let o = RunOptions {
        clamp: vec![("Z".into(), Mask::Always(vec![0]))],
        unclamp: vec![("Y".into(), Mask::PerStep(vec![vec![], vec![0]]))],
        ..Default::default()
    };
    net.run(&[("X", &x)], 2, &o).unwrap();
    assert_eq!(spikes(&net, "Z"), [1.0, 1.0]);
    // Y would spike at step 1 (input of step 0) but is unclamped there.
    assert_eq!(spikes(&net, "Y"), [0.0, 0.0]);
}

#[test]
fn voltage_injection_before_the_update() {
    let mut b = Network::builder();
    b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
    let mut net = b.build().unwrap();
    net.add_monitor("v", MonitorSpec::new("Y", &["v", "s"]))
        .unwrap();
    let inj = Tensor::new(vec![2], vec![20.0, 1.0]).unwrap();
    let o = RunOptions {
        inject_v: vec![("Y".into(), inj)],
        ..Default::default()
    };
    net.run(&[], 1, &o).unwrap();
    let m = net.monitor("v").unwrap();
    assert_eq!(m.get("s").unwrap().data(), &[1.0, 0.0]);
    // Injected before the update, so the leak applies to it: −65 + 1·e^{−1/100}.
    let v = m.get("v").unwrap().into_data();
    assert_eq!(v[0], -65.0);
    assert!((v[1] - (-65.0 + (-0.01f32).exp())).abs() < 1e-5, "{v:?}");
}

#[test]
fn bounded_monitor_keeps_the_last_steps_and_reads_are_not_destructive() {
    let mut b = Network::builder();
    b.add_population("X", &[1], Input, NodeOptions::default());
    let mut net = b.build().unwrap();
    net.add_monitor("m", MonitorSpec::new("X", &["s"]).capacity(3))
        .unwrap();
    let x = Tensor::new(vec![5, 1, 1], vec![1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    net.run(&[("X", &x)], 5, &RunOptions::default()).unwrap();
    let m = net.monitor("m").unwrap();
    assert_eq!(m.get("s").unwrap().data(), &[3.0, 4.0, 5.0]);
    assert_eq!(m.get("s").unwrap().data(), &[3.0, 4.0, 5.0]);
    assert_eq!(m.get("s").unwrap().shape(), &[3, 1, 1]);
}

fn stdp_net(seed: u64) -> Network {
    let o = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().seed(seed).batch_size(2);
    b.add_population("X", &[20], Input, o.clone());
    b.add_population("Y", &[5], DiehlAndCookNodes::default(), o);
    b.connect(
        Connect::new("X", "Y", Dense::default())
            .rule(PostPre)
            .nu((1e-3, 1e-2))
            .wmin(0.0)
            .wmax(1.0)
            .norm(5.0),
    );
    b.connect(Connect::new("Y", "Y", AllButSelf { weight: -5.0 }));
    b.build().unwrap()
}

fn input(steps: usize, seed: u64) -> Tensor {
    let mut r = Rng::seed_from_u64(seed);
    let d = (0..steps * 40)
        .map(|_| 30.0 * (r.uniform_f32() < 0.3) as u8 as f32)
        .collect();
    Tensor::new(vec![steps, 2, 20], d).unwrap()
}

#[test]
fn snapshot_restore_continues_bit_for_bit() {
    let (a, b) = (input(50, 1), input(50, 2));
    let mut whole = stdp_net(9);
    whole.run(&[("X", &a)], 50, &RunOptions::default()).unwrap();
    let snap = whole.snapshot();
    whole.run(&[("X", &b)], 50, &RunOptions::default()).unwrap();

    let mut resumed = stdp_net(123); // different seed: everything comes from the snapshot
    resumed.restore(&snap).unwrap();
    resumed
        .run(&[("X", &b)], 50, &RunOptions::default())
        .unwrap();
    assert_eq!(whole.snapshot(), resumed.snapshot());
    assert_ne!(
        whole.weights("X -> Y").unwrap(),
        stdp_net(9).weights("X -> Y").unwrap(),
        "learning happened"
    );
}

#[test]
fn restore_rejects_a_foreign_snapshot_and_changes_nothing() {
    let mut net = stdp_net(1);
    let before = net.snapshot();
    let mut other = before.clone();
    other.arrays[0].1.pop();
    let e = net.restore(&other).unwrap_err().to_string();
    assert!(e.contains("pop/X/s"), "{e}");
    assert_eq!(net.snapshot(), before);
}

#[test]
fn reset_state_clears_rule_state_but_keeps_weights_and_theta() {
    let o = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder();
    b.add_population("X", &[4], Input, o.clone());
    b.add_population("Y", &[2], AdaptiveLifNodes::default(), o);
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(vec![10.0; 8]))
            .rule(Mstdp::default())
            .nu(0.1),
    );
    let mut net = b.build().unwrap();
    let x = Tensor::new(vec![5, 1, 4], vec![1.0; 20]).unwrap();
    net.run(
        &[("X", &x)],
        5,
        &RunOptions {
            reward: Reward::Scalar(1.0),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(net
        .connection_state("X -> Y", "pre_trace")
        .unwrap()
        .iter()
        .any(|&p| p != 0.0));
    let w = net.weights("X -> Y").unwrap().to_vec();
    let theta = net
        .population("Y")
        .unwrap()
        .variable("theta")
        .unwrap()
        .to_vec();
    net.reset_state();
    assert!(net
        .connection_state("X -> Y", "pre_trace")
        .unwrap()
        .iter()
        .all(|&p| p == 0.0));
    assert_eq!(net.weights("X -> Y").unwrap(), &w[..]);
    assert_eq!(
        net.population("Y").unwrap().variable("theta").unwrap(),
        &theta[..]
    );
    // A reward rule without a reward is an error at run, naming the rule.
    let e = net
        .run(&[("X", &x)], 5, &RunOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("X -> Y") && e.contains("MSTDP") && e.contains("reward"),
        "{e}"
    );
}

#[test]
fn rule_traces_flush_to_zero_instead_of_going_subnormal() {
    // e^{-2000/20} ≈ 3.7e-44 is below the smallest normal f32: the trace
    // must read exactly 0 (subnormal arithmetic is ~100× slower).
    let mut b = Network::builder();
    b.add_population("X", &[1], Input, NodeOptions::default());
    b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(vec![1.0]))
            .rule(Mstdp::default())
            .nu(0.1),
    );
    let mut net = b.build().unwrap();
    let mut x = vec![0.0; 2000];
    x[0] = 1.0;
    let x = Tensor::new(vec![2000, 1, 1], x).unwrap();
    net.run(
        &[("X", &x)],
        2000,
        &RunOptions {
            reward: Reward::Scalar(0.0),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(net.connection_state("X -> Y", "pre_trace").unwrap(), &[0.0]);
}

/// External input into a population nothing connects into is read
/// directly (`Population::step_external`); with a connection into it, the
/// input goes through the cleared buffer. Both give the same bits, for an
/// `Input` layer (its own fast path, batch rows in parallel or not) and a
/// LIF layer (the default path).
#[test]
fn direct_external_input_equals_the_buffered_path() {
    let (steps, batch, n) = (40, 3, 50);
    let mut rng = Rng::seed_from_u64(9);
    // Real values, negative zeros and exact zeros.
    let data: Vec<f32> = (0..steps * batch * n)
        .map(|_| match rng.below(4) {
            0 => 0.0,
            1 => -0.0,
            _ => 30.0 * rng.uniform_f32() - 5.0,
        })
        .collect();
    let x = Tensor::new(vec![steps, batch, n], data).unwrap();
    let run = |with_conn: bool| {
        let mut b = Network::builder().batch_size(batch);
        let traced = NodeOptions {
            traces: true,
            ..Default::default()
        };
        b.add_population("Src", &[n], Input, NodeOptions::default());
        b.add_population("X", &[n], Input, traced.clone());
        b.add_population("L", &[n], LifNodes::default(), traced);
        if with_conn {
            // Zero weights: the connection adds nothing, but it makes the
            // network take the buffered path.
            for t in ["X", "L"] {
                b.connect(Connect::new(
                    "Src",
                    t,
                    Dense::with_weights(vec![0.0; n * n]),
                ));
            }
        }
        let mut net = b.build().unwrap();
        net.add_monitor("x", MonitorSpec::new("X", &["s", "x"]))
            .unwrap();
        net.add_monitor("l", MonitorSpec::new("L", &["s", "v", "x"]))
            .unwrap();
        net.run(&[("X", &x), ("L", &x)], steps, &RunOptions::default())
            .unwrap();
        let get = |m: &str, v: &str| -> Vec<u32> {
            let t = net.monitor(m).unwrap().get(v).unwrap().into_data();
            t.iter().map(|f| f.to_bits()).collect()
        };
        [
            get("x", "s"),
            get("x", "x"),
            get("l", "s"),
            get("l", "v"),
            get("l", "x"),
        ]
    };
    let (direct, buffered) = (run(false), run(true));
    assert!(direct[2].iter().any(|&b| b != 0), "L never spiked");
    assert_eq!(direct, buffered);
}

/// `set_weights_tensor` writes BindsNET's layout into every topology's own
/// storage: a sparse connection keeps its structure, a shared weight takes
/// one value, bad shapes and values are refused without changing anything.
#[test]
fn set_weights_tensor_writes_bindsnets_layout() {
    use spikeflow::topology::{AllButSelf, Sparse};
    let mut b = Network::builder();
    b.add_population("X", &[3], Input, NodeOptions::default());
    b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new(
        "X",
        "Y",
        Sparse::Triplets(vec![(0, 1, 1.0), (2, 0, 2.0)]),
    ));
    b.connect(Connect::new("Y", "Y", AllButSelf { weight: -3.0 }));
    let mut net = b.build().unwrap();
    let t = |shape: Vec<usize>, v: Vec<f32>| Tensor::new(shape, v).unwrap();
    // [n_pre, n_post]: (0, 1) and (2, 0) exist.
    net.set_weights_tensor("X -> Y", &t(vec![3, 2], vec![0.0, 5.0, 0.0, 0.0, 7.0, 0.0]))
        .unwrap();
    assert_eq!(net.weights("X -> Y").unwrap(), &[5.0, 7.0][..]);
    let e = net
        .set_weights_tensor("X -> Y", &t(vec![3, 2], vec![1.0, 5.0, 0.0, 0.0, 7.0, 0.0]))
        .unwrap_err();
    assert!(e.to_string().contains("no synapse"), "{e}");
    assert!(net
        .set_weights_tensor("X -> Y", &t(vec![2, 3], vec![0.0; 6]))
        .is_err());
    assert!(net
        .set_weights_tensor("X -> Y", &t(vec![3, 2], vec![f32::NAN; 6]))
        .is_err());
    assert_eq!(net.weights("X -> Y").unwrap(), &[5.0, 7.0][..]);
    // One stored weight shown in every off-diagonal cell.
    net.set_weights_tensor("Y -> Y", &t(vec![2, 2], vec![0.0, -4.0, -4.0, 0.0]))
        .unwrap();
    assert_eq!(net.weights("Y -> Y").unwrap(), &[-4.0][..]);
    let e = net
        .set_weights_tensor("Y -> Y", &t(vec![2, 2], vec![0.0, -4.0, -1.0, 0.0]))
        .unwrap_err();
    assert!(e.to_string().contains("differ"), "{e}");
    assert_eq!(net.weights("Y -> Y").unwrap(), &[-4.0][..]);
}
