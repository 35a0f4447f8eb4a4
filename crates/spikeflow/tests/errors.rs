//! Bad input is an `Err`, never a panic, and the message names the object
//! (population, connection, rule) and the offending values. One test per
//! class of mistake.

mod support;

use spikeflow::prelude::*;
use spikeflow::Error;
use std::sync::Arc;
use support::no_panic;

type R<T = ()> = spikeflow::Result<T>;

const XY: &str = "X -> Y";

fn traced() -> NodeOptions {
    NodeOptions {
        traces: true,
        ..Default::default()
    }
}

/// Asserts `r` is an error whose message contains every one of `parts`.
#[track_caller]
fn expect_err<T: std::fmt::Debug>(r: R<T>, parts: &[&str]) -> Error {
    let e = match r {
        Ok(v) => panic!("expected an error mentioning {parts:?}, got Ok({v:?})"),
        Err(e) => e,
    };
    let msg = e.to_string();
    for p in parts {
        assert!(
            msg.contains(p),
            "error message {msg:?} does not mention {p:?}"
        );
    }
    e
}

/// `X` (Input [2]) → `Y` (LIF [3]) with a connection built by `c`.
fn build(x_opts: NodeOptions, y_opts: NodeOptions, c: Connect) -> R<Network> {
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, x_opts);
    b.add_population("Y", &[3], LifNodes::default(), y_opts);
    b.connect(c);
    no_panic("build", || b.build())
}

fn dense() -> Dense {
    Dense::with_weights(vec![0.5; 6])
}

fn ok_net() -> Network {
    build(traced(), traced(), Connect::new("X", "Y", dense())).expect("a valid network")
}

fn run(net: &mut Network, inputs: &[(&str, &Tensor)], steps: usize, o: &RunOptions) -> R {
    no_panic("run", || net.run(inputs, steps, o))
}

#[test]
fn wrong_weight_shape() {
    let e = expect_err(
        build(
            traced(),
            traced(),
            Connect::new("X", "Y", Dense::with_weights(vec![0.5; 5])),
        ),
        &[XY, "5", "6", "[2, 3]"],
    );
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    expect_err(
        build(
            traced(),
            traced(),
            Connect::new("X", "Y", dense().bias(vec![0.0; 2])),
        ),
        &[XY, "b", "2", "3"],
    );
    expect_err(
        build(
            traced(),
            traced(),
            Connect::new("X", "Y", Sparse::FromDense(vec![1.0; 7])),
        ),
        &[XY, "7", "6"],
    );
    let local = LocalConnection {
        kernel: (1, 1),
        stride: (1, 1),
        n_filters: 1,
        input_shape: Some((1, 2)),
        w: Some(vec![1.0; 3]),
        b: None,
    };
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", local));
    expect_err(no_panic("build", || b.build()), &[XY, "3", "4"]);
}

#[test]
fn unknown_population_in_a_connection() {
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.connect(Connect::new("X", "Z", Dense::default()));
    let e = expect_err(
        no_panic("build", || b.build()),
        &["X -> Z", "\"Z\"", "\"X\""],
    );
    assert!(matches!(e, Error::Name(_)), "{e:?}");
}

#[test]
fn duplicate_population_and_connection() {
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.add_population("X", &[3], LifNodes::default(), NodeOptions::default());
    expect_err(no_panic("build", || b.build()), &["\"X\"", "twice"]);
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.add_population("Y", &[3], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", dense()));
    b.connect(Connect::new("X", "Y", dense()));
    expect_err(no_panic("build", || b.build()), &[XY, "twice"]);
}

#[test]
fn bad_dt_and_batch_size() {
    for (dt, shown) in [
        (0.0, "0"),
        (-1.0, "-1"),
        (f32::NAN, "NaN"),
        (f32::INFINITY, "inf"),
    ] {
        let mut b = Network::builder().dt(dt);
        b.add_population("X", &[2], Input, NodeOptions::default());
        let e = expect_err(no_panic("build", || b.build()), &["dt", shown]);
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e:?}");
    }
    let mut b = Network::builder().batch_size(0);
    b.add_population("X", &[2], Input, NodeOptions::default());
    expect_err(no_panic("build", || b.build()), &["batch"]);
}

