#!/usr/bin/python3
"""Draws the figures of a crossq report from its summary.json (docs/report.md).

`crossq report` embeds this script, writes it beside summary.json as plot_report.py and runs it
with /usr/bin/python3 (Debian's python3-matplotlib, Agg backend); edit that copy and rerun it
to restyle a report without recomputing the statistics:

    /usr/bin/python3 plot_report.py summary.json figures/

Every figure in summary.json's "figures" list is written as <file>.png and <file>.svg.
"""
import json
import math
import pathlib
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    import numpy as np
except ImportError as e:  # the C++ side turns exit status 3 into an install hint
    print(f"plot_report.py: {e}", file=sys.stderr)
    sys.exit(3)

plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 110, "font.size": 9,
                     "axes.spines.top": False, "axes.spines.right": False,
                     "svg.hashsalt": "crossq", "axes.grid": True, "grid.alpha": 0.3})


def text(name):
    """A name from the runs (a variant: config.json values) as literal text: an unescaped pair
    of '$' would make matplotlib parse it as mathtext, and fail on what is not valid TeX."""
    return name.replace("$", r"\$")


def figure_legend(fig, axes):
    """One legend below the figure with every variant drawn in any panel (a variant may be
    missing from some tasks), each once, in drawing order."""
    seen = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, h)
    if seen:
        fig.legend(list(seen.values()), list(seen.keys()), loc="lower center",
                   ncol=min(4, len(seen)), frameon=False)


def steps_axis(ax):
    """env steps as 0, 50k, 1M: readable at any budget."""
    def fmt(x, _):
        if abs(x) >= 1e6:
            return f"{x / 1e6:g}M"
        return f"{x / 1e3:g}k" if abs(x) >= 1e3 else f"{x:g}"
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(fmt))
    ax.set_xlabel("env steps")


def arr(values):
    """JSON numbers (null for missing) -> float array with NaN."""
    return np.array([math.nan if v is None else v for v in values], dtype=float)


