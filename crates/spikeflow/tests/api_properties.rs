//! Property tests of the public API (issue #17): seeded random networks —
//! shapes, batch sizes, step counts, neuron and rule parameters drawn from
//! ordinary values and from 0, negative, NaN, ±∞, subnormal and huge ones —
//! and random calls, good and bad.
//!
//! Properties: building, running and every bad call return a result or a
//! named error, never a panic; a bad call (wrong shape, non-finite input,
//! unknown name, bad option) is an error, leaves the network's snapshot
//! unchanged bit for bit, and the network then runs exactly as an identical
//! network that never saw the bad call.
//!
//! `PROP_CASES` sets the number of cases (default 1000, about a second in a
//! debug build); `PROP_SEED` the seed; `PROP_DEBUG` prints why each refused
//! network was refused.

mod fuzz_support;
mod support;

use fuzz_support::Gen;
use spikeflow::learning::Reduction;
use spikeflow::prelude::*;
use spikeflow::Snapshot;
use support::{no_panic, with_rule_family, RMAX, RULE_FAMILIES};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Special values first, then ordinary ones.
const SPECIAL: [f32; 10] = [
    0.0,
    -1.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    1e-45,
    -1e-45,
    1e30,
    -1e30,
    f32::MAX,
];

/// A value near `ordinary` most of the time, a special one otherwise.
fn value(g: &mut Gen, ordinary: f32) -> f32 {
    if g.below(12) == 0 {
        SPECIAL[g.below(SPECIAL.len())]
    } else {
        ordinary * (0.5 + g.below(100) as f32 / 100.0)
    }
}

/// Everything needed to build the same network twice.
#[derive(Debug, Clone)]
struct Spec {
    seed: u64,
    n_in: usize,
    n: usize,
    batch: usize,
    dt: f32,
    learning: bool,
    adaptive: bool,
    thresh: f32,
    rest: f32,
    reset: f32,
    refrac: f32,
    tc_decay: f32,
    sparse: bool,
    w: Vec<f32>,
    rule: usize,
    nu: (f32, f32),
    wmin: f32,
    wmax: f32,
    decay: f32,
    norm: Option<f32>,
    sum_reduction: bool,
}

fn spec(g: &mut Gen, seed: u64) -> Spec {
    let n_in = [0, 1, 2, 5, 17, 17, 40][g.below(7)];
    let n = [0, 1, 3, 8, 8, 20][g.below(6)];
    let mut w: Vec<f32> = (0..n_in * n)
        .map(|_| g.below(400) as f32 / 100.0 - 1.0)
        .collect();
    if !w.is_empty() && g.below(6) == 0 {
        let k = g.below(w.len());
        w[k] = SPECIAL[g.below(SPECIAL.len())];
    }
    Spec {
        seed,
        n_in,
        n,
        batch: [0, 1, 1, 2, 3, 5][g.below(6)],
        dt: if g.below(4) == 0 { value(g, 1.0) } else { 1.0 },
        learning: g.below(2) == 0,
        adaptive: g.below(2) == 0,
        thresh: value(g, -52.0),
        rest: value(g, -65.0),
        reset: value(g, -65.0),
        refrac: value(g, 5.0),
        tc_decay: value(g, 100.0),
        sparse: g.below(3) == 0,
        w,
        rule: g.below(RULE_FAMILIES + 1), // the last: no rule
        nu: (value(g, 0.01), value(g, 0.01)),
        wmin: if g.below(2) == 0 {
            value(g, -1.0)
        } else {
            f32::NEG_INFINITY
        },
        wmax: if g.below(2) == 0 {
            value(g, 1.0)
        } else {
            f32::INFINITY
        },
        decay: if g.below(4) == 0 { value(g, 0.01) } else { 0.0 },
        norm: (g.below(4) == 0).then(|| value(g, 5.0)),
        sum_reduction: g.below(2) == 0,
    }
}

