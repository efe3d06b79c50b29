"""What :class:`~skfairtune.metrics.MetricFrame` reads, checked as fairlearn checks it.

The metrics and their per-sample arguments, and the sensitive and control
features as named columns, each encoded once as sorted integer codes. The
codes of all columns make one mixed-radix cell code per row (control columns
first, as in fairlearn's index), so that every later step is a ``bincount``
or a slice of one sorted order, never a pandas group-by.

Messages that fairlearn users' code matches on are fairlearn's, word for word
(``FAIRLEARN_MESSAGES``); ours add what was wrong after them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._groups import encode_groups
from .._validation import check_n_rows

DUPLICATE_FEATURE_NAME = "Detected duplicate feature name: '{0}'"
FEATURE_LIST_NONSCALAR = "Feature lists must be of scalar types"
FEATURE_DF_COLUMN_BAD_NAME = "DataFrame column names must be strings. Name '{0}' is of type {1}"
SERIES_NAME_NOT_STRING = "Series name must be a string. Value '{0}' was of type {1}"
FEATURE_HAS_MISSING_VALUES = ("Feature '{0}' contains missing values. Remove or replace "
                              "them before constructing a MetricFrame")
TOO_MANY_FEATURE_DIMS = "Feature array has too many dimensions"
SF_DICT_CONVERSION_FAILURE = (
    "DataFrame.from_dict() failed on sensitive features. Please ensure each array is "
    "strictly 1-D. The __cause__ field of this exception may contain further information.")
SAMPLE_PARAMS_NOT_DICT = "Sample parameters must be a dictionary"
SAMPLE_PARAM_KEYS_NOT_IN_FUNC_DICT = "Keys in 'sample_params' do not match those in 'metric'"
METRIC_FUNCTION_NONE = "Found 'None' instead of metric function"
METRIC_FUNCTION_NOT_CALLABLE = "Object passed as metric function not callable"

# Kinds of values ``pd.api.types.infer_dtype`` reports for a list of scalars:
# such a list needs no element-by-element check.
_SCALAR_KINDS = {"string", "integer", "floating", "boolean", "mixed-integer-float",
                 "decimal", "datetime", "datetime64", "date", "timedelta",
                 "timedelta64", "time", "period", "empty"}


def named_metrics(metrics: Any) -> tuple[dict[str, Callable], bool]:
    """The metrics by name, and whether the user gave a single callable.

    A callable is named after its ``__name__`` (``"metric"``, with a warning,
    when it has none), as fairlearn names it.
    """
    if isinstance(metrics, dict):
        for name, func in metrics.items():
            _check_callable(func, f"metrics[{name!r}]")
        return dict(metrics), False
    _check_callable(metrics, "metrics")
    name = getattr(metrics, "__name__", None)
    if name is None:
        warnings.warn("Supplied 'func' had no __name__ attribute; its column is named "
                      "'metric'.", UserWarning, stacklevel=3)
        name = "metric"
    return {name: metrics}, True


def _check_callable(func: Any, where: str) -> None:
    if func is None:
        raise ValueError(f"{METRIC_FUNCTION_NONE}: {where} is None.")
    if not callable(func):
        raise ValueError(f"{METRIC_FUNCTION_NOT_CALLABLE}: {where} must be a callable "
                         f"(or metrics a dict of callables); got {type(func).__name__}.")


def sample_params(params: Any, functions: dict, single: bool, n: int) -> dict[str, dict]:
    """Per metric, its per-sample arguments as arrays with ``n`` rows.

    For a single callable ``params`` is ``{argument: array}``; for a dict of
    metrics ``{metric_name: {argument: array}}``. Arguments given as None are
    left out, as fairlearn leaves them out.
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValueError(f"{SAMPLE_PARAMS_NOT_DICT}: sample_params is a "
                         f"{type(params).__name__}.")
    if single:
        params = {next(iter(functions)): params}
    unknown = set(params) - set(functions)
    if unknown:
        raise ValueError(f"{SAMPLE_PARAM_KEYS_NOT_IN_FUNC_DICT}: sample_params has keys "
                         f"{sorted(map(str, unknown))} that are not metrics; the metrics "
                         f"are {list(functions)}.")
    return {name: _param_arrays(params.get(name, {}), name, n) for name in functions}


