"""What the reported rows hold that the model never saw in training.

A group the fairness penalty never saw was not fine-tuned for, and a category
that the model's encoder never saw is read as none of the categories it knows
(a ``OneHotEncoder(handle_unknown="ignore")`` gives it all zeros): the model's
numbers on such rows are extrapolation, and the report says so. What the model
saw is read off the fitted model itself: the categories of its fitted encoders
(``categories_``), inside pipelines and column transformers, here; its groups
from the encoder of its last fit (``groups_encoder_``), which codes the
report's rows and flags the groups it does not have
(:func:`skfairtune._groups.encode_for`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from .._labels import sorted_labels


def unseen_categories(estimator: Any, X: Any) -> dict:
    """Per column of ``X``, the values its fitted encoder has no category for.

    Parameters
    ----------
    estimator : estimator
        The fitted model: an encoder with ``categories_`` anywhere inside it
        (a pipeline's step, a column transformer's part, a frozen estimator)
        is read.
    X : DataFrame
        The rows; without column names nothing can be matched, and the result
        is empty.

    Returns
    -------
    dict
        Column name to the sorted list of its unseen values, for the columns
        that have any. Missing values are not counted: they are a matter of
        imputation, not of unseen categories.
    """
    if not isinstance(X, pd.DataFrame):
        return {}
    found = {}
    for columns, encoder in _encoders(estimator):
        for column, categories in zip(columns, encoder.categories_):
            if column not in X.columns:
                continue
            seen = set(categories)
            new = [v for v in X[column].dropna().unique() if v not in seen]
            if new:
                found[column] = sorted_labels(new)
    return found


def _encoders(step: Any, columns: list | None = None) -> Iterator[tuple[list, Any]]:
    """Each fitted encoder inside ``step``, with the names of the columns it reads.

    ``columns`` are the names a column transformer gave the part that holds
    the encoder; an encoder fitted on a frame knows its own
    (``feature_names_in_``).
    """
    if hasattr(step, "transformers_"):  # a fitted ColumnTransformer
        for _, part, selected in step.transformers_:
            yield from _encoders(part, _names(selected))
    elif hasattr(step, "steps"):  # a Pipeline
        for _, part in step.steps:
            yield from _encoders(part, columns)
    elif hasattr(step, "categories_"):
        names = getattr(step, "feature_names_in_", columns)
        # A count that does not match means the names are not the encoder's own
        # (a step before it changed the columns): nothing can be matched then.
        if names is not None and len(names) == len(step.categories_):
            yield list(names), step
    elif hasattr(step, "estimator"):  # a FrozenEstimator, or another wrapper
        yield from _encoders(step.estimator, columns)


def _names(selected: Any) -> list | None:
    """A column transformer's selection as a list of names; None for indices or masks."""
    if isinstance(selected, str):
        return [selected]
    if isinstance(selected, (list, tuple, np.ndarray, pd.Index)) and all(
            isinstance(s, str) for s in selected):
        return list(selected)
    return None
