#!/usr/bin/python3
"""Writes the small set of run folders that tests/report_test.cc renders a report from.

The folders follow docs/run-format.md exactly (config.json, eval.csv, train.csv) with made-up
but plausible numbers: 3 tasks in two suites (dmc, myo), 3 variants (crossq-wn at UTD 1 and 2,
sac), 3 seeds, evaluations every 25k env steps up to 100k, diagnostics every 10k. One run
(sac on cheetah-run, seed 2) stops at 75k, to exercise the incomplete-run handling.

Usage: /usr/bin/python3 tools/make_report_fixture.py [OUT_DIR]  (default tests/testdata/runs)
       /usr/bin/python3 tools/make_report_fixture.py OUT_DIR --tasks 25 --seeds 10 --steps 1000000
         (the paper-sized set that docs/performance.md times `crossq report` on: 25 dmc tasks)
"""
import argparse
import json
import math
import pathlib
import shutil

import numpy as np

TASKS = {"cheetah-run": ("dmc", 0.99), "walker-walk": ("dmc", 0.99), "myo-reach": ("myo", 0.95)}
VARIANTS = [("crossq-wn", 1, "crossq-wn-utd1", 0.8), ("crossq-wn", 2, "crossq-wn-utd2", 0.9),
            ("sac", 1, "sac", 0.55)]
SEEDS = [0, 1, 2]
STEPS = 100000
EVAL_EVERY = 25000
LOG_EVERY = 10000


def write_run(root, task, algo, utd, folder, skill, seed, rng):
    suite, discount = TASKS[task]
    d = root / task / folder / f"seed{seed}"
    d.mkdir(parents=True)
    last = 75000 if (algo == "sac" and task == "cheetah-run" and seed == 2) else STEPS
    config = {"task": task, "algo": algo, "seed": seed, "suite": suite, "steps": STEPS,
              "utd": utd, "batch_size": 256, "critic_lr": 1e-3, "discount": discount,
              "eval_every": EVAL_EVERY, "out": str(d), "jobs": 1, "threads": 1,
              "run_keys": ["seed", "out", "jobs", "threads"]}
    (d / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    rows = ["env_step,return_mean,return_std,return_min,return_max,success_rate,score,"
            "episodes,wall_time_s"]
    for step in range(0, last + 1, EVAL_EVERY):
        progress = 1 - math.exp(-3.0 * step / STEPS)
        level = float(np.clip(skill * progress + rng.normal(0, 0.06), 0, 1))
        if suite == "myo":
            success = round(level * 5) / 5  # 5 episodes
            ret, std = 100 * success, 10.0
            score = success
        else:
            success = 0.0
            ret, std = 1000 * level, 30 * rng.random()
            score = ret / 1000
        rows.append(f"{step},{ret:.4f},{std:.4f},{ret - std:.4f},{ret + std:.4f},{success:.4f},"
                    f"{score:.6f},5,{step / 1000 * utd:.2f}")
    (d / "eval.csv").write_text("\n".join(rows) + "\n")

    cols = ["env_step", "updates", "losses/critic", "losses/actor", "losses/alpha", "charts/alpha",
            "charts/entropy", "charts/q_mean", "charts/sps"]
    for c in (0, 1):
        cols += [f"critic{c}/param_norm", f"critic{c}/grad_norm", f"critic{c}/elr",
                 f"critic{c}/dead_frac", f"critic{c}/elr_layer0", f"critic{c}/elr_layer1",
                 f"critic{c}/elr_layer2"]
    rows = [",".join(cols)]
    for step in range(LOG_EVERY, last + 1, LOG_EVERY):
        x = step / STEPS
        # plain SAC's parameter norm grows and its effective learning rate decays; weight
        # normalization (crossq-wn) holds the norm, and so the effective learning rate
        growth = 1.0 if algo == "crossq-wn" else 1 + 3 * x * utd
        cells = [step, step * utd, 0.5 + rng.random(), "" if step == LOG_EVERY else -5 * x,
                 0.01, 0.1 * math.exp(-x), 1.0 - x, 20 * x, 300 / utd]
        for c in (0, 1):
            pn = 40 * growth * (1 + 0.02 * c) + rng.normal(0, 0.3)
            gn = 2.0 * math.exp(-x) + 0.1 * rng.random()
            elr = 1e-3 / growth ** 2
            dead = (0.05 if algo == "crossq-wn" else 0.05 + 0.25 * x) + 0.01 * rng.random()
            cells += [pn, gn, elr, dead, elr * 1.1, elr, elr * 0.9]
        rows.append(",".join(c if isinstance(c, str) else f"{c:.6g}" for c in cells))
    (d / "train.csv").write_text("\n".join(rows) + "\n")


def main():
    global STEPS, SEEDS, TASKS
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=str(
        pathlib.Path(__file__).resolve().parent.parent / "tests/testdata/runs"))
    ap.add_argument("--tasks", type=int, default=0, help="N synthetic dmc tasks instead of the 3")
    ap.add_argument("--seeds", type=int, default=len(SEEDS))
    ap.add_argument("--steps", type=int, default=STEPS)
    args = ap.parse_args()
    if args.tasks:
        TASKS = {f"task{i:02d}": ("dmc", 0.99) for i in range(args.tasks)}
    SEEDS = list(range(args.seeds))
    STEPS = args.steps
    root = pathlib.Path(args.out)
    if root.exists():
        shutil.rmtree(root)
    rng = np.random.default_rng(7)
    for task in TASKS:
        for algo, utd, folder, skill in VARIANTS:
            for seed in SEEDS:
                write_run(root, task, algo, utd, folder, skill, seed, rng)
    print(f"wrote {root}")


if __name__ == "__main__":
    main()
