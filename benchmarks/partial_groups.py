"""How much fairness is left when the sensitive attribute is known for few rows?

Adult (sensitive attribute: sex), each seed's stratified 70/30 split as in
tradeoff.py (one-hot and scaling fitted on the training part; the attribute
is not a feature). For a share of the training rows (100%, 50%, 20%, 5%,
drawn at random) the group is kept; for the others it is hidden (None).
Two ways to use such data with the demographic-parity penalty:

- ``ignore``: ``FairTuneClassifier(missing_groups="ignore")``: every row
  trains the loss, the penalty reads the rows whose group is known;
- ``drop``: what a team does without it: fit on the known rows only.

And ``ignore, batch 2048``: the first with batches eight times larger, so
that each holds some eight times more rows of known group for the penalty
to read (at 5% known, a batch of 256 holds about 13).

Fixed settings, chosen once and not tuned per share: ``penalty_strength=1.0``,
``max_epochs=10``, ``batch_size=256``, ``lr=1e-3``, hidden layer (64,), no
early stopping (``n_iter_no_change=None``), trained from scratch. The row
"no penalty" is the same network without the penalty. Reported on the whole
test part (where every group is known): the demographic-parity gap of the
hard predictions and the accuracy, mean over seeds.

    .venv/bin/python benchmarks/partial_groups.py           # 2 seeds
    .venv/bin/python benchmarks/partial_groups.py --seeds 1

It prints a markdown table and writes benchmarks/results/partial_groups.md.
Everything runs on one thread.
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
from threadpoolctl import threadpool_limits

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.tradeoff import load_split  # noqa: E402
from skfairtune import FairTuneClassifier  # noqa: E402
from skfairtune.metrics import demographic_parity_difference  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SHARES = (1.0, 0.5, 0.2, 0.05)
SETTINGS = dict(penalty="demographic_parity", penalty_strength=1.0, max_epochs=10,
                batch_size=256, lr=1e-3, n_iter_no_change=None)


def hide(groups: np.ndarray, share: float, seed: int) -> np.ndarray:
    """The groups as objects, None for all but a random ``share`` of the rows."""
    rng = np.random.default_rng(seed)
    hidden = groups.astype(object)
    hidden[rng.random(len(groups)) >= share] = None
    return hidden


def run(split, method: str, share: float, seed: int) -> dict:
    groups = hide(split.a_train, share, seed)
    known = np.array([g is not None for g in groups])
    settings = dict(SETTINGS, random_state=seed)
    if method == "no penalty":
        est, rows, sensitive = FairTuneClassifier(**{**settings, "penalty": None}), None, None
    elif method.startswith("ignore"):
        if method.endswith("2048"):
            settings["batch_size"] = 2048
        est = FairTuneClassifier(missing_groups="ignore", **settings)
        rows, sensitive = None, groups
    else:  # drop
        est, rows, sensitive = FairTuneClassifier(**settings), known, groups[known]
    X, y = (split.X_train, split.y_train) if rows is None else (
        split.X_train[rows], split.y_train[rows])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y, sensitive_features=sensitive)
    seconds = time.perf_counter() - start
    pred = est.predict(split.X_test)
    return {"method": method, "known": share, "seed": seed, "train rows": len(y),
            "rows with group": int(known.sum()) if method != "no penalty" else 0,
            "test DP gap": demographic_parity_difference(
                split.y_test, pred, sensitive_features=split.a_test),
            "accuracy": float(np.mean(pred == split.y_test)), "seconds": seconds}


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    with threadpool_limits(1):
        for seed in range(args.seeds):
            split = load_split("adult", seed)
            rows.append(run(split, "no penalty", 1.0, seed))
            for share in SHARES:
                methods = ("ignore",) if share == 1.0 else (
                    "ignore", "ignore, batch 2048", "drop")
                rows.extend(run(split, method, share, seed) for method in methods)
                print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    table = (frame.groupby(["known", "method"], sort=False)
             [["train rows", "test DP gap", "accuracy", "seconds"]].mean().round(4)
             .reset_index())
    table["known"] = (100 * table["known"]).map("{:.0f}%".format)
    write(table, args.seeds)
    return table


def write(table: pd.DataFrame, seeds: int) -> None:
    markdown = table.to_markdown(index=False)
    print(markdown)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "partial_groups.md").write_text(
        "# Partial group labels on Adult\n\n"
        "Command: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/partial_groups.py"
        f"{'' if seeds == 2 else f' --seeds {seeds}'}`\n\n"
        f"torch {torch.__version__}, {platform.machine()}, one thread; {seeds} seed(s). "
        "Demographic-parity penalty, penalty_strength=1.0, 10 epochs, batch 256, lr 1e-3, "
        "from scratch, no early stopping. 'known': the share of training rows whose "
        "sex is given. 'ignore': missing_groups='ignore' (every row in the loss); "
        "'drop': fit on the known rows only; 'ignore, batch 2048': the first with "
        "batches of 2048 rows. Test DP gap and accuracy on the whole "
        "test part, mean over seeds.\n\n" + markdown + "\n")


if __name__ == "__main__":
    main()
