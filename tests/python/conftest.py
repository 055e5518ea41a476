"""Shared helpers of the Python tests: the crossq binary (CROSSQ_BINARY, set by ctest), reading
a run folder's logs, small training settings."""
import csv
import json
import os
import subprocess

import pytest

# small networks and batches: a run of a few thousand steps takes seconds
SMALL = dict(warmup=300, eval_every=1000, eval_episodes=2, critic_hidden=32, actor_hidden=32, batch_size=32, log_every=250,
             threads=1)


def cli_flags(settings):
    """--key-with-dashes value for each setting (the CLI's spelling of a config.json key)."""
    out = []
    for k, v in settings.items():
        out += ["--" + k.replace("_", "-"), str(v).lower() if isinstance(v, bool) else str(v)]
    return out


@pytest.fixture(scope="session")
def crossq_binary():
    path = os.environ.get("CROSSQ_BINARY")
    if not path or not os.path.exists(path):
        pytest.fail("set CROSSQ_BINARY to the crossq executable (ctest sets it)")
    return path


@pytest.fixture(scope="session")
def run_cli(crossq_binary):
    def run(*args, check=True):
        r = subprocess.run([crossq_binary, *map(str, args)], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise AssertionError(f"crossq {' '.join(map(str, args))} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
        return r
    return run


def read_csv(path, drop=()):
    """Rows of a CSV log as lists of strings (exact text), without the columns named in `drop`."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    keep = [i for i, name in enumerate(rows[0]) if name not in drop]
    return [[r[i] for i in keep] for r in rows]


def read_config(run_dir):
    with open(os.path.join(run_dir, "config.json")) as f:
        return json.load(f)
