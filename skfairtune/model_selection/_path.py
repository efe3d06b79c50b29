"""A warm-started penalty path: one fit per strength, each from the previous one's weights."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone

from skfairtune.metrics import FAIRNESS_METRICS, PERFORMANCE_METRICS

from .._groups import encode_groups
from .._pipeline import final_step
from .._slice_size import auto_fraction
from ._pareto import pareto_front, plot_pareto_front
from ._refit import budget_refit

DEFAULT_METRICS = (
    "accuracy",
    "demographic_parity_difference",
    "equalized_odds_difference",
)


class PenaltyPath:
    """The fitted models and their metrics along a penalty path.

    Made by :func:`penalty_path`; not meant to be built by hand.

    Parameters
    ----------
    param : str
        The parameter that varies along the path (``"penalty_strength"``).
    estimators : list of estimators
        One fitted model per step, in the order of the path.
    results : pandas.DataFrame
        One row per step: the parameter's value, ``epochs`` (trained in that
        step), ``fit_time`` (seconds of that step) and one column per metric.

    Attributes
    ----------
    param : str
    estimators : list of estimators
    results : pandas.DataFrame
    """

    def __init__(self, param: str, estimators: list, results: pd.DataFrame):
        self.param = param
        self.estimators = estimators
        self.results = results

    def __repr__(self) -> str:
        return f"PenaltyPath({self.param}={self.results[self.param].tolist()})"

    def __len__(self) -> int:
        return len(self.estimators)

    def _as_cv_results(self) -> dict:
        """The results in ``cv_results_``'s shape, so the search helpers read them."""
        out: dict[str, Any] = {
            "params": [{self.param: value} for value in self.results[self.param]],
            f"param_{self.param}": self.results[self.param].to_numpy(dtype=object),
        }
        for name in self.results.columns.drop([self.param, "epochs", "fit_time"]):
            out[f"mean_test_{name}"] = self.results[name].to_numpy(dtype=float)
        return out

    def front(
        self, *, metric: str = "accuracy", constraint: str = "demographic_parity_difference"
    ) -> pd.DataFrame:
        """The steps that no other step beats on both ``metric`` and ``constraint``.

        Parameters
        ----------
        metric : str, default="accuracy"
            A metric column to maximise.
        constraint : str, default="demographic_parity_difference"
            A gap column (lower is fairer).

        Returns
        -------
        pandas.DataFrame
            As :func:`pareto_front`: fairest first, indexed by step.
        """
        return pareto_front(self._as_cv_results(), metric=metric, constraint=constraint)

    def best(
        self,
        max_value: float,
        *,
        metric: str = "accuracy",
        constraint: str = "demographic_parity_difference",
    ):
        """The fitted model with the best ``metric`` whose ``constraint`` is within budget.

        As :func:`budget_refit` chooses: when no step meets the budget, the
        fairest step, with a :class:`BudgetNotMetWarning`.

        Parameters
        ----------
        max_value : float
            The budget on the gap (0.02).
        metric : str, default="accuracy"
        constraint : str, default="demographic_parity_difference"

        Returns
        -------
        estimator
        """
        rule = budget_refit(metric=metric, constraint=constraint, max_value=max_value)
        return self.estimators[rule(self._as_cv_results())]

    def plot(
        self,
        *,
        metric: str = "accuracy",
        constraint: str = "demographic_parity_difference",
        ax: Any = None,
    ):
        """Plot every step and the front, as :func:`plot_pareto_front` does.

        Parameters
        ----------
        metric : str, default="accuracy"
        constraint : str, default="demographic_parity_difference"
        ax : matplotlib Axes, default=None

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plot_pareto_front(self._as_cv_results(), metric=metric,
                                 constraint=constraint, ax=ax)


def penalty_path(
    estimator: Any,
    strengths: Sequence[float],
    X: Any,
    y: Any,
    *,
    sensitive_features: Any,
    sample_weight: Any = None,
    X_val: Any = None,
    y_val: Any = None,
    sensitive_features_val: Any = None,
    epochs_first: int | None = None,
    epochs_step: int | None = None,
    param: str = "penalty_strength",
    metrics: Sequence[str] | Mapping[str, Callable] = DEFAULT_METRICS,
    warm_start: bool = True,
) -> PenaltyPath:
    """Fit a sequence of penalty strengths, each step starting from the last.

    The first step trains a copy of ``estimator`` as it is configured (from
    its ``pretrained`` weights when it has them) for ``epochs_first``
    epochs; every later step sets ``param`` to the next value and continues
    from the previous step's weights for ``epochs_step`` epochs, which is
    usually far fewer than a fit from the start needs: neighbouring strengths
    have neighbouring solutions. Each step's model is kept, and scored on the
    validation data when given (on the training data otherwise).

    Parameters
    ----------
    estimator : estimator
        A :class:`~skfairtune.FairTuneClassifier` or
        :class:`~skfairtune.FairTuneRegressor`, or a ``Pipeline`` that ends in
        one. It is not changed; the path fits copies.
    strengths : sequence of float
        The values of ``param``, in the order they are fitted. Ascending
        strengths make a continuation path, from the accurate end to the
        fair end.
    X, y : array-like
        The training data.
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        The training rows' groups, handed to the penalty.
    sample_weight : array-like of shape (n_samples,), default=None
    X_val, y_val : array-like, default=None
        Data the metrics are computed on; the training data when None.
    sensitive_features_val : array-like, default=None
        The validation rows' groups; needed with ``X_val``.
    epochs_first : int, default=None
        ``max_epochs`` of the first step; the estimator's own when None.
    epochs_step : int, default=None
        ``max_epochs`` of every later step; ``epochs_first`` when None.
    param : str, default="penalty_strength"
        The parameter that varies: ``"max_gap"`` gives a path of budgets in
        constraint mode (from loose to tight). With
        ``validation_fraction="auto"``, every warm-started step of a path of
        budgets holds out the slice its tightest budget needs.
    metrics : sequence of str or dict of str to callable, default=("accuracy", \
"demographic_parity_difference", "equalized_odds_difference")
        Names from :mod:`skfairtune.metrics` or scikit-learn's ``accuracy``,
        ``balanced_accuracy``, ``f1``, ``precision``, ``recall``, ``r2``; or a
        dict of names to ``metric(y_true, y_pred, *, sensitive_features)``.
    warm_start : bool, default=True
        False fits every step from the start instead (from ``pretrained``),
        with ``epochs_first`` epochs each: the independent fits a path is
        compared with.

    Returns
    -------
    PenaltyPath
        ``estimators`` (one fitted model per step), ``results`` (one row per
        step: the value, ``epochs``, ``fit_time`` and the metrics), and
        ``front()``, ``best(max_value)`` and ``plot()``. Each model's
        parameters are its step's, with ``pretrained`` left at the path's
        starting point: a model does not hold the models before it, but a
        clone of it refitted alone is not the same model.

    See Also
    --------
    pareto_front : The front of a grid search's results.
    budget_refit : Choosing within a budget inside ``GridSearchCV``.

    Examples
    --------
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> from skfairtune import FairTuneClassifier
    >>> from skfairtune.datasets import load_german
    >>> from skfairtune.model_selection import penalty_path
    >>> data = load_german(as_frame=True, drop_sensitive=True)
    >>> X = OneHotEncoder(sparse_output=False).fit_transform(
    ...     data.data.select_dtypes("category"))
    >>> X, X_val, y, y_val, a, a_val = train_test_split(
    ...     X, data.target, data.sensitive, test_size=0.3, random_state=0)
    >>> base = FairTuneClassifier(penalty=None, max_epochs=20, random_state=0).fit(X, y)
    >>> path = penalty_path(
    ...     FairTuneClassifier(pretrained=base, random_state=0),
    ...     [0.0, 0.5, 1.0, 2.0], X, y, sensitive_features=a,
    ...     X_val=X_val, y_val=y_val, sensitive_features_val=a_val,
    ...     epochs_first=5, epochs_step=2)
    >>> path.results.columns.tolist()
    ['penalty_strength', 'epochs', 'fit_time', 'accuracy', \
'demographic_parity_difference', 'equalized_odds_difference']
    >>> path.results["epochs"].tolist()
    [5, 2, 2, 2]
    >>> chosen = path.best(0.05)  # the most accurate step within a gap of 0.05
    """
    values = _check_strengths(strengths, param)
    scorers = _resolve_metrics(metrics)
    evaluation = _evaluation_data(X, y, sensitive_features, X_val, y_val,
                                  sensitive_features_val)
    prefix, _ = final_step(estimator)
    _check_params(estimator, prefix, param, epochs_first, epochs_step)
    fit_params = _fit_params(estimator, prefix, sensitive_features, sample_weight)
    origin = estimator.get_params(deep=True)[prefix + "pretrained"]
    pinned = _one_slice(estimator, prefix, param, values, sensitive_features, warm_start)
    estimators, rows = [], []
    for step, value in enumerate(values):
        later = warm_start and step > 0
        start = final_step(estimators[-1])[1] if later else origin
        params = {param: value, "max_epochs": _or(epochs_step, epochs_first) if later
                  else epochs_first, **pinned}
        fitted, row = _fit_step(_clone(estimator, prefix, start), prefix, params, X, y,
                                fit_params)
        # Each model names the path's own starting point, not its predecessor,
        # so that it does not hold (and pickle) the chain of models before it.
        fitted.set_params(**{prefix + "pretrained": origin})
        estimators.append(fitted)
        rows.append({param: value, **row, **_score(fitted, scorers, *evaluation)})
    return PenaltyPath(param, estimators, pd.DataFrame(rows))


def _one_slice(estimator, prefix, param, values, sensitive_features, warm_start) -> dict:
    """``validation_fraction`` for every step of a warm-started path of budgets.

    ``"auto"`` sizes the slice by the budget, so each budget would hold out
    another slice, and a later step would read its gap on rows the steps
    before it trained on. The path holds out the slice its tightest budget
    needs, for every step.
    """
    params = estimator.get_params(deep=True)
    if (param != "max_gap" or not warm_start or sensitive_features is None
            or params.get(prefix + "validation_fraction") != "auto"):
        return {}
    codes = encode_groups(sensitive_features, missing="ignore").codes
    return {"validation_fraction": auto_fraction(codes, min(values))}


def _clone(estimator, prefix, pretrained):
    """A fresh copy that starts from ``pretrained``.

    ``clone`` keeps the path's own starting point; a warm-started step starts
    from the previous step's model instead, hence the parameter set here.
    """
    return clone(estimator).set_params(**{prefix + "pretrained": pretrained})


def _or(value, default):
    return default if value is None else value


def _fit_step(model, prefix, params, X, y, fit_params):
    """Fit one step with ``params`` set; its model, epochs and time."""
    model.set_params(**{prefix + k: v for k, v in params.items() if v is not None})
    start = time.perf_counter()
    model.fit(X, y, **fit_params)
    elapsed = time.perf_counter() - start
    _, final = final_step(model)
    return model, {"epochs": getattr(final, "n_iter_", np.nan), "fit_time": elapsed}


def _score(model, scorers, X, y, groups) -> dict:
    pred = model.predict(X)
    return {name: float(func(y, pred, groups)) for name, func in scorers.items()}


def _fit_params(estimator, prefix, sensitive_features, sample_weight) -> dict:
    params = {"sensitive_features": sensitive_features}
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    # With routing on, a pipeline routes what its steps request; without it,
    # a step's fit parameters are addressed by its name.
    if prefix and not sklearn.get_config().get("enable_metadata_routing", False):
        return {prefix + k: v for k, v in params.items()}
    return params


def _check_params(estimator, prefix, param, epochs_first, epochs_step) -> None:
    if not hasattr(estimator, "get_params") or not hasattr(estimator, "fit"):
        raise ValueError(
            "penalty_path needs an estimator, such as FairTuneClassifier or a Pipeline "
            f"ending in one; got {type(estimator).__name__} {_short_repr(estimator)}."
        )
    names = estimator.get_params(deep=True)
    needed = [param, "pretrained"]
    if epochs_first is not None or epochs_step is not None:
        needed.append("max_epochs")
    missing = [prefix + n for n in needed if prefix + n not in names]
    if missing:
        raise ValueError(
            f"penalty_path needs an estimator with the parameters {missing}, such as "
            f"FairTuneClassifier or a Pipeline ending in one; got {type(estimator).__name__}."
        )
    for name, value in (("epochs_first", epochs_first), ("epochs_step", epochs_step)):
        if value is not None and (not isinstance(value, Integral) or value < 0):
            raise ValueError(f"{name} must be a non-negative int or None; got {value!r}.")


def _short_repr(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_strengths(strengths, param) -> list:
    values = list(np.asarray(strengths, dtype=float).ravel()) if np.ndim(strengths) else []
    if not values or not all(np.isfinite(values)) or min(values) < 0:
        raise ValueError(
            f"strengths must be a non-empty sequence of non-negative {param} values; "
            f"got {strengths!r}."
        )
    if param == "penalty_strength" and any(np.diff(values) < 0):
        warnings.warn(
            "The strengths are not ascending: a warm-started path continues best "
            "from weak to strong penalties.", UserWarning, stacklevel=3,
        )
    return [float(v) for v in values]


def _resolve_metrics(metrics) -> dict[str, Callable]:
    """Each metric as ``func(y_true, y_pred, groups)``, by name."""
    if isinstance(metrics, Mapping):
        return {name: _with_groups(func) for name, func in metrics.items()}
    if isinstance(metrics, str):
        metrics = [metrics]
    resolved = {}
    for name in metrics:
        if name in PERFORMANCE_METRICS:
            resolved[name] = _without_groups(PERFORMANCE_METRICS[name])
        elif name in FAIRNESS_METRICS:
            resolved[name] = _with_groups(FAIRNESS_METRICS[name][0])
        else:
            raise ValueError(
                f"Unknown metric {name!r}; use one of "
                f"{sorted(PERFORMANCE_METRICS) + sorted(FAIRNESS_METRICS)}, or a dict of "
                "names to callables."
            )
    return resolved


def _with_groups(func):
    return lambda y, pred, groups: func(y, pred, sensitive_features=groups)


def _without_groups(func):
    return lambda y, pred, groups: func(y, pred)


def _evaluation_data(X, y, groups, X_val, y_val, groups_val):
    given = [v is not None for v in (X_val, y_val, groups_val)]
    if any(given) and not all(given):
        raise ValueError(
            "X_val, y_val and sensitive_features_val go together: give all three "
            "(or none, to score on the training data)."
        )
    return (X_val, y_val, groups_val) if all(given) else (X, y, groups)
