"""Ready-made networks (``bindsnet.models``).

Each class is a ``spikeflow.network.Network`` with BindsNET's constructor
arguments, layer names and connections, built by the Rust library's model
of the same name (``spikeflow::models``): ``layers``, ``connections``,
``add_monitor``, ``run``, ``train`` and ``reset_state_variables`` work as on
any network. The lateral connections of the Diehl & Cook models are built
in O(n) form (one-to-one and "all but self"), which give the same spikes as
BindsNET's dense ``exc·I`` and ``−inh·(1 − I)`` matrices; ``w`` of those
connections still reads as the dense matrix.

Arguments BindsNET has and spikeflow ignores: ``device``, ``w_dtype``,
``sparse`` (weights are always stored the way the engine runs fastest).
Spikeflow only: ``seed=`` (initial weights and every draw of the network;
default 0) and ``batch_size=`` (default 1; a run with a different batch
size rebuilds the network, keeping weights and thresholds).

Differences: ``reduction=None`` is the batch mean (BindsNET sums for batch
> 1); the initial weights are ``0.3·U(0, 1)`` drawn from ``seed``, not from
torch's generator. Adding layers or connections to a model works, but the
network is then rebuilt from the Python descriptions, with the lateral
connections as BindsNET's dense matrices.
"""

import numpy as np

from .. import _native
from ..learning import PostPre
from ..network import Network
from ..network.nodes import DiehlAndCookNodes, Input, LIFNodes
from ..network.topology import Connection, LocalConnection


def _reduction(r):
    if r is None:
        return "mean"
    name = r if isinstance(r, str) else getattr(r, "__name__", "")
    if name in ("mean", "sum"):
        return name
    raise NotImplementedError(f"reduction {r!r}: spikeflow supports mean and sum")


def _nu(nu):
    a = np.asarray(nu, dtype=np.float32).ravel()
    return [float(a[0]), float(a[-1])]


class _Model(Network):
    """A network whose engine is one of the library's models."""

    _kind = None

    def __init__(self, dt, batch_size, seed):
        super().__init__(dt=dt, batch_size=batch_size or 1, learning=True, seed=seed)
        self._model_args = None  # set once the layers are described

    def _ready(self, **kwargs):
        """Records the model's arguments; the Python objects describe it."""
        self._model_args = {k: v for k, v in kwargs.items() if v is not None}
        self._custom = False
        # Built now, so that a later structural change (which rebuilds from
        # the Python descriptions) starts from the model's weights.
        self._engine_now()

    def add_layer(self, layer, name):
        if self._model_args is not None:
            self._custom = True
        super().add_layer(layer, name)

    def add_connection(self, connection, source, target):
        if self._model_args is not None:
            self._custom = True
        super().add_connection(connection, source, target)

    def _engine_now(self):
        if self._engine is None and self._model_args is not None and not self._custom:
            args = dict(self._model_args, dt=self.dt, batch_size=self.batch_size, seed=self.seed)
            eng = _native.Engine.model(self._kind, args, self.learning)
            for key, c in self.connections.items():
                if c._w is not None:  # weights kept by a rebuild, or set before
                    try:
                        eng.set_weights(self._conn_name(key), c._w)
                    except NotImplementedError:
                        pass  # fixed or local connections keep the model's
            for name, m in self.monitors.items():
                eng.add_monitor(name, m._target(), list(m.state_vars), m.time)
            for name, theta in getattr(self, "_theta", {}).items():
                if name in self.layers:
                    eng.set_variable(name, "theta", theta)
            self._theta = {}
            self._engine = eng
        return super()._engine_now()


def _excitatory(n, exc_thresh, theta_plus, tc_theta_decay):
    return DiehlAndCookNodes(n=n, traces=True, rest=-65.0, reset=-60.0, thresh=exc_thresh,
                             refrac=5, tc_decay=100.0, tc_trace=20.0, theta_plus=theta_plus,
                             tc_theta_decay=tc_theta_decay)


def _lateral(src, dst, n, inh):
    w = -inh * (1.0 - np.eye(n, dtype=np.float32))
    return Connection(src, dst, w=w, wmin=-inh, wmax=0.0)


