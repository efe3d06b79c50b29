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

The features of the gap are the columns of ``X`` that the model reads. A
column that moved no explained row's score (a Pipeline that drops it) has no
part in the gap and is not listed (``no_effect``); a column of ``X`` that holds
the sensitive attribute itself is never a feature of the gap: what the model
takes from it is the gap's ``direct`` part, reported apart.

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
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skfairtune._attribution import (
    FeatureCoder,
    integrated_gradients,
    network_score,
    shapley_sampling,
)
from skfairtune._group_stats import group_means
from skfairtune._groups import as_frame, encode_for
from skfairtune._labels import plain, positive_label
from skfairtune._proxies import feature_frame, proxy_table
from skfairtune._validation import check_n_rows
from skfairtune.notions import get_notion

__all__ = ["GapComparison", "GapExplanation", "compare_gaps", "explain_gap"]

METHODS = ("auto", "shapley_sampling", "integrated_gradients")
# The largest change in a score (a probability) that is still rounding: a
# column whose moving changed no score by more has no effect on the model.
NO_EFFECT = 1e-12


@dataclass
class GapExplanation:
    """What :func:`explain_gap` found.

    Attributes
    ----------
    contributions : pandas.DataFrame
        One row per feature of the gap (a column of ``X`` that the model reads,
        other than the sensitive attribute), largest absolute contribution
        first: ``contribution`` (its part of the gap, on the score's scale),
        ``share`` (``contribution / gap``), ``proxy_auc`` (how well the
        feature alone predicts the group, as the data-set audit measures it)
        and ``proxy`` (``proxy_auc >= proxy_threshold``).
    gap : float
        The mean score of ``groups[0]`` minus that of ``groups[1]`` on the
        explained rows; the contributions and ``direct`` add up to it (up to
        ``residual``).
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
        ``gap - contributions["contribution"].sum() - direct``: about 1e-15
        for Shapley sampling, the integration error for integrated gradients.
    n_rows : tuple of int
        The rows of each group that were explained.
    baseline : pandas.Series
        The common reference row, as the method saw it (categories as codes).
    direct : float
        The part of the gap that runs through the column(s) of ``X`` holding
        the sensitive attribute itself; 0.0 when the model does not read them
        or ``X`` has none.
    sensitive_columns : tuple of str
        The columns of ``X`` that hold the sensitive attribute (its values, or
        a one-to-one recoding of them): never features of the gap.
    no_effect : tuple of str
        The columns of ``X`` (sensitive ones included) whose moving changed no
        explained row's score: the model does not read them (a Pipeline that
        drops them), or not on these rows. They have no part in the gap and
        are not listed.
    columns : tuple of str
        Every column of ``X``, in order: what :func:`compare_gaps` checks.
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
    direct: float = 0.0
    sensitive_columns: tuple = ()
    no_effect: tuple = ()
    columns: tuple = ()


@dataclass
class GapComparison:
    """What :func:`compare_gaps` found: two explanations of one gap, side by side.

    The features and the totals are two tables, so that no feature's name can
    collide with a row the comparison adds.

    Attributes
    ----------
    contributions : pandas.DataFrame
        One row per feature of either gap, largest change first: ``base`` and
        ``tuned`` contributions (0.0 where that model does not read the
        feature), ``change`` (tuned minus base) and ``proxy``.
    totals : pandas.DataFrame
        Rows ``"gap"`` (the two gaps) and ``"direct"`` (their parts through the
        sensitive column itself); columns ``base``, ``tuned`` and ``change``.
    groups : tuple
        The two groups compared, as in both explanations.
    notion : str
        The fairness notion.
    rate : str
        The rate whose gap is explained.
    """

    contributions: pd.DataFrame
    totals: pd.DataFrame
    groups: tuple
    notion: str
    rate: str


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
    proxies: Any = None,
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
    one-hot parts. A column the model does not read has no part and is not
    listed; a column that holds the sensitive attribute is never a feature:
    its part, if the model reads it, is the gap's ``direct`` part.

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
        Labels; required by notions that read them (equal opportunity,
        equalized odds), which then refuse a missing label, as the metrics do:
        a row without a label is neither a positive nor a negative.
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
    proxies : DatasetAudit or pandas.DataFrame or pandas.Series, default=None
        The proxy AUCs to mark the features with: an
        :func:`~skfairtune.audit.audit_dataset` result, its ``proxies``
        table, or AUCs by feature name. None measures them on ``X``, as the
        audit measures them (all rows of ``X``, not only the explained ones).
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
    auc = None if proxies is None else _given_proxies(proxies)
    classes = _check_model(model)
    coder = FeatureCoder(X)
    n = coder.matrix.shape[0]
    # The model's own coding of its groups, where it keeps one.
    encoding = encode_for(model, sensitive_features, n_samples=n)
    if len(classes) > 2 and pos_label is None:
        raise ValueError(
            f"model has {len(classes)} classes ({', '.join(map(str, classes))}): the "
            "gap in mean score is one class's; name it with pos_label= (each class "
            "can have a gap of its own, of either sign).")
    pos = positive_label(classes, pos_label, name="model.classes_")
    pos_index = list(classes).index(pos)
    scores = np.asarray(model.predict_proba(coder.decode(coder.matrix)))[:, pos_index]
    y01 = _positives(y, n, pos, get_notion(notion))
    rate, rows, pair, _ = _choose_gap(get_notion(notion), scores, y01, encoding, groups)
    rng = check_random_state(random_state)
    picked = [_sample(r, max_rows, rng) for r in rows]
    method = _resolve_method(method, model, coder, pos_index)
    base = _baseline_row(coder, baseline)
    result = _attribute(model, coder, np.concatenate(picked), pos_index, method, base,
                        n_samples, n_steps, random_state)
    sensitive = _sensitive_columns(coder, sensitive_features, encoding)
    explained = _explanation(result, picked, coder, sensitive, base,
                             {"groups": pair, "rate": rate, "notion": notion,
                              "method": method})
    if auc is None:
        auc = _measured_proxies(X, explained.contributions.index, encoding, random_state)
    return _with_proxies(explained, auc, proxy_threshold)


def compare_gaps(base: GapExplanation, tuned: GapExplanation) -> GapComparison:
    """Set two explanations of the same gap side by side, feature by feature.

    Parameters
    ----------
    base, tuned : GapExplanation
        Explanations of two models (a base model and its fine-tuned version)
        on the same columns, groups and notion: pass ``groups=base.groups``
        when explaining the second model.

    Returns
    -------
    GapComparison
        ``contributions``: one row per feature, largest change first, with the
        ``base`` and ``tuned`` contributions, their ``change`` and ``proxy``;
        ``totals``: the two gaps (row ``"gap"``) and their direct parts
        (row ``"direct"``), apart from the features.

    Raises
    ------
    TypeError
        If either is not a :class:`GapExplanation`.
    ValueError
        If the two explain different columns, groups, notions or rates.

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
    >>> comparison = compare_gaps(base, tuned)
    >>> bool(comparison.totals.loc["gap", "change"] < 0)
    True
    >>> comparison.contributions.index[0]
    'x0'
    """
    _check_comparable(base, tuned)
    features = list(dict.fromkeys([*base.contributions.index, *tuned.contributions.index]))
    # A feature listed by one model only is one the other does not read: its
    # part there is nil, not unknown.
    table = pd.DataFrame({
        "base": base.contributions["contribution"].reindex(features, fill_value=0.0),
        "tuned": tuned.contributions["contribution"].reindex(features, fill_value=0.0)})
    table["change"] = table["tuned"] - table["base"]
    proxy = pd.concat([tuned.contributions["proxy"], base.contributions["proxy"]])
    table["proxy"] = proxy[~proxy.index.duplicated(keep="last")].reindex(features)
    table = table.reindex(table["change"].abs().sort_values(ascending=False,
                                                             kind="stable").index)
    table.index.name = "feature"
    totals = pd.DataFrame({"base": [base.gap, base.direct],
                           "tuned": [tuned.gap, tuned.direct]}, index=["gap", "direct"])
    totals["change"] = totals["tuned"] - totals["base"]
    return GapComparison(contributions=table, totals=totals, groups=base.groups,
                         notion=base.notion, rate=base.rate)


def _check_comparable(base: Any, tuned: Any) -> None:
    """Refuse two explanations that are not of one gap over one set of columns."""
    for name, value in (("base", base), ("tuned", tuned)):
        if not isinstance(value, GapExplanation):
            raise TypeError(f"{name} must be a GapExplanation (what explain_gap returns); "
                            f"got {type(value).__name__}.")
    if set(base.columns) != set(tuned.columns):
        only_base = [c for c in base.columns if c not in tuned.columns]
        only_tuned = [c for c in tuned.columns if c not in base.columns]
        raise ValueError(
            f"The two explanations are over different features: only base has "
            f"{only_base or 'none'}, only tuned has {only_tuned or 'none'}; explain both "
            "models on the same X.")
    for name in ("groups", "notion", "rate"):
        if getattr(base, name) != getattr(tuned, name):
            raise ValueError(
                f"The two explanations differ in {name} ({getattr(base, name)!r} and "
                f"{getattr(tuned, name)!r}); explain the second model with "
                f"groups={base.groups!r} and the same notion.")


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


def _positives(y, n: int, pos, notion) -> np.ndarray:
    """1.0 where ``y`` is the positive class, else 0.0; an error for a missing
    label where the notion counts positives or negatives."""
    if notion.needs_labels and y is None:
        raise ValueError(f"notion={notion.name!r} compares rates among labelled rows; "
                         "pass y= (the labels of the rows of X).")
    if y is None:
        return np.zeros(n)
    labels = np.asarray(y).reshape(-1)
    check_n_rows(len(labels), n, name="y")
    missing = np.flatnonzero(pd.isna(labels))
    if notion.needs_labels and missing.size:
        # Counted as anything, they would move a rate; left out, the gap would
        # no longer be the one the metrics report (they refuse them too).
        raise ValueError(
            f"y has {missing.size} missing label(s), the first in row {missing[0]}: a row "
            f"without a label is neither a positive nor a negative, so the "
            f"{notion.title} rates cannot count it. Drop those rows from X, y and "
            "sensitive_features.")
    return (labels == pos).astype(np.float64)


def _choose_gap(notion, scores, y01, encoding, groups):
    """The rate, the rows of each of the two groups, the pair and their means."""
    rates = _explained_rates(notion)
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
               and _network_reads_rows(model, coder, pos_index))
    if method == "integrated_gradients" and not network:
        raise ValueError("method='integrated_gradients' needs model to be a fitted "
                         "FairTuneClassifier whose network takes X as it is (numeric "
                         "columns); use method='shapley_sampling'.")
    if method == "auto":
        return "integrated_gradients" if network else "shapley_sampling"
    return method


def _is_network(model: Any) -> bool:
    """Whether ``network_score`` can read ``model``'s network: a classifier whose
    fitted net offers the inference copy and outputs it reads. The capability,
    not the class: explain sits a layer below the estimators."""
    net = getattr(model, "net_", None)
    return is_classifier(model) and all(
        callable(getattr(net, name, None)) for name in ("inference_module", "as_outputs"))


def _network_reads_rows(model: Any, coder: FeatureCoder, pos_index: int) -> bool:
    """Whether the network reads the coded rows as they are.

    Its score is ``predict_proba``'s own forward pass and softmax
    (:func:`~skfairtune._attribution.network_score`), so where it runs on the
    rows, the two agree; a module that wants other inputs fails here.
    """
    import torch

    try:
        with torch.no_grad():
            network_score(model, pos_index)(torch.from_numpy(coder.matrix[:16]))
    except (RuntimeError, TypeError, ValueError):  # a module that wants other inputs
        return False
    return True


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
    """Attributions and scores of ``rows``, and the largest change in score that
    moving each feature made."""
    inputs = coder.matrix[rows]
    if method == "integrated_gradients":
        attributions, scores = integrated_gradients(network_score(model, pos_index), inputs,
                                                    baseline, n_steps=n_steps)
        # One path per row: an attribution is zero only where the gradient is.
        return attributions, scores, np.abs(attributions).max(axis=0)

    def score(matrix: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict_proba(coder.decode(matrix)))[:, pos_index]

    seed = 0 if seed is None else int(check_random_state(seed).randint(2**31 - 1))
    attributions, moved = shapley_sampling(score, inputs, baseline, n_samples=n_samples,
                                           seed=seed)
    return attributions, score(inputs), moved


def _sensitive_columns(coder: FeatureCoder, sensitive_features, encoding) -> list:
    """The columns of ``X`` that hold the sensitive attribute: a column whose
    values match a sensitive column's (or the groups') one to one, whatever
    their coding."""
    attribute = [encoding.codes, *(column.to_numpy(dtype=object) for _, column in
                                   as_frame(sensitive_features).items())]
    names = _names(coder)
    return [names[j] for j in range(len(names))
            if any(_one_to_one(coder.matrix[:, j], values) for values in attribute)]


def _one_to_one(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether each value of ``a`` goes with one value of ``b`` and back."""
    codes_a, uniques_a = pd.factorize(a)
    codes_b, uniques_b = pd.factorize(b)
    if len(uniques_a) != len(uniques_b):
        return False
    pairs = np.unique(codes_a.astype(np.int64) * len(uniques_b) + codes_b)
    return len(pairs) == len(uniques_a)


