"""BindsNET's examples/mnist/eth_mnist.py on spikeflow: Diehl & Cook (2015)
learns MNIST without labels; labels are assigned to neurons afterwards.

One ``network.run`` per image (Poisson spikes at ``pixel/255 · intensity``
Hz for ``time`` ms), the state reset between images, labels assigned every
``update_interval`` images from the spikes of the last interval, then a test
pass with learning off. Prints the all-activity and proportion-weighting
accuracies. Ctrl-C stops training early and goes on to the test.

    python examples/python/eth_mnist.py                     # the MNIST sample shipped in the repository
    python examples/python/eth_mnist.py --data-dir ~/mnist --n-train 60000 --n-test 10000

``spikeflow train`` runs the same loop in Rust (bench/python/ compares them).
"""

import argparse
import pathlib
import time as clock

import numpy as np

import spikeflow
from spikeflow.datasets import MNIST
from spikeflow.encoding import PoissonEncoder
from spikeflow.evaluation import all_activity, assign_labels, proportion_weighting
from spikeflow.models import DiehlAndCook2015
from spikeflow.network.monitors import Monitor

SAMPLE = pathlib.Path(__file__).resolve().parents[2] / "crates/spikeflow/data/mnist-sample"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(SAMPLE), help="folder with MNIST's four IDX files")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-neurons", type=int, default=100)
    p.add_argument("--n-train", type=int, default=1000)
    p.add_argument("--n-test", type=int, default=500)
    p.add_argument("--exc", type=float, default=22.5)
    p.add_argument("--inh", type=float, default=120.0)
    p.add_argument("--theta-plus", type=float, default=0.05)
    p.add_argument("--time", type=int, default=250)
    p.add_argument("--dt", type=float, default=1.0)
    p.add_argument("--intensity", type=float, default=128.0)
    p.add_argument("--update-interval", type=int, default=250)
    a = p.parse_args(argv)

    spikeflow.manual_seed(a.seed)
    steps = int(a.time / a.dt)
    network = DiehlAndCook2015(n_inpt=784, n_neurons=a.n_neurons, exc=a.exc, inh=a.inh, dt=a.dt,
                               norm=78.4, theta_plus=a.theta_plus, inpt_shape=(1, 28, 28),
                               seed=a.seed)
    spikes = Monitor(network.layers["Ae"], ["s"], time=steps)
    network.add_monitor(spikes, name="Ae_spikes")

    encoder = PoissonEncoder(time=a.time, dt=a.dt)
    train = MNIST(encoder, None, root=a.data_dir, train=True, transform=lambda x: x * a.intensity)
    test = MNIST(encoder, None, root=a.data_dir, train=False, transform=lambda x: x * a.intensity)
    n_train, n_test = min(a.n_train, len(train)), min(a.n_test, len(test))
    ui = max(1, min(a.update_interval, n_train))

    n_classes = 10
    assignments = -np.ones(a.n_neurons, dtype=np.int32)
    proportions = np.zeros((a.n_neurons, n_classes), dtype=np.float32)
    rates = np.zeros((a.n_neurons, n_classes), dtype=np.float32)
    record = np.zeros((ui, steps, a.n_neurons), dtype=np.float32)
    labels = np.zeros(ui, dtype=np.int64)
    acc = {"all": [], "proportion": []}

    print(f"training on {n_train} images ({a.n_neurons} neurons, {a.time} ms each)")
    t0 = clock.perf_counter()
    network.train(True)
    done = 0
    try:
        for i in range(n_train):
            if i % ui == 0 and i > 0:
                all_pred = all_activity(record, assignments, n_classes)
                prop_pred = proportion_weighting(record, assignments, proportions, n_classes)
                acc["all"].append(100 * np.mean(all_pred == labels))
                acc["proportion"].append(100 * np.mean(prop_pred == labels))
                print(f"  {i:6d} images: all activity {acc['all'][-1]:.1f} %, "
                      f"proportion weighting {acc['proportion'][-1]:.1f} %")
                assignments, proportions, rates = assign_labels(record, labels, n_classes, rates)
            sample = train[i]
            network.run({"X": sample["encoded_image"]}, time=a.time)
            record[i % ui] = spikes.get("s")[:, 0, :]
            labels[i % ui] = sample["label"]
            network.reset_state_variables()
            done = i + 1
    except KeyboardInterrupt:
        print(f"  interrupted after {done} images; going on to the test")
    if done > 0 and done % ui != 0:
        k = done % ui  # the last, partial interval
        assignments, proportions, rates = assign_labels(record[:k], labels[:k], n_classes, rates)
    elif done > 0:
        assignments, proportions, rates = assign_labels(record, labels, n_classes, rates)
    train_s = clock.perf_counter() - t0
    print(f"training: {train_s:.1f} s ({1e3 * train_s / max(done, 1):.2f} ms per image)")

    if n_test == 0:
        return None, None
    network.train(False)
    counts = np.zeros((n_test, a.n_neurons), dtype=np.float32)
    test_labels = np.zeros(n_test, dtype=np.int64)
    for i in range(n_test):
        sample = test[i]
        network.run({"X": sample["encoded_image"]}, time=a.time)
        counts[i] = spikes.get("s")[:, 0, :].sum(axis=0)
        test_labels[i] = sample["label"]
        network.reset_state_variables()
    all_acc = 100 * np.mean(all_activity(counts, assignments, n_classes) == test_labels)
    prop_acc = 100 * np.mean(proportion_weighting(counts, assignments, proportions, n_classes)
                             == test_labels)
    print(f"test accuracy on {n_test} images: all activity {all_acc:.1f} %, "
          f"proportion weighting {prop_acc:.1f} %")
    return all_acc, prop_acc


if __name__ == "__main__":
    main()
