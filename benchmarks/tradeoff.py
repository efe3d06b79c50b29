"""Accuracy against fairness: skfairtune and its peers on Adult, COMPAS and German.

On Adult (sex), COMPAS (race, two groups) and German credit (age > 25), for
each seed of a stratified 70/30 split (stratified on label and group), every
method runs in this one process on the same encoded data (one-hot and
scaling; the sensitive attribute is not a feature) and is scored on the test
part: accuracy, and fairlearn's demographic-parity and equalized-odds gaps.

* skfairtune: a base ``FairTuneClassifier(penalty=None)`` per split, then
  each penalty (demographic parity, equalized odds, equal opportunity) over a
  grid of strengths, and the constraint mode (``max_gap``) at several
  budgets, each fine-tuned from the base for a few epochs;
* the peers: unconstrained LogisticRegression and MLPClassifier; fairlearn's
  ExponentiatedGradient (DemographicParity, EqualizedOdds) on logistic
  regression and, where it fits in time, a small MLP; ThresholdOptimizer
  (which reads the group at predict time, reported apart); the
  AdversarialFairnessClassifier; and fairret's NormLoss on an MLP.

A *configuration* is one method with one setting (a strength, a bound). Its
accuracy and gaps are averaged over the seeds; the best accuracy at a budget
is that of the configuration with the highest mean accuracy among those whose
*mean* test gap is within the budget, reported as mean +- std over seeds.
Choosing on test gaps follows the protocol of the reference numbers.

    .venv/bin/python benchmarks/tradeoff.py             # the full run (~20 min, 2 cores)
    .venv/bin/python benchmarks/tradeoff.py --quick     # a smoke run (~1 min)
    .venv/bin/python benchmarks/tradeoff.py --datasets compas --seeds 0 1 2

It writes tradeoff.csv (every run), tradeoff.md (the tables, with the
command) and tradeoff.png (the fronts) under benchmarks/results/
(``--out`` to write elsewhere; ``--quick`` writes tradeoff_quick.*).
Everything runs on one thread (torch and BLAS), so that the wall times
compare methods, not how each uses the cores of a shared machine.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fairlearn.adversarial import AdversarialFairnessClassifier
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from skfairtune import FairTuneClassifier
from skfairtune.datasets import load_adult, load_compas, load_german
from skfairtune.notions import get_notion

RESULTS = Path(__file__).parent / "results"
DP, EO = "demographic_parity", "equalized_odds"  # skfairtune.notions' names
BUDGETS = {DP: (0.01, 0.02, 0.05), EO: (0.02, 0.05, 0.10)}
FAIRLEARN_MOMENTS = {DP: DemographicParity, EO: EqualizedOdds}  # fairlearn's, by our names

# The best peer accuracies of the reference run (same protocol),
# among methods that do not read the group at predict time.
REFERENCE = {
    ("adult", DP, 0.02): (0.832, "ExpGrad LR"),
    ("adult", DP, 0.05): (0.840, "fairret NormLoss MLP"),
    ("adult", EO, 0.05): (0.846, "ExpGrad LR"),
    ("compas", DP, 0.05): (0.581, "ExpGrad LR"),
    ("german", DP, 0.02): (0.732, "fairret NormLoss MLP"),
}


def abbreviation(notion: str) -> str:
    """A notion's short name in tables (``"DP"``), from skfairtune.notions."""
    return get_notion(notion).abbreviation


def gap_column(notion: str) -> str:
    """The results' column of a notion's test gap (``"dp_gap"``)."""
    return f"{abbreviation(notion).lower()}_gap"


