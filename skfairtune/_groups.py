"""Turning a sensitive attribute into integer group ids.

Every part of skfairtune (penalties, metrics, resamplers, splitters) works on
integer group codes in ``[0, n_groups)``. This module is the one place where
user input (1-D or 2-D, strings or numbers, pandas or numpy) becomes codes, so
that the same rows always land in the same group whichever part reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class GroupEncoding:
    """Integer group codes of a sensitive attribute.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), dtype int64
        The group id of each row, in ``[0, n_groups)``.
    labels : list
        ``labels[k]`` is the value (a tuple of values for several columns)
        that group ``k`` stands for, sorted.
    names : list of str
        The names of the sensitive columns (``"sensitive_feature_0"`` ... when
        the input has none).
    """

    codes: np.ndarray
    labels: list
    names: list

    @property
    def n_groups(self) -> int:
        return len(self.labels)


def as_frame(sensitive_features: Any, *, name: str = "sensitive_features") -> pd.DataFrame:
    """Return the sensitive attribute as a DataFrame with one column per feature."""
    if sensitive_features is None:
        raise ValueError(f"{name} is required here but got None.")
    if isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features
    elif isinstance(sensitive_features, pd.Series):
        label = sensitive_features.name
        frame = sensitive_features.to_frame(
            name=label if label is not None else "sensitive_feature_0"
        )
    elif isinstance(sensitive_features, dict):
        frame = pd.DataFrame(sensitive_features)
    else:
        if hasattr(sensitive_features, "detach"):  # torch tensors
            sensitive_features = sensitive_features.detach().cpu().numpy()
        array = np.asarray(sensitive_features, dtype=object)
        if array.ndim == 0:
            raise ValueError(
                f"{name} must be a 1-D or 2-D array-like with one row per sample; "
                f"got a scalar {sensitive_features!r}."
            )
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise ValueError(
                f"{name} must be 1-D or 2-D; got an array with {array.ndim} dimensions."
            )
        frame = pd.DataFrame(
            array, columns=[f"sensitive_feature_{j}" for j in range(array.shape[1])]
        )
    if frame.shape[1] == 0:
        raise ValueError(f"{name} has no columns.")
    return frame


def _check_missing(frame: pd.DataFrame, name: str) -> None:
    missing = frame.isna().to_numpy().any(axis=1)
    if missing.any():
        rows = np.flatnonzero(missing)
        shown = ", ".join(str(r) for r in rows[:5]) + (" ..." if rows.size > 5 else "")
        raise ValueError(
            f"{name} contains missing values (NaN or None) in {rows.size} row(s): "
            f"{shown}. Give missing values a category of their own "
            f"(for example 'unknown') or drop those rows."
        )


def _sorted_codes(column: pd.Series) -> tuple[np.ndarray, list]:
    values = column.to_numpy()
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        # Values that do not compare (a date beside strings): order the
        # groups by type and text, but keep the values themselves as labels,
        # so that two values with the same text stay two groups.
        codes, uniques = pd.factorize(values, sort=False)
        order = sorted(range(len(uniques)),
                       key=lambda k: (type(uniques[k]).__name__, str(uniques[k])))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, uniques = rank[codes], [uniques[k] for k in order]
    return codes.astype(np.int64), list(uniques)


def encode_groups(
    sensitive_features: Any,
    *,
    n_samples: int | None = None,
    name: str = "sensitive_features",
) -> GroupEncoding:
    """Encode a sensitive attribute as integer group ids.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The attribute. Several columns make intersectional groups: one group
        per combination that occurs.
    n_samples : int, default=None
        The number of rows it must have, to check it against ``X``.
    name : str, default="sensitive_features"
        How the argument is called in error messages.

    Returns
    -------
    GroupEncoding
    """
    frame = as_frame(sensitive_features, name=name)
    if n_samples is not None and frame.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {frame.shape[0]} rows but X has {n_samples}; "
            "give one sensitive value per sample."
        )
    if frame.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 rows.")
    _check_missing(frame, name)
    per_column = [_sorted_codes(frame.iloc[:, j]) for j in range(frame.shape[1])]
    names = [str(c) for c in frame.columns]
    if len(per_column) == 1:
        codes, labels = per_column[0]
        return GroupEncoding(codes=codes, labels=labels, names=names)
    stacked = np.column_stack([codes for codes, _ in per_column])
    combos, codes = np.unique(stacked, axis=0, return_inverse=True)
    labels = [
        tuple(per_column[j][1][k] for j, k in enumerate(combo)) for combo in combos
    ]
    return GroupEncoding(codes=codes.reshape(-1).astype(np.int64), labels=labels, names=names)


def codes_for(labels: list, sensitive_features: Any, *, name: str = "sensitive_features"):
    """Map new sensitive values onto the group ids of an earlier encoding.

    Values not seen in ``labels`` get the id ``-1``.
    """
    frame = as_frame(sensitive_features, name=name)
    _check_missing(frame, name)
    if frame.shape[1] == 1:
        keys = list(frame.iloc[:, 0].to_numpy())
    else:
        keys = [tuple(row) for row in frame.itertuples(index=False, name=None)]
    lookup = {label: k for k, label in enumerate(labels)}
    return np.array([lookup.get(key, -1) for key in keys], dtype=np.int64)
