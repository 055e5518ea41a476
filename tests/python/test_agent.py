"""crossq.Agent (crossq::Learner): act/observe in inline mode; save then load into a fresh agent
gives identical actions; background mode runs and sync() returns."""
import numpy as np
import pytest

import crossq

SETTINGS = dict(warmup=50, steps=2000, batch_size=16, critic_hidden=32, actor_hidden=32, threads=1)


def feed(agent, n, seed=0):
    """n transitions of a toy loop: obs in R^3, one action, reward -|a - obs[0]|."""
    rng = np.random.default_rng(seed)
    obs = rng.standard_normal(3).astype(np.float32)
    for i in range(n):
        a = agent.act(obs)
        assert a.shape == (1,) and a.dtype == np.float32 and np.all(np.abs(a) <= 1)
        nxt = rng.standard_normal(3).astype(np.float32)
        end = i % 20 == 19
        agent.observe(obs, a, -abs(float(a[0]) - float(obs[0])), nxt, terminated=False, truncated=end)
        obs = nxt
    return obs


def test_inline_act_observe_save_load(tmp_path):
    agent = crossq.Agent(3, 1, seed=1, **SETTINGS)
    assert not agent.background and agent.obs_dim == 3 and agent.act_dim == 1
    feed(agent, 200)
    assert agent.transitions == 200
    assert agent.updates == 200 - 50 + 1  # utd 1 from the end of warm-up, inline
    probes = np.random.default_rng(5).standard_normal((10, 3)).astype(np.float32)
    before = [agent.act(p, deterministic=True) for p in probes]
    agent.save(tmp_path / "ck")
    assert (tmp_path / "ck" / "checkpoint.bin").is_file()

    fresh = crossq.Agent(3, 1, seed=1, **SETTINGS)
    assert not np.array_equal(fresh.act(probes[0], deterministic=True), before[0])
    fresh.load(tmp_path / "ck")
    assert fresh.transitions == 200 and fresh.updates == agent.updates
    for p, a in zip(probes, before):
        assert np.array_equal(fresh.act(p, deterministic=True), a)
    # the float64 view of the same observation acts the same
    assert np.array_equal(fresh.act(probes[0].astype(np.float64), deterministic=True), before[0])

    # and training continues identically from the checkpoint
    feed(agent, 60, seed=9)
    feed(fresh, 60, seed=9)
    for p in probes:
        assert np.array_equal(fresh.act(p, deterministic=True), agent.act(p, deterministic=True))

    loaded = crossq.Agent.from_checkpoint(tmp_path / "ck")
    assert loaded.config["critic_hidden"] == 32
    assert np.array_equal(loaded.act(probes[0], deterministic=True), before[0])


def test_load_refuses_other_settings(tmp_path):
    agent = crossq.Agent(3, 1, **SETTINGS)
    agent.save(tmp_path)
    other = crossq.Agent(3, 1, **dict(SETTINGS, critic_hidden=64))
    with pytest.raises(crossq.UsageError, match="critic_hidden"):
        other.load(tmp_path)


def test_same_seed_same_agent():
    a, b = crossq.Agent(3, 1, seed=4, **SETTINGS), crossq.Agent(3, 1, seed=4, **SETTINGS)
    feed(a, 120)
    feed(b, 120)
    p = np.ones(3, np.float32)
    assert np.array_equal(a.act(p, deterministic=True), b.act(p, deterministic=True))
    assert np.array_equal(a.act(p), b.act(p))  # the sampling stream too


def test_background_runs_and_syncs(tmp_path):
    agent = crossq.Agent(3, 1, background=True, seed=2, **SETTINGS)
    assert agent.background
    feed(agent, 300)
    agent.sync()
    assert agent.transitions == 300
    assert agent.updates >= 300 - 50 + 1
    agent.save(tmp_path)
    fresh = crossq.Agent(3, 1, background=True, seed=2, **SETTINGS)
    fresh.load(tmp_path)
    p = np.zeros(3, np.float32)
    assert np.array_equal(fresh.act(p, deterministic=True), agent.act(p, deterministic=True))
    feed(fresh, 50)
    fresh.sync()
    del agent, fresh  # stops the learner threads