class DiehlAndCook2015(_Model):
    """Diehl & Cook (2015) as BindsNET builds it.

    ``DiehlAndCook2015(n_inpt, n_neurons=100, exc=22.5, inh=17.5, dt=1.0,
    nu=(1e-4, 1e-2), reduction=None, wmin=0.0, wmax=1.0, norm=78.4,
    theta_plus=0.05, tc_theta_decay=1e7, inpt_shape=None, inh_thresh=-40.0,
    exc_thresh=-52.0, *, batch_size=1, seed=0)``. Layers ``X`` (Input,
    traces), ``Ae`` (DiehlAndCookNodes), ``Ai`` (LIFNodes); connections
    ``(X, Ae)`` (``0.3·U(0,1)``, PostPre, ``[wmin, wmax]``, ``norm``),
    ``(Ae, Ai)`` (``exc`` one-to-one) and ``(Ai, Ae)`` (``−inh`` to every
    other neuron). BindsNET's examples pass ``inh=120``.
    """

    _kind = "DiehlAndCook2015"

    def __init__(self, n_inpt, device="cpu", batch_size=None, sparse=False, n_neurons=100,
                 exc=22.5, inh=17.5, dt=1.0, nu=(1e-4, 1e-2), reduction=None, wmin=0.0,
                 wmax=1.0, w_dtype=None, norm=78.4, theta_plus=0.05, tc_theta_decay=1e7,
                 inpt_shape=None, inh_thresh=-40.0, exc_thresh=-52.0, *, seed=0):
        super().__init__(dt, batch_size, seed)
        self.n_inpt, self.n_neurons, self.exc, self.inh = int(n_inpt), int(n_neurons), exc, inh
        self.inpt_shape = inpt_shape
        shape = [int(d) for d in inpt_shape] if inpt_shape is not None else None
        x = Input(n=self.n_inpt, shape=shape, traces=True, tc_trace=20.0)
        ae = _excitatory(self.n_neurons, exc_thresh, theta_plus, tc_theta_decay)
        ai = LIFNodes(n=self.n_neurons, traces=False, rest=-60.0, reset=-45.0, thresh=inh_thresh,
                      tc_decay=10.0, refrac=2, tc_trace=20.0)
        self.add_layer(x, "X")
        self.add_layer(ae, "Ae")
        self.add_layer(ai, "Ai")
        self.add_connection(Connection(x, ae, update_rule=PostPre, nu=nu, reduction=reduction,
                                       wmin=wmin, wmax=wmax, norm=norm), "X", "Ae")
        n = self.n_neurons
        self.add_connection(Connection(ae, ai, w=exc * np.eye(n, dtype=np.float32), wmin=0.0,
                                       wmax=exc), "Ae", "Ai")
        self.add_connection(_lateral(ai, ae, n, inh), "Ai", "Ae")
        self._ready(n_inpt=self.n_inpt, inpt_shape=shape, n_neurons=n, exc=exc, inh=inh,
                    nu=_nu(nu), reduction=_reduction(reduction), wmin=wmin, wmax=wmax, norm=norm,
                    theta_plus=theta_plus, tc_theta_decay=tc_theta_decay,
                    inh_thresh=inh_thresh, exc_thresh=exc_thresh)


class DiehlAndCook2015v2(_Model):
    """``DiehlAndCook2015`` without the inhibitory layer: ``X → Y``
    (DiehlAndCookNodes, PostPre) and a recurrent ``Y → Y`` ``−inh·(1 − I)``.

    ``DiehlAndCook2015v2(n_inpt, n_neurons=100, inh=17.5, dt=1.0, nu=(1e-4,
    1e-2), reduction=None, wmin=0.0, wmax=1.0, norm=78.4, theta_plus=0.05,
    tc_theta_decay=1e7, inpt_shape=None, exc_thresh=-52.0, *, batch_size=1,
    seed=0)``.
    """

    _kind = "DiehlAndCook2015v2"

    def __init__(self, n_inpt, n_neurons=100, inh=17.5, dt=1.0, nu=(1e-4, 1e-2), reduction=None,
                 wmin=0.0, wmax=1.0, norm=78.4, theta_plus=0.05, tc_theta_decay=1e7,
                 inpt_shape=None, exc_thresh=-52.0, *, batch_size=None, seed=0, **kwargs):
        super().__init__(dt, batch_size, seed)
        self.n_inpt, self.n_neurons, self.inh = int(n_inpt), int(n_neurons), inh
        shape = [int(d) for d in inpt_shape] if inpt_shape is not None else None
        x = Input(n=self.n_inpt, shape=shape, traces=True, tc_trace=20.0)
        y = _excitatory(self.n_neurons, exc_thresh, theta_plus, tc_theta_decay)
        self.add_layer(x, "X")
        self.add_layer(y, "Y")
        self.add_connection(Connection(x, y, update_rule=PostPre, nu=nu, reduction=reduction,
                                       wmin=wmin, wmax=wmax, norm=norm), "X", "Y")
        self.add_connection(_lateral(y, y, self.n_neurons, inh), "Y", "Y")
        self._ready(n_inpt=self.n_inpt, inpt_shape=shape, n_neurons=self.n_neurons, inh=inh,
                    nu=_nu(nu), reduction=_reduction(reduction), wmin=wmin, wmax=wmax, norm=norm,
                    theta_plus=theta_plus, tc_theta_decay=tc_theta_decay, exc_thresh=exc_thresh)


