"""spikeflow.environment and spikeflow.pipeline: environments repeat from a
seed and follow BindsNET's contract, the action functions pick what they
should (distributions included), the pipeline runs BindsNET's loop in its
order (the action from the last run's output spikes, the reward of that
action handed to the next run), bad input is refused."""

import numpy as np
import pytest

from spikeflow.environment import (CartPole, CueChoice, CueRewardSimulator, DotSimulator,
                                   GymEnvironment)
from spikeflow.learning import MSTDP
from spikeflow.network import Network
from spikeflow.network.nodes import Input, LIFNodes
from spikeflow.network.topology import Connection
from spikeflow.pipeline import EnvironmentPipeline
from spikeflow.pipeline import action as act


def test_cartpole_repeats_from_its_seed_and_ends():
    a, b = CartPole(seed=3), CartPole(seed=3)
    oa, ob = a.reset(), b.reset()
    np.testing.assert_array_equal(oa, ob)
    assert oa.dtype == np.float32 and oa.shape == (4,) and np.all(np.abs(oa) < 0.05)
    assert not np.array_equal(a.reset(), CartPole(seed=3).reset()), "episode 2 has its own seed"
    env, done, steps = CartPole(seed=0), False, 0
    env.reset()
    while not done:
        obs, reward, done, info = env.step(1)  # always push right: falls over
        steps += 1
        assert reward == 1.0
    assert 5 < steps < 60 and info["truncated"] is False
    assert env.action_space.n == 2


def test_cartpole_truncates_and_failure_reward():
    env = CartPole(max_steps=3, reward="failure")
    env.reset()
    out = [env.step(k % 2) for k in range(3)]
    assert [o[2] for o in out] == [False, False, True]
    assert out[-1][3]["truncated"] is True and env.truncated
    assert all(o[1] == 0.0 for o in out)


def test_dot_simulator_and_cue_choice():
    d = DotSimulator(t=5, height=10, width=10, seed=1)
    obs = d.reset()
    assert obs.shape == (100,) and obs.dtype == np.float32
    assert d.action_space.n == 5
    _, reward, done, _ = d.step(0)
    assert np.isfinite(reward) and not done
    c = CueChoice(2, [1, 0], trials=2, seed=0)
    cue = c.reset()
    assert cue.shape == (2,) and cue.sum() == 1
    right = 1 - int(np.argmax(cue))
    _, r, done, _ = c.step(right)
    assert r == 1.0 and not done
    _, _, done, _ = c.step(0)
    assert done


def test_cue_reward_simulator_scores_the_answer_after_the_response_cue():
    env = CueRewardSimulator(epdur=60, cuebits=8, seed=2)
    obs = env.make("cue")
    assert obs.shape == (12,) and obs.dtype == np.float32 and env.action_space.n == 2
    response = np.zeros(8, dtype=np.float32)
    response[0] = 1
    answered, done, prev_reward, step = 0, False, 0.0, 0
    answer = None
    while not done:
        action = answer if answer is not None else 0
        obs, reward, done, info = env.step(action)
        step += 1
        assert obs[8] == step and obs[11] == prev_reward
        if answer is not None:
            assert reward == 1.0, "the right answer earns +1"
            answered += 1
            answer = None
        else:
            assert reward == 0.0
            if np.array_equal(obs[:8], response):
                answer = int(info["target_shown"])
        prev_reward = reward
    assert answered >= 2 and step == 60
    with pytest.raises(ValueError, match="zprob"):
        CueRewardSimulator(zprob=2.0)


def test_environments_refuse_bad_input():
    with pytest.raises(TypeError, match="unknown arguments"):
        DotSimulator(t=5, colour="red")
    with pytest.raises(ValueError, match="fit_func"):
        DotSimulator(t=5, fit_func="manhattan")
    with pytest.raises(ValueError, match="reward"):
        CartPole(reward="sometimes")
    env = CartPole()
    with pytest.raises(ValueError, match="reset"):
        env.step(0)
    env.reset()
    with pytest.raises(ValueError, match="action 2"):
        env.step(2)
    with pytest.raises(ValueError):
        CueChoice(2, [5, 0])
    try:
        import gymnasium  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="gymnasium"):
            GymEnvironment("CartPole-v1")


class _Pipe:
    """What an action function sees of a pipeline."""

    def __init__(self, record, n_actions, seed=0, s=None):
        self.spike_record = {"Y": np.asarray(record, dtype=np.float32)}
        self.rng = np.random.default_rng(seed)
        self.env = type("E", (), {"action_space": type("S", (), {"n": n_actions})})()
        self.network = type("N", (), {"layers": {"Y": type("L", (), {"s": s})()}})()


