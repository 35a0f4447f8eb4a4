"""Reward functions (``bindsnet.learning.reward``).

``Network(reward_fn=MovingAvgRPE)`` (the class, as in BindsNET) makes the
network instantiate it and, at every ``run`` call given a ``reward``,
replace that reward by ``reward_fn.compute(reward=..., **run kwargs)``
once for the whole call (BindsNET's ``Network.run``). ``update(**kwargs)``
is the caller's per-episode bookkeeping, as in BindsNET
(``network.reward_fn.update(accumulated_reward=..., steps=...,
ema_window=...)``).

The arithmetic is float32, as BindsNET's tensors and the library's
``MovingAvgRpe`` (``spikeflow::learning::MovingAvgRpe``).
"""

import numpy as np


class AbstractReward:
    """Base of reward functions: ``compute(**kwargs)`` returns the reward
    the rules see; ``update(**kwargs)`` does per-episode bookkeeping."""

    def compute(self, **kwargs):
        raise NotImplementedError

    def update(self, **kwargs):
        raise NotImplementedError


class MovingAvgRPE(AbstractReward):
    """Reward-prediction error against an exponential moving average:
    ``compute(reward=r) = r - reward_predict``; ``update(accumulated_reward=A,
    steps=n, ema_window=10.0)`` sets ``reward_predict = (1 - 1/W)
    reward_predict + (1/W) A/n`` and ``reward_predict_episode = (1 - 1/W)
    reward_predict_episode + (1/W) A`` and appends the latter to
    ``rewards_predict_episode``."""

    def __init__(self, **kwargs):
        self.reward_predict = np.float32(0.0)
        self.reward_predict_episode = np.float32(0.0)
        self.rewards_predict_episode = []

    def compute(self, **kwargs):
        reward = kwargs["reward"]
        return np.asarray(reward, dtype=np.float32) - self.reward_predict

    def update(self, **kwargs):
        accumulated = np.float32(np.asarray(kwargs["accumulated_reward"], dtype=np.float32).sum())
        steps = np.float32(kwargs["steps"])
        a = np.float32(1.0) / np.float32(kwargs.get("ema_window", 10.0))
        one = np.float32(1.0)
        self.reward_predict = np.float32((one - a) * self.reward_predict + a * (accumulated / max(steps, one)))
        self.reward_predict_episode = np.float32((one - a) * self.reward_predict_episode + a * accumulated)
        self.rewards_predict_episode.append(float(self.reward_predict_episode))


__all__ = ["AbstractReward", "MovingAvgRPE"]
