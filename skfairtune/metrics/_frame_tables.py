"""MetricFrame's values as fairlearn's pandas tables, and as numbers to compare.

fairlearn builds ``by_group`` with a group-by that makes one Series per group
(all the metrics' values on that group) and stacks them. pandas types each
such row on its own (a row of numbers with a float in it is all floats) and
then each column; :func:`table` types the columns the same way, so that a
frame's dtypes (an integer ``count``, an object column of confusion
matrices, NaN for a combination that never occurs) are fairlearn's, while the
values themselves were computed without pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._frame_evaluate import is_number

MF_CONTAINS_NON_SCALAR = (
    "Metric frame contains non-scalar cells. Please remove non-scalar columns from your "
    "metric frame or use parameter errors='coerce'.")


def _is_float(value: Any) -> bool:
    return value is None or isinstance(value, (float, np.floating))


def _typed_like_rows(columns: list[np.ndarray]) -> list:
    """The columns typed as pandas types fairlearn's stacked group rows."""
    if all(c.dtype != object for c in columns):
        if any(c.dtype.kind == "f" for c in columns):
            return [c.astype(np.float64) for c in columns]
        return columns
    table = [c.astype(object) for c in columns]
    for r in range(len(table[0]) if table else 0):
        row = [c[r] for c in table]
        if (all(v is None or is_number(v) for v in row)
                and any(_is_float(v) for v in row)):
            for c in table:
                c[r] = np.nan if c[r] is None else float(c[r])
    return [pd.Series(c, dtype=object).infer_objects().array for c in table]


def table(names: list[str], columns: list[np.ndarray], index: pd.Index | None,
          present: np.ndarray, n_cells: int) -> pd.DataFrame | pd.Series:
    """One row per cell of ``index`` (NaN where a cell has no rows), one column per metric.

    ``columns[j]`` holds metric ``j`` on the cells ``present``. Without an
    index (no control features, for ``overall``) the result is a Series
    indexed by the metric names, as fairlearn gives it.
    """
    if index is None:
        if not names:
            return pd.Series(dtype=np.float64)
        return pd.Series({name: column[0] for name, column in zip(names, columns,
                                                                  strict=True)})
    data = dict(zip(names, _typed_like_rows(columns), strict=True))
    frame = pd.DataFrame(data, index=index[present], columns=pd.Index(names) if names else None)
    return frame if len(present) == n_cells else frame.reindex(index)


def float_values(column: np.ndarray, present: np.ndarray, n_cells: int) -> tuple[np.ndarray, bool]:
    """A metric's values as floats on every cell (NaN where empty or not a number).

    Returns the values and whether any was not a scalar number (an array,
    a string): what ``errors="raise"`` refuses and ``"coerce"`` reads as NaN.
    """
    full = np.full(n_cells, np.nan)
    if column.dtype != object:
        full[present] = column
        return full, False
    bad = False
    for k, value in zip(present, column, strict=True):
        if value is None:
            continue
        if is_number(value) or isinstance(value, (bool, np.bool_)):
            full[k] = float(value)
        else:
            bad = True
    return full, bad
