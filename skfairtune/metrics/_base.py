"""Input checks shared by every group metric.

Each metric validates its arguments here, in one place, so that a bad input
gets the same message whichever metric reads it, and turns the sensitive
attribute into integer group codes once, so that the metric itself is a few
``bincount`` passes over integer arrays (no pandas group-by in the hot path).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._groups import GroupEncoding, encode_groups
from .._validation import check_n_rows, num_rows
from ..exceptions import UndefinedGroupWarning


def as_rows(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as an array with one row per sample (a column as 1-D)."""
    if values is None:
        raise ValueError(f"{name} is required but got None.")
    if hasattr(values, "detach"):  # torch tensors
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 0:
        raise ValueError(f"{name} must have one row per sample; got a scalar.")
    return array


def as_1d(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D array, naming the argument when it is not."""
    array = as_rows(values, name)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one value per sample); got shape {array.shape}."
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples.")
    return array


def check_finite(array: np.ndarray, name: str) -> np.ndarray:
    """Refuse NaN and infinity in a numeric array."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = np.flatnonzero(~np.isfinite(array))
        raise ValueError(
            f"{name} contains NaN or infinity in {bad.size} sample(s), "
            f"the first at index {bad[0]}."
        )
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {array.dtype}.")
    return array


def as_labels(values: Any, name: str) -> np.ndarray:
    """Class labels as a 1-D array; numeric labels must be finite."""
    array = as_1d(values, name)
    if array.dtype.kind == "f":
        check_finite(array, name)
    return array


def check_lengths(**arrays: Any) -> int:
    """Check that every array has as many rows as the first one; return that number."""
    lengths = {name: num_rows(a) for name, a in arrays.items() if a is not None}
    first_name, first = next(iter(lengths.items()))
    for name, length in lengths.items():
        check_n_rows(length, first, name=name, reference=first_name)
    return first


def _distinct(array: np.ndarray) -> np.ndarray:
    """The distinct values, cheaply: min and max settle the usual 0/1 case."""
    # Integers only: booleans do not subtract.
    if array.dtype.kind in "iu" and array.size:
        low, high = array.min(), array.max()
        if high - low <= 1:
            return np.unique(np.array([low, high]))
    return np.asarray(pd.unique(array))


def binarize(values: Any, *, pos_label: Any, name: str) -> np.ndarray:
    """Return ``values == pos_label`` after checking that ``values`` is binary.

    With ``pos_label=None`` the labels must be a subset of {0, 1} or {-1, 1}
    and 1 is positive, as in fairlearn.
    """
    array = as_labels(values, name)
    if array.dtype.kind == "b" and pos_label in (None, True, 1):
        return array
    labels = _distinct(array)
    if labels.size > 2:
        shown = ", ".join(repr(v) for v in labels[:5].tolist())
        raise ValueError(
            f"{name} must be binary for this metric; it has {labels.size} distinct "
            f"values ({shown}{', ...' if labels.size > 5 else ''}). Give hard "
            "binary predictions (predict, not predict_proba)."
        )
    if pos_label is None:
        if not (set(labels.tolist()) <= {0, 1} or set(labels.tolist()) <= {-1, 1}):
            raise ValueError(
                f"{name} has labels {labels.tolist()}; pass pos_label= to say which "
                "one is positive (only {0, 1} and {-1, 1} imply pos_label=1)."
            )
        pos_label = 1
    return array == pos_label


def check_weight(sample_weight: Any, n_samples: int, *, reference: str = "y_true",
                 allow_zero_sum: bool = False) -> np.ndarray:
    """Return finite, non-negative sample weights (ones when None).

    ``reference`` names the array whose rows they weigh, in messages. With
    ``allow_zero_sum`` all-zero weights pass: a mean over them is then NaN,
    as fairlearn's ``selection_rate`` gives for a group weighted 0.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    weight = check_finite(as_1d(sample_weight, "sample_weight"), "sample_weight")
    check_n_rows(weight.shape[0], n_samples, name="sample_weight", reference=reference)
    if (weight < 0).any():
        raise ValueError("sample_weight must be non-negative.")
    if not allow_zero_sum and not weight.sum() > 0:
        raise ValueError("sample_weight sums to zero: no sample counts.")
    return weight.astype(np.float64, copy=False)


def encode(sensitive_features: Any, n_samples: int) -> GroupEncoding:
    """The group codes of ``sensitive_features``, checked against ``y_true``'s length."""
    return encode_groups(sensitive_features, n_samples=n_samples, reference="y_true")


def warn_undefined(present: np.ndarray, encoding: GroupEncoding, what: str, why: str):
    """Warn, naming the groups, when a rate is undefined in some of them."""
    absent = np.flatnonzero(~np.asarray(present))
    if absent.size == 0:
        return
    names = [encoding.labels[k] for k in absent]
    warnings.warn(
        f"{what} is undefined for group(s) {names} ({why}); it is reported as NaN "
        "and those groups are left out of the difference and the ratio.",
        UndefinedGroupWarning,
        stacklevel=3,
    )
