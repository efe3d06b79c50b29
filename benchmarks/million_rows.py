"""Every default at 1,000,000 rows with 10% positives (issue 21's other end).

A synthetic table: 20 features, two groups (30% in group 1, which a feature
tells apart and whose scores run higher), the top 10% of a noisy score
positive; 800,000 rows to fit on, 200,000 to test on. Fits the defaults,
``penalty=None`` and constraint mode at ``max_gap=0.02``, one thread, and
logistic regression on the same rows; prints a table and writes
``benchmarks/results/million_rows.md``.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/million_rows.py``
"""

from __future__ import annotations

import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from skfairtune import FairTuneClassifier
from skfairtune.metrics import demographic_parity_difference

RESULTS = Path(__file__).resolve().parent / "results"
SETTINGS = {"defaults": {}, "penalty=None": {"penalty": None},
            "DP max_gap=0.02": {"max_gap": 0.02}}


def make_table(n: int = 1_000_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    group = (rng.random(n) < 0.3).astype(int)
    X = rng.normal(size=(n, 20)).astype(np.float32)
    X[:, 1] += group
    score = X[:, 0] + 0.5 * X[:, 2] + 0.6 * group + rng.normal(size=n)
    y = (score > np.quantile(score, 0.9)).astype(int)
    return X, y, group


def row(name: str, seconds: float, y, pred, group, **extra) -> dict:
    return {"setting": name, "seconds": round(seconds, 1),
            "accuracy": round(accuracy_score(y, pred), 4),
            "bal_acc": round(balanced_accuracy_score(y, pred), 4),
            "positive_share": round(float(np.mean(pred)), 3),
            "dp_gap": round(demographic_parity_difference(y, pred, sensitive_features=group), 4),
            **extra}


def main() -> None:
    torch.set_num_threads(1)
    X, y, group = make_table()
    fit, test = slice(0, 800_000), slice(800_000, None)
    rows = []
    for name, params in SETTINGS.items():
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf = FairTuneClassifier(random_state=0, **params).fit(
                X[fit], y[fit], sensitive_features=group[fit])
        seconds = time.perf_counter() - start
        rows.append(row(name, seconds, y[test], clf.predict(X[test]), group[test],
                        epochs=clf.n_iter_, validation_fraction_=clf.validation_fraction_,
                        warnings=", ".join(sorted({type(w.message).__name__
                                                   for w in caught})) or "-"))
        print(rows[-1], flush=True)
    start = time.perf_counter()
    logistic = LogisticRegression(max_iter=1000).fit(X[fit], y[fit])
    rows.append(row("LogisticRegression", time.perf_counter() - start, y[test],
                    logistic.predict(X[test]), group[test]))
    table = pd.DataFrame(rows).to_markdown(index=False)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "million_rows.md").write_text(
        "# Every default at 1,000,000 rows, 10% positives\n\n"
        f"Made by `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/million_rows.py` "
        f"(torch {torch.__version__}, {platform.machine()}, one thread, Python "
        f"{sys.version.split()[0]}); 800,000 rows fitted, 200,000 tested.\n\n{table}\n")


if __name__ == "__main__":
    main()
