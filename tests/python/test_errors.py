"""Bad input raises Python exceptions with the CLI's messages: crossq.Error (crossq.UsageError,
also a ValueError, for bad input) with .hint and .exit_code; nothing is written."""
import os
import pickle

import numpy as np
import pytest

import crossq

SMALL = dict(warmup=50, steps=200, batch_size=16, critic_hidden=16, actor_hidden=16, threads=1)


def test_error_classes():
    assert issubclass(crossq.Error, RuntimeError)
    assert issubclass(crossq.UsageError, crossq.Error) and issubclass(crossq.UsageError, ValueError)
    e = pickle.loads(pickle.dumps(crossq.UsageError("m", "h")))
    assert (e.message, e.hint, e.exit_code) == ("m", "h", 2)


def test_wrong_obs_shape():
    agent = crossq.Agent(3, 1, **SMALL)
    with pytest.raises(crossq.UsageError) as e:
        agent.act(np.zeros(4, np.float32))
    assert str(e.value).startswith("obs has shape (4,), expected (3,)")
    assert e.value.exit_code == 2 and "1-D array of 3" in e.value.hint
    with pytest.raises(ValueError, match=r"obs has shape \(1, 3\), expected \(3,\)"):
        agent.act(np.zeros((1, 3)))
    with pytest.raises(crossq.UsageError, match="obs must be an array of 3 numbers, got str"):
        agent.act("abc")
    with pytest.raises(crossq.UsageError, match=r"action has shape \(2,\), expected \(1,\)"):
        agent.observe(np.zeros(3), np.zeros(2), 0.0, np.zeros(3), False, False)


def test_nan_in_observe_and_act():
    agent = crossq.Agent(3, 1, **SMALL)
    bad = np.array([0, np.nan, 0], np.float32)
    ok, a = np.zeros(3, np.float32), np.zeros(1, np.float32)
    with pytest.raises(crossq.UsageError, match=r"^obs holds NaN \(component 1\)"):
        agent.observe(bad, a, 0.0, ok, False, False)
    with pytest.raises(crossq.UsageError, match=r"^next_obs holds Inf \(component 0\)"):
        agent.observe(ok, a, 0.0, np.array([np.inf, 0, 0]), False, False)
    with pytest.raises(crossq.UsageError, match=r"^action holds NaN"):
        agent.observe(ok, np.array([np.nan]), 0.0, ok, False, False)
    with pytest.raises(crossq.UsageError, match="reward is nan"):
        agent.observe(ok, a, float("nan"), ok, False, False)
    with pytest.raises(crossq.UsageError, match=r"outside \[-1, 1\]"):
        agent.observe(ok, np.array([2.0]), 0.0, ok, False, False)
    with pytest.raises(crossq.UsageError, match="obs holds NaN"):
        agent.act(bad)
    assert agent.transitions == 0


def test_unknown_setting_has_did_you_mean(tmp_path):
    with pytest.raises(crossq.UsageError) as e:
        crossq.train(lambda: crossq.make("pendulum"), out=tmp_path / "runs", bach_size=32)
    assert "unknown setting 'bach_size'" in e.value.message
    assert "did you mean 'batch_size'?" in e.value.hint and "did you mean 'batch_size'?" in str(e.value)
    assert not (tmp_path / "runs").exists()
    with pytest.raises(crossq.UsageError, match="did you mean 'critic_lr'"):
        crossq.Agent(3, 1, critic_lrr=1e-3)


def test_bad_setting_values(tmp_path):
    with pytest.raises(crossq.UsageError, match=r"'utd' is 0, outside \[1, 1000\]"):
        crossq.train(lambda: crossq.make("pendulum"), out=tmp_path, utd=0)
    with pytest.raises(crossq.UsageError, match="'steps' must be an integer, got 2.5"):
        crossq.train(lambda: crossq.make("pendulum"), out=tmp_path, steps=2.5)
    with pytest.raises(crossq.UsageError, match="setting 'utd' must be a number, True/False or a string, got list"):
        crossq.Agent(3, 1, utd=[1])
    with pytest.raises(crossq.UsageError, match="unknown bn 'layernorm'"):
        crossq.Agent(3, 1, bn="layernorm")
    with pytest.raises(crossq.UsageError, match="seed must be an integer in"):
        crossq.Agent(3, 1, seed=-1)
    assert crossq.Agent(3, 1, utd=np.int64(2), discount=np.float32(0.9), **SMALL).config["utd"] == 2
    assert not any(tmp_path.iterdir())


