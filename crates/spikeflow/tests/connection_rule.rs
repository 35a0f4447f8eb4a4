//! Whole-connection rules (`ConnectionRule`): learning options, rule traces,
//! the shared machinery (`WeightChanges`), build-time checks and snapshots;
//! and the build errors for rule parameters and rules that would never run.

mod support;

use spikeflow::learning::{
    ConnectionInfo, ConnectionRule, RuleTraces, TraceSpec, WeightChanges, WholeConnection,
};
use spikeflow::models::diehl_cook_paper::{DiehlCookPaper, PaperStdp, PaperStdpDelayed};
use spikeflow::prelude::*;
use spikeflow::topology::Delayed;
use std::sync::Arc;
use support::{spikes, traced};

const XY: &str = "X -> Y";

/// BindsNET's PostPre as a whole-connection rule: the rates and the batch
/// reduction come from the connection's options, changes go through
/// `WeightChanges` (pre terms of every row, then post terms, as the generic
/// loop orders them).
#[derive(Debug, Default)]
struct WholePostPre;

impl ConnectionRule for WholePostPre {
    fn name(&self) -> &str {
        "WholePostPre"
    }
    fn update(&mut self, c: WholeConnection<'_>) {
        let batch = c.pre.batch();
        let n_w = c.map.n_weights();
        let mut ch = WeightChanges::new(batch, n_w, c.options.reduction.clone());
        let (n_pre, n_post) = (c.map.n_pre(), c.map.n_post());
        let (xs, ys) = (c.pre.trace().unwrap(), c.post.trace().unwrap());
        let (ps, qs) = (c.pre.spikes(), c.post.spikes());
        for b in 0..batch {
            for &i in ps.active(b) {
                let s = ps.row(b)[i as usize];
                c.map.for_each_out(i as usize, |j, k| {
                    let nu_pre = c.options.nu.at(k).0;
                    ch.add(b, k, -(s * (ys[b * n_post + j] * nu_pre)));
                });
            }
        }
        for b in 0..batch {
            let active = qs.active(b);
            if active.is_empty() {
                continue;
            }
            c.map.for_each_into(active, |i, j, k| {
                let nu_post = c.options.nu.at(k).1;
                ch.add(b, k, xs[b * n_pre + i] * (qs.row(b)[j] * nu_post));
            });
        }
        ch.apply(c.w);
    }
}

/// `X` [6] → `Y` [4] (LIF, low threshold), dense random weights.
fn dense_net(batch: usize, c: impl FnOnce(Connect) -> Connect) -> Network {
    let mut b = Network::builder().batch_size(batch).seed(3);
    b.add_population("X", &[6], Input, traced());
    let lif = LifNodes {
        thresh: (-60.0).into(),
        ..Default::default()
    };
    b.add_population("Y", &[4], lif, traced());
    let w: Vec<f32> = (0..24).map(|k| 2.0 + (k % 7) as f32 * 0.5).collect();
    b.connect(c(Connect::new("X", "Y", Dense::with_weights(w))));
    b.build().unwrap()
}

fn run(net: &mut Network, x: &Tensor) -> Vec<f32> {
    let steps = x.shape()[0];
    net.run(&[("X", x)], steps, &RunOptions::default()).unwrap();
    net.weights(XY).unwrap().to_vec()
}

/// Whole-connection PostPre equals the generic PostPre bit for bit: dense
/// batch 1 (the in-place path) with bounds and weight decay, batch 3 with
/// mean, sum and a custom reduction — so `.nu()` and `.reduction()` reach
/// the rule, and `WeightChanges` sums and reduces as the generic loop.
#[test]
fn whole_postpre_equals_generic_postpre() {
    let custom = Reduction::Custom(Arc::new(|v: &[f32]| v.iter().map(|x| 0.5 * x).sum()));
    let cases: Vec<(usize, Reduction, bool)> = vec![
        (1, Reduction::Mean, true),
        (3, Reduction::Mean, false),
        (3, Reduction::Sum, true),
        (3, custom, false),
    ];
    for (batch, red, bounded) in cases {
        let opts = |c: Connect| {
            let c = c.nu((0.02, 0.05)).reduction(red.clone());
            if bounded {
                c.wmin(0.0).wmax(3.5).weight_decay(0.001)
            } else {
                c
            }
        };
        let x = spikes(60, batch, 6, 0.3, 7);
        let mut a = dense_net(batch, |c| opts(c).rule(PostPre));
        let mut b = dense_net(batch, |c| opts(c).connection_rule(WholePostPre));
        let wa = run(&mut a, &x);
        let wb = run(&mut b, &x);
        assert_ne!(
            wa,
            dense_net(batch, |c| c).weights(XY).unwrap(),
            "nothing learned"
        );
        assert_eq!(wa, wb, "batch {batch}, {red:?}, bounded {bounded}");
    }
    // `.nu()` is not ignored: other rates, other weights.
    let x = spikes(60, 1, 6, 0.3, 7);
    let mut b = dense_net(1, |c| c.nu((0.0, 0.05)).connection_rule(WholePostPre));
    let mut a = dense_net(1, |c| c.nu((0.02, 0.05)).connection_rule(WholePostPre));
    assert_ne!(run(&mut a, &x), run(&mut b, &x));
}

