"""Reading a metric and a fairness gap out of ``cv_results_``.

The refit rule and the Pareto front (in :mod:`skfairtune.model_selection`)
need the same two numbers per candidate, and the report's search table shows
the gaps; this is where a scorer's name becomes a column and a stored score
becomes a gap on its own scale, for all of them.

The sign rule: scikit-learn stores "greater is better", so our gap scorers
store ``-gap``. A refit callable sees only ``cv_results_``, not the scorer,
so the sign is read from the values: a gap is never negative, hence
candidates whose stored values are all <= 0 hold negated gaps, and all >= 0
hold the gaps themselves (a scorer made with ``greater_is_better=True``).
Stored values of both signs cannot be a gap and raise an error.
"""

from __future__ import annotations

import re

import numpy as np


def _available(cv_results: dict) -> list:
    prefix = "mean_test_"
    return sorted(k[len(prefix):] for k in cv_results if k.startswith(prefix))


def mean_test(cv_results: dict, name: str, role: str) -> np.ndarray:
    """The mean test score of scorer ``name``, with an error naming it if absent."""
    if not isinstance(name, str):
        raise ValueError(f"{role} must be the name of a scorer; got {name!r}.")
    key = f"mean_test_{name}"
    if key not in cv_results:
        raise ValueError(
            f"cv_results_ has no scorer {name!r} (the {role}); it has "
            f"{_available(cv_results)}. Name it in GridSearchCV's scoring dict, "
            f"e.g. scoring={{{name!r}: ...}}."
        )
    return np.asarray(cv_results[key], dtype=float)


def as_gap(stored: np.ndarray, name: str) -> np.ndarray:
    """Stored scores of a gap scorer, back on the gap's own (>= 0) scale."""
    finite = stored[np.isfinite(stored)]
    if finite.size and (finite > 0).any() and (finite < 0).any():
        raise ValueError(
            f"The scores stored for {name!r} have both signs, so they are not a "
            "gap (a gap is never negative, stored negated by skfairtune's "
            "scorers). Use a difference or an error as the constraint."
        )
    if finite.size and (finite <= 0).all():
        return -stored + 0.0  # + 0.0 turns -0.0 into 0.0, which prints as 0.000
    return stored


def metric_and_gap(cv_results: dict, metric: str, constraint: str):
    """Per candidate: the metric as stored (greater is better) and the gap."""
    score = mean_test(cv_results, metric, "metric")
    gap = as_gap(mean_test(cv_results, constraint, "constraint"), constraint)
    return score, gap


def fold_values(cv_results: dict, name: str) -> np.ndarray:
    """The per-fold test scores of scorer ``name``, shape (n_candidates, n_folds)."""
    pattern = re.compile(rf"split(\d+)_test_{re.escape(name)}")
    folds = sorted((int(m.group(1)), k) for k in cv_results if (m := pattern.fullmatch(k)))
    if not folds:
        return np.empty((0, 0))
    return np.column_stack([np.asarray(cv_results[k], dtype=float) for _, k in folds])


def gap_upper_bound(cv_results: dict, constraint: str, confidence: float) -> np.ndarray:
    """Per candidate, a one-sided upper confidence bound on the gap.

    The mean over folds plus Student's t quantile times the standard error of
    the fold values: the gap a candidate stays under with probability
    ``confidence`` if its folds were independent draws. They are not quite
    (the training parts overlap), so the bound is, if anything, optimistic;
    it still orders candidates by how much their gap varies, which a mean
    alone cannot.
    """
    from scipy.stats import t

    folds = fold_values(cv_results, constraint)
    if folds.shape[1] < 2:
        raise ValueError(
            f"confidence needs the per-fold scores of {constraint!r} "
            f"(split0_test_{constraint}, split1_test_{constraint}, ...) from at least "
            "two folds; cv_results_ has "
            f"{folds.shape[1]}."
        )
    gaps = as_gap(folds, constraint)
    k = folds.shape[1]
    spread = np.nanstd(gaps, axis=1, ddof=1) / np.sqrt(k)
    return np.nanmean(gaps, axis=1) + t.ppf(confidence, k - 1) * spread
