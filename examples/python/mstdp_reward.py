"""Reward-modulated STDP (MSTDP, Florian 2007) learns which input to listen to.

Twenty Poisson inputs drive one LIF neuron through a learned connection.
Each trial shows one of two groups of inputs (A: inputs 0–9, B: 10–19);
the neuron's spikes are rewarded (+1) on A trials and punished (−1) on B
trials. MSTDP turns the pre-before-post pairings of each trial into weight
changes of the reward's sign, so the weights from A grow and those from B
shrink, and the neuron ends up firing for A and not for B.

    python examples/python/mstdp_reward.py [--trials 200]
"""

import argparse

import numpy as np

import spikeflow
from spikeflow.encoding import poisson
from spikeflow.learning import MSTDP
from spikeflow.network import Network
from spikeflow.network.monitors import Monitor
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Connection


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--time", type=int, default=100, help="ms per trial")
    p.add_argument("--rate", type=float, default=40.0, help="Hz of the shown group")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)

    spikeflow.manual_seed(a.seed)
    n, group = 20, 10
    net = Network(dt=1.0, seed=a.seed)
    x = Input(n=n, traces=True)
    y = LIFNodes(n=1, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    w0 = np.full((n, 1), 4.0, dtype=np.float32)
    conn = Connection(x, y, w=w0, update_rule=MSTDP, nu=0.5, wmin=0.0, wmax=8.0)
    net.add_connection(conn, "X", "Y")
    out = Monitor(y, ["s"])
    net.add_monitor(out, "Y_s")

    def trial(g, reward, learn=True):
        rates = np.zeros(n, dtype=np.float32)
        rates[g * group:(g + 1) * group] = a.rate
        net.train(learn)
        net.run({"X": poisson(rates, time=a.time)}, time=a.time, reward=reward if learn else None)
        fired = float(out.get("s").sum())
        net.reset_state_variables()
        return fired

    before = [np.mean([trial(g, 0.0, learn=False) for _ in range(10)]) for g in (0, 1)]
    rng = np.random.default_rng(a.seed)
    for _ in range(a.trials):
        g = int(rng.integers(2))
        trial(g, 1.0 if g == 0 else -1.0)
    after = [np.mean([trial(g, 0.0, learn=False) for _ in range(10)]) for g in (0, 1)]

    w = conn.w[:, 0]
    wa, wb = float(w[:group].mean()), float(w[group:].mean())
    print(f"mean weight from A (rewarded): {w0[0, 0]:.2f} -> {wa:.2f}")
    print(f"mean weight from B (punished): {w0[0, 0]:.2f} -> {wb:.2f}")
    print(f"spikes per A trial: {before[0]:.1f} -> {after[0]:.1f}; "
          f"per B trial: {before[1]:.1f} -> {after[1]:.1f}")
    return wa, wb, before, after


if __name__ == "__main__":
    main()