/// Shared kernels: a convolution's terms are summed per kernel weight.
#[test]
fn whole_postpre_equals_generic_on_a_convolution() {
    let net = |whole: bool| {
        let mut b = Network::builder().batch_size(2).seed(1);
        b.add_population("X", &[1, 5, 5], Input, traced());
        let lif = LifNodes {
            thresh: (-62.0).into(),
            ..Default::default()
        };
        b.add_population("Y", &[2, 3, 3], lif, traced());
        let w: Vec<f32> = (0..18).map(|k| 1.0 + (k % 5) as f32 * 0.4).collect();
        let c = Connect::new("X", "Y", Conv::new(vec![3, 3]).weights(w)).nu((0.01, 0.03));
        b.connect(if whole {
            c.connection_rule(WholePostPre)
        } else {
            c.rule(PostPre)
        });
        b.build().unwrap()
    };
    let x = spikes(50, 2, 25, 0.3, 11);
    let x = Tensor::new(vec![50, 2, 1, 5, 5], x.into_data()).unwrap();
    let (mut a, mut b) = (net(false), net(true));
    for n in [&mut a, &mut b] {
        n.run(&[("X", &x)], 50, &RunOptions::default()).unwrap();
    }
    assert_eq!(a.weights(XY).unwrap(), b.weights(XY).unwrap());
}

/// The paper's rule as a whole-connection rule with rule traces kept by the
/// network: equal to the generic `PaperStdp` (batch 2, generic path), and
/// the traces survive a snapshot.
#[derive(Debug, Default)]
struct WholePaper;

impl ConnectionRule for WholePaper {
    fn name(&self) -> &str {
        "WholePaper"
    }
    fn rule_traces(&self) -> RuleTraces {
        PaperStdp::default().rule_traces()
    }
    fn update(&mut self, c: WholeConnection<'_>) {
        let batch = c.pre.batch();
        let (n_pre, n_post) = (c.map.n_pre(), c.map.n_post());
        let mut ch = WeightChanges::new(batch, c.map.n_weights(), c.options.reduction.clone());
        let (pt, qt) = (c.pre_traces, c.post_traces);
        let (ps, qs) = (c.pre.spikes(), c.post.spikes());
        for b in 0..batch {
            for &i in ps.active(b) {
                c.map.for_each_out(i as usize, |j, k| {
                    let nu_pre = c.options.nu.at(k).0;
                    ch.add(b, k, -nu_pre * qt[(b * n_post + j) * 2]);
                });
            }
        }
        for b in 0..batch {
            let active = qs.active(b);
            c.map.for_each_into(active, |i, j, k| {
                let nu_post = c.options.nu.at(k).1;
                let pre = if ps.row(b)[i] != 0.0 {
                    1.0
                } else {
                    pt[b * n_pre + i]
                };
                ch.add(b, k, nu_post * pre * qt[(b * n_post + j) * 2 + 1]);
            });
        }
        ch.apply(c.w);
    }
}

