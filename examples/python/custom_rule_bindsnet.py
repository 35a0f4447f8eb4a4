"""A BindsNET custom learning rule, ported by turning torch calls into NumPy.

BindsNET rules subclass ``LearningRule`` and implement
``_connection_update``, reading ``self.source.s`` / ``.x``,
``self.target.s`` / ``.x``, ``self.nu``, ``self.reduction`` and writing
``self.connection.w``. The same code runs on spikeflow with NumPy arrays in
BindsNET's layout. Below: BindsNET 0.3.4's ``PostPre._connection_update``,
line for line (``torch.bmm`` → ``@``, ``.view`` → ``.reshape``,
``.unsqueeze`` → ``[:, :, None]``, ``.float()`` → ``.astype``), checked
against the built-in PostPre. The engine applies weight decay and clamping
afterwards (``super().update()`` does nothing here).

    python examples/python/custom_rule_bindsnet.py
"""

import numpy as np

from spikeflow.learning import LearningRule, PostPre
from spikeflow.network import Network
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Connection


class PortedPostPre(LearningRule):
    def _connection_update(self, **kwargs):
        batch_size = self.source.batch_size

        # Pre-synaptic update.
        if self.nu[0].any():
            source_s = self.source.s.reshape(batch_size, -1)[:, :, None].astype(np.float32)
            target_x = self.target.x.reshape(batch_size, -1)[:, None, :] * self.nu[0]
            self.connection.w -= self.reduction(source_s @ target_x, dim=0)

        # Post-synaptic update.
        if self.nu[1].any():
            target_s = self.target.s.reshape(batch_size, -1)[:, None, :].astype(np.float32) * self.nu[1]
            source_x = self.source.x.reshape(batch_size, -1)[:, :, None]
            self.connection.w += self.reduction(source_x @ target_s, dim=0)

        super().update()


def build(rule):
    net = Network(dt=1.0, batch_size=4)
    x, y = Input(n=100, traces=True), LIFNodes(n=50, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    w = 0.3 + 0.1 * np.random.default_rng(0).standard_normal((100, 50))
    c = Connection(x, y, w=w, update_rule=rule, nu=(1e-4, 1e-2), wmin=0.0, wmax=1.0)
    net.add_connection(c, "X", "Y")
    return net, c


if __name__ == "__main__":
    spikes = np.random.default_rng(2).random((300, 4, 100)) < 0.05
    ws = []
    for rule in (PostPre, PortedPostPre):
        net, c = build(rule)
        w0 = c.w.copy()
        net.run({"X": spikes}, time=300)
        ws.append(c.w)
    diff = np.abs(ws[0] - ws[1]).max()
    print(f"built-in vs ported BindsNET PostPre, batch 4: max |difference| {diff:.1e} "
          f"(mean |dw| {np.abs(ws[1] - w0).mean():.2e}): same weights: {diff <= 1e-6}")
    assert diff <= 1e-6
