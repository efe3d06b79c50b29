"""The area under the ROC curve of each group, for many weightings at once.

The AUC is the chance that a random positive scores above a random negative
(ties count one half). Sorted once by group and score, every group's AUC is
a few cumulative sums, so a thousand bootstrap weightings cost a thousand
sums, not a thousand sorts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._groups import group_index
from ._base import (
    as_1d,
    binarize,
    check_finite,
    check_lengths,
    check_weight,
    encode,
    warn_undefined,
)


class ScoreOrder:
    """Rows sorted by group and score, with the blocks of tied scores.

    Parameters
    ----------
    ids : int array of shape (n_samples,)
        Group ids.
    score : float array of shape (n_samples,)
        Scores, larger meaning more likely positive.
    """

    def __init__(self, ids: np.ndarray, score: np.ndarray):
        self.order = np.lexsort((score, ids))
        # Rows handed over already sorted (the bootstrap's) skip every gather.
        self.identity = bool((self.order == np.arange(ids.shape[0])).all())
        ids_sorted, score_sorted = ids[self.order], score[self.order]
        new = np.ones(ids.shape[0], dtype=bool)
        new[1:] = (ids_sorted[1:] != ids_sorted[:-1]) | (
            score_sorted[1:] != score_sorted[:-1]
        )
        self.starts = np.flatnonzero(new)
        block_group = ids_sorted[self.starts]
        first = np.ones(block_group.shape[0], dtype=bool)
        first[1:] = block_group[1:] != block_group[:-1]
        self.group_starts = np.flatnonzero(first)  # first block of each group
        self.groups = block_group[self.group_starts]
        self.group_of_block = np.cumsum(first) - 1  # rank among present groups


def auc_by_group(positive: np.ndarray, mass: np.ndarray, order: ScoreOrder,
                 n_groups: int) -> np.ndarray:
    """Each group's AUC under row weights ``mass`` of shape (n,) or (n, k).

    Returns an array of shape (n_groups,) or (n_groups, k), NaN for a group
    that lacks positives or negatives.
    """
    flat = mass.ndim == 1
    # Replicates first, rows contiguous: every reduction runs along memory.
    m = np.ascontiguousarray(mass[None, :] if flat else mass.T)
    if not order.identity:
        m, positive = m[:, order.order], positive[order.order]
    pos = np.add.reduceat(m * positive, order.starts, axis=1)
    neg = np.add.reduceat(m, order.starts, axis=1) - pos
    pos_total = np.add.reduceat(pos, order.group_starts, axis=1)
    neg_total = np.add.reduceat(neg, order.group_starts, axis=1)
    # Negatives below a block: all earlier blocks, less the earlier groups'.
    earlier_groups = np.cumsum(neg_total, axis=1) - neg_total
    below = np.cumsum(neg, axis=1) - neg - earlier_groups[:, order.group_of_block]
    wins = np.add.reduceat(pos * (below + 0.5 * neg), order.group_starts, axis=1)
    auc = np.full((m.shape[0], n_groups), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc[:, order.groups] = wins / (pos_total * neg_total)
    auc[:, order.groups] = np.where((pos_total > 0) & (neg_total > 0),
                                    auc[:, order.groups], np.nan)
    return auc[0] if flat else auc.T


def roc_auc_by_group(
    y_true: Any,
    y_score: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
    pos_label: Any = None,
) -> pd.Series:
    """The area under the ROC curve of each group.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_score : array-like of shape (n_samples,)
        Scores of the positive class (``predict_proba(X)[:, 1]`` or
        ``decision_function(X)``).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : scalar, default=None
        The positive label; None means 1 for {0, 1} or {-1, 1} labels.

    Returns
    -------
    pandas.Series
        One AUC per group; NaN (with a warning) for a group that has only one
        class, where scikit-learn's ``roc_auc_score`` would raise.

    Examples
    --------
    >>> from skfairtune.metrics import roc_auc_by_group
    >>> roc_auc_by_group([0, 1, 0, 1], [0.1, 0.9, 0.8, 0.3],
    ...                  sensitive_features=["a", "a", "b", "b"]).to_dict()
    {'a': 1.0, 'b': 0.0}
    """
    n = check_lengths(y_true=y_true, y_score=y_score, sample_weight=sample_weight)
    positive = binarize(y_true, pos_label=pos_label, name="y_true")
    score = check_finite(as_1d(y_score, "y_score"), "y_score").astype(np.float64)
    enc = encode(sensitive_features, n)
    weight = check_weight(sample_weight, n)
    auc = auc_by_group(positive, weight, ScoreOrder(enc.codes, score), enc.n_groups)
    warn_undefined(~np.isnan(auc), enc, "the ROC AUC", "only one class")
    return pd.Series(auc, index=group_index(enc), name="auc")
