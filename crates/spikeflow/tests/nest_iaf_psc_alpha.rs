//! `IafPscAlphaNodes` against NEST 3.10's `iaf_psc_alpha`, recorded by
//! `scripts/nest_iaf_psc_alpha.py` (`tests/data/nest_iaf_psc_alpha.json`):
//! two neurons (`hpc_benchmark`'s parameters; NEST's defaults with unequal
//! synaptic time constants) driven by excitatory and inhibitory input
//! spikes and a constant current for 3000 steps of 0.1 ms. Spike times
//! equal, and the membrane potential within 1e-4 mV at every step (measured: 9e-6) (NEST
//! integrates in f64, spikeflow's state is f32).
//!
//! Timing: NEST's spike generator at `k·h` with delay `h` delivers in the
//! step ending at `(k + 1)·h`, spikeflow's step `k`; an `Input` spike at
//! step `k − 1` reaches the neuron at step `k` (the one-step hop). The
//! multimeter's `(k + 1)·h` is the value after step `k`.

use serde_json::Value;
use spikeflow::nodes::IafPscAlphaNodes;
use spikeflow::prelude::*;

fn f(v: &Value, key: &str) -> Option<f32> {
    v.get(key).and_then(Value::as_f64).map(|x| x as f32)
}

#[test]
fn membrane_and_spikes_equal_nest() {
    let text = include_str!("data/nest_iaf_psc_alpha.json");
    let data: Value = serde_json::from_str(text).unwrap();
    let steps = data["steps"].as_u64().unwrap() as usize;
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let p = &case["params"];
        let d = IafPscAlphaNodes::default();
        let or = |k: &str, dflt: Param| f(p, k).map(Param::Scalar).unwrap_or(dflt);
        let e_l = or("E_L", d.e_l.clone());
        let model = IafPscAlphaNodes {
            c_m: or("C_m", d.c_m.clone()),
            tau_m: or("tau_m", d.tau_m.clone()),
            t_ref: or("t_ref", d.t_ref.clone()),
            v_th: or("V_th", d.v_th.clone()),
            v_reset: or("V_reset", d.v_reset.clone()),
            tau_syn_ex: or("tau_syn_ex", d.tau_syn_ex.clone()),
            tau_syn_in: or("tau_syn_in", d.tau_syn_in.clone()),
            i_e: or("I_e", d.i_e.clone()),
            v_init: or("V_m", e_l.clone()),
            e_l,
        };
        let mut b = Network::builder().dt(0.1);
        b.add_population("E", &[1], Input, NodeOptions::default());
        b.add_population("I", &[1], Input, NodeOptions::default());
        b.add_population("N", &[1], model, NodeOptions::default());
        let w_ex = f(case, "w_ex").unwrap();
        let w_in = f(case, "w_in").unwrap();
        b.connect(Connect::new("E", "N", Dense::with_weights(vec![w_ex])));
        // NEST routes negative weights to the inhibitory current.
        b.connect(Connect::new("I", "N", Dense::with_weights(vec![-w_in.abs()])).receptor(1));
        let mut net = b.build().unwrap();
        net.add_monitor("m", MonitorSpec::new("N", &["v", "s"]))
            .unwrap();
        let train = |key: &str| {
            let mut x = vec![0.0f32; steps];
            for k in case[key].as_array().unwrap() {
                x[k.as_u64().unwrap() as usize - 1] = 1.0;
            }
            Tensor::new(vec![steps, 1, 1], x).unwrap()
        };
        let (ex, inh) = (train("ex_steps"), train("in_steps"));
        net.run(&[("E", &ex), ("I", &inh)], steps, &RunOptions::default())
            .unwrap();
        let m = net.monitor("m").unwrap();
        let v = m.get("v").unwrap().data().to_vec();
        let s = m.get("s").unwrap().data().to_vec();
        let spikes: Vec<f64> = s
            .iter()
            .enumerate()
            .filter(|(_, &x)| x != 0.0)
            .map(|(k, _)| ((k + 1) as f64 * 0.1 * 10.0).round() / 10.0)
            .collect();
        let nest_spikes: Vec<f64> = case["spike_times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap())
            .collect();
        assert!(nest_spikes.len() >= 10, "{name}: too few spikes to compare");
        assert_eq!(spikes, nest_spikes, "{name}: spike times");
        let nest_v = case["v"].as_array().unwrap();
        let worst = v
            .iter()
            .zip(nest_v)
            .map(|(a, b)| (f64::from(*a) - b.as_f64().unwrap()).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-4,
            "{name}: V differs from NEST's by up to {worst} mV"
        );
    }
}
