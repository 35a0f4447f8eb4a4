"""``Network`` (``bindsnet.network.Network``)."""

import math
import numbers

import numpy as np

from .. import _native
from .._arrays import as_array, as_f32
from .monitors import Monitor
from .nodes import Nodes
from .topology import AbstractConnection


class Network:
    """A network of layers, connections and monitors.

    ``Network(dt=1.0, batch_size=1, learning=True, reward_fn=None, *, seed=0)``.
    Objects are added the BindsNET way (``add_layer``, ``add_connection``,
    ``add_monitor``); ``reward_fn`` (a class from
    ``spikeflow.learning.reward``, or any object with ``compute(**kwargs)``)
    turns each run's ``reward`` into the one the rules see. The engine network is built at the first ``run`` (or
    the first read of a state or weight) and rebuilt, keeping weights and
    adaptive thresholds, when layers or connections are added later or the
    batch size changes. ``seed`` (spikeflow only) seeds every draw of the
    network (weight initialisation, one-spike ties, SRM0 and Izhikevich).
    """

    def __init__(self, dt=1.0, batch_size=1, learning=True, reward_fn=None, *, seed=0):
        # BindsNET takes the class and instantiates it (an instance is taken as is).
        self.reward_fn = reward_fn() if isinstance(reward_fn, type) else reward_fn
        self.dt = float(dt)
        self.batch_size = int(batch_size)
        self.learning = bool(learning)
        self.seed = int(seed)
        self.layers = {}
        self.connections = {}
        self.monitors = {}
        self._engine = None

    # -- registration --------------------------------------------------
    def add_layer(self, layer, name):
        """Adds ``layer`` under ``name`` (insertion order is update order)."""
        if not isinstance(layer, Nodes):
            raise TypeError(f"add_layer: expected a nodes object, got {type(layer).__name__}")
        if name in self.layers and self.layers[name] is not layer:
            self.layers[name].network = None
        layer.network, layer.name = self, str(name)
        self.layers[str(name)] = layer
        self._invalidate()

    def add_connection(self, connection, source, target):
        """Adds ``connection`` from layer ``source`` to layer ``target`` (names);
        a second connection between the same pair replaces the first."""
        if not isinstance(connection, AbstractConnection):
            raise TypeError(f"add_connection: expected a connection, got {type(connection).__name__}")
        for what, name, obj in (("source", source, connection.source), ("target", target, connection.target)):
            if name not in self.layers:
                raise KeyError(f"add_connection: no layer named {name!r} (have {list(self.layers)})")
            if self.layers[name] is not obj:
                raise ValueError(f"add_connection: layer {name!r} is not the connection's {what}")
        key = (str(source), str(target))
        connection.network, connection.key = self, key
        self.connections[key] = connection
        self._invalidate()

    def add_monitor(self, monitor, name):
        """Adds ``monitor`` under ``name``."""
        if not isinstance(monitor, Monitor):
            raise TypeError(f"add_monitor: expected a Monitor, got {type(monitor).__name__}")
        if name in self.monitors:
            raise KeyError(f"add_monitor: a monitor named {name!r} exists already")
        monitor.network, monitor.name = self, str(name)
        target = monitor._target()
        self.monitors[str(name)] = monitor
        if self._engine is not None:
            self._engine.add_monitor(monitor.name, target, list(monitor.state_vars), monitor.time)

    def _conn_name(self, key):
        return f"{key[0]} -> {key[1]}"

    # -- the engine ----------------------------------------------------
    def _invalidate(self):
        """Drops the engine after a structural change, keeping learned state."""
        if self._engine is None:
            return
        eng = self._engine
        for key, c in self.connections.items():
            try:
                c._w = eng.weights(self._conn_name(key))
            except (KeyError, NotImplementedError):
                pass
        self._theta = {}
        for name, layer in self.layers.items():
            try:
                self._theta[name] = eng.variable(name, "theta")
            except (KeyError, AttributeError):
                pass
        self._engine = None

    def _engine_now(self):
        """The engine network, built now if needed."""
        if self._engine is None:
            layers = [(n, type(l)._type, list(l.shape), dict(l._args)) for n, l in self.layers.items()]
            conns = [(s, t, type(c)._type, c._engine_args()) for (s, t), c in self.connections.items()]
            eng = _native.Engine(self.dt, self.batch_size, self.learning, self.seed, layers, conns)
            for name, m in self.monitors.items():
                eng.add_monitor(name, m._target(), list(m.state_vars), m.time)
            for name, theta in getattr(self, "_theta", {}).items():
                if name in self.layers:
                    eng.set_variable(name, "theta", theta)
            self._theta = {}
            self._engine = eng
        return self._engine

    # -- running -------------------------------------------------------
    def train(self, mode=True):
        """Learning on (``True``) or off; also gates adaptive thresholds."""
        self.learning = bool(mode)
        for layer in self.layers.values():
            layer.learning = self.learning
        if self._engine is not None:
            self._engine.learning = self.learning
        return self

    def reset_state_variables(self):
        """Resets layer state, rule state and monitors; weights and theta stay.

        Difference: learning-rule state (eligibility traces) is reset too.
        """
        if self._engine is not None:
            self._engine.reset_state()

    def _input(self, name, x, steps):
        if name not in self.layers:
            raise KeyError(f"run: no layer named {name!r} (have {list(self.layers)})")
        shape = tuple(self.layers[name].shape)
        try:
            a = as_array(x)
        except Exception as e:  # noqa: BLE001 - any conversion failure is a bad argument
            raise TypeError(f"input {name!r}: cannot convert {type(x).__name__} to an array: {e}") from e
        if a.dtype == np.uint8 and a.size and a.max() <= 1:
            a = a.view(np.bool_)  # encoder output: spikes, a quarter of the bytes of float32
        if a.dtype != np.bool_:
            a = as_f32(a, f"input {name!r}")
        a = np.ascontiguousarray(a)
        if a.ndim >= 1 and a.shape[1:] == shape and a.ndim == len(shape) + 1:
            a = a.reshape((a.shape[0], 1) + shape)  # [time, *shape] -> [time, 1, *shape]
        elif a.ndim == 1:
            a = a.reshape((1, 1) + a.shape)
        elif a.ndim == 2:
            a = a.reshape((a.shape[0], 1, a.shape[1]))
        return a

    def _mask(self, kind, name, m, steps):
        if name not in self.layers:
            raise KeyError(f"run: {kind}: no layer named {name!r}")
        layer_shape = tuple(self.layers[name].shape)
        a = as_array(m)
        if a.dtype == np.bool_:
            if a.shape == layer_shape or a.ndim == 1:
                return (name, [np.flatnonzero(a).tolist()], False)
            return (name, [np.flatnonzero(r).tolist() for r in a.reshape(a.shape[0], -1)], True)
        if not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"run: {kind}[{name!r}] must be a bool mask or integer indices, got {a.dtype}")
        if a.ndim <= 1:
            return (name, [a.reshape(-1).tolist()], False)
        return (name, [r.tolist() for r in a], True)

    def _weight_mask(self, key, m):
        key = tuple(key) if isinstance(key, (tuple, list)) else key
        if key not in self.connections:
            raise KeyError(f"run: masks: no connection {key!r} (have {list(self.connections)})")
        conn = self.connections[key]
        shape = tuple(conn.w.shape)
        a = as_array(m)
        if a.dtype != np.bool_:
            a = a != 0
        if a.shape != shape:
            raise ValueError(f"run: masks[{key!r}]: shape {a.shape}, the weights have shape {shape}")
        return (self._conn_name(key), a.reshape(-1).tolist())

    def _reward(self, r, steps):
        if r is None:
            return None
        if isinstance(r, numbers.Real) and not isinstance(r, bool):
            return ("scalar", [float(r)], [])
        a = as_f32(r, "reward")
        if a.ndim == 0 or a.size == 1:
            return ("scalar", [float(a.reshape(-1)[0])], [])
        if a.ndim == 1 and a.size == self.batch_size:
            return ("per_row", a.tolist(), [])
        if a.ndim == 2:
            return ("per_step_row", a.reshape(-1).tolist(), list(a.shape))
        raise ValueError(f"reward: expected a number, [batch] or [time, batch], got shape {a.shape}")

    def run(self, inputs, time, one_step=False, **kwargs):
        """Runs ``int(time / dt)`` steps.

        ``inputs``: ``{layer name: array}`` shaped ``[time, batch, *shape]``,
        ``[time, *shape]`` (batch 1), ``[time, n]`` or ``[n]`` (one step), as
        in BindsNET; bool arrays are taken as spikes, anything else as
        float32 values (uint8 arrays of 0s and 1s, the encoders' output, as
        spikes). Keyword arguments: ``reward`` (number, ``[batch]`` or
        ``[time, batch]``), ``clamp`` / ``unclamp`` (``{layer: bool mask or
        indices, [n] or [time, n]}``), ``injects_v`` (``{layer: [n] or [time,
        n]}``), ``masks`` (``{(source, target): bool array shaped like the
        connection's w}``: as BindsNET, ``w[mask] = 0`` after every step's
        update, learning or not; every connection type), ``a_plus`` /
        ``a_minus`` (MSTDP and MSTDPET, for this run only: a number for
        every such connection or ``{(source, target): number}``). The GIL is
        released while the engine steps.

        Ctrl-C: during a run the engine checks for Python signals every 5
        ms and stops after the step in progress; ``KeyboardInterrupt`` (or
        whatever the signal handler raised) then propagates. A run that the
        previous run's time per step predicts to last at most 0.1 s steps
        on the calling thread instead (no hand-over to a worker thread: a
        Diehl & Cook image runs ~15 % faster) and sees Ctrl-C when it
        returns. The steps done so far are
        kept, exactly as a run of that many steps would have left them
        (state, monitor records, weight changes, end-of-run normalisation),
        and the network can run again.
        """
        if not isinstance(inputs, dict):
            raise TypeError("run: inputs must be a dict {layer name: array}")
        steps = int(time / self.dt)
        prepared = [(n, self._input(n, x, steps)) for n, x in inputs.items()]
        if prepared:
            b = prepared[0][1].shape[1]
            if b != self.batch_size:  # BindsNET: the first input sets the batch size
                self.batch_size = int(b)
                self._invalidate()
        eng = self._engine_now()
        clamp = [self._mask("clamp", n, m, steps) for n, m in (kwargs.get("clamp") or {}).items()]
        unclamp = [self._mask("unclamp", n, m, steps) for n, m in (kwargs.get("unclamp") or {}).items()]
        inject = [(n, as_f32(v, f"injects_v[{n!r}]")) for n, v in (kwargs.get("injects_v") or {}).items()]
        masks = [self._weight_mask(k, m) for k, m in (kwargs.get("masks") or {}).items()]
        reward = kwargs.get("reward")
        if self.reward_fn is not None:
            # Once per run call, as BindsNET's Network.run (which calls it
            # whether or not a reward was given).
            reward = self.reward_fn.compute(**kwargs)
        overrides = self._rule_overrides(kwargs)
        for name, param, value, _ in overrides:
            eng.set_rule_param(name, param, value)
        try:
            eng.run(prepared, steps, self._reward(reward, steps), clamp, unclamp, inject,
                    bool(one_step), masks)
        finally:  # as BindsNET: a run-time value holds for this run only
            for name, param, _, original in overrides:
                eng.set_rule_param(name, param, original)

    _RUN_TIME = {"a_plus": 1.0, "a_minus": -1.0}  # MSTDP / MSTDPET, BindsNET's defaults

    def _rule_overrides(self, kwargs):
        """``a_plus`` / ``a_minus`` given to ``run``: a number for every
        MSTDP / MSTDPET connection, or ``{(source, target): number}``; other
        rules ignore them (as BindsNET's do). Returns ``(connection, param,
        value, the rule's own value)``."""
        out = []
        for param, default in self._RUN_TIME.items():
            v = kwargs.get(param)
            if v is None:
                continue
            if isinstance(v, dict):
                items = {}
                for k, x in v.items():
                    key = tuple(k) if isinstance(k, (tuple, list)) else k
                    if key not in self.connections:
                        raise KeyError(f"run: {param}: no connection {key!r} "
                                       f"(have {list(self.connections)})")
                    items[key] = x
            else:
                items = {key: v for key in self.connections}
            for key, x in items.items():
                rule = self.connections[key].update_rule
                if getattr(rule, "_name", None) not in ("MSTDP", "MSTDPET"):
                    continue
                if not isinstance(x, numbers.Real) or isinstance(x, bool) or not math.isfinite(x):
                    raise ValueError(f"run: {param} must be a finite number, got {x!r}")
                out.append((self._conn_name(key), param, float(x),
                            float(rule.kwargs.get(param, default))))
        return out


__all__ = ["Network"]
