"""A warm-started penalty path against independent fits and ExponentiatedGradient.

For each data set and seed (the split of benchmarks/tradeoff.py), a base
``FairTuneClassifier(penalty=None)`` is trained once; then the same grid of
demographic-parity strengths is fitted three ways, all starting from the base:

* independent fits, each strength from the base for ``epochs`` epochs
  (``penalty_path(..., warm_start=False)``);
* the warm-started path, ``epochs`` for the first strength and
  ``epochs_step`` for each later one, each from the previous strength's
  weights (``penalty_path(...)``), for one or more values of ``epochs_step``;

and, for reference, one run of fairlearn's ``ExponentiatedGradient`` with
``DemographicParity`` on logistic regression (its randomized classifier, and
the front of the deterministic models it trained on the way).

Reported: the wall time of each (the base excluded, reported apart), the
epochs trained, and the front each reaches on the test split: the best mean
accuracy over seeds at each DP budget, choosing as benchmarks/tradeoff.py
does (the strength whose mean test gap is within the budget).

    .venv/bin/python benchmarks/penalty_path.py
    .venv/bin/python benchmarks/penalty_path.py --datasets compas --seeds 0

It writes penalty_path.csv, penalty_path.md and penalty_path.png under
benchmarks/results/ (``--out`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fairlearn.metrics import demographic_parity_difference
from fairlearn.reductions import DemographicParity, ExponentiatedGradient
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from skfairtune import FairTuneClassifier
from skfairtune.model_selection import penalty_path

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.tradeoff import (  # noqa: E402
    RESULTS,
    SETTINGS,
    Split,
    blocks,
    load_split,
    warm_up,
)

BUDGETS = (0.01, 0.02, 0.05, 0.10)
STEP_EPOCHS = (2, 1)
EXPGRAD_BOUND = 0.01


def base_model(name: str, split: Split) -> tuple[FairTuneClassifier, float]:
    start = time.perf_counter()
    base = FairTuneClassifier(penalty=None, random_state=split.seed, n_iter_no_change=None,
                              **SETTINGS[name]["base"])
    base.fit(split.X_train, split.y_train)
    return base, time.perf_counter() - start


def strengths(name: str) -> list[float]:
    """The tradeoff benchmark's first block of demographic-parity strengths."""
    overrides, values = blocks(SETTINGS[name]["dp"])[0]
    assert not overrides, "the first block uses the data set's fine-tuning settings"
    return values


def fine_tuner(name: str, base, seed: int) -> FairTuneClassifier:
    """The tradeoff benchmark's fine-tuning settings, from the base."""
    tune = {k: v for k, v in SETTINGS[name]["tune"].items() if k != "max_epochs"}
    return FairTuneClassifier(pretrained=base, penalty="demographic_parity",
                              random_state=seed, n_iter_no_change=None,
                              batch_sampling="stratified", **tune)


def path_rows(name: str, split: Split, base, method: str, **kwargs) -> list[dict]:
    """One path (or set of independent fits), as rows of the CSV."""
    epochs = SETTINGS[name]["tune"]["max_epochs"]
    start = time.perf_counter()
    path = penalty_path(
        fine_tuner(name, base, split.seed), strengths(name), split.X_train,
        split.y_train, sensitive_features=split.a_train, X_val=split.X_test,
        y_val=split.y_test, sensitive_features_val=split.a_test, epochs_first=epochs,
        metrics=["accuracy", "demographic_parity_difference"], **kwargs)
    wall = time.perf_counter() - start
    results = path.results.rename(columns={
        "penalty_strength": "setting", "demographic_parity_difference": "dp_gap"})
    return [{"method": method, "wall_s": wall, **row} for row in results.to_dict("records")]


def expgrad_rows(split: Split) -> list[dict]:
    """One ExponentiatedGradient run: its randomized classifier and the models it trained."""
    start = time.perf_counter()
    model = ExponentiatedGradient(LogisticRegression(max_iter=1000),
                                  DemographicParity(difference_bound=EXPGRAD_BOUND))
    model.fit(split.X_train, split.y_train, sensitive_features=split.a_train)
    wall = time.perf_counter() - start
    preds = {"mixture": model.predict(split.X_test, random_state=split.seed)}
    for i, predictor in enumerate(model.predictors_):
        preds[f"model {i}"] = predictor.predict(split.X_test)
    return [{"method": "ExpGrad LR (one run)" if key == "mixture"
             else "ExpGrad LR (its models)", "setting": key, "wall_s": wall,
             **_scores(split, pred)} for key, pred in preds.items()]


def _scores(split: Split, pred) -> dict:
    return {"accuracy": float(np.mean(pred == split.y_test)),
            "dp_gap": float(demographic_parity_difference(
                split.y_test, pred, sensitive_features=split.a_test))}