# Tuned on the bundled data; the strength grids are fine where the gaps are
# small, since a hard-prediction gap is not monotone in the strength.
BIG_BATCH = {"lr": 3e-3, "max_epochs": 10, "batch_size": 4096}
SETTINGS: dict[str, dict] = {
    "adult": {
        "base": {"max_epochs": 10, "batch_size": 128, "lr": 1e-3},
        "tune": {"max_epochs": 5, "batch_size": 1024, "lr": 1e-3},
        "dp": [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 1.0],
        # Small gaps of the rates among women's positives need batches that
        # hold enough of them: the big-batch blocks.
        "eo": [{"tune": {}, "values": [0.1, 0.2, 0.3, 0.5, 1.0]},
               {"tune": BIG_BATCH,
                "values": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0]}],
        "eopp": [{"tune": {}, "values": [0.1, 0.2, 0.5, 1.0]},
                 {"tune": BIG_BATCH, "values": [1.0, 2.0, 5.0]}],
        "dp_max_gap": [{"tune": {}, "values": [0.03, 0.04, 0.05, 0.06, 0.08]},
                       {"tune": BIG_BATCH, "values": [0.01, 0.02, 0.03]}],
        "eo_max_gap": [{"tune": BIG_BATCH, "values": [0.01, 0.02, 0.03, 0.05]}],
        "multiplier_lr": 1.0,
        "expgrad": {DP: [0.002, 0.01, 0.03], EO: [0.005, 0.02, 0.05]},
        "expgrad_mlp": None,  # about a minute per fit here
        "threshold_tol": [None, 0.02, 0.05],
        "adversarial_alpha": [0.3, 1.0, 3.0],
        "fairret": {DP: [0.03, 0.1, 0.3, 1.0], EO: [0.03, 0.1, 0.3, 1.0]},
    },
    "compas": {
        "base": {"max_epochs": 10, "batch_size": 128, "lr": 1e-3},
        "tune": {"max_epochs": 5, "batch_size": 256, "lr": 1e-3},
        # Strong penalties oscillate at lr=1e-3 and small batches: a slower and
        # a larger-batch block reach the small gaps steadily.
        "dp": [{"tune": {}, "values": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0]},
               {"tune": {"lr": 3e-4, "max_epochs": 20}, "values": [1.5, 2.0, 3.0, 4.0, 6.0]},
               {"tune": {"max_epochs": 20, "batch_size": 1024},
                "values": [1.5, 2.0, 2.5, 3.0, 6.0]}],
        # Equalized odds moves more slowly than parity here: more epochs.
        "eo": [{"tune": {"max_epochs": 20}, "values": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0]}],
        "eopp": [{"tune": {"max_epochs": 20}, "values": [1.0, 2.0, 4.0, 8.0]}],
        "dp_max_gap": [{"tune": {"max_epochs": 20}, "values": [0.03, 0.05, 0.08, 0.12]}],
        "eo_max_gap": [{"tune": {"max_epochs": 20}, "values": [0.03, 0.05, 0.08]}],
        "multiplier_lr": 1.0,
        "expgrad": {DP: [0.002, 0.01, 0.03], EO: [0.005, 0.02, 0.05]},
        "expgrad_mlp": {DP: [0.01, 0.03], EO: [0.05]},
        "threshold_tol": [None, 0.02, 0.05],
        "adversarial_alpha": [0.3, 1.0, 3.0],
        "fairret": {DP: [0.01, 0.03, 0.1, 0.3], EO: [0.01, 0.03, 0.1, 0.3]},
    },
    "german": {
        "base": {"max_epochs": 30, "batch_size": 64, "lr": 1e-3},
        "tune": {"max_epochs": 10, "batch_size": 128, "lr": 1e-3},
        "dp": [{"tune": {}, "values": [0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0]},
               {"tune": {"max_epochs": 30, "batch_size": 64},
                "values": [1.0, 5.0, 8.0, 12.0, 16.0]}],
        "eo": [{"tune": {}, "values": [0.1, 0.25, 0.5, 1.0]},
               {"tune": {"max_epochs": 30, "batch_size": 64}, "values": [1.0, 2.0, 4.0, 8.0]}],
        "eopp": [0.25, 0.5, 1.0, 2.0],
        "dp_max_gap": [0.03, 0.05, 0.08],
        "eo_max_gap": [{"tune": {"max_epochs": 30, "batch_size": 64},
                        "values": [0.05, 0.08, 0.12]}],
        "multiplier_lr": 1.0,
        "expgrad": {DP: [0.002, 0.01, 0.03], EO: [0.005, 0.02, 0.05]},
        "expgrad_mlp": {DP: [0.01, 0.03], EO: [0.02, 0.05]},
        "threshold_tol": [None, 0.02, 0.05],
        "adversarial_alpha": [0.3, 1.0, 3.0],
        "fairret": {DP: [0.03, 0.1, 0.3, 1.0], EO: [0.03, 0.1, 0.3, 1.0]},
    },
}
QUICK_MAX_TRAIN = 4000


