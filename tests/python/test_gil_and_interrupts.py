"""Long C++ calls release the GIL (another Python thread runs meanwhile); Ctrl-C during
crossq.train reaches Python as KeyboardInterrupt, even when the env is crossq's own."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import crossq


def test_updates_release_the_gil():
    # one observe() at the end of warm-up runs `utd` updates in C++: a Python thread keeps running
    agent = crossq.Agent(8, 2, warmup=256, utd=100, batch_size=256, critic_hidden=256, actor_hidden=64, steps=10000,
                         threads=1)
    obs, a = np.zeros(8, np.float32), np.zeros(2, np.float32)
    for _ in range(255):
        agent.observe(obs, a, 0.0, obs, False, False)
    stamps, stop = [], threading.Event()

    def tick():
        while not stop.is_set():
            stamps.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    agent.observe(obs, a, 0.0, obs, False, False)
    t1 = time.monotonic()
    stop.set()
    t.join()
    assert agent.updates == 100
    inside = [s for s in stamps if t0 < s < t1]
    assert t1 - t0 > 0.05, "the updates were too quick to tell"
    assert len(inside) >= 3, f"no Python thread ran during {t1 - t0:.3f}s of updates"


class Interrupting:
    """crossq.make's env that sends this process SIGINT at env step `at`; with `python_step`
    False its step is the C++ env's own, no Python code runs in between (the test's timer sends
    the signal)."""

    def __init__(self, at, python_step):
        self.env, self.at, self.n = crossq.make("pendulum"), at, 0
        self.observation_space, self.action_space = self.env.observation_space, self.env.action_space
        self.reset = self.env.reset
        self.step = self._step if python_step else self.env.step

    def _step(self, action):
        self.n += 1
        if self.n == self.at:
            os.kill(os.getpid(), signal.SIGINT)
        return self.env.step(action)


@pytest.mark.parametrize("python_step", [True, False])
def test_ctrl_c_stops_training(tmp_path, python_step):
    t0 = time.monotonic()
    if not python_step:
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        crossq.train(lambda: Interrupting(500, python_step), steps=10 ** 6, out=tmp_path, warmup=10 ** 6, threads=1)
    assert time.monotonic() - t0 < 60
    # the run folder is whole: settings, logs' headers, the first checkpoint
    (run,) = list(tmp_path.glob("custom/crossq-wn*/seed0"))
    assert (run / "config.json").is_file() and (run / "checkpoint.bin").is_file()
