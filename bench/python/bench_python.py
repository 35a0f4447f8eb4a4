"""Python-driven spikeflow against the CLI, in one sitting (BENCHMARKS.md,
"Next targets": Python-driven W2 n=1000 and W3 N=400 within 1.2× of
`spikeflow bench`, the Python Diehl & Cook loop within 1.3× of
`spikeflow train`).

    python bench/python/bench_python.py [--cli target/release/spikeflow] \
        [--mnist /work/shared/data/mnist] [--rounds 3] [--threads 2] [--pin]

W2 and W3 are built from the workloads' portable SplitMix64 draws
(peer/bench/WORKLOADS.md §0, `spikeflow-cli/src/bench/draws.rs`), so the
Python runs see the CLI's very weights and rasters (W2 checks the reference
output spike count 93096). Each round runs the CLI and then Python, and
the ratio is that of the medians over rounds (the machines are shared:
compare within a sitting only). The Python side builds its pool with
`spikeflow.set_num_threads(--threads, pin=--pin)`: unpinned by default,
pinned to cores 0..n with --pin, as the CLI always pins its workers.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
M64 = (1 << 64) - 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", default=str(ROOT / "target/release/spikeflow"))
    p.add_argument("--mnist", default="/work/shared/data/mnist")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--pin", action="store_true", help="pin the Python pool's workers to cores")
    p.add_argument("--samples", type=int, default=30, help="W3 measured images")
    p.add_argument("--n-train", type=int, default=1000, help="Diehl & Cook loop images")
    p.add_argument("--only", nargs="*", default=["w2", "w3", "train"])
    a = p.parse_args()
    import numpy as np  # noqa: F401

    import spikeflow
    pinned = spikeflow.set_num_threads(a.threads, pin=a.pin)  # before any run
    print(f"python pool: {a.threads} threads, pinned={pinned}", file=sys.stderr)

    results = {}
    for what in a.only:
        cli, py = [], []
        for r in range(a.rounds):
            cli.append(globals()[f"cli_{what}"](a))
            py.append(globals()[f"py_{what}"](a))
            print(f"[{what}] round {r}: cli {cli[-1]:.4g}  python {py[-1]:.4g}", file=sys.stderr)
        c, q = statistics.median(cli), statistics.median(py)
        results[what] = {"cli": c, "python": q, "ratio": q / c}
    unit = {"w2": "s per simulated s", "w3": "ms per sample", "train": "ms per image"}
    print(f"{'workload':8} {'CLI':>10} {'Python':>10} {'ratio':>7}  unit")
    for k, v in results.items():
        print(f"{k:8} {v['cli']:10.4g} {v['python']:10.4g} {v['ratio']:7.2f}  {unit[k]}")
    print(json.dumps({"threads": a.threads, "pin": a.pin, "rounds": a.rounds, "loadavg": os.getloadavg()[0],
                      **results}))


# -- the portable draws (WORKLOADS.md §0), vectorised -----------------------
def _mix(x):
    import numpy as np
    with np.errstate(over="ignore"):
        z = (x + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(M64)
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(M64)
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(M64)
        return z ^ (z >> np.uint64(31))


def _key(seed, stream):
    import numpy as np
    k = _mix(np.array([seed], dtype=np.uint64))[0] ^ np.uint64(stream)
    return _mix(np.array([k], dtype=np.uint64))[0]


def _uniform(seed, stream, k):
    import numpy as np
    with np.errstate(over="ignore"):
        u = _mix(_key(seed, stream) + k.astype(np.uint64))
    return (u >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def w1_inputs(n, steps, seed=0):
    import numpy as np
    rates = 100.0 * _uniform(seed, 1, np.arange(n, dtype=np.uint64))
    k = np.arange(n * n, dtype=np.uint64)
    u1, u2 = _uniform(seed, 2, 2 * k), _uniform(seed, 2, 2 * k + np.uint64(1))
    w = (np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2 * np.pi * u2)).astype(np.float32).reshape(n, n)
    u = _uniform(seed, 3, np.arange(steps * n, dtype=np.uint64)).reshape(steps, n)
    return w, u < rates * (1.0 / 1000.0)


def dc_raster(image, k, steps=250, seed=0, intensity=128.0):
    import numpy as np
    p = image.reshape(-1).astype(np.float64) / 255.0 * intensity / 1000.0
    base = (np.uint64(k) * np.uint64(steps) + np.arange(steps, dtype=np.uint64))[:, None] \
        * np.uint64(784) + np.arange(784, dtype=np.uint64)[None, :]
    return ((p > 0) & (_uniform(seed, 5, base) < p)).reshape(steps, 1, 1, 28, 28)


# -- W2 -----------------------------------------------------------------------
def _cli_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def cli_w2(a):
    lines = _cli_lines([a.cli, "bench", "w2", "--sizes", "1000", "--threads", str(a.threads),
                        "--reps", "3"])
    return statistics.median(l["s_per_sim_s"] for l in lines if l.get("bench") == "w2")


_W2 = {}


def py_w2(a):
    import numpy as np
    from spikeflow.learning import PostPre
    from spikeflow.network import Network
    from spikeflow.network.monitors import Monitor
    from spikeflow.network.nodes import Input, LIFNodes
    from spikeflow.network.topology import Connection
    n, steps = 1000, 1000
    if not _W2:
        _W2["w"], _W2["x"] = w1_inputs(n, steps)
    w0, x = _W2["w"], _W2["x"]
    net = Network(seed=0)
    src, dst = Input(n=n, traces=True), LIFNodes(n=n, traces=True)
    net.add_layer(src, "X")
    net.add_layer(dst, "Y")
    conn = Connection(src, dst, w=w0, update_rule=PostPre, nu=(1e-4, 1e-2))
    net.add_connection(conn, "X", "Y")
    mon = Monitor(dst, ["s"])
    net.add_monitor(mon, "Y_s")
    net.run({"X": np.zeros((20, n), dtype=bool)}, time=20)  # warm-up, as the CLI
    times = []
    for _ in range(3):
        net.reset_state_variables()
        conn.w = w0
        t0 = time.perf_counter()
        net.run({"X": x}, time=steps)
        times.append(time.perf_counter() - t0)
        spikes = int(mon.get("s").sum())
        assert spikes == 93096, f"W2 output spikes {spikes}, reference 93096"
    return statistics.median(times)


# -- W3 -----------------------------------------------------------------------
def cli_w3(a):
    lines = _cli_lines([a.cli, "bench", "w3", "--sizes", "400", "--threads", str(a.threads),
                        "--mnist", a.mnist, "--samples", str(a.samples)])
    return 1e3 * statistics.median(l["s_per_sample"] for l in lines if l.get("bench") == "w3")


def py_w3(a):
    import numpy as np
    from spikeflow.datasets import load_mnist
    from spikeflow.models import DiehlAndCook2015
    from spikeflow.network.monitors import Monitor
    images, _ = load_mnist(a.mnist)
    n = 400
    net = DiehlAndCook2015(n_inpt=784, n_neurons=n, exc=22.5, inh=120.0, dt=1.0, norm=78.4,
                           theta_plus=0.05, inpt_shape=(1, 28, 28), seed=0)
    k = np.arange(784 * n, dtype=np.uint64)
    net.connections[("X", "Ae")].w = (0.3 * _uniform(0, 4, k)).astype(np.float32).reshape(784, n)
    mon = Monitor(net.layers["Ae"], ["s"], time=250)
    net.add_monitor(mon, "Ae_spikes")
    warm = 3
    times = []
    for i in range(warm + a.samples):
        x = dc_raster(images[i], i)
        t0 = time.perf_counter()
        net.run({"X": x}, time=250)
        t1 = time.perf_counter()
        mon.get("s")  # not timed, as the CLI
        t2 = time.perf_counter()
        net.reset_state_variables()
        t3 = time.perf_counter()
        if i >= warm:
            times.append((t1 - t0) + (t3 - t2))
    return 1e3 * statistics.median(times)


# -- the Diehl & Cook training loop -----------------------------------------
def cli_train(a):
    import tempfile
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([a.cli, "train", "--neurons", "100", "--n-train", str(a.n_train),
                        "--n-test", "0", "--time", "250", "--threads", str(a.threads),
                        "--assign-window", "0", "--logreg-window", "0", "--update-interval", "250",
                        "--data-dir", str(ROOT / "crates/spikeflow/data/mnist-sample"),
                        "--out", out, "--quiet"], check=True, capture_output=True)
        s = json.load(open(os.path.join(out, "summary.json")))
    return 1e3 * s["train"]["seconds_per_image"]


def py_train(a):
    import contextlib
    import io
    import runpy
    main = runpy.run_path(str(ROOT / "examples/python/eth_mnist.py"), run_name="bench")["main"]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["--n-neurons", "100", "--n-train", str(a.n_train), "--n-test", "0",
              "--time", "250", "--update-interval", "250"])
    line = [l for l in buf.getvalue().splitlines() if l.startswith("training:")][0]
    return float(line.split("(")[1].split()[0])


if __name__ == "__main__":
    main()
