"""Run inputs from NumPy arrays, objects with __array__, DLPack producers
and (when installed) PyTorch tensors all give the same run."""

import numpy as np
import pytest

from spikeflow.network import Network
from spikeflow.network.monitors import Monitor
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Connection


class WithArray:
    def __init__(self, a):
        self.a = a

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)


class WithDLPack:
    """Only the DLPack protocol (no __array__)."""

    def __init__(self, a):
        self.a = a

    def __dlpack__(self, **kwargs):
        return self.a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


def _spikes(x):
    net = Network(seed=0)
    a, b = Input(n=10), LIFNodes(n=5)
    net.add_layer(a, "A")
    net.add_layer(b, "B")
    net.add_connection(Connection(a, b, w=np.full((10, 5), 8.0, dtype=np.float32)), "A", "B")
    net.add_monitor(Monitor(b, ["s"]), "b")
    net.run({"A": x}, time=30)
    return net.monitors["b"].get("s")


RASTER = (np.random.default_rng(0).random((30, 10)) < 0.3)


def test_numpy_inputs():
    want = _spikes(RASTER)
    assert want.sum() > 0
    np.testing.assert_array_equal(_spikes(RASTER.astype(np.float32)), want)
    np.testing.assert_array_equal(_spikes(RASTER.astype(np.float64)), want)
    np.testing.assert_array_equal(_spikes(RASTER.astype(np.uint8)), want)
    np.testing.assert_array_equal(_spikes(RASTER.reshape(30, 1, 10)), want)


def test_array_protocol_object():
    np.testing.assert_array_equal(_spikes(WithArray(RASTER)), _spikes(RASTER))


@pytest.mark.skipif(not hasattr(np, "from_dlpack"), reason="NumPy without DLPack")
def test_dlpack_object():
    x = RASTER.astype(np.float32)
    np.testing.assert_array_equal(_spikes(WithDLPack(x)), _spikes(RASTER))


def test_bad_input_type():
    with pytest.raises(TypeError):
        _spikes(object())


def test_torch_tensors():
    torch = pytest.importorskip("torch")
    want = _spikes(RASTER)
    t = torch.from_numpy(RASTER.astype(np.float32))
    np.testing.assert_array_equal(_spikes(t), want)
    np.testing.assert_array_equal(_spikes(t.requires_grad_()), want)
    np.testing.assert_array_equal(_spikes(torch.from_numpy(RASTER)), want)
