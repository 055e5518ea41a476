"""crossq.train learns on an environment written in Python (numpy only): a point on a line that
must reach a target. Fixed seed, threshold with a wide margin over a random policy."""
import csv
import os

import numpy as np

import crossq


class PointMass:
    """x and the target t in [-1, 1]; an action a in [-1, 1] moves x by 0.2 a; reward -|x - t|
    per step; 25 steps an episode (truncated). Random policy: about -17; reaching the target
    and staying: about -3."""

    horizon = 25

    def __init__(self):
        self.observation_space = crossq.Box(-2.0, 2.0, (2,))
        self.action_space = crossq.Box(-1.0, 1.0, (1,))
        self.rng = np.random.default_rng()

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.x, self.t = self.rng.uniform(-1, 1, 2)
        self.n = 0
        return self.obs(), {}

    def obs(self):
        return np.array([self.x, self.t], np.float32)

    def step(self, action):
        self.x = float(np.clip(self.x + 0.2 * float(action[0]), -2, 2))
        self.n += 1
        reward = -abs(self.x - self.t)
        return self.obs(), reward, False, self.n >= self.horizon, {"success": abs(self.x - self.t) < 0.05}


def random_return(episodes=50):
    env, rng, total = PointMass(), np.random.default_rng(0), 0.0
    for e in range(episodes):
        env.reset(seed=e)
        done = False
        while not done:
            _, r, term, trunc, _ = env.step(rng.uniform(-1, 1, 1))
            total += r
            done = term or trunc
    return total / episodes


def test_point_mass_learns(tmp_path):
    run = crossq.train(PointMass, steps=3000, seed=0, out=tmp_path, warmup=500, eval_every=1000, eval_episodes=10,
                       critic_hidden=64, actor_hidden=64, batch_size=64, threads=1)
    rel = os.path.relpath(run, tmp_path).split(os.sep)
    assert rel[0] == "custom" and rel[1].startswith("crossq-wn_") and rel[2] == "seed0"
    with open(os.path.join(run, "eval.csv")) as f:
        rows = list(csv.DictReader(f))
    final = float(rows[-1]["return_mean"])
    rand = random_return()
    assert rand < -12
    # the score of an environment of your own is its return
    assert float(rows[-1]["score"]) == final
    assert final > -7, f"final evaluation return {final:.2f} (random policy {rand:.2f})"
    assert float(rows[-1]["success_rate"]) > 0.3