LOADERS = {
    "adult": lambda: load_adult(split="all", sensitive="sex", as_frame=True,
                                drop_sensitive=True),
    "compas": lambda: load_compas(sensitive="race", race_binary=True, as_frame=True,
                                  drop_sensitive=True),
    "german": lambda: load_german(sensitive="age", as_frame=True, drop_sensitive=True),
}


@dataclass
class Split:
    """One seed's stratified 70/30 split, encoded; the group is not a feature."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    a_train: np.ndarray
    a_test: np.ndarray
    seed: int


@dataclass
class Candidate:
    """A configuration of a method: ``fit(split)`` returns ``predict(X, a)``."""

    family: str
    config: str
    fit: Callable[[Split], Callable]
    group_at_predict: bool = False


def load_split(name: str, seed: int, max_train: int | None = None) -> Split:
    """Stratified on label and group; one-hot and scaling fitted on the training part."""
    data = LOADERS[name]()
    strata = data.target.astype(str) + "|" + data.sensitive.astype(str)
    X_tr, X_te, y_tr, y_te, a_tr, a_te = train_test_split(
        data.data, data.target, data.sensitive, test_size=0.3, random_state=seed,
        stratify=strata)
    if max_train is not None and len(y_tr) > max_train:  # --quick only
        X_tr, y_tr, a_tr = X_tr[:max_train], y_tr[:max_train], a_tr[:max_train]
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         make_column_selector(dtype_include="category")),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    return Split(encode.fit_transform(X_tr), encode.transform(X_te), np.asarray(y_tr),
                 np.asarray(y_te), np.asarray(a_tr).astype(str), np.asarray(a_te).astype(str),
                 seed)


# -- skfairtune -----------------------------------------------------------

def fairtune_candidates(settings: dict, seed: int) -> list[Candidate]:
    """A base model per split, then each penalty and budget fine-tuned from it."""
    state: dict = {}

    def base(split):
        state["base"] = FairTuneClassifier(penalty=None, random_state=seed,
                                           n_iter_no_change=None, **settings["base"])
        state["base"].fit(split.X_train, split.y_train)
        return _plain(state["base"])

    out = [Candidate("skfairtune base", "no penalty", base)]
    for family, penalty, key, entry in _fairtune_grid(settings):
        for overrides, values in blocks(entry):
            tune = {**settings["tune"], **overrides}
            for value in values:
                params = {"penalty": penalty, key: value}
                if key == "max_gap":
                    params.update(penalty_strength=0.0,
                                  multiplier_lr=settings["multiplier_lr"])
                out.append(Candidate(family, _label(key, value, overrides),
                                     _fine_tune(state, tune, params, seed)))
    return out


def blocks(entry) -> list[tuple[dict, list]]:
    """A grid: values with the data set's fine-tuning settings, or blocks that override them."""
    if entry and isinstance(entry[0], dict):
        return [(block["tune"], block["values"]) for block in entry]
    return [({}, entry)]


def _label(key: str, value: float, overrides: dict) -> str:
    short = {"penalty_strength": "strength", "max_epochs": "epochs", "batch_size": "batch"}
    parts = [f"{short.get(key, key)}={value:g}"]
    parts += [f"{short.get(k, k)}={v:g}" for k, v in overrides.items()]
    return ", ".join(parts)


def _fairtune_grid(settings):
    yield "skfairtune DP penalty", DP, "penalty_strength", settings["dp"]
    yield "skfairtune EO penalty", EO, "penalty_strength", settings["eo"]
    yield "skfairtune EOpp penalty", "equal_opportunity", "penalty_strength", settings["eopp"]
    yield "skfairtune DP max_gap", DP, "max_gap", settings["dp_max_gap"]
    yield "skfairtune EO max_gap", EO, "max_gap", settings["eo_max_gap"]