fn build(s: &Spec) -> spikeflow::Result<Network> {
    let opts = NodeOptions {
        traces: true,
        traces_additive: s.rule == RMAX,
        ..Default::default()
    };
    let lif = LifNodes {
        thresh: s.thresh.into(),
        rest: s.rest.into(),
        reset: s.reset.into(),
        refrac: s.refrac.into(),
        tc_decay: s.tc_decay.into(),
        ..Default::default()
    };
    let mut b = Network::builder()
        .seed(s.seed)
        .batch_size(s.batch)
        .dt(s.dt)
        .learning(s.learning);
    b.add_population("X", &[s.n_in], Input, opts.clone());
    if s.rule == RMAX {
        b.add_population("Y", &[s.n], Srm0Nodes::default(), opts);
    } else if s.adaptive {
        let a = AdaptiveLifNodes {
            lif,
            ..Default::default()
        };
        b.add_population("Y", &[s.n], a, opts);
    } else {
        b.add_population("Y", &[s.n], lif, opts);
    }
    let c = if s.sparse {
        let t = (0..s.w.len())
            .filter(|k| k % 3 != 0)
            .map(|k| ((k / s.n.max(1)) as u32, (k % s.n.max(1)) as u32, s.w[k]))
            .collect();
        Connect::new("X", "Y", Sparse::Triplets(t))
    } else {
        Connect::new("X", "Y", Dense::with_weights(s.w.clone()))
    };
    let mut c = c
        .wmin(s.wmin)
        .wmax(s.wmax)
        .weight_decay(s.decay)
        .reduction(if s.sum_reduction {
            Reduction::Sum
        } else {
            Reduction::Mean
        });
    if let Some(norm) = s.norm {
        c = c.norm(norm);
    }
    let nu = s.nu;
    c = with_rule_family(c, s.rule, nu);
    b.connect(c);
    b.build()
}

/// 0/1 input `[steps, batch, n_in]`.
fn input(g: &mut Gen, s: &Spec, steps: usize) -> Tensor {
    let d = (0..steps * s.batch * s.n_in)
        .map(|_| f32::from(g.below(4) == 0))
        .collect();
    Tensor::new(vec![steps, s.batch, s.n_in], d).unwrap()
}

/// Snapshots compared as bits (NaN equals NaN).
fn bits(s: &Snapshot) -> (Vec<(String, Vec<u32>)>, [u64; 4]) {
    let a = s
        .arrays
        .iter()
        .map(|(n, v)| (n.clone(), v.iter().map(|x| x.to_bits()).collect()))
        .collect();
    (a, s.rng)
}

/// A call that must fail: its name and the call.
type BadCall = (
    &'static str,
    Box<dyn Fn(&mut Network) -> spikeflow::Result<()>>,
);

/// Bad calls for a network of spec `s` and a good input `x` of `steps`.
fn bad_calls(s: &Spec, x: &Tensor, steps: usize) -> Vec<BadCall> {
    let (b, n_in, n) = (s.batch, s.n_in, s.n);
    let x = x.clone();
    let mut calls: Vec<BadCall> = Vec::new();
    let x1 = x.clone();
    calls.push((
        "unknown population",
        Box::new(move |net| net.run(&[("Z", &x1)], steps, &good_options(n))),
    ));
    let wrong = Tensor::new(vec![steps, b, n_in + 1], vec![0.0; steps * b * (n_in + 1)]).unwrap();
    calls.push((
        "input of the wrong width",
        Box::new(move |net| net.run(&[("X", &wrong)], steps, &good_options(n))),
    ));
    let x2 = x.clone();
    calls.push((
        "more steps than the input has",
        Box::new(move |net| net.run(&[("X", &x2)], steps + 1, &good_options(n))),
    ));
    if !x.data().is_empty() {
        let mut d = x.data().to_vec();
        let last = d.len() - 1;
        d[last] = f32::NAN;
        let nan = Tensor::new(x.shape().to_vec(), d).unwrap();
        calls.push((
            "a NaN input value",
            Box::new(move |net| net.run(&[("X", &nan)], steps, &good_options(n))),
        ));
    }
    let x3 = x.clone();
    calls.push((
        "a clamp index out of range",
        Box::new(move |net| {
            let o = RunOptions {
                clamp: vec![("Y".into(), Mask::Always(vec![n + 3]))],
                ..Default::default()
            };
            net.run(&[("X", &x3)], steps, &o)
        }),
    ));
    let x4 = x.clone();
    calls.push((
        "an injection of the wrong shape",
        Box::new(move |net| {
            let o = RunOptions {
                inject_v: vec![(
                    "Y".into(),
                    Tensor::new(vec![n + 2], vec![0.1; n + 2]).unwrap(),
                )],
                ..Default::default()
            };
            net.run(&[("X", &x4)], steps, &o)
        }),
    ));
    let x5 = x;
    calls.push((
        "a reward per step of the wrong length",
        Box::new(move |net| {
            let o = RunOptions {
                reward: Reward::PerStep(vec![1.0; steps + 2]),
                ..Default::default()
            };
            net.run(&[("X", &x5)], steps, &o)
        }),
    ));
    calls.push((
        "a snapshot of another network",
        Box::new(|net| {
            let mut other = net.snapshot();
            let last = other.arrays.len() - 1;
            other.arrays[last].1.push(0.0);
            net.restore(&other)
        }),
    ));
    calls.push((
        "an unknown monitor",
        Box::new(|net| net.add_monitor("m", MonitorSpec::new("Y", &["no-such-variable"]))),
    ));
    calls
}

