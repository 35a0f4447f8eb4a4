//! Mean-field connections: forward is the row's mean activity times the
//! target's weight; a rule learns on the shared weights; `norm` is refused.

use spikeflow::prelude::*;
use spikeflow::topology::MeanField;

fn net(mf: MeanField, norm: bool) -> spikeflow::Result<Network> {
    let traced = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().batch_size(2);
    b.add_population("X", &[4], Input, traced.clone());
    b.add_population(
        "Y",
        &[3],
        McCullochPitts {
            thresh: 100.0.into(),
        },
        traced,
    );
    let mut c = Connect::new("X", "Y", mf);
    if norm {
        c = c.norm(1.0);
    }
    b.connect(c);
    b.build()
}

#[test]
fn forward_is_mean_activity_per_row() {
    let mut n = net(MeanField::PerTarget(vec![1.0, 2.0, 4.0]), false).unwrap();
    n.add_monitor("v", MonitorSpec::new("Y", &["v"])).unwrap();
    // Step 0: row 0 has 2 of 4 inputs on, row 1 has 1; seen by Y at step 1.
    let x = Tensor::new(
        vec![2, 2, 4],
        vec![
            1., 1., 0., 0., 0., 0., 0., 1., 0., 0., 0., 0., 0., 0., 0., 0.,
        ],
    )
    .unwrap();
    n.run(&[("X", &x)], 2, &RunOptions::default()).unwrap();
    let v = n.monitor("v").unwrap().get("v").unwrap();
    assert_eq!(&v.data()[6..12], &[0.5, 1.0, 2.0, 0.25, 0.5, 1.0]);
}

#[test]
fn hebbian_learns_on_the_shared_weight() {
    let traced = NodeOptions {
        traces: true,
        ..Default::default()
    };
    let mut b = Network::builder().batch_size(2);
    b.add_population("X", &[4], Input, traced.clone());
    b.add_population("Y", &[3], McCullochPitts { thresh: 0.2.into() }, traced);
    b.connect(
        Connect::new("X", "Y", MeanField::Scalar(1.0))
            .rule(Hebbian)
            .nu((0.0, 0.1))
            .reduction(Reduction::Sum),
    );
    let mut n = b.build().unwrap();
    // Input 0 of row 0 spikes at step 0; at step 1 every Y of row 0 sees
    // 1/4 ≥ 0.2 and spikes: each of the 3·4 pairs adds 0.1·x_pre·s_post,
    // with x_pre = e^{−1/20} for input 0 and 0 for the others.
    let x = Tensor::new(
        vec![2, 2, 4],
        vec![
            1., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.,
        ],
    )
    .unwrap();
    n.run(&[("X", &x)], 2, &RunOptions::default()).unwrap();
    let expected = 1.0 + 3.0 * 0.1 * (-1.0f32 / 20.0).exp();
    let w = n.weights("X -> Y").unwrap();
    assert_eq!(w.len(), 1);
    assert!((w[0] - expected).abs() < 1e-6, "{} vs {expected}", w[0]);
}

#[test]
fn norm_is_refused() {
    let e = net(MeanField::Scalar(1.0), true).unwrap_err().to_string();
    assert!(e.contains("X -> Y") && e.contains("normalise"), "{e}");
}

/// BindsNET's computation: the mean over the batch rows and the sources
/// together, the same input for every row.
#[test]
fn over_batch_mean_gives_every_row_the_same_input() {
    let mut b = Network::builder().batch_size(2);
    b.add_population("X", &[4], Input, NodeOptions::default());
    b.add_population(
        "Y",
        &[3],
        McCullochPitts {
            thresh: 100.0.into(),
        },
        NodeOptions::default(),
    );
    let mf = MeanField::PerTarget(vec![1.0, 2.0, 4.0]);
    b.connect(Connect::new(
        "X",
        "Y",
        spikeflow::topology::MeanFieldOverBatch(mf),
    ));
    let mut n = b.build().unwrap();
    n.add_monitor("v", MonitorSpec::new("Y", &["v"])).unwrap();
    // Step 0: 2 + 1 of 2·4 inputs on: mean 3/8 for both rows.
    let x = Tensor::new(
        vec![2, 2, 4],
        vec![
            1., 1., 0., 0., 0., 0., 0., 1., 0., 0., 0., 0., 0., 0., 0., 0.,
        ],
    )
    .unwrap();
    n.run(&[("X", &x)], 2, &RunOptions::default()).unwrap();
    let v = n.monitor("v").unwrap().get("v").unwrap();
    assert_eq!(&v.data()[6..12], &[0.375, 0.75, 1.5, 0.375, 0.75, 1.5]);
}
