"""crossq: CrossQ + weight normalization and its baselines (CrossQ, SAC, SR-SAC, SimBa, BRO) from
Python, on the C++ core of the ``crossq`` command-line tool.

- ``crossq.make(name)``: one of crossq's tasks with the Gymnasium API.
- ``crossq.train(env, ...)``: ``crossq train`` on any environment with the Gymnasium API; writes
  the CLI's run folder (``crossq report`` reads it) and returns its path.
- ``crossq.Agent(obs_dim, act_dim, ...)``: the learner (agent, replay buffer, update schedule)
  for a control loop of your own: ``act``, ``observe``, ``save``, ``load``, ``sync``.

docs/python.md describes every function, the seeding and what cannot be done.
"""
import os as _os

_here = _os.path.dirname(_os.path.abspath(__file__))
# an installed package carries the MuJoCo models of crossq's tasks (the build tree reads the
# checkout's assets/ folder, compiled in)
if _os.path.isdir(_os.path.join(_here, "assets")) and not _os.environ.get("CROSSQ_ASSET_DIR"):
    _os.environ["CROSSQ_ASSET_DIR"] = _os.path.join(_here, "assets")

import numpy as _np

from ._errors import Error, UsageError
from ._spaces import Box
from . import _crossq
from ._crossq import (Agent, algo_names, default_config, option_specs, stream_seed, task_names,
                      task_spec)

__version__ = _crossq.__version__
__all__ = ["make", "train", "Agent", "TaskEnv", "Box", "Error", "UsageError", "task_names", "task_spec",
           "algo_names", "option_specs", "default_config", "stream_seed"]


class TaskEnv(_crossq.TaskEnv):
    """One of crossq's tasks with the Gymnasium API (``crossq.make(name)`` makes one).

    ``reset(seed=None, options=None) -> (obs, info)``: a seed restarts the env's random stream
    at crossq's Rng(seed); a later ``reset()`` continues it, as in Gymnasium.
    ``step(action) -> (obs, reward, terminated, truncated, info)``: the action in the task's
    units (clipped into ``action_space``), truncated at the task's episode length; ``info`` has
    ``"success"`` for tasks with success. Observations are new float32 arrays."""

    metadata = {"render_modes": []}
    render_mode = None
    spec = None  # Gymnasium's registry entry: crossq's tasks are not registered there

    def __init__(self, name):
        super().__init__(name)
        self.name = name
        self.task_spec = task_spec(name)
        s = self.task_spec
        self.observation_space = Box(-_np.inf, _np.inf, (s["obs_dim"],), _np.float32)
        self.action_space = Box(_np.array(s["act_low"], _np.float32), _np.array(s["act_high"], _np.float32),
                                dtype=_np.float32)

    @property
    def unwrapped(self):
        return self

    def render(self):
        return None

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return f"crossq.TaskEnv({self.name!r})"


def make(name):
    """One of crossq's tasks (``crossq.task_names()``, ``crossq tasks``) with the Gymnasium API,
    its time limit included::

        env = crossq.make("cheetah-run")
        obs, info = env.reset(seed=0)
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    """
    return TaskEnv(name)


def _is_env(x):
    return not isinstance(x, type) and hasattr(x, "reset") and hasattr(x, "step")


def _env_maker(x, what):
    if _is_env(x):
        return lambda: x
    if callable(x):
        return x
    raise TypeError(f"crossq.train: {what} must be an environment with the Gymnasium API "
                    f"(reset, step, observation_space, action_space) or a callable that returns one, "
                    f"got {type(x).__name__}")


def _print_progress(p):
    ev = "-" if p["last_eval_return"] is None else f"{p['last_eval_return']:.1f}"
    print(f"[crossq.train] {p['env_step']:>9}/{p['total_steps']} env steps  {p['sps']:7.0f} steps/s  "
          f"ETA {p['eta_s']:5.0f}s  eval {ev}", flush=True)


def train(env, algo="crossq-wn", steps=None, seed=0, out="runs", task=None, eval_env=None, overwrite=False,
          progress=None, **settings):
    """Trains on an environment with the Gymnasium API, as ``crossq train`` does; returns the run
    folder ``<out>/<task>/<algo>[_<variant>]/seed<seed>`` (``task`` is ``custom`` unless given).

    env       an environment, or a callable returning one (then the evaluation env is a second
              call, unless ``eval_env`` is given). An environment object needs ``eval_env``.
    algo      crossq-wn (default), crossq-wn-xqc, crossq, crossq-original, sac, sr-sac, simba,
              bro, bro-fast
    steps     env steps of training (default: the task's; 100000 for your own environment)
    seed      the run's seed: the training env's first reset gets
              ``seed=stream_seed(seed, 2)``, the evaluation env's ``stream_seed(seed, 3)``
    out       the folder of run folders
    task      the name of the crossq task the environment is (its defaults, suite and score);
              leave it out for an environment of your own
    eval_env  the evaluation environment, or a callable returning it
    overwrite replace an existing run folder
    progress  a callable given a dict (env_step, total_steps, sps, eta_s, last_eval_return)
              about once a second and after each evaluation; True prints the CLI's lines
    settings  any setting of ``crossq train --help`` by its config.json key: batch_size=256,
              utd=5, critic_hidden=512, ... (an unknown name raises with a did-you-mean)

    A run on a Python environment cannot be resumed (its state is out of crossq's reach)."""
    make_env = _env_maker(env, "env")
    if eval_env is None:
        if _is_env(env):
            raise TypeError("crossq.train: env is an environment object, and evaluation needs a second one: "
                            "pass a callable that makes the environment (e.g. env=lambda: MyEnv()) "
                            "or give eval_env=")
        make_eval_env = make_env
    else:
        make_eval_env = _env_maker(eval_env, "eval_env")
    if progress is True:
        progress = _print_progress
    elif progress is False:
        progress = None
    elif progress is not None and not callable(progress):
        raise TypeError("crossq.train: progress must be a callable, True or None")
    return _crossq.train(make_env, make_eval_env, algo, steps, seed, _os.fspath(out), task, bool(overwrite),
                         settings, progress)
