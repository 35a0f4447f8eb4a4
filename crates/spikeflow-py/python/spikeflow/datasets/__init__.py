"""Data sets (``bindsnet.datasets``): MNIST from its IDX files.

``MNIST(image_encoder=None, label_encoder=None, root=..., train=True,
download=False, transform=None)`` reads the four files of MNIST
(``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, raw or ``.gz``)
from ``root`` or ``root/MNIST/raw`` (torchvision's layout) with the Rust
library's validated reader. Items are BindsNET's dictionaries
``{"image", "label", "encoded_image", "encoded_label"}``.

Differences: no downloads (``download=True`` raises; the CLI's
``spikeflow download mnist`` fetches the files); ``transform`` receives
the image as a float32 array ``[1, 28, 28]`` in ``[0, 1]`` (what
torchvision's ``ToTensor`` gives), so pass e.g. ``lambda x: x * intensity``
rather than a ``Compose`` starting with ``ToTensor``; images and labels are
NumPy arrays (``label`` an ``int``). The whole split is held in memory as
uint8 (47 MB for the training set).
"""

import os

import numpy as np

from .. import _native

_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(root, name):
    for d in (root, os.path.join(root, "MNIST", "raw")):
        for f in (name, name + ".gz"):
            p = os.path.join(d, f)
            if os.path.exists(p):
                return p
    raise FileNotFoundError(
        f"MNIST: no {name}[.gz] in {root!r} or {os.path.join(root, 'MNIST', 'raw')!r} "
        "(fetch the files with `spikeflow download mnist`)")


def read_idx(path):
    """An IDX file (raw or gzip) as a uint8 array of its dimensions."""
    return _native.read_idx(os.fspath(path))


def load_mnist(root, train=True):
    """``(images uint8 [n, 28, 28], labels uint8 [n])`` of one split."""
    img_name, lbl_name = _FILES[bool(train)]
    images = read_idx(_find(os.fspath(root), img_name))
    labels = read_idx(_find(os.fspath(root), lbl_name))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST in {root!r}: images {images.shape} and labels {labels.shape} "
                         "do not match")
    if labels.size and labels.max() > 9:
        raise ValueError(f"MNIST in {root!r}: label {labels.max()} out of 0..9")
    return images, labels


class MNIST:
    """MNIST as BindsNET's torchvision wrapper presents it (see the module)."""

    def __init__(self, image_encoder=None, label_encoder=None, root="data/MNIST", train=True,
                 download=False, transform=None, *args, **kwargs):
        if download:
            raise NotImplementedError(
                "MNIST(download=True): spikeflow does not download; run `spikeflow download mnist` "
                "and pass root=")
        self.image_encoder, self.label_encoder = image_encoder, label_encoder
        self.root, self.train, self.transform = os.fspath(root), bool(train), transform
        self.images, self.labels = load_mnist(self.root, self.train)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = self.images[i][None].astype(np.float32) / 255.0
        if self.transform is not None:
            image = self.transform(image)
        label = int(self.labels[i])
        return {
            "image": image,
            "label": label,
            "encoded_image": None if self.image_encoder is None else self.image_encoder(image),
            "encoded_label": None if self.label_encoder is None else self.label_encoder(label),
        }


__all__ = ["MNIST", "load_mnist", "read_idx"]