class TwoLayerNetwork(_Model):
    """``X`` (Input, traces) → ``Y`` (LIFNodes rest −65, reset −65, thresh
    −52, refrac 5, tc_decay 100, traces) through a dense ``0.3·U(0,1)``
    connection with PostPre.

    ``TwoLayerNetwork(n_inpt, n_neurons=100, dt=1.0, wmin=0.0, wmax=1.0,
    nu=(1e-4, 1e-2), reduction=None, norm=78.4, *, batch_size=1, seed=0)``.
    """

    _kind = "TwoLayerNetwork"

    def __init__(self, n_inpt, n_neurons=100, dt=1.0, wmin=0.0, wmax=1.0, nu=(1e-4, 1e-2),
                 reduction=None, norm=78.4, *, batch_size=None, seed=0):
        super().__init__(dt, batch_size, seed)
        self.n_inpt, self.n_neurons = int(n_inpt), int(n_neurons)
        x = Input(n=self.n_inpt, traces=True, tc_trace=20.0)
        y = LIFNodes(n=self.n_neurons, traces=True, rest=-65.0, reset=-65.0, thresh=-52.0,
                     refrac=5, tc_decay=100.0, tc_trace=20.0)
        self.add_layer(x, "X")
        self.add_layer(y, "Y")
        self.add_connection(Connection(x, y, update_rule=PostPre, nu=nu, reduction=reduction,
                                       wmin=wmin, wmax=wmax, norm=norm), "X", "Y")
        self._ready(n_inpt=self.n_inpt, n_neurons=self.n_neurons, nu=_nu(nu),
                    reduction=_reduction(reduction), wmin=wmin, wmax=wmax, norm=norm)


class IncreasingInhibitionNetwork(_Model):
    """Hazan et al. (2018) LM-SNN: ``X → Y`` as in ``DiehlAndCook2015v2``;
    recurrent ``Y → Y`` (no learning) growing with the distance on a
    ``⌊√n⌋``-wide grid: ``(d / max d)·max_inhib + start_inhib``.

    ``IncreasingInhibitionNetwork(n_input, n_neurons=100, start_inhib=1.0,
    max_inhib=100.0, dt=1.0, nu=(1e-4, 1e-2), reduction=None, wmin=0.0,
    wmax=1.0, norm=78.4, theta_plus=0.05, tc_theta_decay=1e7,
    inpt_shape=None, exc_thresh=-52.0, *, batch_size=1, seed=0)``. Change
    the recurrent weights between samples through
    ``connections[("Y", "Y")].w`` as BindsNET's SOM example does.
    """

    _kind = "IncreasingInhibitionNetwork"

    def __init__(self, n_input, n_neurons=100, start_inhib=1.0, max_inhib=100.0, dt=1.0,
                 nu=(1e-4, 1e-2), reduction=None, wmin=0.0, wmax=1.0, norm=78.4,
                 theta_plus=0.05, tc_theta_decay=1e7, inpt_shape=None, exc_thresh=-52.0, *,
                 batch_size=None, seed=0, **kwargs):
        super().__init__(dt, batch_size, seed)
        self.n_input, self.n_neurons = int(n_input), int(n_neurons)
        shape = [int(d) for d in inpt_shape] if inpt_shape is not None else None
        x = Input(n=self.n_input, shape=shape, traces=True, tc_trace=20.0)
        y = _excitatory(self.n_neurons, exc_thresh, theta_plus, tc_theta_decay)
        self.add_layer(x, "X")
        self.add_layer(y, "Y")
        self.add_connection(Connection(x, y, update_rule=PostPre, nu=nu, reduction=reduction,
                                       wmin=wmin, wmax=wmax, norm=norm), "X", "Y")
        self.add_connection(Connection(y, y), "Y", "Y")
        self._ready(n_inpt=self.n_input, inpt_shape=shape, n_neurons=self.n_neurons,
                    start_inhib=start_inhib, max_inhib=max_inhib, nu=_nu(nu),
                    reduction=_reduction(reduction), wmin=wmin, wmax=wmax, norm=norm,
                    theta_plus=theta_plus, tc_theta_decay=tc_theta_decay, exc_thresh=exc_thresh)


