"""spikeflow.models: BindsNET's structure, usable as a Network, and the same
spikes as the network its Python descriptions build (dense lateral matrices)."""

import numpy as np
import pytest

from spikeflow.encoding import poisson
from spikeflow.models import (DiehlAndCook2015, DiehlAndCook2015v2, IncreasingInhibitionNetwork,
                              LocallyConnectedNetwork, TwoLayerNetwork)
from spikeflow.network.monitors import Monitor
from spikeflow.network.nodes import DiehlAndCookNodes, Input, LIFNodes


def _input(n, steps=60, seed=1, rate=60.0):
    return poisson(np.full(n, rate, dtype=np.float32), time=steps, seed=seed)


def test_diehl_cook_structure_and_defaults():
    net = DiehlAndCook2015(n_inpt=784, n_neurons=10, inh=120.0, inpt_shape=(1, 28, 28))
    assert list(net.layers) == ["X", "Ae", "Ai"]
    assert isinstance(net.layers["X"], Input) and net.layers["X"].shape == [1, 28, 28]
    assert isinstance(net.layers["Ae"], DiehlAndCookNodes)
    assert isinstance(net.layers["Ai"], LIFNodes)
    assert list(net.connections) == [("X", "Ae"), ("Ae", "Ai"), ("Ai", "Ae")]
    w = net.connections[("X", "Ae")].w
    assert w.shape == (784, 10) and 0.0 <= w.min() and w.max() <= 0.3
    np.testing.assert_array_equal(net.connections[("Ae", "Ai")].w, 22.5 * np.eye(10))
    np.testing.assert_array_equal(net.connections[("Ai", "Ae")].w, -120.0 * (1 - np.eye(10)))
    assert net.connections[("X", "Ae")].norm == 78.4
    assert net.dt == 1.0 and net.batch_size == 1


def test_diehl_cook_runs_learns_and_normalises():
    net = DiehlAndCook2015(n_inpt=50, n_neurons=8, inh=120.0, seed=3)
    m = Monitor(net.layers["Ae"], ["s", "v"])
    net.add_monitor(m, "ae")
    net.run({"X": _input(50)}, time=60)
    assert m.get("s").shape == (60, 1, 8)
    assert m.get("s").sum() > 0
    assert net.layers["Ae"].theta.sum() > 0  # adaptive thresholds rose
    np.testing.assert_allclose(net.connections[("X", "Ae")].w.sum(axis=0), 78.4, rtol=1e-5)
    net.reset_state_variables()
    assert m.get("s").shape[0] == 0


def test_model_equals_its_python_description():
    """The Rust model (O(n) lateral connections) against a plain Network
    built from the same layer and connection objects (dense matrices)."""
    model = DiehlAndCook2015(n_inpt=40, n_neurons=12, inh=120.0, seed=5)
    # A structural change makes a model build from its Python objects.
    w0 = model.connections[("X", "Ae")].w
    x = _input(40, steps=80, seed=2)
    ref = DiehlAndCook2015(n_inpt=40, n_neurons=12, inh=120.0, seed=5)
    ref.add_layer(Input(n=1), "unused")  # -> built from the Python descriptions
    np.testing.assert_array_equal(ref.connections[("X", "Ae")].w, w0)
    for net in (model, ref):
        net.add_monitor(Monitor(net.layers["Ae"], ["s"]), "s")
        net.run({"X": x}, time=80)
    np.testing.assert_array_equal(model.monitors["s"].get("s"), ref.monitors["s"].get("s"))
    np.testing.assert_array_equal(model.connections[("X", "Ae")].w, ref.connections[("X", "Ae")].w)
    np.testing.assert_array_equal(model.layers["Ae"].theta, ref.layers["Ae"].theta)