#[test]
fn non_finite_or_out_of_range_neuron_parameters() {
    // Parts every message must contain (the population is called "Exc").
    let cases: Vec<(LifNodes, NodeOptions, Vec<&str>)> = vec![
        (
            LifNodes {
                thresh: f32::NAN.into(),
                ..LifNodes::default()
            },
            NodeOptions::default(),
            vec!["LIFNodes", "thresh", "NaN"],
        ),
        (
            LifNodes {
                thresh: f32::INFINITY.into(),
                ..LifNodes::default()
            },
            NodeOptions::default(),
            vec!["LIFNodes", "thresh", "inf"],
        ),
        (
            LifNodes {
                tc_decay: 0.0.into(),
                ..LifNodes::default()
            },
            NodeOptions::default(),
            vec!["LIFNodes", "tc_decay", "0"],
        ),
        (
            LifNodes {
                tc_decay: (-5.0).into(),
                ..LifNodes::default()
            },
            NodeOptions::default(),
            vec!["LIFNodes", "tc_decay", "-5"],
        ),
        (
            LifNodes {
                rest: vec![-65.0, f32::NAN, -65.0].into(),
                ..LifNodes::default()
            },
            NodeOptions::default(),
            vec!["LIFNodes", "rest", "NaN"],
        ),
        (
            LifNodes {
                refrac: vec![5.0, 5.0].into(),
                ..LifNodes::default()
            },
            NodeOptions::default(),
            vec!["refrac", "2", "3"],
        ),
        (
            LifNodes::default(),
            NodeOptions {
                traces: true,
                tc_trace: 0.0.into(),
                ..Default::default()
            },
            vec!["tc_trace", "0"],
        ),
        (
            LifNodes::default(),
            NodeOptions {
                traces: true,
                trace_scale: f32::NAN.into(),
                ..Default::default()
            },
            vec!["trace_scale", "NaN"],
        ),
        (
            LifNodes {
                lbound: Some(f32::NAN),
                ..LifNodes::default()
            },
            NodeOptions::default(),
            vec!["lbound", "NaN"],
        ),
    ];
    for (lif, opts, mut parts) in cases {
        let mut b = Network::builder();
        b.add_population("Exc", &[3], lif, opts);
        parts.push("Exc");
        expect_err(no_panic("build", || b.build()), &parts);
    }
    let mut b = Network::builder();
    b.add_population(
        "Srm",
        &[3],
        Srm0Nodes {
            d_thresh: 0.0,
            ..Srm0Nodes::default()
        },
        NodeOptions::default(),
    );
    expect_err(no_panic("build", || b.build()), &["Srm", "d_thresh", "0"]);
    let mut b = Network::builder();
    b.add_population("Empty", &[2, 0], Input, NodeOptions::default());
    expect_err(no_panic("build", || b.build()), &["Empty", "[2, 0]"]);
}

#[test]
fn bad_input_tensors() -> R {
    let mut net = ok_net();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"]))?;
    let o = RunOptions::default();
    // Wrong number of steps.
    let x = Tensor::zeros(vec![4, 1, 2]);
    let e = expect_err(
        run(&mut net, &[("X", &x)], 3, &o),
        &["\"X\"", "[4, 1, 2]", "3"],
    );
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    // Wrong batch.
    expect_err(
        run(&mut net, &[("X", &Tensor::zeros(vec![3, 2, 2]))], 3, &o),
        &["\"X\"", "[3, 2, 2]"],
    );
    // Wrong population shape.
    expect_err(
        run(&mut net, &[("X", &Tensor::zeros(vec![3, 1, 3]))], 3, &o),
        &["\"X\"", "[3, 1, 3]"],
    );
    // Non-finite values.
    let mut x = Tensor::zeros(vec![3, 1, 2]);
    x.data_mut()[3] = f32::NAN;
    expect_err(run(&mut net, &[("X", &x)], 3, &o), &["\"X\"", "NaN"]);
    x.data_mut()[3] = f32::NEG_INFINITY;
    expect_err(run(&mut net, &[("X", &x)], 3, &o), &["\"X\"", "inf"]);
    // The same population twice.
    let ok = Tensor::zeros(vec![3, 1, 2]);
    expect_err(
        run(&mut net, &[("X", &ok), ("X", &ok)], 3, &o),
        &["\"X\"", "twice"],
    );
    // Nothing was stepped by the failed calls.
    assert!(net.monitor("y")?.is_empty());
    run(&mut net, &[("X", &ok)], 3, &o)?;
    assert_eq!(net.monitor("y")?.len(), 3);
    // A tensor that is not a tensor.
    expect_err(Tensor::new(vec![2, 2], vec![0.0; 3]), &["[2, 2]", "3"]);
    Ok(())
}

#[test]
fn input_with_the_right_length_but_the_wrong_shape() {
    // Batch 2, three neurons: [steps, 2, 3] is right; [steps, 3, 2] holds as
    // many values but is not a [steps, batch, *shape] tensor.
    let mut b = Network::builder().batch_size(2);
    b.add_population("X", &[3], Input, NodeOptions::default());
    let mut net = b.build().unwrap();
    expect_err(
        run(
            &mut net,
            &[("X", &Tensor::zeros(vec![4, 3, 2]))],
            4,
            &RunOptions::default(),
        ),
        &["\"X\"", "[4, 3, 2]"],
    );
    expect_err(
        run(
            &mut net,
            &[("X", &Tensor::zeros(vec![4, 6]))],
            4,
            &RunOptions::default(),
        ),
        &["\"X\"", "[4, 6]"],
    );
}