def _explanation(result, picked, coder, sensitive, baseline, about) -> GapExplanation:
    """The explanation of the gap from the rows' attributions: the columns the
    model reads, the sensitive ones apart."""
    attributions, scores, moved = result
    split = len(picked[0])
    first, second = slice(0, split), slice(split, None)
    contribution = attributions[first].mean(0) - attributions[second].mean(0)
    means = (float(scores[first].mean()), float(scores[second].mean()))
    gap = means[0] - means[1]
    names = np.array(_names(coder), dtype=object)
    read = moved > NO_EFFECT
    held = np.isin(names, sensitive)
    listed = read & ~held
    table = pd.DataFrame({"contribution": contribution[listed],
                          "share": contribution[listed] / gap if gap else np.nan},
                         index=pd.Index(list(names[listed]), name="feature"))
    order = table["contribution"].abs().sort_values(ascending=False, kind="stable").index
    direct = float(contribution[read & held].sum())
    return GapExplanation(
        contributions=table.loc[order], gap=gap, means=means,
        residual=float(gap - contribution[listed].sum() - direct),
        n_rows=(split, len(scores) - split), direct=direct,
        sensitive_columns=tuple(sensitive), no_effect=tuple(names[~read]),
        columns=tuple(names), baseline=pd.Series(baseline, index=list(names)), **about)


