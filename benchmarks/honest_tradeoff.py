"""Choosing honestly: every family's setting chosen by cross-validation on the training part.

``tradeoff.py`` picks each family's configuration by its mean *test* gap, with
many more skfairtune configurations than peer ones and skfairtune's settings
tuned per data set on the same splits. Here nothing is chosen by a test score:

* Adult (sex), COMPAS (race, two groups) and German credit (age), seeds 0-2 of
  tradeoff.py's stratified 70/30 split (same encoding; the group is not a
  feature).
* Every family has a small grid of settings per notion. On the training part
  only, 3-fold ``FairStratifiedKFold`` scores each setting with the same
  scorers (accuracy; ``make_fairness_scorer`` for the DP and EO gaps;
  ``make_degeneracy_scorer`` under ``"degenerate"``) into a ``cv_results_``-shaped
  dict, and ``budget_refit`` picks, for each budget, the most accurate setting
  whose cross-validated gap is within it (degenerate settings passed over; the
  fairest one, with ``BudgetNotMetWarning``, when none is within). That
  setting is refitted on the whole training part and scored once on the test
  part.
* skfairtune runs ONE recipe on every data set (``BASE``, ``TUNE``,
  ``STRENGTHS`` below): a base ``FairTuneClassifier(penalty=None)``, then
  fine-tuned from it (``pretrained=base``) at each penalty strength. The base
  is fitted inside each fold, so no fold's validation rows reach a model
  scored on them.
* Constraint mode, as users call it: ``FairTuneClassifier(penalty=notion,
  max_gap=B)`` with every other setting at its default, B among the notion's
  budgets; cross-validation chooses B like any other family's setting.
* The best group-blind peer is chosen the same way: ``budget_refit`` over
  the pooled cross-validation results of every peer family that does not
  read the group at predict time.

    .venv/bin/python benchmarks/honest_tradeoff.py            # ~40 min on 2 shared cores
    .venv/bin/python benchmarks/honest_tradeoff.py --quick    # a smoke run (~1.5 min)

It writes honest_tradeoff.csv (every choice, one row per data set, seed,
family and budget) and honest_tradeoff.md under benchmarks/results/
(``--quick`` writes honest_tradeoff_quick.*). Peers whose package is not
installed are skipped, with a note. Everything runs on one thread.
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fairlearn.adversarial import AdversarialFairnessClassifier
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import ExponentiatedGradient
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from threadpoolctl import threadpool_limits

from skfairtune import FairTuneClassifier
from skfairtune.metrics import make_degeneracy_scorer, make_fairness_scorer
from skfairtune.model_selection import (
    FairStratifiedKFold,
    budget_refit,
)
from skfairtune.penalties import Penalty

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.tradeoff import (  # noqa: E402
    BUDGETS,
    DP,
    EO,
    FAIRLEARN_MOMENTS,
    abbreviation,
    gap_column,
    load_split,
    warm_up,
)

RESULTS = Path(__file__).parent / "results"
DATASETS = ("adult", "compas", "german")
N_FOLDS = 3
QUICK_MAX_TRAIN = 2000

# skfairtune's one recipe, the same on every data set (not tuned per data set).
BASE = {"hidden_layer_sizes": (64,), "max_epochs": 20, "batch_size": 128, "lr": 1e-3}
TUNE = {"max_epochs": 10, "batch_size": 256, "lr": 1e-3, "batch_sampling": "stratified"}
STRENGTHS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # and 0: the base itself

# The peers' grids, also the same on every data set.
LR_C = (0.01, 0.1, 1.0)
EXPGRAD_BOUNDS = BUDGETS
ADVERSARIAL_ALPHA = (0.3, 1.0, 3.0)
FAIRRET_STRENGTHS = (0.1, 0.3, 1.0, 3.0)
FAIRGBM_MULTIPLIER_LR = (0.01, 0.1, 1.0)
THRESHOLD_TOL = {DP: (None, 0.01, 0.03), EO: (None,)}  # fairlearn relaxes DP only
ERROR_PARITY_TOL = {DP: (0.0, 0.01, 0.03), EO: (0.0, 0.02, 0.05)}
OXONFAIR_BOUND = BUDGETS
POST_BASES = ("LR", "network")  # what the post-processors adjust: part of their grid
# The notions, by skfairtune.notions' names; each peer's name for the same thing.
NOTIONS = (DP, EO)
OXONFAIR_METRICS = {DP: "demographic_parity", EO: "equalized_odds_max"}
# Constraint mode, as users call it: FairTuneClassifier(penalty=notion, max_gap=B),
# every other setting at its default, at a few B (the budgets themselves).
MAX_GAPS = BUDGETS

GROUP = "group"  # the column of the frames the scorers see that holds the group
SCORING = {
    "accuracy": get_scorer("accuracy"),
    **{notion: make_fairness_scorer(f"{notion}_difference", sensitive_features=GROUP)
       for notion in NOTIONS},
    "degenerate": make_degeneracy_scorer(sensitive_features=GROUP),
}


# -- data -----------------------------------------------------------------

class Part:
    """A training part (a fold's or the whole split's) and the fits shared on it.

    The network base, logistic regression and fine-tuned networks are fitted
    once per part and shared by the families that build on them, so that a
    grid costs one base per fold, fitted on that fold's training rows only.
    """

    def __init__(self, X, y, a, seed):
        self.X, self.y, self.a, self.seed = X, y, a, seed
        self.cache: dict = {}

    def once(self, key, make: Callable):
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


def frame(X: np.ndarray, a: np.ndarray) -> pd.DataFrame:
    """The features and, in its own column, the group: what the scorers read."""
    out = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    out[GROUP] = a
    return out


@dataclass
class Fold:
    part: Part
    X_val: pd.DataFrame
    y_val: np.ndarray


def folds_of(split, seed: int) -> list[Fold]:
    cv = FairStratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=seed)
    out = []
    for train, val in cv.split(split.X_train, split.y_train, groups=split.a_train):
        part = Part(split.X_train[train], split.y_train[train], split.a_train[train], seed)
        out.append(Fold(part, frame(split.X_train[val], split.a_train[val]),
                        split.y_train[val]))
    return out


class Fitted(ClassifierMixin, BaseEstimator):
    """A fitted model as the scorers see it.

    The scorers get a frame with the group in its own column; only a model
    that reads the group at predict time is handed it, every other one gets
    the features alone.
    """

    def __init__(self, predict_fn=None, group_at_predict=False):
        self.predict_fn = predict_fn
        self.group_at_predict = group_at_predict
        self.classes_ = np.array([0, 1])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        # The four scorers ask for the same predictions: compute them once.
        if getattr(self, "_last", (None,))[0] is not X:
            features = X.drop(columns=GROUP).to_numpy(dtype=float)
            group = X[GROUP].to_numpy() if self.group_at_predict else None
            self._last = (X, np.asarray(self.predict_fn(features, group)).astype(int))
        return self._last[1]


# -- the models the families share -----------------------------------------

def logistic(part: Part, C: float = 1.0):
    return part.once(("lr", C), lambda: LogisticRegression(
        C=C, max_iter=1000, tol=1e-3).fit(part.X, part.y))


def network(part: Part):
    """skfairtune's base: the recipe's unpenalised network."""
    return part.once("network", lambda: FairTuneClassifier(
        penalty=None, n_iter_no_change=None, random_state=part.seed, **BASE
    ).fit(part.X, part.y))


def tuned(part: Part, penalty, strength: float):
    """The base fine-tuned with ``penalty`` at ``strength`` (0: the base itself)."""
    if strength == 0:
        return network(part)
    key = ("tuned", repr(penalty), strength)
    return part.once(key, lambda: FairTuneClassifier(
        pretrained=network(part), penalty=penalty, penalty_strength=strength,
        n_iter_no_change=None, random_state=part.seed, **TUNE
    ).fit(part.X, part.y, sensitive_features=part.a))


def unconstrained(part: Part, base: str):
    return logistic(part) if base == "LR" else network(part)


def blind(model):
    return lambda X, a: model.predict(X)


class FairretPenalty(Penalty):
    """fairret's ``NormLoss`` as a skfairtune penalty, so that it trains the same
    network with the same recipe: positive rate for DP, true- and
    false-positive rates for EO."""

    name = "fairret_norm_loss"
    tasks = ("classification",)

    def __init__(self, notion: str = DP):
        self.notion = notion

    def __call__(self, *, scores, y, groups, weight, n_groups, losses, task):
        from fairret.loss import NormLoss
        from fairret.statistic import (
            FalsePositiveRate,
            PositiveRate,
            StackedLinearFractionalStatistic,
            TruePositiveRate,
        )

        if self.notion == EO and y.min() == y.max():
            # A last, short batch without both labels: fairret's rates are
            # undefined there (it raises), so that batch adds no penalty.
            return scores.sum() * 0.0
        logit = torch.logit(scores[:, 1].clamp(1e-6, 1 - 1e-6))[:, None]
        sens = torch.nn.functional.one_hot(groups.long(), n_groups).to(logit.dtype)
        if self.notion == DP:
            return NormLoss(PositiveRate())(logit, sens)
        rates = StackedLinearFractionalStatistic(TruePositiveRate(), FalsePositiveRate())
        return NormLoss(rates)(logit, sens, y.to(logit.dtype)[:, None])


# -- the families ----------------------------------------------------------

@dataclass
class Family:
    """A method and its grid per notion; ``fit(part, notion, setting)`` returns
    ``predict(X, group)``, where ``group`` is None unless ``group_at_predict``."""

    name: str
    grids: dict
    fit: Callable
    group_at_predict: bool = False
    needs: str | None = None  # a package that must be installed
    kind: str = "peer"  # "ours", "peer" or "post" (post-processing of our model)


def _skfairtune(part, notion, s):
    return blind(tuned(part, notion, s["strength"]))


def _constraint(part, notion, s):
    """Constraint mode as users call it: every setting but the budget at its default."""
    return blind(part.once(("constraint", notion, s["max_gap"]), lambda: FairTuneClassifier(
        penalty=notion, max_gap=s["max_gap"], random_state=part.seed
    ).fit(part.X, part.y, sensitive_features=part.a)))


def _fairret(part, notion, s):
    return blind(tuned(part, FairretPenalty(notion), s["strength"]))


def _logistic(part, notion, s):
    return blind(logistic(part, s["C"]))


def _expgrad(part, notion, s):
    model = ExponentiatedGradient(LogisticRegression(max_iter=1000, tol=1e-3),
                                  FAIRLEARN_MOMENTS[notion](difference_bound=s["bound"]))
    model.fit(part.X, part.y, sensitive_features=part.a)
    return lambda X, a: model.predict(X, random_state=part.seed)


def _adversarial(part, notion, s):
    model = AdversarialFairnessClassifier(
        backend="torch", predictor_model=[64, "leaky_relu"],
        adversary_model=[3, "leaky_relu"], batch_size=256, epochs=10, shuffle=True,
        constraints=notion, alpha=s["alpha"], random_state=part.seed)
    return blind(model.fit(part.X, part.y, sensitive_features=part.a))


def _fairgbm(part, notion, s):
    import fairgbm

    params = {"objective": "constrained_cross_entropy", "constraint_type": "FPR,FNR",
              "multiplier_learning_rate": s["multiplier_lr"], "num_threads": 1,
              "seed": part.seed, "verbose": -1}
    data = fairgbm.Dataset(part.X, label=part.y, constraint_group=_codes(part.a, part.a))
    booster = fairgbm.train(params, data, num_boost_round=100)
    return lambda X, a: (booster.predict(X) > 0.5).astype(int)


def _threshold(estimator, part, notion, tol):
    model = ThresholdOptimizer(estimator=estimator, constraints=notion, prefit=True,
                               predict_method="predict_proba", tol=tol)
    model.fit(part.X, part.y, sensitive_features=part.a)
    return lambda X, a: model.predict(X, sensitive_features=a, random_state=part.seed)


def _threshold_lr(part, notion, s):
    return _threshold(logistic(part), part, notion, s["tol"])


def _threshold_ours(part, notion, s):
    return _threshold(tuned(part, notion, s["strength"]), part, notion, None)


def _codes(a, reference):
    return np.searchsorted(np.unique(reference), a)


def _error_parity(part, notion, s):
    from error_parity import RelaxedThresholdOptimizer

    base = unconstrained(part, s["base"])
    model = RelaxedThresholdOptimizer(
        predictor=lambda X: base.predict_proba(X)[:, 1], constraint=notion,
        tolerance=s["tol"], seed=part.seed)
    model.fit(part.X, part.y, group=_codes(part.a, part.a))
    return lambda X, a: model.predict(X, group=_codes(a, part.a))


def _oxonfair(inferred: bool):
    def fit(part, notion, s):
        import oxonfair
        from oxonfair import group_metrics as gm

        metric = getattr(gm, OXONFAIR_METRICS[notion])

        def frontier():
            groups = part.once("group model", lambda: LogisticRegression(
                max_iter=1000, tol=1e-3).fit(part.X, part.a)) if inferred else False
            model = oxonfair.FairPredictor(unconstrained(part, s["base"]),
                                           oxonfair.DataDict(part.y, part.X, groups=part.a),
                                           inferred_groups=groups)
            model.fit(gm.accuracy, metric, s["bound"])
            return model

        shared = part.once(("oxonfair", inferred, s["base"], notion), frontier)
        shared.fit(gm.accuracy, metric, s["bound"], recompute=False)
        model = copy.copy(shared)  # its own thresholds, the shared frontier
        model.offset = shared.offset.copy()
        if inferred:
            return lambda X, a: np.asarray(model.predict(X))
        return lambda X, a: np.asarray(model.predict(
            oxonfair.DataDict(np.zeros(len(X)), X, groups=a)))
    return fit


def _grid(key, values):
    return {notion: [{key: v} for v in values] for notion in NOTIONS}


def _per_notion(key, values):
    return {notion: [{key: v} for v in values[notion]] for notion in NOTIONS}


def _with_bases(key, values):
    return {notion: [{"base": b, key: v} for b in POST_BASES for v in values[notion]]
            for notion in NOTIONS}


def families() -> list[Family]:
    strengths = (0.0, *STRENGTHS)
    return [
        Family("skfairtune", _grid("strength", strengths), _skfairtune, kind="ours"),
        Family(CONSTRAINT, _per_notion("max_gap", MAX_GAPS), _constraint, kind="ours"),
        Family("LogisticRegression", _grid("C", LR_C), _logistic),
        Family("ExpGrad LR", _per_notion("bound", EXPGRAD_BOUNDS), _expgrad),
        Family("Adversarial", _grid("alpha", ADVERSARIAL_ALPHA), _adversarial),
        Family("fairret NormLoss (same network)", _grid("strength", (0.0, *FAIRRET_STRENGTHS)),
               _fairret, needs="fairret"),
        Family("FairGBM", {EO: [{"multiplier_lr": v} for v in FAIRGBM_MULTIPLIER_LR]},
               _fairgbm, needs="fairgbm"),
        Family("OxonFair (inferred groups)", _with_bases("bound", OXONFAIR_BOUND),
               _oxonfair(True), needs="oxonfair"),
        Family("ThresholdOptimizer LR", _per_notion("tol", THRESHOLD_TOL), _threshold_lr,
               group_at_predict=True),
        Family("RelaxedThresholdOptimizer (error-parity)",
               _with_bases("tol", ERROR_PARITY_TOL), _error_parity, group_at_predict=True,
               needs="error_parity"),
        Family("OxonFair (true groups)", _with_bases("bound", OXONFAIR_BOUND),
               _oxonfair(False), group_at_predict=True, needs="oxonfair"),
        Family("ThresholdOptimizer on skfairtune", _grid("strength", strengths),
               _threshold_ours, group_at_predict=True, kind="post"),
    ]


def quick(family: Family) -> Family:
    """Every third setting: a smoke run of every family."""
    grids = {notion: grid[::3] for notion, grid in family.grids.items()}
    return Family(family.name, grids, family.fit, family.group_at_predict, family.needs,
                  family.kind)


def label(setting: dict) -> str:
    def show(v):
        return "exact" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
    return ", ".join(f"{k}={show(v)}" for k, v in setting.items())


# -- cross-validation and the choice ----------------------------------------

def cross_validate(family: Family, notion: str, folds: list[Fold]) -> tuple[dict, float, int]:
    """``cv_results_`` of the family's grid, as GridSearchCV would store them.

    A fit that fails scores NaN (``error_score=np.nan``), which budget_refit
    leaves out. Returns the results, the fit seconds and the failures.
    """
    grid = family.grids[notion]
    results: dict = {"params": grid}
    seconds, failures = 0.0, 0
    for k, fold in enumerate(folds):
        for i, setting in enumerate(grid):
            start = time.perf_counter()
            try:
                predict = family.fit(fold.part, notion, setting)
            except Exception as error:  # noqa: BLE001 - recorded, as error_score=nan
                print(f"  {family.name} {label(setting)} failed: {error!r}", flush=True)
                predict, failures = None, failures + 1
            seconds += time.perf_counter() - start
            for name, scorer in SCORING.items():
                column = results.setdefault(f"split{k}_test_{name}", np.full(len(grid), np.nan))
                if predict is not None:
                    column[i] = scorer(Fitted(predict, family.group_at_predict),
                                       fold.X_val, fold.y_val)
    for name in SCORING:
        values = np.vstack([results[f"split{k}_test_{name}"] for k in range(len(folds))])
        results[f"mean_test_{name}"] = values.mean(axis=0)
        results[f"std_test_{name}"] = values.std(axis=0)
    return results, seconds, failures


@dataclass
class Choice:
    index: int | None  # None when every setting was degenerate (or failed)
    feasible: bool  # some setting was within budget in cross-validation
    cv_accuracy: float = np.nan
    cv_gap: float = np.nan
    note: str = ""


def choose(results: dict, notion: str, budget: float) -> Choice:
    """skfairtune's budget_refit, the same rule for every family."""
    rule = budget_refit(metric="accuracy", constraint=notion, max_value=budget)
    # mean_test_* are cross-validated scores on the training part: nothing
    # here reads the test split.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the choice says itself whether it met the budget
        try:
            index = rule(results)
        except ValueError as error:  # every candidate failed or is degenerate
            return Choice(None, False, note=str(error).split(":")[0])
    return Choice(index, rule.budget_met_, float(results["mean_test_accuracy"][index]),
                  float(rule.gaps(results)[index]))


