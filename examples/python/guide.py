"""BindsNET's guide, on spikeflow: only the package name in the imports changes.

Input(100, traces) -> LIFNodes(1000, traces), PostPre STDP; Poisson then
Bernoulli input; prints spike counts and how much the weights moved.

    python examples/python/guide.py
"""

import numpy as np

from spikeflow.encoding import bernoulli, poisson
from spikeflow.learning import PostPre
from spikeflow.network import Network
from spikeflow.network.monitors import Monitor
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Connection

time = 500  # ms

network = Network(dt=1.0)
source_layer = Input(n=100, traces=True)
target_layer = LIFNodes(n=1000, traces=True)
network.add_layer(layer=source_layer, name="A")
network.add_layer(layer=target_layer, name="B")

forward_connection = Connection(
    source=source_layer,
    target=target_layer,
    w=0.05 + 0.1 * np.random.default_rng(0).standard_normal((source_layer.n, target_layer.n)),
    update_rule=PostPre,
    nu=(1e-4, 1e-2),
)
network.add_connection(connection=forward_connection, source="A", target="B")

recurrent_connection = Connection(
    source=target_layer,
    target=target_layer,
    w=0.025 * (np.eye(target_layer.n) - 1),  # small lateral inhibition
)
network.add_connection(connection=recurrent_connection, source="B", target="B")

source_monitor = Monitor(obj=source_layer, state_vars=("s",), time=time)
target_monitor = Monitor(obj=target_layer, state_vars=("s", "v"), time=time)
network.add_monitor(monitor=source_monitor, name="A")
network.add_monitor(monitor=target_monitor, name="B")

w_before = forward_connection.w.copy()
rates = np.full(source_layer.n, 40.0)  # Hz
for name, spikes in (
    ("poisson", poisson(datum=rates, time=time, dt=1.0)),
    ("bernoulli", bernoulli(datum=np.full(source_layer.n, 0.04), time=time, dt=1.0)),
):
    network.run(inputs={"A": spikes}, time=time)
    s_in = source_monitor.get("s")  # [time, batch, 100]
    s_out = target_monitor.get("s")  # [time, batch, 1000]
    v = target_monitor.get("v")
    print(
        f"{name:9s}: input spikes {int(s_in.sum()):6d}, output spikes {int(s_out.sum()):6d} "
        f"({s_out.sum() / target_layer.n / (time / 1000):.1f} Hz per neuron), "
        f"mean v {v.mean():.2f} mV"
    )
    network.reset_state_variables()

dw = forward_connection.w - w_before
print(f"weights {forward_connection.w.shape}: mean change {dw.mean():+.5f}, max |change| {np.abs(dw).max():.5f}")
