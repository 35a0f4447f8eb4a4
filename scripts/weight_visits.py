"""How much of a test image's input propagation small weights account for.

The paper model's input weights X -> Ae of a saved run (its
`state.safetensors`) against the MNIST test images: for each threshold, the
share of the weights below it, and, weighting each input by its pixel's mean
value over the test images (which sets its Poisson rate, hence how often its
row of synapses is visited), the share of synapse visits and of input
conductance that leaving those weights out would remove
(docs/performance.md, "Real epochs against the first images").

    python3 scripts/weight_visits.py RUN/model/state.safetensors DATA

Needs numpy (the peer venv of bench/ has it).
"""

import gzip
import json
import os
import struct
import sys

import numpy as np

THRESHOLDS = (1e-3, 1e-2, 3e-2)


def input_weights(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        entry = header.get("net/conn/X -> Ae/w")
        if entry is None or entry["dtype"] != "F32":
            sys.exit(f"{path}: no f32 'net/conn/X -> Ae/w' (not a paper-model state?)")
        a, b = entry["data_offsets"]
        f.seek(8 + n + a)
        w = np.frombuffer(f.read(b - a), dtype="<f4")
    if w.size % 784:
        sys.exit(f"{path}: {w.size} input weights is not a multiple of 784")
    return w.reshape(784, -1)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    w = input_weights(sys.argv[1])
    with gzip.open(os.path.join(sys.argv[2], "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 784)
    rate = images.mean(0).astype(np.float64)
    rate /= rate.sum()
    mass = (w.sum(1) * rate).sum()
    print(f"{w.shape[1]} neurons, {images.shape[0]} test images")
    for eps in THRESHOLDS:
        small = w < eps
        visits = (small.mean(1) * rate).sum()
        input_share = ((w * small).sum(1) * rate).sum() / mass
        print(
            f"below {eps:g}: {100 * small.mean():.1f} % of the weights "
            f"({100 * w[small].sum() / w.sum():.2f} % of their sum), "
            f"{100 * visits:.1f} % of the visits, {100 * input_share:.3f} % of the input"
        )


if __name__ == "__main__":
    main()
