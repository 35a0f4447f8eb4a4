"""Learning rules written in Python: the machinery behind
``spikeflow.learning.SynapseRule`` and BindsNET-style ``LearningRule``
subclasses (``_connection_update``). The engine calls the ``_spikeflow_*``
methods with the GIL held, from inside ``Network.run``."""

import dis
import types

import numpy as np

#: Per-synapse arrays a SynapseRule phase can read (``syn.<name>``).
FIELDS = ("row", "pre", "post", "weight", "w", "wmin", "wmax", "nu_pre", "nu_post",
          "pre_s", "pre_x", "post_s", "post_x", "reward")
#: Requirements a rule may name in ``requires``.
REQUIREMENTS = ("pre_traces", "post_traces", "additive_pre_traces", "finite_bounds",
                "finite_wmax", "reward")


class Synapses:
    """The synapses one phase touches, one entry per synapse and batch row.

    Arrays (float32 unless said): ``row`` (batch row, uint32), ``pre`` /
    ``post`` (flat neuron indices, uint32), ``weight`` (index into the
    connection's engine weight order, uint32; shared convolution kernels map
    many synapses to one weight), ``w`` (the weight before this step),
    ``wmin``, ``wmax``, ``nu_pre``, ``nu_post``, ``pre_s``, ``pre_x``
    (source spike and trace), ``post_s``, ``post_x``, ``reward``. Scalars:
    ``n`` (number of synapses), ``shape``, ``dt``, ``phase`` (``"pre"``,
    ``"post"``, ``"every_step"``), ``batch_size``, ``n_pre``, ``n_post``.

    Two forms, one rule: in general every array is 1-D, one entry per
    synapse, and ``shape == (n,)``. Where the phase is a block of a dense
    weight matrix (``Connection`` at batch size 1: the rows of the sources
    that spiked × every target for ``on_pre``, every source × the columns
    of the targets that spiked for ``on_post``, everything for
    ``every_step``), ``shape == (rows, cols)`` and each array has the
    shape that broadcasts to it: per-source quantities (``pre``,
    ``pre_s``, ``pre_x``) ``(rows, 1)``, per-target ones (``post``,
    ``post_s``, ``post_x``) ``(1, cols)``, ones that are the same
    everywhere (``row``, ``reward``, scalar ``nu_*`` / ``wmin`` / ``wmax``)
    ``(1, 1)``, per-weight ones (``w``, ``weight``, per-synapse ``nu_*`` /
    bounds) ``(rows, cols)``. The spikes of the side that started the phase
    (``pre_s`` in ``on_pre``, ``post_s`` in ``on_post``) are 1 all over the
    block when spikes are binary: they come as ``(1, 1)``. Elementwise
    NumPy code works unchanged on both forms, and on the block it costs one
    pass per operation, without gathering per-neuron values per synapse.
    A result that stays ``(rows, 1)``, ``(1, cols)`` or ``(1, 1)`` (PostPre's
    ``pre_s * (post_x * -nu_pre)`` is ``(1, cols)``) is kept as that vector:
    the engine adds it to each weight of the block as NumPy would broadcast
    it, without the block ever being written out. Set ``block = False`` on
    the class to always get the 1-D form.

    Only the arrays the rule's phase method mentions are built (found in
    its code, and in the code of the rule's methods it calls); set
    ``reads = "all"`` (or a tuple of names) on the class if the method
    reaches them another way.
    """

    def __init__(self, fields, rule):
        self.__dict__.update(fields)
        self._rule = rule

    def __getattr__(self, name):
        if name in FIELDS:
            raise AttributeError(
                f"syn.{name} was not gathered for {self._rule}.on_{self.__dict__.get('phase')}: "
                f"the method's code does not mention {name!r}; set reads = 'all' (or a tuple "
                f"of names) on the rule class")
        raise AttributeError(f"syn has no attribute {name!r} (fields: {', '.join(FIELDS)})")

    def __len__(self):
        return self.n


def _code_names(code, seen):
    out = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType) and c not in seen:
            seen.add(c)
            out |= _code_names(c, seen)
    return out


def _reads(cls, method):
    """Names of FIELDS the method (and the class's methods it calls) mention."""
    reads = getattr(cls, "reads", None)
    if reads == "all":
        return list(FIELDS)
    names, todo, seen_m, seen_c = set(), [method], set(), set()
    while todo:
        m = todo.pop()
        if m in seen_m:
            continue
        seen_m.add(m)
        f = getattr(cls, m, None)
        code = getattr(f, "__code__", None)
        if code is None:
            return list(FIELDS)  # not plain Python code: gather everything
        found = _code_names(code, seen_c)
        names |= found
        todo.extend(n for n in found if callable(getattr(cls, n, None)) and n not in FIELDS)
    if reads:
        names |= set(reads)
    return [f for f in FIELDS if f in names]


