"""MetricFrame's comparisons between groups, on arrays, for one table or many.

``by`` holds each metric on each cell, shaped ``(..., n_control, n_sensitive,
n_metrics)`` with NaN where a cell has no rows; ``overall`` each metric on
each control cell, ``(..., n_control, n_metrics)``. The leading axes are
free: the point estimate has none, the bootstrap one axis of replicates, so
that every replicate's minimum, maximum, difference and ratio come from the
same few vectorised operations as the estimate's, as fairlearn computes them
with pandas (NaN skipped; a ratio above 1 inverted for ``to_overall``).
"""

from __future__ import annotations

import warnings

import numpy as np

METHODS = ("between_groups", "to_overall")


def _quiet(func):
    """Run ``func`` without numpy's warnings for all-NaN groups and 0/0."""
    def run(*args):
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return func(*args)
    run.__doc__ = func.__doc__
    return run


@_quiet
def group_min(by: np.ndarray) -> np.ndarray:
    """The smallest value over the sensitive cells of each control cell."""
    return np.nanmin(by, axis=-2)


@_quiet
def group_max(by: np.ndarray) -> np.ndarray:
    """The largest value over the sensitive cells of each control cell."""
    return np.nanmax(by, axis=-2)


@_quiet
def difference(by: np.ndarray, overall: np.ndarray, method: str) -> np.ndarray:
    """``group_max - group_min``, or the largest distance of a group from ``overall``."""
    if method == "between_groups":
        return group_max(by) - group_min(by)
    return np.nanmax(np.abs(by - overall[..., None, :]), axis=-2)


@_quiet
def ratio(by: np.ndarray, overall: np.ndarray, method: str) -> np.ndarray:
    """``group_min / group_max``, or the smallest ratio of a group to ``overall``.

    A ratio to ``overall`` above 1 is inverted, so that every ratio is at most
    1 whichever of the two is larger.
    """
    if method == "between_groups":
        return group_min(by) / group_max(by)
    ratios = by / overall[..., None, :]
    return np.nanmin(np.where(ratios > 1, 1 / ratios, ratios), axis=-2)


@_quiet
def quantiles(samples: np.ndarray, levels: list, skip_nan: bool) -> np.ndarray:
    """The ``levels`` quantiles over the first axis (the replicates).

    fairlearn skips a replicate's NaN in its tables (``by_group``, and every
    result with control features) but not in its Series (the other results
    without control features); ``skip_nan`` says which this is.
    """
    reduce = np.nanquantile if skip_nan else np.quantile
    return reduce(samples, levels, axis=0)
