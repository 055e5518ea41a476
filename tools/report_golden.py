#!/usr/bin/python3
"""Golden values for crossq's report statistics (rliable protocol), from an independent implementation.

Uses Debian's python3-numpy and python3-scipy only: scipy.stats.trim_mean(x, 0.25) for the IQM,
scipy.stats.mannwhitneyu for the probability of improvement, numpy for the stratified
bootstrap (each task a stratum, percentile intervals). Writes
tests/testdata/report/stats_golden.json; the C++ test tests/report_stats_golden_test.cc reads
it, so CI never runs Python.

Usage: /usr/bin/python3 tools/report_golden.py [--reps 200000] [--out PATH]
"""
import argparse
import json
import pathlib

import numpy as np
import scipy.stats

CI = 0.90
TAUS = [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0]


def matrices(rng):
    """Named (runs x tasks) score matrices, small and varied."""
    m = {}
    m["beta_10x5"] = rng.beta(2.0, 2.0, size=(10, 5)) * np.array([1.0, 0.8, 1.1, 0.5, 0.9])
    m["beta_10x5_better"] = np.clip(m["beta_10x5"] + rng.normal(0.08, 0.1, size=(10, 5)), 0, 1.2)
    m["ties_7x3"] = np.round(rng.uniform(0, 1, size=(7, 3)), 1)
    m["wide_5x8"] = rng.uniform(0, 1, size=(5, 8)) ** 2
    m["one_run_1x4"] = np.array([[0.2, 0.9, 0.4, 0.7]])
    m["one_task_9x1"] = rng.uniform(0.3, 0.9, size=(9, 1))
    return {k: np.asarray(v, dtype=np.float64) for k, v in m.items()}


# aggregates: the score set is (runs x tasks); tasks weigh equally
def agg_iqm(s):
    return scipy.stats.trim_mean(s, proportiontocut=0.25, axis=None)


def agg_mean(s):
    return float(np.mean(np.mean(s, axis=0)))


def agg_median(s):
    return float(np.median(np.mean(s, axis=0)))


def agg_gap(s, gamma=1.0):
    return float(gamma - np.mean(np.minimum(s, gamma)))


def profile(s, taus):
    return [float(np.mean(np.mean(s > t, axis=0))) for t in taus]


def poi(x, y):
    probs = []
    for t in range(x.shape[1]):
        u = scipy.stats.mannwhitneyu(x[:, t], y[:, t], alternative="greater").statistic
        probs.append(u / (x.shape[0] * y.shape[0]))
    return float(np.mean(probs))


def stratified_draws(s, reps, rng):
    """(reps, runs, tasks): every task's column resampled with replacement on its own."""
    n, t = s.shape
    idx = rng.integers(0, n, size=(reps, n, t))
    return s[idx, np.arange(t)[None, None, :]]


def interval(point, reps):
    lo, hi = np.percentile(reps, [50 * (1 - CI), 50 * (1 + CI)])
    # Monte-Carlo standard error of a percentile estimate from B replicates (normal fit):
    # sqrt(q (1 - q) / B) / density at the quantile
    b = len(reps)
    sd = float(np.std(reps))
    q = 0.5 * (1 - CI)
    z = scipy.stats.norm.ppf(1 - q)
    se_unit = np.sqrt(q * (1 - q) / b) / scipy.stats.norm.pdf(z)
    # lattice-valued statistics (ties, few runs) jump between atoms: a percentile may
    # legitimately land one atom away, so record the atom spacing around each end
    u = np.unique(np.round(reps, 12))  # one atom, whatever the summation order

    def atom(e):
        i = int(np.searchsorted(u, e))
        near = u[max(i - 1, 0):i + 2]
        return float(np.max(np.diff(near))) if len(near) > 1 else 0.0
    return {"point": float(point), "lo": float(lo), "hi": float(hi), "boot_sd": sd,
            "mc_se": float(se_unit * sd), "atom_lo": atom(lo), "atom_hi": atom(hi)}


def batched(fn, s, reps, rng, chunk=20000):
    out = []
    for start in range(0, reps, chunk):
        d = stratified_draws(s, min(chunk, reps - start), rng)
        out.append(fn(d))
    return np.concatenate(out)


def boot_aggregates(s, reps, rng):
    def stats(d):  # d: (r, runs, tasks)
        r = d.shape[0]
        flat = d.reshape(r, -1)
        means = d.mean(axis=1)
        return np.stack([scipy.stats.trim_mean(flat, 0.25, axis=1), means.mean(axis=1),
                         np.median(means, axis=1), 1.0 - np.minimum(d, 1.0).mean(axis=(1, 2))],
                        axis=1)
    r = batched(stats, s, reps, rng)
    points = [agg_iqm(s), agg_mean(s), agg_median(s), agg_gap(s)]
    names = ["iqm", "mean", "median", "optimality_gap"]
    return {k: interval(p, r[:, i]) for i, (k, p) in enumerate(zip(names, points))}


def boot_profile(s, reps, rng):
    def stats(d):
        return np.stack([(d > t).mean(axis=1).mean(axis=1) for t in TAUS], axis=1)
    r = batched(stats, s, reps, rng)
    return [interval(p, r[:, i]) for i, p in enumerate(profile(s, TAUS))]


def boot_poi(x, y, reps, rng, chunk=20000):
    out = []
    for start in range(0, reps, chunk):
        c = min(chunk, reps - start)
        dx, dy = stratified_draws(x, c, rng), stratified_draws(y, c, rng)
        gt = (dx[:, :, None, :] > dy[:, None, :, :]).mean(axis=(1, 2))
        eq = (dx[:, :, None, :] == dy[:, None, :, :]).mean(axis=(1, 2))
        out.append((gt + 0.5 * eq).mean(axis=1))
    return interval(poi(x, y), np.concatenate(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200000)
    ap.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent.parent /
                                         "tests/testdata/report/stats_golden.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(20240901)
    mats = matrices(rng)
    out = {"generator": "tools/report_golden.py", "numpy": np.__version__,
           "scipy": scipy.__version__, "reps": args.reps, "ci": CI, "taus": TAUS,
           "matrices": {}, "probability_of_improvement": []}
    for name, s in mats.items():
        out["matrices"][name] = {
            "scores_runs_by_tasks": s.tolist(),
            "aggregates": boot_aggregates(s, args.reps, rng),
            "profile": boot_profile(s, args.reps, rng),
        }
    for xn, yn in [("beta_10x5_better", "beta_10x5"), ("beta_10x5", "beta_10x5_better"),
                   ("beta_10x5", "beta_10x5")]:
        entry = boot_poi(mats[xn], mats[yn], args.reps, rng)
        entry.update({"x": xn, "y": yn})
        out["probability_of_improvement"].append(entry)
    pathlib.Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
