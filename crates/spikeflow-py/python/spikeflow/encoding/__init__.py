"""Spike encoders (``bindsnet.encoding``): functions ``[*shape] -> [time, *shape]``
(uint8) and encoder classes that store their arguments.

Draws are seeded by ``spikeflow.manual_seed`` (or ``seed=``). Difference:
``poisson`` spikes independently at each step with probability
``rate * dt / 1000`` (BindsNET draws Poisson intervals and under-fires at
high rates); see ``docs/differences-from-bindsnet.md``.
"""

from .. import _native
from .._arrays import as_f32
from .._seed import next_seed


def poisson(datum, time, dt=1.0, device="cpu", approx=False, seed=None):
    """Poisson spike trains ``[int(time/dt), *datum.shape]`` from rates in Hz."""
    if approx:
        raise NotImplementedError("poisson(approx=True) is not supported")
    steps = int(time / dt)
    return _native.poisson(as_f32(datum, "datum"), steps, float(dt),
                           next_seed() if seed is None else int(seed))


def bernoulli(datum, time=None, dt=1.0, device="cpu", max_prob=1.0, seed=None, **kwargs):
    """Bernoulli spikes with probability ``max_prob * datum / max(1, max(datum))``;
    ``time=None`` gives one step without the time axis."""
    steps = 1 if time is None else int(time / dt)
    out = _native.bernoulli(as_f32(datum, "datum"), steps, float(max_prob),
                            next_seed() if seed is None else int(seed))
    return out[0] if time is None else out


class Encoder:
    """Stores an encoder's arguments; calling it encodes one datum."""

    _fn = None

    def __init__(self, time, dt=1.0, **kwargs):
        self.time, self.dt, self.kwargs = time, dt, kwargs

    def __call__(self, datum):
        return type(self)._fn(datum, self.time, self.dt, **self.kwargs)


class PoissonEncoder(Encoder):
    """``PoissonEncoder(time, dt=1.0)``: calls ``poisson``."""

    _fn = staticmethod(poisson)


class BernoulliEncoder(Encoder):
    """``BernoulliEncoder(time, dt=1.0, max_prob=1.0)``: calls ``bernoulli``."""

    _fn = staticmethod(bernoulli)


__all__ = ["poisson", "bernoulli", "Encoder", "PoissonEncoder", "BernoulliEncoder"]
