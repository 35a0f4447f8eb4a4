"""The seed of spikeflow's random draws made outside a network (encoders)."""

import random

_rng = random.Random(0)


def manual_seed(seed: int) -> None:
    """Seeds the encoders' draws (the counterpart of ``torch.manual_seed``).

    A network's own draws (weight initialisation, one-spike ties, SRM0
    noise) come from ``Network(seed=...)``.
    """
    _rng.seed(seed)


def next_seed() -> int:
    """A fresh 64-bit seed for one encoder call."""
    return _rng.getrandbits(64)
