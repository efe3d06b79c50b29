"""Do the defaults generalize? FairTuneClassifier(penalty=None) against LogisticRegression.

Every setting left at its default, on the three bundled tables (each seed's
stratified 70/30 split, one-hot and scaling fitted on the training part; the
sensitive attribute is not a feature) and on synthetic tables of 300 to
300,000 rows that no default was tuned on (a logistic signal with
interactions, label noise and a majority class of about 70%). Reported on the
test part: accuracy of both, the difference, the majority class's accuracy,
and the wall time of ``fit``.

Goal (issue 12): within 0.5 point of LogisticRegression's test accuracy
everywhere, in at most the time of the old defaults (100 epochs, batch 128,
stopping on the training loss).

    .venv/bin/python benchmarks/defaults.py            # 3 seeds, every table
    .venv/bin/python benchmarks/defaults.py --quick    # 1 seed, small tables

It prints a markdown table and writes benchmarks/results/defaults.{md,csv}
(``--tag`` is added to the file names, to keep a "before" run beside an
"after" one). Everything runs on one thread.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.tradeoff import load_split  # noqa: E402
from skfairtune import FairTuneClassifier  # noqa: E402

RESULTS = Path(__file__).parent / "results"
BUNDLED = ("adult", "compas", "german")
SYNTHETIC = {"synthetic-300": 300, "synthetic-3k": 3_000, "synthetic-30k": 30_000,
             "synthetic-300k": 300_000}


def synthetic_split(n_rows: int, seed: int):
    """A table none of the defaults saw: interactions, noise, a 70/30 majority."""
    rng = np.random.default_rng(1000 + seed)
    X = rng.normal(size=(n_rows, 12))
    logit = (X[:, 0] - 0.8 * X[:, 1] + 0.6 * X[:, 2] * X[:, 3] + 0.5 * np.abs(X[:, 4])
             + 0.3 * X[:, 5] - 1.4)
    y = (logit + rng.logistic(size=n_rows) * 0.8 > 0).astype(int)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=seed,
                                              stratify=y)
    scale = StandardScaler().fit(X_tr)
    return scale.transform(X_tr), scale.transform(X_te), y_tr, y_te


def table(name: str, seed: int):
    if name in SYNTHETIC:
        return synthetic_split(SYNTHETIC[name], seed)
    split = load_split(name, seed)
    return split.X_train, split.X_test, split.y_train, split.y_test


def timed_fit(model, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return model, time.perf_counter() - start


def run(names, seeds) -> pd.DataFrame:
    rows = []
    for name in names:
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = table(name, seed)
            majority = max(np.mean(y_te), 1 - np.mean(y_te))
            lr, lr_time = timed_fit(LogisticRegression(max_iter=2000), X_tr, y_tr)
            ours, our_time = timed_fit(FairTuneClassifier(penalty=None, random_state=seed),
                                       X_tr, y_tr)
            rows.append({
                "table": name, "seed": seed, "rows": len(y_tr) + len(y_te),
                "majority": majority,
                "logreg": lr.score(X_te, y_te), "fairtune": ours.score(X_te, y_te),
                "epochs": ours.n_iter_, "fairtune s": our_time, "logreg s": lr_time,
            })
            print(f"{name} seed {seed}: logreg {rows[-1]['logreg']:.4f} fairtune "
                  f"{rows[-1]['fairtune']:.4f} ({ours.n_iter_} epochs, {our_time:.1f} s)",
                  flush=True)
    return pd.DataFrame(rows)


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.assign(diff=100 * (runs["fairtune"] - runs["logreg"]))
    grouped = runs.groupby("table", sort=False)
    out = grouped[["rows", "majority", "logreg", "fairtune", "epochs", "fairtune s",
                   "logreg s"]].mean()
    out["points vs logreg"] = grouped["diff"].mean()
    out["worst seed"] = grouped["diff"].min()
    out["within 0.5"] = out["worst seed"] >= -0.5
    return out.round({"majority": 4, "logreg": 4, "fairtune": 4, "epochs": 1,
                      "fairtune s": 2, "logreg s": 2, "points vs logreg": 2,
                      "worst seed": 2})


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=[*BUNDLED, *SYNTHETIC])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true",
                        help="one seed, the small tables")
    parser.add_argument("--tag", default="", help="suffix of the result files")
    args = parser.parse_args(argv)
    if args.quick:
        args.tables, args.seeds = ["german", "compas", "synthetic-300", "synthetic-3k"], [0]
    torch.set_num_threads(1)
    with threadpool_limits(1):
        runs = run(args.tables, args.seeds)
    table_md = summary(runs).to_markdown()
    command = "`.venv/bin/python benchmarks/defaults.py " + " ".join(argv or sys.argv[1:]) + "`"
    text = "\n".join([
        "# Defaults against LogisticRegression", "", f"Command: {command.replace(' `', '`')}",
        "", f"torch {torch.__version__}, {platform.machine()}, one thread; test accuracy, "
        "mean over seeds; 'points vs logreg' is 100 x (ours - logreg), 'worst seed' its "
        "minimum.", "", table_md, ""])
    print(text)
    RESULTS.mkdir(exist_ok=True)
    suffix = f"_{args.tag}" if args.tag else ""
    (RESULTS / f"defaults{suffix}.md").write_text(text)
    runs.to_csv(RESULTS / f"defaults{suffix}.csv", index=False)


if __name__ == "__main__":
    main()
