"""A learning rule written in Python once, for every topology.

Subclass ``spikeflow.learning.SynapseRule`` and say what happens to the
synapses a step touches, with NumPy: ``on_pre`` gets the synapses of the
sources that spiked, ``on_post`` those of the targets that spiked, each as
arrays (one entry per synapse). The engine sums the returned changes per
weight (shared convolution kernels too), reduces them over the batch, adds
them, then applies weight decay and the bounds — exactly as for its own
rules, so PostPre written here gives the built-in PostPre's weights.

Then the same class, unchanged, learns on a dense and on a convolutional
connection; and a rule the library does not ship (soft-bounded Hebbian
with a weight-dependent term) is three lines more.

    python examples/python/custom_rule_synapse.py
"""

import numpy as np

from spikeflow.learning import PostPre, SynapseRule
from spikeflow.network import Network
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Conv2dConnection, Connection


class MyPostPre(SynapseRule):
    """Pair-based STDP: depression on pre spikes, potentiation on post spikes."""

    requires = ("pre_traces", "post_traces")  # checked when the network is built

    def on_pre(self, syn):
        return -(syn.pre_s * (syn.post_x * syn.nu_pre))

    def on_post(self, syn):
        return syn.pre_x * (syn.post_s * syn.nu_post)


class SoftHebb(SynapseRule):
    """Hebbian potentiation that slows down as the weight nears wmax."""

    requires = ("pre_traces", "finite_bounds")

    def on_post(self, syn):
        return syn.nu_post * syn.pre_x * syn.post_s * (syn.wmax - syn.w)


def dense(rule, **kw):
    net = Network(dt=1.0)
    x, y = Input(n=100, traces=True), LIFNodes(n=50, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    w = 0.3 + 0.1 * np.random.default_rng(0).standard_normal((100, 50))
    c = Connection(x, y, w=w, update_rule=rule, nu=(1e-4, 1e-2), **kw)
    net.add_connection(c, "X", "Y")
    return net, c


def conv(rule):
    net = Network(dt=1.0)
    x, y = Input(shape=[1, 12, 12], traces=True), LIFNodes(shape=[4, 10, 10], traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    w = 3.0 + np.random.default_rng(1).standard_normal((4, 1, 3, 3))
    c = Conv2dConnection(x, y, kernel_size=3, w=w, update_rule=rule, nu=(1e-3, 1e-2))
    net.add_connection(c, "X", "Y")
    return net, c


if __name__ == "__main__":
    rng = np.random.default_rng(2)
    spikes = rng.random((500, 100)) < 0.05
    ws = []
    for rule in (PostPre, MyPostPre):
        net, c = dense(rule)
        w0 = c.w.copy()
        net.run({"X": spikes}, time=500)
        ws.append(c.w)
    same = np.array_equal(ws[0], ws[1])
    print(f"dense: built-in vs Python PostPre: same weights: {same} "
          f"(mean |dw| {np.abs(ws[1] - w0).mean():.2e})")
    assert same

    images = rng.random((300, 1, 12, 12)) < 0.1
    ws = []
    for rule in (PostPre, MyPostPre):
        net, c = conv(rule)
        net.run({"X": images}, time=300)
        ws.append(c.w)
    same = np.array_equal(ws[0], ws[1])
    print(f"conv2d (shared kernels): same weights: {same}")
    assert same

    net, c = dense(SoftHebb, wmin=0.0, wmax=1.0)
    w0 = c.w.copy()
    net.run({"X": spikes}, time=500)
    print(f"SoftHebb: mean weight {w0.mean():.4f} -> {c.w.mean():.4f}, max {c.w.max():.4f} <= 1")
