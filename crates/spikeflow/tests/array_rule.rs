//! Phase-vectorised rules (`ArrayRule`): PostPre written over arrays gives
//! the built-in `PostPre`'s weights bit for bit (dense batch 1 — the
//! built-in takes its in-place path —, batch 3 with every reduction, a
//! convolution with shared kernels, a sparse connection), each phase sees
//! exactly the synapses it should, and a failing rule stops the run with
//! `Error::Rule` after the step in which it failed. A rule whose post terms
//! do not read the weights has them logged and added row by row on a dense
//! connection: the same bits as added at once.

mod support;

use spikeflow::learning::{ArrayRule, Nu, Phase, Phases, Requirements, SynapseBatch, Terms};
use spikeflow::prelude::*;
use spikeflow::topology::Sparse;
use spikeflow::Error;
use std::sync::{Arc, Mutex};
use support::{spikes, traced};

const XY: &str = "X -> Y";

/// PostPre over arrays, written as a NumPy user would: gather, multiply.
#[derive(Debug, Default)]
struct ArrayPostPre;

/// The same rule, saying that its post terms do not read the weights (a
/// dense connection logs them, `TermLog`, and adds them row by row) and that
/// it writes every term (its buffers are reused without zeroing). With
/// `factored`, a block phase returns one term per column (pre: `−nu_pre ·
/// x_post`, where every block row's spike is 1) or per row (post: `x_pre ·
/// nu_post`), as the Python package hands NumPy's broadcast results over.
#[derive(Debug, Default)]
struct LoggedPostPre {
    rule: ArrayPostPre,
    factored: bool,
}

impl LoggedPostPre {
    fn factored() -> Self {
        LoggedPostPre {
            factored: true,
            ..Default::default()
        }
    }
}

impl ArrayRule for LoggedPostPre {
    fn name(&self) -> &str {
        "LoggedPostPre"
    }
    fn requirements(&self) -> Requirements {
        self.rule.requirements()
    }
    fn reads_weights(&self, phase: Phase) -> bool {
        phase != Phase::Post
    }
    fn fills_terms(&self) -> bool {
        true
    }
    fn on_pre(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        if let (true, Some(bk), Nu::Pair(nu, _), Some(x)) =
            (self.factored, syn.block(), syn.nu, syn.post_x)
        {
            let rows = bk.rows.unwrap();
            if rows.iter().all(|&i| syn.pre_s[i as usize] == 1.0) {
                let t = terms.per_column().unwrap();
                for (t, x) in t.iter_mut().zip(x) {
                    *t = -(1.0 * (x * nu));
                }
                return Ok(());
            }
        }
        self.rule.on_pre(syn, terms)
    }
    fn on_post(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        if let (true, Some(_), Nu::Pair(_, nu), Some(x)) =
            (self.factored, syn.block(), syn.nu, syn.pre_x)
        {
            let t = terms.per_row().unwrap();
            for (t, x) in t.iter_mut().zip(x) {
                *t = x * (1.0 * nu);
            }
            return Ok(());
        }
        self.rule.on_post(syn, terms)
    }
}

impl ArrayRule for ArrayPostPre {
    fn name(&self) -> &str {
        "ArrayPostPre"
    }
    fn requirements(&self) -> Requirements {
        Requirements {
            pre_traces: true,
            post_traces: true,
            ..Default::default()
        }
    }
    fn on_pre(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        let dw = terms.per_synapse();
        let s = syn.gather_pre(Some(syn.pre_s));
        let x = syn.gather_post(syn.post_x);
        let nu = syn.gather_nu_pre();
        for (d, ((s, x), nu)) in dw.iter_mut().zip(s.iter().zip(&x).zip(&nu)) {
            *d = -(s * (x * nu));
        }
        Ok(())
    }
    fn on_post(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        let dw = terms.per_synapse();
        let x = syn.gather_pre(syn.pre_x);
        let s = syn.gather_post(Some(syn.post_s));
        let nu = syn.gather_nu_post();
        for (d, ((x, s), nu)) in dw.iter_mut().zip(x.iter().zip(&s).zip(&nu)) {
            *d = x * (s * nu);
        }
        Ok(())
    }
}

/// `X` [6] → `Y` [4] (LIF, low threshold), dense weights.
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

