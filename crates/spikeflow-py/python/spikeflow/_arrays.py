"""Conversions between what users pass (NumPy, torch, lists, scalars) and
what the engine takes (float32 / bool C-contiguous NumPy arrays)."""

import numbers

import numpy as np


def as_f32(x, what):
    """A C-contiguous float32 array from anything with ``__array__``."""
    try:
        a = np.asarray(x)
    except Exception as e:  # noqa: BLE001 - any conversion failure is a bad argument
        raise TypeError(f"{what}: cannot convert {type(x).__name__} to an array: {e}") from e
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise TypeError(f"{what}: expected numbers, got an array of {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


def param(x, what):
    """A scalar (float) or per-neuron / per-synapse (float32 array) value."""
    if isinstance(x, bool):
        raise TypeError(f"{what}: expected a number or an array, got a bool")
    if isinstance(x, numbers.Real):
        return float(x)
    a = as_f32(x, what)
    return float(a) if a.ndim == 0 else a