#[test]
fn unknown_input_population() {
    let mut net = ok_net();
    let e = expect_err(
        run(
            &mut net,
            &[("Q", &Tensor::zeros(vec![1, 1, 2]))],
            1,
            &RunOptions::default(),
        ),
        &["\"Q\"", "\"X\""],
    );
    assert!(matches!(e, Error::Name(_)), "{e:?}");
}

#[test]
fn rule_needing_traces_on_a_population_without() {
    let e = expect_err(
        build(
            NodeOptions::default(),
            traced(),
            Connect::new("X", "Y", dense()).rule(PostPre),
        ),
        &[XY, "PostPre", "traces", "\"X\""],
    );
    assert!(matches!(e, Error::Rule { .. }), "{e:?}");
    expect_err(
        build(
            traced(),
            NodeOptions::default(),
            Connect::new("X", "Y", dense()).rule(Hebbian),
        ),
        &[XY, "Hebbian", "traces", "\"Y\""],
    );
    expect_err(
        build(
            NodeOptions::default(),
            NodeOptions::default(),
            Connect::new("X", "Y", dense())
                .rule(DiehlAndCook::default())
                .wmax(1.0),
        ),
        &[XY, "DiehlAndCook", "traces", "\"X\""],
    );
    // Reward rules keep their own traces: none needed.
    build(
        NodeOptions::default(),
        NodeOptions::default(),
        Connect::new("X", "Y", dense())
            .rule(Mstdp::default())
            .nu(0.1),
    )
    .unwrap();
}

#[test]
fn soft_bounded_rule_with_infinite_bounds() {
    for (wmin, wmax) in [
        (f32::NEG_INFINITY, 1.0),
        (0.0, f32::INFINITY),
        (f32::NEG_INFINITY, f32::INFINITY),
    ] {
        let c = Connect::new("X", "Y", dense())
            .rule(WeightDependentPostPre)
            .wmin(wmin)
            .wmax(wmax);
        expect_err(
            build(traced(), traced(), c),
            &[XY, "WeightDependentPostPre", "wmin", "wmax", "inf"],
        );
    }
    let c = Connect::new("X", "Y", dense())
        .rule(WeightDependentPostPre)
        .wmin(Bound::PerSynapse(vec![
            0.0,
            0.0,
            f32::NEG_INFINITY,
            0.0,
            0.0,
            0.0,
        ]))
        .wmax(1.0);
    expect_err(
        build(traced(), traced(), c),
        &[XY, "WeightDependentPostPre", "inf"],
    );
    let c = Connect::new("X", "Y", dense()).rule(DiehlAndCook::default());
    expect_err(
        build(traced(), traced(), c),
        &[XY, "DiehlAndCook", "wmax", "inf"],
    );
}

#[test]
fn rmax_on_a_lif_target_or_without_additive_traces() {
    let additive = NodeOptions {
        traces: true,
        traces_additive: true,
        ..Default::default()
    };
    let e = expect_err(
        build(
            additive,
            NodeOptions::default(),
            Connect::new("X", "Y", dense()).rule(Rmax::default()),
        ),
        &[XY, "Rmax", "s_prob", "LIFNodes"],
    );
    assert!(matches!(e, Error::Rule { .. }), "{e:?}");
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, traced());
    b.add_population("Y", &[3], Srm0Nodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", dense()).rule(Rmax::default()));
    expect_err(
        no_panic("build", || b.build()),
        &[XY, "Rmax", "additive", "\"X\""],
    );
}

#[test]
fn reward_rule_run_without_reward() {
    let mut net = build(
        NodeOptions::default(),
        NodeOptions::default(),
        Connect::new("X", "Y", dense())
            .rule(Mstdp::default())
            .nu(0.1),
    )
    .unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    let x = Tensor::zeros(vec![2, 1, 2]);
    let e = expect_err(
        run(&mut net, &[("X", &x)], 2, &RunOptions::default()),
        &[XY, "MSTDP", "reward"],
    );
    assert!(matches!(e, Error::Rule { .. }), "{e:?}");
    assert!(net.monitor("y").unwrap().is_empty(), "nothing was stepped");
    // With learning off no reward is needed.
    net.set_learning(false);
    run(&mut net, &[("X", &x)], 2, &RunOptions::default()).unwrap();
    let mut net = build(
        NodeOptions::default(),
        NodeOptions::default(),
        Connect::new("X", "Y", dense()).rule(MstdpEt::default()),
    )
    .unwrap();
    expect_err(
        run(&mut net, &[("X", &x)], 2, &RunOptions::default()),
        &[XY, "MSTDPET", "reward"],
    );
}

