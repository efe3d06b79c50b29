"""``group_report``: every per-group rate, the gaps, and bootstrap intervals.

The bootstrap resamples *atoms*, rows that are interchangeable: without
weights or scores, every row of a (group, label, prediction) cell is alike,
so a replicate is one multinomial draw over at most ``4 * n_groups`` cells and
a thousand replicates cost next to nothing. With weights or scores the atoms
are the rows, resampled in bounded chunks. Either way a replicate is only a
column of multiplicities that flows through the same ``bincount`` path as the
point estimate. The named metrics' intervals are read off the replicates'
per-group rates (``_group_stats.spread_interval`` and its kin), one
vectorised step, not a gap computed per replicate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._deprecation import keyword_only
from .._group_stats import (
    cells_as_rows,
    confusion_counts,
    ratio,
    ratio_interval,
    segment_sum,
    smallest_interval,
    spread,
    spread_interval,
    worst_group,
)
from .._groups import GroupEncoding, encode_groups, group_index
from .._validation import check_n_rows
from ..notions import NOTIONS
from ._auc import ScoreOrder, auc_by_group
from ._base import (
    as_1d,
    check_finite,
    warn_undefined,
)
from ._classification import RATES, _prepare, rate_table

# Bound on the draws held at once when rows are resampled (numbers, not bytes).
_CHUNK = 4_000_000
_WHY_UNDEFINED = {
    **{key: rate.undefined for key, rate in RATES.items() if rate.among != "all"},
    "auc": "only one class",
}


@dataclass
class _Atoms:
    """Interchangeable units of the data: each with its group, label,
    prediction, score, weight and multiplicity."""

    ids: np.ndarray
    y: np.ndarray
    p: np.ndarray
    weight: np.ndarray
    size: np.ndarray
    n_groups: int
    order: ScoreOrder | None = None
    is_cells: bool = False


def _atoms(y, p, enc, weight, score, weighted) -> _Atoms:
    if score is not None or weighted:
        # Sorted once by group and score, so that no replicate re-sorts.
        rows = np.lexsort((score, enc.codes)) if score is not None else slice(None)
        ids = enc.codes[rows]
        order = None if score is None else ScoreOrder(ids, score[rows])
        return _Atoms(ids, y[rows], p[rows], weight[rows], np.ones(y.shape[0]),
                      enc.n_groups, order)
    counts = confusion_counts(y, p, enc.codes, None, enc.n_groups).reshape(-1)
    kept = np.flatnonzero(counts)  # cells that occur
    return _Atoms(kept // 4, (kept // 2) % 2, kept % 2, np.ones(kept.size),
                  counts[kept], enc.n_groups, is_cells=True)


def _statistics(atoms: _Atoms, multiplicity: np.ndarray):
    """Per-group table and confusion counts under multiplicities of shape (n, k)."""
    g = atoms.n_groups
    mass = multiplicity * atoms.weight[:, None]
    counts = confusion_counts(atoms.y, atoms.p, atoms.ids, mass, g)
    table = rate_table(counts)
    table["count"] = segment_sum(multiplicity, atoms.ids, g)
    if atoms.order is not None:
        table["auc"] = auc_by_group(atoms.y.astype(bool), mass, atoms.order, g)
    return table, counts


def _named_gaps(counts: np.ndarray) -> dict:
    """The fairness metrics of one table of counts, by the notions themselves."""
    rows = cells_as_rows(counts)
    g = counts.shape[0]
    out = {}
    for notion in NOTIONS.values():
        if "classification" in notion.tasks:
            out[notion.metric_name("difference")] = float(notion.difference(*rows, g))
            out[notion.metric_name("ratio")] = float(notion.ratio(*rows, g))
    values, y, ids, weight = rows
    right = (values == y).astype(float)
    worst = worst_group(right, ids, weight, g, largest=False)
    out["worst_group_accuracy"] = float(worst)
    return out


def _column_gaps(values: np.ndarray) -> tuple[float, float]:
    """Between-group difference and ratio of one column, skipping NaN groups."""
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    return float(spread(filled, present)), float(ratio(filled, present))


def _draws(atoms: _Atoms, n_boot: int, rng):
    """Bootstrap multiplicities of the atoms, a chunk of replicates at a time."""
    n_rows = int(round(atoms.size.sum()))
    if atoms.is_cells:
        yield rng.multinomial(n_rows, atoms.size / n_rows, size=n_boot).T
        return
    chunk = max(1, _CHUNK // n_rows)
    for start in range(0, n_boot, chunk):
        k = min(chunk, n_boot - start)
        picks = rng.randint(0, n_rows, size=(k, n_rows))
        picks += (np.arange(k) * n_rows)[:, None]
        counts = np.bincount(picks.ravel(), minlength=k * n_rows)
        yield counts.reshape(k, n_rows).T.astype(np.float64)


def _replicates(atoms: _Atoms, n_boot: int, random_state) -> dict:
    """Per-group tables of ``n_boot`` bootstrap replicates, replicates last."""
    rng = check_random_state(random_state)
    tables = [_statistics(atoms, multiplicity)[0]
              for multiplicity in _draws(atoms, n_boot, rng)]
    return {k: np.concatenate([t[k] for t in tables], axis=1) for k in tables[0]}


def _interval(samples: np.ndarray, point: np.ndarray, confidence: float):
    """Percentile interval over the last axis, ignoring undefined replicates.

    For one group's rate, a smooth statistic, where percentiles serve; the
    bounds are widened to the estimate where a skewed replicate distribution
    would leave it outside (an interval always holds its own estimate).
    """
    tail = (1.0 - confidence) / 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        low = np.nanquantile(samples, tail, axis=-1)
        high = np.nanquantile(samples, 1.0 - tail, axis=-1)
    return _holding(low, high, point)


def _holding(low, high, point):
    """Bounds widened to hold ``point``; NaN where ``point`` is (undefined)."""
    undefined = np.isnan(point)
    low = np.where(undefined, np.nan, np.fmin(low, point))
    return low, np.where(undefined, np.nan, np.fmax(high, point))


def _named_intervals(point: dict, samples: dict, confidence: float) -> dict:
    """The bounds of each named fairness metric, from the per-group rates.

    A notion's gap is the worst over its rates of the largest-minus-smallest
    group (:meth:`~skfairtune.notions.Notion.compare`); its bounds are that
    comparison's extremes over a simultaneous band on the rates (see
    ``_group_stats``), not percentiles of replicated gaps, which are biased
    away from zero.
    """
    def stacked(table, keys):
        return np.stack([np.asarray(table[k], dtype=float) for k in keys])

    out = {}
    for notion in NOTIONS.values():
        if "classification" in notion.tasks:
            keys = [rate.key for rate in notion.rates]
            rates, replicated = stacked(point, keys), stacked(samples, keys)
            out[notion.metric_name("difference")] = spread_interval(
                rates, replicated, confidence)
            out[notion.metric_name("ratio")] = ratio_interval(rates, replicated, confidence)
    out["worst_group_accuracy"] = smallest_interval(
        np.asarray(point["accuracy"], dtype=float), samples["accuracy"], confidence)
    return out


def _check_boot(n_boot, confidence) -> None:
    if n_boot is not None and (
        not isinstance(n_boot, Integral) or isinstance(n_boot, bool) or n_boot < 1
    ):
        raise ValueError(f"n_boot must be None or a positive integer; got {n_boot!r}.")
    if not isinstance(confidence, Real) or not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")


_COLUMNS = ["count", "base_rate", "selection_rate", "accuracy", "precision",
            "tpr", "fpr", "auc"]


def _frames(table: dict, named: dict, index: pd.Index):
    """The per-group frame, the per-column gaps and the named gaps."""
    columns = [c for c in _COLUMNS if c in table]
    report = pd.DataFrame({c: table[c] for c in columns}, index=index)
    # Rows, whatever the weights: whole numbers, and shown as such.
    report["count"] = np.rint(report["count"]).astype(np.int64)
    gaps = pd.DataFrame(
        [[_column_gaps(report[c].to_numpy())[i] for c in columns] for i in (0, 1)],
        index=["difference", "ratio"], columns=columns,
    )
    fairness = pd.DataFrame({"value": pd.Series(named)})
    return report, gaps, fairness


def _with_intervals(frame: pd.DataFrame, low, high) -> pd.DataFrame:
    """Columns (metric, value/low/high) from a point frame and its bounds."""
    parts = {"value": frame, "low": low, "high": high}
    joined = pd.concat(parts, axis=1).swaplevel(axis=1)
    return joined[[(c, s) for c in frame.columns for s in parts]]


@keyword_only("sensitive_features", "y_score")
def group_report(
    y_true: Any,
    y_pred: Any,
    *,
    sensitive_features: Any,
    y_score: Any = None,
    sample_weight: Any = None,
    pos_label: Any = None,
    n_boot: int | None = None,
    random_state: Any = None,
    confidence: float = 0.95,
    missing_groups: str = "error",
) -> pd.DataFrame:
    """Per-group rates of a binary classifier, with the gaps between groups.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_pred : array-like of shape (n_samples,)
        Binary predictions.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_features)
        The groups; several columns make intersectional groups.
    y_score : array-like of shape (n_samples,), default=None
        Scores of the positive class; when given, the report has an AUC column.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights. The ``count`` column still counts rows (an integer
        column, whatever the weights); the rates are weighted.
    pos_label : scalar, default=None
        The positive label; None means 1 for {0, 1} or {-1, 1} labels.
    n_boot : int, default=None
        Number of bootstrap replicates for confidence intervals; None for none.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap.
    confidence : float, default=0.95
        Coverage of the two-sided intervals: percentile intervals for each
        group's rates; for the named gaps, ratios and worst-group accuracy,
        the extremes of the comparison over a bootstrap band that holds every
        group's rates at once (a percentile interval of a gap near zero is
        biased away from zero). Every interval holds its estimate.
    missing_groups : {"error", "ignore"}, default="error"
        What a missing value (NaN or None) in ``sensitive_features`` does:
        raise, or leave the row out of the report, whose
        ``attrs["n_missing_groups"]`` says how many rows had no group.

    Returns
    -------
    report : pandas.DataFrame
        One row per group (indexed by the group's value, one index level per
        sensitive column) and the columns ``count`` (the group's rows, as
        integers), ``base_rate``,
        ``selection_rate``, ``accuracy``, ``precision``, ``tpr`` (the recall),
        ``fpr`` and, with scores, ``auc``; NaN where a rate is undefined, with
        a warning naming the groups. With ``n_boot``, each column becomes
        ``(metric, "value")``, ``(metric, "low")`` and ``(metric, "high")``.
        Two frames ride in ``report.attrs``:

        - ``"gaps"``: rows ``"difference"`` (largest minus smallest group) and
          ``"ratio"`` (smallest over largest) of every column (point
          values only);
        - ``"fairness"``: the named metrics (``demographic_parity_difference``,
          ``equalized_odds_ratio``, ``worst_group_accuracy``, ...) in a
          ``"value"`` column, with ``"low"`` and ``"high"`` under ``n_boot``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfairtune.metrics import group_report
    >>> sex = pd.Series(["f", "f", "m", "m"], name="sex")
    >>> report = group_report([1, 0, 1, 0], [1, 1, 1, 0], sensitive_features=sex)
    >>> report[["count", "selection_rate", "accuracy"]]
         count  selection_rate  accuracy
    sex
    f          2             1.0       0.5
    m          2             0.5       1.0
    >>> float(report.attrs["fairness"].loc["demographic_parity_difference", "value"])
    0.5
    """
    _check_boot(n_boot, confidence)
    y_true, y_pred, sensitive_features, y_score, sample_weight, n_missing = _known_rows(
        missing_groups, y_true, y_pred, sensitive_features, y_score, sample_weight)
    y, p, enc, weight = _prepare(y_true, y_pred, sensitive_features, sample_weight,
                                 pos_label)
    score = None
    if y_score is not None:
        score = check_finite(as_1d(y_score, "y_score"), "y_score").astype(float)
        check_n_rows(score.shape[0], y.shape[0], name="y_score", reference="y_true")
    atoms = _atoms(y.astype(np.int64), p.astype(np.int64), enc, weight, score,
                   sample_weight is not None)
    table, counts = _statistics(atoms, atoms.size[:, None] * 1.0)
    table = {k: v[:, 0] for k, v in table.items()}
    for column, why in _WHY_UNDEFINED.items():
        if column in table:
            warn_undefined(~np.isnan(table[column]), enc, column, why)
    report, gaps, fairness = _frames(table, _named_gaps(counts[..., 0]), group_index(enc))
    if n_boot is not None:
        report, fairness = _bootstrapped(report, fairness, atoms, n_boot,
                                         random_state, confidence)
    report.attrs["gaps"] = gaps
    report.attrs["fairness"] = fairness
    report.attrs["n_missing_groups"] = n_missing
    return report


def _known_rows(missing_groups, y_true, y_pred, sensitive_features, y_score, sample_weight):
    """The arguments restricted to the rows whose group is known, and how many were not."""
    if missing_groups not in ("error", "ignore"):
        raise ValueError(
            f"missing_groups must be 'error' or 'ignore'; got {missing_groups!r}.")
    if missing_groups == "error":
        return y_true, y_pred, sensitive_features, y_score, sample_weight, 0
    enc = encode_groups(sensitive_features, n_samples=len(y_true), name="sensitive_features",
                        reference="y_true", missing="ignore")
    known = enc.codes >= 0
    pick = (lambda v: None if v is None else np.asarray(v)[known])  # noqa: E731
    # An encoding is taken as it is: its codes are the known rows' groups.
    groups = GroupEncoding(codes=enc.codes[known], labels=enc.labels, names=enc.names)
    return (pick(y_true), pick(y_pred), groups, pick(y_score), pick(sample_weight),
            enc.n_missing)


def _bootstrapped(report, fairness, atoms, n_boot, random_state, confidence):
    """The report and the named gaps with their intervals."""
    table = _replicates(atoms, n_boot, random_state)
    bounds = {c: _interval(table[c], report[c].to_numpy(dtype=float), confidence)
              for c in report.columns}
    low = pd.DataFrame({c: b[0] for c, b in bounds.items()}, index=report.index)
    high = pd.DataFrame({c: b[1] for c, b in bounds.items()}, index=report.index)
    # A count's bounds are counts too, rounded outwards.
    low["count"] = np.floor(low["count"]).astype(np.int64)
    high["count"] = np.ceil(high["count"]).astype(np.int64)
    named = _named_intervals({c: report[c].to_numpy() for c in report.columns}, table,
                             confidence)
    value = fairness["value"].to_numpy(dtype=float)
    fairness = fairness.assign(**dict(zip(("low", "high"), _holding(
        np.array([named[k][0] for k in fairness.index]),
        np.array([named[k][1] for k in fairness.index]), value))))
    return _with_intervals(report, low, high), fairness
