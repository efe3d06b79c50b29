"""A grid search's candidates as one table: parameters, mean scores, the choice."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._cv_results import as_gap


def _short(name: str) -> str:
    """``param_clf__penalty_strength`` -> ``penalty_strength``."""
    return name.removeprefix("param_").rsplit("__", 1)[-1]


def search_table(cv_results: dict, *, best_index: int | None = None) -> pd.DataFrame:
    """One row per candidate of a search: its parameters and mean test scores.

    Gap scorers, which scikit-learn stores negated, are shown as gaps
    (positive, lower is fairer), read with the rule of
    :func:`~skfairtune.model_selection.budget_refit`.

    Parameters
    ----------
    cv_results : dict
        A search's ``cv_results_``.
    best_index : int, default=None
        The chosen candidate, marked in a ``chosen`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by candidate; the varying parameters (named without their
        pipeline prefix), then the mean test score of every scorer.

    Examples
    --------
    >>> from skfairtune.report import search_table
    >>> cv_results = {"param_clf__penalty_strength": [0.0, 1.0],
    ...               "mean_test_accuracy": [0.85, 0.83],
    ...               "mean_test_dp": [-0.18, -0.02]}
    >>> search_table(cv_results, best_index=1)
               penalty_strength  accuracy    dp  chosen
    candidate
    0                       0.0      0.85  0.18   False
    1                       1.0      0.83  0.02    True
    """
    columns: dict[str, Any] = {}
    for key, values in cv_results.items():
        if key.startswith("param_"):
            columns[_short(key)] = np.asarray(values, dtype=object)
    for key, values in cv_results.items():
        if key.startswith("mean_test_"):
            name = key.removeprefix("mean_test_")
            columns[name] = _as_shown(np.asarray(values, dtype=float), name)
    table = pd.DataFrame(columns)
    table.index.name = "candidate"
    if best_index is not None:
        table["chosen"] = table.index == best_index
    return table


def _as_shown(stored: np.ndarray, name: str) -> np.ndarray:
    try:
        return as_gap(stored, name)
    except ValueError:  # both signs: a score, not a gap; shown as stored
        return stored