def run_split(name: str, seed: int) -> list[dict]:
    split = load_split(name, seed)
    base, base_s = base_model(name, split)
    rows = [{"method": "base (shared)", "setting": "no penalty", "wall_s": base_s,
             "epochs": SETTINGS[name]["base"]["max_epochs"], **_scores(split, base.predict(
                 split.X_test))}]
    rows += path_rows(name, split, base, "independent fits", warm_start=False)
    for step in STEP_EPOCHS:
        rows += path_rows(name, split, base, f"path, {step} epoch(s) per step",
                          epochs_step=step)
    rows += expgrad_rows(split)
    return [{"dataset": name, "seed": seed, **row} for row in rows]


# -- the report -----------------------------------------------------------

def front_table(runs: pd.DataFrame) -> list[str]:
    """Per data set and method: time, epochs, and best accuracy at each budget."""
    header = " | ".join(f"DP ≤ {b:g}" for b in BUDGETS)
    lines = [f"| data set | method | wall s per seed | epochs per seed | {header} |",
             "|---|---|---:|---:|" + "---:|" * len(BUDGETS)]
    for (dataset, method), part in runs.groupby(["dataset", "method"], sort=False):
        means = part.groupby("setting", sort=False)[["accuracy", "dp_gap"]].mean()
        stds = part.groupby("setting", sort=False)["accuracy"].std().fillna(0.0)
        cells = [_best(means, stds, budget) for budget in BUDGETS]
        wall = part.groupby("seed")["wall_s"].first().mean()
        epochs = part.groupby("seed")["epochs"].sum().mean()
        epochs_text = "—" if method.startswith("ExpGrad") else f"{epochs:.0f}"
        lines.append(f"| {dataset} | {method} | {wall:.1f} | {epochs_text} | "
                     + " | ".join(cells) + " |")
    return lines


def _best(means: pd.DataFrame, stds: pd.Series, budget: float) -> str:
    within = means[means["dp_gap"] <= budget + 1e-12]
    if within.empty:
        return "—"
    best = within["accuracy"].idxmax()
    return f"{within.loc[best, 'accuracy']:.3f} ± {stds[best]:.3f}"


def speedups(runs: pd.DataFrame) -> list[str]:
    lines = []
    walls = runs.groupby(["dataset", "method", "seed"], sort=False)["wall_s"].first()
    walls = walls.groupby(["dataset", "method"], sort=False).mean()
    for dataset in runs["dataset"].unique():
        independent = walls[(dataset, "independent fits")]
        for step in STEP_EPOCHS:
            path = walls[(dataset, f"path, {step} epoch(s) per step")]
            lines.append(f"- {dataset}: the path with {step} epoch(s) per step takes "
                         f"{path / independent:.0%} of the independent fits' time "
                         f"({path:.1f} s against {independent:.1f} s per seed).")
    return lines


def report(runs: pd.DataFrame, command: str, wall_s: float) -> str:
    seeds = sorted(runs["seed"].unique())
    return "\n".join([
        "# A warm-started penalty path against independent fits", "",
        f"`{command}`", "",
        f"Wall time {wall_s / 60:.1f} min with one torch and BLAS thread; seeds "
        f"{', '.join(map(str, seeds))}. Demographic-parity strengths and fine-tuning "
        "settings of benchmarks/tradeoff.py; every fit starts from the same base model "
        "(its time is the `base (shared)` row). Test-set accuracy and DP gap; a cell is "
        "the strength with the best mean accuracy among those whose mean gap is within "
        "the budget (mean ± std over seeds). ExpGrad's wall time is one run, bound "
        f"{EXPGRAD_BOUND}; `its models` are the deterministic classifiers it trained.", "",
        *front_table(runs), "", *speedups(runs), "",
    ])


def plot(runs: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(runs["dataset"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4.5), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        part = runs[runs["dataset"] == dataset]
        for (method, rows), marker in zip(part.groupby("method", sort=False), "Dos^vx"):
            means = rows.groupby("setting", sort=False)[["accuracy", "dp_gap"]].mean()
            ax.plot(means["dp_gap"], means["accuracy"], marker=marker, linestyle="",
                    alpha=0.7, label=method)
        ax.set_title(f"{dataset}: accuracy vs DP gap (test, mean over seeds)")
        ax.set_xlabel("DP gap")
        ax.set_ylabel("accuracy")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["adult", "compas"],
                        choices=list(SETTINGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warm_up()
    start = time.perf_counter()
    with threadpool_limits(1):
        runs = pd.DataFrame([row for name in args.datasets for seed in args.seeds
                             for row in run_split(name, seed)])
    wall_s = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(args.out / "penalty_path.csv", index=False, float_format="%.6g")
    command = " ".join([".venv/bin/python", "benchmarks/penalty_path.py", *sys.argv[1:]])
    text = report(runs, command, wall_s)
    (args.out / "penalty_path.md").write_text(text)
    plot(runs, args.out / "penalty_path.png")
    print(text)


if __name__ == "__main__":
    main()
