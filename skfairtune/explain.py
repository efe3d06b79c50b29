"""Explain a model's gap between groups: which features make it.

:func:`explain_gap` splits the gap in a classifier's mean score between two
groups (the mean probability of the positive class; for equal opportunity
among the rows labelled positive) over the input features. Each row's score
is attributed to its features against one common baseline row ``b``, with an
attribution that is *complete*: a row's attributions add up to
``f(x) - f(b)``. Averaged over each group and subtracted, the baseline
cancels, so the features' contributions add up to the gap itself.

Two attribution methods:

- ``"shapley_sampling"`` (any classifier with ``predict_proba``, a Pipeline
  included): Shapley value sampling. Complete exactly (to float64 rounding),
  for any number of sampled permutations, because each permutation's credits
  telescope. It is computed here rather than with captum's
  ``ShapleyValueSampling``, which sums the credits in float32 (leaving the
  sum some 1e-7 off the gap) and calls the model once per feature; shap
  would bring numba and llvmlite (a compiler) for one sampling loop.
- ``"integrated_gradients"`` (a fitted :class:`~skfairtune.FairTuneClassifier`
  itself): captum's ``IntegratedGradients`` through the network, one batched
  backward pass per step instead of one model call per feature. Complete up
  to the error of the path integral (the networks are piecewise linear, so
  it shrinks slowly with ``n_steps``), which the result reports as
  ``residual``.

:func:`compare_gaps` sets two explanations of the same groups side by side
(a base model and its fine-tuned version): per feature, what fine-tuning
changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skfairtune._attribution import (
    FeatureCoder,
    integrated_gradients,
    network_score,
    shapley_sampling,
)
from skfairtune._group_stats import group_means
from skfairtune._groups import encode_groups
from skfairtune._labels import plain, positive_label
from skfairtune._proxies import proxy_table
from skfairtune._validation import check_n_rows
from skfairtune.notions import get_notion

__all__ = ["GapExplanation", "compare_gaps", "explain_gap"]

METHODS = ("auto", "shapley_sampling", "integrated_gradients")


@dataclass
class GapExplanation:
    """What :func:`explain_gap` found.

    Attributes
    ----------
    contributions : pandas.DataFrame
        One row per feature, largest absolute contribution first:
        ``contribution`` (its part of the gap, on the score's scale),
        ``share`` (``contribution / gap``), ``proxy_auc`` (how well the
        feature alone predicts the group, as the data-set audit measures it)
        and ``proxy`` (``proxy_auc >= proxy_threshold``).
    gap : float
        The mean score of ``groups[0]`` minus that of ``groups[1]`` on the
        explained rows; the contributions add up to it (up to ``residual``).
    groups : tuple
        The two groups compared: by default the groups with the highest and
        the lowest mean score.
    means : tuple of float
        Their mean scores.
    rate : str
        The rate whose gap is explained (``"selection_rate"``: the mean score
        over all rows; ``"tpr"``: over the rows labelled positive).
    notion : str
        The fairness notion.
    method : str
        ``"shapley_sampling"`` or ``"integrated_gradients"``.
    residual : float
        ``gap - contributions["contribution"].sum()``: about 1e-15 for
        Shapley sampling, the integration error for integrated gradients.
    n_rows : tuple of int
        The rows of each group that were explained.
    baseline : pandas.Series
        The common reference row, as the method saw it (categories as codes).
    """

    contributions: pd.DataFrame
    gap: float
    groups: tuple
    means: tuple
    rate: str
    notion: str
    method: str
    residual: float
    n_rows: tuple
    baseline: pd.Series = field(repr=False)


def explain_gap(
    model: Any,
    X: Any,
    *,
    sensitive_features: Any,
    notion: str = "demographic_parity",
    y: Any = None,
    pos_label: Any = None,
    groups: tuple | None = None,
    method: str = "auto",
    baseline: Any = "median",
    max_rows: int | None = 2000,
    n_samples: int = 25,
    n_steps: int = 64,
    proxy_threshold: float = 0.7,
    random_state: int | None = 0,
) -> GapExplanation:
    """Attribute the gap in a classifier's mean score between groups to its features.

    The score is the predicted probability of the positive class. The gap is
    the notion's rate on that score: its mean over all rows for demographic
    parity, over the rows labelled positive for equal opportunity (and for
    equalized odds whichever of the positives or the negatives has the larger
    gap). Each feature's contribution is the difference between the groups'
    mean attributions; the contributions add up to the gap.

    Attributions are over the columns of ``X`` as passed in. For a Pipeline
    that is the raw columns (its preprocessing is part of the model);
    categorical and string columns are perturbed as whole values, never as
    one-hot parts.

    Parameters
    ----------
    model : fitted classifier with ``predict_proba``
        Any scikit-learn classifier or Pipeline; a fitted
        :class:`~skfairtune.FairTuneClassifier` also allows integrated
        gradients.
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        The rows whose gap is explained, as the model takes them. No missing
        values.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        The groups; several columns make intersectional groups.
    notion : str, default="demographic_parity"
        A name from :data:`skfairtune.notions.NOTIONS` whose rates are means of
        the prediction over fixed rows (not predictive parity, whose rows
        depend on the predictions).
    y : array-like of shape (n_samples,), default=None
        Labels; required by notions that read them (equal opportunity).
    pos_label : object, default=None
        The positive class; None takes the last of ``model.classes_`` for two
        classes, and is an error for more (name the class to explain).
    groups : tuple of two group values, default=None
        The groups to compare, ``(a, b)`` for ``mean(a) - mean(b)``. None
        compares the highest and the lowest mean score. Give the same pair to
        explain two models alike (see :func:`compare_gaps`).
    method : {"auto", "shapley_sampling", "integrated_gradients"}, default="auto"
        ``"auto"`` uses integrated gradients for a FairTuneClassifier and
        Shapley sampling for any other model.
    baseline : {"median", "mean"} or array-like of shape (n_features,), default="median"
        The common reference row: per column its median (or mean), the most
        frequent value of a non-numeric column; or a row of your own.
    max_rows : int or None, default=2000
        At most this many rows are explained, half from each group, drawn at
        random; None explains every row. ``gap`` is the gap on these rows.
    n_samples : int, default=25
        Permutations per row for Shapley sampling.
    n_steps : int, default=64
        Steps of the path integral for integrated gradients.
    proxy_threshold : float, default=0.7
        A feature whose proxy AUC reaches it is marked as a proxy.
    random_state : int or None, default=0
        Seeds the choice of rows, the permutations and the proxy folds.

    Returns
    -------
    GapExplanation

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfairtune.explain import explain_gap
    >>> rng = np.random.default_rng(0)
    >>> group = rng.integers(0, 2, 400)
    >>> X = np.column_stack([group + rng.normal(0, 0.5, 400),  # carries the group
    ...                      rng.normal(size=400)])            # independent of it
    >>> y = (X[:, 0] + X[:, 1] + rng.normal(size=400) > 0.5).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> result = explain_gap(model, X, sensitive_features=group)
    >>> result.groups
    (1, 0)
    >>> result.contributions.index[0], bool(result.contributions.loc["x0", "proxy"])
    ('x0', True)
    >>> bool(abs(result.contributions["contribution"].sum() - result.gap) < 1e-12)
    True
    """
    _check_params(notion, method, baseline, max_rows, n_samples, n_steps, proxy_threshold)
    classes = _check_model(model)
    coder = FeatureCoder(X)
    n = coder.matrix.shape[0]
    encoding = encode_groups(sensitive_features, n_samples=n)
    if len(classes) > 2 and pos_label is None:
        raise ValueError(
            f"model has {len(classes)} classes ({', '.join(map(str, classes))}): the "
            "gap in mean score is one class's; name it with pos_label= (each class "
            "can have a gap of its own, of either sign).")
    pos = positive_label(classes, pos_label, name="model.classes_")
    pos_index = list(classes).index(pos)
    scores = np.asarray(model.predict_proba(coder.decode(coder.matrix)))[:, pos_index]
    rate, rows, pair, _ = _choose_gap(get_notion(notion), scores, y, pos, encoding,
                                          groups)
    rng = check_random_state(random_state)
    picked = [_sample(r, max_rows, rng) for r in rows]
    method = _resolve_method(method, model, coder, pos_index)
    base = _baseline_row(coder, baseline)
    result = _attribute(model, coder, np.concatenate(picked), pos_index, method, base,
                        n_samples, n_steps, random_state)
    explained = _explanation(result, picked, coder, pair, rate, notion, method, base)
    return _with_proxies(explained, coder, encoding, proxy_threshold, random_state)


def compare_gaps(base: GapExplanation, tuned: GapExplanation) -> pd.DataFrame:
    """Set two explanations of the same gap side by side, feature by feature.

    Parameters
    ----------
    base, tuned : GapExplanation
        Explanations of two models (a base model and its fine-tuned version)
        on the same groups and notion: pass ``groups=base.groups`` when
        explaining the second model.

    Returns
    -------
    pandas.DataFrame
        One row per feature, largest change first: ``base`` and ``tuned``
        contributions, ``change`` (tuned minus base) and ``proxy``; a last
        row ``"gap"`` holds the two gaps and their change.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfairtune.explain import compare_gaps, explain_gap
    >>> rng = np.random.default_rng(0)
    >>> group = rng.integers(0, 2, 400)
    >>> X = np.column_stack([group + rng.normal(0, 0.5, 400), rng.normal(size=400)])
    >>> y = (X[:, 0] + X[:, 1] + rng.normal(size=400) > 0.5).astype(int)
    >>> base = explain_gap(LogisticRegression().fit(X, y), X, sensitive_features=group)
    >>> weaker = LogisticRegression(C=0.001).fit(X, y)  # shrinks every weight
    >>> tuned = explain_gap(weaker, X, sensitive_features=group, groups=base.groups)
    >>> table = compare_gaps(base, tuned)
    >>> bool(table.loc["gap", "change"] < 0)
    True
    """
    for name in ("groups", "notion", "rate"):
        if getattr(base, name) != getattr(tuned, name):
            raise ValueError(
                f"The two explanations differ in {name} ({getattr(base, name)!r} and "
                f"{getattr(tuned, name)!r}); explain the second model with "
                f"groups={base.groups!r} and the same notion.")
    table = pd.DataFrame({"base": base.contributions["contribution"],
                          "tuned": tuned.contributions["contribution"]})
    table["change"] = table["tuned"] - table["base"]
    table["proxy"] = base.contributions["proxy"]
    table = table.reindex(table["change"].abs().sort_values(ascending=False).index)
    gap = pd.DataFrame({"base": [base.gap], "tuned": [tuned.gap],
                        "change": [tuned.gap - base.gap], "proxy": [False]}, index=["gap"])
    return pd.concat([table, gap])


def _check_params(notion, method, baseline, max_rows, n_samples, n_steps, threshold):
    _explained_rates(get_notion(notion))
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}.")
    if isinstance(baseline, str) and baseline not in ("median", "mean"):
        raise ValueError(f"baseline must be 'median', 'mean' or a row; got {baseline!r}.")
    if max_rows is not None and not (isinstance(max_rows, Integral) and max_rows >= 2):
        raise ValueError(f"max_rows must be an int >= 2 or None; got {max_rows!r}.")
    for name, value in (("n_samples", n_samples), ("n_steps", n_steps)):
        if not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}.")
    if not isinstance(threshold, Real) or not 0.5 <= threshold <= 1:
        raise ValueError(f"proxy_threshold must be in [0.5, 1]; got {threshold!r}.")


def _check_model(model: Any) -> np.ndarray:
    """The fitted classifier's classes, or an error that names ``model``."""
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"model must be a classifier with predict_proba; "
                        f"{type(model).__name__} has none.")
    check_is_fitted(model)
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise TypeError(f"model ({type(model).__name__}) has no classes_; "
                        "explain_gap needs a fitted classifier.")
    return np.asarray(classes)


