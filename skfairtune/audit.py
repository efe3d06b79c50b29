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
from sklearn.utils.multiclass import type_of_target

from skfairtune._deprecation import keyword_only
from skfairtune._groups import GroupEncoding, encode_groups, group_index
from skfairtune._labels import positive_label
from skfairtune._proxies import feature_frame, proxy_table
from skfairtune._proxies import held_out_auc as _held_out_auc  # noqa: F401 - tests read it
from skfairtune._validation import (
    check_n_rows,
    check_unique_columns,
    column_names,
    is_column_names,
    read_columns,
)
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
    proxies = proxy_table(features, encoding.codes, n_splits=n_splits, n_bins=n_bins,
                          random_state=random_state)
    return DatasetAudit(
        groups=groups, labels=labels, imbalance=imbalance, missing=missing,
        proxies=proxies, sensitive_names=encoding.names,
        target_name=str(getattr(y, "name", None) or "target"), positive_label=positive,
    )


def _split_columns(X, sensitive_features):
    """The features as a frame, the sensitive values, and the other features."""
    check_unique_columns(X)  # two columns of one name would share one row of each table
    frame = feature_frame(X).reset_index(drop=True)
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
