#!/usr/bin/env python3
"""W5 in NEST: NEST's own hpc_benchmark network, side by side with `spikeflow bench w5`.

The network is built exactly as NEST 3.10's examples/pynest/hpc_benchmark.py
builds it (same parameters, same Connect calls, same synapse models
`static_synapse_hpc` / `stdp_pl_synapse_hom_hpc`), with two changes that only
concern measurement: every neuron's spikes are counted (a spike_recorder on all
of E and I, to memory, instead of a file for the first 1000 E neurons), and
the E->E weights are summed after the run. It prints one JSON line with the
fields of `spikeflow bench w5`:

    rate_e_hz, rate_i_hz   mean rates over the measured (post-presim) time
    mean_w_ee, sum_w_ee    E->E weights (pA) after the run (the mean over the
                           synapses onto --weight-targets E neurons; the sum
                           only when all are read: NEST's read-out is slow)
    out_spikes             all spikes of E and I in the measured time
    wall_s_per_sim_s       wall time of the measured Simulate per simulated second
    peak_rss_bytes         the process's peak resident memory (ru_maxrss)

Run with the peer venv (NEST 3.10):

    ~/.cache/spikeflow-peer-venv/bin/python bench/w5_nest.py --scale 0.5 --threads 2 \
        --presim-ms 50 --sim-ms 1000
"""

import argparse
import json
import resource
import sys
import time

import numpy as np
import scipy.special as sp


def convert_synapse_weight(tau_m, tau_syn, C_m):
    """hpc_benchmark.py's mV -> pA factor for iaf_psc_alpha (peak of the PSP)."""
    a = tau_m / tau_syn
    b = 1.0 / tau_syn - 1.0 / tau_m
    x = -np.exp(-1.0 / a) / a
    t_rise = 1.0 / b * (-sp.lambertw(x, k=-1 if x < 0 else 0).real - 1.0 / a)
    v_max = (
        np.exp(1.0)
        / (tau_syn * C_m * b)
        * ((np.exp(-t_rise / tau_m) - np.exp(-t_rise / tau_syn)) / b - t_rise * np.exp(-t_rise / tau_syn))
    )
    return 1.0 / v_max


