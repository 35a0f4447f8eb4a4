"""Ctrl-C (SIGINT) stops a long run within a second and leaves the network
usable, with the steps done so far kept."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

CHILD = textwrap.dedent("""
    import signal, sys, time
    import numpy as np
    from spikeflow.learning import PostPre
    from spikeflow.network import Network
    from spikeflow.network.monitors import Monitor
    from spikeflow.network.nodes import Input, LIFNodes
    from spikeflow.network.topology import Connection

    signal.signal(signal.SIGINT, signal.default_int_handler)
    net = Network(seed=0)
    x, y = Input(n=200, traces=True), LIFNodes(n=2000, traces=True)
    net.add_layer(x, "X"); net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, update_rule=PostPre, nu=(1e-4, 1e-2)), "X", "Y")
    net.add_monitor(Monitor(y, ["s"]), "y")
    steps = 200000  # minutes of work
    spikes = np.random.default_rng(0).random((steps, 200)) < 0.05
    net.run({"X": spikes[:5]}, time=5)  # built and warm
    print("running", flush=True)
    try:
        net.run({"X": spikes}, time=steps)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    done = net.monitors["y"].get("s").shape[0] - 5
    assert 0 < done < steps, done
    net.run({"X": spikes[:10]}, time=10)
    assert net.monitors["y"].get("s").shape[0] == 5 + done + 10
    print("usable", done, flush=True)
""")


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_ctrl_c_stops_a_long_run(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "running"
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        sent = time.monotonic()
        line = p.stdout.readline().strip()
        latency = time.monotonic() - sent
        assert line == "interrupted", (line, p.stderr.read())
        assert latency < 1.0, latency
        rest, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert rest.startswith("usable"), (rest, err)
    finally:
        if p.poll() is None:
            p.kill()