#[test]
fn array_postpre_equals_builtin_postpre_dense() {
    let custom = Reduction::Custom(Arc::new(|v: &[f32]| v.iter().map(|x| 0.5 * x).sum()));
    // bounds: 0 none, 1 bounds and weight decay, 2 bounds only, 3 per-synapse bounds
    let cases: Vec<(usize, Reduction, u8)> = vec![
        (1, Reduction::Mean, 0),
        (1, Reduction::Mean, 1),
        (1, Reduction::Sum, 2),
        (1, Reduction::Mean, 3),
        (3, Reduction::Mean, 0),
        (3, Reduction::Sum, 1),
        (3, Reduction::Mean, 2),
        (3, custom.clone(), 0),
        (1, custom, 2),
    ];
    for (batch, red, bounded) in cases {
        let opts = |c: Connect| {
            let c = c.nu((0.02, 0.05)).reduction(red.clone());
            match bounded {
                1 => c.wmin(0.0).wmax(3.5).weight_decay(0.001),
                2 => c.wmin(2.2).wmax(3.5),
                3 => c
                    .wmin(Bound::PerSynapse(
                        (0..24).map(|k| 2.0 + 0.01 * k as f32).collect(),
                    ))
                    .wmax(Bound::PerSynapse(
                        (0..24).map(|k| 3.0 + 0.05 * k as f32).collect(),
                    )),
                _ => c,
            }
        };
        let x = spikes(80, batch, 6, 0.3, 7);
        let wa = run(&mut dense_net(batch, |c| opts(c).rule(PostPre)), &x);
        let wb = run(
            &mut dense_net(batch, |c| opts(c).array_rule(ArrayPostPre)),
            &x,
        );
        let wc = run(
            &mut dense_net(batch, |c| opts(c).array_rule(LoggedPostPre::default())),
            &x,
        );
        assert_ne!(
            wa,
            dense_net(batch, |c| c).weights(XY).unwrap(),
            "nothing learned"
        );
        let wd = run(
            &mut dense_net(batch, |c| opts(c).array_rule(LoggedPostPre::factored())),
            &x,
        );
        assert_eq!(wa, wb, "batch {batch}, {red:?}, bounded {bounded}");
        assert_eq!(wa, wc, "logged: batch {batch}, {red:?}, bounded {bounded}");
        assert_eq!(
            wa, wd,
            "factored: batch {batch}, {red:?}, bounded {bounded}"
        );
    }
}

/// `X` [60] → `Y` [40] with PostPre's array form, logged or not: long
/// stretches between a source's spikes (rows wait for many logged steps),
/// targets spiking often, bounds, runs split in two, a weight monitor.
#[test]
fn logged_post_terms_equal_eager_ones() {
    // 0: eager, per synapse; 1: logged, per synapse; 2: logged, factored.
    let net = |form: u8, bounds: bool, watch: bool| {
        let mut b = Network::builder().seed(9);
        b.add_population("X", &[60], Input, traced());
        let lif = LifNodes {
            thresh: (-63.0).into(),
            ..Default::default()
        };
        b.add_population("Y", &[40], lif, traced());
        let w: Vec<f32> = (0..2400).map(|k| 0.2 + (k % 13) as f32 * 0.05).collect();
        let mut c = Connect::new("X", "Y", Dense::with_weights(w)).nu((0.004, 0.01));
        if bounds {
            c = c.wmin(0.1).wmax(0.8);
        }
        b.connect(match form {
            0 => c.array_rule(ArrayPostPre),
            1 => c.array_rule(LoggedPostPre::default()),
            _ => c.array_rule(LoggedPostPre::factored()),
        });
        let mut n = b.build().unwrap();
        if watch {
            n.add_monitor("w", MonitorSpec::new(XY, &["w"])).unwrap();
        }
        n.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
        n
    };
    let x = spikes(400, 1, 60, 0.04, 21);
    let (first, second) = x.data().split_at(250 * 60);
    let first = Tensor::new(vec![250, 1, 60], first.to_vec()).unwrap();
    let second = Tensor::new(vec![150, 1, 60], second.to_vec()).unwrap();
    for (bounds, watch) in [(false, false), (true, false), (true, true)] {
        let runs = |form: u8| {
            let mut n = net(form, bounds, watch);
            let mut y = Vec::new();
            for x in [&first, &second] {
                n.run(&[("X", x)], x.shape()[0], &RunOptions::default())
                    .unwrap();
                y.extend_from_slice(n.weights(XY).unwrap());
            }
            y.extend_from_slice(n.monitor("y").unwrap().get("s").unwrap().data());
            y
        };
        let (eager, logged, factored) = (runs(0), runs(1), runs(2));
        let s = &eager[2 * 2400..];
        let fired = s.iter().filter(|&&s| s != 0.0).count();
        assert!(fired > s.len() / 10, "Y should fire often: {fired}");
        assert_eq!(eager, logged, "bounds {bounds}, weight monitor {watch}");
        assert_eq!(
            eager, factored,
            "factored: bounds {bounds}, weight monitor {watch}"
        );
    }
}