def test_unknown_algo_and_task(tmp_path):
    with pytest.raises(crossq.UsageError, match="unknown algorithm 'crossq-foo'") as e:
        crossq.train(lambda: crossq.make("pendulum"), algo="crossq-foo", out=tmp_path)
    assert "crossq-wn" in e.value.hint
    with pytest.raises(crossq.UsageError, match="unknown task 'cheetah-walk'") as e:
        crossq.make("cheetah-walk")
    assert "cheetah-run" in e.value.hint
    with pytest.raises(crossq.UsageError, match="unknown task"):
        crossq.train(lambda: crossq.make("pendulum"), task="pendulumm", out=tmp_path)
    with pytest.raises(crossq.UsageError, match="unknown algorithm"):
        crossq.Agent(3, 1, algo="ppo")


def test_env_object_needs_eval_env(tmp_path):
    env = crossq.make("pendulum")
    with pytest.raises(TypeError, match="pass a callable") as e:
        crossq.train(env, out=tmp_path)
    assert "eval_env" in str(e.value)
    with pytest.raises(TypeError, match="or a callable that returns one"):
        crossq.train(42, out=tmp_path)
    with pytest.raises(crossq.UsageError, match="are one object"):
        crossq.train(lambda: env, out=tmp_path, **SMALL)
    # with its own evaluation env an object trains
    run = crossq.train(env, eval_env=crossq.make("pendulum"), out=tmp_path, task="pendulum", eval_every=100,
                       eval_episodes=1, **SMALL)
    assert os.path.isfile(os.path.join(run, "eval.csv"))


class Broken:
    """An environment whose step() misbehaves in the way `mode` says."""

    def __init__(self, mode):
        self.mode = mode
        self.observation_space = crossq.Box(-1, 1, (2,))
        self.action_space = crossq.Box(-1, 1, (1,))

    def reset(self, seed=None, options=None):
        return (np.zeros(3) if self.mode == "reset-shape" else np.zeros(2)), {}

    def step(self, action):
        if self.mode == "raises":
            raise RuntimeError("boom from the environment")
        obs = np.array([np.nan, 0.0]) if self.mode == "nan" else np.zeros(2)
        if self.mode == "old-gym":
            return obs, 0.0, False, {}
        return obs, 0.0, False, False, {}


@pytest.mark.parametrize("mode,exc,match", [
    ("reset-shape", crossq.UsageError, r"the training env's reset\(\) returned an observation of 3 numbers"),
    ("nan", crossq.UsageError, r"the training env's step\(\) returned an observation holding NaN \(component 0\)"),
    ("old-gym", crossq.UsageError, "got 4 values"),
    ("raises", RuntimeError, "boom from the environment"),
])
def test_misbehaving_env(tmp_path, mode, exc, match):
    with pytest.raises(exc, match=match):
        crossq.train(lambda: Broken(mode), out=tmp_path, **SMALL)


def test_bad_spaces(tmp_path):
    class Unbounded(Broken):
        def __init__(self):
            super().__init__("ok")
            self.action_space = crossq.Box(-np.inf, np.inf, (1,))

    with pytest.raises(crossq.UsageError, match="finite action bounds"):
        crossq.train(Unbounded, out=tmp_path, **SMALL)

    class WrongTask(Broken):
        def __init__(self):
            super().__init__("ok")

    with pytest.raises(crossq.UsageError, match="task 'cheetah-run' has obs_dim 17"):
        crossq.train(WrongTask, out=tmp_path, task="cheetah-run", **SMALL)
    assert not any(tmp_path.iterdir())


def test_existing_run_folder_needs_overwrite(tmp_path):
    kw = dict(out=tmp_path, task="pendulum", eval_every=100, eval_episodes=1, **SMALL)
    run = crossq.train(lambda: crossq.make("pendulum"), **kw)
    with pytest.raises(crossq.UsageError, match="exists") as e:
        crossq.train(lambda: crossq.make("pendulum"), **kw)
    assert "overwrite" in e.value.hint
    assert crossq.train(lambda: crossq.make("pendulum"), overwrite=True, **kw) == run


def test_env_misuse():
    env = crossq.make("pendulum")
    with pytest.raises(crossq.UsageError, match=r"step\(\) before reset\(\)"):
        env.step(np.zeros(1))
    env.reset(seed=0)
    with pytest.raises(crossq.UsageError, match=r"action has shape \(2,\), expected \(1,\)"):
        env.step(np.zeros(2))
    with pytest.raises(crossq.Error, match="action component 0 is NaN") as e:
        env.step(np.array([np.nan]))
    assert e.value.exit_code == 3 and not isinstance(e.value, ValueError)