#[test]
fn rule_traces_of_a_whole_connection_rule() {
    let x = spikes(80, 2, 6, 0.3, 5);
    let opts = |c: Connect| c.nu((0.01, 0.05)).wmin(0.0).wmax(4.0);
    let mut a = dense_net(2, |c| opts(c).rule(PaperStdp::default()));
    let mut b = dense_net(2, |c| opts(c).connection_rule(WholePaper));
    let wa = run(&mut a, &x);
    assert_eq!(wa, run(&mut b, &x));
    assert_eq!(
        a.connection_state(XY, "post_trace").unwrap(),
        b.connection_state(XY, "post_trace").unwrap()
    );
    // Snapshot mid-run, restore into a fresh network, continue: same bits.
    let first = Tensor::new(vec![40, 2, 6], x.data()[..40 * 12].to_vec()).unwrap();
    let second = Tensor::new(vec![40, 2, 6], x.data()[40 * 12..].to_vec()).unwrap();
    let mut c = dense_net(2, |c| opts(c).connection_rule(WholePaper));
    run(&mut c, &first);
    let snap = c.snapshot();
    assert!(snap
        .arrays
        .iter()
        .any(|(k, _)| k == "conn/X -> Y/rule/post_trace"));
    let mut d = dense_net(2, |c| opts(c).connection_rule(WholePaper));
    d.restore(&snap).unwrap();
    assert_eq!(run(&mut d, &second), wa);
}

/// A rule that refuses convolutions and records what it was told.
#[derive(Debug)]
struct Picky;

impl ConnectionRule for Picky {
    fn name(&self) -> &str {
        "Picky"
    }
    fn validate(&self, c: &ConnectionInfo<'_>) -> Result<(), String> {
        assert_eq!((c.name, c.source, c.target), (XY, "X", "Y"));
        if !matches!(c.map, spikeflow::topology::SynapseMap::Dense { .. }) {
            return Err(format!(
                "only dense, got {} (batch {})",
                c.topology, c.batch
            ));
        }
        Ok(())
    }
    fn update(&mut self, _c: WholeConnection<'_>) {}
}

#[test]
fn connection_rule_validates_at_build() {
    let mut b = Network::builder().batch_size(2);
    b.add_population("X", &[1, 3, 3], Input, NodeOptions::default());
    b.add_population("Y", &[1, 2, 2], LifNodes::default(), NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", Conv::new(vec![2, 2]).weights(vec![1.0; 4])).connection_rule(Picky),
    );
    let e = b.build().unwrap_err().to_string();
    assert!(
        e.contains("X -> Y") && e.contains("Picky") && e.contains("batch 2"),
        "{e}"
    );
    dense_net(1, |c| c.connection_rule(Picky));
}

/// `X` [3] → `Y` [2] through `Delayed`, with the arrival-time rule.
fn delayed_net(batch: usize, nu: Option<f32>) -> spikeflow::Result<Network> {
    let mut b = Network::builder().batch_size(batch);
    b.add_population("X", &[3], Input, NodeOptions::default());
    b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
    let d = vec![0, 1, 2, 3, 4, 5];
    let rule = PaperStdpDelayed::new(PaperStdp::default(), (1e-4, 1e-2), 0.0, 1.0, d.clone());
    let mut c = Connect::new("X", "Y", Delayed::new(vec![0.5; 6], d)).connection_rule(rule);
    if let Some(nu) = nu {
        c = c.nu(nu);
    }
    b.connect(c);
    b.build()
}

#[test]
fn delayed_paper_rule_refuses_batches_and_foreign_rates() {
    let e = delayed_net(4, None).unwrap_err().to_string();
    assert!(
        e.contains("X -> Y") && e.contains("batch size 4") && e.contains("DiehlCookPaperSTDP"),
        "{e}"
    );
    let e = delayed_net(1, Some(0.5)).unwrap_err().to_string();
    assert!(e.contains("nu") && e.contains("ignored"), "{e}");
    delayed_net(1, None).unwrap();
    delayed_net(1, Some(1e-4)).unwrap_err();
    let mut b = Network::builder();
    b.add_population("X", &[3], Input, NodeOptions::default());
    b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
    let rule = PaperStdpDelayed::new(PaperStdp::default(), (1e-4, 1e-2), 0.0, 1.0, vec![1; 5]);
    b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.5; 6])).connection_rule(rule));
    let e = b.build().unwrap_err().to_string();
    assert!(e.contains("5 delays for 6 weights"), "{e}");
}

/// The paper's network with arrival-time STDP: a snapshot taken mid-run and
/// restored into a freshly built network continues bit for bit (the rule's
/// spike history and pending depressions are part of the snapshot).
#[test]
fn delayed_paper_rule_state_survives_a_snapshot() {
    for arrival in [false, true] {
        snapshot_case(arrival);
    }
}