def test_batch_change_keeps_weights_and_theta():
    net = DiehlAndCook2015(n_inpt=30, n_neurons=6, inh=120.0)
    net.run({"X": _input(30, steps=40)}, time=40)
    w, theta = net.connections[("X", "Ae")].w, net.layers["Ae"].theta
    x = np.stack([_input(30, steps=10, seed=s) for s in range(3)], axis=1)  # [10, 3, 30]
    net.train(False)
    net.run({"X": x}, time=10)
    assert net.batch_size == 3
    # (renormalised after the run: equal up to rounding)
    np.testing.assert_allclose(net.connections[("X", "Ae")].w, w, rtol=1e-5)
    np.testing.assert_array_equal(net.layers["Ae"].theta, theta)


@pytest.mark.parametrize("make,layers", [
    (lambda: DiehlAndCook2015v2(n_inpt=30, n_neurons=9), ["X", "Y"]),
    (lambda: TwoLayerNetwork(n_inpt=30, n_neurons=9), ["X", "Y"]),
    (lambda: IncreasingInhibitionNetwork(n_input=30, n_neurons=9), ["X", "Y"]),
])
def test_other_models_run(make, layers):
    net = make()
    assert list(net.layers) == layers
    net.add_monitor(Monitor(net.layers["Y"], ["s"]), "y")
    net.run({"X": _input(30, steps=50, rate=100.0)}, time=50)
    assert net.monitors["y"].get("s").shape == (50, 1, 9)
    assert net.connections[("X", "Y")].w.shape == (30, 9)


def test_increasing_inhibition_weights():
    net = IncreasingInhibitionNetwork(n_input=4, n_neurons=4, start_inhib=10.0, max_inhib=-40.0)
    w = net.connections[("Y", "Y")].w
    np.testing.assert_allclose(np.diag(w), 10.0)
    assert w.min() == pytest.approx(-30.0)  # the farthest pair: -40 + 10
    net.connections[("Y", "Y")].w = w - 0.5  # as the SOM example does
    np.testing.assert_allclose(net.connections[("Y", "Y")].w, w - 0.5)


def test_locally_connected():
    net = LocallyConnectedNetwork(n_inpt=144, input_shape=(12, 12), kernel_size=8, stride=4,
                                  n_filters=3)
    assert net.layers["Y"].n == 3 * 2 * 2
    net.run({"X": _input(144, steps=30, rate=100.0)}, time=30)
    assert net.connections[("X", "Y")].w.shape == (144, 12)


def test_model_errors():
    with pytest.raises(NotImplementedError):
        DiehlAndCook2015(n_inpt=10, reduction=np.max)
    with pytest.raises(ValueError):
        DiehlAndCook2015(n_inpt=10, n_neurons=0)


def _digit(seed=0):
    rng = np.random.default_rng(seed)
    img = np.zeros((28, 28), np.float32)
    img[6:22, 12:16] = rng.uniform(0.6, 1.0, (16, 4))  # a bright bar, like a "1"
    return img


def test_diehl_cook_paper_presents_learns_and_repeats_from_a_seed():
    from spikeflow.models import DiehlCookPaper
    net = DiehlCookPaper(n_neurons=10, seed=4)
    assert net.layers == ["X", "Ae", "Ai"]
    assert net.connections == ["X -> Ae", "Ae -> Ai", "Ai -> Ae"]
    w0 = net.w
    assert w0.shape == (784, 10) and w0.dtype == np.float32
    counts = net.present(_digit(), learning=True)
    assert counts.shape == (10,) and counts.dtype == np.float32 and counts.sum() >= 5
    w1 = net.w
    # Normalised before the showing (columns sum to 78), then learned.
    assert not np.array_equal(w0, w1)
    assert np.all(np.abs(w1.sum(axis=0) - 78.0) < 5.0)
    assert net.presentations >= 1 and net.last_intensity >= 2.0
    # Learning off leaves the weights alone.
    net.present(_digit(1), learning=False)
    np.testing.assert_array_equal(net.w, w1)
    # Same seed, same images: the same counts, bit for bit.
    again = DiehlCookPaper(n_neurons=10, seed=4)
    np.testing.assert_array_equal(again.present(_digit(), learning=True), counts)
    np.testing.assert_array_equal(again.w, w1)