/// Options every network here accepts: a reward, neuron 0 clamped.
fn good_options(n: usize) -> RunOptions {
    RunOptions {
        reward: Reward::Scalar(0.5),
        clamp: if n > 0 {
            vec![("Y".into(), Mask::Always(vec![0]))]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

#[test]
fn random_networks_and_calls_give_results_or_named_errors() {
    let cases = env("PROP_CASES", 1000);
    let seed = env("PROP_SEED", 0x5eed);
    let mut g = Gen::new(seed);
    let (mut built, mut refused, mut ran, mut run_errors, mut bad) = (0, 0, 0, 0, 0);
    for k in 0..cases {
        let s = spec(&mut g, k);
        let case = format!("case {k} (seed {seed:#x}): {s:?}");
        let mut net = match no_panic(&format!("{case}: build"), || build(&s)) {
            Ok(net) => net,
            Err(e) => {
                assert!(!e.to_string().is_empty(), "{case}: empty error");
                refused += 1;
                if std::env::var("PROP_DEBUG").is_ok() {
                    println!("refused: {e}");
                }
                continue;
            }
        };
        built += 1;
        let mut twin = build(&s).expect("the same spec builds twice");
        let steps = [0, 1, 7][g.below(3)];
        let x = input(&mut g, &s, steps);
        let first = no_panic(&format!("{case}: run"), || {
            net.run(&[("X", &x)], steps, &good_options(s.n))
        });
        let twin_first = twin.run(&[("X", &x)], steps, &good_options(s.n));
        assert_eq!(
            first.is_ok(),
            twin_first.is_ok(),
            "{case}: identical networks disagree"
        );
        match first {
            Ok(()) => ran += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty(), "{case}: empty error");
                run_errors += 1;
                continue;
            }
        }
        // The bad calls: each an error, nothing changed.
        let before = bits(&net.snapshot());
        for (what, call) in bad_calls(&s, &x, steps) {
            let r = no_panic(&format!("{case}: {what}"), || call(&mut net));
            let Err(e) = r else {
                panic!("{case}: {what} was accepted");
            };
            assert!(!e.to_string().is_empty(), "{case}: {what}: empty error");
            assert!(
                bits(&net.snapshot()) == before,
                "{case}: {what} changed the network ({e})"
            );
            bad += 1;
        }
        // Then the network runs as its twin, which saw no bad call.
        let x = input(&mut g, &s, steps);
        let a = no_panic(&format!("{case}: run after the errors"), || {
            net.run(&[("X", &x)], steps, &good_options(s.n))
        });
        let b = twin.run(&[("X", &x)], steps, &good_options(s.n));
        assert_eq!(a.is_ok(), b.is_ok(), "{case}: {a:?} vs {b:?}");
        assert!(
            bits(&net.snapshot()) == bits(&twin.snapshot()),
            "{case}: after the bad calls the network no longer runs as its twin"
        );
    }
    println!(
        "PROP cases={cases} built={built} refused_at_build={refused} ran={ran} \
         run_errors={run_errors} bad_calls_refused={bad}"
    );
    assert!(built > cases / 10 && ran > 0, "too few usable cases");
}
