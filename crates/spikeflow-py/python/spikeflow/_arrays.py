"""Conversions between what users pass (NumPy, torch, lists, scalars) and
what the engine takes (float32 / bool C-contiguous NumPy arrays)."""

import numbers

import numpy as np


def as_array(x):
    """A NumPy array from a NumPy array, anything with ``__array__`` (or the
    buffer protocol, or a nested sequence), or a DLPack producer
    (``__dlpack__``: PyTorch, JAX, CuPy, … tensors). CPU DLPack tensors are
    read without a copy; a tensor that does not export (e.g. one that
    requires grad, or lives on a GPU) is converted through ``__array__`` or
    its ``detach().cpu()``."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__dlpack__") and hasattr(np, "from_dlpack"):
        try:
            return np.from_dlpack(x)
        except Exception:  # noqa: BLE001 - fall back to the other protocols
            pass
        detach = getattr(x, "detach", None)
        if callable(detach):  # torch: requires_grad or a GPU tensor
            try:
                return np.asarray(detach().cpu())
            except Exception:  # noqa: BLE001
                pass
    return np.asarray(x)


def as_f32(x, what):
    """A C-contiguous float32 array from anything ``as_array`` reads."""
    try:
        a = as_array(x)
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