def _explained_rates(notion) -> list:
    """The notion's rates that are a mean score over fixed rows, or an error."""
    rates = [r for r in notion.rates if r.of == "prediction"
             and r.among != "predicted positives"]
    if not rates:
        raise ValueError(
            f"explain_gap explains a gap in mean score over fixed rows; {notion.title} "
            f"compares {', '.join(r.name for r in notion.rates)}, whose rows depend on "
            "the predictions. Use demographic_parity or equal_opportunity.")
    return rates


def _choose_gap(notion, scores, y, pos, encoding, groups):
    """The rate, the rows of each of the two groups, the pair and their means."""
    rates = _explained_rates(notion)
    if notion.needs_labels and y is None:
        raise ValueError(f"notion={notion.name!r} compares rates among labelled rows; "
                         "pass y= (the labels of the rows of X).")
    y01 = np.zeros(len(scores))
    if y is not None:
        labels = np.asarray(y).reshape(-1)
        check_n_rows(len(labels), len(scores), name="y")
        y01 = (labels == pos).astype(np.float64)
    options = [_pair(rate, scores, y01, encoding, groups) for rate in rates]
    return max(options, key=lambda o: abs(o[3][0] - o[3][1]))


def _pair(rate, scores, y01, encoding, groups):
    """The two groups of one rate: the given ones, or its highest and lowest."""
    stat, weight = rate.terms(scores, y01, np.ones(len(scores)))
    means, present = group_means(stat, encoding.codes, weight, encoding.n_groups)
    if groups is None:
        if int(present.sum()) < 2:
            raise ValueError(
                f"sensitive_features gives fewer than two groups with rows for the "
                f"{rate.name}; there is no gap to explain.")
        kept = np.flatnonzero(present)
        pair = (kept[np.argmax(means[kept])], kept[np.argmin(means[kept])])
    else:
        pair = tuple(_group_code(g, encoding, present, rate) for g in _two(groups))
    rows = [np.flatnonzero((encoding.codes == g) & (weight > 0)) for g in pair]
    labels = tuple(plain(encoding.labels[g]) for g in pair)
    return rate.key, rows, labels, tuple(float(means[g]) for g in pair)


