//! Florian's (2007) XOR (`spikeflow::rl::FlorianXor`): the reward is +1 per
//! output spike of a target-1 pattern and −1 per spike of a target-0 one,
//! withheld rewards leave the weights alone, weights stay in the paper's
//! bounds, runs repeat from a seed, temporally coded XOR is learned in a
//! short run (the paper-length success rates over 100 experiments are the
//! README's `spikeflow rl xor-*` results), bad parameters are refused.

use spikeflow::rl::{FlorianXor, ModulatedRule, XorCoding, XorEpoch};

fn epochs(cfg: &FlorianXor, n: usize) -> Vec<XorEpoch> {
    let mut x = cfg.build().unwrap();
    (0..n).map(|_| x.run_epoch().unwrap()).collect()
}

fn temporal(rule: ModulatedRule, seed: u64) -> FlorianXor {
    FlorianXor {
        coding: XorCoding::Temporal,
        rule,
        seed,
        ..Default::default()
    }
}

#[test]
fn reward_is_plus_one_per_target_one_spike_and_minus_one_per_target_zero_spike() {
    let cfg = temporal(ModulatedRule::Mstdp, 2);
    let e = epochs(&cfg, 4);
    // Spikes per pattern: rate × 0.5 s. A spike's reward comes a step
    // later, so the last step's spike of the run is still pending.
    let earned: f32 = e
        .iter()
        .map(|e| 0.5 * (e.rates_hz[1] + e.rates_hz[2] - e.rates_hz[0] - e.rates_hz[3]))
        .sum();
    let delivered: f32 = e.iter().map(|e| e.reward).sum();
    assert!((earned - delivered).abs() <= 1.0, "{earned} vs {delivered}");
    assert!(
        e.iter()
            .map(|e| e.rates_hz.iter().sum::<f32>())
            .sum::<f32>()
            > 0.0
    );
}

#[test]
fn withheld_rewards_leave_the_weights_alone_and_learned_ones_stay_in_bounds() {
    let conns = ["Xe -> H", "Xi -> H", "H -> O"];
    let weights = |x: &spikeflow::rl::FlorianXorRun| -> Vec<Vec<f32>> {
        conns
            .iter()
            .map(|c| x.network().weights(c).unwrap().to_vec())
            .collect()
    };
    for rewarded in [false, true] {
        let cfg = FlorianXor {
            rule: ModulatedRule::MstdpEt,
            gamma: Some(5.0), // large: pushes weights onto their bounds
            rewarded,
            seed: 1,
            ..Default::default()
        };
        let mut x = cfg.build().unwrap();
        let before = weights(&x);
        for _ in 0..3 {
            x.run_epoch().unwrap();
        }
        let after = weights(&x);
        if !rewarded {
            assert_eq!(before, after);
            continue;
        }
        assert_ne!(before, after);
        let bounds = [(0.0, 5.0), (-5.0, 0.0), (0.0, 5.0)];
        for (w, (lo, hi)) in after.iter().zip(bounds) {
            assert!(
                w.iter().all(|&w| (lo..=hi).contains(&w)),
                "{w:?} outside [{lo}, {hi}]"
            );
        }
    }
}

#[test]
fn rate_coded_pattern_00_is_silent_and_runs_repeat_from_a_seed() {
    let cfg = FlorianXor {
        seed: 7,
        ..Default::default()
    };
    let a = epochs(&cfg, 2);
    assert!(a.iter().all(|e| e.rates_hz[0] == 0.0));
    assert_eq!(a, epochs(&cfg, 2));
    let other = FlorianXor { seed: 8, ..cfg };
    assert_ne!(a, epochs(&other, 2));
}

#[test]
fn temporally_coded_xor_is_learned_by_mstdpet() {
    // Mean over seeds of the last epochs' margin min(01, 10) − max(00, 11):
    // learning must raise it above what the frozen initial weights give.
    let margin = |rewarded: bool| -> f32 {
        let mut sum = 0.0;
        for seed in 0..4 {
            let cfg = FlorianXor {
                rewarded,
                ..temporal(ModulatedRule::MstdpEt, seed)
            };
            let e = epochs(&cfg, 25);
            sum += e[20..].iter().map(XorEpoch::margin_hz).sum::<f32>() / 5.0;
        }
        sum / 4.0
    };
    let (learned, control) = (margin(true), margin(false));
    assert!(
        learned > control + 5.0,
        "learned {learned} Hz, control {control} Hz"
    );
}

#[test]
fn bad_parameters_are_refused() {
    let bad = [
        FlorianXor {
            pattern_ms: 0,
            ..Default::default()
        },
        FlorianXor {
            rate_hz: 2000.0,
            ..Default::default()
        },
        FlorianXor {
            gamma: Some(-1.0),
            ..Default::default()
        },
        FlorianXor {
            coding: XorCoding::Temporal,
            train_spikes: 600,
            ..Default::default()
        },
    ];
    for cfg in bad {
        let e = cfg.build().unwrap_err().to_string();
        assert!(e.contains("FlorianXor"), "{e}");
    }
}