def _fine_tune(state, tune, params, seed):
    def fit(split):
        model = FairTuneClassifier(pretrained=state["base"], random_state=seed,
                                   n_iter_no_change=None, batch_sampling="stratified",
                                   **tune, **params)
        return _plain(model.fit(split.X_train, split.y_train,
                                sensitive_features=split.a_train))
    return fit


def _plain(model):
    return lambda X, a: model.predict(X)


# -- the peers ------------------------------------------------------------

def peer_candidates(settings: dict, seed: int) -> list[Candidate]:
    """Unconstrained models, fairlearn's three mitigations, and fairret."""
    lr = lambda: LogisticRegression(max_iter=1000)  # noqa: E731
    out = [
        Candidate("LogisticRegression", "C=1", _fit_plain(lr)),
        Candidate("MLPClassifier", "(64,), early stopping", _fit_plain(
            lambda: MLPClassifier((64,), early_stopping=True, random_state=seed))),
    ]
    out += _expgrad("ExpGrad LR", lr, settings["expgrad"], seed)
    if settings.get("expgrad_mlp"):
        mlp = lambda: MLPClassifier((32,), max_iter=100, random_state=seed)  # noqa: E731
        out += _expgrad("ExpGrad MLP", mlp, settings["expgrad_mlp"], seed)
    out += _threshold(settings["threshold_tol"], seed)
    out += _adversarial(settings["adversarial_alpha"], seed)
    out += _fairret(settings["fairret"], seed)
    return out


def _fit_plain(make):
    def fit(split):
        return _plain(make().fit(split.X_train, split.y_train))
    return fit


def _expgrad(name, make, bounds, seed):
    out = []
    for notion, moment in FAIRLEARN_MOMENTS.items():
        for bound in bounds[notion]:
            out.append(Candidate(f"{name} ({abbreviation(notion)})", f"bound={bound:g}",
                                 _fit_expgrad(make, moment, bound, seed)))
    return out


def _fit_expgrad(make, moment, bound, seed):
    def fit(split):
        model = ExponentiatedGradient(make(), moment(difference_bound=bound))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLP convergence, one per iteration
            model.fit(split.X_train, split.y_train, sensitive_features=split.a_train)
        # A randomized classifier: a fixed seed makes its predictions repeatable.
        return lambda X, a: model.predict(X, random_state=seed)
    return fit


def _threshold(tols, seed):
    out = []
    # fairlearn relaxes demographic parity only: equalized odds is exact.
    for notion, grid in ((DP, tols), (EO, [None])):
        for tol in grid:
            out.append(Candidate(f"ThresholdOptimizer ({abbreviation(notion)})",
                                 "exact" if tol is None else f"tol={tol:g}",
                                 _fit_threshold(notion, tol, seed), group_at_predict=True))
    return out


def _fit_threshold(constraint, tol, seed):
    def fit(split):
        base = LogisticRegression(max_iter=1000).fit(split.X_train, split.y_train)
        model = ThresholdOptimizer(estimator=base, constraints=constraint, prefit=True,
                                   predict_method="predict_proba", tol=tol)
        model.fit(split.X_train, split.y_train, sensitive_features=split.a_train)
        return lambda X, a: model.predict(X, sensitive_features=a, random_state=seed)
    return fit


def _adversarial(alphas, seed):
    out = []
    for notion in (DP, EO):
        for alpha in alphas:
            out.append(Candidate(f"Adversarial ({abbreviation(notion)})", f"alpha={alpha:g}",
                                 _fit_adversarial(notion, alpha, seed)))
    return out


def _fit_adversarial(constraint, alpha, seed):
    def fit(split):
        model = AdversarialFairnessClassifier(
            backend="torch", predictor_model=[64, "leaky_relu"],
            adversary_model=[3, "leaky_relu"], batch_size=256, epochs=10, shuffle=True,
            constraints=constraint, alpha=alpha, random_state=seed)
        model.fit(split.X_train, split.y_train, sensitive_features=split.a_train)
        return _plain(model)
    return fit


