"""The engine releases the GIL while it steps."""

import threading
import time

import numpy as np

from spikeflow.network import Network
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Connection
from spikeflow.learning import PostPre


def test_other_threads_run_during_run():
    net = Network(seed=1)
    x, y = Input(n=1000, traces=True), LIFNodes(n=1000, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, update_rule=PostPre, nu=(1e-4, 1e-2)), "X", "Y")
    inp = np.random.default_rng(0).random((300, 1000)) < 0.2
    net.run({"X": inp[:2]}, time=2)  # build outside the timed region

    done = threading.Event()
    elapsed = []

    def work():
        t0 = time.perf_counter()
        net.run({"X": inp}, time=300)
        elapsed.append(time.perf_counter() - t0)
        done.set()

    t = threading.Thread(target=work)
    ticks = 0
    t.start()
    while not done.is_set():
        ticks += 1  # pure Python: only runs if the GIL is free
    t.join()
    # With the GIL held for the whole run, this loop could not advance
    # while the engine steps; released, it spins the whole time.
    assert elapsed[0] > 0.02, f"run too short to tell ({elapsed[0]:.3f} s)"
    assert ticks > 1000, f"main thread advanced only {ticks} times in {elapsed[0]:.3f} s"