def _two(groups) -> tuple:
    if not isinstance(groups, (tuple, list)) or len(groups) != 2 or groups[0] == groups[1]:
        raise ValueError(f"groups must be a pair of two different groups; got {groups!r}.")
    return tuple(groups)


def _group_code(value, encoding, present, rate) -> int:
    for code, label in enumerate(encoding.labels):
        if plain(label) == plain(value):
            if not present[code]:
                raise ValueError(f"Group {value!r} has no rows for the {rate.name}.")
            return code
    raise ValueError(f"groups names {value!r}, which is not a group of sensitive_features; "
                     f"the groups are {[plain(g) for g in encoding.labels]}.")


def _sample(rows: np.ndarray, max_rows: int | None, rng) -> np.ndarray:
    if max_rows is None or len(rows) <= max_rows // 2:
        return rows
    return np.sort(rng.choice(rows, max_rows // 2, replace=False))


def _resolve_method(method: str, model: Any, coder: FeatureCoder, pos_index: int) -> str:
    """The method to use: integrated gradients only where the network's score,
    read directly, is the model's ``predict_proba``."""
    network = (_is_network(model) and not coder.categories
               and _network_matches(model, coder, pos_index))
    if method == "integrated_gradients" and not network:
        raise ValueError("method='integrated_gradients' needs model to be a fitted "
                         "FairTuneClassifier whose network takes X as it is (numeric "
                         "columns); use method='shapley_sampling'.")
    if method == "auto":
        return "integrated_gradients" if network else "shapley_sampling"
    return method


def _is_network(model: Any) -> bool:
    if not type(model).__module__.startswith("skfairtune"):
        return False  # no need to load torch to know
    from skfairtune.estimators import FairTuneClassifier

    return isinstance(model, FairTuneClassifier)


def _network_matches(model: Any, coder: FeatureCoder, pos_index: int) -> bool:
    import torch

    head = coder.matrix[:16]
    try:
        with torch.no_grad():
            direct = network_score(model, pos_index)(torch.from_numpy(head)).numpy()
    except (RuntimeError, TypeError, ValueError):  # a module that wants other inputs
        return False
    expected = np.asarray(model.predict_proba(coder.decode(head)))[:, pos_index]
    return bool(np.allclose(direct, expected, rtol=0, atol=1e-9))


def _baseline_row(coder: FeatureCoder, baseline: Any) -> np.ndarray:
    """The reference row as the attribution sees it (categories as codes)."""
    if isinstance(baseline, str):
        return coder.baseline(baseline)
    values = list(baseline.values()) if isinstance(baseline, dict) else \
        list(np.asarray(baseline, dtype=object).reshape(-1))
    if len(values) != coder.matrix.shape[1]:
        raise ValueError(f"baseline must have one value per feature "
                         f"({coder.matrix.shape[1]}); got {len(values)}.")
    row = []
    for j, value in enumerate(values):
        if j in coder.categories:
            found = np.flatnonzero(np.asarray(coder.categories[j]) == value)
            if not found.size:
                raise ValueError(f"baseline's value {value!r} for feature {j} never "
                                 "occurs in X.")
            value = found[0]
        row.append(float(value))
    return np.array(row)


def _attribute(model, coder, rows, pos_index, method, baseline, n_samples, n_steps, seed):
    """Attributions and scores of ``rows``."""
    inputs = coder.matrix[rows]
    if method == "integrated_gradients":
        return integrated_gradients(network_score(model, pos_index), inputs, baseline,
                                    n_steps=n_steps)

    def score(matrix: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict_proba(coder.decode(matrix)))[:, pos_index]

    seed = 0 if seed is None else int(check_random_state(seed).randint(2**31 - 1))
    attributions = shapley_sampling(score, inputs, baseline, n_samples=n_samples, seed=seed)
    return attributions, score(inputs)


def _explanation(result, picked, coder, pair, rate, notion, method, base) -> GapExplanation:
    attributions, scores = result
    split = len(picked[0])
    first, second = slice(0, split), slice(split, None)
    contribution = attributions[first].mean(0) - attributions[second].mean(0)
    means = (float(scores[first].mean()), float(scores[second].mean()))
    gap = means[0] - means[1]
    names = _names(coder)
    table = pd.DataFrame({"contribution": contribution,
                          "share": contribution / gap if gap else np.nan}, index=names)
    table.index.name = "feature"
    order = table["contribution"].abs().sort_values(ascending=False, kind="stable").index
    return GapExplanation(
        contributions=table.loc[order], gap=gap, groups=pair, means=means, rate=rate,
        notion=notion, method=method, residual=float(gap - contribution.sum()),
        n_rows=(split, len(scores) - split), baseline=pd.Series(base, index=names))


def _names(coder: FeatureCoder) -> list:
    if coder.columns is not None:
        return [str(c) for c in coder.columns]
    return [f"x{j}" for j in range(coder.matrix.shape[1])]


def _with_proxies(explained: GapExplanation, coder, encoding, threshold, seed):
    """Mark the features that give the group away, as the data-set audit does."""
    names = _names(coder)
    features = pd.DataFrame(coder.matrix, columns=names)
    for j in coder.categories:  # a coded column is categorical, not numeric
        features[names[j]] = features[names[j]].astype(np.int64).astype(str)
    auc = proxy_table(features, encoding.codes, random_state=seed)["auc"]
    table = explained.contributions
    table["proxy_auc"] = auc.reindex(table.index).to_numpy(dtype=float)
    table["proxy"] = table["proxy_auc"] >= threshold
    return explained