def test_action_functions():
    rec = np.zeros((4, 3))
    rec[1, 2] = rec[2, 0] = rec[3, 0] = 1
    p = _Pipe(rec, 3)
    assert act.select_highest(p, output="Y") == 0
    assert act.select_first_spike(p, output="Y") == 2
    silent = _Pipe(np.zeros((4, 3)), 3, seed=1)
    draws = [act.select_highest(silent, output="Y") for _ in range(300)]
    assert set(draws) == {0, 1, 2}
    # softmax over counts (0, 1): P(1) = e / (1 + e) ≈ 0.731; 20,000 draws, ~5 SE.
    two = np.zeros((3, 2))
    two[0, 1] = 1
    p = _Pipe(two, 2, seed=2)
    share = np.mean([act.select_softmax(p, output="Y") for _ in range(20000)])
    assert abs(share - np.e / (1 + np.e)) < 0.016
    # multinomial: 4 neurons in 2 groups, 1 spike in group 0 and 2 in group 1.
    p = _Pipe(two, 2, seed=3, s=np.array([[1, 0, 1, 1]], bool))
    share = np.mean([act.select_multinomial(p, output="Y") for _ in range(20000)])
    assert abs(share - 2 / 3) < 0.017
    rand = [act.select_random(_Pipe(two, 4, seed=4), output="Y") for _ in range(50)]
    assert set(rand) <= {0, 1, 2, 3}
    with pytest.raises(ValueError, match="3 neurons for 2 actions"):
        act.select_softmax(_Pipe(np.zeros((2, 3)), 2), output="Y")


class _Scripted:
    """An environment that records what it is asked: cue k is k % 2, reward
    +1 when the action equals the last cue, done after 3 steps."""

    def __init__(self):
        self.action_space = type("S", (), {"n": 2})()
        self.actions, self.k = [], 0

    def reset(self):
        self.k = 0
        return np.array([1.0, 0.0], np.float32)

    def step(self, a):
        self.actions.append(a)
        r = 1.0 if a == self.k % 2 else -1.0
        self.k += 1
        obs = np.eye(2, dtype=np.float32)[self.k % 2]
        return obs, r, self.k == 3, {}


def _net():
    net = Network(dt=1.0, seed=0)
    x, y = Input(n=2), LIFNodes(n=2, refrac=0)
    net.add_layer(x, "X")
    net.add_layer(y, "Y")
    w = np.array([[40.0, 0.0], [0.0, 40.0]], np.float32)  # input i drives output i
    net.add_connection(Connection(x, y, w=w, update_rule=MSTDP, nu=0.1, wmin=0.0, wmax=60.0),
                       "X", "Y")
    return net


def test_pipeline_runs_bindsnets_loop_in_order():
    net, env = _net(), _Scripted()
    seen = []
    run = net.run

    def spy(inputs, time, **kw):
        seen.append((inputs["X"][0, 0].copy(), kw.get("reward")))
        return run(inputs, time, **kw)

    net.run = spy
    p = EnvironmentPipeline(net, env, action_function=act.select_highest, output="Y", time=5,
                            seed=0)
    assert p.train.__doc__ and p.num_episodes == 100
    p.reset_state_variables()
    done = False
    while not done:
        batch = p.env_step()
        p.step(batch)
        done = batch[2]
    # First action: nothing ran yet, so a random one; then each action is the
    # output that the last observation drove (cue 1, then cue 0).
    assert env.actions[1:] == [1, 0]
    # Each run saw the observation that followed the action, with its reward.
    np.testing.assert_array_equal([s[0] for s in seen], [[0, 1], [1, 0], [0, 1]])
    assert [s[1] for s in seen] == [1.0 if env.actions[0] == 0 else -1.0, 1.0, 1.0]
    assert p.reward_list == [sum(s[1] for s in seen)]
    assert p.spike_record["Y"].shape == (5, 2)


def test_pipeline_reward_delay_and_refusals():
    net, env = _net(), _Scripted()
    p = EnvironmentPipeline(net, env, action_function=act.select_random, output="Y", time=2,
                            reward_delay=2, seed=5)
    p.reset_state_variables()
    rewards = [p.env_step()[1] for _ in range(3)]
    assert rewards[:2] == [0.0, 0.0]  # delayed by two environment steps
    with pytest.raises(ValueError, match="time"):
        EnvironmentPipeline(_net(), _Scripted(), time=0)
    with pytest.raises(KeyError, match="Z"):
        EnvironmentPipeline(_net(), _Scripted(), output="Z", time=3)
    with pytest.raises(ValueError, match="reward_delay"):
        EnvironmentPipeline(_net(), _Scripted(), time=3, reward_delay=0)


def test_pipeline_repeats_from_its_seed():
    def episode_rewards(seed):
        p = EnvironmentPipeline(_net(), CartPole(seed=seed), action_function=act.select_softmax,
                                output="Y", time=3, num_episodes=3, seed=seed,
                                encoding=lambda d, t: np.repeat(
                                    (np.abs(d[..., :2]) > 0.01)[None], t, axis=0))
        return p.train()

    assert episode_rewards(1) == episode_rewards(1)
