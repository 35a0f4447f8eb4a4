"""Learning rules (``bindsnet.learning``).

As in BindsNET, pass the *class* as a connection's ``update_rule``; the
connection instantiates it with ``nu``, ``reduction``, ``weight_decay`` and
the rule's own arguments (``tc_plus``, ``tc_minus``, ``tc_e_trace``, ``tc_c``,
``x_tar``, ``mu``, …). Each class names one engine rule, written once for
every topology.

Rules written in Python, two ways (``docs/adding-a-learning-rule.md``,
"Custom rules in Python"):

* subclass :class:`SynapseRule` and write vectorised ``on_pre(self, syn)`` /
  ``on_post(self, syn)`` / ``every_step(self, syn)`` over NumPy arrays of
  the synapses a phase touches: runs on every topology through the
  engine's generic loop (reduction, weight decay, bounds, norm shared);
* subclass :class:`LearningRule` and write BindsNET's
  ``_connection_update(self, **kwargs)`` with NumPy instead of torch
  (``Connection`` and ``Conv1d/2d/3dConnection``).

Difference: ``reduction=None`` averages over the batch (the mean BindsNET's
guide documents); BindsNET's code sums for batch > 1. Pass
``reduction=np.sum`` (or ``torch.sum``, or ``"sum"``) for the sum.
"""

import numpy as np

from .._arrays import as_f32
from ._python import LearningRuleMixin, SynapseRuleMixin, Synapses


def _reduction(r):
    if r is None:
        return None
    if isinstance(r, str):
        name = r
    else:
        name = getattr(r, "__name__", "")
    if name in ("mean", "sum"):
        return name
    raise NotImplementedError(
        f"reduction {r!r}: spikeflow supports mean and sum (np.mean / np.sum / torch.mean / torch.sum)")


class LearningRule(LearningRuleMixin):
    """Base rule: ``(connection, nu=None, reduction=None, weight_decay=0.0, **kwargs)``.

    ``nu``: ``None`` (no learning), a number (both rates) or a pair
    ``(nu_pre, nu_post)``.

    A subclass that implements ``_connection_update(self, **kwargs)`` is a
    BindsNET-style rule written in Python: see ``_python.LearningRuleMixin``.
    """

    _name = None
    _kwargs = ()

    def __init__(self, connection=None, nu=None, reduction=None, weight_decay=0.0, **kwargs):
        self.connection = connection
        if nu is None:
            self.nu = None
        else:
            a = as_f32(nu, "nu").ravel()
            if a.size == 1:
                a = np.array([a[0], a[0]], dtype=np.float32)
            if a.size != 2:
                raise ValueError(f"nu must be a number or a pair, got {a.size} values")
            self.nu = a
        self.reduction = reduction
        self._reduction = _reduction(reduction)
        self.weight_decay = float(weight_decay or 0.0)
        self.kwargs = {k: v for k, v in kwargs.items() if k in self._kwargs and v is not None}

    def _engine_args(self):
        cls = type(self)
        if cls.__module__ != __name__:
            d = self._python_engine_args()
        else:
            d = dict(self.kwargs)
            d["update_rule"] = self._name
        if self.nu is not None:
            d["nu"] = self.nu
        if self._reduction is not None:
            d["reduction"] = self._reduction
        d["weight_decay"] = self.weight_decay
        return d


def _rule(name, kwargs, doc, state=None):
    attrs = {"_name": name, "_kwargs": kwargs, "__doc__": doc}
    attrs.update(state or {})
    cls = type(name, (LearningRule,), attrs)
    cls.__module__ = __name__
    return cls


def _engine_state(rule, var):
    """The engine's copy of a rule's state (flat), or None before the build."""
    conn = rule.connection
    net = getattr(conn, "network", None)
    if net is None or net._engine is None:
        return None
    return net._engine.connection_state(net._conn_name(conn.key), var)


def _trace(var, side, doc):
    """A rule trace as BindsNET keeps it: ``[batch, n]`` (MSTDP), read from
    the engine; ``None`` before the network is built (BindsNET creates it
    lazily at the first update)."""

    def get(self):
        v = _engine_state(self, var)
        if v is None:
            return None
        n = getattr(self.connection, side).n
        return v.reshape(-1, n)

    return property(get, doc=doc)


def _eligibility_trace(self):
    v = _engine_state(self, "eligibility")
    if v is None:
        return None
    c = self.connection
    n_pre, n_post = c.source.n, c.target.n
    if v.size % (n_pre * n_post):
        raise NotImplementedError(
            f"{type(self).__name__}.eligibility_trace: shown in BindsNET's [n_pre, n_post] layout for "
            f"dense connections only ({type(c).__name__} keeps one value per stored synapse)")
    return v.reshape(-1, n_pre, n_post)


_REWARD_STATE = {
    "p_plus": _trace("pre_trace", "source", "p⁺ per source neuron, [batch, n_pre]."),
    "p_minus": _trace("post_trace", "target", "p⁻ per target neuron, [batch, n_post]."),
}


NoOp = _rule("NoOp", (), "No learning (weight decay still applies).")
PostPre = _rule("PostPre", (), "Pair-based trace STDP: depression on pre spikes (nu[0]), "
                "potentiation on post spikes (nu[1]). Needs traces on both layers.")
WeightDependentPostPre = _rule("WeightDependentPostPre", (),
                               "Soft-bounded STDP (needs finite wmin and wmax).")
Hebbian = _rule("Hebbian", (), "Hebbian rule: both terms potentiate.")
MSTDP = _rule("MSTDP", ("tc_plus", "tc_minus", "a_plus", "a_minus", "zero_lag"),
              "Reward-modulated STDP (tc_plus=20, tc_minus=20, a_plus=1, a_minus=-1); pass reward= to run. "
              "Its traces read as ``p_plus`` / ``p_minus`` (BindsNET's names, from the engine).",
              _REWARD_STATE)
MSTDPET = _rule("MSTDPET", ("tc_plus", "tc_minus", "a_plus", "a_minus", "zero_lag", "tc_e_trace"),
                "Reward-modulated STDP with eligibility trace (MSTDP defaults, tc_e_trace=25). Its "
                "state reads as ``p_plus``, ``p_minus`` and ``eligibility_trace`` ([batch, n_pre, "
                "n_post], dense connections) — BindsNET's names, from the engine.",
                dict(_REWARD_STATE, eligibility_trace=property(
                    _eligibility_trace, doc="The eligibility trace E, [batch, n_pre, n_post].")))
Rmax = _rule("Rmax", ("tc_c", "tc_e_trace"), "Reward-maximisation rule (tc_c=5, tc_e_trace=25); "
             "needs an SRM0Nodes target.")
DiehlAndCook = _rule("DiehlAndCook", ("x_tar", "mu"), "Diehl & Cook's rule (x_tar=0.4, mu=1).")

RULE_KWARGS = frozenset(k for r in (MSTDPET, Rmax, DiehlAndCook) for k in r._kwargs)

class SynapseRule(SynapseRuleMixin, LearningRule):
    __doc__ = SynapseRuleMixin.__doc__



__all__ = ["SynapseRule", "Synapses", "LearningRule", "NoOp", "PostPre", "WeightDependentPostPre", "Hebbian", "MSTDP",
           "MSTDPET", "Rmax", "DiehlAndCook"]