class LocallyConnectedNetwork(_Model):
    """``X`` → ``Y`` (DiehlAndCookNodes, ``n_filters · conv_size²``) through
    BindsNET's legacy ``LocalConnection`` with PostPre (``norm`` per kernel
    element), and ``−inh`` between different filters at the same position.

    ``LocallyConnectedNetwork(n_inpt, input_shape, kernel_size, stride,
    n_filters, inh=25.0, dt=1.0, nu=(1e-4, 1e-2), reduction=None,
    theta_plus=0.05, tc_theta_decay=1e7, wmin=0.0, wmax=1.0, norm=0.2,
    exc_thresh=-52.0, *, seed=0)``. Batch size 1 only (as BindsNET's
    ``LocalConnection``).
    """

    _kind = "LocallyConnectedNetwork"

    def __init__(self, n_inpt, input_shape, kernel_size, stride, n_filters, inh=25.0, dt=1.0,
                 nu=(1e-4, 1e-2), reduction=None, theta_plus=0.05, tc_theta_decay=1e7,
                 wmin=0.0, wmax=1.0, norm=0.2, exc_thresh=-52.0, *, seed=0, **kwargs):
        super().__init__(dt, 1, seed)
        h, w = (int(d) for d in input_shape)
        k, s = int(kernel_size), int(stride)
        if h * w != int(n_inpt):
            raise ValueError(f"LocallyConnectedNetwork: n_inpt={n_inpt} is not {h}×{w}")
        conv = (1, 1) if (k, k) == (h, w) else ((h - k) // s + 1, (w - k) // s + 1)
        self.n_filters, self.conv_size = int(n_filters), conv
        n = self.n_filters * conv[0] * conv[1]
        x = Input(n=h * w, traces=True, tc_trace=20.0)
        y = _excitatory(n, exc_thresh, theta_plus, tc_theta_decay)
        self.add_layer(x, "X")
        self.add_layer(y, "Y")
        self.add_connection(LocalConnection(x, y, k, s, self.n_filters, input_shape=(h, w),
                                            update_rule=PostPre, nu=nu, reduction=reduction,
                                            wmin=wmin, wmax=wmax, norm=norm), "X", "Y")
        self.add_connection(Connection(y, y), "Y", "Y")
        self._ready(n_inpt=h * w, input_shape=[h, w], kernel_size=k, stride=s,
                    n_filters=self.n_filters, inh=inh, nu=_nu(nu), reduction=_reduction(reduction),
                    theta_plus=theta_plus, tc_theta_decay=tc_theta_decay, wmin=wmin, wmax=wmax,
                    norm=norm, exc_thresh=exc_thresh)


class DiehlCookPaper:
    """Diehl & Cook (2015) as the paper and the authors' Brian script build
    it — not BindsNET's current-based approximation (:class:`DiehlAndCook2015`).
    spikeflow only (BindsNET has no such model); the library's
    ``spikeflow::models::diehl_cook_paper`` and ``spikeflow train --model
    diehl-cook-2015-paper`` run the same network.

    ``DiehlCookPaper(n_neurons=100, *, n_inputs=784, seed=0, dt=0.5,
    exposure_ms=350.0, rest_ms=150.0, intensity=2.0, min_spikes=5.0,
    max_intensity=64.0, norm=78.0, nu=(1e-4, 1e-2), wmax=1.0,
    init_scale=0.3, input_delay_ms=(0.0, 10.0), exc_to_inh=10.4,
    inh_to_exc=17.0, arrival_time_stdp=True, closed_form_rest=False,
    closed_form_training_rest=False, euler_limit=1.0)``.

    Conductance-based excitatory (``Ae``) and inhibitory (``Ai``) layers,
    delayed input ``X → Ae`` learned by the paper's STDP, ``Ae → Ai``
    one-to-one and ``Ai → Ae`` to every other neuron. One image at a time,
    the script's protocol: while learning, the columns of ``X → Ae`` are
    normalised to sum ``norm``; Poisson input at ``pixel·255/8·intensity``
    Hz for ``exposure_ms``, then ``rest_ms`` without input; shown again at
    an intensity raised by 1 until ``Ae`` fires ``min_spikes`` spikes.
    Nothing is reset between images. ``closed_form_rest=True``: with
    learning off, the rest ends in closed form once nothing can spike any
    more (the same state up to rounding, not bit for bit; faster testing).
    ``closed_form_training_rest=True``: the same after training images, θ
    and the rule's traces decayed with the rest of the state (faster
    training; changes what is learned by rounding). ``euler_limit``: the
    largest Euler factor ``dt/tau_m·(1 + g_e + g_i)`` both layers step as
    the script does; above it ``v`` lands on the step's equilibrium (1,
    the default: never past it; 2: the script's step wherever it is
    stable; ``float('inf')``: always, which runs away from 1600 neurons
    on).

    >>> import numpy as np
    >>> from spikeflow.models import DiehlCookPaper
    >>> net = DiehlCookPaper(n_neurons=10, seed=0)
    >>> counts = net.present(np.full(784, 0.5, np.float32), learning=True)
    >>> counts.shape, bool(counts.sum() >= 5)
    ((10,), True)
    """

    def __init__(self, n_neurons=100, *, n_inputs=784, seed=0, dt=0.5, exposure_ms=350.0,
                 rest_ms=150.0, intensity=2.0, min_spikes=5.0, max_intensity=64.0, norm=78.0,
                 nu=(1e-4, 1e-2), wmax=1.0, init_scale=0.3, input_delay_ms=(0.0, 10.0),
                 exc_to_inh=10.4, inh_to_exc=17.0, arrival_time_stdp=True,
                 closed_form_rest=False, closed_form_training_rest=False, euler_limit=1.0):
        self.n_neurons, self.n_inputs, self.seed = int(n_neurons), int(n_inputs), int(seed)
        self._native = _native.PaperModel(dict(
            n_neurons=self.n_neurons, n_inputs=self.n_inputs, seed=self.seed, dt=dt,
            exposure_ms=exposure_ms, rest_ms=rest_ms, intensity=intensity,
            min_spikes=min_spikes, max_intensity=max_intensity, norm=norm, nu=_nu(nu),
            wmax=wmax, init_scale=init_scale, input_delay_ms=[float(v) for v in input_delay_ms],
            exc_to_inh=exc_to_inh, inh_to_exc=inh_to_exc,
            arrival_time_stdp=bool(arrival_time_stdp),
            closed_form_rest=bool(closed_form_rest),
            closed_form_training_rest=bool(closed_form_training_rest),
            euler_limit=float(euler_limit)))

    def present(self, image, learning=True):
        """Shows one image (``n_inputs`` pixel values in [0, 1], any shape;
        divide 0…255 images by 255) and returns the excitatory spike counts
        of the accepted showing (float32 ``[n_neurons]``). Releases the GIL."""
        a = np.ascontiguousarray(np.asarray(image, dtype=np.float32))
        if a.size != self.n_inputs:
            raise ValueError(f"DiehlCookPaper.present: {a.size} pixel values for "
                             f"{self.n_inputs} inputs")
        return self._native.present(a, bool(learning))

    def weights(self, connection="X -> Ae"):
        """A connection's weights (``"X -> Ae"``, ``"Ae -> Ai"``,
        ``"Ai -> Ae"``), ``[n_pre, n_post]``."""
        return self._native.weights(connection)

    @property
    def w(self):
        """The learned input weights ``X → Ae``, ``[n_inputs, n_neurons]``."""
        return self.weights("X -> Ae")

    def variable(self, population, name):
        """A copy of a population's state variable: ``variable("Ae", "v")``,
        ``"theta"`` (the adaptive thresholds), ``"ge"``, ``"gi"``, …; a
        ``KeyError`` names the variables there are."""
        return self._native.variable(population, name)

    @property
    def presentations(self):
        """Showings so far, repeats at a raised intensity included."""
        return self._native.presentations

    @property
    def last_intensity(self):
        """The intensity the last accepted showing used."""
        return self._native.last_intensity

    @property
    def layers(self):
        """Layer names (``X``, ``Ae``, ``Ai``)."""
        return list(self._native.names[0])

    @property
    def connections(self):
        """Connection names (``"X -> Ae"``, …)."""
        return list(self._native.names[1])

    def __repr__(self):
        return f"DiehlCookPaper(n_neurons={self.n_neurons}, seed={self.seed})"


__all__ = ["DiehlAndCook2015", "DiehlAndCook2015v2", "TwoLayerNetwork",
           "IncreasingInhibitionNetwork", "LocallyConnectedNetwork", "DiehlCookPaper"]
