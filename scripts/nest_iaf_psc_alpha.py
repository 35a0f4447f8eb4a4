#!/usr/bin/env python
"""Records NEST 3.10's iaf_psc_alpha on a fixed input, for
crates/spikeflow/tests/nest_iaf_psc_alpha.rs (run from the peer venv of
../shared/peer/setup.sh):

    PYNEST_QUIET=1 ~/.cache/spikeflow-peer-venv/bin/python scripts/nest_iaf_psc_alpha.py \
        > crates/spikeflow/tests/data/nest_iaf_psc_alpha.json

One neuron with hpc_benchmark's parameters (E_L 0, C_m 250 pF, tau_m 10 ms,
t_ref 0.5 ms, V_th 20 mV, V_reset 0, tau_syn 0.3258 ms) and a second with
NEST's defaults plus unequal tau_syn_ex/in, each driven by a seeded random
train of excitatory and inhibitory input spikes (weights in pA) delivered
at fixed steps, and a constant I_e; dt 0.1 ms, 300 ms. Records V_m at every
step and the spike times.
"""

import json
import sys

import numpy as np
import nest

H, T = 0.1, 300.0
rng = np.random.default_rng(7)
nest.verbosity = nest.VerbosityLevel.ERROR
nest.ResetKernel()
nest.resolution = H

cases = [
    {"name": "hpc_benchmark",
     "params": {"E_L": 0.0, "C_m": 250.0, "tau_m": 10.0, "t_ref": 0.5, "V_th": 20.0, "V_reset": 0.0,
                "tau_syn_ex": 0.32582722403722841, "tau_syn_in": 0.32582722403722841, "V_m": 5.7,
                "I_e": 450.0},
     "w_ex": 1500.0, "w_in": -1500.0, "rate": 2.0},
    {"name": "defaults_unequal_tau",
     "params": {"tau_syn_ex": 1.5, "tau_syn_in": 4.0, "I_e": 350.0},
     "w_ex": 200.0, "w_in": -150.0, "rate": 1.5},
]
out = {"dt": H, "steps": int(round(T / H)), "nest": nest.__version__, "cases": []}
for c in cases:
    n = nest.Create("iaf_psc_alpha", params=c["params"])
    # Input spikes on whole steps: spike_generator times t (ms), delay one step.
    steps = out["steps"]
    ex = sorted(set(int(k) for k in rng.integers(1, steps - 10, int(c["rate"] * T))))
    inh = sorted(set(int(k) for k in rng.integers(1, steps - 10, int(c["rate"] * T / 2))))
    g_ex = nest.Create("spike_generator", params={"spike_times": [round(k * H, 1) for k in ex]})
    g_in = nest.Create("spike_generator", params={"spike_times": [round(k * H, 1) for k in inh]})
    nest.Connect(g_ex, n, syn_spec={"weight": c["w_ex"], "delay": H})
    nest.Connect(g_in, n, syn_spec={"weight": c["w_in"], "delay": H})
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": H})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    out["cases"].append({"name": c["name"], "params": c["params"], "w_ex": c["w_ex"], "w_in": c["w_in"],
                         "ex_steps": ex, "in_steps": inh, "_n": n, "_mm": mm, "_sr": sr})
nest.Simulate(T + H)
for c in out["cases"]:
    ev = c.pop("_mm").get("events")
    c["v_times"] = [round(t, 1) for t in ev["times"]]
    c["v"] = [float(v) for v in ev["V_m"]]
    c["spike_times"] = [round(float(t), 1) for t in c.pop("_sr").get("events")["times"]]
    c.pop("_n")
json.dump(out, sys.stdout)
