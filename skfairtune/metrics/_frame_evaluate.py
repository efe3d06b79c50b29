"""Each metric of a MetricFrame on every cell and every control cell.

A recognised metric (:mod:`._frame_kernels`) is read off per-cell sums, and
its ``overall`` off the same sums added over the sensitive cells; any other
metric is called once per cell that has rows, and once per control cell (on
all rows without control features), each time on that cell's rows in their
original order, as fairlearn's group-by hands them over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._frame_inputs import Grouping
from ._frame_kernels import Plan, Rows, plan_for


class Slices:
    """The rows of each code, in their original order, found with one stable sort."""

    def __init__(self, codes: np.ndarray, n_codes: int):
        self._order = np.argsort(codes, kind="stable")
        self._bounds = np.concatenate(
            [[0], np.cumsum(np.bincount(codes, minlength=n_codes))])

    def __getitem__(self, code: int) -> np.ndarray:
        return self._order[self._bounds[code]:self._bounds[code + 1]]


@dataclass
class Metric:
    """One metric of the frame, how it is computed, and its values.

    Attributes
    ----------
    name : str
    func : callable
    params : dict
        Its per-sample arguments, one row per sample.
    plan : Plan or None
        How it is read off the sums; None when it is called per cell.
    cells : ndarray
        Its value on each cell that has rows (numbers, or objects).
    overall : ndarray
        Its value on each control cell that has rows (one value without
        control features).
    """

    name: str
    func: Callable
    params: dict
    plan: Plan | None = None
    cells: Any = None
    overall: Any = None

    def call(self, y_true, y_pred, rows) -> Any:
        """The metric on ``rows`` (all rows when None)."""
        if rows is None:
            return self.func(y_true, y_pred, **self.params)
        kwargs = {key: value[rows] for key, value in self.params.items()}
        return self.func(y_true[rows], y_pred[rows], **kwargs)


class Evaluation:
    """The frame's rows, grouped, and what every metric gives on each group."""

    def __init__(self, y_true, y_pred, grouping: Grouping):
        self.y_true, self.y_pred, self.grouping = y_true, y_pred, grouping
        self.rows = Rows(y_true, y_pred, grouping.codes, grouping.n_cells)
        counts = grouping.counts
        self.cells = np.flatnonzero(counts)
        control = counts.reshape(grouping.n_control, grouping.n_sensitive).sum(1)
        self.controls = np.flatnonzero(control)
        self._slices: dict = {}

    def slices(self, control: bool) -> Slices | None:
        """The rows of each cell (of each control cell with ``control``)."""
        if control and self.grouping.n_control_columns == 0:
            return None  # one control cell: all rows
        if control not in self._slices:
            g = self.grouping
            self._slices[control] = (Slices(g.control_codes, g.n_control) if control
                                     else Slices(g.codes, g.n_cells))
        return self._slices[control]

    def run(self, metric: Metric) -> None:
        """Fill ``metric.cells`` and ``metric.overall``."""
        metric.plan = plan_for(metric.func, metric.params, self.rows)
        if metric.plan is None:
            metric.cells = _column([self._call(metric, k, False) for k in self.cells])
            metric.overall = _column([self._call(metric, c, True) for c in self.controls])
            return
        sums = [self.rows.sums(need) for need in metric.plan.needs]
        metric.cells = self._settle(metric, metric.plan.finish(*sums), False)
        by_control = [self.to_control(s) for s in sums]
        metric.overall = self._settle(metric, metric.plan.finish(*by_control), True)

    def to_control(self, sums: np.ndarray) -> np.ndarray:
        """Per-cell sums added up over the sensitive cells of each control cell."""
        g = self.grouping
        shape = sums.shape
        return sums.reshape(shape[0] // g.n_sensitive, g.n_sensitive, *shape[1:]).sum(1)

    def _call(self, metric: Metric, code: int, control: bool) -> Any:
        slices = self.slices(control)
        return metric.call(self.y_true, self.y_pred, None if slices is None else slices[code])

    def _settle(self, metric: Metric, read: tuple, control: bool) -> np.ndarray:
        """The values the sums settle; the metric itself for the others."""
        codes = self.controls if control else self.cells
        values, settled = read[0][codes], read[1][codes]
        if settled.all():
            return values
        values = values.astype(np.float64)
        for k in np.flatnonzero(~settled):
            value = self._call(metric, codes[k], control)
            if not is_number(value):
                values = values.astype(object)
            values[k] = value
        return values


def is_number(value: Any) -> bool:
    """A real number, not a boolean: what pandas types as int or float."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _column(values: list) -> np.ndarray:
    """Values as a numeric array where they are all numbers, else as objects."""
    if values and all(is_number(v) for v in values):
        return np.asarray(values)
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column
