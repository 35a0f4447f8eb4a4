"""Connections (``bindsnet.network.topology``).

Constructor arguments are BindsNET 0.3.4's: ``(source, target, ...,
nu=None, reduction=None, weight_decay=0.0, **kwargs)`` with ``update_rule``
(a class from ``spikeflow.learning``, default ``NoOp``), ``wmin``, ``wmax``,
``norm``, ``w``, ``b`` and the rule's own arguments. ``w`` reads the weights
in BindsNET's layout (``[n_pre, n_post]`` for dense, sparse and legacy local
connections, ``[out, in, *kernel]`` for convolutions); assigning writes them.
Weights not given are drawn from the network's seed when it is built.
``receptor`` (spikeflow only) picks the target's input channel: 1 feeds
the inhibitory conductance of ``ConductanceLIFNodes``.
"""

import numpy as np

from .. import learning as _learning
from .._arrays import as_f32, param
from .nodes import Nodes


class AbstractConnection:
    """Shared behaviour of every connection."""

    _type = None

    def __init__(self, source, target, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        if not isinstance(source, Nodes) or not isinstance(target, Nodes):
            raise TypeError(f"{type(self).__name__}: source and target must be nodes objects")
        self.source = source
        self.target = target
        rule = kwargs.pop("update_rule", None) or _learning.NoOp
        if not (isinstance(rule, type) and issubclass(rule, _learning.LearningRule)):
            raise TypeError(f"update_rule must be a class from spikeflow.learning, got {rule!r}")
        own = _learning.RULE_KWARGS | frozenset(getattr(rule, "_kwargs", ()))
        rule_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in own}
        self._args = {}
        for k in ("wmin", "wmax"):
            if kwargs.get(k) is not None:
                self._args[k] = param(kwargs.pop(k), k)
            kwargs.pop(k, None)
        self.norm = kwargs.pop("norm", None)
        if self.norm is not None:
            self._args["norm"] = float(self.norm)
        self._w = None
        w = kwargs.pop("w", None)
        if w is not None:
            self._w = as_f32(w, "w")
        b = kwargs.pop("b", None)
        if b is not None:
            self._args["b"] = as_f32(b, "b")
        if kwargs.pop("Dales_rule", None) is not None:
            raise NotImplementedError("Dales_rule is not supported")
        kwargs.pop("w_dtype", None)
        self._extra = kwargs
        self.update_rule = rule(connection=self, nu=nu, reduction=reduction,
                                weight_decay=weight_decay, **rule_kwargs)
        self.network = None
        self.key = None

    @property
    def wmin(self):
        return self._args.get("wmin", float("-inf"))

    @property
    def wmax(self):
        return self._args.get("wmax", float("inf"))

    @property
    def nu(self):
        return self.update_rule.nu

    def _w_shape(self):
        """The shape BindsNET gives ``w`` (None: checked by the engine)."""
        return None

    def _engine_args(self):
        want = self._w_shape()
        if self._w is not None and want is not None and tuple(self._w.shape) != tuple(want):
            raise ValueError(f"{self!r}: w has shape {list(self._w.shape)}, expected {list(want)}")
        d = dict(self._args)
        d.update(self._extra)
        d.update(self.update_rule._engine_args())
        if self._w is not None:
            d["w"] = self._w
        return d

    @property
    def w(self):
        """The weights in BindsNET's layout (a NumPy copy)."""
        if self.network is not None:
            return self.network._engine_now().weights(self.network._conn_name(self.key))
        if self._w is not None:
            return self._w.copy()
        raise AttributeError(
            f"{type(self).__name__}.w: the weights are drawn when the network is built; "
            "add the connection to a network first (or pass w=)")

    @w.setter
    def w(self, value):
        a = as_f32(value, "w")
        net = self.network
        if net is not None and net._engine is not None:
            # Every type; a sparse or local connection keeps its structure
            # (a non-zero weight where it has no synapse is a ValueError).
            net._engine.set_weights(net._conn_name(self.key), a)
        else:
            self._w = a

    def train(self, mode=True):
        """No-op (the network's ``learning`` flag gates every rule)."""
        return self

    def __repr__(self):
        return f"{type(self).__name__}({self.source!r} -> {self.target!r})"


class Connection(AbstractConnection):
    """Dense all-to-all connection; ``w`` ``[n_pre, n_post]``, bias ``b`` ``[n_post]``."""

    _type = "Connection"

    def _w_shape(self):
        return (self.source.n, self.target.n)

    def __init__(self, source, target, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        super().__init__(source, target, nu, reduction, weight_decay, **kwargs)


class SparseConnection(AbstractConnection):
    """Sparse connection: ``w`` is a dense array whose zeros are absent synapses.

    Difference: learning keeps the sparsity structure (BindsNET turns every
    absent synapse into a learned one).
    """

    _type = "SparseConnection"

    def _w_shape(self):
        return (self.source.n, self.target.n)

    def __init__(self, source, target, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        super().__init__(source, target, nu, reduction, weight_decay, **kwargs)


def _geom(self, kernel_size, stride, padding, dilation):
    d = self._dims
    for k, v in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding),
                 ("dilation", dilation)):
        if v is None:
            continue
        v = [int(x) for x in (v if hasattr(v, "__len__") else [v] * d)]
        self._args[k] = v
        setattr(self, k, v)