class Report:
    def __init__(self, summary):
        self.s = summary
        names = [v["name"] for v in summary["variants"]]
        cmap = plt.get_cmap("tab10")
        self.color = {n: cmap(i % 10) for i, n in enumerate(names)}
        self.ci = int(round(100 * summary["options"]["ci"]))

    def suite(self, name):
        return next(s for s in self.s["suites"] if s["suite"] == name)

    def curves(self, fig_spec):
        su = self.suite(fig_spec["suite"])
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        for v in su["variants"]:
            c = v["curve"]
            if not c["steps"]:
                continue
            x = np.array(c["steps"], dtype=float)
            iqm = c["iqm"]
            ax.plot(x, iqm["point"], color=self.color[v["variant"]], lw=2, label=text(v["variant"]))
            ax.fill_between(x, iqm["lo"], iqm["hi"], color=self.color[v["variant"]], alpha=0.2,
                            lw=0)
        steps_axis(ax)
        ax.set_ylabel(f"IQM normalized score ({self.ci}% CI)")
        ax.set_title(f"{su['suite']}: IQM learning curves over {len(su['tasks'])} tasks")
        ax.legend(loc="best", frameon=False)
        return fig

    def tasks(self, fig_spec):
        su = self.suite(fig_spec["suite"])
        tasks = su["tasks"]
        ncol = min(4, len(tasks))
        nrow = math.ceil(len(tasks) / ncol)
        height = 2.6 * nrow + 1.0  # inches: rows plus room for the title and the legend
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, height), squeeze=False)
        for i, task in enumerate(tasks):
            ax = axes[i // ncol][i % ncol]
            for v in su["variants"]:
                pt = next((p for p in v["per_task"] if p["task"] == task), None)
                if pt is None:
                    continue
                x = np.array(pt["steps"], dtype=float)
                m, se = arr(pt["mean"]), arr(pt["se"])
                col = self.color[v["variant"]]
                ax.plot(x, m, color=col, lw=1.6, label=text(v["variant"]))
                ax.fill_between(x, m - se, m + se, color=col, alpha=0.2, lw=0)
            ax.set_title(text(task))
            steps_axis(ax)
            ax.set_ylabel("score (mean ± s.e.)")
        for j in range(len(tasks), nrow * ncol):
            axes[j // ncol][j % ncol].axis("off")
        figure_legend(fig, [ax for row in axes for ax in row])
        fig.suptitle(f"{su['suite']}: per-task mean learning curves")
        fig.tight_layout(rect=(0, 0.45 / height, 1, 1 - 0.4 / height))
        return fig

    def final(self, fig_spec):
        su = self.suite(fig_spec["suite"])
        metrics = [("iqm", "IQM"), ("median", "Median"), ("mean", "Mean"),
                   ("optimality_gap", "Optimality gap")]
        names = [v["variant"] for v in su["variants"]]
        fig, axes = plt.subplots(1, 4, figsize=(12, 0.5 * len(names) + 1.6), sharey=True)
        y = np.arange(len(names))
        for ax, (key, label) in zip(axes, metrics):
            pts = np.array([v["final"][key]["point"] for v in su["variants"]])
            lo = np.array([v["final"][key]["lo"] for v in su["variants"]])
            hi = np.array([v["final"][key]["hi"] for v in su["variants"]])
            ax.barh(y, pts, color=[self.color[n] for n in names], alpha=0.75, height=0.6)
            # a percentile interval need not contain the point estimate: clip the whiskers
            err = [np.maximum(pts - lo, 0), np.maximum(hi - pts, 0)]
            ax.errorbar(pts, y, xerr=err, fmt="none", ecolor="black",
                        capsize=4, lw=1.2)
            ax.set_title(label)
            ax.set_xlabel("normalized score")
            ax.grid(axis="y", visible=False)
        axes[0].set_yticks(y, [text(n) for n in names])
        fig.suptitle(f"{su['suite']}: final scores with {self.ci}% stratified bootstrap CIs")
        fig.tight_layout()
        return fig

    def profile(self, fig_spec):
        su = self.suite(fig_spec["suite"])
        taus = np.array(su["profile_taus"], dtype=float)
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        for v in su["variants"]:
            p = v["profile"]
            col = self.color[v["variant"]]
            ax.plot(taus, p["point"], color=col, lw=2, label=text(v["variant"]))
            ax.fill_between(taus, p["lo"], p["hi"], color=col, alpha=0.2, lw=0)
        ax.set_xlabel(r"normalized score $\tau$")
        ax.set_ylabel(r"fraction of runs with score $> \tau$")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{su['suite']}: performance profiles ({self.ci}% CI)")
        ax.legend(loc="best", frameon=False)
        return fig

    def utd(self, fig_spec):
        su = self.suite(fig_spec["suite"])
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        for fam in su["utd_scaling"]:
            x = np.array(fam["utd"], dtype=float)
            p = np.array(fam["iqm"]["point"])
            lo, hi = np.array(fam["iqm"]["lo"]), np.array(fam["iqm"]["hi"])
            line = ax.plot(x, p, marker="o", lw=2, label=text(fam["family"]))[0]
            ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({u for f in su["utd_scaling"] for u in f["utd"]}))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("update-to-data ratio (UTD)")
        ax.set_ylabel(f"final IQM normalized score ({self.ci}% CI)")
        ax.set_title(f"{su['suite']}: UTD scaling")
        ax.legend(loc="best", frameon=False)
        return fig

    def diagnostics(self, fig_spec):
        panels = [("param_norm", "parameter norm", False), ("grad_norm", "gradient norm", False),
                  ("elr", "effective learning rate (hidden layers)", True),
                  ("dead_frac", "dead-neuron fraction", False)]
        fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
        for ax, (key, label, log) in zip(axes, panels):
            for d in self.s["diagnostics"]:
                x = np.array(d["steps"], dtype=float)
                m, se = arr(d[key]["mean"]), arr(d[key]["se"])
                col = self.color[d["variant"]]
                ax.plot(x, m, color=col, lw=1.8, label=text(d["variant"]))
                ax.fill_between(x, m - se, m + se, color=col, alpha=0.2, lw=0)
            if log:
                ax.set_yscale("log")
            ax.set_title(label)
            steps_axis(ax)
        axes[0].set_ylabel("mean over runs and critics (± s.e.)")
        figure_legend(fig, list(axes))
        fig.suptitle("critic diagnostics (cf. Figure 3 of the paper)")
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        return fig


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    summary = json.loads(pathlib.Path(sys.argv[1]).read_text())
    out = pathlib.Path(sys.argv[2])
    out.mkdir(exist_ok=True)
    report = Report(summary)
    for spec in summary["figures"]:
        fig = getattr(report, spec["kind"])(spec)
        for ext in ("png", "svg"):
            fig.savefig(out / f"{spec['file']}.{ext}", metadata={"Date": None} if ext == "svg"
                        else None, bbox_inches="tight")
        plt.close(fig)


if __name__ == "__main__":
    main()