def build_network(nest, scale, static_ee=False):
    """Creates hpc_benchmark's network in the current (reset) kernel, with a
    spike_recorder on all of E and I. Returns its nodes and derived values."""
    tau_syn = 0.32582722403722841
    NE = int(9000 * scale)
    NI = int(2250 * scale)
    model_params = {
        "E_L": 0.0,
        "C_m": 250.0,
        "tau_m": 10.0,
        "t_ref": 0.5,
        "V_th": 20.0,
        "V_reset": 0.0,
        "tau_syn_ex": tau_syn,
        "tau_syn_in": tau_syn,
        "tau_minus": 30.0,
        "V_m": 5.7,
    }
    delay, JE, g, eta = 1.5, 0.14, -5.0, 1.685
    stdp_params = {"delay": 1.5, "alpha": 0.0513, "lambda": 0.1, "mu": 0.4, "tau_plus": 15.0}

    E = nest.Create("iaf_psc_alpha", NE, params=model_params)
    I = nest.Create("iaf_psc_alpha", NI, params=model_params)
    random_vm = nest.random.normal(5.7, 7.2)
    E.V_m = random_vm
    I.V_m = random_vm
    CE = int(1.0 * NE / scale)
    CI = int(1.0 * NI / scale)
    JE_pA = convert_synapse_weight(model_params["tau_m"], tau_syn, model_params["C_m"]) * JE
    nu_thresh = model_params["V_th"] / (CE * model_params["tau_m"] / model_params["C_m"] * JE_pA * np.exp(1.0) * tau_syn)
    rate = nu_thresh * eta * CE * 1000.0
    stim = nest.Create("poisson_generator", 1, {"rate": rate})
    rec = nest.Create("spike_recorder")

    nest.SetDefaults("static_synapse_hpc", {"delay": delay})
    nest.CopyModel("static_synapse_hpc", "syn_ex", {"weight": JE_pA})
    nest.CopyModel("static_synapse_hpc", "syn_in", {"weight": g * JE_pA})
    stdp_params["weight"] = JE_pA
    nest.SetDefaults("stdp_pl_synapse_hom_hpc", stdp_params)
    nest.Connect(stim, E, {"rule": "all_to_all"}, {"synapse_model": "syn_ex"})
    nest.Connect(stim, I, {"rule": "all_to_all"}, {"synapse_model": "syn_ex"})
    fixed = lambda k: {"rule": "fixed_indegree", "indegree": k, "allow_autapses": False, "allow_multapses": True}
    nest.Connect(E, E, fixed(CE), {"synapse_model": "syn_ex" if static_ee else "stdp_pl_synapse_hom_hpc"})
    nest.Connect(I, E, fixed(CI), {"synapse_model": "syn_in"})
    nest.Connect(E, I, fixed(CE), {"synapse_model": "syn_ex"})
    nest.Connect(I, I, fixed(CI), {"synapse_model": "syn_in"})
    # As hpc_benchmark connects its recorders: through static_synapse_hpc,
    # with the network's delay. A recorder connected with NEST's default
    # delay (1 ms) would set the minimum delay, and with it the interval
    # between NEST's spike exchanges, to 1 ms instead of 1.5.
    nest.Connect(E + I, rec, syn_spec="static_synapse_hpc")
    return {"E": E, "I": I, "rec": rec, "CE": CE, "CI": CI, "JE_pA": JE_pA, "rate": rate,
            "delay": delay, "stdp": stdp_params, "tau_minus": model_params["tau_minus"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--presim-ms", type=float, default=50.0)
    ap.add_argument("--sim-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1, help="NEST's rng_seed")
    ap.add_argument("--static-ee", action="store_true", help="E->E static (no STDP), for diagnosis")
    ap.add_argument(
        "--weight-targets",
        type=int,
        default=200,
        help="mean E->E weight over the synapses onto this many evenly spaced E neurons (0: all, slow: ~18 us per synapse)",
    )
    a = ap.parse_args()

    import nest

    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.WARNING
    nest.local_num_threads = a.threads
    nest.resolution = 0.1
    nest.rng_seed = a.seed

    t0 = time.time()
    net = build_network(nest, a.scale, static_ee=a.static_ee)
    E, I, rec = net["E"], net["I"], net["rec"]
    NE, NI, scale = len(E), len(I), a.scale
    build_s = time.time() - t0

    t0 = time.time()
    nest.Simulate(a.presim_ms)
    presim_s = time.time() - t0
    n_pre = rec.n_events
    rec.n_events = 0
    t0 = time.time()
    nest.Simulate(a.sim_ms)
    sim_end = time.time()
    sim_s = sim_end - t0

    ev = rec.get("events")
    senders = np.asarray(ev["senders"])
    is_e = senders <= E[-1].global_id
    n_e, n_i = int(is_e.sum()), int((~is_e).sum())

    # Peak memory before the weight read-out: NEST's `get` builds a Python
    # dictionary per connection (~2.5 KB each) and ~18 µs per synapse.
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    # E->E weights after the run: all of them (--weight-targets 0) or those
    # onto evenly spaced E targets, a few targets at a time (bounded memory).
    targets = list(range(NE)) if a.weight_targets <= 0 else sorted(set(np.linspace(0, NE - 1, min(a.weight_targets, NE)).astype(int).tolist()))
    sum_w, n_w = 0.0, 0
    block = 20
    for k in range(0, len(targets), block):
        c = nest.GetConnections(source=E, target=E[targets[k : k + block]])
        w = np.asarray(c.get("weight"), dtype=np.float64)
        sum_w += float(w.sum())
        n_w += w.size

    sim_sec = a.sim_ms / 1000.0
    out = {
        "bench": "w5",
        "impl": "nest",
        "nest": nest.__version__,
        "scale": scale,
        "threads": a.threads,
        "n_e": NE,
        "n_i": NI,
        "ce": net["CE"],
        "ci": net["CI"],
        "je_pa": net["JE_pA"],
        "poisson_rate_hz": net["rate"],
        "presim_ms": a.presim_ms,
        "sim_ms": a.sim_ms,
        "seed": a.seed,
        "plastic": not a.static_ee,
        "synapses": int(nest.num_connections),
        "n_ee": n_w,
        "build_s": build_s,
        "presim_s": presim_s,
        "sim_s": sim_s,
        "wall_s_per_sim_s": sim_s / sim_sec,
        # When the timed simulation ended (bench/w5_concurrent.sh lines
        # spikeflow's runs up with it).
        "sim_end_unix_time": sim_end,
        "out_spikes": n_e + n_i,
        "presim_spikes": int(n_pre),
        "rate_e_hz": n_e / NE / sim_sec,
        "rate_i_hz": n_i / NI / sim_sec,
        "w_ee_targets": len(targets),
        "sum_w_ee": sum_w if len(targets) == NE else None,
        "mean_w_ee": sum_w / max(n_w, 1),
        "peak_rss_bytes": peak_rss,
        "bytes_per_synapse": peak_rss / max(int(nest.num_connections), 1),
        "unix_time": round(time.time(), 3),
    }
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
