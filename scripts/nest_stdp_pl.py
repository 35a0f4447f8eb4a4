#!/usr/bin/env python
"""Records NEST 3.10's stdp_pl_synapse_hom on fixed spike trains, for
crates/spikeflow/tests/nest_stdp_pl.rs (run from the peer venv of
../shared/peer/setup.sh):

    PYNEST_QUIET=1 ~/.cache/spikeflow-peer-venv/bin/python scripts/nest_stdp_pl.py \
        > crates/spikeflow/tests/data/nest_stdp_pl.json

For each case: a presynaptic and a postsynaptic parrot neuron, each made to
fire by its own spike generator (random steps of 0.1 ms; presynaptic spikes
at least 2·delay + 4 steps apart; no pre and post spike at the same step once
the delay is counted, except in the last case, where one is put at every
third pre spike and random ones may meet others), one plastic synapse
between them with hpc_benchmark's parameters (lambda 0.1, alpha 0.0513,
mu 0.4, tau_plus 15 ms, tau_minus 30 ms) and a delay of 1 or 15 steps,
and a last presynaptic spike well after everything else (NEST applies a
synapse's potentiation only at its next presynaptic spike). Records every
parrot's spike steps and the weight after each presynaptic spike.
"""

import json
import sys

import numpy as np
import nest

H = 0.1
rng = np.random.default_rng(11)
nest.verbosity = nest.VerbosityLevel.ERROR
out = {"dt": H, "nest": nest.__version__, "cases": []}
cases = [(1, 60, 60, 3000, False), (15, 80, 70, 4000, False), (15, 200, 30, 4000, False), (15, 150, 400, 4000, True)]
for delay_steps, n_pre, n_post, steps, coincident in cases:
    nest.ResetKernel()
    nest.resolution = H
    # Presynaptic spikes at least 2·delay + 4 steps apart, so that each
    # one's weight can be read before the next is delivered (NEST delivers
    # spikes once per min-delay interval).
    gap = 2 * delay_steps + 4
    pre_steps = []
    for k in sorted(set(int(k) for k in rng.integers(5, steps, n_pre))):
        if not pre_steps or k - pre_steps[-1] >= gap:
            pre_steps.append(k)
    post_all = sorted(set(int(k) for k in rng.integers(5, steps, n_post)))
    # No pre spike at the step a post spike reaches the synapse, except in
    # the last case, which puts a post spike there for every third pre spike
    # and keeps the random ones that meet others (NEST then potentiates
    # before it depresses).
    post_steps = [k for k in post_all if k + delay_steps not in pre_steps]
    if coincident:
        post_steps = sorted(set(post_all + [k - delay_steps for k in pre_steps[::3] if k - delay_steps >= 5]))
    last = steps + 600
    pre_steps.append(last)
    w0 = 45.61
    stdp = {"lambda": 0.1, "alpha": 0.0513, "mu": 0.4, "tau_plus": 15.0}
    nest.SetDefaults("stdp_pl_synapse_hom", stdp)
    pre = nest.Create("parrot_neuron")
    post = nest.Create("parrot_neuron", params={"tau_minus": 30.0})
    # A generator spike at step k reaches the parrot, which fires, in the
    # step ending at (k + 1)·h.
    g_pre = nest.Create("spike_generator", params={"spike_times": [round(k * H, 1) for k in pre_steps]})
    g_post = nest.Create("spike_generator", params={"spike_times": [round(k * H, 1) for k in post_steps]})
    nest.Connect(g_pre, pre, syn_spec={"delay": H})
    nest.Connect(g_post, post, syn_spec={"delay": H})
    # Receptor 1 of a parrot neuron takes spikes without repeating them.
    nest.Connect(pre, post, syn_spec={"synapse_model": "stdp_pl_synapse_hom", "weight": w0,
                                      "delay": round(delay_steps * H, 1), "receptor_type": 1})
    sr_pre, sr_post = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(pre, sr_pre)
    nest.Connect(post, sr_post)
    conn = nest.GetConnections(pre, post)
    weights = []
    t = 0.0
    for k in pre_steps:
        # Run until this spike has surely been delivered, before the next.
        target = round((k + 2 * delay_steps + 3) * H, 1)
        nest.Simulate(round(target - t, 1))
        t = target
        weights.append(float(conn.get("weight")))
    step = lambda ts: [int(round(x / H)) - 1 for x in ts]
    out["cases"].append({
        "delay_steps": delay_steps, "coincident": coincident, "w0": w0, **stdp, "tau_minus": 30.0,
        "pre_spike_steps": step(sr_pre.get("events")["times"]),
        "post_spike_steps": step(sr_post.get("events")["times"]),
        "weights_after_pre": weights,
    })
json.dump(out, sys.stdout)
