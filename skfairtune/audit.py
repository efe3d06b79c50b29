"""Look at a data set before training on it: who is in it, and what gives them away.

:func:`audit_dataset` reports how each group is represented, its base rate
(the share of positive labels), the label imbalance, the missing values by
group, and the features that act as proxies for the sensitive attribute,
ranked by how well each one alone predicts it. The result prints as tables,
shows itself as HTML in a notebook, draws its plots, and writes a
self-contained HTML page and a markdown summary, as every report does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.multiclass import type_of_target

from skfairtune._deprecation import keyword_only
from skfairtune._groups import GroupEncoding, encode_groups, group_index
from skfairtune._labels import positive_label
from skfairtune._validation import check_n_rows, column_names, is_column_names, read_columns
from skfairtune.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    mean_prediction_difference,
    selection_rate_by_group,
)
from skfairtune.report import DatasetAudit

__all__ = ["DatasetAudit", "audit_dataset"]


@keyword_only("sensitive_features")
def audit_dataset(
    X: Any,
    y: Any,
    *,
    sensitive_features: Any,
    pos_label: Any = None,
    n_splits: int = 3,
    n_bins: int = 10,
    random_state: int | None = 0,
) -> DatasetAudit:
    """Audit a data set for representation, label balance, missingness and proxies.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        The features. Missing values (NaN, None) are counted, not refused.
    y : array-like of shape (n_samples,)
        The target: class labels, or continuous values.
    sensitive_features : array-like, or str or list of str
        The sensitive attribute: its values (1-D or 2-D, several columns make
        intersectional groups), or the name(s) of column(s) of ``X``, which
        are then left out of the proxy ranking.
    pos_label : object, default=None
        The label whose share is the base rate; None takes the last label in
        sorted order, as ``classes_`` sorts them (1 for {0, 1}, 2 for {1, 2}),
        the rule everywhere in skfairtune.
    n_splits : int, default=3
        Folds of the cross-validation that scores each proxy.
    n_bins : int, default=10
        Quantile bins of a numeric feature (with more distinct values than
        that) when it predicts the group.
    random_state : int or None, default=0
        Seeds the folds.

    Returns
    -------
    DatasetAudit

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skfairtune.audit import audit_dataset
    >>> rng = np.random.default_rng(0)
    >>> sex = rng.choice(["f", "m"], 300)
    >>> X = pd.DataFrame({"sex": sex, "height": rng.normal(size=300) + (sex == "m"),
    ...                   "noise": rng.normal(size=300)})
    >>> y = (X["height"] + rng.normal(size=300) > 0.5).astype(int)
    >>> audit = audit_dataset(X, y, sensitive_features="sex")
    >>> audit.proxies.index[0]
    'height'
    >>> audit.groups["count"].to_dict()
    {'f': 137, 'm': 163}
    """
    X, sensitive, features = _split_columns(X, sensitive_features)
    y = _target(y, len(X))
    encoding = encode_groups(sensitive, n_samples=len(X))
    groups, labels, imbalance, positive = _label_tables(y, encoding, pos_label)
    missing = _missing(features, encoding)
    groups["rows_with_missing"] = (
        features.isna().any(axis=1).groupby(encoding.codes).mean().to_numpy()
    )
    proxies = _proxies(features, encoding.codes, n_splits, n_bins, random_state)
    return DatasetAudit(
        groups=groups, labels=labels, imbalance=imbalance, missing=missing,
        proxies=proxies, sensitive_names=encoding.names,
        target_name=str(getattr(y, "name", None) or "target"), positive_label=positive,
    )


def _split_columns(X, sensitive_features):
    """The features as a frame, the sensitive values, and the other features."""
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(f"X must be 2-D (rows and features); got shape {array.shape}.")
        frame = pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])
    if frame.shape[0] == 0:
        raise ValueError("X is empty: it has 0 rows.")
    if not is_column_names(sensitive_features):
        return frame, sensitive_features, frame
    sensitive = read_columns(frame, sensitive_features)
    return frame, sensitive, frame.drop(columns=column_names(sensitive_features))


def _target(y, n_samples: int) -> pd.Series:
    y = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y).reshape(-1))
    check_n_rows(len(y), n_samples, name="y")
    if y.isna().any():
        raise ValueError(f"y has {int(y.isna().sum())} missing value(s); drop those rows.")
    return y.reset_index(drop=True)


def _label_tables(y: pd.Series, encoding: GroupEncoding, pos_label):
    """Per-group counts and base rates, class shares, and the imbalance figures."""
    index = group_index(encoding)
    counts = np.bincount(encoding.codes, minlength=encoding.n_groups)
    groups = pd.DataFrame({"count": counts, "share": counts / counts.sum()}, index=index)
    imbalance = {"representation_ratio": counts.min() / counts.max()}
    if type_of_target(y.to_numpy()) == "continuous":
        groups["mean_target"] = y.groupby(encoding.codes).mean().to_numpy()
        imbalance["mean_target_difference"] = mean_prediction_difference(
            y, y, sensitive_features=encoding.codes)
        return groups, pd.DataFrame(), pd.Series(imbalance), None
    positive = positive_label(y, pos_label, name="y")
    hits = (y == positive).to_numpy()
    groups["base_rate"] = selection_rate_by_group(
        hits, hits, sensitive_features=encoding.codes).to_numpy()
    labels = pd.crosstab(pd.Series(encoding.codes), y.to_numpy(), normalize="index")
    labels.index = index
    overall = y.value_counts(normalize=True)
    labels = _with_all(labels, overall.reindex(labels.columns).to_numpy())
    labels.columns = [str(c) for c in labels.columns]
    imbalance.update(
        minority_class_share=overall.min(), imbalance_ratio=overall.max() / overall.min(),
        base_rate_difference=demographic_parity_difference(
            hits, hits, sensitive_features=encoding.codes),
        base_rate_ratio=demographic_parity_ratio(hits, hits, sensitive_features=encoding.codes),
    )
    return groups, labels, pd.Series(imbalance), positive


def _with_all(frame: pd.DataFrame, values) -> pd.DataFrame:
    """``frame`` with a last row ``"all"`` (padded to every level of a MultiIndex)."""
    levels = frame.index.nlevels
    key = "all" if levels == 1 else ("all",) + ("",) * (levels - 1)
    index = pd.Index([key]) if levels == 1 else pd.MultiIndex.from_tuples([key])
    row = pd.DataFrame([values], columns=frame.columns, index=index)
    return pd.concat([frame, row.rename_axis(frame.index.names)])


def _missing(features: pd.DataFrame, encoding: GroupEncoding) -> pd.DataFrame:
    isna = features.isna()
    columns = isna.columns[isna.any().to_numpy()]
    if not len(columns):
        return pd.DataFrame()
    by_group = isna[columns].groupby(encoding.codes).mean()
    by_group.index = group_index(encoding)
    table = _with_all(by_group, isna[columns].mean().to_numpy()).T
    return table.sort_values(table.columns[-1], ascending=False)


def _categories(column: pd.Series, n_bins: int) -> tuple[np.ndarray, str, int]:
    """Integer categories of one feature (missing its own), its kind, its distinct count."""
    n_values = int(column.nunique(dropna=True))
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if numeric and n_values > n_bins:
        values = column.to_numpy(dtype=float)
        edges = np.unique(np.nanquantile(values, np.linspace(0, 1, n_bins + 1)[1:-1]))
        codes = np.where(np.isnan(values), len(edges) + 1, np.searchsorted(edges, values))
        return codes.astype(np.int64), "numeric", n_values
    codes, _ = pd.factorize(column, use_na_sentinel=True)
    codes = np.where(codes < 0, codes.max() + 1, codes)  # missing is a category
    return codes.astype(np.int64), "numeric" if numeric else "categorical", n_values


def _held_out_auc(categories: np.ndarray, groups: np.ndarray, n_groups: int,
                  folds: list) -> float:
    """The macro one-vs-rest ROC AUC of predicting the group from one feature.

    Each held-out row's probability of group ``g`` is its category's share of
    ``g`` in the other folds, smoothed towards the overall share ``p``:
    ``(count + p) / (rows + 1)``. With one categorical input this is the best
    possible predictor, so the AUC scores the feature, not a model.

    The rows are never scored against every group (rows × groups): a group's
    probability is ``p / (rows + 1)`` in every category where it has no
    training row, so those categories are ranked by their size alone, and
    only the (category, group) pairs that occur are handled one by one.
    Every row is ranked among all held-out rows (ties count one half, as
    ``roc_auc_score`` counts them).
    """
    n_categories = int(categories.max()) + 1
    folds = [_Fold(categories, groups, train, test, n_categories, n_groups)
             for train, test in folds]
    g, score, positives = (np.concatenate(p) for p in zip(*(f.queries() for f in folds)))
    # Rows of the categories where the group has training rows, then every
    # other held-out row, scored as if its group had no training row there.
    items = (np.concatenate(p) for p in zip(*(f.items() for f in folds)))
    below, tied = _counts_within(*items, g, score)
    for fold in folds:
        less, equal = fold.zero_counts(g, score)
        below += less
        tied += equal
    sizes = np.bincount(groups, minlength=n_groups).astype(float)
    ranks = np.bincount(g, weights=positives * (below + (tied + 1) / 2),
                        minlength=n_groups)
    auc = (ranks - sizes * (sizes + 1) / 2) / (sizes * (len(groups) - sizes))
    return float(auc[1]) if n_groups == 2 else float(auc.mean())


class _Fold:
    """One fold's training counts and held-out rows, by category and group."""

    def __init__(self, categories, groups, train, test, n_categories, n_groups):
        self.n_groups = n_groups
        self.prior = np.bincount(groups[train], minlength=n_groups) / len(train)
        self.width = np.bincount(categories[train], minlength=n_categories) + 1.0
        self.held_out = np.bincount(categories[test], minlength=n_categories)
        self.pairs, self.counts = np.unique(categories[train] * n_groups + groups[train],
                                            return_counts=True)
        self.test_pairs, self.test_counts = np.unique(
            categories[test] * n_groups + groups[test], return_counts=True)
        # Held-out rows by the size of their category: the zero-count ranking.
        present = self.held_out > 0
        self.sizes, where = np.unique(self.width[present], return_inverse=True)
        rows = np.bincount(where, weights=self.held_out[present])
        self.rows_up_to = np.concatenate([[0.0], np.cumsum(rows)])

    def _training_count(self, pairs: np.ndarray) -> np.ndarray:
        at = np.minimum(np.searchsorted(self.pairs, pairs), len(self.pairs) - 1)
        return np.where(self.pairs[at] == pairs, self.counts[at], 0)

    def queries(self):
        """Held-out positives: (group, probability, rows) per (category, group)."""
        category, g = np.divmod(self.test_pairs, self.n_groups)
        count = self._training_count(self.test_pairs)
        score = (count + self.prior[g]) / self.width[category]
        return g, score, self.test_counts.astype(float)

    def items(self):
        """(group, probability, rows): the held-out rows of each category where
        the group has training rows, added at their probability and taken away
        at the zero-count one that :meth:`zero_counts` gave them."""
        category, g = np.divmod(self.pairs, self.n_groups)
        rows = self.held_out[category].astype(float)
        keep = rows > 0
        category, g, rows, count = category[keep], g[keep], rows[keep], self.counts[keep]
        p = self.prior[g]
        return (np.concatenate([g, g]),
                np.concatenate([(count + p) / self.width[category], p / self.width[category]]),
                np.concatenate([rows, -rows]))

    def zero_counts(self, g: np.ndarray, score: np.ndarray):
        """Held-out rows whose zero-count probability ``p / size`` is below, and
        equal to, each score."""
        p, sizes = self.prior[g], self.sizes
        last = len(sizes)
        # The first size with p / size < score; found in the ratio, then made
        # exact with the very division that scores the rows.
        k = np.searchsorted(sizes, p / score, side="right")
        for _ in range(2):
            step = (k > 0) & (p / sizes[np.maximum(k - 1, 0)] < score)
            k = np.where(step, k - 1, k)
        for _ in range(2):
            step = (k < last) & ~(p / sizes[np.minimum(k, last - 1)] < score)
            k = np.where(step, k + 1, k)
        less = self.rows_up_to[-1] - self.rows_up_to[k]
        before = np.maximum(k - 1, 0)
        equal = np.where((k > 0) & (p / sizes[before] == score),
                         self.rows_up_to[before + 1] - self.rows_up_to[before], 0.0)
        return less, equal