def _overrides(cls, name, base):
    return getattr(cls, name, None) is not getattr(base, name, None)


def _check_requires(cls):
    req = tuple(getattr(cls, "requires", ()))
    bad = [r for r in req if r not in REQUIREMENTS]
    if bad:
        raise ValueError(f"{cls.__name__}.requires: unknown {bad} (known: {', '.join(REQUIREMENTS)})")
    return list(req)


class SynapseRuleMixin:
    """A learning rule written in Python once for every topology.

    Subclass it and implement any of ``on_pre(self, syn)`` (the synapses of
    the sources that spiked this step; runs where ``nu_pre`` is non-zero),
    ``on_post(self, syn)`` (of the targets that spiked; where ``nu_post`` is
    non-zero) and ``every_step(self, syn)`` (every synapse, every step).
    Each receives a :class:`Synapses` of NumPy arrays and returns the change
    of each synapse: a float32 array of shape ``syn.shape`` (or one that
    broadcasts to it, or 1-D of length ``syn.n``). The engine sums
    the changes per weight (batch rows, shared kernels), reduces them over
    the batch (``reduction``, mean by default), adds them, then applies
    weight decay and ``wmin``/``wmax``; every change is computed from the
    weights before the step, as for the built-in rules.

    Class attributes: ``requires`` — what the connection must provide,
    checked when the network is built (``"pre_traces"``, ``"post_traces"``,
    ``"additive_pre_traces"``, ``"finite_bounds"``, ``"finite_wmax"``,
    ``"reward"``); ``reads`` and ``block`` — see :class:`Synapses`.

    Attach it like a built-in rule: ``Connection(X, Y, update_rule=MyRule,
    nu=(1e-4, 1e-2))``. An exception raised by a phase stops ``run`` after
    that step and is re-raised by ``run``.

    Speed, on a dense ``Connection`` at batch size 1: return the smallest
    shape NumPy gives (a term per source or per target, see
    :class:`Synapses`) rather than broadcasting to the block yourself; and
    an ``on_post`` whose code does not mention ``w`` lets the engine keep
    its changes and add them to each weight row when the row is next read,
    instead of down whole columns every step (the same weights, bit for
    bit). Both together took the Python-written PostPre of
    ``bench/python_rule_w2.py`` from 0.26 to 0.09 s per simulated second.

    State of its own (traces of its own, an eligibility per synapse, as
    MSTDP/MSTDPET keep): keep it as attributes of the rule and update it in
    ``every_step``, which sees every synapse every step in the same order
    (``syn.row``, ``syn.pre``, ``syn.post`` index per-neuron arrays; see
    ``PyMSTDP`` in the package's tests, equal to the built-in MSTDP). Such
    state lives in Python: it is not reset by ``reset_state_variables``
    (nor is BindsNET's) and not saved by the engine.
    """

    requires = ()
    reads = None
    block = True

    def _python_engine_args(self):
        cls = type(self)
        from . import SynapseRule
        phases = {}
        for key, m in (("pre", "on_pre"), ("post", "on_post"), ("every_step", "every_step")):
            phases[key] = _reads(cls, m) if _overrides(cls, m, SynapseRule) else None
        if all(v is None for v in phases.values()):
            raise NotImplementedError(
                f"{cls.__name__}: a SynapseRule implements on_pre, on_post and/or every_step")
        self._phases = phases
        return {"update_rule": "__python_synapse__", "python_rule": self}

    def _spikeflow_spec(self):
        cls = type(self)
        return {"name": cls.__name__, "requires": _check_requires(cls), "phases": self._phases,
                "block": bool(getattr(cls, "block", True))}

    def _spikeflow_phase(self, phase, fields):
        syn = Synapses(fields, type(self).__name__)
        method = {"pre": "on_pre", "post": "on_post", "every_step": "every_step"}[phase]
        out = getattr(self, method)(syn)
        name = f"{type(self).__name__}.{method}"
        if not isinstance(out, np.ndarray):
            if not isinstance(out, np.generic):
                raise TypeError(f"{name} must return a float32 NumPy array of shape {syn.shape} "
                                f"(or broadcastable to it), got {type(out).__name__}")
            out = np.asarray(out)
        if out.dtype != np.float32:
            raise TypeError(f"{name} returned a {out.dtype} array; return float32 "
                            f"(e.g. .astype(np.float32)) so the changes are the engine's")
        shape = syn.shape
        if out.shape != shape and out.shape != (syn.n,):
            try:
                ok = np.broadcast_shapes(out.shape, shape) == shape
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"{name} returned shape {out.shape}; expected {shape} (one "
                                 f"change per synapse), or a shape that broadcasts to it")
        return out

    def on_pre(self, syn):
        """Changes of the synapses of sources that spiked (float32 ``syn.shape``)."""
        raise NotImplementedError

    def on_post(self, syn):
        """Changes of the synapses of targets that spiked (float32 ``syn.shape``)."""
        raise NotImplementedError

    def every_step(self, syn):
        """Changes of every synapse, every step (float32 ``syn.shape``)."""
        raise NotImplementedError