def _names(coder: FeatureCoder) -> list:
    if coder.columns is not None:
        return [str(c) for c in coder.columns]
    return [f"x{j}" for j in range(coder.matrix.shape[1])]


def _given_proxies(proxies: Any) -> pd.Series:
    """The proxy AUCs by feature name, from an audit or its table."""
    table = proxies
    if not isinstance(table, (pd.DataFrame, pd.Series)) and hasattr(table, "proxies"):
        table = table.proxies  # a DatasetAudit
    if isinstance(table, pd.DataFrame) and "auc" in table.columns:
        table = table["auc"]
    if not isinstance(table, pd.Series):
        raise TypeError("proxies must be None, an audit_dataset result, its proxies table "
                        "(a DataFrame with an 'auc' column, by feature) or a Series of AUCs "
                        f"by feature; got {type(proxies).__name__}.")
    return pd.Series(pd.to_numeric(table, errors="coerce").to_numpy(dtype=float),
                     index=[str(name) for name in table.index])


def _measured_proxies(X, features, encoding, seed) -> pd.Series:
    """The proxy AUC of each feature of the gap, measured on all rows of ``X``."""
    frame = feature_frame(X)
    keep = [j for j, name in enumerate(frame.columns) if str(name) in set(features)]
    return proxy_table(frame.iloc[:, keep], encoding.codes, random_state=seed)["auc"]


def _with_proxies(explained: GapExplanation, auc: pd.Series, threshold) -> GapExplanation:
    """Mark the features that give the group away, as the data-set audit does."""
    table = explained.contributions
    table["proxy_auc"] = auc.reindex(table.index).to_numpy(dtype=float)
    table["proxy"] = table["proxy_auc"] >= threshold
    return explained
