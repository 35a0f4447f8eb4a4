"""spikeflow.datasets (the shipped MNIST sample) and spikeflow.evaluation
(against a NumPy transcription of BindsNET's formulas)."""

import numpy as np
import pytest

from spikeflow.datasets import MNIST, load_mnist
from spikeflow.encoding import PoissonEncoder
from spikeflow.evaluation import all_activity, assign_labels, proportion_weighting


@pytest.fixture
def sample(root):
    return root / "crates/spikeflow/data/mnist-sample"


def test_load_mnist_sample(sample):
    images, labels = load_mnist(sample, train=True)
    assert images.shape == (2000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (2000,) and labels.dtype == np.uint8
    assert list(np.bincount(labels)) == [191, 220, 198, 191, 214, 180, 200, 224, 172, 210]
    test_images, test_labels = load_mnist(sample, train=False)
    assert test_images.shape == (500, 28, 28) and len(test_labels) == 500


def test_mnist_items(sample):
    ds = MNIST(PoissonEncoder(time=20, dt=1.0), None, root=sample, train=False,
               transform=lambda x: x * 128)
    assert len(ds) == 500
    item = ds[3]
    assert item["image"].shape == (1, 28, 28) and item["image"].max() <= 128
    assert item["encoded_image"].shape == (20, 1, 28, 28)
    assert isinstance(item["label"], int) and item["encoded_label"] is None


def test_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        MNIST(root=tmp_path)
    with pytest.raises(NotImplementedError):
        MNIST(root=tmp_path, download=True)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"not an idx file")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x00")
    with pytest.raises(ValueError):
        load_mnist(tmp_path)


def _reference(spikes, labels, n_labels, rates=None, alpha=1.0):
    c = spikes.sum(1)
    n = c.shape[1]
    rates = np.zeros((n, n_labels)) if rates is None else rates.astype(np.float64).copy()
    for i in range(n_labels):
        m = (labels == i).sum()
        if m > 0:
            rates[:, i] = alpha * rates[:, i] + c[labels == i].sum(0) / m
    tot = rates.sum(1, keepdims=True)
    props = np.divide(rates, tot, out=np.zeros_like(rates), where=tot > 0)
    assign = np.where(tot[:, 0] > 0, props.argmax(1), -1)
    return assign, props, rates


def _votes(c, assign, n_labels, weight):
    scores = np.zeros((c.shape[0], n_labels))
    for i in range(n_labels):
        k = (assign == i).sum()
        if k:
            scores[:, i] = (c[:, assign == i] * weight[assign == i, i]).sum(1) / k
    return np.where(scores.max(1) > 0, scores.argmax(1), -1)


def test_evaluation_matches_bindsnet_formulas():
    rng = np.random.default_rng(0)
    spikes = (rng.random((40, 15, 12)) < 0.1).astype(np.float32)
    spikes[:, :, 11] = 0  # a silent neuron
    labels = rng.integers(0, 4, 40)
    a, p, r = assign_labels(spikes, labels, 4)
    ra, rp, rr = _reference(spikes, labels, 4)
    np.testing.assert_array_equal(a, ra)
    np.testing.assert_allclose(p, rp, rtol=1e-6)
    np.testing.assert_allclose(r, rr, rtol=1e-6)
    assert a[11] == -1  # BindsNET would say 0 (issue #736)
    # Rates accumulate across calls.
    a2, p2, r2 = assign_labels(spikes[:20], labels[:20], 4, rates=r, alpha=0.5)
    np.testing.assert_allclose(r2, _reference(spikes[:20], labels[:20], 4, rr, 0.5)[2], rtol=1e-6)
    c = spikes.sum(1)
    np.testing.assert_array_equal(all_activity(spikes, a, 4), _votes(c, ra, 4, np.ones_like(rp)))
    np.testing.assert_array_equal(proportion_weighting(spikes, a, p, 4), _votes(c, ra, 4, rp))
    # Counts [samples, neurons] are accepted as they are.
    np.testing.assert_array_equal(all_activity(c, a, 4), all_activity(spikes, a, 4))


def test_evaluation_errors():
    with pytest.raises(ValueError):
        assign_labels(np.zeros((3, 5, 2)), [0, 1], 2)  # 3 samples, 2 labels
    with pytest.raises(ValueError):
        all_activity(np.zeros((3, 2)), [0, 5], 2)
