"""The metrics MetricFrame recognises, read off per-cell sums.

The metrics users reach for most (accuracy, precision, recall, selection
rate, the confusion rates, the mean prediction, the count) are functions of a
few additive sums per cell: the weighted confusion counts, or a weighted sum
and the total weight. Each sum is one ``bincount`` over the rows, shared by
every metric of the frame that reads it. Because the sums add up, the same
numbers also give each control cell's ``overall`` (summed over the sensitive
cells) and each bootstrap replicate's values (the sums of the resampled
rows), with no second pass over the data.

A recognised metric is read off the sums only where they settle its value:
where it divides by zero, or where fairlearn's per-group choice of the
positive label could differ, :attr:`Plan.settled` is False and the metric
itself is called, so the numbers (and the warnings) are the metric's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._group_stats import confusion_cells, count_cells

# A sum is asked for as a tuple: ("confusion", weight), ("sum", values,
# weight), ("total", weight) or ("rows",). ``weight`` is the key of weights
# given to ``Rows.add_weight``, or None for counts.


class Rows:
    """The rows of a frame (or of bootstrap replicates) and their per-cell sums.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_samples,) or None
        Labels and predictions (None for replicates, which read the arrays
        derived from them).
    codes : ndarray of shape (n_samples,) or None
        The cell of each row, in ``[0, n_cells)``.
    n_cells : int
        The number of cells.
    """

    def __init__(self, y_true, y_pred, codes, n_cells: int):
        self.y_true, self.y_pred, self.n_cells = y_true, y_pred, n_cells
        self._arrays: dict = {} if codes is None else {"codes": codes}
        self._sums: dict = {}
        self._drawn = None  # (rows, draws, offsets) for replicates

    @property
    def codes(self) -> np.ndarray:
        return self.array("codes")

    def array(self, name):
        """A per-row array (codes, weights, or derived from y and p), made once."""
        if name not in self._arrays:
            self._arrays[name] = (_DERIVED[name](self) if self._drawn is None
                                  else self._draw(name))
        return self._arrays[name]

    def add_weight(self, key, weight: np.ndarray) -> None:
        """Register validated weights under ``key`` (the requests' weight)."""
        self._arrays[("weight", key)] = weight

    def has_weight(self, key) -> bool:
        return ("weight", key) in self._arrays

    @property
    def binary(self) -> bool:
        """Whether labels and predictions are both 0/1 (numbers or booleans)."""
        if self._drawn is not None:
            return self._drawn[0].binary
        return self.array("y01") is not None and self.array("p01") is not None

    def sums(self, request: tuple) -> np.ndarray:
        """The per-cell sum ``request`` asks for (see the module's comment)."""
        if request not in self._sums:
            self._sums[request] = self._sum(request)
        return self._sums[request]

    def _sum(self, request: tuple) -> np.ndarray:
        kind = request[0]
        key = None if kind == "rows" else request[-1]
        weight = None if key is None else self.array(("weight", key))
        if kind == "confusion":
            return count_cells(self.array("cell4"), weight, self.n_cells)
        if kind == "rows":
            if self.binary:
                # The plain confusion counts hold the row counts, and the
                # confusion plans of the frame read them too: no extra pass.
                return self.sums(("confusion", None)).sum((1, 2)).astype(np.int64)
            return np.bincount(self.codes, minlength=self.n_cells)
        if kind == "total" and weight is None:
            return self.sums(("rows",)).astype(np.float64)
        values = self.array(request[1]) if kind == "sum" else 1.0
        if weight is not None:
            values = values * weight
        return np.bincount(self.codes, weights=np.broadcast_to(values, self.codes.shape),
                           minlength=self.n_cells)

    def resample(self, draws: np.ndarray) -> Rows:
        """The rows of bootstrap replicates, one block of cells per replicate.

        ``draws[r]`` are the rows replicate ``r`` draws. The replicates'
        per-row arrays are drawn from these rows' only when a request needs
        them, so that the same requests give the replicates' sums, shaped
        ``(n_replicates * n_cells, ...)``.
        """
        n_rep = draws.shape[0]
        out = Rows(None, None, None, n_rep * self.n_cells)
        offsets = (np.arange(n_rep, dtype=np.int64) * self.n_cells)[:, None]
        out._drawn = (self, draws, offsets)
        return out

    def known_sums(self, n_cells: int, sums: dict) -> Rows:
        """Replicates of these rows known by their sums alone (drawn counts)."""
        out = Rows(None, None, None, n_cells)
        out._drawn = (self, None, None)
        out._sums = dict(sums)
        return out

    def _draw(self, name) -> np.ndarray:
        rows, draws, offsets = self._drawn
        values = rows.array(name)[draws]
        if name in ("codes", "cell4"):  # each replicate's cells come after the last's
            values += offsets * (4 if name == "cell4" else 1)
        return values.ravel()


def _zero_one(values) -> np.ndarray | None:
    """``values`` as int64 0/1 when they are 0/1 numbers or booleans, else None."""
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        return None
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    ones = values == 1
    if not (ones | (values == 0)).all():
        return None
    return values if values.dtype == np.int64 else ones.astype(np.int64)


_DERIVED: dict[str, Callable] = {
    "y01": lambda rows: _zero_one(rows.y_true),
    "p01": lambda rows: _zero_one(rows.y_pred),
    "cell4": lambda rows: confusion_cells(rows.array("y01"), rows.array("p01"), rows.codes),
    "equal": lambda rows: (rows.y_true == rows.y_pred).astype(np.float64),
    "selected": lambda rows: (rows.y_pred == 1).astype(np.float64),
    "prediction": lambda rows: rows.y_pred.astype(np.float64),
}


@dataclass(frozen=True)
class Plan:
    """How one recognised metric reads its value off per-cell sums.

    Attributes
    ----------
    needs : tuple of tuple
        The sums it reads, in the order ``finish`` takes them.
    finish : callable
        ``finish(*sums) -> (values, settled)`` for any number of cells.
    weight : object
        The key of its weights (None without weights).
    confusion : bool
        Whether ``needs[0]`` is its confusion counts: a cell the counts do not
        settle can then be handed to the metric as four weighted rows.
    """

    needs: tuple
    finish: Callable
    weight: object = None
    confusion: bool = False


def _divide(top, bottom, settled=True):
    safe = np.where(bottom > 0, bottom, 1.0)
    return top / safe, np.asarray(settled) & (bottom > 0)


def _confusion_plan(read: Callable, weight, plain: bool = False) -> Plan:
    """A plan over the weighted confusion counts ``c[:, label, prediction]``."""
    needs = (("confusion", weight),) + ((("confusion", None),) if plain else ())
    return Plan(needs, read, weight, confusion=True)


def _mean_plan(values: str, weight) -> Plan:
    return Plan((("sum", values, weight), ("total", weight)), _divide, weight)


def _accuracy(rows: Rows, weight):
    if rows.binary:
        return _confusion_plan(
            lambda c: _divide(c[:, 0, 0] + c[:, 1, 1], c.sum((1, 2))), weight)
    y, p = rows.y_true, rows.y_pred
    kinds = {y.dtype.kind, p.dtype.kind}
    if y.ndim == 1 and kinds <= {"i", "u"}:
        return _mean_plan("equal", weight)
    return None  # strings, floats, several outputs: the metric decides


def _sklearn_rate(kind: str):
    """Recall or precision with their defaults (pos_label=1, binary)."""
    def plan(rows: Rows, weight):
        if not rows.binary:
            return None
        if kind == "recall":
            return _confusion_plan(lambda c: _divide(c[:, 1, 1], c[:, 1, :].sum(1)), weight)
        return _confusion_plan(lambda c: _divide(c[:, 1, 1], c[:, :, 1].sum(1)), weight)
    return plan


def _fairlearn_rate(label: int, prediction: int):
    """fairlearn's ``P(pred == prediction | true == label)``.

    fairlearn picks the positive label per group (the largest value there), so
    only cells where both 0 and 1 occur read it off the shared counts.
    """
    def read(c, plain):
        ones = plain[:, 1, :].sum(1) + plain[:, 0, 1]
        zeros = plain[:, 0, :].sum(1) + plain[:, 1, 0]
        return _divide(c[:, label, prediction], c[:, label, :].sum(1),
                       (ones > 0) & (zeros > 0))

    def plan(rows: Rows, weight):
        return _confusion_plan(read, weight, plain=True) if rows.binary else None
    return plan


def _selection_rate(rows: Rows, weight):
    if rows.binary:
        return _confusion_plan(lambda c: _divide(c[:, :, 1].sum(1), c.sum((1, 2))), weight)
    if rows.y_pred.ndim != 1 or rows.y_pred.dtype.kind not in "biuf":
        return None
    return _mean_plan("selected", weight)


def _mean_prediction(rows: Rows, weight):
    p = rows.y_pred
    if p.ndim != 1 or p.dtype.kind not in "biuf" or not np.isfinite(p).all():
        return None
    return _mean_plan("prediction", weight)


def _count(rows: Rows, weight):
    if weight is not None:
        return None  # count takes no weights: let it raise its own error
    return Plan((("rows",),), lambda n: (n, np.ones(n.shape, dtype=bool)))


_PLANS = {
    "accuracy_score": _accuracy,
    "recall_score": _sklearn_rate("recall"),
    "precision_score": _sklearn_rate("precision"),
    "selection_rate": _selection_rate,
    "mean_prediction": _mean_prediction,
    "count": _count,
    "true_positive_rate": _fairlearn_rate(1, 1),
    "false_negative_rate": _fairlearn_rate(1, 0),
    "false_positive_rate": _fairlearn_rate(0, 1),
    "true_negative_rate": _fairlearn_rate(0, 0),
}
_RECOGNISED: dict = {}


def _recognised() -> dict:
    """Each recognised function (scikit-learn's, fairlearn's, skfairtune's) to its plan.

    Built on first use: skfairtune's own base metrics, where it defines them,
    are found by name in :mod:`skfairtune.metrics` once it is imported.
    """
    if not _RECOGNISED:
        modules = [importlib.import_module(name) for name in
                   ("sklearn.metrics", "fairlearn.metrics", "skfairtune.metrics")]
        for name, plan in _PLANS.items():
            for module in modules:
                func = getattr(module, name, None)
                if callable(func):
                    _RECOGNISED[_key(func)] = plan
    return _RECOGNISED


def _key(func: Callable):
    try:
        hash(func)
    except TypeError:
        return None
    return func


def plan_for(func: Callable, params: dict, rows: Rows) -> Plan | None:
    """How to read ``func`` off the sums of ``rows``, or None to call it per cell."""
    plan = _recognised().get(_key(func))
    if plan is None or set(params) - {"sample_weight"} or rows.y_pred.ndim != 1:
        return None
    raw = params.get("sample_weight")
    if raw is None:
        return plan(rows, None)
    key = id(raw)  # metrics given the same weights share their sums
    if not rows.has_weight(key):
        weight = _checked_weight(raw)
        if weight is None:
            return None
        rows.add_weight(key, weight)
    return plan(rows, key)


def _checked_weight(weight: np.ndarray) -> np.ndarray | None:
    """Weights as float64, or None where only the metric itself should read them."""
    if weight.ndim != 1 or weight.dtype.kind not in "biuf":
        return None
    weight = weight.astype(np.float64)
    if not np.isfinite(weight).all() or (weight < 0).any():
        return None
    return weight
