"""Pipelines (``bindsnet.pipeline``): :class:`EnvironmentPipeline` runs a
network against an environment the way BindsNET's does, and
``spikeflow.pipeline.action`` has its action-selection functions.

>>> import numpy as np
>>> from spikeflow.environment import CueChoice
>>> from spikeflow.pipeline import EnvironmentPipeline
>>> from spikeflow.pipeline.action import select_highest
>>> from spikeflow.network import Network
>>> from spikeflow.network.nodes import Input, LIFNodes
>>> from spikeflow.network.topology import Connection
>>> from spikeflow.learning import MSTDP
>>> net = Network(dt=1.0)
>>> x, y = Input(n=2), LIFNodes(n=2)
>>> net.add_layer(x, "X"); net.add_layer(y, "Y")
>>> net.add_connection(Connection(x, y, w=np.full((2, 2), 30.0, np.float32),
...                    update_rule=MSTDP, nu=0.5, wmin=0.0, wmax=60.0), "X", "Y")
>>> p = EnvironmentPipeline(net, CueChoice(2, [1, 0], trials=5), action_function=select_highest,
...                         output="Y", time=20, seed=0)
>>> p.reset_state_variables()
>>> obs, reward, done, info = p.env_step()
>>> p.step((obs, reward, done, info))
"""

import numpy as np

from ..network.monitors import Monitor
from ..network.nodes import Input


class EnvironmentPipeline:
    """``EnvironmentPipeline(network, environment, action_function=None,
    encoding=None, **kwargs)`` — BindsNET's loop, in its order: each
    :meth:`env_step` chooses an action from the output spikes of the last
    :meth:`step` and steps the environment; each :meth:`step` encodes the
    observation for ``time`` network steps into every input layer and calls
    ``network.run(inputs, time, reward=reward)``, so the reward of an action
    reaches the rules while the network sees the observation it led to.

    Keyword arguments (BindsNET's): ``output`` (the layer whose spikes pick
    the action; a monitor named after it is added), ``time`` (network steps
    per environment step; default ``int(dt)``), ``num_episodes`` (for
    :meth:`train`, default 100), ``reward_delay`` (hand each reward to the
    network that many environment steps later), ``percent_of_random_action``
    (probability of a uniformly random action), ``random_action_after`` (a
    random action after that many repeats of one action; default
    ``time``), ``encode_factor`` (observations are multiplied by it before
    encoding). spikeflow only: ``seed`` (the pipeline's random draws,
    ``self.rng``). Without ``encoding`` the observation is repeated at every
    step as a value input.

    Differences: BindsNET's ``reward_delay`` overwrites the first slot of
    its buffer instead of shifting it (every reward is lost but the newest);
    here it is a first-in first-out delay. The Breakout-specific "fire after
    too many repeats" of BindsNET is a random action here. Plotting and
    rendering options are accepted and ignored.
    """

    def __init__(self, network, environment, action_function=None, encoding=None, **kwargs):
        self.network, self.env = network, environment
        self.action_function, self.encoding = action_function, encoding
        self.episode = 0
        self.accumulated_reward = 0.0
        self.reward_list = []
        self.step_count = 0
        self.num_episodes = int(kwargs.get("num_episodes", 100))
        self.output = kwargs.get("output")
        self.time = int(kwargs.get("time", int(network.dt)))
        if self.time < 1:
            raise ValueError(f"EnvironmentPipeline: time must be ≥ 1 network step, got {self.time}")
        self.reward_delay = kwargs.get("reward_delay")
        if self.reward_delay is not None and int(self.reward_delay) < 1:
            raise ValueError("EnvironmentPipeline: reward_delay must be ≥ 1")
        self._delayed = [0.0] * int(self.reward_delay or 0)
        self.percent_of_random_action = float(kwargs.get("percent_of_random_action", 0.0))
        self.random_action_after = int(kwargs.get("random_action_after", self.time))
        self.encode_factor = float(kwargs.get("encode_factor", 1.0))
        self.rng = np.random.default_rng(kwargs.get("seed", 0))
        self.inputs = [name for name, layer in network.layers.items() if isinstance(layer, Input)]
        if not self.inputs:
            raise ValueError("EnvironmentPipeline: the network has no Input layer")
        self.action, self.last_action, self.action_counter = -1, -1, 0
        if self.output is not None:
            if self.output not in network.layers:
                raise KeyError(f"EnvironmentPipeline: no layer named {self.output!r}")
            layer = network.layers[self.output]
            network.add_monitor(Monitor(layer, ["s"], time=self.time), self.output)
            self.spike_record = {self.output: np.zeros((self.time, layer.n), dtype=np.float32)}

    def env_step(self, **kwargs):
        """Chooses an action (the action function on the last step's output
        spikes, or a random one) and steps the environment: ``(observation,
        reward, done, info)`` with ``info["accumulated_reward"]``."""
        n = self.env.action_space.n
        if self.action_function is not None:
            self.last_action = self.action
            if self.rng.random() < self.percent_of_random_action:
                self.action = int(self.rng.integers(n))
            elif self.action_counter > self.random_action_after:
                self.action = int(self.rng.integers(n))
            else:
                self.action = int(self.action_function(self, output=self.output))
            self.action_counter = self.action_counter + 1 if self.action == self.last_action else 0
        else:
            self.action = int(self.rng.integers(n))
        obs, reward, done, info = self.env.step(self.action)
        if self._delayed:
            self._delayed.append(reward)
            reward = self._delayed.pop(0)
        self.accumulated_reward += reward
        info["accumulated_reward"] = self.accumulated_reward
        return obs, reward, done, info

    def step(self, gym_batch, **kwargs):
        """Runs the network on one environment step's ``(observation,
        reward, done, info)``; at the end of an episode records its
        accumulated reward (and updates the network's ``reward_fn``)."""
        self.step_count += 1
        obs, reward, done, info = gym_batch
        obs = np.asarray(obs, dtype=np.float32) * self.encode_factor
        if self.encoding is None:
            x = np.broadcast_to(obs, (self.time, 1, *obs.shape)).astype(np.float32)
        else:  # as BindsNET: encoding(observation with a batch axis, time)
            x = self.encoding(obs[None], self.time)
        self.network.run({k: x for k in self.inputs}, time=self.time, reward=reward, **kwargs)
        if self.output is not None:
            s = self.network.monitors[self.output].get("s")
            self.spike_record[self.output] = np.asarray(s, dtype=np.float32).reshape(self.time, -1)
        if done:
            if self.network.reward_fn is not None:
                self.network.reward_fn.update(accumulated_reward=self.accumulated_reward,
                                              steps=self.step_count, **kwargs)
            self.reward_list.append(self.accumulated_reward)

    def reset_state_variables(self):
        """Starts an episode: resets the environment and the network's
        state (weights kept), the accumulated reward and the step count."""
        self.env.reset()
        self.network.reset_state_variables()
        self.accumulated_reward = 0.0
        self.step_count = 0
        self._delayed = [0.0] * len(self._delayed)
        if self.output is not None:
            self.spike_record[self.output][:] = 0.0

    def train(self, **kwargs):
        """Runs ``num_episodes`` episodes (``env_step`` then ``step`` until
        done); returns ``reward_list``."""
        while self.episode < self.num_episodes:
            self.reset_state_variables()
            done = False
            while not done:
                batch = self.env_step()
                self.step(batch, **kwargs)
                done = batch[2]
            self.episode += 1
        return self.reward_list


__all__ = ["EnvironmentPipeline"]
