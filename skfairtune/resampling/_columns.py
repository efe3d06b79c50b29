"""Reading the sensitive attribute out of ``X`` when a sampler names its columns.

The constructor's ``sensitive_features`` says *where* the attribute is (column
names of a DataFrame, column positions, or a function of ``X``), never the
values themselves: values belong to ``fit_resample``, so that a cloned sampler
in a grid search never carries the rows of another fold.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .._validation import column_names, read_columns

# What else the constructor's sensitive_features may be, besides column names.
_OTHER_FORMS = (", a column position or a non-empty list of positions (not mixed "
                "with names), or a function of X")
# What to do when names are given but X has none.
_NAMES_NEED_A_FRAME = ("Give column positions (int) instead, or pass the values to "
                       "fit_resample(X, y, sensitive_features=...).")


def _is_positions(spec: Any) -> bool:
    def is_int(value):
        return isinstance(value, Integral) and not isinstance(value, bool)

    return is_int(spec) or (
        isinstance(spec, list) and len(spec) > 0 and all(is_int(s) for s in spec)
    )


def _by_position(X: Any, spec: int | list[int]) -> Any:
    positions = [spec] if isinstance(spec, Integral) else spec
    n_columns = X.shape[1] if hasattr(X, "shape") else np.shape(X)[1]
    bad = [p for p in positions if not -n_columns <= p < n_columns]
    if bad:
        raise ValueError(
            f"sensitive_features gives column position(s) {bad}, but X has only "
            f"{n_columns} columns."
        )
    if isinstance(X, pd.DataFrame):
        return X.iloc[:, spec]
    if sparse.issparse(X):
        columns = X.tocsc()[:, positions].toarray()
    else:
        columns = np.asarray(X)[:, positions]
    return columns if isinstance(spec, list) else columns[:, 0]


def sensitive_from_X(X: Any, spec: Any) -> Any:
    """Return the sensitive values that ``spec`` points to in ``X``.

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix
        The data as the user gave it, before validation (column names need
        the DataFrame).
    spec : str, int, list of str or int, or callable
        Column names, column positions, or a function ``spec(X)`` returning
        one value (or one row of values) per sample.

    Returns
    -------
    values : array-like
        The values, one per row of ``X``.
    """
    if callable(spec):
        return spec(X)
    if _is_positions(spec):
        return _by_position(X, spec)
    column_names(spec, otherwise=_OTHER_FORMS)  # anything else must be names
    return read_columns(X, spec, fix=_NAMES_NEED_A_FRAME)
