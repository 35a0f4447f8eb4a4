#!/usr/bin/env python3
"""Diehl & Cook (2015)'s network in Brian2's C++ standalone mode, timed per
presentation beside `spikeflow bench paper` (issue #18).

The network and its parameters are those of the paper and of the authors'
Brian 1 script as `spikeflow::models::diehl_cook_paper` documents them
(that module's tables): 784 Poisson inputs at pixel/8 · 2 Hz, N conductance
excitatory neurons with an adaptive threshold (θ₀ 20 mV, +0.05 mV per spike,
τ_θ 1e7 ms), N inhibitory ones, input → excitatory synapses with delays
U(0, 10) ms and the paper's STDP (pre, post1, post2 traces; ν 1e-4 / 1e-2;
weights in [0, 1]; learning on arrival, as Brian does on a delayed
pathway), excitatory → inhibitory one-to-one (10.4), inhibitory →
excitatory all but self (17.0); dt 0.5 ms; each image 350 ms, then 150 ms
without input.

Two things the spikeflow model does are left out here, both outside the
per-step work that sets the time: the normalisation of the input weights
before each presentation (one pass over the N·784 weights per image) and
the re-presentation of an image that drove fewer than 5 spikes (a branch
that standalone code cannot take). So this script times presentations, one
per image, and `spikeflow bench paper`'s lines are divided by their
`presentations` to compare.

Run with the peer venv (Brian2 2.9, a C++ compiler):

    ~/.cache/spikeflow-peer-venv/bin/python bench/brian2_paper.py --neurons 100 \
        --images 20 --threads 2

It prints one JSON line: the time of the run of all presentations as the
standalone binary measured it (`device._last_run_time`, compilation
excluded), seconds per presentation, and the excitatory spikes. Building
compiles with `make -j<cores>` (a minute or two). `bench/paper_brian2.sh`
runs both sides.
"""

import argparse
import gzip
import json
import os
import struct
import tempfile
import time

import numpy as np


def mnist_images(path, count):
    """The first `count` training images, as floats in [0, 1]."""
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"{path}: not an IDX image file (magic {magic})")
        data = np.frombuffer(f.read(count * rows * cols), dtype=np.uint8)
    return data.reshape(count, rows * cols).astype(np.float64) / 255.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=100)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads of the standalone binary")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--mnist", default=os.path.join(here, "..", "..", "shared", "data", "mnist",
                                                    "train-images-idx3-ubyte.gz"),
                    help="MNIST training images (IDX, gz)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", default=None, help="build directory (default: a temporary one)")
    args = ap.parse_args()

    import brian2 as b2
    from brian2 import Hz, mV, ms

    images = mnist_images(args.mnist, args.images)
    workdir = args.dir or tempfile.mkdtemp(prefix="b2_paper_")
    b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
    # Brian's default is an unbounded `make -j` (a load of 100+ on 2 cores).
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    b2.defaultclock.dt = 0.5 * ms
    b2.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    n, n_in = args.neurons, 784

    exc = b2.NeuronGroup(
        n,
        """
        dv/dt = ((-65*mV - v) + ge*(0*mV - v) + gi*(-100*mV - v)) / (100*ms) : volt (unless refractory)
        dge/dt = -ge / (1*ms) : 1
        dgi/dt = -gi / (2*ms) : 1
        dtheta/dt = -theta / (1e7*ms) : volt
        """,
        threshold="v > theta - 20*mV - 52*mV",
        reset="v = -65*mV; theta += 0.05*mV",
        refractory=5 * ms,
        method="euler",
    )
    exc.v = -105 * mV
    exc.theta = 20 * mV
    inh = b2.NeuronGroup(
        n,
        """
        dv/dt = ((-60*mV - v) + ge*(0*mV - v) + gi*(-85*mV - v)) / (10*ms) : volt (unless refractory)
        dge/dt = -ge / (1*ms) : 1
        dgi/dt = -gi / (2*ms) : 1
        """,
        threshold="v > -40*mV",
        reset="v = -45*mV",
        refractory=2 * ms,
        method="euler",
    )
    inh.v = -100 * mV
    # The input rates in 50 ms rows: each image 7 rows (350 ms), then 3 of
    # zeros (150 ms); one run, so that the binary times every presentation.
    rows = np.zeros((10 * len(images), n_in))
    for k, img in enumerate(images):
        rows[10 * k:10 * k + 7] = img * 255.0 / 8.0 * 2.0
    image_rates = b2.TimedArray(rows * Hz, dt=50 * ms)
    inp = b2.PoissonGroup(n_in, rates="image_rates(t, i)")

    stdp = b2.Synapses(
        inp,
        exc,
        """
        w : 1
        dpre/dt = -pre / (20*ms) : 1 (event-driven)
        dpost1/dt = -post1 / (20*ms) : 1 (event-driven)
        dpost2/dt = -post2 / (40*ms) : 1 (event-driven)
        """,
        on_pre="ge_post += w; pre = 1.0; w = clip(w - 0.0001 * post1, 0, 1)",
        on_post="w = clip(w + 0.01 * pre * post2, 0, 1); post1 = 1.0; post2 = 1.0",
    )
    stdp.connect()
    stdp.w = 0.3 * (rng.random(n_in * n) + 0.01)
    stdp.delay = rng.uniform(0.0, 10.0, n_in * n) * ms
    e2i = b2.Synapses(exc, inh, on_pre="ge_post += 10.4")
    e2i.connect(j="i")
    i2e = b2.Synapses(inh, exc, on_pre="gi_post += 17.0")
    i2e.connect(condition="i != j")
    spikes = b2.SpikeMonitor(exc, record=False)
    net = b2.Network(exc, inh, inp, stdp, e2i, i2e, spikes)

    t0 = time.perf_counter()
    net.run(500 * ms * len(images))
    t1 = time.perf_counter()
    b2.device.build(directory=workdir, compile=True, run=True)
    t2 = time.perf_counter()
    sim_s = float(b2.device._last_run_time)
    print(json.dumps({
        "bench": "paper", "impl": "brian2", "variant": "cpp_standalone", "n_neurons": n,
        "threads": args.threads, "presentations": len(images), "sim_s": sim_s,
        "s_per_presentation": sim_s / len(images), "exc_spikes": int(spikes.num_spikes),
        "python_setup_s": t1 - t0, "build_and_run_s": t2 - t1, "loadavg1": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