def test_diehl_cook_paper_closed_form_rest_trains_alike_and_tests_alike():
    from spikeflow.models import DiehlCookPaper
    stepped = DiehlCookPaper(n_neurons=10, seed=4)
    quick = DiehlCookPaper(n_neurons=10, seed=4, closed_form_rest=True)
    # Training steps the whole rest either way.
    np.testing.assert_array_equal(quick.present(_digit(), learning=True),
                                  stepped.present(_digit(), learning=True))
    np.testing.assert_array_equal(quick.w, stepped.w)
    # Learning off: the rest ends in closed form, the state the stepped one
    # up to rounding (the Rust tests compare it): the same counts here.
    for k in (1, 2):
        np.testing.assert_array_equal(quick.present(_digit(k), learning=False),
                                      stepped.present(_digit(k), learning=False))


def test_diehl_cook_paper_closed_form_training_rest_trains_alike_up_to_rounding():
    from spikeflow.models import DiehlCookPaper
    stepped = DiehlCookPaper(n_neurons=10, seed=4)
    quick = DiehlCookPaper(n_neurons=10, seed=4, closed_form_training_rest=True)
    # No weight moves while nothing spikes: after one image, the same.
    np.testing.assert_array_equal(quick.present(_digit(), learning=True),
                                  stepped.present(_digit(), learning=True))
    np.testing.assert_array_equal(quick.w, stepped.w)
    # The state the rest left is the stepped one up to rounding.
    v_quick, v_stepped = quick.variable("Ae", "v"), stepped.variable("Ae", "v")
    np.testing.assert_allclose(v_quick, v_stepped, rtol=1e-5)
    assert not np.array_equal(v_quick, v_stepped), "the training rest was stepped"
    with pytest.raises(KeyError, match="no variable"):
        quick.variable("Ae", "nope")
    # Its traces take part in the next images' changes: the same here.
    for k in (1, 2):
        np.testing.assert_array_equal(quick.present(_digit(k), learning=True),
                                      stepped.present(_digit(k), learning=True))
    np.testing.assert_allclose(quick.w, stepped.w, atol=1e-5)


def test_diehl_cook_paper_refuses_bad_input():
    from spikeflow.models import DiehlCookPaper
    with pytest.raises(ValueError, match="euler_limit must be"):
        DiehlCookPaper(n_neurons=4, euler_limit=0.9)
    net = DiehlCookPaper(n_neurons=4)
    with pytest.raises(ValueError, match="784 inputs"):
        net.present(np.zeros(100, np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        net.present(np.full(784, 255.0, np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        net.present(np.full(784, np.nan, np.float32))
    with pytest.raises(ValueError, match="dt"):
        DiehlCookPaper(n_neurons=4, exposure_ms=0.3)
    with pytest.raises(KeyError):
        net.weights("X -> nowhere")


def test_lateral_weights_written_after_build():
    # "All but self" stores one weight: a consistent matrix sets it, cells
    # that disagree are refused (the connection keeps its structure).
    net = DiehlAndCook2015(n_inpt=20, n_neurons=5, inh=120.0)
    net.run({"X": _input(20, steps=5)}, time=5)
    c = net.connections[("Ai", "Ae")]
    c.w = -60.0 * (1 - np.eye(5, dtype=np.float32))
    np.testing.assert_array_equal(c.w, -60.0 * (1 - np.eye(5)))
    bad = c.w
    bad[0, 1] = -1.0
    with pytest.raises(ValueError, match="differ"):
        c.w = bad
    with pytest.raises(ValueError, match="no synapse"):
        c.w = -60.0 * np.ones((5, 5), np.float32)
