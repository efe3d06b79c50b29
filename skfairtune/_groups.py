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

from ._validation import check_n_rows

# The group id of a row whose sensitive value is unknown, with
# missing="ignore": consumers of the codes skip such rows.
MISSING_GROUP = -1


@dataclass(frozen=True)
class GroupEncoding:
    """Integer group codes of a sensitive attribute.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), dtype int64
        The group id of each row, in ``[0, n_groups)``; ``MISSING_GROUP``
        (-1) for a row whose value is missing, when the encoding allowed it.
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

    @property
    def n_missing(self) -> int:
        """The number of rows whose group is unknown."""
        return int(np.count_nonzero(self.codes == MISSING_GROUP))


def group_index(encoding: GroupEncoding) -> pd.Index:
    """A pandas index of the groups, one level per sensitive column.

    Tables by group (the metrics' reports, the audit) are indexed by it, so
    that a group reads the same in all of them.
    """
    if len(encoding.names) > 1:
        return pd.MultiIndex.from_tuples(encoding.labels, names=encoding.names)
    return pd.Index(encoding.labels, name=encoding.names[0])


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
    reference: str = "X",
    missing: str = "error",
) -> GroupEncoding:
    """Encode a sensitive attribute as integer group ids.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The attribute. Several columns make intersectional groups: one group
        per combination that occurs. An existing ``GroupEncoding`` is
        returned as it is.
    n_samples : int, default=None
        The number of rows it must have, to check it against ``X``.
    name : str, default="sensitive_features"
        How the argument is called in error messages.
    reference : str, default="X"
        What ``n_samples`` counts the rows of, in error messages
        (``"y_true"`` for a metric, which has no ``X``).
    missing : {"error", "ignore"}, default="error"
        What a missing value (NaN or None) does: raise a ``ValueError`` that
        names the rows, or give the row the code ``MISSING_GROUP`` (-1).

    Returns
    -------
    GroupEncoding
        Groups numbered in the sorted order of their values.
    """
    if isinstance(sensitive_features, GroupEncoding):
        _check_rows(len(sensitive_features.codes), n_samples, name, reference)
        return sensitive_features
    source = _frame_or_array(sensitive_features, name)
    _check_rows(source.shape[0], n_samples, name, reference)
    # Each row becomes a Python object only once per distinct combination:
    # the rows are hashed column by column, the few distinct ones are sorted
    # and labelled, and their codes are broadcast back to every row.
    key = _combined_codes(source)
    if key is None and missing == "ignore":
        return _encode_known(as_frame(source, name=name), name)
    if key is None:  # a missing value: say where
        _check_missing(as_frame(source, name=name), name)
    first = _first_rows(key)
    head = source.iloc[first] if hasattr(source, "iloc") else source[first]
    distinct = _encode_distinct(as_frame(head, name=name))
    return GroupEncoding(codes=distinct.codes[key], labels=distinct.labels,
                         names=distinct.names)


def _encode_known(frame: pd.DataFrame, name: str) -> GroupEncoding:
    """Codes of the rows without a missing value; ``MISSING_GROUP`` for the others."""
    known = ~frame.isna().to_numpy().any(axis=1)
    if not known.any():
        raise ValueError(
            f"{name} is missing (NaN or None) in all {known.size} rows: no row has "
            "a known group, so there is nothing to be fair between. Give the "
            "groups of at least some rows."
        )
    encoding = encode_groups(frame[known], name=name)
    codes = np.full(known.size, MISSING_GROUP, dtype=np.int64)
    codes[known] = encoding.codes
    return GroupEncoding(codes=codes, labels=encoding.labels, names=encoding.names)


def _check_rows(n_rows: int, n_samples: int | None, name: str, reference: str) -> None:
    if n_samples is not None:
        check_n_rows(n_rows, n_samples, name=name, reference=reference)
    if n_rows == 0:
        raise ValueError(f"{name} is empty: it has 0 rows.")


def _encode_distinct(frame: pd.DataFrame) -> GroupEncoding:
    """Sorted group codes of a few rows (each combination once, or a few times)."""
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
    return GroupEncoding(codes=codes.reshape(-1).astype(np.int64), labels=labels,
                         names=names)


def _frame_or_array(sensitive_features: Any, name: str):
    if isinstance(sensitive_features, np.ndarray) and sensitive_features.ndim in (1, 2):
        return sensitive_features
    if isinstance(sensitive_features, (pd.Series, pd.DataFrame)):
        return sensitive_features
    return as_frame(sensitive_features, name=name)


def _columns(source) -> list:
    # pandas columns stay pandas: a categorical factorizes by its codes.
    if isinstance(source, pd.DataFrame):
        return [source.iloc[:, j] for j in range(source.shape[1])]
    if isinstance(source, pd.Series):
        return [source]
    return [source] if source.ndim == 1 else list(source.T)


def _combined_codes(source) -> np.ndarray | None:
    """One integer per distinct row, numbered in order of first appearance.

    None when a value is missing.
    """
    key = None
    columns = _columns(source)
    if not columns:
        raise ValueError("sensitive_features has no columns.")
    for column in columns:
        codes, uniques = pd.factorize(column)
        if (codes < 0).any():
            return None
        if key is None:
            key = codes.astype(np.int64, copy=False)
        else:  # re-factorize so that the mixed-radix key never overflows
            key, _ = pd.factorize(key * len(uniques) + codes)
    return key


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code, for codes numbered in order of appearance."""
    seen = np.maximum.accumulate(codes)
    new = np.ones(codes.shape[0], dtype=bool)
    new[1:] = seen[1:] > seen[:-1]
    return np.flatnonzero(new)


def recode(encoding: GroupEncoding, labels: list, names: list) -> GroupEncoding:
    """``encoding``'s rows coded by ``labels``, the groups of an earlier encoding.

    Each group keeps its id (its place in ``labels``), whatever other groups
    the new rows hold or lack; a group not in ``labels`` gets the next free
    id, after them. This is how a later ``partial_fit`` reads its groups: by
    label, not by their order among the groups of one call.

    Parameters
    ----------
    encoding : GroupEncoding
        The groups of the new rows.
    labels : list
        The groups seen before, in id order (an earlier encoding's ``labels``).
    names : list of str
        The sensitive columns they were read from.

    Returns
    -------
    GroupEncoding
        Its ``labels`` are ``labels``, then the new groups in sorted order.

    Raises
    ------
    ValueError
        If the new rows have another number of sensitive columns.
    """
    if len(encoding.names) != len(names):
        raise ValueError(
            f"sensitive_features has {len(encoding.names)} column(s) but had "
            f"{len(names)} ({names}) before: give the same sensitive columns in "
            "every call.")
    ids = {label: k for k, label in enumerate(labels)}
    labels = list(labels)
    for label in encoding.labels:
        if label not in ids:
            ids[label] = len(labels)
            labels.append(label)
    # The last entry maps a missing row's code (-1) to itself.
    lookup = np.array([ids[label] for label in encoding.labels] + [MISSING_GROUP],
                      dtype=np.int64)
    return GroupEncoding(codes=lookup[encoding.codes], labels=labels, names=encoding.names)