#[test]
fn array_postpre_equals_builtin_postpre_conv_and_sparse() {
    let conv = |array: bool| {
        let mut b = Network::builder().batch_size(2).seed(1);
        b.add_population("X", &[1, 5, 5], Input, traced());
        let lif = LifNodes {
            thresh: (-62.0).into(),
            ..Default::default()
        };
        b.add_population("Y", &[2, 3, 3], lif, traced());
        let w: Vec<f32> = (0..18).map(|k| 1.0 + (k % 5) as f32 * 0.4).collect();
        let c = Connect::new("X", "Y", Conv::new(vec![3, 3]).weights(w)).nu((0.01, 0.03));
        b.connect(if array {
            c.array_rule(ArrayPostPre)
        } else {
            c.rule(PostPre)
        });
        b.build().unwrap()
    };
    let x = spikes(50, 2, 25, 0.3, 11);
    let x = Tensor::new(vec![50, 2, 1, 5, 5], x.into_data()).unwrap();
    let (mut a, mut b) = (conv(false), conv(true));
    for n in [&mut a, &mut b] {
        n.run(&[("X", &x)], 50, &RunOptions::default()).unwrap();
    }
    assert_eq!(a.weights(XY).unwrap(), b.weights(XY).unwrap());

    let sparse = |array: bool| {
        let w: Vec<f32> = (0..24)
            .map(|k| {
                if k % 3 == 0 {
                    0.0
                } else {
                    2.0 + (k % 7) as f32 * 0.5
                }
            })
            .collect();
        dense_net(1, |_| {
            let c = Connect::new("X", "Y", Sparse::FromDense(w)).nu((0.02, 0.05));
            if array {
                c.array_rule(ArrayPostPre)
            } else {
                c.rule(PostPre)
            }
        })
    };
    let x = spikes(60, 1, 6, 0.3, 5);
    assert_eq!(run(&mut sparse(false), &x), run(&mut sparse(true), &x));
}

/// One phase call: the phase, each synapse's (row, pre, post, weight), its `w`.
type Seen = (Phase, Vec<(u32, u32, u32, u32)>, Vec<f32>);

/// Records what each phase saw.
#[derive(Debug, Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
    every: bool,
}

impl Recorder {
    fn log(&self, syn: &SynapseBatch<'_>) {
        let (r, i, j, k) = (syn.rows(), syn.pres(), syn.posts(), syn.weights());
        let idx = (0..syn.len()).map(|n| (r[n], i[n], j[n], k[n])).collect();
        self.seen
            .lock()
            .unwrap()
            .push((syn.phase, idx, syn.gather_w()));
    }
}

impl ArrayRule for Recorder {
    fn name(&self) -> &str {
        "Recorder"
    }
    fn phases(&self, _nu: &Nu) -> Phases {
        Phases {
            pre: true,
            post: true,
            every_step: self.every,
            eligibility: false,
        }
    }
    fn on_pre(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        self.log(syn);
        terms.per_synapse().fill(-1.0);
        Ok(())
    }
    fn on_post(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        self.log(syn);
        terms.per_synapse().fill(10.0);
        Ok(())
    }
    fn every_step(&mut self, syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        self.log(syn);
        terms.per_synapse().fill(100.0);
        Ok(())
    }
}

