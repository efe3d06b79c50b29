"""How many rows ``validation_fraction="auto"`` holds out for a budget.

Below the estimators and the model selection: an estimator sizes its slice
by it, and ``penalty_path`` over budgets pins one slice for every
warm-started step by it.
"""

from __future__ import annotations

import math

import numpy as np

# validation_fraction="auto": the share held out without a budget, and the
# largest share a budget may take (benchmarks/gap_estimate.py: past 0.3 the
# rows lost to training cost more accuracy than the better estimate gains).
BASE_FRACTION = 0.1
LARGEST_FRACTION = 0.3
# A slice of this many rows tells two epochs' accuracies apart to about a
# point: a large table need hold out no more for choosing and stopping, so
# its budget alone decides how many more it gives up.
ACCURACY_ROWS = 5000


def rows_per_group(max_gap: float) -> float:
    """The rows a group needs on the slice for its rate's standard error to
    be at most ``max_gap / 2`` (the guide's ``2 / B**2``: a rate near one
    half, two groups)."""
    return math.inf if max_gap <= 0 else 2.0 / max_gap**2


def auto_fraction(groups: np.ndarray, max_gap: float | None) -> float:
    """The share of the rows that ``validation_fraction="auto"`` holds out.

    Without a budget, :data:`BASE_FRACTION`. With one, the share that gives
    the smallest group :func:`rows_per_group` rows on the slice, within
    :data:`LARGEST_FRACTION`, and at least the base share, or on a table of
    more than ``ACCURACY_ROWS / BASE_FRACTION`` rows at least
    :data:`ACCURACY_ROWS` rows: a large table gives up no more rows than its
    budget and the choice of epoch need.

    Parameters
    ----------
    groups : ndarray of shape (n_rows,)
        The group ids; negative for a row whose group is missing.
    max_gap : float or None
        The budget (constraint mode), or None.

    Returns
    -------
    float
        The share, in (0, :data:`LARGEST_FRACTION`].
    """
    n_rows = max(len(groups), 1)
    if max_gap is None:
        return BASE_FRACTION
    floor = min(BASE_FRACTION, ACCURACY_ROWS / n_rows)
    known = np.asarray(groups)[np.asarray(groups) >= 0]
    sizes = np.bincount(known) if known.size else np.zeros(0, dtype=np.int64)
    sizes = sizes[sizes > 0]
    if sizes.size < 2:  # no gap to estimate
        return floor
    return float(min(LARGEST_FRACTION, max(floor, rows_per_group(max_gap) / sizes.min())))
