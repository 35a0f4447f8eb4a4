#!/usr/bin/env python3
"""Records a NEST 3.10 run of W5 (hpc_benchmark, built by bench/w5_nest.py)
for `cargo run --release -p spikeflow --example w5_replay -- DIR`, which
replays the very same spike trains through spikeflow's power-law STDP on the
very same E -> E synapses and compares the weights synapse by synapse. With
the spikes equal, any difference left is the rule's (timing, delays,
coincident spikes, the order of its terms), not the network's dynamics.

    PYNEST_QUIET=1 ~/.cache/spikeflow-peer-venv/bin/python scripts/nest_w5_replay.py \\
        --scale 1 --seed 1 --ms 249 --targets 20 --out target/w5_replay

Writes into --out:
    spikes.txt   "step neuron" per E spike (step k ends at (k + 1)·0.1 ms, as
                 NEST stamps it; neuron: the index in E)
    synapses.txt "source target count weight" per (source, target) pair onto
                 the --targets evenly spaced E neurons (target: 0..targets-1;
                 count: the pair's multapses, whose weights are all equal,
                 as their spikes are; weight: NEST's after the run)
    meta.json    the run's parameters (NEST's draws depend on --threads too);
                 delivered_until_step: NEST delivers
                 the spikes of a min-delay interval (1.5 ms here) after it,
                 with the next interval, so a run of whole intervals leaves
                 the last one's spikes undelivered and their weight changes
                 not yet applied (measured: with the recorder on NEST's
                 default delay, 1 ms, the run's spikes up to 1 ms before its
                 end had been applied, and only those)
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from w5_nest import build_network  # noqa: E402

H = 0.1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ms", type=float, default=249.0, help="simulated time, a whole number of 1.5 ms intervals")
    ap.add_argument("--targets", type=int, default=20)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    steps = int(round(a.ms / H))

    import nest

    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.WARNING
    nest.local_num_threads = a.threads
    nest.resolution = H
    nest.rng_seed = a.seed
    net = build_network(nest, a.scale)
    E, rec = net["E"], net["rec"]
    delay_steps = int(round(net["delay"] / H))
    interval = int(round(nest.GetKernelStatus("min_delay") / H))
    if interval != delay_steps:
        sys.exit(f"NEST's minimum delay is {interval} steps, the network's delay {delay_steps}")
    if steps % interval != 0:
        sys.exit(f"--ms {a.ms}: not a whole number of {interval * H} ms intervals")
    nest.Simulate(a.ms)

    ev = rec.get("events")
    senders = np.asarray(ev["senders"])
    times = np.asarray(ev["times"])
    e0 = E[0].global_id
    is_e = senders <= E[-1].global_id
    spike_steps = np.rint(times[is_e] / H).astype(np.int64) - 1
    neurons = senders[is_e] - e0
    order = np.lexsort((neurons, spike_steps))

    targets = sorted(set(np.linspace(0, len(E) - 1, a.targets).astype(int).tolist()))
    c = nest.GetConnections(source=E, target=E[targets])
    src = np.asarray(c.get("source")) - e0
    tgt_local = np.searchsorted(targets, np.asarray(c.get("target")) - e0)
    w = np.asarray(c.get("weight"), dtype=np.float64)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "spikes.txt"), "w") as f:
        for k, n in zip(spike_steps[order], neurons[order]):
            f.write(f"{k} {n}\n")
    pairs = {}
    for s, t, x in zip(src.tolist(), tgt_local.tolist(), w.tolist()):
        p = pairs.setdefault((s, t), [0, x])
        p[0] += 1
        if x != p[1]:
            sys.exit(f"multapses of ({s}, {t}) differ: {x} vs {p[1]}")
    with open(os.path.join(a.out, "synapses.txt"), "w") as f:
        for (s, t), (n, x) in sorted(pairs.items()):
            f.write(f"{s} {t} {n} {x!r}\n")
    meta = {
        "nest": nest.__version__,
        "scale": a.scale,
        "seed": a.seed,
        "n_e": len(E),
        "targets": targets,
        "steps": steps,
        "delivered_until_step": steps - interval - 1,
        "threads": a.threads,
        "delay_steps": delay_steps,
        "w0": net["JE_pA"],
        "stdp": {**{k: net["stdp"][k] for k in ("lambda", "alpha", "mu", "tau_plus")}, "tau_minus": net["tau_minus"]},
        "e_spikes": int(is_e.sum()),
        "synapses": int(w.size),
    }
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
    print(json.dumps({k: meta[k] for k in ("scale", "seed", "n_e", "steps", "e_spikes", "synapses")}))


if __name__ == "__main__":
    main()