#[test]
fn bad_rewards() {
    let mut b = Network::builder().batch_size(2);
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.add_population("Y", &[3], LifNodes::default(), NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", dense())
            .rule(Mstdp::default())
            .nu(0.1),
    );
    let mut net = b.build().unwrap();
    let x = Tensor::zeros(vec![3, 2, 2]);
    let with = |reward: Reward| RunOptions {
        reward,
        ..Default::default()
    };
    expect_err(
        run(
            &mut net,
            &[("X", &x)],
            3,
            &with(Reward::PerStep(vec![1.0; 4])),
        ),
        &["reward", "4", "3"],
    );
    expect_err(
        run(
            &mut net,
            &[("X", &x)],
            3,
            &with(Reward::PerRow(vec![1.0; 3])),
        ),
        &["reward", "3", "2"],
    );
    expect_err(
        run(
            &mut net,
            &[("X", &x)],
            3,
            &with(Reward::PerStepRow(Tensor::zeros(vec![3, 3]))),
        ),
        &["reward", "[3, 3]", "[3, 2]"],
    );
    expect_err(
        run(&mut net, &[("X", &x)], 3, &with(Reward::Scalar(f32::NAN))),
        &["reward", "NaN"],
    );
    expect_err(
        run(
            &mut net,
            &[("X", &x)],
            3,
            &with(Reward::PerStep(vec![0.0, f32::INFINITY, 0.0])),
        ),
        &["reward", "inf"],
    );
}

#[test]
fn pooling_with_a_learning_rule_norm_decay_or_bounds() {
    let pool_net = |c: Connect| {
        let mut b = Network::builder();
        b.add_population("X", &[1, 4, 4], Input, traced());
        b.add_population("Y", &[1, 2, 2], LifNodes::default(), traced());
        b.connect(c);
        no_panic("build", || b.build())
    };
    let pool = || MaxPool::new(vec![2, 2], 0.5).stride(vec![2, 2]);
    pool_net(Connect::new("X", "Y", pool())).unwrap();
    let e = expect_err(
        pool_net(Connect::new("X", "Y", pool()).rule(PostPre).nu(0.1)),
        &[XY, "PostPre", "MaxPool2dConnection"],
    );
    assert!(matches!(e, Error::Rule { .. }), "{e:?}");
    expect_err(
        pool_net(Connect::new("X", "Y", pool()).norm(1.0)),
        &[XY, "MaxPool2dConnection"],
    );
    expect_err(
        pool_net(Connect::new("X", "Y", pool()).weight_decay(0.1)),
        &[XY, "MaxPool2dConnection"],
    );
    expect_err(
        pool_net(Connect::new("X", "Y", pool()).wmax(1.0)),
        &[XY, "MaxPool2dConnection"],
    );
    for decay in [f32::NAN, 1.5, -0.1] {
        expect_err(
            pool_net(Connect::new(
                "X",
                "Y",
                MaxPool::new(vec![2, 2], decay).stride(vec![2, 2]),
            )),
            &[XY, "decay"],
        );
    }
}

#[test]
fn bad_convolutions() {
    let conv_net = |src: &[usize], tgt: &[usize], conv: Conv| {
        let mut b = Network::builder();
        b.add_population("X", src, Input, traced());
        b.add_population("Y", tgt, LifNodes::default(), traced());
        b.connect(Connect::new("X", "Y", conv));
        no_panic("build", || b.build())
    };
    // Valid: 1×5×5, 3×3 kernel, padding 1 → 5×5.
    conv_net(
        &[1, 5, 5],
        &[2, 5, 5],
        Conv::new(vec![3, 3]).padding(vec![1, 1]),
    )
    .unwrap();
    // Kernel larger than the padded input (5 + 2·0 < 6).
    expect_err(
        conv_net(&[1, 5, 5], &[2, 1, 1], Conv::new(vec![6, 6])),
        &[XY, "kernel [6, 6]", "[5, 5]"],
    );
    expect_err(
        conv_net(
            &[1, 5, 5],
            &[2, 1, 1],
            Conv::new(vec![3, 8]).padding(vec![1, 1]),
        ),
        &[XY, "kernel [3, 8]"],
    );
    // Zero stride, zero kernel, zero dilation.
    expect_err(
        conv_net(
            &[1, 5, 5],
            &[2, 3, 3],
            Conv::new(vec![3, 3]).stride(vec![0, 1]),
        ),
        &[XY, "stride [0, 1]"],
    );
    expect_err(
        conv_net(&[1, 5, 5], &[2, 3, 3], Conv::new(vec![0, 3])),
        &[XY, "kernel [0, 3]"],
    );
    expect_err(
        conv_net(
            &[1, 5, 5],
            &[2, 3, 3],
            Conv::new(vec![3, 3]).dilation(vec![1, 0]),
        ),
        &[XY, "dilation [1, 0]"],
    );
    // Weights for 2 input channels on a 3-channel source.
    expect_err(
        conv_net(
            &[3, 5, 5],
            &[2, 3, 3],
            Conv::new(vec![3, 3]).weights(vec![0.1; 2 * 2 * 9]),
        ),
        &[XY, "36", "54", "[2, 3, 3, 3]"],
    );
    // Target shape that is not the convolution's output.
    expect_err(
        conv_net(&[1, 5, 5], &[2, 4, 4], Conv::new(vec![3, 3])),
        &[XY, "[4, 4]", "[3, 3]"],
    );
    // Source without a channel axis; axes of stride/padding not matching the kernel.
    expect_err(
        conv_net(&[25], &[2, 3, 3], Conv::new(vec![3, 3])),
        &[XY, "[25]"],
    );
    expect_err(
        conv_net(
            &[1, 5, 5],
            &[2, 3, 3],
            Conv::new(vec![3, 3]).stride(vec![1]),
        ),
        &[XY, "stride [1]"],
    );
    expect_err(
        conv_net(
            &[1, 5, 5, 5, 5],
            &[2, 3, 3, 3, 3],
            Conv::new(vec![3, 3, 3, 3]),
        ),
        &[XY, "kernel", "[3, 3, 3, 3]"],
    );
    // Bias of the wrong length.
    expect_err(
        conv_net(
            &[1, 5, 5],
            &[2, 3, 3],
            Conv::new(vec![3, 3]).bias(vec![0.0; 3]),
        ),
        &[XY, "3", "2"],
    );
}