def _counts_within(item_group, item_value, item_rows, group, value):
    """Per query (``group``, ``value``), the summed ``item_rows`` of the items
    of its group whose value is below it, and equal to it.

    One sort of items and queries together, by group then value, answers
    every query; ties put the query before the items (to count those below)
    or after them (to count those up to it).
    """
    n = len(item_group)
    weights = np.concatenate([item_rows, np.zeros(len(group))])
    groups = np.concatenate([item_group, group])
    values = np.concatenate([item_value, value])
    out = []
    for query_first in (True, False):
        kind = np.concatenate([np.full(n, query_first), np.full(len(group), not query_first)])
        order = np.lexsort((kind, values, groups))
        before = np.cumsum(weights[order]) - weights[order]
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        start = np.searchsorted(groups[order], group, side="left")
        cum = np.concatenate([[0.0], np.cumsum(weights[order])])
        out.append(before[position[n:]] - cum[start])
    less, up_to = out
    return less, up_to - less


def _proxies(features, groups, n_splits, n_bins, random_state) -> pd.DataFrame:
    n_groups = int(groups.max()) + 1
    smallest = np.bincount(groups, minlength=n_groups).min()
    columns = ["auc", "kind", "n_values"]
    if n_groups < 2 or smallest < 2 or features.shape[1] == 0:
        return pd.DataFrame(columns=columns)
    cv = StratifiedKFold(min(n_splits, smallest), shuffle=True, random_state=random_state)
    folds = list(cv.split(np.zeros(len(groups)), groups))
    rows = {}
    for name, column in features.items():
        categories, kind, n_values = _categories(column, n_bins)
        rows[str(name)] = (_held_out_auc(categories, groups, n_groups, folds), kind,
                           n_values)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index.name = "feature"
    return table.sort_values("auc", ascending=False, kind="stable")

