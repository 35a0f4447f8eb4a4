#!/usr/bin/env python
"""W2 (dense-lif-stdp, ../shared/BENCHMARKS.md) driven from Python, with
PostPre written in Python as a ``spikeflow.learning.SynapseRule`` — and,
for reference, the built-in PostPre — on the same network and inputs as
the peer script (``shared/peer/bench/bench_bindsnet.py --workload w2``):
Input(n, traces) → LIFNodes(n, traces), dense weights N(0,1) from the
portable generator, unbounded, nu = (1e-4, 1e-2), tc_trace 20, 1000 steps
of dt 1 ms of Bernoulli input at U(0,100) Hz per input.

One JSON line per repetition (``s_per_sim_s`` = seconds per simulated
second, the network run only) plus a summary per rule, on stdout.

    python bench/python_rule_w2.py --sizes 1000 --reps 3
    # the peer, in the same sitting:
    ~/.cache/spikeflow-peer-venv/bin/python ../shared/peer/bench/bench_bindsnet.py \
        --workload w2 --sizes 1000 --reps 3

Needs ``shared/peer/bench/common.py`` (the portable generator): set
SPIKEFLOW_SHARED if the shared folder is not ../shared next to the repo.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("SPIKEFLOW_SHARED", os.path.join(HERE, "..", "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "peer", "bench"))
import common  # noqa: E402

from spikeflow.learning import PostPre, SynapseRule  # noqa: E402
from spikeflow.network import Network  # noqa: E402
from spikeflow.network.monitors import Monitor  # noqa: E402
from spikeflow.network.nodes import Input, LIFNodes  # noqa: E402
from spikeflow.network.topology import Connection  # noqa: E402


class PyPostPre(SynapseRule):
    requires = ("pre_traces", "post_traces")

    def on_pre(self, syn):
        return syn.pre_s * (syn.post_x * -syn.nu_pre)

    def on_post(self, syn):
        return syn.pre_x * (syn.post_s * syn.nu_post)


class PyPostPre1D(PyPostPre):
    """The same rule given the 1-D per-synapse arrays (no blocks): the
    path every non-dense topology takes, and the dense one before blocks."""

    block = False


def build(n, w0, rule, tc_trace, nu):
    net = Network(dt=1.0, batch_size=1, learning=True)
    x = Input(n=n, traces=True, tc_trace=tc_trace)
    y = LIFNodes(n=n, traces=True, tc_trace=tc_trace)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    c = Connection(x, y, w=w0, update_rule=rule, nu=nu)
    net.add_connection(c, "X", "Y")
    mon = Monitor(y, ("s",))
    net.add_monitor(mon, "Y_s")
    return net, c, mon


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rules", nargs="+", default=["python", "builtin"],
                    help="python (blocks on this dense batch-1 W2), python-1d, builtin")
    args = ap.parse_args()
    rules = {"python": PyPostPre, "python-1d": PyPostPre1D, "builtin": PostPre}
    for n in args.sizes:
        w0 = common.w1_weights(n, args.seed)
        raster = common.w1_spikes(n, args.steps, args.seed, 1.0).reshape(args.steps, 1, n)
        for name in args.rules:
            net, c, mon = build(n, w0, rules[name], 20.0, (1e-4, 1e-2))
            net.run({"X": np.zeros((20, 1, n), bool)}, time=20)  # build + warm-up
            times = []
            for r in range(args.reps):
                net.reset_state_variables()
                c.w = w0
                t0 = time.perf_counter()
                net.run({"X": raster}, time=args.steps)
                sim_s = time.perf_counter() - t0
                times.append(sim_s / (args.steps / 1000.0))
                w = c.w
                print(json.dumps({"bench": "w2", "impl": "spikeflow-py", "rule": name, "n": n, "rep": r,
                                  "s_per_sim_s": times[-1], "out_spikes": int(mon.get("s").sum()),
                                  "w_sum": float(w.astype(np.float64).sum())}), flush=True)
            print(json.dumps({"bench": "w2", "impl": "spikeflow-py", "rule": name, "n": n, "summary": True,
                              "median_s_per_sim_s": statistics.median(times)}), flush=True)


if __name__ == "__main__":
    main()
