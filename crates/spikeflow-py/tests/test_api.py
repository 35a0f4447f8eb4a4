"""Shapes, dtypes, monitors, weights and errors of the Python API."""

import numpy as np
import pytest

import spikeflow
from spikeflow.encoding import PoissonEncoder, bernoulli, poisson
from spikeflow.learning import MSTDP, PostPre
from spikeflow.network import Network
from spikeflow.network.monitors import Monitor
from spikeflow.network.nodes import AdaptiveLIFNodes, DiehlAndCookNodes, Input, LIFNodes
from spikeflow.network.topology import Connection, SparseConnection


def small(batch_size=1, learning=True, w=None, rule=PostPre):
    net = Network(dt=1.0, batch_size=batch_size, learning=learning)
    x = Input(n=4, traces=True)
    y = LIFNodes(n=3, traces=True)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    c = Connection(x, y, w=np.full((4, 3), 20.0) if w is None else w, update_rule=rule, nu=(1e-2, 1e-2))
    net.add_connection(c, "X", "Y")
    return net, x, y, c


def test_version_and_layout():
    assert spikeflow.__version__
    from spikeflow.network import nodes, topology, monitors  # noqa: F401


def test_lazy_build_monitor_shapes_and_dtypes():
    net, x, y, c = small(batch_size=2)
    m = Monitor(y, ("s", "v"))
    net.add_monitor(m, "Y")
    assert m.get("s").shape == (0,)  # nothing recorded yet
    inp = np.zeros((5, 2, 4), dtype=bool)
    inp[0, 0, :] = True
    net.run({"X": inp}, time=5)
    s, v = m.get("s"), m.get("v")
    assert s.shape == (5, 2, 3) and v.shape == (5, 2, 3)
    assert s.dtype == np.float32
    # one-step delay: sample 0's input at t=0 makes Y spike at t=1; sample 1 stays silent
    assert s[1, 0].tolist() == [1, 1, 1] and s[:, 1].sum() == 0
    assert y.s.shape == (2, 3) and y.v.shape == (2, 3) and x.x.shape == (2, 4)
    # monitors accumulate over runs until reset
    net.run({"X": inp}, time=5)
    assert m.get("s").shape == (10, 2, 3)
    net.reset_state_variables()
    assert m.get("s").shape[0] == 0


def test_input_shapes_time_first_and_float_values():
    net, x, y, c = small()
    m = Monitor(x, ("s",), time=3)
    net.add_monitor(m, "X")
    net.run({"X": np.ones((6, 4), dtype=np.float64) * 0.5}, time=6)  # [time, n], float64
    s = m.get("s")
    assert s.shape == (3, 1, 4)  # ring buffer of 3 steps
    assert np.all(s == 0.5)  # Input passes real values through


def test_theta_shape():
    net = Network()
    x, y = Input(n=2), DiehlAndCookNodes(n=3)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, w=np.full((2, 3), 30.0)), "X", "Y")
    net.run({"X": np.ones((4, 2), dtype=bool)}, time=4)
    assert y.theta.shape == (3,)
    assert y.theta.sum() > 0  # one_spike: one neuron fired and adapted
    assert AdaptiveLIFNodes(n=2).theta_plus is None  # not given: the engine's default


def test_weights_round_trip_and_learning():
    net, x, y, c = small(w=np.zeros((4, 3), dtype=np.float32))
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    c.w = w  # before the build
    assert np.array_equal(c.w, w)
    w2 = w[::-1].copy() * 2
    c.w = w2  # after the build
    assert np.array_equal(c.w, w2)
    net.run({"X": np.ones((10, 4), dtype=bool)}, time=10)
    assert not np.array_equal(c.w, w2)  # PostPre learned
    net.train(False)
    before = c.w.copy()
    net.run({"X": np.ones((10, 4), dtype=bool)}, time=10)
    assert np.array_equal(c.w, before)


def test_rebuild_keeps_weights():
    net, x, y, c = small()
    net.run({"X": np.ones((5, 4), dtype=bool)}, time=5)
    learned = c.w.copy()
    z = LIFNodes(n=2)
    net.add_layer(z, "Z")  # structural change after the build
    net.add_connection(Connection(y, z, w=np.ones((3, 2))), "Y", "Z")
    assert np.array_equal(c.w, learned)
    net.run({"X": np.ones((5, 4), dtype=bool)}, time=5)
    assert z.v.shape == (1, 2)


def test_connection_weight_monitor_and_default_init():
    net = Network(seed=3)
    x, y = Input(n=5), LIFNodes(n=2)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    c = Connection(x, y, wmin=0.0, wmax=0.5)
    net.add_connection(c, "X", "Y")
    w = c.w
    assert w.shape == (5, 2) and w.min() >= 0.0 and w.max() <= 0.5
    m = Monitor(c, ("w",))
    net.add_monitor(m, "w")
    net.run({"X": np.zeros((3, 5), dtype=bool)}, time=3)
    assert m.get("w").shape == (3, 5, 2)


def test_sparse_connection_propagates():
    net = Network()
    x, y = Input(n=3), LIFNodes(n=2)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    w = np.array([[20.0, 0.0], [0.0, 0.0], [0.0, 20.0]], dtype=np.float32)
    c = SparseConnection(x, y, w=w)
    net.add_connection(c, "X", "Y")
    m = Monitor(y, ("s",))
    net.add_monitor(m, "Y")
    inp = np.zeros((3, 3), dtype=bool)
    inp[0, 2] = True
    net.run({"X": inp}, time=3)
    assert m.get("s")[1, 0].tolist() == [0, 1]
    assert np.array_equal(c.w, w)
    # Assigning keeps the structure: existing synapses take the new values,
    # a weight where there is no synapse is refused (and changes nothing).
    c.w = 2 * w
    np.testing.assert_array_equal(c.w, 2 * w)
    bad = 2 * w
    bad[1, 1] = 5.0
    with pytest.raises(ValueError, match="no synapse"):
        c.w = bad
    np.testing.assert_array_equal(c.w, 2 * w)
    with pytest.raises(ValueError, match="shape"):
        c.w = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="not finite"):
        c.w = np.full((3, 2), np.nan, np.float32)


