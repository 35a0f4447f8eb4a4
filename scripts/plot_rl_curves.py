#!/usr/bin/env python
"""Learning curves of several `spikeflow rl` runs in one picture: the
100-episode moving mean of each run's return (from its summary.json), one
colour per policy, one line per seed. Needs matplotlib.

    python scripts/plot_rl_curves.py OUT.png "label=DIR1,DIR2,…" ["label=…" …]
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def moving_mean(x, w=100):
    c = np.cumsum(np.insert(np.asarray(x, float), 0, 0.0))
    k = np.arange(1, len(x) + 1)
    lo = np.maximum(k - w, 0)
    return (c[k] - c[lo]) / (k - lo)


def main(out, groups):
    fig, ax = plt.subplots(figsize=(9, 5))
    for colour, group in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"], groups):
        label, dirs = group.split("=", 1)
        for k, d in enumerate(dirs.split(",")):
            r = json.load(open(f"{d}/summary.json"))["returns"]
            ax.plot(np.arange(1, len(r) + 1), moving_mean(r), color=colour, lw=1.2,
                    label=label if k == 0 else None)
    ax.axhline(195, color="grey", ls="--", lw=1, label="solved (195)")
    ax.set_xlabel("episode")
    ax.set_ylabel("return, mean of the last 100 episodes")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
