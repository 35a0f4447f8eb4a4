//! The triplet-STDP rule of `examples/triplet_stdp.rs` (included here, so the
//! example's own code is what is checked) on forced spikes at known times:
//! the weight after every step equals Pfister & Gerstner's all-to-all
//! triplet formula, written here in closed form,
//!
//! ```text
//! post spike at t: Δw = +nu_post · r1(t) · (A2+ + A3+ · o2(t⁻))
//! pre spike at t:  Δw = −nu_pre  · o1(t) · (A2− + A3− · r2(t⁻))
//! r1(t) = Σ_{pre t_k ≤ t} e^{−(t − t_k)/τ+}   r2(t⁻) = Σ_{pre t_k < t} e^{−(t − t_k)/τx}
//! o1(t) = Σ_{post t_k ≤ t} e^{−(t − t_k)/τ−}  o2(t⁻) = Σ_{post t_k < t} e^{−(t − t_k)/τy}
//! ```

#[allow(dead_code)]
#[path = "../examples/triplet_stdp.rs"]
mod example;

use example::TripletStdp;
use spikeflow::prelude::*;

const STEPS: usize = 45;
const W0: f64 = 0.5;
const NU: (f64, f64) = (0.5, 2.0);

/// Sum of `e^{−(t − t_k)/τ}` over the spike times `t_k` before `t`
/// (`inclusive`: up to and including `t`).
fn trace(times: &[usize], t: usize, tau: f32, inclusive: bool) -> f64 {
    times
        .iter()
        .filter(|&&k| k < t || (inclusive && k == t))
        .map(|&k| (-((t - k) as f64) / tau as f64).exp())
        .sum()
}

/// The weight after each step, by the closed-form triplet formula.
fn expected(rule: &TripletStdp, pre: &[usize], post: &[usize]) -> Vec<f64> {
    let mut w = W0;
    let mut out = Vec::new();
    for t in 0..STEPS {
        let mut dw = 0.0;
        if post.contains(&t) {
            let r1 = trace(pre, t, rule.tau_plus, true);
            let o2 = trace(post, t, rule.tau_y, false);
            dw += NU.1 * r1 * (rule.a2_plus as f64 + rule.a3_plus as f64 * o2);
        }
        if pre.contains(&t) {
            let o1 = trace(post, t, rule.tau_minus, true);
            let r2 = trace(pre, t, rule.tau_x, false);
            dw -= NU.0 * o1 * (rule.a2_minus as f64 + rule.a3_minus as f64 * r2);
        }
        w = (w + dw).clamp(0.0, 1.0);
        out.push(w);
    }
    out
}

/// One input `X` → one `McCullochPitts` neuron `Y` (threshold 10) whose
/// spikes are forced by an external current of 100 at the `post` times
/// (the synapse, ≤ 1, never makes it fire). Returns the weight after each
/// step.
fn simulate(rule: TripletStdp, pre: &[usize], post: &[usize]) -> Vec<f32> {
    let mut b = Network::builder();
    b.add_population("X", &[1], Input, NodeOptions::default());
    let y = McCullochPitts {
        thresh: 10.0.into(),
    };
    b.add_population("Y", &[1], y, NodeOptions::default());
    b.connect(
        Connect::new("X", "Y", Dense::with_weights(vec![W0 as f32]))
            .rule(rule)
            .nu((NU.0 as f32, NU.1 as f32))
            .wmin(0.0)
            .wmax(1.0),
    );
    let mut net = b.build().unwrap();
    net.add_monitor("w", MonitorSpec::new("X -> Y", &["w"]))
        .unwrap();
    net.add_monitor("y", MonitorSpec::new("Y", &["s"])).unwrap();
    let at = |times: &[usize], v: f32| {
        let d = (0..STEPS)
            .map(|t| if times.contains(&t) { v } else { 0.0 })
            .collect();
        Tensor::new(vec![STEPS, 1, 1], d).unwrap()
    };
    let (x, y) = (at(pre, 1.0), at(post, 100.0));
    net.run(&[("X", &x), ("Y", &y)], STEPS, &RunOptions::default())
        .unwrap();
    let ys = net.monitor("y").unwrap().get("s").unwrap().into_data();
    let fired: Vec<usize> = (0..STEPS).filter(|&t| ys[t] == 1.0).collect();
    assert_eq!(fired, post, "the post spikes were not the forced ones");
    net.monitor("w").unwrap().get("w").unwrap().into_data()
}

fn check(rule: TripletStdp, pre: &[usize], post: &[usize]) {
    let got = simulate(rule, pre, post);
    let want = expected(&rule, pre, post);
    for t in 0..STEPS {
        assert!(
            (got[t] as f64 - want[t]).abs() < 1e-6,
            "step {t}: weight {} but the triplet formula gives {}",
            got[t],
            want[t]
        );
    }
    assert!(
        (want[STEPS - 1] - W0).abs() > 1e-3,
        "the weight hardly moved: the case is too weak to test anything"
    );
}

#[test]
fn triplet_rule_of_the_example_matches_the_formula() {
    // Pairs in both orders, a post–post–pre triplet, a pre and a post in
    // the same step (they pair up), and a burst of posts after a pre.
    let pre = [2, 12, 20, 33];
    let post = [5, 9, 20, 34, 36, 38];
    check(TripletStdp::default(), &pre, &post);
}

#[test]
fn triplet_terms_are_visible_with_strong_amplitudes() {
    // With A2+ large and A3 terms comparable, each of the four amplitudes
    // and time constants moves the result: a rule that dropped or swapped
    // one would not match.
    let rule = TripletStdp {
        a2_plus: 4e-3,
        a3_plus: 9e-3,
        a2_minus: 5e-3,
        a3_minus: 8e-3,
        tau_plus: 10.0,
        tau_minus: 25.0,
        tau_x: 60.0,
        tau_y: 40.0,
    };
    check(rule, &[1, 4, 8, 21, 22, 30], &[3, 6, 8, 23, 24, 29, 40]);
}
