"""BindsNET's reinforcement-learning loop on spikeflow: a spiking network
plays cart-pole through ``spikeflow.pipeline.EnvironmentPipeline``, its
read-out learning by reward-modulated STDP (MSTDPET), as BindsNET's
``examples/breakout/breakout_stdp.py`` does with gym's Breakout.

Each environment step, the observation ``(x, ẋ, θ, θ̇)`` is split into its
positive and negative parts (8 inputs), Bernoulli-encoded for ``time`` ms,
and run through ``Input(8) → LIFNodes(100) → LIFNodes(2)``; the action is
drawn by a softmax over the two outputs' spike counts. This shows the API;
it is not the best cart-pole learner spikeflow has (``spikeflow rl
cartpole`` is).

    python examples/python/cartpole_pipeline.py --episodes 100
"""

import argparse

import numpy as np

from spikeflow.encoding import bernoulli
from spikeflow.environment import CartPole
from spikeflow.learning import MSTDPET
from spikeflow.network import Network
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Connection
from spikeflow.pipeline import EnvironmentPipeline
from spikeflow.pipeline.action import select_softmax

SCALE = np.array([2.4, 2.0, 0.21, 2.5], np.float32)  # typical magnitudes of x, ẋ, θ, θ̇


def encode(obs, time):
    """Positive and negative parts of the scaled observation, as spike
    probabilities per ms (``[time, 1, 8]``)."""
    v = np.clip(obs / SCALE, -1.0, 1.0)
    rates = np.concatenate([np.maximum(v, 0), np.maximum(-v, 0)], axis=-1)
    return bernoulli(rates, time=time, max_prob=0.5)


def build(seed):
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0, seed=seed)
    inp, hidden, out = Input(n=8, traces=True), LIFNodes(n=100, traces=True), LIFNodes(n=2, refrac=0, traces=True)
    net.add_layer(inp, "Input")
    net.add_layer(hidden, "Hidden")
    net.add_layer(out, "Output")
    net.add_connection(Connection(inp, hidden, w=rng.uniform(0, 12, (8, 100)).astype(np.float32),
                                  wmin=0.0, wmax=12.0), "Input", "Hidden")
    net.add_connection(Connection(hidden, out, w=rng.uniform(0, 2, (100, 2)).astype(np.float32),
                                  update_rule=MSTDPET, nu=0.05, wmin=0.0, wmax=4.0,
                                  tc_e_trace=100.0), "Hidden", "Output")
    return net


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--time", type=int, default=20, help="network ms per environment step")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    net = build(a.seed)
    env = CartPole(seed=a.seed)
    pipeline = EnvironmentPipeline(net, env, action_function=select_softmax, encoding=encode,
                                   output="Output", time=a.time, num_episodes=a.episodes,
                                   seed=a.seed)
    for episode in range(a.episodes):
        pipeline.reset_state_variables()
        done, total = False, 0.0
        while not done:
            obs, reward, done, info = pipeline.env_step()
            pipeline.step((obs, reward, done, info))
            total += reward
        if episode % 10 == 9 or episode == a.episodes - 1:
            last = pipeline.reward_list[-10:]
            print(f"episode {episode + 1:4d}: return {total:5.0f}, mean of the last {len(last)}: "
                  f"{np.mean(last):6.1f}")
    return pipeline.reward_list


if __name__ == "__main__":
    main()
