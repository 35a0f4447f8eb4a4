//! Neuron models beyond the reference vectors, checked against the numbers
//! BindsNET's own runs give (bindsnet-semantics.md §3).

use spikeflow::nodes::*;
use spikeflow::prelude::*;

/// Spike steps of one neuron of `model` driven by a constant `drive`.
fn spike_steps(model: impl NodeModel + 'static, drive: f32, steps: usize) -> Vec<usize> {
    let mut b = Network::builder();
    b.add_population("Y", &[1], model, NodeOptions::default());
    let mut net = b.build().unwrap();
    net.add_monitor("m", MonitorSpec::new("Y", &["s"])).unwrap();
    let x = Tensor::new(vec![steps, 1, 1], vec![drive; steps]).unwrap();
    net.run(&[("Y", &x)], steps, &RunOptions::default())
        .unwrap();
    let s = net.monitor("m").unwrap().get("s").unwrap();
    s.data()
        .iter()
        .enumerate()
        .filter(|(_, &v)| v != 0.0)
        .map(|(t, _)| t)
        .collect()
}

#[test]
fn refractory_periods_under_huge_drive() {
    // LIF and adaptive LIF ignore input for refrac/dt = 5 steps: period 6.
    assert_eq!(spike_steps(LifNodes::default(), 1e6, 20), [0, 6, 12, 18]);
    let adaptive = AdaptiveLifNodes::default();
    assert_eq!(spike_steps(adaptive, 1e6, 20), [0, 6, 12, 18]);
    // CurrentLIF decrements before its test: period 5 (BindsNET's off-by-one).
    assert_eq!(
        spike_steps(CurrentLifNodes::default(), 1e6, 20),
        [0, 5, 10, 15]
    );
    assert_eq!(
        spike_steps(BoostedLifNodes::default(), 1e6, 20),
        [0, 6, 12, 18]
    );
    assert_eq!(spike_steps(IfNodes::default(), 1e6, 20), [0, 6, 12, 18]);
}

#[test]
fn csrm_fires_spontaneously_at_step_22() {
    // v starts at rest −65 and decays towards 0, crossing −52 (verified in BindsNET).
    let s = spike_steps(CsrmNodes::default(), 0.0, 30);
    assert_eq!(s.first(), Some(&22), "{s:?}");
}

#[test]
fn mcculloch_pitts_thresholds_its_input() {
    assert_eq!(spike_steps(McCullochPitts::default(), 1.0, 3), [0, 1, 2]);
    assert!(spike_steps(McCullochPitts::default(), 0.99, 3).is_empty());
}

#[test]
fn one_spike_keeps_one_per_row_and_counts_every_crossing() {
    let dc = DiehlAndCookNodes::default();
    let run = |seed: u64| {
        let mut b = Network::builder().batch_size(2).seed(seed);
        b.add_population("Y", &[8], dc.clone(), NodeOptions::default());
        let mut net = b.build().unwrap();
        net.add_monitor("m", MonitorSpec::new("Y", &["s", "theta"]))
            .unwrap();
        let x = Tensor::new(vec![1, 2, 8], vec![100.0; 16]).unwrap();
        net.run(&[("Y", &x)], 1, &RunOptions::default()).unwrap();
        let m = net.monitor("m").unwrap();
        (
            m.get("s").unwrap().into_data(),
            m.get("theta").unwrap().into_data(),
        )
    };
    let (s, theta) = run(1);
    assert_eq!(s[..8].iter().sum::<f32>(), 1.0);
    assert_eq!(s[8..].iter().sum::<f32>(), 1.0);
    // All 16 crossings raised theta (0.05 per crossing, 2 rows), as BindsNET.
    assert!(theta.iter().all(|&t| (t - 0.1).abs() < 1e-6), "{theta:?}");
    assert_eq!(run(1).0, s, "same seed, same survivor");
    let differs = (2..20).any(|seed| run(seed).0 != s);
    assert!(differs, "the survivor is drawn, not fixed");
}

#[test]
fn adaptive_threshold_freezes_without_learning() {
    let mut b = Network::builder().learning(false);
    b.add_population(
        "Y",
        &[1],
        AdaptiveLifNodes::default(),
        NodeOptions::default(),
    );
    let mut net = b.build().unwrap();
    let x = Tensor::new(vec![10, 1, 1], vec![1e6; 10]).unwrap();
    net.run(&[("Y", &x)], 10, &RunOptions::default()).unwrap();
    assert_eq!(
        net.population("Y").unwrap().variable("theta").unwrap(),
        &[0.0]
    );
}

#[test]
fn izhikevich_draws_its_parameters_from_the_seed() {
    let build = |seed| {
        let mut b = Network::builder().seed(seed);
        b.add_population(
            "Y",
            &[5],
            IzhikevichNodes {
                excitatory: 0.6,
                ..Default::default()
            },
            NodeOptions::default(),
        );
        let net = b.build().unwrap();
        net.population("Y").unwrap().variable("u").unwrap().to_vec()
    };
    assert_eq!(build(3), build(3));
    // u = b·v: the first 3 (excitatory) have b = 0.2, the others 0.2 < b ≤ 0.25.
    let u = build(3);
    assert!(
        u[..3].iter().all(|&x| (x - 0.2 * -65.0).abs() < 1e-4),
        "{u:?}"
    );
    assert!(
        u[3..]
            .iter()
            .all(|&x| (0.25 * -65.0..=0.2 * -65.0).contains(&x)),
        "{u:?}"
    );
}

#[test]
fn per_neuron_thresholds() {
    let lif = LifNodes {
        thresh: Param::PerNeuron(vec![-60.0, -40.0]),
        ..Default::default()
    };
    let mut b = Network::builder();
    b.add_population("Y", &[2], lif, NodeOptions::default());
    let mut net = b.build().unwrap();
    net.add_monitor("m", MonitorSpec::new("Y", &["s"])).unwrap();
    let x = Tensor::new(vec![1, 1, 2], vec![10.0, 10.0]).unwrap();
    net.run(&[("Y", &x)], 1, &RunOptions::default()).unwrap();
    assert_eq!(
        net.monitor("m").unwrap().get("s").unwrap().data(),
        &[1.0, 0.0]
    );
}

#[test]
fn traces_set_and_additive() {
    let run = |additive: bool| {
        let o = NodeOptions {
            traces: true,
            traces_additive: additive,
            trace_scale: 0.5.into(),
            ..Default::default()
        };
        let mut b = Network::builder();
        b.add_population("X", &[1], Input, o);
        let mut net = b.build().unwrap();
        let x = Tensor::new(vec![2, 1, 1], vec![1.0, 1.0]).unwrap();
        net.run(&[("X", &x)], 2, &RunOptions::default()).unwrap();
        net.population("X").unwrap().core().trace().unwrap()[0]
    };
    let d = (-1.0f32 / 20.0).exp();
    assert_eq!(run(false), 0.5);
    assert!((run(true) - (0.5 * d + 0.5)).abs() < 1e-7);
}