def pooled(named: dict[str, dict]) -> tuple[dict, list[tuple[str, int]]]:
    """Several families' results as one grid, and where each candidate came from."""
    keys = [k for k in next(iter(named.values())) if k != "params"]
    out = {"params": [p for r in named.values() for p in r["params"]]}
    for key in keys:
        out[key] = np.concatenate([r[key] for r in named.values()])
    origin = [(name, i) for name, r in named.items() for i in range(len(r["params"]))]
    return out, origin


def n_degenerate(results: dict) -> int:
    return int(np.sum(np.nan_to_num(results["mean_test_degenerate"], nan=0.0) > 0))


# -- one seed ----------------------------------------------------------------

def run_seed(name: str, seed: int, fams: list[Family], max_train: int | None) -> tuple:
    split = load_split(name, seed, max_train)
    folds = folds_of(split, seed)
    whole = Part(split.X_train, split.y_train, split.a_train, seed)
    test = frame(split.X_test, split.a_test)
    refits: dict = {}
    timing: list[dict] = []

    def refit(family: Family, notion: str, index: int) -> dict:
        key = (family.name, notion, index)
        if key not in refits:
            start = time.perf_counter()
            predict = family.fit(whole, notion, family.grids[notion][index])
            timing.append({"family": family.name, "stage": "refit",
                           "seconds": time.perf_counter() - start})
            model = Fitted(predict, family.group_at_predict)
            refits[key] = {n: float(abs(s(model, test, split.y_test)))
                           for n, s in SCORING.items()}
        return refits[key]

    rows, cv = [], {}
    for family in fams:
        for notion in family.grids:
            results, seconds, failures = cross_validate(family, notion, folds)
            cv[(family.name, notion)] = results
            timing.append({"family": family.name, "stage": "cv", "seconds": seconds})
            for budget in BUDGETS[notion]:
                choice = choose(results, notion, budget)
                rows.append(_row(family.name, family, notion, budget, choice, results,
                                 None if choice.index is None else
                                 refit(family, notion, choice.index),
                                 None if choice.index is None else
                                 label(family.grids[notion][choice.index]), failures))
    by_name = {f.name: f for f in fams}
    for pool, members in (("best blind peer (pooled)", [
            f for f in fams if f.kind == "peer" and not f.group_at_predict]),
            ("best group-at-predict peer (pooled)", [
                f for f in fams if f.kind == "peer" and f.group_at_predict])):
        for notion in NOTIONS:
            named = {f.name: cv[(f.name, notion)] for f in members if (f.name, notion) in cv}
            if not named:
                continue
            results, origin = pooled(named)
            for budget in BUDGETS[notion]:
                choice = choose(results, notion, budget)
                scores, config = None, None
                if choice.index is not None:
                    family_name, index = origin[choice.index]
                    scores = refit(by_name[family_name], notion, index)
                    config = f"{family_name}: {label(by_name[family_name].grids[notion][index])}"
                rows.append(_row(pool, None, notion, budget, choice, results, scores, config, 0))
    for row in rows:
        row.update(dataset=name, seed=seed)
    times = pd.DataFrame(timing).assign(dataset=name, seed=seed)
    return rows, times


