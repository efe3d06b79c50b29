"""``MetricFrame``: fairlearn's disaggregated metrics, computed in one pass.

fairlearn's ``MetricFrame`` splits the data with a pandas group-by and calls
each metric once per group. Here the groups are integer codes (one
:func:`~skfairtune._groups.encode_groups` pass), and the metrics users reach
for most (accuracy, precision, recall, selection rate, the confusion rates,
the mean prediction, the count) are recognised and read off one weighted
``bincount`` of the confusion cells for every group at once. Any other metric
is called once per group on that group's rows, as fairlearn does.

A recognised metric is only read off the counts where the counts settle its
value: a group where the metric divides by zero, or where fairlearn's
per-group choice of the positive label would differ, is handed to the metric
itself, so the numbers (and the warnings) are the metric's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._group_stats import confusion_counts, segment_sum
from .._groups import GroupEncoding
from ._base import as_rows, check_lengths, encode

_METHODS = ("between_groups", "to_overall")
_ERRORS = ("raise", "coerce")


class MetricFrame:
    """Metrics computed on the whole data and on each group, like fairlearn's.

    The parts of :class:`fairlearn.metrics.MetricFrame` used most, with the
    same results: ``by_group``, ``overall``, ``difference``, ``ratio``,
    ``group_min`` and ``group_max``. Metrics that skfairtune recognises
    (scikit-learn's ``accuracy_score``, ``precision_score`` and
    ``recall_score`` with their default arguments; fairlearn's
    ``selection_rate``, ``true_positive_rate``, ``false_positive_rate``,
    ``true_negative_rate``, ``false_negative_rate``, ``mean_prediction`` and
    ``count``) are computed for all groups in one vectorised pass when the
    labels are 0/1; any other callable is called once per group.

    Parameters
    ----------
    metrics : callable or dict of str to callable
        Each metric is called as ``metric(y_true, y_pred, **params)``.
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predictions.
    sensitive_features : array-like, Series, DataFrame or dict
        The groups; several columns make intersectional groups, indexed by
        every combination of their values (NaN where one does not occur), as
        in fairlearn. Missing values are refused.
    control_features : None
        Not supported: passing anything raises a ``ValueError``.
    sample_params : dict, default=None
        Per-sample arguments (such as ``sample_weight``), split by group like
        ``y_true``. For a single callable, ``{name: array}``; for a dict of
        metrics, ``{metric_name: {name: array}}``.

    Attributes
    ----------
    by_group : pandas.Series or pandas.DataFrame
        Each metric on each group: a Series (named after the callable) for a
        single callable, a DataFrame with one column per metric for a dict.
    overall : object or pandas.Series
        Each metric on all rows: the metric's value for a single callable, a
        Series indexed by the metric names for a dict.
    sensitive_levels : list of str
        The names of the sensitive columns.

    See Also
    --------
    group_report : every per-group rate of a binary classifier, with
        bootstrap intervals.

    Examples
    --------
    >>> from sklearn.metrics import accuracy_score
    >>> from fairlearn.metrics import selection_rate
    >>> from skfairtune.metrics import MetricFrame
    >>> mf = MetricFrame(metrics={"accuracy": accuracy_score,
    ...                           "selection_rate": selection_rate},
    ...                  y_true=[1, 0, 1, 0], y_pred=[1, 1, 1, 0],
    ...                  sensitive_features=["a", "a", "b", "b"])
    >>> mf.by_group
                        accuracy  selection_rate
    sensitive_feature_0
    a                        0.5             1.0
    b                        1.0             0.5
    >>> mf.difference().to_dict()
    {'accuracy': 0.5, 'selection_rate': 0.5}
    """

    def __init__(
        self,
        *,
        metrics: Callable | dict[str, Callable],
        y_true: Any,
        y_pred: Any,
        sensitive_features: Any,
        control_features: Any = None,
        sample_params: dict | None = None,
    ) -> None:
        if control_features is not None:
            raise ValueError(
                "control_features is not supported by skfairtune's MetricFrame; "
                "use fairlearn.metrics.MetricFrame for control features, or add "
                "those columns to sensitive_features.")
        functions, self._single = _named_metrics(metrics)
        n = check_lengths(y_true=y_true, y_pred=y_pred)
        params = _sample_params(sample_params, functions, self._single, n)
        encoding = encode(sensitive_features, n)
        data = _Data(as_rows(y_true, "y_true"), as_rows(y_pred, "y_pred"), encoding)
        groups, overall = {}, {}
        for name, func in functions.items():
            groups[name], overall[name] = _evaluate(func, data, params[name])
        self.sensitive_levels = list(encoding.names)
        self._by_group = _by_group_frame(groups, encoding)
        self._overall = pd.Series(overall, dtype=_dtype(overall.values()))

    @property
    def by_group(self) -> pd.Series | pd.DataFrame:
        """Each metric on each group (see the class docstring)."""
        return self._by_group.iloc[:, 0].copy() if self._single else self._by_group.copy()

    @property
    def overall(self) -> Any:
        """Each metric on all rows (see the class docstring)."""
        return self._overall.iloc[0] if self._single else self._overall.copy()

    def group_min(self, errors: str = "raise") -> Any:
        """The smallest value of each metric over the groups.

        Parameters
        ----------
        errors : {"raise", "coerce"}, default="raise"
            What a metric with non-scalar values gets: an error, or NaN.

        Returns
        -------
        object or pandas.Series
            A value for a single callable, a Series for a dict of metrics.
        """
        return self._result(self._scalars(errors).min())

    def group_max(self, errors: str = "raise") -> Any:
        """The largest value of each metric over the groups.

        Parameters
        ----------
        errors : {"raise", "coerce"}, default="raise"
            What a metric with non-scalar values gets: an error, or NaN.

        Returns
        -------
        object or pandas.Series
            A value for a single callable, a Series for a dict of metrics.
        """
        return self._result(self._scalars(errors).max())

    def difference(self, method: str = "between_groups", errors: str = "coerce") -> Any:
        """The largest difference of each metric between groups.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            ``group_max() - group_min()``, or the largest distance of a group
            from ``overall``.
        errors : {"raise", "coerce"}, default="coerce"
            What a metric with non-scalar values gets: an error, or NaN.

        Returns
        -------
        float or pandas.Series
        """
        scalars = self._scalars(errors, method=method)
        if method == "between_groups":
            return self._result(scalars.max() - scalars.min())
        return self._result((scalars - self._scalar_overall()).abs().max())

    def ratio(self, method: str = "between_groups", errors: str = "coerce") -> Any:
        """The smallest ratio of each metric between groups (at most 1).

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            ``group_min() / group_max()``, or the smallest ratio of a group
            to ``overall``, inverted where above 1.
        errors : {"raise", "coerce"}, default="coerce"
            What a metric with non-scalar values gets: an error, or NaN.

        Returns
        -------
        float or pandas.Series
        """
        scalars = self._scalars(errors, method=method)
        with np.errstate(divide="ignore", invalid="ignore"):
            if method == "between_groups":
                return self._result(scalars.min() / scalars.max())
            ratios = scalars / self._scalar_overall()
            return self._result(ratios.where(~(ratios > 1), 1 / ratios).min())

    def _scalars(self, errors: str, method: str = "between_groups") -> pd.DataFrame:
        """``by_group`` as numbers, after checking the arguments."""
        if errors not in _ERRORS:
            raise ValueError(f"errors must be one of {list(_ERRORS)}; got {errors!r}.")
        if method not in _METHODS:
            raise ValueError(f"method must be one of {list(_METHODS)}; got {method!r}.")
        frame = self._by_group
        scalar = frame.map(_is_scalar)
        if errors == "raise" and not scalar.all().all():
            raise ValueError(
                "Some metrics give non-scalar values per group; leave those metrics "
                "out or pass errors='coerce' to read them as NaN.")
        return frame.where(scalar).astype(float)

    def _scalar_overall(self) -> pd.Series:
        return self._overall.where(self._overall.map(_is_scalar)).astype(float)

    def _result(self, values: pd.Series) -> Any:
        return values.iloc[0] if self._single else values


def _is_scalar(value: Any) -> bool:
    return bool(np.isscalar(value)) or value is None


def _dtype(values) -> Any:
    return object if any(not np.isscalar(v) for v in values) else None


def _named_metrics(metrics: Any) -> tuple[dict, bool]:
    """The metrics by name, and whether the user gave a single callable."""
    if isinstance(metrics, dict):
        if not metrics:
            raise ValueError("metrics is an empty dict; give at least one metric.")
        for name, func in metrics.items():
            if not callable(func):
                raise ValueError(f"metrics[{name!r}] must be callable; got {func!r}.")
        return dict(metrics), False
    if not callable(metrics):
        raise ValueError("metrics must be a callable or a dict of callables; "
                         f"got {type(metrics).__name__}.")
    return {getattr(metrics, "__name__", "metric"): metrics}, True


def _sample_params(sample_params: Any, functions: dict, single: bool, n: int) -> dict:
    """Per metric, its per-sample arguments as arrays with ``n`` rows."""
    if sample_params is None:
        return {name: {} for name in functions}
    if not isinstance(sample_params, dict):
        raise ValueError("sample_params must be a dict; got "
                         f"{type(sample_params).__name__}.")
    if single:
        sample_params = {next(iter(functions)): sample_params}
    unknown = set(sample_params) - set(functions)
    if unknown:
        raise ValueError(f"sample_params has keys {sorted(unknown)} that are not "
                         f"metrics; the metrics are {list(functions)}.")
    return {name: _param_arrays(sample_params.get(name, {}), name, n)
            for name in functions}


def _param_arrays(params: Any, metric: str, n: int) -> dict:
    if not isinstance(params, dict):
        raise ValueError(f"sample_params[{metric!r}] must be a dict of per-sample "
                         f"arguments; got {type(params).__name__}.")
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




class _Data:
    """Labels, predictions and groups, with each group's rows found once."""

    def __init__(self, y_true: np.ndarray, y_pred: np.ndarray, encoding: GroupEncoding):
        self.y_true, self.y_pred, self.encoding = y_true, y_pred, encoding
        self.codes, self.n_groups = encoding.codes, encoding.n_groups
        self._rows = None
        self._cache: dict = {}

    def cached(self, key, make: Callable):
        """What ``make()`` returns, made once per key: the metrics of one frame
        share their confusion counts and weights."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def whole(self) -> _Data:
        """The same rows as one group: what ``overall`` reads."""
        return self.cached("whole", lambda: _Data(
            self.y_true, self.y_pred,
            GroupEncoding(np.zeros(len(self.codes), dtype=np.int64), [0], ["all"])))

    def group_rows(self, group: int) -> np.ndarray:
        if self._rows is None:  # one sort serves every metric that needs it
            order = np.argsort(self.codes, kind="stable")
            bounds = np.cumsum(np.bincount(self.codes, minlength=self.n_groups))
            self._rows = np.split(order, bounds[:-1])
        return self._rows[group]


def _evaluate(func: Callable, data: _Data, params: dict) -> tuple[list, Any]:
    """The metric on each group and on all rows: fast where it can be."""
    fast = _fast_values(func, data, params)
    groups = []
    for g in range(data.n_groups):
        if fast is not None and fast[1][g]:
            groups.append(fast[0][g])
        else:
            groups.append(_call(func, data, params, data.group_rows(g)))
    return groups, _overall(func, data, params)


def _overall(func: Callable, data: _Data, params: dict) -> Any:
    fast = _fast_values(func, data.whole(), params)
    if fast is not None and fast[1][0]:
        return fast[0][0]
    return func(data.y_true, data.y_pred, **params)


def _call(func: Callable, data: _Data, params: dict, rows: np.ndarray) -> Any:
    kwargs = {key: value[rows] for key, value in params.items()}
    return func(data.y_true[rows], data.y_pred[rows], **kwargs)


def _by_group_frame(groups: dict, encoding: GroupEncoding) -> pd.DataFrame:
    """One row per group (every combination of values for several columns)."""
    columns = {name: pd.Series(values, dtype=_dtype(values))
               for name, values in groups.items()}
    if len(encoding.names) == 1:
        index = pd.Index(encoding.labels, name=encoding.names[0])
        return pd.DataFrame(columns).set_axis(index)
    present = pd.MultiIndex.from_tuples(encoding.labels, names=encoding.names)
    frame = pd.DataFrame(columns).set_axis(present)
    levels = [sorted(set(level)) for level in zip(*encoding.labels)]
    return frame.reindex(pd.MultiIndex.from_product(levels, names=encoding.names))


# ---------------------------------------------------------------- fast path


def _fast_values(func: Callable, data: _Data, params: dict):
    """``(values, settled)`` per group for a recognised metric, else None.

    ``settled[g]`` is False where the counts do not settle the metric's value
    (it divides by zero there, or picks another positive label): that group
    is then handed to the metric itself.
    """
    kernel = _KERNELS().get(_key(func))
    if kernel is None or set(params) - {"sample_weight"} or data.y_pred.ndim != 1:
        return None
    raw = params.get("sample_weight")
    # Keyed by the array itself: metrics given the same weights share counts.
    key = None if raw is None else id(raw)
    weight = data.cached(("weight", key), lambda: _fast_weight(raw))
    if weight is False:
        return None
    return kernel(data, weight, key)


def _key(func: Callable):
    try:
        hash(func)
    except TypeError:
        return None
    return func


def _fast_weight(weight: np.ndarray | None):
    """Weights as float64, or False where only the metric itself should read them."""
    if weight is None:
        return None
    if weight.ndim != 1 or weight.dtype.kind not in "biuf":
        return False
    weight = weight.astype(np.float64)
    if not np.isfinite(weight).all() or (weight < 0).any():
        return False
    return weight


def _binary(values: np.ndarray) -> np.ndarray | None:
    """``values == 1`` when ``values`` are 0/1 numbers or booleans, else None."""
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        return None
    if values.dtype.kind == "b":
        return values
    ones = values == 1
    if not (ones | (values == 0)).all():
        return None
    return ones


def _cells(data: _Data, weight, key):
    """Weighted and plain confusion counts per group, or None if not 0/1."""
    return data.cached(("cells", key), lambda: _count_cells(data, weight))


def _count_cells(data: _Data, weight):
    y, p = _binary(data.y_true), _binary(data.y_pred)
    if y is None or p is None:
        return None
    t, q = y.astype(np.int64), p.astype(np.int64)
    plain = confusion_counts(t, q, data.codes, None, data.n_groups)
    weighted = plain if weight is None else confusion_counts(
        t, q, data.codes, weight, data.n_groups)
    return weighted, plain


def _divide(top: np.ndarray, bottom: np.ndarray, settled: np.ndarray):
    safe = np.where(bottom > 0, bottom, 1.0)
    return top / safe, settled & (bottom > 0)


def _sklearn_rate(kind: str):
    """Recall or precision with pos_label=1: NaN-free where the divisor is > 0."""
    def kernel(data: _Data, weight, key):
        cells = _cells(data, weight, key)
        if cells is None:
            return None
        c = cells[0]
        tp = c[:, 1, 1]
        bottom = c[:, 1, :].sum(1) if kind == "recall" else c[:, :, 1].sum(1)
        return _divide(tp, bottom, np.ones(data.n_groups, dtype=bool))
    return kernel


def _fairlearn_rate(label: int, prediction: int):
    """fairlearn's confusion rate ``P(pred == prediction | true == label)``.

    fairlearn picks the positive label per group (the largest value there), so
    only groups where both 0 and 1 occur read it off the shared counts.
    """
    def kernel(data: _Data, weight, key):
        cells = _cells(data, weight, key)
        if cells is None:
            return None
        c, plain = cells
        ones = plain[:, 1, :].sum(1) + plain[:, 0, 1]
        zeros = plain[:, 0, :].sum(1) + plain[:, 1, 0]
        return _divide(c[:, label, prediction], c[:, label, :].sum(1),
                       (ones > 0) & (zeros > 0))
    return kernel


def _weighted_mean(values: np.ndarray, data: _Data, weight, key):
    w = np.ones(len(values)) if weight is None else weight
    sums = segment_sum(values * w, data.codes, data.n_groups)
    totals = data.cached(("totals", key), lambda: segment_sum(w, data.codes, data.n_groups))
    return _divide(sums, totals, np.ones(data.n_groups, dtype=bool))


def _accuracy(data: _Data, weight, key):
    y, p = data.y_true, data.y_pred
    kinds = {y.dtype.kind, p.dtype.kind}
    integers = y.ndim == 1 and (kinds <= {"i", "u"} or kinds == {"b"})
    if not integers and (_binary(y) is None or _binary(p) is None):
        return None  # strings, floats, several outputs: the metric decides
    return _weighted_mean((y == p).astype(np.float64), data, weight, key)


def _selection_rate(data: _Data, weight, key):
    if data.y_pred.dtype.kind not in "biuf":
        return None
    return _weighted_mean((data.y_pred == 1).astype(np.float64), data, weight, key)


def _mean_prediction(data: _Data, weight, key):
    if data.y_pred.dtype.kind not in "biuf" or not np.isfinite(data.y_pred).all():
        return None
    return _weighted_mean(data.y_pred.astype(np.float64), data, weight, key)


def _count(data: _Data, weight, key):
    if weight is not None:
        return None  # count takes no weights: let it raise its own error
    counts = np.bincount(data.codes, minlength=data.n_groups)
    return counts, np.ones(data.n_groups, dtype=bool)


_CACHE: dict = {}


def _KERNELS() -> dict:  # noqa: N802 - a constant, built on first use
    """The recognised metric functions and their vectorised kernels."""
    if not _CACHE:
        import fairlearn.metrics as flm
        import sklearn.metrics as skm

        _CACHE.update({
            skm.accuracy_score: _accuracy,
            skm.recall_score: _sklearn_rate("recall"),
            skm.precision_score: _sklearn_rate("precision"),
            flm.selection_rate: _selection_rate,
            flm.mean_prediction: _mean_prediction,
            flm.count: _count,
            flm.true_positive_rate: _fairlearn_rate(1, 1),
            flm.false_negative_rate: _fairlearn_rate(1, 0),
            flm.false_positive_rate: _fairlearn_rate(0, 1),
            flm.true_negative_rate: _fairlearn_rate(0, 0),
        })
    return _CACHE


__all__ = ["MetricFrame"]