def _fairret(strengths, seed):
    out = []
    for notion in (DP, EO):
        for strength in strengths[notion]:
            out.append(Candidate(f"fairret NormLoss MLP ({abbreviation(notion)})",
                                 f"strength={strength:g}", _fit_fairret(notion, strength, seed)))
    return out


def _fit_fairret(notion, strength, seed):
    def fit(split):
        model = FairretMLP(notion, strength, seed=seed)
        return _plain(model.fit(split.X_train, split.y_train, split.a_train))
    return fit


class FairretMLP:
    """An MLP trained on cross-entropy plus fairret's ``NormLoss``, as fairret's docs do.

    ``notion``, by skfairtune.notions' names: ``"demographic_parity"`` penalises
    the gap in positive rate, ``"equalized_odds"`` the gaps in true and false
    positive rates together.
    """

    def __init__(self, notion: str, strength: float, *, hidden: int = 64, epochs: int = 20,
                 lr: float = 1e-3, batch_size: int = 256, seed: int = 0):
        self.notion, self.strength, self.hidden = notion, strength, hidden
        self.epochs, self.lr, self.batch_size, self.seed = epochs, lr, batch_size, seed

    def _loss(self):
        from fairret.loss import NormLoss
        from fairret.statistic import (
            FalsePositiveRate,
            PositiveRate,
            StackedLinearFractionalStatistic,
            TruePositiveRate,
        )

        if self.notion == DP:
            return NormLoss(PositiveRate())
        return NormLoss(StackedLinearFractionalStatistic(TruePositiveRate(), FalsePositiveRate()))

    def fit(self, X, y, groups):
        torch.manual_seed(self.seed)
        X = torch.tensor(X, dtype=torch.float32)
        y = torch.tensor(np.asarray(y), dtype=torch.float32)[:, None]
        sens = torch.tensor(pd.get_dummies(groups).to_numpy(dtype=np.float32))
        self.net_ = torch.nn.Sequential(torch.nn.Linear(X.shape[1], self.hidden),
                                        torch.nn.ReLU(), torch.nn.Linear(self.hidden, 1))
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        fairness, bce = self._loss(), torch.nn.BCEWithLogitsLoss()
        for _ in range(self.epochs):
            for batch in torch.randperm(len(X)).split(self.batch_size):
                logit = self.net_(X[batch])
                extra = () if self.notion == DP else (y[batch],)
                loss = bce(logit, y[batch]) + self.strength * fairness(
                    logit, sens[batch], *extra)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return self

    def predict(self, X):
        with torch.no_grad():
            logit = self.net_(torch.tensor(X, dtype=torch.float32))
        return (logit[:, 0] > 0).numpy().astype(int)


# -- running --------------------------------------------------------------

def quick_settings(settings: dict) -> dict:
    """Every third value of each grid: a smoke run of every method."""
    def thin(value):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [{**block, "values": block["values"][::3]} for block in value]
        if isinstance(value, list):
            return value[::3]
        if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
            return {k: v[::3] for k, v in value.items()}
        return value
    return {key: thin(value) for key, value in settings.items()}


def evaluate(candidate: Candidate, split: Split) -> dict:
    """Fit one candidate on the split's training part; its test scores and fit time."""
    start = time.perf_counter()
    predict = candidate.fit(split)
    fit_s = time.perf_counter() - start
    pred = np.asarray(predict(split.X_test, split.a_test)).astype(split.y_test.dtype)
    y, a = split.y_test, split.a_test
    return {
        "family": candidate.family, "config": candidate.config,
        "group_at_predict": candidate.group_at_predict,
        "accuracy": float(np.mean(pred == y)),
        gap_column(DP): float(demographic_parity_difference(y, pred, sensitive_features=a)),
        gap_column(EO): float(equalized_odds_difference(y, pred, sensitive_features=a)),
        "fit_s": fit_s,
    }


