"""How well each feature, alone, gives the sensitive group away (proxy AUC).

The data-set audit ranks the features by it, and :func:`skfairtune.explain.
explain_gap` marks the features that carry the group: one computation, here,
for both, on the rows as given (a missing value is a category of its own), so
that the same rows give the same number in the audit and in a report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold


def feature_frame(X) -> pd.DataFrame:
    """``X`` as a table of named features: a frame as it is, an array's columns
    named ``x0``, ``x1``... (the names every result of skfairtune gives them)."""
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"X must be 2-D (rows and features); got shape {array.shape}.")
    return pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])


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


def held_out_auc(categories: np.ndarray, groups: np.ndarray, n_groups: int,
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


def proxy_table(features: pd.DataFrame, groups: np.ndarray, *, n_splits: int = 3,
                n_bins: int = 10, random_state: int | None = 0) -> pd.DataFrame:
    """How well each feature alone predicts the group: the audit's proxy ranking.

    Parameters
    ----------
    features : pandas.DataFrame
        The features, one column each (missing values are a category).
    groups : int array of shape (n_samples,)
        Group codes in ``[0, n_groups)``.
    n_splits, n_bins, random_state
        The folds of the cross-validation, the quantile bins of a numeric
        feature, and the seed of the folds.

    Returns
    -------
    pandas.DataFrame
        Indexed by feature, strongest proxy first: ``auc`` (held-out ROC AUC,
        macro one-vs-rest beyond two groups), ``kind`` and ``n_values``. Empty
        with fewer than two groups or a group of one row.
    """
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
        rows[str(name)] = (held_out_auc(categories, groups, n_groups, folds), kind,
                           n_values)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    table.index.name = "feature"
    return table.sort_values("auc", ascending=False, kind="stable")