def _row(name, family, notion, budget, choice, results, scores, config, failures) -> dict:
    row = {
        "family": name, "group_at_predict": bool(family and family.group_at_predict)
        or name.startswith("best group-at-predict"),
        "kind": family.kind if family else "pooled", "notion": notion, "budget": budget,
        "n_settings": len(results["params"]), "n_degenerate": n_degenerate(results),
        "failures": failures, "cv_feasible": choice.feasible,
        "cv_accuracy": choice.cv_accuracy, "cv_gap": choice.cv_gap,
        "config": config if config is not None else f"none ({choice.note})",
    }
    if scores is None:
        return {**row, "accuracy": np.nan, **{gap_column(n): np.nan for n in NOTIONS},
                "degenerate": np.nan, "over_budget": np.nan}
    gap = scores[notion]
    return {**row, "accuracy": scores["accuracy"],
            **{gap_column(n): scores[n] for n in NOTIONS}, "degenerate": scores["degenerate"],
            "over_budget": bool(gap > budget + 1e-12)}


def run(datasets, seeds, fams, max_train, out_csv: Path, command: str):
    rows, times = [], []
    for name in datasets:
        for seed in seeds:
            start = time.perf_counter()
            seed_rows, seed_times = run_seed(name, seed, fams, max_train)
            rows += seed_rows
            times.append(seed_times)
            print(f"{name} seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
            write_csv(pd.DataFrame(rows), out_csv, command)  # partial results survive
    return pd.DataFrame(rows), pd.concat(times, ignore_index=True)


def write_csv(runs: pd.DataFrame, path: Path, command: str) -> None:
    with path.open("w") as handle:
        handle.write(f"# {command}\n")
        runs.to_csv(handle, index=False, float_format="%.6g")


# -- the report ----------------------------------------------------------------

OURS = "skfairtune"
CONSTRAINT = "skfairtune constraint mode"
PEER = "best blind peer (pooled)"
SIGHTED = "best group-at-predict peer (pooled)"
COMPOSED = "ThresholdOptimizer on skfairtune"


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per data set, budget and family: test accuracy and gap over the seeds."""
    gap = pd.Series(np.nan, index=runs.index)
    for notion in NOTIONS:
        mine = runs["notion"] == notion
        gap[mine] = runs.loc[mine, gap_column(notion)]
    runs = runs.assign(gap=gap)
    keys = ["dataset", "notion", "budget", "family"]
    grouped = runs.groupby(keys, sort=False)
    out = grouped.agg(
        group_at_predict=("group_at_predict", "first"), kind=("kind", "first"),
        accuracy=("accuracy", "mean"), accuracy_std=("accuracy", "std"),
        gap=("gap", "mean"), gap_max=("gap", "max"), cv_gap=("cv_gap", "mean"),
        over=("over_budget", lambda s: int(np.nansum(s.astype(float)))),
        chosen=("accuracy", lambda s: int(s.notna().sum())),
        feasible=("cv_feasible", "sum"), seeds=("seed", "nunique"),
        degenerate=("degenerate", lambda s: int(np.nansum(s))),
        configs=("config", lambda s: "; ".join(
            f"{c}{f' (x{n})' if n > 1 else ''}" for c, n in Counter(s).most_common())),
    )
    return out.reset_index()


def _acc(row) -> str:
    if row is None or np.isnan(row["accuracy"]):
        return "—"
    std = 0.0 if np.isnan(row["accuracy_std"]) else row["accuracy_std"]
    return f"{row['accuracy']:.3f} ± {std:.3f}"


def _cell(row) -> str:
    """Accuracy, test gap, seeds over the budget on test, seeds feasible in CV."""
    if row is None:
        return "—"
    if np.isnan(row["accuracy"]):
        return "none (every setting degenerate)"
    return (f"{_acc(row)}; gap {row['gap']:.3f}; over {row['over']}/{row['chosen']}; "
            f"CV-feasible {row['feasible']}/{row['seeds']}")


def _get(summary, dataset, notion, budget, family):
    hit = summary[(summary["dataset"] == dataset) & (summary["notion"] == notion)
                  & (np.isclose(summary["budget"], budget)) & (summary["family"] == family)]
    return None if hit.empty else hit.iloc[0]


def _budget_name(notion, budget) -> str:
    return f"{abbreviation(notion)} ≤ {budget:g}"


def verdict(ours, peer) -> tuple[str, str]:
    if ours is None or peer is None or np.isnan(ours["accuracy"]) or np.isnan(
            peer["accuracy"]):
        return "n/a", "n/a"
    diff = ours["accuracy"] - peer["accuracy"]
    acc = f"{'yes' if diff >= 0 else '**no**'} ({diff:+.3f})"
    over = f"{'yes' if ours['over'] <= peer['over'] else '**no**'} " \
           f"({ours['over']} vs {peer['over']})"
    return acc, over


def headline(summary: pd.DataFrame) -> tuple[list[str], list[str]]:
    lines = ["| data set | budget | skfairtune | best blind peer (CV-pooled) | "
             "as accurate? | over budget no more often? | skfairtune constraint mode "
             "(max_gap chosen by CV) | constraint mode: as accurate? over no more often? | "
             "group at predict: best peer (CV-pooled) | group at predict: "
             "ThresholdOptimizer on skfairtune |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    shortfalls = []
    for dataset in summary["dataset"].unique():
        for notion in NOTIONS:
            for budget in BUDGETS[notion]:
                ours, constraint, peer = (_get(summary, dataset, notion, budget, f)
                                          for f in (OURS, CONSTRAINT, PEER))
                acc, over = verdict(ours, peer)
                constraint_acc, constraint_over = verdict(constraint, peer)
                where = f"{dataset} {_budget_name(notion, budget)}"
                for name, a, o in ((OURS, acc, over),
                                   (CONSTRAINT, constraint_acc, constraint_over)):
                    if "no" in a or "no" in o:
                        shortfalls.append(f"{where}, {name}: accuracy {a}, over budget "
                                          f"{o}; peer chosen: {peer['configs']}")
                lines.append(
                    f"| {dataset} | {_budget_name(notion, budget)} | {_cell(ours)} | "
                    f"{_cell(peer)}{_families(peer)} | {acc} | {over} | "
                    f"{_cell(constraint)} | {constraint_acc}; {constraint_over} | "
                    f"{_cell(_get(summary, dataset, notion, budget, SIGHTED))} | "
                    f"{_cell(_get(summary, dataset, notion, budget, COMPOSED))} |")
    return lines, shortfalls


def _families(peer) -> str:
    if peer is None:
        return ""
    names = Counter(c.split(":")[0] for c in _expand(peer["configs"]))
    return " (" + ", ".join(f"{n} x{k}" if k > 1 else n for n, k in names.items()) + ")"


def _expand(configs: str) -> list[str]:
    out = []
    for part in configs.split("; "):
        count = 1
        if part.endswith(")") and " (x" in part:
            part, _, n = part.rpartition(" (x")
            count = int(n[:-1])
        out += [part] * count
    return out


def family_tables(summary: pd.DataFrame, dataset: str) -> list[str]:
    lines = []
    for notion in NOTIONS:
        part = summary[(summary["dataset"] == dataset) & (summary["notion"] == notion)]
        lines += [f"### {dataset}: {abbreviation(notion)} budgets", "",
                  "| family | group at predict | budget | test accuracy | test gap (mean, max) "
                  "| CV gap | over budget on test | CV-feasible | settings chosen |",
                  "|---|---|---|---:|---|---:|---|---|---|"]
        for _, row in part.iterrows():
            gap = "—" if np.isnan(row["gap"]) else f"{row['gap']:.3f}, {row['gap_max']:.3f}"
            lines.append(
                f"| {row['family']} | {'yes' if row['group_at_predict'] else 'no'} | "
                f"{row['budget']:g} | {_acc(row)} | {gap} | {row['cv_gap']:.3f} | "
                f"{row['over']}/{row['chosen']} | "
                f"{row['feasible']}/{row['seeds']} | {row['configs']} |")
        lines.append("")
    return lines


def time_table(times: pd.DataFrame) -> list[str]:
    per = times.groupby(["dataset", "family", "seed"], sort=False)["seconds"].sum()
    per = per.groupby(["dataset", "family"], sort=False).mean().unstack(0)
    datasets = list(per.columns)
    lines = ["| family | " + " | ".join(datasets) + " |", "|---|" + "---:|" * len(datasets)]
    for family, row in per.iterrows():
        lines.append(f"| {family} | " + " | ".join(
            "—" if np.isnan(v) else f"{v:.1f}" for v in row) + " |")
    return lines


def report(runs, times, command, wall_s, skipped, quick_run) -> str:
    summary = summarise(runs)
    top, shortfalls = headline(summary)
    seeds = sorted(runs["seed"].unique())
    recipe = (f"base `FairTuneClassifier(penalty=None, {_kw(BASE)})`, then fine-tuned from "
              f"it (`pretrained=base`) with `{_kw(TUNE)}` at `penalty_strength` in "
              f"{', '.join(f'{s:g}' for s in STRENGTHS)} (and 0: the base itself), "
              "the `demographic_parity` penalty for DP budgets and `equalized_odds` for EO")
    parts = [
        "# Choosing honestly: settings chosen by cross-validation on the training part", "",
        f"`{command}`", "",
        f"Wall time {wall_s / 60:.1f} min on {platform.machine()}, one torch and BLAS "
        f"thread, a machine shared with other work; seeds {', '.join(map(str, seeds))}; "
        f"torch {torch.__version__}." + (" **Quick run: one seed, 2,000 training rows, "
                                         "every third setting.**" if quick_run else ""), "",
        "Protocol: tradeoff.py's stratified 70/30 split and encoding (the group is not a "
        f"feature). Each family's setting is chosen on the training part only: {N_FOLDS}-fold "
        "`FairStratifiedKFold`, scored with accuracy, `make_fairness_scorer` (DP and EO "
        "differences) and `make_degeneracy_scorer`, then `budget_refit(metric='accuracy', "
        "constraint=..., max_value=budget)`: the most accurate setting whose mean CV gap is "
        "within the budget, degenerate settings passed over, the fairest setting when none is "
        "within (*not CV-feasible*). The chosen setting is refitted on the whole training "
        "part and scored once on the test part. The best blind peer is chosen by the same "
        "rule over the pooled CV results of every peer family that does not read the group "
        "at predict time; likewise for the peers that do.", "",
        f"skfairtune's one recipe, on every data set: {recipe}. No setting was tuned per "
        "data set. skfairtune's constraint mode is `FairTuneClassifier(penalty=notion, "
        "max_gap=B)` with every other setting at its default, B among the notion's budgets "
        "(chosen by the same rule).", "",
        "A cell: test accuracy mean ± std over seeds; mean test gap; seeds whose test gap "
        "is over the budget (of the seeds where a model was chosen); seeds where CV found a "
        "setting within the budget.", "",
    ]
    if skipped:
        parts += ["Skipped (not installed): " + "; ".join(skipped) + ".", ""]
    parts += ["## skfairtune against the best peer, both chosen by CV", "", *top, ""]
    parts += ["Where skfairtune is less accurate or over its budget more often:", ""]
    parts += [f"- {s}" for s in shortfalls] or ["- none"]
    parts += [""]
    for dataset in runs["dataset"].unique():
        parts += [f"## {dataset}: every family", "", *family_tables(summary, dataset)]
    parts += ["## Fit seconds per seed (cross-validation and refits)", "",
              "Shared fits are charged to the first family that needs them: the network "
              "base to skfairtune, logistic regression to LogisticRegression.", "",
              *time_table(times), ""]
    return "\n".join(parts)


def _kw(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def plot(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(summary["dataset"].unique())
    fig, axes = plt.subplots(len(datasets), 2, figsize=(11, 3.6 * len(datasets)),
                             squeeze=False)
    shown = [(OURS, "C0", "o"), (CONSTRAINT, "C4", "v"), (PEER, "C1", "s"), (SIGHTED, "C3", "x"),
             (COMPOSED, "C2", "^")]
    for r, dataset in enumerate(datasets):
        for c, notion in enumerate(NOTIONS):
            ax = axes[r, c]
            budgets = BUDGETS[notion]
            for family, color, marker in shown:
                rows = [_get(summary, dataset, notion, b, family) for b in budgets]
                acc = [np.nan if x is None else x["accuracy"] for x in rows]
                err = [0 if x is None or np.isnan(x["accuracy_std"]) else x["accuracy_std"]
                       for x in rows]
                ax.errorbar(range(len(budgets)), acc, yerr=err, color=color, marker=marker,
                            capsize=3, label=family)
            ax.set_xticks(range(len(budgets)), [f"≤ {b:g}" for b in budgets])
            ax.set_title(f"{dataset}: {abbreviation(notion)} budget (chosen by CV)")
            ax.set_ylabel("test accuracy")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- running ---------------------------------------------------------------------

def available(fams: list[Family]) -> tuple[list[Family], list[str]]:
    kept, skipped = [], []
    for family in fams:
        if family.needs and find_spec(family.needs) is None:
            skipped.append(f"{family.name} (`{family.needs}`)")
        else:
            kept.append(family)
    return kept, skipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true",
                        help="one seed, 2,000 training rows, every third setting")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else args.seeds
    fams, skipped = available(families())
    if args.quick:
        fams = [quick(f) for f in fams]
    stem = "honest_tradeoff_quick" if args.quick else "honest_tradeoff"
    command = " ".join([".venv/bin/python", "benchmarks/honest_tradeoff.py", *sys.argv[1:]])
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    warm_up()
    start = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, fairness and future warnings
        runs, times = run(args.datasets, seeds, fams, QUICK_MAX_TRAIN if args.quick else None,
                          args.out / f"{stem}.csv", command)
    wall_s = time.perf_counter() - start
    write_csv(runs, args.out / f"{stem}.csv", command)
    text = report(runs, times, command, wall_s, skipped, args.quick)
    (args.out / f"{stem}.md").write_text(text)
    plot(summarise(runs), args.out / f"{stem}.png")
    print(text)


if __name__ == "__main__":
    main()