fn snapshot_case(arrival: bool) {
    let cfg = DiehlCookPaper {
        arrival_time_stdp: arrival,
        n_neurons: 6,
        n_inputs: 40,
        ..Default::default()
    };
    let x = spikes(300, 1, 40, 0.15, 9);
    let part = |a: usize, b: usize| {
        Tensor::new(vec![b - a, 1, 40], x.data()[a * 40..b * 40].to_vec()).unwrap()
    };
    let go = |net: &mut Network, x: &Tensor| {
        let steps = x.shape()[0];
        net.run(&[("X", x)], steps, &RunOptions::default()).unwrap();
        net.weights("X -> Ae").unwrap().to_vec()
    };
    let mut a = cfg.network().unwrap();
    let w0 = a.weights("X -> Ae").unwrap().to_vec();
    go(&mut a, &part(0, 150));
    let snap = a.snapshot();
    let want = go(&mut a, &part(150, 300));
    assert_ne!(want, w0, "nothing learned");
    let mut b = cfg.network().unwrap();
    b.restore(&snap).unwrap();
    assert_eq!(go(&mut b, &part(150, 300)), want, "arrival {arrival}");
}

/// A per-synapse rule with a bad trace time constant.
#[derive(Debug, Clone)]
struct BadTrace(f32);

impl SynapseRule for BadTrace {
    fn name(&self) -> &'static str {
        "BadTrace"
    }
    fn phases(&self, _nu: &Nu) -> spikeflow::learning::Phases {
        spikeflow::learning::Phases {
            pre: true,
            post: false,
            every_step: false,
            eligibility: false,
        }
    }
    fn rule_traces(&self) -> RuleTraces {
        RuleTraces {
            pre: vec![],
            post: vec![TraceSpec {
                tau_ms: self.0,
                amplitude: 1.0,
                additive: true,
            }],
        }
    }
}

#[test]
fn rule_trace_time_constants_are_checked() {
    for tau in [0.0, -5.0, f32::NAN, f32::INFINITY] {
        let mut b = Network::builder();
        b.add_population("X", &[2], Input, NodeOptions::default());
        b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
        b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.5; 4])).rule(BadTrace(tau)));
        let e = b.build().unwrap_err().to_string();
        assert!(
            e.contains("X -> Y") && e.contains("BadTrace") && e.contains("post[0] tau_ms"),
            "{e}"
        );
    }
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.add_population("Y", &[2], LifNodes::default(), NodeOptions::default());
    b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.5; 4])).rule(BadTrace(5.0)));
    b.build().unwrap();
}

fn try_rule(c: impl FnOnce(Connect) -> Connect) -> spikeflow::Result<Network> {
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, traced());
    b.add_population("Y", &[2], Srm0Nodes::default(), traced());
    b.connect(c(Connect::new("X", "Y", Dense::with_weights(vec![0.5; 4]))));
    b.build()
}

#[test]
fn rules_whose_rates_switch_everything_off_are_refused() {
    let e = try_rule(|c| c.rule(PostPre)).unwrap_err().to_string();
    assert!(
        e.contains("X -> Y") && e.contains("PostPre") && e.contains("never change a weight"),
        "{e}"
    );
    try_rule(|c| c.rule(PostPre).nu(0.0)).unwrap_err();
    // MSTDP's terms use the first rate only.
    let e = try_rule(|c| c.rule(Mstdp::default()).nu((0.0, 1.0))).unwrap_err();
    assert!(e.to_string().contains("(0, 1)"), "{e}");
    let per = Nu::PerSynapse(Arc::new(vec![0.0; 4]), Arc::new(vec![0.0; 4]));
    try_rule(|c| c.rule(Hebbian).nu(per)).unwrap_err();
    // One active term is enough; rules that run whatever the rates
    // (eligibility) and whole-connection rules are not refused.
    try_rule(|c| c.rule(PostPre).nu((0.0, 0.1))).unwrap();
    try_rule(|c| c.rule(MstdpEt::default())).unwrap();
    let mut b = Network::builder();
    let additive = NodeOptions {
        traces: true,
        traces_additive: true,
        ..Default::default()
    };
    b.add_population("X", &[2], Input, additive);
    b.add_population("Y", &[2], Srm0Nodes::default(), traced());
    b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.5; 4])).rule(Rmax::default()));
    b.build().unwrap();
    try_rule(|c| c.connection_rule(WholePostPre)).unwrap();
    // Learning switched off for the network does not change the check.
    let mut b = Network::builder().learning(false);
    b.add_population("X", &[2], Input, traced());
    b.add_population("Y", &[2], LifNodes::default(), traced());
    b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.5; 4])).rule(PostPre));
    assert!(b.build().is_err());
}
