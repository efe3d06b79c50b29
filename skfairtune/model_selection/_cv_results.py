"""Reading a metric and a fairness gap out of ``cv_results_``.

Both the refit rule and the Pareto front need the same two numbers per
candidate; this is where a scorer's name becomes a column and a stored score
becomes a gap on its own scale.

The sign rule: scikit-learn stores "greater is better", so our gap scorers
store ``-gap``. A refit callable sees only ``cv_results_``, not the scorer,
so the sign is read from the values: a gap is never negative, hence
candidates whose stored values are all <= 0 hold negated gaps, and all >= 0
hold the gaps themselves (a scorer made with ``greater_is_better=True``).
Stored values of both signs cannot be a gap and raise an error.
"""

from __future__ import annotations

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
