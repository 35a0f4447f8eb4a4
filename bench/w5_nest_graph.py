#!/usr/bin/env python3
"""W5 in NEST on spikeflow's own graph: the network `bench/w5_nest.py` builds,
but with the recurrent synapses and initial voltages that `spikeflow bench w5`
draws (written by `cargo run --release -p spikeflow --example w5_graph --
SCALE SEED DIR`), so that only the dynamics and the Poisson drive's draws
differ between the two simulators. Static synapses. Prints one JSON line
(rates over the measured time, as `w5_nest.py`).

    python bench/w5_nest_graph.py --graph DIR --scale 0.1 --seed 1 --sim-ms 1000
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from w5_nest import convert_synapse_weight  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--graph", required=True, help="folder written by the w5_graph example")
    ap.add_argument("--scale", type=float, required=True, help="the scale the graph was drawn at")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--presim-ms", type=float, default=50.0)
    ap.add_argument("--sim-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1, help="NEST's rng_seed (the drive's draws)")
    a = ap.parse_args()

    import nest

    tau_syn = 0.32582722403722841
    NE, NI = int(9000 * a.scale), int(2250 * a.scale)
    params = {"E_L": 0.0, "C_m": 250.0, "tau_m": 10.0, "t_ref": 0.5, "V_th": 20.0, "V_reset": 0.0,
              "tau_syn_ex": tau_syn, "tau_syn_in": tau_syn}
    JE, g, eta, delay = 0.14, -5.0, 1.685, 1.5
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.WARNING
    nest.local_num_threads = a.threads
    nest.resolution = 0.1
    nest.rng_seed = a.seed
    E = nest.Create("iaf_psc_alpha", NE, params=params)
    I = nest.Create("iaf_psc_alpha", NI, params=params)
    E.V_m = np.fromfile(os.path.join(a.graph, "v_E.f32"), dtype="<f4").astype(float).tolist()
    I.V_m = np.fromfile(os.path.join(a.graph, "v_I.f32"), dtype="<f4").astype(float).tolist()
    CE = int(NE / a.scale)
    JE_pA = convert_synapse_weight(10.0, tau_syn, 250.0) * JE
    nu_thresh = 20.0 / (CE * 10.0 / 250.0 * JE_pA * np.exp(1.0) * tau_syn)
    stim = nest.Create("poisson_generator", 1, {"rate": nu_thresh * eta * CE * 1000.0})
    rec = nest.Create("spike_recorder")
    nest.Connect(stim, E + I, {"rule": "all_to_all"}, {"synapse_model": "static_synapse", "weight": JE_pA, "delay": delay})
    pops = {"E": E, "I": I}
    for name, (src, tgt, w) in {"ee": ("E", "E", JE_pA), "ei": ("E", "I", JE_pA),
                                "ie": ("I", "E", g * JE_pA), "ii": ("I", "I", g * JE_pA)}.items():
        s, t = pops[src], pops[tgt]
        counts = np.fromfile(os.path.join(a.graph, f"{name}.u16"), dtype="<u2").reshape(len(s), len(t))
        i, j = np.nonzero(counts)
        reps = counts[i, j].astype(np.int64)
        pre = np.repeat(np.asarray(s.tolist())[i], reps)
        post = np.repeat(np.asarray(t.tolist())[j], reps)
        nest.Connect(pre, post, "one_to_one", {"synapse_model": "static_synapse",
                                               "weight": np.full(pre.size, w), "delay": np.full(pre.size, delay)})
    # With the network's delay: NEST's default (1 ms) would set the minimum
    # delay, the interval between spike exchanges (bench/w5_nest.py).
    nest.Connect(E + I, rec, syn_spec={"delay": delay})
    nest.Simulate(a.presim_ms)
    rec.n_events = 0
    t0 = time.time()
    nest.Simulate(a.sim_ms)
    sim_s = time.time() - t0
    senders = np.asarray(rec.get("events")["senders"])
    is_e = senders <= E[-1].global_id
    sec = a.sim_ms / 1000.0
    print(json.dumps({"bench": "w5", "impl": "nest-on-spikeflow-graph", "scale": a.scale, "seed": a.seed,
                      "graph": a.graph, "synapses": int(nest.num_connections),
                      "rate_e_hz": float(is_e.sum()) / NE / sec, "rate_i_hz": float((~is_e).sum()) / NI / sec,
                      "out_spikes": int(senders.size), "wall_s_per_sim_s": sim_s / sec}))


if __name__ == "__main__":
    main()
