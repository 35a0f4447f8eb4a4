"""Monitors (``bindsnet.network.monitors``)."""

import numpy as np

from .nodes import Nodes
from .topology import AbstractConnection


class Monitor:
    """Records ``state_vars`` of a layer or connection after every step.

    ``Monitor(obj, state_vars, time=None, batch_size=1, device="cpu")``;
    ``get(var)`` returns ``[time, batch, *shape]`` for layer variables
    (``theta``: ``[time, *shape]``), ``[time, *w.shape]`` for ``w``.
    ``time=None`` keeps every step, ``time=T`` the last ``T``.

    Difference: ``get`` does not empty the recording (BindsNET's unbounded
    ``get`` does); ``reset_state_variables`` (or the network's) clears it.
    """

    def __init__(self, obj, state_vars, time=None, batch_size=1, device="cpu", sparse=False):
        if not isinstance(obj, (Nodes, AbstractConnection)):
            raise TypeError(f"Monitor: obj must be a layer or a connection, got {type(obj).__name__}")
        if isinstance(state_vars, str):
            state_vars = (state_vars,)
        self.obj = obj
        self.state_vars = tuple(state_vars)
        if time is not None and int(time) < 1:
            raise ValueError(f"Monitor: time must be >= 1, got {time}")
        self.time = None if time is None else int(time)
        if sparse:
            raise NotImplementedError("Monitor(sparse=True) is not supported")
        self.network = None
        self.name = None

    def _target(self):
        if isinstance(self.obj, Nodes):
            if self.obj.network is not self.network:
                raise ValueError(f"monitor {self.name!r}: its layer is not in this network")
            return self.obj.name
        if self.obj.network is not self.network:
            raise ValueError(f"monitor {self.name!r}: its connection is not in this network")
        return self.network._conn_name(self.obj.key)

    def get(self, var):
        """The recording of ``var`` as a float32 NumPy array (time first)."""
        if var not in self.state_vars:
            raise KeyError(f"monitor {self.name!r} does not record {var!r} (it records {self.state_vars})")
        if self.network is None or self.network._engine is None:
            return np.zeros((0,), dtype=np.float32)
        return self.network._engine.monitor_get(self.name, var)

    def reset_state_variables(self):
        """Clears the recordings (the whole network's state is reset with it)."""
        if self.network is not None:
            self.network.reset_state_variables()


__all__ = ["Monitor"]