def run(datasets: list[str], seeds: list[int], quick: bool) -> pd.DataFrame:
    rows = []
    for name in datasets:
        settings = quick_settings(SETTINGS[name]) if quick else SETTINGS[name]
        for seed in seeds:
            split = load_split(name, seed, QUICK_MAX_TRAIN if quick else None)
            candidates = fairtune_candidates(settings, seed) + peer_candidates(settings, seed)
            started = time.perf_counter()
            for candidate in candidates:
                rows.append({"dataset": name, "seed": seed, **evaluate(candidate, split)})
            print(f"{name} seed {seed}: {len(candidates)} runs in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    return pd.DataFrame(rows)


# -- summarising ----------------------------------------------------------

def config_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: accuracy (mean, std) and gaps (mean) over the seeds."""
    keys = ["dataset", "family", "config", "group_at_predict"]
    means = runs.groupby(keys, sort=False).agg(
        accuracy=("accuracy", "mean"), accuracy_std=("accuracy", "std"),
        dp_gap=("dp_gap", "mean"), eo_gap=("eo_gap", "mean"), fit_s=("fit_s", "mean"),
        seeds=("seed", "nunique"))
    return means.reset_index().fillna({"accuracy_std": 0.0})


def with_pooled(means: pd.DataFrame) -> pd.DataFrame:
    """Add "skfairtune (any)": every skfairtune configuration as one family."""
    ours = means[means["family"].str.startswith("skfairtune")].copy()
    ours["config"] = ours["family"] + ": " + ours["config"]
    ours["family"] = "skfairtune (any)"
    return pd.concat([means, ours], ignore_index=True)


def best_within(means: pd.DataFrame, gap: str, budget: float) -> pd.DataFrame:
    """Per data set and family, the most accurate configuration whose mean gap is within budget."""
    within = means[means[gap_column(gap)] <= budget + 1e-12]
    best = within.loc[within.groupby(["dataset", "family"], sort=False)["accuracy"].idxmax()]
    return best.set_index(["dataset", "family"])


def is_peer(family: str) -> bool:
    return not family.startswith(("skfairtune", "ThresholdOptimizer"))


def cell(row) -> str:
    return "—" if row is None else f"{row['accuracy']:.3f} ± {row['accuracy_std']:.3f}"


def _row(best: pd.DataFrame, dataset: str, family: str):
    key = (dataset, family)
    return best.loc[key] if key in best.index else None


def _best_peer(best: pd.DataFrame, dataset: str):
    peers = [f for d, f in best.index if d == dataset and is_peer(f)]
    if not peers:
        return None, None
    family = max(peers, key=lambda f: best.loc[(dataset, f), "accuracy"])
    return family, best.loc[(dataset, family)]


# -- the report -----------------------------------------------------------

NOTE_KINDS = {
    "peer": "skfairtune below the best measured peer",
    "reference": "skfairtune below the reference's best peer",
    "threshold": "ThresholdOptimizer (group at predict time) above skfairtune",
}


def headline(means: pd.DataFrame) -> tuple[list[str], dict[str, list[str]]]:
    """The table of skfairtune against the peers, budget by budget, and where it falls short."""
    lines = ["| data set | budget | skfairtune (any) | best peer, no group at predict "
             "| reference best peer | ThresholdOptimizer (group at predict) | verdict |",
             "|---|---|---:|---|---|---:|---|"]
    notes: dict[str, list[str]] = {kind: [] for kind in NOTE_KINDS}
    for dataset in means["dataset"].unique():
        for gap, budgets in BUDGETS.items():
            for budget in budgets:
                line, found = _headline_line(means, dataset, gap, budget)
                lines.append(line)
                for kind, text in found:
                    notes[kind].append(text)
    return lines, notes


def _headline_line(means, dataset, gap, budget):
    best = best_within(means, gap, budget)
    ours = _row(best, dataset, "skfairtune (any)")
    peer_family, peer = _best_peer(best, dataset)
    threshold = max((best.loc[(dataset, f)] for f in (
        "ThresholdOptimizer (DP)", "ThresholdOptimizer (EO)") if (dataset, f) in best.index),
        key=lambda r: r["accuracy"], default=None)
    where = f"{dataset} {abbreviation(gap)} ≤ {budget:g}"
    verdict, notes = _verdict(ours, peer, peer_family, where)
    reference = REFERENCE.get((dataset, gap, budget))
    notes += _shortfall(ours, reference, "reference", where)
    notes += _shortfall(ours, None if threshold is None else (
        threshold["accuracy"], "ThresholdOptimizer"), "threshold", where)
    ours_text = "—" if ours is None else f"{cell(ours)} ({ours['config']})"
    peer_text = "—" if peer is None else f"{cell(peer)} ({peer_family}, {peer['config']})"
    reference_text = "" if reference is None else f"{reference[0]:.3f} ({reference[1]})"
    return (f"| {dataset} | {abbreviation(gap)} ≤ {budget:g} | {ours_text} | {peer_text} | "
            f"{reference_text} | {cell(threshold)} | {verdict} |"), notes


def _verdict(ours, peer, peer_family, where):
    if peer is None:
        return ("meets (no peer within budget)" if ours is not None else "none within"), []
    if ours is None:
        return "**misses** (none within)", [("peer", f"{where}: no skfairtune configuration "
                                             f"within budget; {peer_family} reaches "
                                             f"{peer['accuracy']:.3f}")]
    diff = ours["accuracy"] - peer["accuracy"]
    if diff >= 0:
        return f"meets (+{diff:.3f})", []
    return f"**misses** ({diff:+.3f})", [("peer", f"{where}: skfairtune {ours['accuracy']:.3f} "
                                          f"< {peer_family} {peer['accuracy']:.3f}")]


def _shortfall(ours, other, kind, where):
    """A note when ``other`` (accuracy, name) is more accurate than skfairtune's best."""
    if other is None or (ours is not None and ours["accuracy"] >= other[0]):
        return []
    mine = "none within budget" if ours is None else f"{ours['accuracy']:.3f}"
    return [(kind, f"{where}: skfairtune {mine} < {other[1]} {other[0]:.3f}")]


def family_table(means: pd.DataFrame, dataset: str) -> list[str]:
    """Every family's best accuracy at every budget, on one data set."""
    budgets = [(g, b) for g, bs in BUDGETS.items() for b in bs]
    header = " | ".join(f"{abbreviation(g)} ≤ {b:g}" for g, b in budgets)
    lines = [f"| family | {header} |", "|---|" + "---:|" * len(budgets)]
    bests = {(g, b): best_within(means, g, b) for g, b in budgets}
    for family in means.loc[means["dataset"] == dataset, "family"].unique():
        cells = [cell(_row(bests[key], dataset, family)) for key in budgets]
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return lines


def time_table(runs: pd.DataFrame) -> list[str]:
    """Fit seconds per seed of each family (all its configurations), per data set."""
    per_seed = runs.groupby(["dataset", "family", "seed"], sort=False)["fit_s"].sum()
    per_family = per_seed.groupby(["dataset", "family"], sort=False).mean().unstack(0)
    configs = runs[runs["seed"] == runs["seed"].min()].groupby(
        ["family", "dataset"], sort=False).size().unstack(1)
    datasets = list(per_family.columns)
    lines = ["| family | " + " | ".join(f"{d} (configs, s)" for d in datasets) + " |",
             "|---|" + "---:|" * len(datasets)]
    for family in per_family.index:
        cells = [f"{configs.loc[family, d]:.0f}, {per_family.loc[family, d]:.1f}"
                 if pd.notna(per_family.loc[family, d]) else "—" for d in datasets]
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return lines


def report(runs: pd.DataFrame, command: str, wall_s: float) -> str:
    means = with_pooled(config_means(runs))
    top, notes = headline(means)
    seeds = sorted(runs["seed"].unique())
    parts = [
        "# Accuracy against fairness: skfairtune and its peers", "",
        f"`{command}`", "",
        f"Wall time {wall_s / 60:.1f} min on {platform.machine()} with one torch and BLAS "
        f"thread; seeds {', '.join(map(str, seeds))}; torch {torch.__version__}.", "",
        "Protocol: stratified 70/30 split per seed (label x group), the sensitive attribute "
        "not a feature, test-set accuracy and gaps (fairlearn's definitions). A cell is the "
        "configuration of a family with the best mean accuracy among those whose mean test "
        "gap is within the budget: its accuracy, mean ± std over the seeds. "
        "skfairtune (any) pools every skfairtune configuration; peers exclude "
        "ThresholdOptimizer, which reads the group at predict time.", "",
        "## skfairtune against the best peer", "", *top, "",
    ]
    for kind, title in NOTE_KINDS.items():
        parts += [f"Budgets with {title}:", ""]
        parts += [f"- {note}" for note in notes[kind]] or ["- none"]
        parts += [""]
    parts += ["See benchmarks/README.md for what limits skfairtune where it falls short.", ""]
    for dataset in runs["dataset"].unique():
        parts += [f"## {dataset}: best accuracy by family", "", *family_table(means, dataset), ""]
    parts += ["## Fit time per seed (all configurations of a family)", "",
              "skfairtune's fine-tuning rows exclude the base model, which is the "
              "`skfairtune base` row.", "", *time_table(runs), ""]
    return "\n".join(parts)


def plot(runs: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = config_means(runs)
    datasets = list(runs["dataset"].unique())
    fig, axes = plt.subplots(len(datasets), 2, figsize=(12, 4.2 * len(datasets)),
                             squeeze=False)
    for row, dataset in enumerate(datasets):
        for col, gap in enumerate(BUDGETS):
            _plot_panel(axes[row, col], means[means["dataset"] == dataset], gap)
            axes[row, col].set_title(f"{dataset}: accuracy vs {abbreviation(gap)} gap (test)")
    axes[0, 0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


GROUPS = [("skfairtune", "C0", "o"), ("ExpGrad", "C1", "s"), ("fairret", "C2", "^"),
          ("Adversarial", "C4", "v"), ("LogisticRegression", "C7", "D"),
          ("MLPClassifier", "C8", "D"), ("ThresholdOptimizer", "C3", "x")]


def _plot_panel(ax, means, gap):
    for prefix, color, marker in GROUPS:
        part = means[means["family"].str.startswith(prefix)]
        ax.scatter(part[gap_column(gap)], part["accuracy"], s=16, color=color, marker=marker,
                   alpha=0.6, label=prefix)
    for label, mask, color in (("skfairtune front", means["family"].str.startswith(
            "skfairtune"), "C0"), ("peers' front", means["family"].map(is_peer), "C1")):
        front = _front(means[mask], gap)
        ax.step(front[gap_column(gap)], front["accuracy"], where="post", color=color, label=label)
    for budget in BUDGETS[gap]:
        ax.axvline(budget, color="0.8", linestyle=":", zorder=0)
    ax.set_xlim(0, max(0.2, BUDGETS[gap][-1] * 2))
    ax.set_xlabel(f"{abbreviation(gap)} gap (mean over seeds)")
    ax.set_ylabel("accuracy (mean over seeds)")


def _front(means: pd.DataFrame, gap: str) -> pd.DataFrame:
    """The configurations that no other beats on both accuracy and the gap."""
    ordered = means.sort_values([gap_column(gap), "accuracy"], ascending=[True, False])
    keep = ordered["accuracy"] > ordered["accuracy"].cummax().shift(fill_value=-np.inf)
    return ordered[keep]


def warm_up() -> None:
    """One tiny fit first: torch's one-off start-up cost is no method's fit time."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 4)), np.arange(64) % 2
    FairTuneClassifier(max_epochs=1).fit(X, y, sensitive_features=np.arange(64) % 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="one seed, thin grids, 4,000 rows")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else args.seeds
    torch.set_num_threads(1)
    warm_up()
    start = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        runs = run(args.datasets, seeds, args.quick)
    wall_s = time.perf_counter() - start
    stem = "tradeoff_quick" if args.quick else "tradeoff"
    args.out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(args.out / f"{stem}.csv", index=False, float_format="%.6g")
    command = " ".join([".venv/bin/python", "benchmarks/tradeoff.py", *sys.argv[1:]])
    text = report(runs, command, wall_s)
    (args.out / f"{stem}.md").write_text(text)
    plot(runs, args.out / f"{stem}.png")
    print(text)


if __name__ == "__main__":
    main()
