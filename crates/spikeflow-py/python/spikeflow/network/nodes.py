"""Neuron populations (``bindsnet.network.nodes``).

Each class takes BindsNET 0.3.4's constructor arguments. Model parameters you
do not pass take the engine's default, which is BindsNET's (listed in each
docstring). State (``s``, ``v``, ``x``, ``theta``, ``summed``, …) is read
from the engine as NumPy arrays ``[batch, *shape]`` (``theta``: ``[*shape]``)
once the layer is in a network; reading it builds the network if needed.
"""

import warnings

import numpy as np

from .._arrays import as_f32, param

_STATE = ("s", "v", "x", "theta", "summed", "i", "u", "refrac_count", "s_prob", "ge", "gi")


class Nodes:
    """Base of every population: ``n`` or ``shape``, ``traces``,
    ``traces_additive``, ``tc_trace=20.0``, ``trace_scale=1.0``,
    ``sum_input=False``, ``learning=True``."""

    _type = None
    _params = ()

    def __init__(self, n=None, shape=None, traces=False, traces_additive=False,
                 tc_trace=20.0, trace_scale=1.0, sum_input=False, learning=True, **kwargs):
        if n is None and shape is None:
            raise ValueError(f"{type(self).__name__}: give n or shape")
        if shape is None:
            shape = [int(n)]
        shape = [int(d) for d in (shape if np.ndim(shape) else [shape])]
        if n is not None and int(np.prod(shape)) != int(n):
            raise ValueError(f"{type(self).__name__}: n={n} does not match shape {shape}")
        self.n = int(np.prod(shape))
        self.shape = shape
        self.traces = bool(traces)
        self.traces_additive = bool(traces_additive)
        self.sum_input = bool(sum_input)
        self.learning = bool(learning)
        self._args = {
            "traces": self.traces,
            "traces_additive": self.traces_additive,
            "tc_trace": param(tc_trace, "tc_trace"),
            "trace_scale": param(trace_scale, "trace_scale"),
            "sum_input": self.sum_input,
        }
        for k, v in kwargs.items():
            if k in self._params:
                if v is not None:
                    self._args[k] = v if isinstance(v, bool) else param(v, k)
            else:
                # BindsNET swallows unknown arguments; say so instead.
                warnings.warn(f"{type(self).__name__}: argument {k!r} is ignored", stacklevel=2)
        self.network = None
        self.name = None

    def __getattr__(self, name):
        if name in _STATE:
            net = self.__dict__.get("network")
            if net is None:
                raise AttributeError(f"{type(self).__name__}.{name}: add the layer to a network first")
            return net._engine_now().variable(self.name, name)
        if name in self.__dict__.get("_params", type(self)._params):
            return self.__dict__["_args"].get(name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in _STATE and self.__dict__.get("network") is not None:
            a = as_f32(value, f"{self.name}.{name}")
            self.network._engine_now().set_variable(self.name, name, a)
        else:
            object.__setattr__(self, name, value)

    def train(self, mode=True):
        """Sets ``learning`` (gates adaptive thresholds); the network's flag rules."""
        self.learning = bool(mode)
        return self

    def __repr__(self):
        return f"{type(self).__name__}(shape={self.shape})"


def _model(name, type_name, params, doc):
    cls = type(name, (Nodes,), {"_type": type_name, "_params": params, "__doc__": doc})
    cls.__module__ = __name__
    return cls


_LIF = ("thresh", "rest", "reset", "refrac", "tc_decay", "lbound")

Input = _model("Input", "Input", (), "Input layer: its spikes (or real values) are the run's input.")
McCullochPitts = _model("McCullochPitts", "McCullochPitts", ("thresh",),
                        "Threshold units: ``s = v >= thresh`` with ``v = input`` (thresh=1.0).")
IFNodes = _model("IFNodes", "IFNodes", ("thresh", "reset", "refrac", "lbound"),
                 "Integrate-and-fire (thresh=-52, reset=-65, refrac=5, lbound=None).")
LIFNodes = _model("LIFNodes", "LIFNodes", _LIF,
                  "Leaky integrate-and-fire (thresh=-52, rest=-65, reset=-65, refrac=5, "
                  "tc_decay=100, lbound=None).")
BoostedLIFNodes = _model("BoostedLIFNodes", "BoostedLIFNodes", ("thresh", "refrac", "tc_decay"),
                         "BindsNET's BoostedLIFNodes (thresh=13, refrac=5, tc_decay=100).")
CurrentLIFNodes = _model("CurrentLIFNodes", "CurrentLIFNodes", _LIF + ("tc_i_decay",),
                         "Current-based LIF (LIF defaults, tc_i_decay=2).")
AdaptiveLIFNodes = _model("AdaptiveLIFNodes", "AdaptiveLIFNodes", _LIF + ("theta_plus", "tc_theta_decay"),
                          "LIF with an adaptive threshold theta (LIF defaults, theta_plus=0.05, "
                          "tc_theta_decay=1e7).")
DiehlAndCookNodes = _model("DiehlAndCookNodes", "DiehlAndCookNodes",
                           _LIF + ("theta_plus", "tc_theta_decay", "one_spike"),
                           "Diehl & Cook (2015) neurons: adaptive LIF, at most one spike per step "
                           "per sample with one_spike=True (AdaptiveLIF defaults).")
IzhikevichNodes = _model("IzhikevichNodes", "IzhikevichNodes",
                         ("excitatory", "thresh", "rest", "lbound", "a", "b", "c", "d", "S"),
                         "Izhikevich neurons (excitatory=1, thresh=45, rest=-65); the per-neuron "
                         "parameters are drawn from the network's seed unless given (spikeflow only: "
                         "all of ``a``, ``b``, ``c``, ``d`` ``[n]`` and ``S`` ``[n, n]``, ``S[j, k]`` "
                         "= effect of neuron k's spike on neuron j, BindsNET's layout).")
SRM0Nodes = _model("SRM0Nodes", "SRM0Nodes", _LIF + ("eps_0", "rho_0", "d_thresh"),
                   "Stochastic spike-response model (thresh=-50, rest=-70, reset=-70, refrac=5, "
                   "tc_decay=10, eps_0=1, rho_0=1, d_thresh=5).")
CSRMNodes = _model("CSRMNodes", "CSRMNodes",
                   ("rest", "thresh", "tau", "res_window_size", "ref_window_size", "reset_const",
                    "tc_decay", "theta_plus", "tc_theta_decay", "lbound"),
                   "Cumulative spike-response model (exponential response kernel).")

ConductanceLIFNodes = _model(
    "ConductanceLIFNodes", "ConductanceLIFNodes",
    ("inhibitory", "adaptive", "v_rest", "v_reset", "v_thresh", "v_init", "refrac", "tau_m", "tau_ge",
     "tau_gi", "e_exc", "e_inh", "theta_plus", "tau_theta", "theta_init", "theta_offset",
     "euler_limit"),
    "spikeflow only (not in BindsNET): conductance-based LIF, Diehl & Cook (2015)'s own neuron "
    "(their Brian script's Euler step). Defaults: the excitatory neuron (v_rest=-65, v_reset=-65, "
    "v_thresh=-52, v_init=-105, refrac=5, tau_m=100, tau_ge=1, tau_gi=2, e_exc=0, e_inh=-100, "
    "adaptive threshold theta_plus=0.05, tau_theta=1e7, theta_init=20, theta_offset=20); "
    "``inhibitory=True`` starts from the inhibitory one (v_rest=-60, v_reset=-45, v_thresh=-40, "
    "v_init=-100, refrac=2, tau_m=10, e_inh=-85, no adaptation); ``adaptive`` turns the adaptive "
    "threshold on or off. ``euler_limit`` (default 1, at least 1): the largest Euler factor "
    "dt/tau_m*(1 + g_e + g_i) stepped as the script does; above it ``v`` lands on the step's "
    "equilibrium (2: the script's step wherever it is stable; ``float('inf')``: always, which runs "
    "away under strong inhibition). Input goes to the excitatory conductance ``g_e``; a connection with "
    "``receptor=1`` feeds the inhibitory one ``g_i``. State: ``v``, ``s``, ``theta``, ``ge``, ``gi``.")

__all__ = ["Nodes", "Input", "McCullochPitts", "IFNodes", "LIFNodes", "BoostedLIFNodes",
           "CurrentLIFNodes", "AdaptiveLIFNodes", "DiehlAndCookNodes", "IzhikevichNodes",
           "SRM0Nodes", "CSRMNodes", "ConductanceLIFNodes"]
