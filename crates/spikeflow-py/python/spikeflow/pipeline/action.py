"""Action selection from output spikes (``bindsnet.pipeline.action``).

Each function is called as BindsNET calls it, ``action_function(pipeline,
output=<layer name>)``, reads the spikes of the pipeline's last ``run``
(``pipeline.spike_record[output]``, ``[time, n]``) or of the last step
(``network.layers[output].s``) and returns an action index. Random draws
come from ``pipeline.rng`` (a NumPy ``Generator`` seeded by the pipeline's
``seed``), so a pipeline repeats from its seed.
"""

import numpy as np


def _counts(pipeline, output):
    return np.asarray(pipeline.spike_record[output], dtype=np.float64).sum(axis=0).reshape(-1)


def _n_actions(pipeline):
    return pipeline.env.action_space.n


def select_softmax(pipeline, **kwargs):
    """Samples an action with probability ``softmax(spike counts)`` over the
    output layer (one neuron per action)."""
    counts = _counts(pipeline, kwargs["output"])
    if counts.size != _n_actions(pipeline):
        raise ValueError(f"select_softmax: the output layer has {counts.size} neurons for "
                         f"{_n_actions(pipeline)} actions")
    p = np.exp(counts - counts.max())
    return int(pipeline.rng.choice(counts.size, p=p / p.sum()))


def select_multinomial(pipeline, **kwargs):
    """Population code: the output neurons split into ``n_actions`` equal
    groups; samples a group in proportion to its spikes at the last step,
    uniformly if none spiked."""
    n = _n_actions(pipeline)
    s = np.asarray(pipeline.network.layers[kwargs["output"]].s, dtype=np.float64).reshape(-1)
    total = s.sum()
    if total == 0:
        return int(pipeline.rng.integers(n))
    size = s.size // n
    groups = np.array([s[i * size:(i + 1) * size].sum() for i in range(n)])
    return int(pipeline.rng.choice(n, p=groups / groups.sum()))


def select_highest(pipeline, **kwargs):
    """The output neuron with the most spikes (ties: the first); a random
    action if none spiked."""
    counts = _counts(pipeline, kwargs["output"])
    if counts.sum() == 0:
        return int(pipeline.rng.integers(_n_actions(pipeline)))
    return int(np.argmax(counts))


def select_first_spike(pipeline, **kwargs):
    """The output neuron that spiked first (ties: the lowest index); a random
    action if none spiked."""
    rec = np.asarray(pipeline.spike_record[kwargs["output"]]).reshape(
        len(pipeline.spike_record[kwargs["output"]]), -1)
    steps, neurons = np.nonzero(rec)
    if steps.size == 0:
        return int(pipeline.rng.integers(_n_actions(pipeline)))
    return int(neurons[steps == steps.min()].min())


def select_random(pipeline, **kwargs):
    """A uniformly random action."""
    return int(pipeline.rng.integers(_n_actions(pipeline)))


__all__ = ["select_softmax", "select_multinomial", "select_highest", "select_first_spike",
           "select_random"]