def _param_arrays(params: Any, metric: str, n: int) -> dict[str, np.ndarray]:
    if not isinstance(params, dict):
        raise ValueError(f"{SAMPLE_PARAMS_NOT_DICT}: sample_params[{metric!r}] must be a "
                         f"dict of per-sample arguments; got {type(params).__name__}.")
    arrays = {}
    for key, value in params.items():
        if value is None:
            continue
        array = np.asarray(value)
        if array.ndim == 0 or array.shape[0] != n:
            raise ValueError(f"sample_params {key!r} of metric {metric!r} must have one "
                             f"row per sample ({n}); got shape {array.shape}.")
        arrays[key] = array
    return arrays


# ------------------------------------------------------------ group columns


def feature_columns(features: Any, base: str, n: int, argument: str) -> list[tuple[str, Any]]:
    """``(name, values)`` of each column of ``features``, checked as fairlearn does.

    Names come from a Series' name, a DataFrame's columns or a dict's keys and
    must be strings; unnamed columns are called ``base`` + their position.
    A list must hold scalars (a list of tuples is refused, as in fairlearn; a
    Series or 1-D object array of tuples is one column whose groups are the
    tuples). Missing values are refused.
    """
    if hasattr(features, "detach"):  # torch tensors
        features = features.detach().cpu().numpy()
    if isinstance(features, pd.Series):
        columns = [(_series_name(features, f"{base}0"), features)]
    elif isinstance(features, pd.DataFrame):
        columns = _frame_columns(features)
    elif isinstance(features, dict):
        try:
            frame = pd.DataFrame.from_dict(features)
        except ValueError as error:
            raise ValueError(SF_DICT_CONVERSION_FAILURE) from error
        columns = _frame_columns(frame)
    else:
        columns = _array_columns(features, base)
    for name, values in columns:
        check_n_rows(len(values), n, name=f"{argument} {name!r}", reference="y_true")
        _check_missing(name, values)
    return columns


def _series_name(series: pd.Series, default: str) -> str:
    if series.name is None:
        return default
    if not isinstance(series.name, str):
        raise ValueError(SERIES_NAME_NOT_STRING.format(series.name, type(series.name)))
    return series.name


