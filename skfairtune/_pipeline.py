"""Finding the estimator at the end of a pipeline, and how its parameters are named.

The penalty path sets the fine-tuning step's parameters through the
pipeline, and the model report reads the step's training history; both look
through the same (possibly nested) pipelines the same way.
"""

from __future__ import annotations

from typing import Any


def final_step(estimator: Any) -> tuple[str, Any]:
    """The last step of a (nested) pipeline and the prefix of its parameters.

    Parameters
    ----------
    estimator : estimator
        A pipeline (anything with ``steps``) or any other estimator, which is
        its own final step.

    Returns
    -------
    prefix : str
        What ``get_params``/``set_params`` put before the step's parameters:
        ``"clf__"`` for ``Pipeline([..., ("clf", model)])``, ``""`` outside
        a pipeline.
    step : estimator
        The last step.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skfairtune._pipeline import final_step
    >>> inner = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    >>> final_step(Pipeline([("prep", StandardScaler()), ("model", inner)]))
    ('model__clf__', LogisticRegression())
    """
    prefix = ""
    while hasattr(estimator, "steps"):
        name, estimator = estimator.steps[-1]
        prefix += f"{name}__"
    return prefix, estimator
