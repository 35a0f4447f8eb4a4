"""Label read-out (``bindsnet.evaluation``), computed by the Rust library
(``spikeflow::evaluation``).

Spikes are ``[n_samples, time, n_neurons]`` as in BindsNET (summed over
time here); ``[n_samples, n_neurons]`` spike counts are taken as they are.
Results are NumPy arrays (assignments and predictions int32).

Differences (BindsNET issue #736): a neuron that never fired is assigned
``-1`` and votes for no label (BindsNET assigns it label 0); a sample whose
scores are all 0 is predicted ``-1`` (BindsNET: usually 0, so it never
counts as correct here); ties go to the lowest label.
"""

import numpy as np

from .. import _native
from .._arrays import as_array, as_f32


def _counts(spikes):
    a = as_f32(spikes, "spikes")
    if a.ndim == 3:
        a = a.sum(axis=1, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"spikes must be [n_samples, time, n_neurons] or counts [n_samples, "
                         f"n_neurons], got shape {a.shape}")
    return np.ascontiguousarray(a)


def _ints(x, what):
    a = as_array(x)
    if not (np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
        if not np.all(np.equal(np.mod(a, 1), 0)):
            raise TypeError(f"{what}: expected integers, got {a.dtype}")
    return [int(v) for v in np.asarray(a).reshape(-1)]


def assign_labels(spikes, labels, n_labels, rates=None, alpha=1.0):
    """Assigns each neuron the label it fired most for, per sample of that
    label; ``rates`` (``[n_neurons, n_labels]``) from the previous call
    accumulate with factor ``alpha``. Returns ``(assignments [n_neurons],
    proportions [n_neurons, n_labels], rates [n_neurons, n_labels])``."""
    counts = _counts(spikes)
    lab = _ints(labels, "labels")
    if any(v < 0 or v > 255 for v in lab):
        raise ValueError("labels must be in 0..255")
    r = None if rates is None else np.ascontiguousarray(as_f32(rates, "rates"))
    return _native.assign_labels(counts, lab, int(n_labels), r, float(alpha))


def all_activity(spikes, assignments, n_labels):
    """Predicts the label whose assigned neurons fired most on average."""
    return _native.all_activity(_counts(spikes), _ints(assignments, "assignments"), int(n_labels))


def proportion_weighting(spikes, assignments, proportions, n_labels):
    """As ``all_activity`` with each neuron's count weighted by its
    proportion for its label."""
    props = np.ascontiguousarray(as_f32(proportions, "proportions"))
    return _native.proportion_weighting(_counts(spikes), _ints(assignments, "assignments"),
                                        props, int(n_labels))


__all__ = ["assign_labels", "all_activity", "proportion_weighting"]