def test_w_assignment_after_build_on_every_topology():
    from spikeflow.network.topology import LocalConnection2D, MeanFieldConnection
    net = Network()
    x, y = Input(n=16, shape=(1, 4, 4)), LIFNodes(n=8, shape=(2, 2, 2))
    z = LIFNodes(n=3)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_layer(z, "Z")
    loc = LocalConnection2D(x, y, kernel_size=3, stride=1, n_filters=2)
    mf = MeanFieldConnection(y, z, w=0.5)
    net.add_connection(loc, "X", "Y")
    net.add_connection(mf, "Y", "Z")
    net.run({"X": np.zeros((2, 1, 1, 4, 4), bool)}, time=2)
    w = loc.w
    loc.w = w + 1.0  # every cell is a synapse of a local connection's kernel layout
    np.testing.assert_array_equal(loc.w, w + 1.0)
    m = mf.w
    mf.w = m * 3
    np.testing.assert_array_equal(mf.w, m * 3)
    net.run({"X": np.zeros((2, 1, 1, 4, 4), bool)}, time=2)


def test_clamp_and_reward():
    net, x, y, c = small(w=np.zeros((4, 3), dtype=np.float32))
    m = Monitor(y, ("s",))
    net.add_monitor(m, "Y")
    net.run({"X": np.zeros((3, 4), dtype=bool)}, time=3, clamp={"Y": np.array([True, False, True])})
    assert m.get("s")[:, 0].tolist() == [[1, 0, 1]] * 3
    net2, *_ = small(rule=MSTDP)
    net2.run({"X": np.ones((3, 4), dtype=bool)}, time=3, reward=1.0)
    with pytest.raises(ValueError, match="reward"):
        net3, *_ = small(rule=MSTDP)
        net3.run({"X": np.ones((3, 4), dtype=bool)}, time=3)


def test_encoders():
    spikeflow.manual_seed(1)
    a = poisson(np.full((2, 3), 100.0), time=50)
    assert a.shape == (50, 2, 3) and a.dtype == np.uint8 and set(np.unique(a)) <= {0, 1}
    spikeflow.manual_seed(1)
    assert np.array_equal(a, poisson(np.full((2, 3), 100.0), time=50))
    assert PoissonEncoder(time=20)(np.ones(4)).shape == (20, 4)
    b = bernoulli(np.array([0.0, 1.0]), time=10)
    assert b[:, 0].sum() == 0 and b[:, 1].sum() == 10
    assert bernoulli(np.array([0.5, 1.0])).shape == (2,)
    with pytest.raises(ValueError, match="negative|rate"):
        poisson(np.array([-1.0]), time=5)


# -- errors: clear exceptions, never a crash ---------------------------------

def test_wrong_input_shape_raises_value_error():
    net, *_ = small()
    with pytest.raises(ValueError, match="shape"):
        net.run({"X": np.ones((5, 1, 7), dtype=bool)}, time=5)
    with pytest.raises(ValueError):
        net.run({"X": np.ones((2, 1, 4), dtype=bool)}, time=5)  # too few steps


def test_bad_dtype_and_names_raise():
    net, *_ = small()
    with pytest.raises(TypeError):
        net.run({"X": np.array([["a"] * 4] * 3)}, time=3)
    with pytest.raises(TypeError):
        net.run({"X": [object()] * 4}, time=1)
    with pytest.raises(KeyError):
        net.run({"nope": np.ones((3, 4))}, time=3)
    with pytest.raises(TypeError):
        net.run([np.ones((3, 4))], time=3)


def test_bad_parameters_raise_value_error():
    net = Network()
    net.add_layer(Input(n=2), "X")
    net.add_layer(LIFNodes(n=2, tc_decay=-1.0), "Y")
    net.add_connection(Connection(net.layers["X"], net.layers["Y"]), "X", "Y")
    with pytest.raises(ValueError, match="tc_decay"):
        net.run({"X": np.zeros((1, 2))}, time=1)
    with pytest.raises(ValueError):
        LIFNodes(n=3, shape=[2, 2])
    with pytest.raises(TypeError):
        LIFNodes(n=2, thresh="high")


def test_rule_needing_traces_raises_value_error():
    net = Network()
    x, y = Input(n=2), LIFNodes(n=2)  # no traces
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    net.add_connection(Connection(x, y, update_rule=PostPre, nu=0.1), "X", "Y")
    with pytest.raises(ValueError, match="traces"):
        net.run({"X": np.zeros((1, 2))}, time=1)


def test_weight_shape_mismatch_raises_value_error():
    net, x, y, c = small()
    with pytest.raises(ValueError, match="shape"):
        c.w = np.zeros((3, 4), dtype=np.float32)
        net.run({"X": np.zeros((1, 4))}, time=1)


def test_unsupported_raises_not_implemented():
    class MyRule(PostPre):
        pass

    net, *_ = small(rule=MyRule)
    with pytest.raises(NotImplementedError):
        net.run({"X": np.zeros((1, 4))}, time=1)