class _Layer:
    """What a BindsNET-style rule sees as ``self.source`` / ``self.target``
    during ``_connection_update``: the layer's ``s`` (bool) and ``x``
    (float32) as NumPy arrays ``[batch, *shape]``, and its ``n``, ``shape``,
    ``batch_size``, ``traces``, ``name``."""

    def __init__(self, layer, s, x, batch):
        shape = (batch, *layer.shape)
        self.s = s.reshape(shape)
        self.x = x.reshape(shape)
        self.n, self.shape, self.batch_size = layer.n, list(layer.shape), batch
        self.traces = getattr(layer, "traces", False)
        self.name = getattr(layer, "name", None)
        self.layer = layer


class _Conn:
    """``self.connection`` during ``_connection_update``: ``w`` in BindsNET's
    layout (write it, in place or by assignment), ``wmin``, ``wmax``,
    ``source``, ``target``, and the connection's other attributes."""

    def __init__(self, conn, w, source, target):
        self.w = w
        self.source, self.target = source, target
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _reducer(name):
    f = np.sum if name == "sum" else np.mean

    def reduction(x, dim=0, axis=None):
        return f(x, axis=dim if axis is None else axis).astype(np.float32, copy=False)

    reduction.__name__ = name or "mean"
    return reduction


class LearningRuleMixin:
    """BindsNET-style rules written in Python: subclass
    ``spikeflow.learning.LearningRule`` and implement
    ``_connection_update(self, **kwargs)``, reading ``self.source.s`` /
    ``.x``, ``self.target.s`` / ``.x`` (NumPy ``[batch, *shape]``; ``s``
    bool), ``self.connection.w`` (BindsNET's layout: ``[n_pre, n_post]``,
    ``[out, in, *kernel]`` for convolutions), ``self.nu`` (float32 ``[2]``),
    ``self.reduction`` (``reduction(x, dim=0)``: mean by default, or sum) and
    writing ``self.connection.w``. ``kwargs`` holds ``reward`` and ``dt``.
    The engine calls it once per learning step, then applies weight decay
    and clamping: ``super().update()`` / ``self.update()`` does nothing
    here. Runs on ``Connection`` and ``Conv1d/2d/3dConnection``.
    ``self.weight_decay`` is the fraction given to the connection (BindsNET
    keeps ``1 - weight_decay``).
    """

    requires = ()

    def update(self, **kwargs):
        """No-op: the engine applies weight decay and clamping after the rule."""

    def _python_engine_args(self):
        cls = type(self)
        from . import LearningRule
        if not _overrides(cls, "_connection_update", LearningRule):
            raise NotImplementedError(
                f"learning rule {cls.__name__}: a rule written in Python implements "
                "_connection_update(self, **kwargs) (BindsNET-style) or subclasses "
                "spikeflow.learning.SynapseRule")
        _check_requires(cls)
        return {"update_rule": "__python_connection__", "python_rule": self}

    def _connection_update(self, **kwargs):
        raise NotImplementedError

    def _spikeflow_connection_update(self, pre_s, pre_x, post_s, post_x, w, reward, dt):
        conn = self.connection
        batch = reward.shape[0]
        shape = conn._w_shape() if hasattr(conn, "_w_shape") else None
        w = w.reshape(shape) if shape is not None else w
        saved = {k: self.__dict__.get(k) for k in ("source", "target", "connection", "nu",
                                                    "reduction")}
        src = _Layer(conn.source, pre_s, pre_x, batch)
        tgt = _Layer(conn.target, post_s, post_x, batch)
        view = _Conn(conn, w, src, tgt)
        self.source, self.target, self.connection = src, tgt, view
        self.nu = saved["nu"] if saved["nu"] is not None else np.zeros(2, np.float32)
        self.reduction = _reducer(self._reduction)
        try:
            self._connection_update(reward=reward if batch > 1 else reward[0], dt=dt)
            out = view.w
        finally:
            self.__dict__.update(saved)
        name = f"{type(self).__name__}._connection_update"
        if not isinstance(out, np.ndarray) or out.dtype != np.float32:
            raise TypeError(f"{name}: connection.w must stay a float32 NumPy array, got "
                            f"{getattr(out, 'dtype', type(out).__name__)}")
        if out.size != w.size or (shape is not None and out.shape != tuple(shape)):
            raise ValueError(f"{name}: connection.w has shape {out.shape}, expected {w.shape}")
        return np.ascontiguousarray(out).reshape(-1)