#[test]
fn bad_sparse_and_local_structures() {
    let net = |c: Connect| build(traced(), traced(), c);
    expect_err(
        net(Connect::new(
            "X",
            "Y",
            Sparse::Triplets(vec![(0, 0, 1.0), (2, 1, 1.0)]),
        )),
        &[XY, "(2, 1, 1)", "[2, 3]"],
    );
    expect_err(
        net(Connect::new("X", "Y", Sparse::Triplets(vec![(0, 4, 1.0)]))),
        &[XY, "(0, 4, 1)"],
    );
    expect_err(
        net(Connect::new(
            "X",
            "Y",
            Sparse::Triplets(vec![(0, 0, f32::NAN)]),
        )),
        &[XY, "NaN"],
    );
    expect_err(
        net(Connect::new(
            "X",
            "Y",
            Sparse::Triplets(vec![(1, 2, 1.0), (1, 2, 0.5)]),
        )),
        &[XY, "duplicate"],
    );
    for p in [1.5, -0.1, f32::NAN] {
        expect_err(
            net(Connect::new("X", "Y", Sparse::Random { p, seed: 1 })),
            &[XY, "probability"],
        );
    }
    let local = |kernel, stride, n_filters, input_shape| LocalConnection {
        kernel,
        stride,
        n_filters,
        input_shape,
        w: None,
        b: None,
    };
    let mut b = Network::builder();
    b.add_population("X", &[16], Input, NodeOptions::default());
    b.add_population("Y", &[8], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", local((5, 5), (1, 1), 2, None)));
    expect_err(no_panic("build", || b.build()), &[XY, "(5, 5)", "(4, 4)"]);
    let mut b = Network::builder();
    b.add_population("X", &[16], Input, NodeOptions::default());
    b.add_population("Y", &[8], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", local((2, 2), (2, 2), 1, None)));
    expect_err(no_panic("build", || b.build()), &[XY, "8", "4"]);
    let mut b = Network::builder();
    b.add_population("X", &[15], Input, NodeOptions::default());
    b.add_population("Y", &[8], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new(
        "X",
        "Y",
        local((2, 2), (2, 2), 2, Some((4, 4))),
    ));
    expect_err(no_panic("build", || b.build()), &[XY, "(4, 4)", "15"]);
    let mut b = Network::builder();
    b.add_population("X", &[16], Input, NodeOptions::default());
    b.add_population("Y", &[8], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", local((2, 2), (0, 2), 2, None)));
    expect_err(no_panic("build", || b.build()), &[XY, "stride (0, 2)"]);
}

#[test]
fn wmin_greater_than_wmax_and_bad_bounds() {
    let c = Connect::new("X", "Y", dense()).wmin(2.0).wmax(1.0);
    let e = expect_err(build(traced(), traced(), c), &[XY, "wmin 2", "wmax 1"]);
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e:?}");
    let c = Connect::new("X", "Y", dense())
        .wmin(Bound::PerSynapse(vec![0.0, 0.0, 0.0, 0.0, 3.0, 0.0]))
        .wmax(1.0);
    expect_err(
        build(traced(), traced(), c),
        &[XY, "wmin 3", "wmax 1", "weight 4"],
    );
    let c = Connect::new("X", "Y", dense()).wmin(Bound::PerSynapse(vec![0.0; 4]));
    expect_err(build(traced(), traced(), c), &[XY, "wmin", "4", "6"]);
    let c = Connect::new("X", "Y", dense()).wmax(f32::NAN);
    expect_err(build(traced(), traced(), c), &[XY, "wmax", "NaN"]);
}

#[test]
fn bad_learning_options() {
    let with = |c: Connect| build(traced(), traced(), c);
    expect_err(
        with(
            Connect::new("X", "Y", dense())
                .rule(PostPre)
                .nu((f32::NAN, 0.1)),
        ),
        &[XY, "nu", "NaN"],
    );
    expect_err(
        with(
            Connect::new("X", "Y", dense())
                .rule(PostPre)
                .nu(f32::INFINITY),
        ),
        &[XY, "nu", "inf"],
    );
    let short = Nu::PerSynapse(Arc::new(vec![0.1; 5]), Arc::new(vec![0.1; 6]));
    expect_err(
        with(Connect::new("X", "Y", dense()).rule(PostPre).nu(short)),
        &[XY, "nu", "5", "6"],
    );
    let nan = Nu::PerSynapse(Arc::new(vec![0.1; 6]), Arc::new(vec![f32::NAN; 6]));
    expect_err(
        with(Connect::new("X", "Y", dense()).rule(PostPre).nu(nan)),
        &[XY, "nu"],
    );
    for d in [1.5, -0.1, f32::NAN] {
        expect_err(
            with(Connect::new("X", "Y", dense()).weight_decay(d)),
            &[XY, "weight_decay"],
        );
    }
    expect_err(
        with(Connect::new("X", "Y", dense()).norm(f32::NAN)),
        &[XY, "norm", "NaN"],
    );
}

#[test]
fn bad_rule_parameters() {
    // A zero or non-finite time constant turns every weight into NaN/inf
    // at the first learning step instead of being rejected at build.
    let x = Tensor::new(vec![3, 1, 2], vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0]).unwrap();
    let o = RunOptions {
        reward: Reward::Scalar(1.0),
        ..Default::default()
    };
    let rules: Vec<(&str, Connect)> = vec![
        (
            "tc_plus",
            Connect::new("X", "Y", Dense::with_weights(vec![20.0; 6]))
                .rule(Mstdp {
                    tc_plus: 0.0,
                    ..Mstdp::default()
                })
                .nu(0.1),
        ),
        (
            "tc_minus",
            Connect::new("X", "Y", Dense::with_weights(vec![20.0; 6]))
                .rule(Mstdp {
                    tc_minus: f32::NAN,
                    ..Mstdp::default()
                })
                .nu(0.1),
        ),
        (
            "a_plus",
            Connect::new("X", "Y", Dense::with_weights(vec![20.0; 6]))
                .rule(Mstdp {
                    a_plus: f32::INFINITY,
                    ..Mstdp::default()
                })
                .nu(0.1),
        ),
        (
            "tc_e_trace",
            Connect::new("X", "Y", Dense::with_weights(vec![20.0; 6]))
                .rule(MstdpEt {
                    tc_e_trace: 0.0,
                    ..MstdpEt::default()
                })
                .nu(0.1),
        ),
        (
            "mu",
            Connect::new("X", "Y", Dense::with_weights(vec![20.0; 6]))
                .rule(DiehlAndCook {
                    mu: f32::NAN,
                    x_tar: 0.4,
                })
                .nu(0.1)
                .wmax(30.0),
        ),
        (
            "x_tar",
            Connect::new("X", "Y", Dense::with_weights(vec![20.0; 6]))
                .rule(DiehlAndCook {
                    mu: 1.0,
                    x_tar: f32::INFINITY,
                })
                .nu(0.1)
                .wmax(30.0),
        ),
    ];
    let mut failures = Vec::new();
    for (what, c) in rules {
        match build(traced(), traced(), c) {
            Err(e) if e.to_string().contains(what) && e.to_string().contains(XY) => {}
            Err(e) => failures.push(format!("{what}: error does not name it: {e}")),
            Ok(mut net) => {
                run(&mut net, &[("X", &x)], 3, &o).unwrap();
                failures.push(format!(
                    "{what}: accepted; weights after 3 steps: {:?}",
                    net.weights(XY).unwrap()
                ));
            }
        }
    }
    let mut b = Network::builder();
    b.add_population(
        "X",
        &[2],
        Input,
        NodeOptions {
            traces: true,
            traces_additive: true,
            ..Default::default()
        },
    );
    b.add_population("Y", &[3], Srm0Nodes::default(), NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", dense())
            .rule(Rmax {
                tc_c: 5.0,
                tc_e_trace: 0.0,
            })
            .nu(0.1),
    );
    if b.build().is_ok() {
        failures.push("Rmax tc_e_trace 0: accepted (eligibility decay 1 − dt/0 = −inf)".into());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn non_finite_weights() {
    let mut failures = Vec::new();
    let specs: Vec<(&str, Connect)> = vec![
        (
            "Dense w",
            Connect::new(
                "X",
                "Y",
                Dense::with_weights(vec![0.5, 0.5, f32::NAN, 0.5, 0.5, 0.5]),
            ),
        ),
        (
            "Dense b",
            Connect::new("X", "Y", dense().bias(vec![0.0, f32::INFINITY, 0.0])),
        ),
        (
            "Sparse::FromDense w",
            Connect::new(
                "X",
                "Y",
                Sparse::FromDense(vec![0.5, 0.0, f32::NAN, 0.5, 0.0, 0.5]),
            ),
        ),
    ];
    for (what, c) in specs {
        if let Ok(mut net) = build(traced(), traced(), c) {
            run(
                &mut net,
                &[("X", &Tensor::new(vec![2, 1, 2], vec![1.0; 4]).unwrap())],
                2,
                &RunOptions::default(),
            )
            .unwrap();
            failures.push(format!(
                "{what}: accepted; Y.v = {:?}",
                net.population("Y").unwrap().variable("v").unwrap()
            ));
        }
    }
    let mut b = Network::builder();
    b.add_population("X", &[1, 3, 3], Input, NodeOptions::default());
    b.add_population("Y", &[1, 1, 1], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new(
        "X",
        "Y",
        Conv::new(vec![3, 3]).weights(vec![f32::NAN; 9]),
    ));
    if b.build().is_ok() {
        failures.push("Conv w: accepted".into());
    }
    let mut b = Network::builder();
    b.add_population("X", &[4], Input, NodeOptions::default());
    b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
    let w = Some(vec![0.5, 0.5, f32::NAN, 0.5]);
    b.connect(Connect::new(
        "X",
        "Y",
        LocalConnection {
            kernel: (2, 2),
            stride: (1, 1),
            n_filters: 1,
            input_shape: Some((2, 2)),
            w,
            b: None,
        },
    ));
    if b.build().is_ok() {
        failures.push("LocalConnection w: accepted".into());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn clamp_index_out_of_range() -> R {
    let mut net = ok_net();
    let o = RunOptions {
        clamp: vec![("Y".into(), Mask::Always(vec![1, 5]))],
        ..Default::default()
    };
    let e = expect_err(run(&mut net, &[], 2, &o), &["\"Y\"", "5", "3"]);
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e:?}");
    let o = RunOptions {
        unclamp: vec![("Y".into(), Mask::PerStep(vec![vec![0], vec![3]]))],
        ..Default::default()
    };
    expect_err(run(&mut net, &[], 2, &o), &["\"Y\"", "3"]);
    let o = RunOptions {
        clamp: vec![("Y".into(), Mask::PerStep(vec![vec![0]]))],
        ..Default::default()
    };
    expect_err(run(&mut net, &[], 2, &o), &["\"Y\"", "1", "2"]);
    let o = RunOptions {
        clamp: vec![("Q".into(), Mask::Always(vec![0]))],
        ..Default::default()
    };
    expect_err(run(&mut net, &[], 2, &o), &["\"Q\""]);
    let o = RunOptions {
        inject_v: vec![("Y".into(), Tensor::zeros(vec![4]))],
        ..Default::default()
    };
    expect_err(run(&mut net, &[], 2, &o), &["\"Y\"", "[4]", "[3]"]);
    let o = RunOptions {
        inject_v: vec![("X".into(), Tensor::zeros(vec![2]))],
        ..Default::default()
    };
    expect_err(run(&mut net, &[], 2, &o), &["\"X\"", "voltage"]);
    Ok(())
}

#[test]
fn monitor_of_an_unknown_variable_population_or_connection() {
    let mut net = ok_net();
    let e = expect_err(
        no_panic("add_monitor", || {
            net.add_monitor("m", MonitorSpec::new("Y", &["s", "q"]))
        }),
        &["\"Y\"", "\"q\"", "LIFNodes"],
    );
    assert!(matches!(e, Error::Name(_)), "{e:?}");
    // Input has no voltage.
    expect_err(
        net.add_monitor("m", MonitorSpec::new("X", &["v"])),
        &["\"X\"", "\"v\""],
    );
    // No trace kept → no "x".
    let mut plain = build(
        NodeOptions::default(),
        NodeOptions::default(),
        Connect::new("X", "Y", dense()),
    )
    .unwrap();
    expect_err(
        plain.add_monitor("m", MonitorSpec::new("Y", &["x"])),
        &["\"Y\"", "\"x\""],
    );
    expect_err(
        net.add_monitor("m", MonitorSpec::new("Z", &["s"])),
        &["\"Z\""],
    );
    expect_err(
        net.add_monitor("m", MonitorSpec::new("X -> Y", &["firing_rates"])),
        &[XY, "\"firing_rates\""],
    );
    expect_err(
        net.add_monitor("m", MonitorSpec::new("Y -> X", &["w"])),
        &["Y -> X"],
    );
    net.add_monitor("m", MonitorSpec::new("Y", &["v"])).unwrap();
    expect_err(
        net.add_monitor("m", MonitorSpec::new("Y", &["s"])),
        &["\"m\""],
    );
    expect_err(net.monitor("nope").map(|_| ()), &["\"nope\""]);
    expect_err(net.monitor("m").unwrap().get("s").map(|_| ()), &["\"s\""]);
}

#[test]
fn unknown_connection_or_population_by_name() {
    let net = ok_net();
    expect_err(net.weights("X -> Z").map(<[f32]>::to_vec), &["X -> Z", XY]);
    expect_err(net.weights_tensor("Y -> X"), &["Y -> X"]);
    expect_err(net.rule_name("nope").map(str::to_string), &["\"nope\""]);
    expect_err(
        net.connection_state(XY, "eligibility").map(<[f32]>::to_vec),
        &[XY, "\"eligibility\""],
    );
    expect_err(net.population("Q").map(|p| p.type_name()), &["\"Q\""]);
}

#[test]
fn monitor_with_zero_capacity() {
    let mut net = ok_net();
    let added = no_panic("add_monitor", || {
        net.add_monitor("m", MonitorSpec::new("Y", &["s"]).capacity(0))
    });
    if added.is_ok() {
        run(&mut net, &[], 2, &RunOptions::default()).unwrap();
        let got = no_panic("Monitor::get", || net.monitor("m").unwrap().get("s"));
        // Either an empty recording or an error, but no panic.
        if let Ok(t) = got {
            assert_eq!(t.shape()[0], 0, "a zero-capacity monitor holds no step");
        }
    }
}

#[test]
fn bad_weight_masks() -> R {
    let mut net = ok_net();
    let before = net.weights(XY)?.to_vec();
    let mask = |n: usize| RunOptions {
        weight_masks: vec![(XY.into(), vec![true; n])],
        ..Default::default()
    };
    // 2 × 3 weights: 5 flags is wrong.
    let e = expect_err(run(&mut net, &[], 2, &mask(5)), &["X -> Y", "5", "6"]);
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    let o = RunOptions {
        weight_masks: vec![("X -> Q".into(), vec![true; 6])],
        ..Default::default()
    };
    expect_err(run(&mut net, &[], 2, &o), &["X -> Q"]);
    let o = RunOptions {
        weight_masks: vec![(XY.into(), vec![false; 6]), (XY.into(), vec![true; 6])],
        ..Default::default()
    };
    expect_err(run(&mut net, &[], 2, &o), &["X -> Y", "twice"]);
    // Nothing was stepped or masked by the refused runs.
    assert_eq!(net.weights(XY)?, &before[..]);
    // A valid mask zeroes its weights.
    run(&mut net, &[], 1, &mask(6))?;
    assert!(net.weights(XY)?.iter().all(|&w| w == 0.0));
    Ok(())
}

/// Found by `fuzz_case_json`: a case whose input layer had 10^12 neurons
/// made the allocator abort the process. A population whose state cannot
/// fit in memory is refused at build, with the figure.
#[test]
fn population_too_big_for_memory_is_refused_at_build() {
    for (shape, batch) in [
        (vec![1_000_000_000_000usize], 1usize),
        (vec![usize::MAX, 2], 1),
        (vec![1_000_000, 1_000_000], 8),
        (vec![1000], usize::MAX / 2),
    ] {
        let r = no_panic("huge population", || {
            let mut b = Network::builder().batch_size(batch);
            b.add_population("X", &shape, Input, NodeOptions::default());
            b.build()
        });
        let e = match r {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{shape:?} × {batch} accepted"),
        };
        assert!(e.contains("population X") && e.contains("bytes"), "{e}");
    }
}

#[test]
fn dense_weights_too_big_for_memory_are_refused_at_build() {
    // 10^6 × 10^6 dense weights: 4 TB.
    let r = no_panic("huge dense connection", || {
        let mut b = Network::builder();
        b.add_population("X", &[1_000_000], Input, NodeOptions::default());
        b.add_population("Y", &[1_000_000], Input, NodeOptions::default());
        b.connect(Connect::new("X", "Y", Dense::default()));
        b.build()
    });
    let e = expect_err(r, &["X -> Y", "dense weights", "bytes"]);
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e:?}");
}

#[test]
fn runs_whose_recordings_or_rewards_would_not_fit_are_refused_unstepped() -> R {
    let mut net = ok_net();
    net.add_monitor("v", MonitorSpec::new("Y", &["v"]))?;
    let huge = 1usize << 50;
    expect_err(
        run(&mut net, &[], huge, &RunOptions::default()),
        &["monitor \"v\"", "bytes"],
    );
    // A bounded monitor never grows past its capacity: only the reward is too big now.
    let mut net = ok_net();
    net.add_monitor("v", MonitorSpec::new("Y", &["v"]).capacity(10))?;
    let o = RunOptions {
        reward: Reward::Scalar(1.0),
        ..Default::default()
    };
    expect_err(run(&mut net, &[], huge, &o), &["reward", "bytes"]);
    // Nothing was stepped: the network runs as a fresh one.
    run(&mut net, &[], 2, &RunOptions::default())?;
    assert_eq!(net.monitor("v")?.get("v")?.shape()[0], 2);
    Ok(())
}
