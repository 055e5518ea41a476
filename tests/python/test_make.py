"""crossq.make: crossq's own tasks behind the Gymnasium API. The spaces match `crossq tasks
--json`; a seeded episode is deterministic; reset() continues the seeded stream."""
import json

import numpy as np
import pytest

import crossq


@pytest.fixture(scope="module")
def cli_tasks(run_cli):
    return {t["name"]: t for t in json.loads(run_cli("tasks", "--json").stdout)}


def test_task_names_match_cli(cli_tasks):
    assert crossq.task_names() == list(cli_tasks)


def rollout(env, seed, steps, action_seed=0):
    rng = np.random.default_rng(action_seed)
    obs, info = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample(rng))
        out += [obs, np.float64(reward), terminated, truncated]
        if terminated or truncated:
            obs, info = env.reset()
            out.append(obs)
    return out


@pytest.mark.parametrize("name", crossq.task_names())
def test_spaces_match_cli_and_episodes_are_deterministic(cli_tasks, name):
    t = cli_tasks[name]
    env = crossq.make(name)
    assert env.observation_space.shape == (t["obs_dim"],)
    assert env.action_space.shape == (t["act_dim"],)
    assert env.observation_space.dtype == np.float32 and env.action_space.dtype == np.float32
    assert np.all(env.action_space.low < env.action_space.high)
    assert env.task_spec["episode_steps"] == t["episode_steps"]
    assert env.task_spec["has_success"] == t["has_success"]
    a, b = rollout(env, 3, 40), rollout(crossq.make(name), 3, 40)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    assert a[0].dtype == np.float32 and a[0].shape == (t["obs_dim"],)
    assert env.observation_space.contains(a[0])
    # another seed, another initial state (the initial state is randomized), except for
    # MyoSuite's fixed tasks, which start every episode from one state
    assert env.task_spec["random_start"] == t["random_start"]
    c = rollout(crossq.make(name), 4, 0)
    assert np.array_equal(a[0], c[0]) != t["random_start"]


def test_step_returns_gymnasium_values():
    env = crossq.make("pendulum")
    obs, info = env.reset(seed=0)
    assert isinstance(info, dict)
    obs2, reward, terminated, truncated, info = env.step(np.zeros(1, np.float32))
    assert isinstance(reward, float) and isinstance(terminated, bool) and isinstance(truncated, bool)
    assert obs2 is not obs and obs2.dtype == np.float32
    # float64 and lists are accepted, as is an out-of-bounds action (clipped, counted)
    env.step(np.zeros(1, np.float64))
    env.step([0.0])
    env.step(env.action_space.high * 10)
    assert env.clipped_actions == 1


def test_time_limit_truncates():
    env = crossq.make("pendulum")
    env.reset(seed=0)
    n = env.task_spec["episode_steps"]
    for i in range(n):
        _, _, terminated, truncated, _ = env.step(np.zeros(1))
        assert not terminated
        assert truncated == (i == n - 1)
    with pytest.raises(crossq.UsageError, match="after the episode ended"):
        env.step(np.zeros(1))


def test_reset_continues_the_seeded_stream():
    # reset(seed=s) then reset() draws the second initial state of Rng(s), as Gymnasium does
    e1, e2 = crossq.make("cartpole-swingup"), crossq.make("cartpole-swingup")
    first = [e1.reset(seed=11)[0], e1.reset()[0], e1.reset()[0]]
    assert not np.array_equal(first[0], first[1])
    e2.reset(seed=11)
    assert np.array_equal(e2.reset()[0], first[1])
    assert np.array_equal(e2.reset()[0], first[2])
    # a new seed restarts: the same seed again gives the same first state
    assert np.array_equal(e2.reset(seed=11)[0], first[0])


def test_success_in_info_for_tasks_with_success():
    env = crossq.make("myo-reach")
    env.reset(seed=0)
    *_, info = env.step(env.action_space.sample(np.random.default_rng(0)))
    assert isinstance(info["success"], bool)
    env = crossq.make("pendulum")
    env.reset(seed=0)
    assert "success" not in env.step(np.zeros(1))[4]


def test_unseeded_envs_differ():
    assert not np.array_equal(crossq.make("pendulum").reset()[0], crossq.make("pendulum").reset()[0])
