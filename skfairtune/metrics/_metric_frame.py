"""``MetricFrame``: fairlearn's disaggregated metrics, computed without pandas group-bys.

fairlearn's ``MetricFrame`` splits the data with a pandas group-by and calls
each metric once per group, and builds a whole frame again for every
bootstrap replicate. Here the groups are integer codes (one encoding per
column, :mod:`._frame_inputs`); the metrics users reach for most are read off
per-cell sums (:mod:`._frame_kernels`), the ``overall`` row from the same
sums; any other metric is called once per group (:mod:`._frame_evaluate`).
The bootstrap resamples counts or row indices, never frames
(:mod:`._frame_bootstrap`), and every comparison between groups, of the
estimate and of all replicates at once, is a few array operations
(:mod:`._frame_compare`). The results are fairlearn's pandas objects, with
its index and column names and dtypes (:mod:`._frame_tables`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import fairlearn.metrics
import numpy as np
import pandas as pd

from . import _frame_compare as compare
from ._base import as_rows, check_lengths
from ._frame_bootstrap import bootstrap_rng, replicate
from ._frame_evaluate import Evaluation, Metric
from ._frame_inputs import (
    check_unique_names,
    encode_cells,
    feature_columns,
    named_metrics,
)
from ._frame_inputs import sample_params as per_metric_params
from ._frame_tables import MF_CONTAINS_NON_SCALAR, float_values, table

INVALID_ERRORS = "Invalid error value specified. Valid values are ['raise', 'coerce']"
INVALID_COMPARE_METHOD = "Unrecognised comparison method: {0}"
BOOTSTRAP_NEED_N_AND_CI = "Must specify both n_boot and ci_quantiles"
BOOTSTRAP_N_BOOT_INT_GT_ZERO = "Must have n_boot be a positive integer"
BOOTSTRAP_CI_INVALID = "Must have all ci_quantiles be floats in (0, 1)"
BOOTSTRAP_NOT_INITIALIZED = (
    "Could not compute confidence intervals: Bootstrapping parameters n_boot and "
    "ci_quantiles were not specified in the MetricFrame constructor.")


# A subclass of fairlearn's class, so that code written for fairlearn's frame
# (fairlearn.experimental's plot_metric_frame, a user's isinstance check)
# accepts this one. Every public name is defined here again: nothing of
# fairlearn's implementation runs (tests/metrics/test_metric_frame.py checks).
class MetricFrame(fairlearn.metrics.MetricFrame):
    """Metrics on the whole data and on each group, as fairlearn's ``MetricFrame``.

    :class:`fairlearn.metrics.MetricFrame` with the same arguments, results,
    index and column names, and errors, computed far faster: the metrics that
    skfairtune recognises (scikit-learn's ``accuracy_score``,
    ``precision_score`` and ``recall_score`` with their default arguments;
    ``selection_rate``, ``true_positive_rate``, ``false_positive_rate``,
    ``true_negative_rate``, ``false_negative_rate``, ``mean_prediction`` and
    ``count``, fairlearn's or skfairtune's) are read for every group at once
    off per-group confusion counts or sums; any other callable is called once
    per group, as fairlearn calls it. It is an instance of fairlearn's class,
    so code written for fairlearn's frame accepts it.

    Parameters
    ----------
    metrics : callable or dict of str to callable
        Each metric is called as ``metric(y_true, y_pred, **params)``. The
        results of a single callable are a value, Series or DataFrame where
        those of a dict are a Series, DataFrame or DataFrame (see
        ``overall``).
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predictions.
    sensitive_features : array-like, Series, DataFrame or dict of str to 1-D array
        The groups; several columns make intersectional groups, indexed by
        every combination of their values (NaN where one does not occur).
        Names come from a Series' name, a DataFrame's columns or a dict's
        keys and must be strings; unnamed columns are
        ``sensitive_feature_<i>``. Missing values are refused.
    control_features : same types as sensitive_features, default=None
        Columns that split the data as the sensitive ones do, but that are
        not compared over: ``overall`` holds one value per control group, and
        ``group_min``, ``difference`` and the others compare the sensitive
        groups within each control group. Unnamed ones are
        ``control_feature_<i>``.
    sample_params : dict, default=None
        Per-sample arguments (such as ``sample_weight``), split by group like
        ``y_true``. For a single callable, ``{name: array}``; for a dict of
        metrics, ``{metric_name: {name: array}}``.
    n_boot : int, default=None
        The number of bootstrap resamples of the rows; with
        ``ci_quantiles``, the ``*_ci`` results hold those quantiles of every
        result over the resamples.
    ci_quantiles : list of float, default=None
        Quantiles in (0, 1), such as ``[0.025, 0.975]``.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        Seeds the resampling.

    Attributes
    ----------
    by_group : pandas.Series or pandas.DataFrame
        Each metric on each group (and control group): a Series named after
        the callable, or a DataFrame with one column per metric.
    overall : object, pandas.Series or pandas.DataFrame
        Each metric on all rows (on each control group with control features).
    sensitive_levels : list of str
        The names of the sensitive columns, as levels of ``by_group``'s index.
    control_levels : list of str or None
        The names of the control columns (the first levels of the index).
    n_boot, ci_quantiles
        As given.
    overall_ci, by_group_ci : list
        With ``n_boot``: ``overall`` and ``by_group`` at each of the
        ``ci_quantiles`` over the resamples.

    See Also
    --------
    group_report : every per-group rate of a binary classifier, with
        bootstrap intervals.

    Examples
    --------
    >>> from sklearn.metrics import accuracy_score
    >>> from skfairtune.metrics import MetricFrame
    >>> mf = MetricFrame(metrics={"accuracy": accuracy_score},
    ...                  y_true=[1, 0, 1, 0, 1, 1], y_pred=[1, 1, 1, 0, 0, 1],
    ...                  sensitive_features=["a", "a", "b", "b", "b", "b"],
    ...                  control_features={"site": ["x", "y", "x", "y", "x", "y"]})
    >>> mf.by_group
                                      accuracy
    site sensitive_feature_0
    x    a                         1.0
         b                         0.5
    y    a                         0.0
         b                         1.0
    >>> mf.difference()
          accuracy
    site
    x          0.5
    y          1.0
    >>> mf = MetricFrame(metrics=accuracy_score, y_true=[1, 0, 1, 0] * 25,
    ...                  y_pred=[1, 1, 1, 0] * 25, sensitive_features=["a", "b"] * 50,
    ...                  n_boot=200, ci_quantiles=[0.05, 0.95], random_state=0)
    >>> mf.difference()
    np.float64(0.5)
    >>> low, high = mf.difference_ci()
    >>> bool(0.3 < low < 0.5 < high < 0.7)
    True
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
        n_boot: int | None = None,
        ci_quantiles: list[float] | None = None,
        random_state: Any = None,
    ) -> None:
        n = check_lengths(y_true=y_true, y_pred=y_pred)
        y, p = as_rows(y_true, "y_true"), as_rows(y_pred, "y_pred")
        functions, self._user_supplied_callable = named_metrics(metrics)
        params = per_metric_params(sample_params, functions, self._user_supplied_callable, n)
        sensitive = feature_columns(sensitive_features, "sensitive_feature_", n,
                                    "sensitive_features")
        control = [] if control_features is None else feature_columns(
            control_features, "control_feature_", n, "control_features")
        check_unique_names([name for name, _ in sensitive + control])
        self._sf_names = [name for name, _ in sensitive]
        self._cf_names = [name for name, _ in control] or None
        self._n_boot, self._ci_quantiles = _bootstrap_args(n_boot, ci_quantiles)
        evaluation = Evaluation(y, p, encode_cells(control, sensitive, n))
        frame_metrics = [Metric(name, func, params[name]) for name, func in functions.items()]
        for metric in frame_metrics:
            evaluation.run(metric)
        self._tabulate(evaluation, frame_metrics)
        self._ci = None
        if self._bootstrapped():
            rng = bootstrap_rng(random_state)
            self._ci = self._intervals(*replicate(evaluation, frame_metrics, self._n_boot,
                                                  rng))

    # ------------------------------------------------------------ results

    @property
    def overall(self) -> Any:
        """Each metric on all rows, or on each control group.

        A single callable without control features gives its value; with
        them, a Series indexed by the control groups. A dict of metrics gives
        a Series indexed by the metric names, or a DataFrame with one row per
        control group.
        """
        return self._extract(self._overall.copy(), by_group=False)

    @property
    def by_group(self) -> pd.Series | pd.DataFrame:
        """Each metric on each group: a Series for a callable, a DataFrame for a dict."""
        return self._extract(self._by_group.copy(), by_group=True)

    @property
    def sensitive_levels(self) -> list[str]:
        """The names of the sensitive features (levels of ``by_group``'s index)."""
        return list(self._sf_names)

    @property
    def control_levels(self) -> list[str] | None:
        """The names of the control features, the first levels of the index; or None."""
        return None if self._cf_names is None else list(self._cf_names)

    @property
    def n_boot(self) -> int | None:
        """The number of bootstrap resamples, as given."""
        return self._n_boot

    @property
    def ci_quantiles(self) -> list[float] | None:
        """The quantiles of the ``*_ci`` results, as given."""
        return self._ci_quantiles

    def group_min(self, errors: str = "raise") -> Any:
        """The smallest value of each metric over the sensitive groups.

        Parameters
        ----------
        errors : {"raise", "coerce"}, default="raise"
            What a metric with non-scalar values gets: a ``ValueError``, or NaN.

        Returns
        -------
        object, pandas.Series or pandas.DataFrame
            Typed as ``overall``.
        """
        return self._compare(compare.group_min, errors)

    def group_max(self, errors: str = "raise") -> Any:
        """The largest value of each metric over the sensitive groups.

        Parameters
        ----------
        errors : {"raise", "coerce"}, default="raise"
            What a metric with non-scalar values gets: a ``ValueError``, or NaN.

        Returns
        -------
        object, pandas.Series or pandas.DataFrame
            Typed as ``overall``.
        """
        return self._compare(compare.group_max, errors)

    def difference(self, method: str = "between_groups", errors: str = "coerce") -> Any:
        """The largest difference of each metric between groups.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            ``group_max() - group_min()``, or the largest distance of a group
            from ``overall`` (of its control group).
        errors : {"raise", "coerce"}, default="coerce"
            What a metric with non-scalar values gets: a ``ValueError``, or NaN.

        Returns
        -------
        object, pandas.Series or pandas.DataFrame
            Typed as ``overall``.
        """
        return self._compare(compare.difference, errors, method)

    def ratio(self, method: str = "between_groups", errors: str = "coerce") -> Any:
        """The smallest ratio of each metric between groups (at most 1).

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            ``group_min() / group_max()``, or the smallest ratio of a group to
            ``overall`` (of its control group), inverted where above 1.
        errors : {"raise", "coerce"}, default="coerce"
            What a metric with non-scalar values gets: a ``ValueError``, or NaN.

        Returns
        -------
        object, pandas.Series or pandas.DataFrame
            Typed as ``overall``.
        """
        return self._compare(compare.ratio, errors, method)

    # ------------------------------------------------- bootstrap intervals

    @property
    def overall_ci(self) -> list:
        """``overall`` at each of ``ci_quantiles`` over the bootstrap resamples."""
        return self._ci_results("overall")

    @property
    def by_group_ci(self) -> list:
        """``by_group`` at each of ``ci_quantiles`` over the bootstrap resamples."""
        return self._ci_results("by_group")

    def group_min_ci(self) -> list:
        """``group_min()`` at each of ``ci_quantiles`` over the bootstrap resamples.

        Returns
        -------
        list
            One result per quantile, each typed as ``group_min()``.
        """
        return self._ci_results("group_min")

    def group_max_ci(self) -> list:
        """``group_max()`` at each of ``ci_quantiles`` over the bootstrap resamples.

        Returns
        -------
        list
            One result per quantile, each typed as ``group_max()``.
        """
        return self._ci_results("group_max")

    def difference_ci(self, method: str = "between_groups") -> list:
        """``difference(method)`` at each of ``ci_quantiles`` over the resamples.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            As in :meth:`difference`.

        Returns
        -------
        list
            One result per quantile, each typed as ``difference()``.
        """
        _check_method(method)
        return self._ci_results(("difference", method))

    def ratio_ci(self, method: str = "between_groups") -> list:
        """``ratio(method)`` at each of ``ci_quantiles`` over the resamples.

        Parameters
        ----------
        method : {"between_groups", "to_overall"}, default="between_groups"
            As in :meth:`ratio`.

        Returns
        -------
        list
            One result per quantile, each typed as ``ratio()``.
        """
        _check_method(method)
        return self._ci_results(("ratio", method))

    # ------------------------------------------------------------ helpers

    def _tabulate(self, evaluation: Evaluation, metrics: list[Metric]) -> None:
        """The pandas results and the numbers that the comparisons read."""
        g = evaluation.grouping
        self._names = [m.name for m in metrics]
        self._by_group = table(self._names, [m.cells for m in metrics], g.index(),
                               evaluation.cells, g.n_cells)
        self._control_index = g.index(control_only=True)
        self._overall = table(self._names, [m.overall for m in metrics],
                              self._control_index, evaluation.controls, g.n_control)
        self._by_group_index = self._by_group.index
        cells = [float_values(m.cells, evaluation.cells, g.n_cells) for m in metrics]
        totals = [float_values(m.overall, evaluation.controls, g.n_control) for m in metrics]
        shape = (g.n_control, g.n_sensitive, len(metrics))
        self._by = np.stack([c for c, _ in cells], axis=-1).reshape(shape) if metrics \
            else np.empty(shape)
        self._total = np.stack([t for t, _ in totals], axis=-1) if metrics \
            else np.empty((g.n_control, 0))
        self._non_scalar = np.array([a or b for (_, a), (_, b) in zip(cells, totals,
                                                                      strict=True)], bool)
        self._integer = np.array([self._by_group[name].dtype.kind in "iu"
                                  for name in self._names], bool)

    def _compare(self, operation: Callable, errors: str, *method: str) -> Any:
        if errors not in ("raise", "coerce"):
            raise ValueError(INVALID_ERRORS)
        if method:
            _check_method(method[0])
        if errors == "raise" and self._non_scalar.any():
            raise ValueError(MF_CONTAINS_NON_SCALAR)
        by, total = self._by.copy(), self._total.copy()
        by[..., self._non_scalar], total[..., self._non_scalar] = np.nan, np.nan
        values = operation(by, total, *method) if method else operation(by)
        # min, max and differences of integers (counts) stay integers.
        return self._wrap(values, keep_integers=operation is not compare.ratio)

    def _wrap(self, values: np.ndarray, keep_integers: bool = False) -> Any:
        """Per control group and metric values, typed as fairlearn types them."""
        columns = []
        for j in range(len(self._names)):
            column = values[:, j]
            if keep_integers and self._integer[j] and np.isfinite(column).all():
                column = column.astype(np.int64)
            columns.append(column)
        control = np.arange(values.shape[0])
        result = table(self._names, columns, self._control_index, control, len(control))
        return self._extract(result, by_group=False)

    def _extract(self, result: pd.Series | pd.DataFrame, by_group: bool) -> Any:
        """The result of a single callable unwrapped, as fairlearn unwraps it."""
        if not self._user_supplied_callable:
            return result
        if by_group or self._cf_names is not None:
            return result.iloc[:, 0]
        return result.iloc[0]

    def _bootstrapped(self) -> bool:
        return bool(self._ci_quantiles) and self._n_boot is not None

    def _intervals(self, by: np.ndarray, total: np.ndarray) -> dict:
        """Every result's quantiles over the replicates, as arrays."""
        levels, skip = self._ci_quantiles, self._cf_names is not None
        cells = by.reshape(by.shape[0], *self._by.shape)
        out = {"by_group": compare.quantiles(by, levels, True),
               "overall": compare.quantiles(total, levels, skip),
               "group_min": compare.quantiles(compare.group_min(cells), levels, skip),
               "group_max": compare.quantiles(compare.group_max(cells), levels, skip)}
        for method in compare.METHODS:
            for name in ("difference", "ratio"):
                values = getattr(compare, name)(cells, total, method)
                out[(name, method)] = compare.quantiles(values, levels, skip)
        return out

    def _ci_results(self, key) -> list:
        if not self._bootstrapped():
            raise ValueError(BOOTSTRAP_NOT_INITIALIZED)
        if key != "by_group":
            return [self._wrap(values) for values in self._ci[key]]
        return [self._extract(pd.DataFrame(values, index=self._by_group_index,
                                           columns=self._by_group.columns), by_group=True)
                for values in self._ci[key]]


def _check_method(method: str) -> None:
    if method not in compare.METHODS:
        raise ValueError(INVALID_COMPARE_METHOD.format(method))


def _bootstrap_args(n_boot: Any, ci_quantiles: Any) -> tuple:
    """``n_boot`` and ``ci_quantiles`` checked as fairlearn checks them."""
    wanted = ci_quantiles is not None and len(ci_quantiles) > 0
    if n_boot is not None and wanted:
        if (not isinstance(n_boot, numbers.Integral) or isinstance(n_boot, bool)
                or n_boot < 1):
            raise ValueError(BOOTSTRAP_N_BOOT_INT_GT_ZERO)
        for level in ci_quantiles:
            if not isinstance(level, float) or not 0 < level < 1:
                raise ValueError(BOOTSTRAP_CI_INVALID)
    elif (n_boot is not None) or wanted:
        raise ValueError(BOOTSTRAP_NEED_N_AND_CI)
    return n_boot, None if ci_quantiles is None else list(ci_quantiles)


__all__ = ["MetricFrame"]
