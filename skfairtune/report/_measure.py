"""What a report measures of one model on held-out rows: rates, gaps with
bootstrap intervals, and each group's calibration.

The chosen model and the base it was fine-tuned from are measured by the same
function, so that the report's before/after numbers are comparable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from skfairtune.metrics import UndefinedGroupWarning, group_report

from .._groups import group_index

# Groups with fewer held-out rows than this get a caveat: their rates move by
# tenths from one sample to the next.
SMALL_GROUP = 50
# Bins of the calibration error (equal width on [0, 1], as reliability diagrams).
CALIBRATION_BINS = 10
# Draws of labels from a perfectly calibrated model's own scores, and the share
# of them a group's error must exceed to be told from noise.
CALIBRATION_DRAWS = 400
CALIBRATION_LEVEL = 0.95


@dataclass
class Measured:
    """One model on the held-out rows.

    ``groups`` is the point ``group_report`` (with AUC when there are
    scores); ``fairness`` the named gaps, with ``low`` and ``high`` columns
    when bootstrapped; ``intervals`` the per-group rates' bounds (columns
    ``(rate, "low")`` and ``(rate, "high")``) or None; ``calibration`` each
    group's calibration or None without scores.
    """

    groups: pd.DataFrame
    fairness: pd.DataFrame
    intervals: pd.DataFrame | None
    calibration: pd.DataFrame | None
    y_pred: np.ndarray
    score: np.ndarray | None


def measure(estimator: Any, X: Any, y: np.ndarray, positive: Any, *,
            encoding, classes: list, boot: dict | None) -> Measured:
    """Measure ``estimator`` on held-out rows.

    ``encoding`` is the rows' groups (a ``GroupEncoding``), coded once by the
    report: every table here reads it, and no part codes the rows again.
    ``boot`` holds ``n_boot``, ``confidence`` and ``random_state`` for the
    intervals, or is None for point values only.
    """
    y_pred = np.asarray(estimator.predict(X))
    score = positive_scores(estimator, X, classes, positive)
    with warnings.catch_warnings():
        # An undefined rate shows as a dash in the table: the warning adds nothing.
        warnings.simplefilter("ignore", UndefinedGroupWarning)
        groups = group_report(y, y_pred, sensitive_features=encoding, y_score=score,
                              pos_label=positive)
        fairness, intervals = groups.attrs["fairness"], None
        if boot is not None:
            # Without scores the bootstrap draws (group, label, prediction) cells:
            # a thousand replicates cost next to nothing, whatever the rows.
            sampled = group_report(y, y_pred, sensitive_features=encoding,
                                   pos_label=positive, **boot)
            fairness, intervals = sampled.attrs["fairness"], sampled.drop(
                columns="value", level=1)
    calibration = None if score is None else calibration_by_group(
        (y == positive).astype(float), score, encoding)
    return Measured(groups, fairness, intervals, calibration, y_pred, score)


def positive_scores(estimator: Any, X: Any, classes: list, positive: Any):
    """The positive class's predicted probability, or None without ``predict_proba``."""
    if not hasattr(estimator, "predict_proba"):
        return None
    proba = np.asarray(estimator.predict_proba(X))
    return proba[:, classes.index(positive)].astype(float)


def calibration_by_group(y: np.ndarray, score: np.ndarray, encoding) -> pd.DataFrame:
    """Each group's mean score, share of positives and calibration error.

    The calibration error is the expected calibration error: over ten
    equal-width bins of the score, the row-weighted mean of the distance
    between the bin's mean score and its share of positives. Zero is a
    perfectly calibrated group; 0.1 means its probabilities are off by a
    tenth on average.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        1.0 for the positive class, 0.0 otherwise.
    score : ndarray of shape (n_samples,)
        The positive class's predicted probability.
    encoding : GroupEncoding
        The rows' groups.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``mean_score``, ``share_positive``,
        ``calibration_error`` and ``calibration_noise``; NaN for a group
        without rows. ``calibration_noise`` is the error that a perfectly
        calibrated model would exceed only 5% of the time on the group's
        rows (labels drawn from its own scores, bin by bin): on a few hundred
        rows the error of a perfect model is 0.05 and more, so only an error
        above this level says the scores are off.

    Examples
    --------
    >>> import numpy as np
    >>> from skfairtune._groups import encode_groups
    >>> from skfairtune.report._measure import calibration_by_group
    >>> groups = encode_groups(np.array(["a", "a", "b", "b"]), n_samples=4)
    >>> frame = calibration_by_group(np.array([1.0, 0, 1, 1]),
    ...                              np.array([0.9, 0.1, 0.5, 0.5]), groups)
    >>> frame["calibration_error"].round(2).tolist()
    [0.1, 0.5]
    """
    g, codes = encoding.n_groups, encoding.codes
    bins = np.minimum((np.clip(score, 0, 1) * CALIBRATION_BINS).astype(int),
                      CALIBRATION_BINS - 1)
    cells = codes * CALIBRATION_BINS + bins
    size = CALIBRATION_BINS * g
    count = np.bincount(cells, minlength=size).reshape(g, -1)
    scores = np.bincount(cells, weights=score, minlength=size).reshape(g, -1)
    positives = np.bincount(cells, weights=y, minlength=size).reshape(g, -1)
    rows = count.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.abs(scores - positives).sum(axis=1) / rows
        frame = pd.DataFrame({"mean_score": scores.sum(axis=1) / rows,
                              "share_positive": positives.sum(axis=1) / rows,
                              "calibration_error": error,
                              "calibration_noise": _calibration_noise(count, scores, rows)},
                             index=group_index(encoding))
    return frame


def _calibration_noise(count: np.ndarray, scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    # A bin's positives under perfect calibration: binomial at the bin's mean
    # score (the sum of its rows' Bernoulli draws, to within their spread). A
    # fixed seed: the same rows give the same report.
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(count > 0, scores / np.maximum(count, 1), 0.0)
    draws = np.random.default_rng(0).binomial(count, np.clip(p, 0, 1),
                                              size=(CALIBRATION_DRAWS, *count.shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        errors = np.abs(scores - draws).sum(axis=2) / rows
    return np.quantile(errors, CALIBRATION_LEVEL, axis=0)