def _frame_columns(frame: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    columns = []
    for j, name in enumerate(frame.columns):
        if not isinstance(name, str):
            raise ValueError(FEATURE_DF_COLUMN_BAD_NAME.format(name, type(name)))
        columns.append((name, frame.iloc[:, j]))
    return columns


def _array_columns(features: Any, base: str) -> list[tuple[str, np.ndarray]]:
    if isinstance(features, list):
        array = np.asarray(features, dtype=object)
        if array.ndim != 1 or not _all_scalars(array):
            raise ValueError(FEATURE_LIST_NONSCALAR)
    else:
        # dtype=object keeps numbers and strings apart, and a NaN a NaN.
        array = np.asarray(features, dtype=object)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
    if array.ndim == 1:
        return [(f"{base}0", array)]
    if array.ndim == 2:
        return [(f"{base}{j}", array[:, j]) for j in range(array.shape[1])]
    raise ValueError(f"{TOO_MANY_FEATURE_DIMS}: got an array of shape {array.shape}; "
                     "give one column per feature (1-D or 2-D).")


def _all_scalars(array: np.ndarray) -> bool:
    if pd.api.types.infer_dtype(array, skipna=True) in _SCALAR_KINDS:
        return True
    return all(pd.api.types.is_scalar(value) for value in array)


def _check_missing(name: str, values: Any) -> None:
    missing = np.asarray(pd.isna(values), dtype=bool)
    if missing.any():
        rows = np.flatnonzero(missing)
        raise ValueError(f"{FEATURE_HAS_MISSING_VALUES.format(name)}: {rows.size} row(s), "
                         f"the first at position {rows[0]}.")


def check_unique_names(names: list[str]) -> None:
    """Refuse a name given to two sensitive or control features."""
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(DUPLICATE_FEATURE_NAME.format(name))
        seen.add(name)


# ------------------------------------------------------------------ cells


@dataclass(frozen=True)
class Grouping:
    """Every row's cell: one combination of control and sensitive values.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,)
        The cell of each row, ``control_cell * n_sensitive + sensitive_cell``.
    levels : list of list
        The sorted values of each column, control columns first.
    names : list of str
        The column names, control columns first.
    n_control_columns : int
        How many of the columns are control features.
    """

    codes: np.ndarray
    levels: list
    names: list
    n_control_columns: int

    @property
    def n_cells(self) -> int:
        return self.n_control * self.n_sensitive

    @property
    def n_control(self) -> int:
        return math.prod(len(level) for level in self.levels[: self.n_control_columns])

    @property
    def n_sensitive(self) -> int:
        return math.prod(len(level) for level in self.levels[self.n_control_columns:])

    @cached_property
    def control_codes(self) -> np.ndarray:
        """The control cell of each row (0 everywhere without control features)."""
        return self.codes // self.n_sensitive

    @cached_property
    def counts(self) -> np.ndarray:
        """The number of rows in each cell."""
        return np.bincount(self.codes, minlength=self.n_cells)

    def index(self, control_only: bool = False) -> pd.Index | None:
        """fairlearn's index of the cells, or of the control cells.

        One column gives an index of its values; several give every
        combination of their values (``MultiIndex.from_product``), where a
        combination that never occurs reads NaN. None for the control cells
        of a frame without control features.
        """
        stop = self.n_control_columns if control_only else len(self.levels)
        if stop == 0:
            return None
        levels = [_level_index(values) for values in self.levels[:stop]]
        if stop == 1:
            return levels[0].rename(self.names[0])
        return pd.MultiIndex.from_product(levels, names=self.names[:stop])


def _level_index(values: list) -> pd.Index:
    # Tuple values are labels of one level, not the levels of a MultiIndex.
    return pd.Index(values, tupleize_cols=False)


def encode_cells(control: list[tuple[str, Any]], sensitive: list[tuple[str, Any]],
                 n: int) -> Grouping:
    """One integer code per row over all the columns, control columns first."""
    columns = control + sensitive
    encoded = [_sorted_codes(values, name, n) for name, values in columns]
    size = math.prod(len(labels) for _, labels in encoded)
    if size > 2**31:
        raise ValueError(
            f"The sensitive and control features have {size} combinations of values; "
            "MetricFrame indexes every combination, as fairlearn does, which is too "
            "many to hold. Use fewer features or coarser values.")
    codes = encoded[0][0]
    for column_codes, labels in encoded[1:]:
        codes = codes * len(labels) + column_codes
    return Grouping(codes=codes, levels=[labels for _, labels in encoded],
                    names=[name for name, _ in columns], n_control_columns=len(control))


def _sorted_codes(values: Any, name: str, n: int) -> tuple[np.ndarray, list]:
    """One column's codes, numbered in the sorted order of its values.

    A column alone needs no combining: pandas' ``factorize`` gives its codes
    in one hashing pass (``encode_groups`` costs twice as much for it). A
    categorical (whose codes follow its categories, not its values, while
    fairlearn sorts by value) and values that do not compare go through
    :func:`~skfairtune._groups.encode_groups`.
    """
    if not isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        try:
            codes, uniques = pd.factorize(values, sort=True)
        except TypeError:
            pass
        else:
            return codes.astype(np.int64, copy=False), list(uniques)
    encoding = encode_groups(values, n_samples=n, name=name, reference="y_true")
    return encoding.codes, encoding.labels