class _Conv(AbstractConnection):
    _dims = 2

    def _w_shape(self):
        return (self.target.shape[0], self.source.shape[0], *self.kernel_size)

    def __init__(self, source, target, kernel_size, stride=1, padding=0, dilation=1, nu=None,
                 reduction=None, weight_decay=0.0, **kwargs):
        super().__init__(source, target, nu, reduction, weight_decay, **kwargs)
        _geom(self, kernel_size, stride, padding, dilation)


class Conv1dConnection(_Conv):
    """1-D convolution; ``w`` ``[out, in, k]``."""
    _type, _dims = "Conv1dConnection", 1


class Conv2dConnection(_Conv):
    """2-D convolution; ``w`` ``[out, in, kh, kw]``."""
    _type, _dims = "Conv2dConnection", 2


class Conv3dConnection(_Conv):
    """3-D convolution; ``w`` ``[out, in, kd, kh, kw]``."""
    _type, _dims = "Conv3dConnection", 3


class _Pool(AbstractConnection):
    _dims = 2

    def __init__(self, source, target, kernel_size, stride=1, padding=0, dilation=1, **kwargs):
        super().__init__(source, target, **kwargs)
        _geom(self, kernel_size, stride, padding, dilation)

    @property
    def w(self):
        raise AttributeError(f"{type(self).__name__} has no weights")


class MaxPool1dConnection(_Pool):
    """1-D max pooling over running spike counts (kwarg ``decay`` required)."""
    _type, _dims = "MaxPool1dConnection", 1


class MaxPool2dConnection(_Pool):
    """2-D max pooling over running spike counts (kwarg ``decay`` required)."""
    _type, _dims = "MaxPool2dConnection", 2


class MaxPool3dConnection(_Pool):
    """3-D max pooling over running spike counts (kwarg ``decay`` required)."""
    _type, _dims = "MaxPool3dConnection", 3


class LocalConnection(AbstractConnection):
    """BindsNET's legacy 2-D local connection (``w`` dense ``[n_pre, n_post]``)."""

    _type = "LocalConnection"
    _dims = 2

    def _w_shape(self):
        return (self.source.n, self.target.n)

    def __init__(self, source, target, kernel_size, stride, n_filters, nu=None, reduction=None,
                 weight_decay=0.0, **kwargs):
        input_shape = kwargs.pop("input_shape", None)
        super().__init__(source, target, nu, reduction, weight_decay, **kwargs)
        _geom(self, kernel_size, stride, None, None)
        self.n_filters = int(n_filters)
        self._args["n_filters"] = self.n_filters
        if input_shape is not None:
            self._args["input_shape"] = [int(x) for x in input_shape]


class _LocalNd(AbstractConnection):
    def __init__(self, source, target, kernel_size, stride, n_filters, nu=None, reduction=None,
                 weight_decay=0.0, **kwargs):
        super().__init__(source, target, nu, reduction, weight_decay, **kwargs)
        _geom(self, kernel_size, stride, None, None)
        self.n_filters = int(n_filters)
        self._args["n_filters"] = self.n_filters


class LocalConnection1D(_LocalNd):
    """Compact 1-D local connection; ``w`` ``[C_in, n_filters*P, K]``."""
    _type, _dims = "LocalConnection1D", 1


class LocalConnection2D(_LocalNd):
    """Compact 2-D local connection; ``w`` ``[C_in, n_filters*P, K]``."""
    _type, _dims = "LocalConnection2D", 2


class LocalConnection3D(_LocalNd):
    """Compact 3-D local connection; ``w`` ``[C_in, n_filters*P, K]``."""
    _type, _dims = "LocalConnection3D", 3


class DelayedConnection(AbstractConnection):
    """spikeflow only (BindsNET has no delays): a dense connection whose
    synapses each have a transmission delay, ``delays`` (whole steps >= 0,
    a number or ``[n_pre, n_post]`` like ``w``). A spike of source ``i``
    emitted at step ``t`` reaches target ``j`` at step ``t + 1 + delays[i,
    j]`` (``0``: exactly a ``Connection``). Learning rules see spikes when
    they are emitted. No bias."""

    _type = "DelayedConnection"

    def _w_shape(self):
        return (self.source.n, self.target.n)

    def __init__(self, source, target, delays, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        super().__init__(source, target, nu, reduction, weight_decay, **kwargs)
        d = np.asarray(delays)
        if d.ndim == 0:
            d = np.full((source.n, target.n), d)
        if d.shape != (source.n, target.n):
            raise ValueError(f"DelayedConnection: delays has shape {list(d.shape)}, "
                             f"expected {[source.n, target.n]}")
        if not np.all(np.isfinite(d)) or np.any(d < 0) or np.any(d != np.floor(d)):
            raise ValueError("DelayedConnection: delays must be whole numbers of steps >= 0")
        self.delays = d.astype(np.int64)
        self._args["delays"] = d.astype(np.float32)


class MeanFieldConnection(AbstractConnection):
    """Mean-field connection: ``mean(s) * w`` (``w`` a scalar or one per target; required).

    As BindsNET, the mean is over the batch rows as well as the source
    neurons (every row gets the same input); ``over_batch=False``
    (spikeflow only) keeps rows independent.
    """

    _type = "MeanFieldConnection"


__all__ = ["AbstractConnection", "Connection", "SparseConnection", "Conv1dConnection",
           "Conv2dConnection", "Conv3dConnection", "MaxPool1dConnection", "MaxPool2dConnection",
           "MaxPool3dConnection", "LocalConnection", "LocalConnection1D", "LocalConnection2D",
           "LocalConnection3D", "MeanFieldConnection", "DelayedConnection"]