/// Hand-computed: `X` [2] → `Y` [2]; X0 spikes at step 0, Y1 is forced to
/// spike at step 1 (its threshold is out of reach). Step 0's pre phase
/// sees (0,0,k0) and (0,1,k1) and subtracts 1 from each; step 1's post
/// phase sees (0,1,k1) and (1,1,k3) and adds 10; the every-step phase
/// sees all four synapses twice. Terms are summed per weight and see the
/// weights before their step.
#[test]
fn phases_see_the_synapses_they_should() {
    let rec = Recorder {
        every: true,
        ..Default::default()
    };
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    let lif = LifNodes {
        thresh: 1000.0.into(),
        ..Default::default()
    };
    b.add_population("Y", &[2], lif, NodeOptions::default());
    let w0 = vec![1.0, 2.0, 3.0, 4.0];
    b.connect(Connect::new("X", "Y", Dense::with_weights(w0.clone())).array_rule(rec.clone()));
    let mut net = b.build().unwrap();
    let x = Tensor::new(vec![2, 1, 2], vec![1.0, 0.0, 0.0, 0.0]).unwrap();
    let opts = RunOptions {
        clamp: vec![("Y".into(), Mask::PerStep(vec![vec![], vec![1]]))],
        ..Default::default()
    };
    net.run(&[("X", &x)], 2, &opts).unwrap();
    let seen = rec.seen.lock().unwrap().clone();
    let all = vec![(0, 0, 0, 0), (0, 0, 1, 1), (0, 1, 0, 2), (0, 1, 1, 3)];
    assert_eq!(
        seen,
        vec![
            (Phase::Pre, vec![(0, 0, 0, 0), (0, 0, 1, 1)], vec![1.0, 2.0]),
            (Phase::EveryStep, all.clone(), w0.clone()),
            (
                Phase::Post,
                vec![(0, 0, 1, 1), (0, 1, 1, 3)],
                vec![101.0, 104.0]
            ),
            (Phase::EveryStep, all, vec![100.0, 101.0, 103.0, 104.0]),
        ]
    );
    assert_eq!(net.weights(XY).unwrap(), &[200.0, 211.0, 203.0, 214.0][..]);
}

/// Fails at its `fail_at`-th call.
#[derive(Debug)]
struct Failing {
    calls: usize,
    fail_at: usize,
}

impl ArrayRule for Failing {
    fn name(&self) -> &str {
        "Failing"
    }
    fn phases(&self, _nu: &Nu) -> Phases {
        Phases {
            pre: false,
            post: false,
            every_step: true,
            eligibility: false,
        }
    }
    fn every_step(&mut self, _syn: &SynapseBatch<'_>, terms: &mut Terms) -> Result<(), String> {
        self.calls += 1;
        if self.calls == self.fail_at {
            return Err("boom".into());
        }
        terms.per_synapse().fill(1.0);
        Ok(())
    }
}

/// A failing rule stops the run after its step with `Error::Rule`; that
/// step's update is not applied, the monitors recorded it, and the network
/// runs again afterwards.
#[test]
fn a_failing_rule_stops_the_run() {
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(vec![0.0, 0.0])).array_rule(Failing {
            calls: 0,
            fail_at: 3,
        }),
    );
    let mut net = b.build().unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["v"])).unwrap();
    let x = Tensor::new(vec![10, 1, 2], vec![0.0; 20]).unwrap();
    let e = net
        .run(&[("X", &x)], 10, &RunOptions::default())
        .unwrap_err();
    match &e {
        Error::Rule {
            connection,
            rule,
            message,
        } => {
            assert_eq!((connection.as_str(), rule.as_str()), (XY, "Failing"));
            assert_eq!(message, "boom");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Steps 0 and 1 applied (+1 each), step 2 failed (not applied).
    assert_eq!(net.weights(XY).unwrap(), &[2.0, 2.0][..]);
    assert_eq!(net.monitor("y").unwrap().get("v").unwrap().shape()[0], 3);
    net.run(&[("X", &x)], 10, &RunOptions::default()).unwrap();
    assert_eq!(net.weights(XY).unwrap(), &[12.0, 12.0][..]);
}

/// Requirements are checked at build, and a rule whose rates switch off
/// every phase is refused, as for a `SynapseRule`.
#[test]
fn build_checks_requirements_and_rates() {
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, NodeOptions::default());
    b.add_population("Y", &[1], LifNodes::default(), NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(vec![0.0, 0.0]))
            .array_rule(ArrayPostPre)
            .nu(0.1),
    );
    let e = b.build().unwrap_err().to_string();
    assert!(e.contains("ArrayPostPre") && e.contains("trace"), "{e}");
    let mut b = Network::builder();
    b.add_population("X", &[2], Input, traced());
    b.add_population("Y", &[1], LifNodes::default(), traced());
    b.connect(Connect::new("X", "Y", Dense::with_weights(vec![0.0, 0.0])).array_rule(ArrayPostPre));
    let e = b.build().unwrap_err().to_string();
    assert!(e.contains("switches off every term"), "{e}");
}
