"""Reinforcement-learning environments (``bindsnet.environment``).

Each environment has BindsNET's contract: ``reset()`` → observation,
``step(action)`` → ``(observation, reward, done, info)``, plus ``close()``
and ``render()`` (no-ops here) and ``action_space.n``. Observations are
float32 NumPy arrays. The built-in ones run in Rust (``spikeflow::rl``) and
are deterministic from ``seed`` (episode ``k`` is seeded with ``seed + k``):

* :class:`CartPole` — gym's classic-control cart-pole (``CartPole-v0``
  constants, Euler integrator; ``max_steps=500`` is v1). spikeflow only:
  BindsNET reaches it through gym.
* :class:`DotSimulator` — BindsNET's dot-tracing task (its argument names:
  ``t``, ``height``, ``width``, ``decay``, ``dots``, ``herrs``, ``speed``,
  ``randr``, ``allow_stay``, ``diag``, ``bound_hand``, ``fit_func``,
  ``ring_size``, ``bullseye``, ``teleport``); observations are the flattened
  grid.
* :class:`CueRewardSimulator` — BindsNET's cue-reward task (Backpropamine's;
  its argument names ``epdur``, ``cuebits``, ``zprob``, ``seed``); trials of
  10–20 steps as its docstring says (see the Rust docs of
  ``spikeflow::rl::CueRewardSimulator`` for where BindsNET's code differs).
* :class:`CueChoice` — a cue → action task (spikeflow only).
* :class:`GymEnvironment` — any ``gymnasium`` environment by name (needs the
  ``gymnasium`` package; without BindsNET's Atari preprocessing).
"""

import numpy as np

from .. import _native


class _Space:
    """A discrete action space (``n`` actions), as gym's ``Discrete``."""

    def __init__(self, n):
        self.n = n

    def sample(self):
        """A uniformly random action (NumPy's global generator)."""
        return int(np.random.randint(self.n))


class _Native:
    """A library environment with BindsNET's ``reset``/``step``."""

    def __init__(self, native, seed):
        self._env, self.seed, self._episode = native, int(seed), 0
        self.action_space = _Space(native.n_actions)
        low, high = native.observation_bounds
        self.observation_low, self.observation_high = low, high
        self.name = native.name
        self.truncated = False

    def reset(self):
        """Starts the next episode (seeded ``seed + episodes so far``)."""
        obs = self._env.reset(self.seed + self._episode)
        self._episode += 1
        self.truncated = False
        return obs

    def step(self, action):
        """``(observation, reward, done, info)``; ``done`` includes a
        truncation (also in ``info["truncated"]`` and ``self.truncated``)."""
        obs, reward, done, truncated, info = self._env.step(int(action))
        info["truncated"] = truncated
        self.truncated = truncated
        return obs, float(reward), bool(done or truncated), info

    def render(self):
        """Nothing to draw (no display)."""

    def close(self):
        """Nothing to release."""

    def __repr__(self):
        return f"{type(self).__name__}(seed={self.seed})"


class CartPole(_Native):
    """``CartPole(max_steps=200, reward="gym", seed=0)``: ``reward="gym"``
    gives 1 per step; ``"failure"`` gives Barto et al.'s signal (0, and −1
    on the failing step). Two actions (push left, right); observation
    ``(x, ẋ, θ, θ̇)``."""

    def __init__(self, max_steps=200, reward="gym", seed=0):
        super().__init__(_native.Env.cartpole(dict(max_steps=max_steps, reward=reward)), seed)


class DotSimulator(_Native):
    """BindsNET's ``DotSimulator(t, **kwargs)`` (see the module docs for the
    arguments) plus ``seed=0``."""

    def __init__(self, t=100, seed=0, **kwargs):
        known = {"height", "width", "decay", "dots", "herrs", "speed", "randr", "allow_stay",
                 "diag", "bound_hand", "fit_func", "ring_size", "bullseye", "teleport"}
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f"DotSimulator: unknown arguments {sorted(unknown)}")
        super().__init__(_native.Env.dot(dict(kwargs, t=t)), seed)


class CueRewardSimulator(_Native):
    """BindsNET's ``CueRewardSimulator(epdur=200, cuebits=20, seed=0,
    zprob=0.6)``: four cue patterns, one of them the episode's target; each
    trial shows two of them (a step shows no cue with probability ``zprob``),
    then the response cue (the first bit alone); the next action answers
    whether the target was shown (1) or not (0): +1 if right, −1 if wrong.
    Observation: the ``cuebits`` cue field, the step count, the previous
    action one-hot and the previous reward. Unlike BindsNET, ``seed`` seeds
    episode ``k`` with ``seed + k`` (BindsNET replays one episode)."""

    def __init__(self, epdur=200, cuebits=20, seed=0, zprob=0.6):
        super().__init__(_native.Env.cue_reward(dict(epdur=epdur, cuebits=cuebits, zprob=zprob)),
                         seed)

    def make(self, name=None):
        """BindsNET's ``make``: starts an episode (``reset``)."""
        return self.reset()


class CueChoice(_Native):
    """``CueChoice(n_actions, mapping, trials=1, seed=0)``: each step shows a
    random cue ``c`` (one-hot observation); action ``mapping[c]`` earns +1,
    any other −1; ``trials`` cues per episode."""

    def __init__(self, n_actions, mapping, trials=1, seed=0):
        super().__init__(_native.Env.cue_choice(int(n_actions), [int(m) for m in mapping],
                                                int(trials)), seed)


class GymEnvironment:
    """``GymEnvironment(name, seed=0, **kwargs)``: a ``gymnasium``
    environment with BindsNET's ``reset``/``step`` (observations as float32
    arrays; ``done`` is terminated or truncated). Unlike BindsNET it does
    not crop, grey-scale or binarise Atari frames."""

    def __init__(self, name, seed=0, **kwargs):
        try:
            import gymnasium
        except ImportError as e:
            raise ImportError("GymEnvironment needs the gymnasium package "
                              "(pip install gymnasium), or use spikeflow.environment.CartPole") from e
        self.name, self.seed, self._episode = name, int(seed), 0
        self.env = gymnasium.make(name, **kwargs)
        self.action_space = self.env.action_space

    def reset(self):
        """Starts the next episode (seeded ``seed + episodes so far``)."""
        obs, _ = self.env.reset(seed=self.seed + self._episode)
        self._episode += 1
        return np.asarray(obs, dtype=np.float32)

    def step(self, action):
        """``(observation, reward, done, info)``; ``done``: terminated or
        truncated (``info["truncated"]``)."""
        obs, reward, terminated, truncated, info = self.env.step(int(action))
        info = dict(info, truncated=truncated)
        return np.asarray(obs, dtype=np.float32), float(reward), bool(terminated or truncated), info

    def render(self):
        """The gymnasium environment's ``render()``."""
        return self.env.render()

    def close(self):
        """Closes the gymnasium environment."""
        self.env.close()


__all__ = ["CartPole", "DotSimulator", "CueRewardSimulator", "CueChoice", "GymEnvironment"]
