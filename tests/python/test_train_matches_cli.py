"""crossq.train on crossq.make's tasks, wrapped in a plain Python object, writes the run the CLI
writes: eval.csv and train.csv equal bit for bit (except wall-clock columns) to `crossq train`
with the same seed and settings, and the same folder name and settings in config.json."""
import os

import numpy as np
import pytest

import crossq
from conftest import SMALL, cli_flags, read_config, read_csv


class Plain:
    """Only the Gymnasium API of the env it wraps: nothing crossq could recognize as its own."""

    def __init__(self, env):
        self._env = env
        self.observation_space = env.observation_space
        self.action_space = env.action_space

    def reset(self, seed=None, options=None):
        return self._env.reset(seed=seed, options=options)

    def step(self, action):
        obs, reward, terminated, truncated, info = self._env.step(np.asarray(action))
        return obs, reward, terminated, truncated, info


@pytest.mark.parametrize("task,steps,seed", [("pendulum", 3000, 1), ("cheetah-run", 2000, 0)])
def test_python_run_equals_cli_run(tmp_path, run_cli, task, steps, seed):
    settings = dict(SMALL)
    run_cli("train", "--quiet", "--task", task, "--steps", steps, "--seed", seed, "--out", tmp_path / "cli",
            *cli_flags(settings))
    run = crossq.train(lambda: Plain(crossq.make(task)), steps=steps, seed=seed, out=tmp_path / "py", task=task,
                       **settings)
    rel = os.path.relpath(run, tmp_path / "py")
    cli_run = tmp_path / "cli" / rel
    assert cli_run.is_dir(), f"the CLI wrote no {rel}"
    assert rel.startswith(task + os.sep + "crossq-wn_") and rel.endswith(f"seed{seed}")

    ev_py = read_csv(os.path.join(run, "eval.csv"), drop={"wall_time_s"})
    ev_cli = read_csv(cli_run / "eval.csv", drop={"wall_time_s"})
    assert len(ev_py) > 2
    assert ev_py == ev_cli
    tr_py = read_csv(os.path.join(run, "train.csv"), drop={"charts/sps"})
    tr_cli = read_csv(cli_run / "train.csv", drop={"charts/sps"})
    assert len(tr_py) > 1
    assert tr_py == tr_cli

    # the same settings (the sources differ: python vs flag; every run has its own id)
    c_py, c_cli = read_config(run), read_config(cli_run)
    for c in (c_py, c_cli):
        c.pop("run_id")
        c.pop("sources")
    assert c_py == c_cli
    assert read_config(run)["sources"]["critic_hidden"] == "python"


def test_report_reads_python_runs(tmp_path, run_cli):
    run = crossq.train(lambda: crossq.make("pendulum"), steps=1000, out=tmp_path / "runs", task="pendulum",
                       **dict(SMALL, eval_every=500))
    r = run_cli("report", tmp_path / "runs", "--out", tmp_path / "report", "--reps", 100)
    assert (tmp_path / "report").is_dir(), r.stdout + r.stderr
    assert os.path.basename(run) == "seed0"


def test_agent_from_run_folders_acts_alike(tmp_path, run_cli):
    # the trainer's checkpoint loads into crossq.Agent: CLI and Python runs give the same policy
    settings = dict(SMALL)
    run_cli("train", "--quiet", "--task", "pendulum", "--steps", 1000, "--out", tmp_path / "cli", *cli_flags(settings))
    run = crossq.train(lambda: crossq.make("pendulum"), steps=1000, out=tmp_path / "py", task="pendulum", **settings)
    a_py = crossq.Agent.from_checkpoint(run)
    a_cli = crossq.Agent.from_checkpoint(tmp_path / "cli" / os.path.relpath(run, tmp_path / "py"))
    assert a_py.transitions == a_cli.transitions > 0 and a_py.updates == a_cli.updates > 0
    env = crossq.make("pendulum")
    obs, _ = env.reset(seed=7)
    for _ in range(20):
        a = a_py.act(obs, deterministic=True)
        assert np.array_equal(a, a_cli.act(obs, deterministic=True))
        obs, *_ = env.step(a)


def test_python_runs_are_not_resumable(tmp_path, run_cli):
    # the environment's state is not in the checkpoint: the CLI refuses to resume either kind
    kw = dict(steps=400, out=tmp_path, warmup=100, eval_every=200, eval_episodes=1, critic_hidden=16,
              actor_hidden=16, batch_size=16, threads=1)
    for task in ("pendulum", None):
        run = crossq.train(lambda: Plain(crossq.make("pendulum")), task=task, **kw)
        r = run_cli("train", "--resume", run, check=False)
        assert r.returncode == 2, r.stdout + r.stderr
        assert ("cannot build" if task is None else "does not fit task pendulum") in r.stderr
