"""The accuracy/fairness Pareto front of a search, and its plot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._cv_results import metric_and_gap
from ._refit import DEGENERATE_KEY


def _front_mask(score: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Non-dominated candidates: none other is as good on both and better on one."""
    usable = np.flatnonzero(np.isfinite(score) & np.isfinite(gap))
    # Fairest first, and among equally fair the best first; then a candidate
    # is on the front when it beats every fairer one (or ties the last kept).
    order = usable[np.lexsort((-score[usable], gap[usable]))]
    keep = np.zeros(score.shape[0], dtype=bool)
    best, last = -np.inf, None
    for i in order:
        if score[i] > best or (last is not None and score[i] == best
                               and gap[i] == gap[last]):
            keep[i] = True
            best, last = score[i], i
    return keep


def pareto_front(
    cv_results: dict,
    *,
    metric: str = "accuracy",
    constraint: str = "demographic_parity_difference",
) -> pd.DataFrame:
    """The candidates that no other beats on both the metric and the gap.

    Parameters
    ----------
    cv_results : dict
        A search's ``cv_results_``, scored with a ``scoring`` dict.
    metric : str, default="accuracy"
        Key of the ``scoring`` dict to maximise.
    constraint : str, default="demographic_parity_difference"
        Key of the ``scoring`` dict of a gap (lower is fairer); read on its own
        scale as in :func:`budget_refit`.

    Returns
    -------
    pandas.DataFrame
        One row per candidate on the front, fairest first (so the metric
        rises down the table), indexed by the candidate's index in
        ``cv_results_``, with its ``params``, its ``param_*`` columns, the
        mean test ``metric`` and the gap (positive) under the ``constraint``
        name. With a ``"degenerate"`` scorer in the search
        (:func:`~skfairtune.metrics.make_degeneracy_scorer`), a boolean
        ``degenerate`` column marks the candidates that predicted one class
        overall or within a group, or no better than the majority class, on
        some fold.

    Examples
    --------
    >>> from skfairtune.model_selection import pareto_front
    >>> cv_results = {"params": [{"C": 1}, {"C": 2}, {"C": 3}],
    ...               "mean_test_accuracy": [0.90, 0.85, 0.80],
    ...               "mean_test_dp": [-0.10, -0.12, -0.01]}
    >>> pareto_front(cv_results, metric="accuracy", constraint="dp")
                  params  accuracy    dp
    candidate
    2          {'C': 3}       0.8  0.01
    0          {'C': 1}       0.9  0.10
    """
    score, gap = metric_and_gap(cv_results, metric, constraint)
    keep = _front(score, gap)
    columns: dict[str, Any] = {}
    if "params" in cv_results:
        columns["params"] = [cv_results["params"][i] for i in keep]
    for key in cv_results:
        if key.startswith("param_"):
            columns[key] = np.asarray(cv_results[key], dtype=object)[keep]
    columns[metric] = score[keep]
    columns[constraint] = gap[keep]
    if f"mean_test_{DEGENERATE_KEY}" in cv_results:
        # Its gap is small because it treats everyone alike: say so beside it.
        columns[DEGENERATE_KEY] = _degenerate(cv_results, score.shape[0])[keep]
    return pd.DataFrame(columns, index=pd.Index(keep, name="candidate"))


def _front(score: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """The front's candidates, fairest first (and among equally fair, the best)."""
    keep = np.flatnonzero(_front_mask(score, gap))
    return keep[np.lexsort((-score[keep], gap[keep]))]


def _degenerate(cv_results: dict, n_candidates: int) -> np.ndarray:
    """Which candidates were degenerate on some fold (a failed fold counts); none
    without a ``"degenerate"`` scorer."""
    flags = cv_results.get(f"mean_test_{DEGENERATE_KEY}")
    if flags is None:
        return np.zeros(n_candidates, dtype=bool)
    return np.nan_to_num(np.asarray(flags, dtype=float), nan=1.0) > 0


def plot_pareto_front(
    cv_results: dict,
    *,
    metric: str = "accuracy",
    constraint: str = "demographic_parity_difference",
    chosen: int | None = None,
    max_value: float | None = None,
    ax: Any = None,
):
    """Plot every candidate, the Pareto front and the chosen candidate.

    With a ``"degenerate"`` scorer in the search
    (:func:`~skfairtune.metrics.make_degeneracy_scorer`), the degenerate
    candidates are hollow grey circles, labelled so in the legend, and the
    front is drawn through the other candidates.

    Parameters
    ----------
    cv_results : dict
        A search's ``cv_results_``, scored with a ``scoring`` dict.
    metric : str, default="accuracy"
        Key of the ``scoring`` dict on the vertical axis.
    constraint : str, default="demographic_parity_difference"
        Key of the ``scoring`` dict of a gap, on the horizontal axis.
    chosen : int, default=None
        Index of a candidate to mark, such as the search's ``best_index_``.
    max_value : float, default=None
        A budget on the gap, drawn as a vertical line.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfairtune.model_selection import plot_pareto_front
    >>> cv_results = {"mean_test_accuracy": [0.90, 0.85, 0.80],
    ...               "mean_test_dp": [-0.10, -0.12, -0.01]}
    >>> ax = plot_pareto_front(cv_results, constraint="dp", chosen=0)
    >>> ax.get_xlabel()
    'dp (lower is fairer)'
    """
    import matplotlib.pyplot as plt

    score, gap = metric_and_gap(cv_results, metric, constraint)
    if ax is None:
        _, ax = plt.subplots()
    degenerate = _degenerate(cv_results, score.shape[0])
    ax.scatter(gap[~degenerate], score[~degenerate], color="0.7", label="candidates")
    if degenerate.any():
        ax.scatter(gap[degenerate], score[degenerate], facecolors="none", edgecolors="0.45",
                   linewidths=1.2, label="degenerate (not on the front)")
    # A degenerate candidate's small gap comes from treating everyone alike,
    # not from fairness: the front a reader can choose from is of the others.
    front = _front(np.where(degenerate, np.nan, score), gap)
    ax.plot(gap[front], score[front], "o-", color="C0", label="Pareto front")
    if max_value is not None:
        ax.axvline(max_value, color="C3", linestyle="--", label="budget")
    if chosen is not None:
        ax.scatter([gap[chosen]], [score[chosen]], marker="*", s=250, color="C1",
                   zorder=3, label=f"chosen ({chosen})")
    ax.set_xlabel(f"{constraint} (lower is fairer)")
    ax.set_ylabel(metric)
    ax.legend()
    return ax
